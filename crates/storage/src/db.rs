//! The connection pool and the [`Store`] handle the rest of Stride holds, and
//! [`config_url`] for code that is handed a connection config but takes a URL.
//!
//! `Store` itself only connects and answers for the pool; each part of storage is reached
//! through its own handle, a borrowed view over the same shared state: [`Store::events`],
//! [`Store::votes`], [`Store::observations`], [`Store::projections`], [`Store::directory`],
//! [`Store::idempotency`] and [`Store::read_models`].

mod url;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::StoreError;
use crate::committer::Committer;
use crate::replicas::{ReadFrom, ReplicaConfig, Replicas};
use crate::shared::{ContributorToken, MemberTokens, SharedFailureCopy};
use crate::votes::Voter;

pub use url::config_url;

/// Metric batches written at once. Each holds its observations and the statement's
/// parameters in memory while PostgreSQL, the bound, works through it: four keep both cores
/// busy while a batch waits for its commit to be flushed (`stride bench`: 112k observations/s
/// at 93 MB peak RSS, against 97k/s with two); more would queue in PostgreSQL anyway, at the
/// cost of memory here.
const BATCHES_IN_FLIGHT: usize = 4;
/// Contributor tokens kept in memory.
const CONTRIBUTOR_TOKENS: usize = 10_000;
/// Member tokens kept in memory at most.
const MEMBER_TOKENS: usize = 10_000;

/// How to reach PostgreSQL.
#[derive(Debug, Clone)]
pub struct DbConfig {
    pub url: String,
    pub pool_size: usize,
    /// How long a request waits for a free connection before it is answered 503.
    pub wait_timeout: Duration,
}

impl DbConfig {
    pub fn new(url: impl Into<String>) -> DbConfig {
        DbConfig {
            url: url.into(),
            pool_size: 16,
            wait_timeout: Duration::from_secs(5),
        }
    }
}

/// A handle on the database: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    /// Hot standbys that serve reads of the projections (none unless configured).
    replicas: Arc<Replicas>,
    committer: Committer,
    voter: Voter,
    /// Admits metric batches into PostgreSQL a few at a time (see [`BATCHES_IN_FLIGHT`]).
    batches: tokio::sync::Semaphore,
    /// Contributor tokens seen, by hash: they are never revoked, so an entry never goes stale.
    contributor_tokens: quick_cache::sync::Cache<Vec<u8>, ContributorToken>,
    /// Member tokens that authenticated, while this process hears of their changes.
    member_tokens: MemberTokens,
    /// When this process last recorded each token's use.
    token_uses: quick_cache::sync::Cache<uuid::Uuid, std::time::Instant>,
    /// Woken after every commit that wrote events, in this process or (heard through
    /// LISTEN) in another.
    appended: tokio::sync::Notify,
    /// Holds a permit while this process has commits not yet announced to the others.
    unannounced: tokio::sync::Notify,
    /// Woken whenever a projector in this process commits a batch.
    projected: tokio::sync::Notify,
    /// Wakes the delivery worker when a webhook message is queued to be sent now.
    deliveries_queued: tokio::sync::Notify,
    /// The projections that stopped for a team, as last read.
    failures: SharedFailureCopy,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// Builds a pool. Connections are opened lazily, so this succeeds while PostgreSQL is down.
pub fn pool(config: &DbConfig) -> anyhow::Result<Pool> {
    let mut pg: tokio_postgres::Config = config
        .url
        .parse()
        .context("DATABASE_URL is not a valid PostgreSQL URL")?;
    pg.connect_timeout(Duration::from_secs(3));
    if pg.get_application_name().is_none() {
        pg.application_name("stride");
    }
    let manager = Manager::from_config(
        pg,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(config.pool_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(config.wait_timeout))
        .create_timeout(Some(Duration::from_secs(3)))
        .recycle_timeout(Some(Duration::from_secs(3)))
        .build()
        .context("building the connection pool")
}

impl Store {
    /// A store over `pool`; starts the group-commit workers on the current runtime.
    pub fn new(pool: Pool) -> Store {
        Self::with_replicas(pool, Replicas::default())
    }

    /// A store over `pool` that reads the projections from the standbys of `replicas` too
    /// (see [`crate::replicas`]), and watches them while it lives.
    pub fn connect_with_replicas(
        config: &DbConfig,
        replicas: &ReplicaConfig,
    ) -> anyhow::Result<Store> {
        let store = Self::with_replicas(pool(config)?, Replicas::connect(replicas)?);
        if !store.inner.replicas.list().is_empty() {
            crate::replicas::spawn_monitor(
                store.pool().clone(),
                Arc::downgrade(&store.inner.replicas),
            );
        }
        Ok(store)
    }

    fn with_replicas(pool: Pool, replicas: Replicas) -> Store {
        let committer = Committer::start(pool.clone());
        let voter = Voter::start(pool.clone());
        Store {
            inner: Arc::new(Inner {
                pool,
                replicas: Arc::new(replicas),
                committer,
                voter,
                batches: tokio::sync::Semaphore::new(BATCHES_IN_FLIGHT),
                contributor_tokens: quick_cache::sync::Cache::new(CONTRIBUTOR_TOKENS),
                member_tokens: MemberTokens::new(MEMBER_TOKENS),
                token_uses: quick_cache::sync::Cache::new(MEMBER_TOKENS),
                appended: tokio::sync::Notify::new(),
                unannounced: tokio::sync::Notify::new(),
                projected: tokio::sync::Notify::new(),
                deliveries_queued: tokio::sync::Notify::new(),
                failures: Default::default(),
            }),
        }
    }

    pub fn connect(config: &DbConfig) -> anyhow::Result<Store> {
        Ok(Store::new(pool(config)?))
    }

    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// Whether the database answers and the migrations are applied.
    pub async fn ready(&self) -> Result<(), StoreError> {
        let client = self.pool().get().await?;
        crate::migrate::check_applied(&client).await
    }

    /// Where a read goes that needs each of `projections` to have applied `position` (when
    /// given): a standby that has, else the primary (see [`crate::replicas`]).
    pub async fn read_from(&self, position: Option<i64>, projections: &[&str]) -> ReadFrom {
        self.inner.replicas.choose(position, projections).await
    }

    /// Whether standbys are configured.
    pub fn has_replicas(&self) -> bool {
        !self.inner.replicas.list().is_empty()
    }

    /// Each standby's name and health, for /metrics.
    pub fn replica_health(&self) -> Vec<(String, crate::replicas::Health)> {
        self.inner
            .replicas
            .list()
            .iter()
            .map(|r| (r.name.clone(), r.health()))
            .collect()
    }

    /// Reads of the projections served so far by the primary and by the standbys.
    pub fn reads_served(&self) -> (u64, u64) {
        self.inner.replicas.reads()
    }

    /// Runs a read of the projections where the current request reads from: on its standby,
    /// or (when it has none, or the standby fails) on the primary.
    pub(crate) async fn read_rows(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let replicas = &self.inner.replicas;
        if let ReadFrom::Replica(replica) = ReadFrom::current() {
            match replica.query(sql, params).await {
                Ok(rows) => {
                    replicas.count(true);
                    return Ok(rows);
                }
                Err(error) => Replicas::failed(&replica, &error),
            }
        }
        replicas.count(false);
        self.primary_rows(sql, params).await
    }

    /// Runs `sql` (prepared once per connection) on a pooled connection to the primary.
    async fn primary_rows(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(sql).await?;
        Ok(client.query(&statement, params).await?)
    }

    /// Pool size and free connections, for /metrics.
    pub fn pool_status(&self) -> deadpool_postgres::Status {
        self.pool().status()
    }

    /// Starts announcing this process's appends and listening for others'; runs until the
    /// runtime stops, reconnecting as needed.
    pub fn spawn_wakeups(&self, config: tokio_postgres::Config) -> tokio::task::JoinHandle<()> {
        crate::wakeup::spawn(self.clone(), config)
    }

    /// Runs `sql` (prepared once per connection) on a pooled connection and converts each
    /// row it answers.
    pub(crate) async fn query_rows<T, C, E>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        convert: impl Fn(&Row) -> Result<T, E>,
    ) -> Result<C, StoreError>
    where
        C: FromIterator<T>,
        StoreError: From<E>,
    {
        let rows = self.primary_rows(sql, params).await?;
        Ok(rows.iter().map(convert).collect::<Result<C, E>>()?)
    }

    /// Runs `sql` (prepared once per connection) on a pooled connection and converts the one
    /// row it answers, if any.
    pub(crate) async fn query_opt<T, E>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        convert: impl Fn(&Row) -> Result<T, E>,
    ) -> Result<Option<T>, StoreError>
    where
        StoreError: From<E>,
    {
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(sql).await?;
        let row = client.query_opt(&statement, params).await?;
        Ok(row.as_ref().map(convert).transpose()?)
    }

    /// Runs `sql` (prepared once per connection) on a pooled connection: the rows it
    /// changed.
    pub(crate) async fn execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(sql).await?;
        Ok(client.execute(&statement, params).await?)
    }

    pub(crate) fn failure_copy(&self) -> &SharedFailureCopy {
        &self.inner.failures
    }

    /// The committer that runs group commit.
    pub(crate) fn committer(&self) -> &Committer {
        &self.inner.committer
    }

    /// Wakes whoever waits for new events here, and has them announced to other processes.
    pub(crate) fn notify_appended(&self) {
        self.inner.appended.notify_waiters();
        self.inner.unannounced.notify_one();
    }

    /// Wakes this process's waiters after another process appended.
    pub(crate) fn wake_local(&self) {
        self.inner.appended.notify_waiters();
    }

    /// Woken after every commit that wrote events, here or in another process.
    pub(crate) fn appended(&self) -> &tokio::sync::Notify {
        &self.inner.appended
    }

    /// Whether this process hears other processes' appends and token changes now: its
    /// LISTEN connection is up (see `wakeup.rs`).
    pub(crate) fn listening(&self) -> bool {
        self.inner.member_tokens.listening()
    }

    pub(crate) fn member_tokens(&self) -> &MemberTokens {
        &self.inner.member_tokens
    }

    pub(crate) fn token_uses(&self) -> &quick_cache::sync::Cache<uuid::Uuid, std::time::Instant> {
        &self.inner.token_uses
    }

    pub(crate) fn contributor_tokens(
        &self,
    ) -> &quick_cache::sync::Cache<Vec<u8>, ContributorToken> {
        &self.inner.contributor_tokens
    }

    /// A turn to write a metric batch.
    pub(crate) async fn batch_turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.inner.batches.acquire().await.ok()
    }

    pub(crate) fn voter(&self) -> &Voter {
        &self.inner.voter
    }

    /// Woken when a webhook message is queued to be sent now.
    pub(crate) fn deliveries_queued(&self) -> &tokio::sync::Notify {
        &self.inner.deliveries_queued
    }

    /// Woken whenever a projector in this process commits a batch.
    pub(crate) fn projected(&self) -> &tokio::sync::Notify {
        &self.inner.projected
    }

    /// Resolves when there are commits to announce.
    pub(crate) async fn to_announce(&self) {
        self.inner.unannounced.notified().await;
    }
}
