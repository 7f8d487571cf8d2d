//! The `stride` binary: `serve` the API, `migrate` a database, print the `openapi` document,
//! `seed --demo` a team to look at.
//! Configuration comes from flags or the environment (`DATABASE_URL`, `STRIDE_*`).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

mod bench;
mod seed;

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use stride_storage::Store;
use stride_storage::cluster::{self, ClusterError, PrivateCluster};
use stride_storage::db::DbConfig;
use stride_storage::registry::Registered;
use stride_storage::replicas::ReplicaConfig;

#[derive(Debug, Parser)]
#[command(
    name = "stride",
    version,
    about = "Stride: the backend for marketing run as a marathon"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API. Without DATABASE_URL, starts a private PostgreSQL in the data directory.
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate(DbArgs),
    /// Print the OpenAPI document.
    Openapi,
    /// Measure throughput, latency and memory against their targets (see the README).
    Bench(bench::BenchArgs),
    /// Fill the database with a demo team, four months of its history and a community board.
    Seed(seed::SeedArgs),
    /// Manage projections (read models built from events).
    Projections {
        #[command(subcommand)]
        action: ProjectionsAction,
    },
}

#[derive(Debug, Subcommand)]
enum ProjectionsAction {
    /// Empty a projection (all when no name is given) and replay the whole log into it.
    Rebuild {
        /// `activity`
        name: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct DbArgs {
    /// PostgreSQL URL. Without it Stride runs its own cluster under --data-dir.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Where the private PostgreSQL cluster lives.
    #[arg(long, env = "STRIDE_DATA_DIR", default_value = ".stride")]
    data_dir: PathBuf,
    /// Database connections per server process (1 to 1000).
    #[arg(long, env = "STRIDE_DB_POOL_SIZE", default_value_t = 16,
        value_parser = clap::value_parser!(u16).range(1..=1000))]
    pool_size: u16,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum BoardLimits {
    Shared,
    PerServer,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "STRIDE_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// Origins allowed to call the API from a browser, comma-separated; `*` for any.
    #[arg(
        long,
        env = "STRIDE_CORS_ORIGINS",
        value_delimiter = ',',
        default_value = ""
    )]
    cors_origins: Vec<String>,
    /// Hot standbys of the primary (PostgreSQL streaming replication) that serve reads of the
    /// projections, as PostgreSQL URLs, comma-separated. Needs DATABASE_URL.
    #[arg(
        long,
        env = "STRIDE_REPLICA_URLS",
        hide_env_values = true,
        value_delimiter = ',',
        default_value = ""
    )]
    replica_urls: Vec<String>,
    /// Milliseconds a standby may be behind the primary and still serve reads that name no
    /// position (1 to 600000).
    #[arg(long, env = "STRIDE_REPLICA_MAX_LAG_MS", default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(1..=600_000))]
    replica_max_lag_ms: u64,
    /// Proxies (CIDRs or addresses, comma-separated) whose `Forwarded` or `X-Forwarded-For`
    /// header names the client, for the board's per-address limits; from any other peer
    /// those headers are ignored.
    #[arg(
        long,
        env = "STRIDE_TRUSTED_PROXIES",
        value_delimiter = ',',
        default_value = ""
    )]
    trusted_proxies: Vec<String>,
    /// After SIGTERM, seconds the server still takes requests while /readyz answers 503, so
    /// that a load balancer's health check sees it first (0 to 300).
    #[arg(long, env = "STRIDE_SHUTDOWN_NOTICE_SECS", default_value_t = 2,
        value_parser = clap::value_parser!(u64).range(0..=300))]
    shutdown_notice_secs: u64,
    /// Seconds requests in flight have to finish once the listener closed (1 to 3600).
    #[arg(long, env = "STRIDE_SHUTDOWN_GRACE_SECS", default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=3600))]
    shutdown_grace_secs: u64,
    /// HTTP worker threads (default: one per core; 1 to 256).
    #[arg(long, env = "STRIDE_WORKERS", value_parser = clap::value_parser!(u16).range(1..=256))]
    workers: Option<u16>,
    /// Public board writes allowed per client address and per contributor, per minute.
    #[arg(long, env = "STRIDE_BOARD_RATE_PER_MINUTE", default_value_t = 30)]
    board_rate_per_minute: u32,
    /// ... of which this many may come at once.
    #[arg(long, env = "STRIDE_BOARD_BURST", default_value_t = 10)]
    board_burst: u32,
    /// Where the board's write limits are kept: `shared` (in PostgreSQL, for every server
    /// together) or `per-server` (each server allows the rate on its own).
    #[arg(long, env = "STRIDE_BOARD_LIMITS", value_enum, default_value_t = BoardLimits::Shared)]
    board_limits: BoardLimits,
    /// Seconds a request body may take to arrive once its head has (1 to 3600); past them,
    /// 408.
    #[arg(long, env = "STRIDE_BODY_TIMEOUT_SECS", default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_timeout_secs: u64,
    /// Milliseconds a read naming a position (`Stride-Min-Position`), an export, an idea
    /// list or a page of the event log waits for the writes it must show (1 to 60000);
    /// past them, 503 `projection_lagging`.
    #[arg(long, env = "STRIDE_MIN_POSITION_WAIT_MS", default_value_t = 2000,
        value_parser = clap::value_parser!(u64).range(1..=60_000))]
    min_position_wait_ms: u64,
    /// Let webhooks send over plain `http` and to loopback, private and link-local
    /// addresses: for local development and tests only.
    #[arg(long, env = "STRIDE_WEBHOOK_ALLOW_PRIVATE", default_value_t = false)]
    webhook_allow_private: bool,
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("STRIDE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn,refinery_core=warn"));
    let json = std::env::var("STRIDE_LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Openapi) {
        init_tracing();
    }
    let result = match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(args) => migrate(args).await,
        Command::Openapi => print_openapi(),
        Command::Bench(args) => bench(args).await,
        Command::Seed(args) => seed::run(args).await,
        Command::Projections {
            action: ProjectionsAction::Rebuild { name, db },
        } => rebuild(name, db).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // A missing PostgreSQL deserves its one clear paragraph, not a log line.
            if let Some(cluster_error) = error.downcast_ref::<ClusterError>() {
                eprintln!("\n{cluster_error}\n");
            } else {
                eprintln!("stride: {error:#}");
            }
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::print_stdout)]
fn print_openapi() -> anyhow::Result<()> {
    let spec = stride_http::openapi().to_pretty_json()?;
    println!("{spec}");
    Ok(())
}

/// The database to use: DATABASE_URL, else a private cluster started now (returned so that
/// it can be stopped on the way out).
async fn database(args: &DbArgs) -> anyhow::Result<(SecretString, Option<PrivateCluster>)> {
    if let Some(url) = &args.database_url {
        return Ok((SecretString::from(url.clone()), None));
    }
    cluster::find_binaries()?;
    let data_dir = absolute(&args.data_dir.join("pg"))?;
    tracing::info!(data_dir = %data_dir.display(), "no DATABASE_URL: using a private PostgreSQL cluster");
    let cluster = PrivateCluster::start(&data_dir).await?;
    let (client, connection) = tokio_postgres::connect(&cluster.url(), tokio_postgres::NoTls)
        .await
        .context("connecting to the private cluster")?;
    tokio::spawn(connection);
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = 'stride'", &[])
        .await?
        .is_some();
    if !exists {
        client.batch_execute("CREATE DATABASE stride").await?;
    }
    let url = format!("postgres://postgres@127.0.0.1:{}/stride", cluster.port());
    Ok((SecretString::from(url), Some(cluster)))
}

fn absolute(path: &std::path::Path) -> anyhow::Result<PathBuf> {
    Ok(if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir()?.join(path)
    })
}

/// Migrates, retrying for a while when the database is still starting.
async fn connect_and_migrate(store: &Store) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match store.pool().get().await {
            Ok(mut client) => return stride_storage::migrate::migrate(&mut client).await,
            Err(error) if Instant::now() < deadline => {
                tracing::warn!(error = %error, "database not reachable yet; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(error) => return Err(error).context("connecting to the database"),
        }
    }
}

async fn migrate(args: DbArgs) -> anyhow::Result<()> {
    let (url, cluster) = database(&args).await?;
    let store = Store::connect(&DbConfig {
        pool_size: 2,
        ..DbConfig::new(url.expose_secret())
    })?;
    let result = connect_and_migrate(&store).await;
    if let Some(cluster) = cluster {
        cluster.stop().await?;
    }
    result?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn bench(args: bench::BenchArgs) -> anyhow::Result<()> {
    let (url, cluster) = database(&args.db).await?;
    let result = bench::run(&args, url.expose_secret()).await;
    if let Some(cluster) = cluster {
        cluster.stop().await?;
    }
    result
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    if args.db.database_url.is_none() && args.replica_urls.iter().any(|u| !u.is_empty()) {
        anyhow::bail!(
            "STRIDE_REPLICA_URLS names standbys of a primary, which DATABASE_URL must name: \
             the private cluster Stride starts without it has no standbys"
        );
    }
    let (url, cluster) = database(&args.db).await?;
    let result = run(&args, &url).await;
    if let Some(cluster) = cluster {
        tracing::info!("stopping the private PostgreSQL cluster");
        cluster.stop().await?;
    }
    result
}

async fn run(args: &ServeArgs, url: &SecretString) -> anyhow::Result<()> {
    let db = DbConfig {
        pool_size: usize::from(args.db.pool_size),
        ..DbConfig::new(url.expose_secret())
    };
    let replicas = ReplicaConfig {
        urls: args
            .replica_urls
            .iter()
            .filter(|u| !u.is_empty())
            .cloned()
            .collect(),
        max_lag: std::time::Duration::from_millis(args.replica_max_lag_ms),
        pool_size: db.pool_size,
    };
    let store = Store::connect_with_replicas(&db, &replicas)?;
    connect_and_migrate(&store).await?;
    store.spawn_wakeups(url.expose_secret().parse()?);
    let listener =
        TcpListener::bind(&args.addr).with_context(|| format!("listening on {}", args.addr))?;
    let config = stride_http::HttpConfig {
        cors_origins: args
            .cors_origins
            .iter()
            .filter(|o| !o.is_empty())
            .cloned()
            .collect(),
        workers: args.workers.map(usize::from),
        board_rate: stride_http::rate_limit::BoardRate {
            per_minute: args.board_rate_per_minute,
            burst: args.board_burst,
        },
        board_limits: match args.board_limits {
            BoardLimits::Shared => stride_http::rate_limit::LimitScope::Shared,
            BoardLimits::PerServer => stride_http::rate_limit::LimitScope::PerServer,
        },
        body_timeout: std::time::Duration::from_secs(args.body_timeout_secs),
        min_position_wait: std::time::Duration::from_millis(args.min_position_wait_ms),
        shutdown: stride_http::drain::Shutdown {
            notice: std::time::Duration::from_secs(args.shutdown_notice_secs),
            grace: std::time::Duration::from_secs(args.shutdown_grace_secs),
        },
        trusted_proxies: stride_http::client_address::TrustedProxies::parse(&args.trusted_proxies)
            .map_err(anyhow::Error::msg)?,
        webhooks: stride_app::webhooks::WebhookPolicy {
            allow_private: args.webhook_allow_private,
        },
    };
    tracing::info!(addr = %listener.local_addr()?, "Stride is serving; docs at /docs");
    stride_http::serve(listener, store, config)?.await?;
    tracing::info!("stopped");
    Ok(())
}

async fn rebuild(name: Option<String>, args: DbArgs) -> anyhow::Result<()> {
    let projections: Vec<Registered> = match name.as_deref() {
        None => Registered::ALL.to_vec(),
        Some(name) => match Registered::named(name) {
            Some(known) => vec![known],
            None => anyhow::bail!(
                "no projection {name:?}; there are: {}",
                Registered::ALL.map(Registered::name).join(", ")
            ),
        },
    };
    let (url, cluster) = database(&args).await?;
    // Each rebuild holds a connection, and may briefly need a second one.
    let store = Store::connect(&DbConfig {
        pool_size: 2 * Registered::ALL.len(),
        ..DbConfig::new(url.expose_secret())
    })?;
    let result = async {
        connect_and_migrate(&store).await?;
        let bars = indicatif::MultiProgress::new();
        // Each rebuild waits on PostgreSQL for most of its time: side by side, they share the
        // machine instead of taking turns.
        futures_util::future::try_join_all(
            projections
                .into_iter()
                .map(|projection| rebuild_one(&store, &bars, projection)),
        )
        .await?;
        anyhow::Ok(())
    }
    .await;
    if let Some(cluster) = cluster {
        cluster.stop().await?;
    }
    result
}

/// Rebuilds one projection with its own progress bar.
async fn rebuild_one(
    store: &Store,
    bars: &indicatif::MultiProgress,
    projection: Registered,
) -> anyhow::Result<()> {
    let name = projection.name();
    let bar = bars.add(indicatif::ProgressBar::new(0).with_message(name));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>11} [{bar:40}] {pos}/{len} events, {per_sec}, {eta} left",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let applied = projection.rebuild(store, progress).await?;
    bar.finish();
    tracing::info!(
        projection = name,
        events = applied,
        seconds = started.elapsed().as_secs_f64(),
        "rebuilt"
    );
    Ok(())
}
