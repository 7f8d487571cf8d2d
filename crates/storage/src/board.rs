//! The community board's contributors in the [`Directory`]: their personal data (erasable)
//! with their tokens, the board's team by its slug, and the display names of contributors
//! and members alike.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;
use crate::members::Directory;
use crate::rows::pair;
use crate::tokens::{NewToken, hash};

/// Prefix of contributor tokens, so that they never pass for a member's.
pub const CONTRIBUTOR_PREFIX: &str = "stridec_";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContributorRecord {
    pub contributor_id: Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
    pub joined_at: DateTime<Utc>,
}

/// Display names by member or contributor id; `None` for people without one (or erased).
pub type Names = BTreeMap<Uuid, Option<String>>;

pub use crate::shared::ContributorToken;

crate::rows::from_columns!(ContributorToken {
    team_id,
    contributor_id,
});

const INSERT_CONTRIBUTOR: &str = "INSERT INTO contributors (team_id, contributor_id, name, email) VALUES ($1, $2, $3, $4) RETURNING joined_at";
const INSERT_TOKEN: &str = "INSERT INTO contributor_tokens (team_id, token_id, contributor_id, hash) VALUES ($1, $2, $3, $4)";
const TEAM_BY_SLUG: &str = "SELECT team_id FROM unique_claims WHERE scope = 'slug' AND value = $1";
const AUTHENTICATE: &str = "SELECT team_id, contributor_id FROM contributor_tokens WHERE hash = $1";

const ERASE: &str = "UPDATE contributors SET name = NULL, email = NULL, erased_at = coalesce(erased_at, now()) \
     WHERE team_id = $1 AND contributor_id = $2";

const NAMES_OF: &str = "SELECT contributor_id, name FROM contributors WHERE team_id = $1 AND contributor_id = ANY($2) \
     UNION ALL SELECT member_id, name FROM members WHERE team_id = $1 AND member_id = ANY($2)";
const NAMES: &str = "SELECT contributor_id, name FROM contributors WHERE team_id = $1 \
     UNION ALL SELECT member_id, name FROM members WHERE team_id = $1";

impl Directory<'_> {
    /// Registers a contributor on a team's board with a first token (shown once).
    pub async fn add_contributor(
        self,
        team_id: Uuid,
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<(ContributorRecord, NewToken), StoreError> {
        let contributor_id = Uuid::now_v7();
        let mut token = NewToken::generate();
        token.secret = token
            .secret
            .replacen(crate::tokens::PREFIX, CONTRIBUTOR_PREFIX, 1);
        token.hash = hash(&token.secret);
        let mut client = self.store.pool().get().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_one(
                INSERT_CONTRIBUTOR,
                &[&team_id, &contributor_id, &name, &email],
            )
            .await?;
        tx.execute(
            INSERT_TOKEN,
            &[&team_id, &token.token_id, &contributor_id, &token.hash],
        )
        .await?;
        tx.commit().await?;
        let record = ContributorRecord {
            contributor_id,
            name: name.map(str::to_owned),
            email: email.map(str::to_owned),
            joined_at: row.try_get(0)?,
        };
        Ok((record, token))
    }

    /// The team whose board lives at `slug`.
    pub async fn team_by_slug(self, slug: &str) -> Result<Option<Uuid>, StoreError> {
        self.store
            .query_opt(TEAM_BY_SLUG, &[&slug], |r| r.try_get(0))
            .await
    }

    pub async fn authenticate_contributor(
        self,
        secret: &str,
    ) -> Result<Option<ContributorToken>, StoreError> {
        if !secret.starts_with(CONTRIBUTOR_PREFIX) {
            return Ok(None);
        }
        let hash = hash(secret);
        if let Some(known) = self.store.contributor_tokens().get(&hash) {
            return Ok(Some(known));
        }
        let found = self
            .store
            .query_opt(AUTHENTICATE, &[&hash], ContributorToken::from_row)
            .await?;
        if let Some(found) = found {
            self.store.contributor_tokens().insert(hash, found);
        }
        Ok(found)
    }

    /// Erases a contributor's name and e-mail address everywhere Stride kept them: their
    /// ideas and votes stay, anonymous. Returns whether the contributor exists.
    pub async fn erase_contributor(
        self,
        team_id: Uuid,
        contributor_id: Uuid,
    ) -> Result<bool, StoreError> {
        let mut client = self.store.pool().get().await?;
        let tx = client.transaction().await?;
        let found = tx.execute(ERASE, &[&team_id, &contributor_id]).await? > 0;
        if found {
            // Replayable responses that show the name go too (their own team's only).
            crate::idempotency::forget_responses_naming(&tx, team_id, contributor_id).await?;
        }
        tx.commit().await?;
        Ok(found)
    }

    /// Display names of the team's contributors and members, by id (erased ones: none).
    pub async fn names(self, team_id: Uuid) -> Result<Names, StoreError> {
        self.store.query_rows(NAMES, &[&team_id], pair).await
    }

    /// Display names of the contributors and members among `ids`.
    pub async fn names_of(self, team_id: Uuid, ids: &[Uuid]) -> Result<Names, StoreError> {
        self.store
            .query_rows(NAMES_OF, &[&team_id, &ids], pair)
            .await
    }
}
