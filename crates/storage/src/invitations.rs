//! Invitations' invitees and one-time codes: the code is random, shown once to whoever
//! invites, and kept only as its SHA-256 hash; the row goes when the invitation is accepted,
//! revoked, or found expired.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;
use crate::members::Directory;
use crate::tokens::{hash, random_secret};

const PREFIX: &str = "strideinv_";

/// A fresh invitation code: the code to show once, and the hash to store.
pub struct NewCode {
    pub code: String,
    pub hash: Vec<u8>,
}

impl std::fmt::Debug for NewCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCode").finish_non_exhaustive()
    }
}

impl NewCode {
    /// 256 random bits from the operating system's generator.
    pub fn generate() -> NewCode {
        let (code, hash) = random_secret(PREFIX);
        NewCode { code, hash }
    }
}

/// An invitation waiting, with its invitee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRecord {
    pub team_id: Uuid,
    pub invitation_id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub expires_at: DateTime<Utc>,
}

crate::rows::from_columns!(InvitationRecord {
    team_id,
    invitation_id,
    email,
    name,
    expires_at,
});

const BY_CODE: &str = "SELECT team_id, invitation_id, email, name, expires_at FROM invitations \
     WHERE code_hash = $1 AND expires_at > now()";
const WAITING: &str = "SELECT team_id, invitation_id, email, name, expires_at FROM invitations \
     WHERE team_id = $1 AND expires_at > now() ORDER BY expires_at, invitation_id";
const FOR_EMAIL: &str = "SELECT team_id, invitation_id, email, name, expires_at FROM invitations \
     WHERE team_id = $1 AND lower(email) = lower($2) AND expires_at > now() \
     ORDER BY expires_at DESC, invitation_id LIMIT 1";
const FORGET_EXPIRED: &str = "DELETE FROM invitations WHERE team_id = $1 AND expires_at <= now()";

impl Directory<'_> {
    /// The waiting, unexpired invitation a code opens, if any. Codes that do not look like
    /// one are not looked up.
    pub async fn invitation_by_code(
        self,
        code: &str,
    ) -> Result<Option<InvitationRecord>, StoreError> {
        if !code.starts_with(PREFIX) || code.len() > 128 {
            return Ok(None);
        }
        self.store
            .query_opt(BY_CODE, &[&hash(code)], InvitationRecord::from_row)
            .await
    }

    /// The team's waiting invitation for this address (the latest to expire, if several).
    pub async fn invitation_for_email(
        self,
        team_id: Uuid,
        email: &str,
    ) -> Result<Option<InvitationRecord>, StoreError> {
        self.store
            .query_opt(FOR_EMAIL, &[&team_id, &email], InvitationRecord::from_row)
            .await
    }

    /// The team's invitations waiting, soonest to expire first; the expired ones' invitees
    /// are forgotten on the way.
    pub async fn invitations(self, team_id: Uuid) -> Result<Vec<InvitationRecord>, StoreError> {
        self.store.execute(FORGET_EXPIRED, &[&team_id]).await?;
        self.store
            .query_rows(WAITING, &[&team_id], InvitationRecord::from_row)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_random_and_hash_to_what_is_stored() {
        let (a, b) = (NewCode::generate(), NewCode::generate());
        assert_ne!(a.code, b.code);
        assert!(a.code.starts_with(PREFIX) && a.code.len() == PREFIX.len() + 64);
        assert_eq!(a.hash, hash(&a.code));
        assert!(!format!("{a:?}").contains(&a.code));
    }
}
