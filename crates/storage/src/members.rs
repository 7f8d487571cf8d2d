//! The [`Directory`] of people: members' personal data (names, e-mail addresses), kept
//! outside the event log, and its erasure once a member has left. Members' tokens are in
//! `tokens.rs`, the board's contributors in `board.rs`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub member_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: String,
    pub joined_at: DateTime<Utc>,
}

const LIST: &str = "SELECT member_id, name, email, role, joined_at FROM members \
     WHERE team_id = $1 AND removed_at IS NULL ORDER BY joined_at, member_id";
const ONE: &str = "SELECT member_id, name, email, role, joined_at FROM members \
     WHERE team_id = $1 AND member_id = $2 AND removed_at IS NULL";
const BY_EMAIL: &str = "SELECT member_id, name, email, role, joined_at FROM members \
     WHERE team_id = $1 AND lower(email) = lower($2) AND removed_at IS NULL \
     ORDER BY joined_at, member_id LIMIT 1";

/// Locks the member's row for the erasure, which must not race their removal being undone.
const LEFT: &str =
    "SELECT removed_at IS NOT NULL FROM members WHERE team_id = $1 AND member_id = $2 FOR UPDATE";
const ERASE: &str = "UPDATE members SET name = NULL, email = NULL, erased_at = coalesce(erased_at, now()) \
     WHERE team_id = $1 AND member_id = $2";

/// What erasing a member's personal data came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberErasure {
    /// Their name and e-mail address are gone (or were already).
    Erased,
    /// They are still in the team: erasure waits until they have left.
    StillMember,
    /// No such member in this team.
    Unknown,
}

/// Members and contributors: their personal data, their tokens, and their display names.
#[derive(Debug, Clone, Copy)]
pub struct Directory<'a> {
    pub(crate) store: &'a Store,
}

impl Store {
    /// Members' and contributors' personal data and their tokens.
    pub fn directory(&self) -> Directory<'_> {
        Directory { store: self }
    }
}

crate::rows::from_columns!(MemberRecord {
    member_id,
    name,
    email,
    role,
    joined_at,
});

impl Directory<'_> {
    /// The team's current members, oldest first.
    pub async fn members(self, team_id: Uuid) -> Result<Vec<MemberRecord>, StoreError> {
        self.store
            .query_rows(LIST, &[&team_id], MemberRecord::from_row)
            .await
    }

    pub async fn member(
        self,
        team_id: Uuid,
        member_id: Uuid,
    ) -> Result<Option<MemberRecord>, StoreError> {
        self.store
            .query_opt(ONE, &[&team_id, &member_id], MemberRecord::from_row)
            .await
    }

    /// The team's member with this e-mail address (compared without case), the earliest
    /// to join if several share it.
    pub async fn member_by_email(
        self,
        team_id: Uuid,
        email: &str,
    ) -> Result<Option<MemberRecord>, StoreError> {
        self.store
            .query_opt(BY_EMAIL, &[&team_id, &email], MemberRecord::from_row)
            .await
    }

    /// Erases the name and e-mail address of a member who has left, everywhere Stride kept
    /// them: the members table and the team's kept responses that name them. Events only
    /// ever held their id, so what they did stays, without their name.
    pub async fn erase_member(
        self,
        team_id: Uuid,
        member_id: Uuid,
    ) -> Result<MemberErasure, StoreError> {
        let mut client = self.store.pool().get().await?;
        let tx = client.transaction().await?;
        let left: Option<bool> = match tx.query_opt(LEFT, &[&team_id, &member_id]).await? {
            Some(row) => Some(row.try_get(0)?),
            None => None,
        };
        let outcome = match left {
            None => MemberErasure::Unknown,
            Some(false) => MemberErasure::StillMember,
            Some(true) => {
                tx.execute(ERASE, &[&team_id, &member_id]).await?;
                crate::idempotency::forget_responses_naming(&tx, team_id, member_id).await?;
                MemberErasure::Erased
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }
}
