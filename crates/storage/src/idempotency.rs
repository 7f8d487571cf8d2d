//! Idempotency-Key records: the first response to a keyed request, replayed for 24 hours to
//! a repeat with the same body, refused to a repeat with another body. Each record is filed
//! under the team of the token that made it, so that erasing a person's data forgets that
//! team's records naming them, found by index, and never touches another team's.

use uuid::Uuid;

use crate::{Store, StoreError};

/// What to do with a keyed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotency {
    /// First time: handle it, then `complete` or `release` the key.
    Fresh,
    /// Seen before with the same body: send this response again.
    Replay {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Seen before with another body.
    Mismatch,
    /// The first request with this key is still being handled.
    InProgress,
}

// A key older than 24 hours is forgotten: taking it over counts as fresh.
const CLAIM: &str = "INSERT INTO idempotency_keys (scope, key, request_hash, team_id) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash, status = NULL, \
     headers = NULL, body = NULL, created_at = now(), team_id = excluded.team_id \
     WHERE idempotency_keys.created_at < now() - interval '24 hours' RETURNING 1";
const LOOK: &str = "SELECT request_hash, status, headers, body FROM idempotency_keys WHERE scope = $1 AND key = $2";
const COMPLETE: &str = "UPDATE idempotency_keys SET status = $3, headers = $4, body = $5 WHERE scope = $1 AND key = $2";
const RELEASE: &str =
    "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status IS NULL";
/// Only the team's own records are read (`idempotency_keys_by_team`), however many other
/// teams keep.
const FORGET_NAMING: &str = "DELETE FROM idempotency_keys \
     WHERE team_id = $1 AND position(convert_to($2, 'UTF8') in body) > 0";

/// Idempotency-Key records: begun by a keyed request, then completed or released.
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyKeys<'a> {
    pub(crate) store: &'a Store,
}

impl Store {
    /// Idempotency-Key records.
    pub fn idempotency(&self) -> IdempotencyKeys<'_> {
        IdempotencyKeys { store: self }
    }
}

impl IdempotencyKeys<'_> {
    /// Claims `key` for a request, or says what became of an earlier one with that key.
    pub async fn begin(
        self,
        scope: &str,
        key: &str,
        request_hash: &[u8],
        team_id: Uuid,
    ) -> Result<Idempotency, StoreError> {
        let client = self.store.pool().get().await?;
        if client
            .query_opt(CLAIM, &[&scope, &key, &request_hash, &team_id])
            .await?
            .is_some()
        {
            return Ok(Idempotency::Fresh);
        }
        let Some(row) = client.query_opt(LOOK, &[&scope, &key]).await? else {
            // Released between our two statements: the caller may simply try again.
            return Ok(Idempotency::InProgress);
        };
        let stored_hash: Vec<u8> = row.try_get(0)?;
        if stored_hash != request_hash {
            return Ok(Idempotency::Mismatch);
        }
        let Some(status) = row.try_get::<_, Option<i16>>(1)? else {
            return Ok(Idempotency::InProgress);
        };
        let headers: Option<serde_json::Value> = row.try_get(2)?;
        let headers = headers
            .and_then(|h| serde_json::from_value::<Vec<(String, String)>>(h).ok())
            .unwrap_or_default();
        Ok(Idempotency::Replay {
            status: u16::try_from(status).unwrap_or(200),
            headers,
            body: row.try_get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default(),
        })
    }

    /// Keeps the response to replay for `key`.
    pub async fn complete(
        self,
        scope: &str,
        key: &str,
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), StoreError> {
        let client = self.store.pool().get().await?;
        let headers = serde_json::to_value(headers).map_err(anyhow::Error::from)?;
        let status = i16::try_from(status).unwrap_or(500);
        client
            .execute(COMPLETE, &[&scope, &key, &status, &headers, &body])
            .await?;
        Ok(())
    }

    /// Forgets a key whose request failed, so that a retry is handled afresh.
    pub async fn release(self, scope: &str, key: &str) -> Result<(), StoreError> {
        let client = self.store.pool().get().await?;
        client.execute(RELEASE, &[&scope, &key]).await?;
        Ok(())
    }
}

/// Forgets the team's kept responses that name `person` (a member or contributor id), in
/// the transaction that erases that person's data.
pub(crate) async fn forget_responses_naming(
    tx: &deadpool_postgres::Transaction<'_>,
    team_id: Uuid,
    person: Uuid,
) -> Result<u64, StoreError> {
    let statement = tx.prepare_cached(FORGET_NAMING).await?;
    Ok(tx
        .execute(&statement, &[&team_id, &person.to_string()])
        .await?)
}
