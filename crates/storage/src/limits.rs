//! Rate limits shared by every server: the generic cell rate algorithm over one row per key
//! in the unlogged `board_limits` table. A key may make `burst` requests at once, then one
//! every `interval`; each check is one statement that moves the key's theoretical arrival
//! time forward only when it lets the request through, so servers checking the same key at
//! once are serialized by its row and never let more through than one server would.

use std::time::Duration;

use crate::{Store, StoreError};

// Each key's row is inserted or moved when it lets the request through; the keys it did not
// are answered with how long the request must wait for each. The snapshot the outer query
// reads is the one from before the insert, so a refused key's row is read as it stood. Keys
// come sorted: two requests lock their common keys in the same order, and never deadlock.
const TAKE: &str = "WITH taken AS ( \
       INSERT INTO board_limits AS l (key, tat) \
       SELECT k, now() + $2 * interval '1 second' FROM unnest($1::text[]) AS k \
       ON CONFLICT (key) DO UPDATE SET tat = greatest(l.tat, now()) + $2 * interval '1 second' \
       WHERE greatest(l.tat, now()) - now() <= $3 * interval '1 second' \
       RETURNING key) \
     SELECT extract(epoch FROM greatest(b.tat, now()) - now())::float8 - $3 \
     FROM unnest($1::text[]) AS k JOIN board_limits b ON b.key = k \
     WHERE k NOT IN (SELECT key FROM taken)";
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
    /// Takes one request for each of `keys`, in one statement: `Ok(None)` when it may go
    /// ahead, `Ok(Some(wait))` when it must wait that long (the keys that had room have
    /// counted it, as they would one after the other).
    pub async fn take(self, keys: &[&str], quota: Quota) -> Result<Option<Duration>, StoreError> {
        let interval = quota.interval.as_secs_f64();
        let tolerance = interval * f64::from(quota.burst.saturating_sub(1));
        let mut keys = keys.to_vec();
        keys.sort_unstable();
        keys.dedup();
        let waits: Vec<f64> = self
            .store
            .query_rows(TAKE, &[&keys, &interval, &tolerance], |row| {
                row.try_get::<_, f64>(0)
            })
            .await?;
        let longest = waits.into_iter().reduce(f64::max);
        Ok(longest.map(|wait| Duration::from_secs_f64(wait.clamp(0.001, 86_400.0))))
    }

    /// Forgets keys whose every past request has been paid off: they are as good as new.
    pub async fn forget_idle(self) -> Result<u64, StoreError> {
        self.store.execute(FORGET, &[]).await
    }
}
