//! Reads from PostgreSQL hot standbys of the primary (streaming replication), and how a read
//! chooses where it goes.
//!
//! A standby replays the primary's log, the projections' tables and checkpoints with it, so
//! its `projections` table says which position its copy of each projection has applied. A
//! read that names a position (`Stride-Min-Position`) goes to a standby whose copy of every
//! projection it reads has applied that position, asked of the standby itself just before the
//! read: a standby only moves forward, so what it answered stays true for the read. When none
//! has, the read waits briefly for one, then goes to the primary. A read that names no
//! position goes to a standby that is less than the configured lag behind.
//!
//! A monitor asks each standby every [`CHECK_EVERY`] how far it has replayed and whether it is
//! still in recovery: one that does not answer, or was promoted (it is no longer a copy of
//! the primary), is skipped until it answers as a standby again. A read that fails on a
//! standby is read again from the primary, so no request fails because a standby went away.
//!
//! Where a read goes is set for the request's task ([`ReadFrom::scope`]); reads of the
//! projections ([`crate::ReadModels`]) honour it, and everything else (writes, the event log,
//! tokens, idempotency records, the projectors) always uses the primary.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::StoreError;

/// How far behind the primary a standby may be to serve reads that name no position.
pub const MAX_LAG_DEFAULT: Duration = Duration::from_secs(1);
/// How often the monitor asks each standby where it is.
pub const CHECK_EVERY: Duration = Duration::from_millis(200);
/// How long a read naming a position waits for a standby to apply it before it goes to the
/// primary.
pub const POSITION_WAIT: Duration = Duration::from_millis(250);
/// How often a waiting read asks again.
const POSITION_POLL: Duration = Duration::from_millis(10);
/// How much of the primary's log positions the monitor remembers to measure lag by.
const HISTORY: Duration = Duration::from_secs(120);
/// How long connecting to a standby may take: one that does not answer is skipped, not waited
/// for.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

const PRIMARY_LSN: &str = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint";
const STANDBY: &str = "SELECT pg_is_in_recovery(), \
       pg_wal_lsn_diff(coalesce(pg_last_wal_replay_lsn(), '0/0'), '0/0')::bigint";
const COVERS: &str = "SELECT count(*) = cardinality($1::text[]) AND coalesce(min(position), 0) >= $2 \
     FROM projections WHERE name = ANY($1)";

/// The standbys to read from.
#[derive(Debug, Clone)]
pub struct ReplicaConfig {
    pub urls: Vec<String>,
    /// Reads that name no position go to a standby less than this behind.
    pub max_lag: Duration,
    /// Connections to each standby.
    pub pool_size: usize,
}

impl ReplicaConfig {
    pub fn new(urls: Vec<String>) -> ReplicaConfig {
        ReplicaConfig {
            urls,
            max_lag: MAX_LAG_DEFAULT,
            pool_size: 16,
        }
    }
}

/// What the monitor last found of a standby.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Health {
    /// It answered as a standby at its last check, and no read has failed on it since.
    pub up: bool,
    /// How long the oldest change it has not replayed has been on the primary (zero when it
    /// has replayed everything); unknown until both it and the primary have answered.
    pub lag: Option<Duration>,
    /// Why it is not up.
    pub problem: Option<String>,
}

/// One standby.
pub struct Replica {
    /// Its host and port, as metrics and logs name it.
    pub name: String,
    pool: Pool,
    health: Mutex<Health>,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Replica {
    fn connect(url: &str, pool_size: usize) -> anyhow::Result<Replica> {
        let mut pg: tokio_postgres::Config = url
            .parse()
            .context("STRIDE_REPLICA_URLS holds an invalid PostgreSQL URL")?;
        pg.connect_timeout(CONNECT_TIMEOUT);
        if pg.get_application_name().is_none() {
            pg.application_name("stride");
        }
        let host = match pg.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
            Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
            None => "localhost".to_owned(),
        };
        let port = pg.get_ports().first().copied().unwrap_or(5432);
        let manager = Manager::from_config(
            pg,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .context("building a standby's connection pool")?;
        Ok(Replica {
            name: format!("{host}:{port}"),
            pool,
            health: Mutex::new(Health::default()),
        })
    }

    /// Its health; a panic elsewhere while holding it leaves a value still worth reading.
    fn lock(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn health(&self) -> Health {
        self.lock().clone()
    }

    fn set(&self, health: Health) {
        *self.lock() = health;
    }

    /// Takes the standby out of use until the monitor finds it well again.
    fn down(&self, problem: String) {
        let mut health = self.lock();
        if health.up {
            tracing::warn!(replica = %self.name, %problem, "standby taken out of use");
        }
        health.up = false;
        health.problem = Some(problem);
    }

    pub(crate) async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(sql).await?;
        Ok(client.query(&statement, params).await?)
    }

    /// Whether its copy of each of `projections` has applied `position`.
    async fn covers(&self, position: i64, projections: &[&str]) -> Result<bool, StoreError> {
        let rows = self.query(COVERS, &[&projections, &position]).await?;
        Ok(rows.first().is_some_and(|r| r.get::<_, bool>(0)))
    }
}

/// Where this request's reads of the projections go.
#[derive(Debug, Clone)]
pub enum ReadFrom {
    Primary,
    Replica(Arc<Replica>),
}

tokio::task_local! {
    static READ_FROM: ReadFrom;
}

impl ReadFrom {
    /// Runs `f` with its reads of the projections going here.
    pub async fn scope<F: Future>(self, f: F) -> F::Output {
        READ_FROM.scope(self, f).await
    }

    /// Where the current task's reads go: the primary unless a scope says otherwise.
    pub(crate) fn current() -> ReadFrom {
        READ_FROM
            .try_with(ReadFrom::clone)
            .unwrap_or(ReadFrom::Primary)
    }

    pub fn is_replica(&self) -> bool {
        matches!(self, ReadFrom::Replica(_))
    }
}

/// The standbys, and the reads each side served.
#[derive(Debug, Default)]
pub(crate) struct Replicas {
    list: Vec<Arc<Replica>>,
    max_lag: Duration,
    next: AtomicUsize,
    primary_reads: AtomicU64,
    replica_reads: AtomicU64,
}

impl Replicas {
    pub(crate) fn connect(config: &ReplicaConfig) -> anyhow::Result<Replicas> {
        let list = config
            .urls
            .iter()
            .map(|url| Replica::connect(url, config.pool_size).map(Arc::new))
            .collect::<anyhow::Result<_>>()?;
        Ok(Replicas {
            list,
            max_lag: config.max_lag,
            ..Replicas::default()
        })
    }

    pub(crate) fn list(&self) -> &[Arc<Replica>] {
        &self.list
    }

    /// The standbys that are up, starting with the next in turn.
    fn in_turn(&self) -> impl Iterator<Item = &Arc<Replica>> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.list.len();
        (0..n)
            .map(move |i| &self.list[(start + i) % n])
            .filter(|r| r.health().up)
    }

    /// Where a read goes that needs each of `projections` to have applied `position`, or,
    /// without one, that may be at most the configured lag behind.
    pub(crate) async fn choose(&self, position: Option<i64>, projections: &[&str]) -> ReadFrom {
        if self.list.is_empty() {
            return ReadFrom::Primary;
        }
        let Some(position) = position else {
            let fresh = self
                .in_turn()
                .find(|r| r.health().lag.is_some_and(|lag| lag <= self.max_lag));
            return fresh.map_or(ReadFrom::Primary, |r| ReadFrom::Replica(r.clone()));
        };
        let deadline = Instant::now() + POSITION_WAIT;
        loop {
            let candidates: Vec<Arc<Replica>> = self.in_turn().cloned().collect();
            if candidates.is_empty() {
                return ReadFrom::Primary;
            }
            for replica in candidates {
                match replica.covers(position, projections).await {
                    Ok(true) => return ReadFrom::Replica(replica),
                    Ok(false) => {}
                    Err(error) => replica.down(error.to_string()),
                }
            }
            if Instant::now() >= deadline {
                return ReadFrom::Primary;
            }
            tokio::time::sleep(POSITION_POLL).await;
        }
    }

    /// Counts a read served by `replica` (or the primary).
    pub(crate) fn count(&self, replica: bool) {
        let counter = if replica {
            &self.replica_reads
        } else {
            &self.primary_reads
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads served so far by the primary and by the standbys.
    pub(crate) fn reads(&self) -> (u64, u64) {
        (
            self.primary_reads.load(Ordering::Relaxed),
            self.replica_reads.load(Ordering::Relaxed),
        )
    }

    /// A read on `replica` failed: out of use until the monitor finds it well.
    pub(crate) fn failed(replica: &Replica, error: &StoreError) {
        replica.down(error.to_string());
    }
}

/// Checks every standby each [`CHECK_EVERY`], against the `primary`, while the store holds
/// its standbys.
pub(crate) fn spawn_monitor(
    primary: Pool,
    replicas: Weak<Replicas>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut history: VecDeque<(Instant, i64)> = VecDeque::new();
        let mut ticks = tokio::time::interval(CHECK_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(replicas) = replicas.upgrade() else {
                return;
            };
            check(&primary, &replicas, &mut history).await;
        }
    })
}

async fn check(primary: &Pool, replicas: &Replicas, history: &mut VecDeque<(Instant, i64)>) {
    let primary = match primary.get().await {
        Ok(client) => client
            .query_one(PRIMARY_LSN, &[])
            .await
            .ok()
            .map(|row| row.get::<_, i64>(0)),
        Err(_) => None,
    };
    let now = Instant::now();
    if let Some(lsn) = primary {
        history.push_back((now, lsn));
    }
    while history
        .front()
        .is_some_and(|(at, _)| now.duration_since(*at) > HISTORY)
    {
        history.pop_front();
    }
    let checks = replicas.list().iter().map(|replica| async move {
        let answer = replica.query(STANDBY, &[]).await;
        (replica, answer)
    });
    for (replica, answer) in futures_util::future::join_all(checks).await {
        let health = match answer {
            Err(error) => Health {
                up: false,
                lag: None,
                problem: Some(error.to_string()),
            },
            Ok(rows) => {
                let (in_recovery, replayed): (bool, i64) = (rows[0].get(0), rows[0].get(1));
                if in_recovery {
                    Health {
                        up: true,
                        lag: primary.map(|_| lag(history, replayed, now)),
                        problem: None,
                    }
                } else {
                    Health {
                        up: false,
                        lag: None,
                        problem: Some("it was promoted: no longer a standby of the primary".into()),
                    }
                }
            }
        };
        let was = replica.health();
        if was.up != health.up {
            match &health.problem {
                None => tracing::info!(replica = %replica.name, "standby in use"),
                Some(problem) => {
                    tracing::warn!(replica = %replica.name, %problem, "standby out of use")
                }
            }
        }
        replica.set(health);
    }
}

/// How long the oldest change not yet `replayed` has been on the primary, by the primary's
/// log positions seen at each check (`history`, oldest first): zero when nothing seen is
/// missing.
fn lag(history: &VecDeque<(Instant, i64)>, replayed: i64, now: Instant) -> Duration {
    history
        .iter()
        .find(|(_, lsn)| *lsn > replayed)
        .map_or(Duration::ZERO, |(at, _)| now.duration_since(*at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_the_age_of_the_oldest_change_not_replayed() {
        let now = Instant::now();
        let seen = |secs_ago: u64, lsn| (now - Duration::from_secs(secs_ago), lsn);
        let history = VecDeque::from([seen(5, 100), seen(3, 200), seen(1, 300)]);
        assert_eq!(lag(&history, 300, now), Duration::ZERO);
        assert_eq!(lag(&history, 250, now), Duration::from_secs(1));
        assert_eq!(lag(&history, 150, now), Duration::from_secs(3));
        assert_eq!(lag(&history, 10, now), Duration::from_secs(5));
        assert_eq!(lag(&VecDeque::new(), 10, now), Duration::ZERO);
    }
}
