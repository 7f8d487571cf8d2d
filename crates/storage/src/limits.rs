//! Rate limits shared by every server: the generic cell rate algorithm over one row per key
//! in the unlogged `board_limits` table. A key may make `burst` requests at once, then one
//! every `interval`; each check is one statement that moves the key's theoretical arrival
//! time forward only when it lets the request through, so servers checking the same key at
//! once are serialized by its row and never let more through than one server would.

use std::time::Duration;

use crate::{Store, StoreError};

// Allowed: the key's row is inserted or moved, and the statement answers a row. Refused:
// the update's condition fails, nothing changes, and it answers none.
const TAKE: &str = "INSERT INTO board_limits AS l (key, tat) VALUES ($1, now() + $2 * interval '1 second') \
     ON CONFLICT (key) DO UPDATE SET tat = greatest(l.tat, now()) + $2 * interval '1 second' \
     WHERE greatest(l.tat, now()) - now() <= $3 * interval '1 second' \
     RETURNING 1";
// How long the longest wait among refused keys is.
const WAIT: &str = "SELECT max(extract(epoch FROM greatest(tat, now()) - now())::float8) - $2 \
     FROM board_limits WHERE key = ANY($1)";
const FORGET: &str = "DELETE FROM board_limits WHERE tat < now()";

/// How often a key may act: a burst, then one per interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    pub interval: Duration,
    pub burst: u32,
}

/// The shared limits (see the module's documentation).
#[derive(Debug, Clone, Copy)]
pub struct SharedLimits<'a> {
    store: &'a Store,
}

impl Store {
    pub fn shared_limits(&self) -> SharedLimits<'_> {
        SharedLimits { store: self }
    }
}

impl SharedLimits<'_> {
    /// Takes one request for each of `keys`: `Ok(None)` when it may go ahead,
    /// `Ok(Some(wait))` when it must wait that long (the keys that had room have counted it,
    /// as they would one after the other). The statements go out together, one per key on
    /// one connection, in one round trip; each locks one row, so none deadlocks.
    pub async fn take(self, keys: &[&str], quota: Quota) -> Result<Option<Duration>, StoreError> {
        let interval = quota.interval.as_secs_f64();
        let tolerance = interval * f64::from(quota.burst.saturating_sub(1));
        let mut keys = keys.to_vec();
        keys.sort_unstable();
        keys.dedup();
        let client = self.store.pool().get().await?;
        let statement = client.prepare_cached(TAKE).await?;
        let (client, statement) = (&client, &statement);
        let answers = futures_util::future::try_join_all(keys.iter().map(|key| async move {
            client
                .query_opt(statement, &[key, &interval, &tolerance])
                .await
        }))
        .await?;
        let refused: Vec<&str> = keys
            .iter()
            .zip(&answers)
            .filter(|(_, answer)| answer.is_none())
            .map(|(key, _)| *key)
            .collect();
        if refused.is_empty() {
            return Ok(None);
        }
        let statement = client.prepare_cached(WAIT).await?;
        let wait: Option<f64> = client
            .query_one(&statement, &[&refused, &tolerance])
            .await?
            .get(0);
        Ok(Some(Duration::from_secs_f64(
            wait.unwrap_or(0.0).clamp(0.001, 86_400.0),
        )))
    }

    /// Forgets keys whose every past request has been paid off: they are as good as new.
    pub async fn forget_idle(self) -> Result<u64, StoreError> {
        self.store.execute(FORGET, &[]).await
    }
}
