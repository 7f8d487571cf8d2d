//! The projector: keeps named projections current from the event log. Each projection has a
//! checkpoint written in the same transaction as its rows; events are applied in batches;
//! in every server process a task per projection competes for a PostgreSQL advisory lock,
//! so one applies while the others wait to take over when its holder dies.
//!
//! An event a projection cannot apply (a bug, never bad input: the domain bounds what it
//! accepts) must not stop every team. The batch is applied again one event at a time, each in
//! a savepoint; the event that fails is recorded in `projection_failures` with its team, that
//! team's later events are skipped by this projection, and every other team's go on. The
//! team's reads of the projection answer `projection_failed` until a rebuild.
//!
//! The [`Projector`] handle reaches this side of storage; waiting for projections is in
//! `registry.rs`, the failures and the check every read makes in `failures.rs`.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use deadpool_postgres::Transaction;

use crate::events::StoredEvent;
use crate::rows::pair;
use crate::{Store, StoreError};

/// Events applied per transaction.
const BATCH: i64 = 500;
/// How often a caught-up projector looks for new events while this process does not hear
/// other processes' appends (its LISTEN connection is down), and how long it waits before
/// trying again after an error.
const POLL: Duration = Duration::from_millis(200);
/// How long a caught-up projector waits without hearing of an append while notifications
/// flow: only events written without one (by hand, in SQL) wait this long.
const QUIET: Duration = Duration::from_secs(5);
/// How long a rebuild waits for an open transaction elsewhere to let it see the log's head.
const REBUILD_WAIT: Duration = Duration::from_secs(60);
/// How long a woken projector lets appends gather before it reads them.
const GATHER: Duration = Duration::from_millis(5);
/// Advisory locks of leaderships (projectors and the like): (this, hashtext(name)).
const LOCK_SPACE: i32 = 0x5354_5250;

/// A read model built only from events.
pub trait Projection: Send + Sync + 'static {
    /// Its name, and the key of its checkpoint.
    const NAME: &'static str;
    /// The tables it owns, emptied by a rebuild.
    const TABLES: &'static [&'static str];
    /// The stream types whose events it reads: others reach it without their data and
    /// metadata, and must be skipped by their stream type.
    const STREAM_TYPES: &'static [&'static str];

    /// Applies a batch of events (any team, any type, in position order) within `tx`.
    fn apply<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        events: &'a [StoredEvent],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a;
}

const ENSURE: &str = "INSERT INTO projections (name) VALUES ($1) ON CONFLICT DO NOTHING";
const CHECKPOINT: &str = "SELECT position FROM projections WHERE name = $1";
// Moving the checkpoint first takes its row lock: a second applier of the same batch finds
// the checkpoint moved and writes nothing. It answers the teams the projection stopped for.
const ADVANCE: &str = "UPDATE projections SET position = $2, updated_at = now() \
     WHERE name = $1 AND position = $3 \
     RETURNING ARRAY(SELECT team_id FROM projection_failures WHERE projection = $1)";
const RECORD_FAILURE: &str = "INSERT INTO projection_failures (team_id, projection, position, error) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (team_id, projection) DO NOTHING";
// The log's last position, found at the end of the position index, against the visibility
// bound: one index probe whether or not anything is hidden.
const HIDDEN: &str = "SELECT coalesce(max(position), 0) >= events_visible_below() FROM events";
// Waits in PostgreSQL until the lock is free: the moment its holder's connection ends,
// this one takes over, with no polling meanwhile.
const LOCK: &str = "SELECT pg_advisory_lock($1, hashtext($2))";
const LAG: &str = "SELECT extract(epoch FROM now() - recorded_at)::float8 FROM events \
     WHERE position > $1 AND position < events_visible_below() ORDER BY position LIMIT 1";
const POSITIONS: &str = "SELECT name, position FROM projections ORDER BY name";

/// The projection's checkpoint, created at 0 when it has none.
async fn checkpoint_on(
    client: &deadpool_postgres::ClientWrapper,
    name: &str,
) -> Result<i64, StoreError> {
    client.execute(ENSURE, &[&name]).await?;
    Ok(client.query_one(CHECKPOINT, &[&name]).await?.try_get(0)?)
}

/// The projections' side of storage: applying, rebuilding, waiting for and checking them.
#[derive(Debug, Clone, Copy)]
pub struct Projector<'a> {
    pub(crate) store: &'a Store,
}

impl Store {
    /// The projections: applying, rebuilding, waiting for and checking them.
    pub fn projections(&self) -> Projector<'_> {
        Projector { store: self }
    }
}

impl Store {
    /// Takes the leadership named `name` among every server on this database, waiting until
    /// it is free, on a connection of its own that holds it. The lock lives as long as the
    /// connection: if the process dies, PostgreSQL releases it and another process takes
    /// over. The connection leaves the pool, so that when its holder drops it, it closes and
    /// releases the lock, rather than going back to the pool still holding it where no later
    /// attempt could take it again.
    pub async fn leadership(
        &self,
        name: &str,
    ) -> Result<deadpool_postgres::ClientWrapper, StoreError> {
        let holder = deadpool_postgres::Object::take(self.pool().get().await?);
        holder.execute(LOCK, &[&LOCK_SPACE, &name]).await?;
        Ok(holder)
    }
}

impl Projector<'_> {
    /// Applies one batch after the projection's checkpoint; the number of events applied.
    pub async fn project_batch<P: Projection>(self, projection: &P) -> Result<usize, StoreError> {
        let mut client = self.store.pool().get().await?;
        let checkpoint = checkpoint_on(&client, P::NAME).await?;
        Ok(self
            .project_on(&mut client, projection, checkpoint)
            .await?
            .0)
    }

    /// Applies one batch after `checkpoint` on `client`: the events applied and the
    /// checkpoint now. When the stored checkpoint is not `checkpoint` (a rebuild moved it),
    /// nothing is applied and the stored one is returned.
    async fn project_on<P: Projection>(
        self,
        client: &mut deadpool_postgres::ClientWrapper,
        projection: &P,
        checkpoint: i64,
    ) -> Result<(usize, i64), StoreError> {
        let mut events =
            crate::events::read_types_after_on(client, checkpoint, BATCH, P::STREAM_TYPES).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok((0, checkpoint));
        };
        let count = events.len();
        let tx = client.transaction().await?;
        let Some(stopped) = advance(&tx, P::NAME, last, checkpoint).await? else {
            drop(tx);
            return Ok((0, checkpoint_on(client, P::NAME).await?));
        };
        events.retain(|e| !stopped.contains(&e.team_id));
        match projection.apply(&tx, &events).await {
            Ok(()) => tx.commit().await?,
            Err(error @ StoreError::Unavailable(_)) => return Err(error),
            Err(error) => {
                tracing::warn!(projection = P::NAME, error = %error, "a batch failed; applying its events one by one");
                drop(tx);
                if !self.isolate(client, projection, checkpoint, events).await? {
                    return Ok((0, checkpoint_on(client, P::NAME).await?));
                }
            }
        }
        self.store.projected().notify_waiters();
        Ok((count, last))
    }

    /// Applies `events` (a batch up to its last position, which failed as a whole) one at a
    /// time, each in a savepoint, recording the events that fail and skipping their teams'
    /// later events. False when another applier moved the checkpoint meanwhile.
    async fn isolate<P: Projection>(
        self,
        client: &mut deadpool_postgres::ClientWrapper,
        projection: &P,
        checkpoint: i64,
        events: Vec<StoredEvent>,
    ) -> Result<bool, StoreError> {
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(true);
        };
        let mut tx = client.transaction().await?;
        let Some(mut stopped) = advance(&tx, P::NAME, last, checkpoint).await? else {
            return Ok(false);
        };
        for event in &events {
            if stopped.contains(&event.team_id) {
                continue;
            }
            let savepoint = tx.savepoint("event").await?;
            match projection
                .apply(&savepoint, std::slice::from_ref(event))
                .await
            {
                Ok(()) => savepoint.commit().await?,
                Err(error @ StoreError::Unavailable(_)) => return Err(error),
                Err(error) => {
                    savepoint.rollback().await?;
                    let cause = crate::one_line(&error);
                    tracing::error!(
                        projection = P::NAME,
                        team_id = %event.team_id,
                        position = event.position,
                        error = %cause,
                        "projection stopped for a team: an event could not be applied"
                    );
                    tx.execute(
                        RECORD_FAILURE,
                        &[&event.team_id, &P::NAME, &event.position, &cause],
                    )
                    .await?;
                    stopped.insert(event.team_id);
                }
            }
        }
        tx.commit().await?;
        self.forget_failure_copy();
        Ok(true)
    }

    /// Applies batches until the projection has caught up with what is visible now.
    pub async fn catch_up<P: Projection>(self, projection: &P) -> Result<usize, StoreError> {
        let mut applied = 0;
        loop {
            match self.project_batch(projection).await? {
                0 => return Ok(applied),
                n => applied += n,
            }
        }
    }

    /// Empties the projection and replays the whole log into it; `progress` hears
    /// (applied, total) after every batch.
    pub async fn rebuild<P: Projection>(
        self,
        projection: &P,
        progress: impl Fn(usize, usize),
    ) -> Result<usize, StoreError> {
        let mut client = self.store.pool().get().await?;
        // Everything committed before the rebuild began is replayed, even what an open
        // transaction elsewhere on the server keeps readers from seeing for now.
        let (total, target): (i64, i64) = {
            let row = client
                .query_one(
                    "SELECT count(*), coalesce(max(position), 0) FROM events",
                    &[],
                )
                .await?;
            (row.try_get(0)?, row.try_get(1)?)
        };
        let tx = client.transaction().await?;
        for table in P::TABLES {
            // Table names come from the projection's own constant, never from input.
            tx.batch_execute(&format!("TRUNCATE {table}")).await?;
        }
        Projector::forget_failures(&tx, P::NAME).await?;
        tx.execute("INSERT INTO projections (name, position) VALUES ($1, 0) ON CONFLICT (name) DO UPDATE SET position = 0, updated_at = now()", &[&P::NAME])
            .await?;
        tx.commit().await?;
        self.forget_failure_copy();
        let total = usize::try_from(total).unwrap_or(0);
        let (mut applied, mut checkpoint) = (0, 0);
        loop {
            let (n, now) = self.project_on(&mut client, projection, checkpoint).await?;
            checkpoint = now;
            if n > 0 {
                applied += n;
                progress(applied, total.max(applied));
            } else if checkpoint >= target {
                return Ok(applied);
            } else if !crate::events::wait_visible_on(&client, target, REBUILD_WAIT).await? {
                return Err(StoreError::Unavailable(anyhow::anyhow!(
                    "position {target} stayed hidden behind an open transaction for {REBUILD_WAIT:?}"
                )));
            }
        }
    }

    /// Every projection's checkpoint.
    pub async fn positions(self) -> Result<Vec<(String, i64)>, StoreError> {
        self.store.query_rows(POSITIONS, &[], pair).await
    }

    /// How long the oldest event a projection at `position` has not applied has waited.
    pub async fn lag_seconds(self, position: i64) -> Result<f64, StoreError> {
        let lag: Option<f64> = self
            .store
            .query_opt(LAG, &[&position], |r| r.try_get(0))
            .await?;
        Ok(lag.unwrap_or(0.0).max(0.0))
    }

    /// Keeps `projection` current for as long as the task runs: takes the projection's
    /// advisory lock (or waits for it), then applies events as they arrive.
    pub fn spawn<P: Projection>(self, projection: P) -> tokio::task::JoinHandle<()> {
        let store = self.store.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) = store.projections().lead(&projection).await {
                    tracing::warn!(projection = P::NAME, error = %error, "projector stopped; retrying");
                }
                tokio::time::sleep(POLL).await;
            }
        })
    }

    async fn lead<P: Projection>(self, projection: &P) -> Result<(), StoreError> {
        let holder = self.store.leadership(P::NAME).await?;
        tracing::info!(projection = P::NAME, "projector active");
        // The leader works on its lock connection alone: it never competes with requests for
        // the pool, and its checkpoint stays in hand between batches.
        let mut holder = holder;
        let mut checkpoint = checkpoint_on(&holder, P::NAME).await?;
        loop {
            if holder.is_closed() {
                return Err(StoreError::Unavailable(anyhow::anyhow!(
                    "lost the projector's lock connection"
                )));
            }
            let watch = self.store.events().watch_appends();
            let (applied, now) = self.project_on(&mut holder, projection, checkpoint).await?;
            checkpoint = now;
            if applied < BATCH as usize {
                // Caught up: wait for the next append, then let its neighbours commit too,
                // so that one read and one transaction carry many events.
                // Every commit with events announces itself, but a transaction that wrote
                // none (an Idempotency-Key record, say) can hide later events until it ends,
                // and its end is not announced: look again soon while anything is hidden.
                let quiet = if self.store.listening() && !hidden_on(&holder).await? {
                    QUIET
                } else {
                    POLL
                };
                watch.or(quiet).await;
                tokio::time::sleep(GATHER).await;
            }
        }
    }
}

/// Whether committed events wait behind a transaction still open (see
/// `events_visible_below`).
async fn hidden_on(client: &deadpool_postgres::ClientWrapper) -> Result<bool, StoreError> {
    let statement = client.prepare_cached(HIDDEN).await?;
    Ok(client.query_one(&statement, &[]).await?.try_get(0)?)
}

/// Moves the checkpoint from `from` to `to` within `tx`: the teams the projection stopped
/// for, or `None` when the checkpoint is no longer at `from`.
async fn advance(
    tx: &Transaction<'_>,
    name: &str,
    to: i64,
    from: i64,
) -> Result<Option<HashSet<uuid::Uuid>>, StoreError> {
    let statement = tx.prepare_cached(ADVANCE).await?;
    let Some(row) = tx.query_opt(&statement, &[&name, &to, &from]).await? else {
        return Ok(None);
    };
    let stopped: Vec<uuid::Uuid> = row.try_get(0)?;
    Ok(Some(stopped.into_iter().collect()))
}
