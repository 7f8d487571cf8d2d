//! The connection pool and the [`Store`] handle the rest of Stride holds, and
//! [`config_url`] for code that is handed a connection config but takes a URL.

mod url;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::append::MAX_EVENTS_PER_TRANSACTION;
use crate::board::ContributorToken;
use crate::committer::Committer;
use crate::votes::Voter;

pub use url::config_url;

/// Metric batches written at once. Each holds its observations, their events and the
/// statement's parameters in memory while PostgreSQL, the bound, works through it: more at
/// once would queue there anyway, at the cost of memory here.
const BATCHES_IN_FLIGHT: usize = 2;
/// Contributor tokens kept in memory.
const CONTRIBUTOR_TOKENS: usize = 10_000;
use crate::events::{AppendRequest, Appended};
use crate::{AppendError, StoreError};

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
    committer: Committer,
    voter: Voter,
    /// Admits metric batches into PostgreSQL a few at a time (see [`BATCHES_IN_FLIGHT`]).
    batches: tokio::sync::Semaphore,
    /// Contributor tokens seen, by hash: they are never revoked, so an entry never goes stale.
    contributor_tokens: quick_cache::sync::Cache<Vec<u8>, ContributorToken>,
    /// Woken after every commit that wrote events, in this process or (heard through
    /// LISTEN) in another.
    appended: tokio::sync::Notify,
    /// Holds a permit while this process has commits not yet announced to the others.
    unannounced: tokio::sync::Notify,
    /// Woken whenever a projector in this process commits a batch.
    projected: tokio::sync::Notify,
    /// The projections that stopped for a team, as last read.
    failures: crate::failures::SharedFailureCopy,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// A wake-up armed by [`Store::watch_appends`].
pub struct AppendWatch<'a>(std::pin::Pin<Box<tokio::sync::futures::Notified<'a>>>);

impl AppendWatch<'_> {
    /// Resolves once an append was seen since the watch was armed, or after `timeout`.
    pub async fn or(self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.0).await;
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
        let committer = Committer::start(pool.clone());
        let voter = Voter::start(pool.clone());
        Store {
            inner: Arc::new(Inner {
                pool,
                committer,
                voter,
                batches: tokio::sync::Semaphore::new(BATCHES_IN_FLIGHT),
                contributor_tokens: quick_cache::sync::Cache::new(CONTRIBUTOR_TOKENS),
                appended: tokio::sync::Notify::new(),
                unannounced: tokio::sync::Notify::new(),
                projected: tokio::sync::Notify::new(),
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

    pub(crate) fn failure_copy(&self) -> &crate::failures::SharedFailureCopy {
        &self.inner.failures
    }

    /// Appends the events of one command: all or none, checked against the expected version.
    pub async fn append(&self, request: AppendRequest) -> Result<Appended, AppendError> {
        if request.events.is_empty() || request.events.len() > MAX_EVENTS_PER_TRANSACTION / 2 {
            return Err(AppendError::Store(StoreError::Internal(anyhow::anyhow!(
                "an append holds 1 to {} events, not {}",
                MAX_EVENTS_PER_TRANSACTION / 2,
                request.events.len()
            ))));
        }
        let appended = self.inner.committer.append(request).await;
        self.notify_appended();
        appended
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

    /// Woken whenever a projector in this process commits a batch.
    pub(crate) fn projected(&self) -> &tokio::sync::Notify {
        &self.inner.projected
    }

    /// Resolves when there are commits to announce.
    pub(crate) async fn to_announce(&self) {
        self.inner.unannounced.notified().await;
    }

    /// Resolves after the next append seen (see [`Store::spawn_wakeups`]), or after
    /// `timeout`.
    pub async fn appended_or(&self, timeout: Duration) {
        self.watch_appends().or(timeout).await;
    }

    /// Arms a wake-up for the next append seen, to take before reading: an append that
    /// commits while the caller reads then wakes it at once instead of being missed.
    pub fn watch_appends(&self) -> AppendWatch<'_> {
        let mut notified = Box::pin(self.inner.appended.notified());
        notified.as_mut().enable();
        AppendWatch(notified)
    }

    /// Whether the database answers and the migrations are applied.
    pub async fn ready(&self) -> Result<(), StoreError> {
        let client = self.pool().get().await?;
        crate::migrate::check_applied(&client).await
    }

    /// Pool size and free connections, for /metrics.
    pub fn pool_status(&self) -> deadpool_postgres::Status {
        self.pool().status()
    }
}
