//! Members' personal data (names, e-mail addresses), kept outside the event log.

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

fn record(row: &tokio_postgres::Row) -> Result<MemberRecord, tokio_postgres::Error> {
    Ok(MemberRecord {
        member_id: row.try_get(0)?,
        name: row.try_get(1)?,
        email: row.try_get(2)?,
        role: row.try_get(3)?,
        joined_at: row.try_get(4)?,
    })
}

impl Store {
    /// The team's current members, oldest first.
    pub async fn members(&self, team_id: Uuid) -> Result<Vec<MemberRecord>, StoreError> {
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(LIST).await?;
        let rows = client.query(&statement, &[&team_id]).await?;
        Ok(rows.iter().map(record).collect::<Result<_, _>>()?)
    }

    pub async fn member(
        &self,
        team_id: Uuid,
        member_id: Uuid,
    ) -> Result<Option<MemberRecord>, StoreError> {
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(ONE).await?;
        let row = client
            .query_opt(&statement, &[&team_id, &member_id])
            .await?;
        Ok(row.as_ref().map(record).transpose()?)
    }
}
