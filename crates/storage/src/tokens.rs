//! Bearer tokens: random, shown once, stored only as SHA-256 hashes, outside the event log.

use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::StoreError;
use crate::members::Directory;

pub(crate) const PREFIX: &str = "stride_";

/// A freshly made token: the secret to show once, and the hash to store.
pub struct NewToken {
    pub token_id: Uuid,
    pub secret: String,
    pub hash: Vec<u8>,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken")
            .field("token_id", &self.token_id)
            .finish_non_exhaustive()
    }
}

impl NewToken {
    /// 256 random bits from the operating system's generator.
    pub fn generate() -> NewToken {
        let (secret, hash) = random_secret(PREFIX);
        NewToken {
            token_id: Uuid::now_v7(),
            hash,
            secret,
        }
    }
}

/// A secret of `prefix` and 256 random bits from the operating system's generator (in hex),
/// and its hash: tokens and invitation codes alike.
pub(crate) fn random_secret(prefix: &str) -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{prefix}{}", hex(&bytes));
    let hash = hash(&secret);
    (secret, hash)
}

pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub use crate::shared::TokenOwner;

/// A token as listed for revocation checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub member_id: Uuid,
    pub revoked: bool,
}

crate::rows::from_columns!(TokenOwner {
    token_id,
    team_id,
    member_id,
    role,
});
crate::rows::from_columns!(TokenRecord { member_id, revoked });

const AUTHENTICATE: &str = "SELECT t.token_id, t.team_id, t.member_id, m.role FROM tokens t \
     JOIN members m ON m.team_id = t.team_id AND m.member_id = t.member_id \
     WHERE t.hash = $1 AND t.revoked_at IS NULL AND m.removed_at IS NULL";
const INSERT: &str =
    "INSERT INTO tokens (team_id, token_id, member_id, hash, name) VALUES ($1, $2, $3, $4, $5)";
const OF_MEMBER: &str = "SELECT token_id, member_id, name, created_at, last_used_at FROM tokens \
     WHERE team_id = $1 AND member_id = $2 AND revoked_at IS NULL ORDER BY created_at, token_id";
const TOUCH: &str = "UPDATE tokens SET last_used_at = now() WHERE team_id = $1 AND token_id = $2";

/// How finely a token's last use is kept: at most one write per token this often.
pub const USE_RESOLUTION: std::time::Duration = std::time::Duration::from_secs(60);

/// A token as its member lists it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenListing {
    pub token_id: Uuid,
    pub member_id: Uuid,
    pub name: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

crate::rows::from_columns!(TokenListing {
    token_id,
    member_id,
    name,
    created_at,
    last_used_at,
});
const FIND: &str =
    "SELECT member_id, revoked_at IS NOT NULL FROM tokens WHERE team_id = $1 AND token_id = $2";
const STILL_VALID: &str = "SELECT 1 FROM tokens t \
     JOIN members m ON m.team_id = t.team_id AND m.member_id = t.member_id \
     WHERE t.team_id = $1 AND t.token_id = $2 AND t.revoked_at IS NULL AND m.removed_at IS NULL";
/// Revokes, and tells every process (at commit) to forget the tokens it keeps.
const REVOKE: &str = "WITH revoked AS (UPDATE tokens SET revoked_at = now() \
     WHERE team_id = $1 AND token_id = $2 AND revoked_at IS NULL RETURNING 1) \
     SELECT pg_notify('stride_tokens', '') FROM (SELECT count(*) FROM revoked) AS done";

impl Directory<'_> {
    /// The member a presented token speaks for, if it is valid: known, not revoked, and its
    /// member still in the team.
    pub async fn authenticate(self, secret: &str) -> Result<Option<TokenOwner>, StoreError> {
        if !secret.starts_with(PREFIX) {
            return Ok(None);
        }
        let hash = hash(secret);
        let kept = self.store.member_tokens();
        if let Some(owner) = kept.get(&hash) {
            self.note_use(&owner);
            return Ok(Some(owner));
        }
        let generation = kept.generation();
        let owner = self
            .store
            .query_opt(AUTHENTICATE, &[&hash], TokenOwner::from_row)
            .await?;
        if let Some(owner) = &owner {
            kept.keep(generation, hash, owner.clone());
            self.note_use(owner);
        }
        Ok(owner)
    }

    /// Records that a token was used, at most once per [`USE_RESOLUTION`] per process and
    /// token, in the background: a request never waits for it.
    fn note_use(self, owner: &TokenOwner) {
        let uses = self.store.token_uses();
        if uses
            .get(&owner.token_id)
            .is_some_and(|at| at.elapsed() < USE_RESOLUTION)
        {
            return;
        }
        uses.insert(owner.token_id, std::time::Instant::now());
        let (store, team_id, token_id) = (self.store.clone(), owner.team_id, owner.token_id);
        tokio::spawn(async move {
            if let Err(error) = store.execute(TOUCH, &[&team_id, &token_id]).await {
                tracing::debug!(%error, "a token's last use was not recorded");
            }
        });
    }

    /// Issues another token for a member already in the team, named as its member likes.
    pub async fn issue_token(
        self,
        team_id: Uuid,
        member_id: Uuid,
        name: Option<&str>,
    ) -> Result<NewToken, StoreError> {
        let token = NewToken::generate();
        let client = self.store.pool().get().await?;
        client
            .execute(
                INSERT,
                &[&team_id, &token.token_id, &member_id, &token.hash, &name],
            )
            .await?;
        Ok(token)
    }

    /// A member's tokens that still work, oldest first.
    pub async fn tokens_of(
        self,
        team_id: Uuid,
        member_id: Uuid,
    ) -> Result<Vec<TokenListing>, StoreError> {
        self.store
            .query_rows(OF_MEMBER, &[&team_id, &member_id], TokenListing::from_row)
            .await
    }

    pub async fn find_token(
        self,
        team_id: Uuid,
        token_id: Uuid,
    ) -> Result<Option<TokenRecord>, StoreError> {
        self.store
            .query_opt(FIND, &[&team_id, &token_id], TokenRecord::from_row)
            .await
    }

    /// Whether a token that authenticated earlier still would: not revoked since, and its
    /// member still in the team. Two primary-key lookups, cheap enough to repeat often.
    pub async fn token_still_valid(
        self,
        team_id: Uuid,
        token_id: Uuid,
    ) -> Result<bool, StoreError> {
        let found = self
            .store
            .query_opt(STILL_VALID, &[&team_id, &token_id], |_| {
                Ok::<_, StoreError>(())
            })
            .await?;
        Ok(found.is_some())
    }

    /// Revokes a token; revoking it again changes nothing.
    pub async fn revoke_token(self, team_id: Uuid, token_id: Uuid) -> Result<(), StoreError> {
        let client = self.store.pool().get().await?;
        client.execute(REVOKE, &[&team_id, &token_id]).await?;
        self.store.member_tokens().forget();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_to_what_is_stored() {
        let a = NewToken::generate();
        let b = NewToken::generate();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with(PREFIX) && a.secret.len() == PREFIX.len() + 64);
        assert_eq!(hash(&a.secret), a.hash);
        assert!(
            !format!("{a:?}").contains(&a.secret),
            "Debug must not print the secret"
        );
    }
}
