//! Per-test databases for every test suite of the workspace.
//!
//! [`TestDatabase::new`] gives a test a fresh database cloned from a migrated template
//! (`CREATE DATABASE .. TEMPLATE`: milliseconds, not a migration run) and drops it when the
//! value is dropped. The server is `TEST_DATABASE_URL`, else `DATABASE_URL` (its user needs
//! CREATEDB), else a private test cluster in `<target dir>/stride-test-pg`
//! (`STRIDE_TEST_PG_DIR` moves it).
//!
//! cargo-nextest runs every test in its own process, so the test cluster is shared: the first
//! process starts it under a file lock (`stride-test-pg.lock` beside it) and the others find it
//! through its `postmaster.pid`. It is deliberately left running when the tests end, so the
//! next run needs no start-up; `pg_ctl -D target/stride-test-pg stop` stops it (prefix
//! `runuser -u postgres --` when the tests ran as root), and it shuts itself down when
//! `cargo clean` deletes it. It runs with fsync off: deleting the directory is always safe.
//!
//! Templates are named after the migrations' fingerprint, so changing a migration builds a new
//! one; old templates stay until the cluster is deleted.

use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls};
use uuid::Uuid;

use crate::cluster::{self, ClusterError, ClusterOptions, PrivateCluster};

const TEST_DB_PREFIX: &str = "stride_t_";
const TEMPLATE_PREFIX: &str = "stride_template_";
/// A template under construction; renamed to its final name only once fully migrated.
const BUILD_PREFIX: &str = "stride_template_build_";
/// An arbitrary constant: the advisory lock under which one process builds a template.
const TEMPLATE_LOCK: i64 = 0x5354_5249_4445_7E57;
/// A test database this old was leaked by a test process that was killed before its drop.
const ABANDONED_AFTER: Duration = Duration::from_secs(2 * 60 * 60);
const READY_TIMEOUT: Duration = Duration::from_secs(30);

const TEMPLATE_EXISTS: &str = "SELECT 1 FROM pg_database WHERE datname = $1";
const DATABASES_LIKE: &str = "SELECT datname FROM pg_database WHERE datname LIKE $1";
const LOCK_TEMPLATE: &str = "SELECT pg_advisory_lock($1)";
const UNLOCK_TEMPLATE: &str = "SELECT pg_advisory_unlock($1)";

/// The server every test database of this process lives on, and the template they clone.
static SERVER: OnceCell<Config> = OnceCell::const_new();
static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// A fresh, migrated database for one test, dropped with this value.
pub struct TestDatabase {
    name: String,
    config: Config,
    url: String,
    /// Where the database was created from, and so where it is dropped from.
    admin: Config,
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password.
        f.debug_struct("TestDatabase")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl TestDatabase {
    /// A fresh, migrated, empty database for one test.
    pub async fn new() -> anyhow::Result<TestDatabase> {
        let admin = SERVER.get_or_try_init(server).await?.clone();
        let template = TEMPLATE
            .get_or_try_init(|| prepare_template(&admin))
            .await?;
        let name = format!("{TEST_DB_PREFIX}{}", Uuid::now_v7().simple());
        let (client, connection) = connect(&admin).await?;
        let create = format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(&name),
            quote_ident(template)
        );
        let created = retry_while_in_use(&client, &create).await;
        close(client, connection).await;
        created.with_context(|| format!("creating test database {name}"))?;
        let mut config = admin.clone();
        config.dbname(&name);
        let url = config_url(&config);
        Ok(TestDatabase {
            name,
            config,
            url,
            admin,
        })
    }

    /// The postgres URL of this test's database.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A connection to this test's database, driven by a task on the current runtime.
    pub async fn connect(&self) -> anyhow::Result<Client> {
        let (client, _connection) = connect(&self.config).await?;
        Ok(client)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop cannot await, and the test's runtime may be the one calling it: a runtime of
        // its own on a thread of its own cannot deadlock with it.
        let dropped = std::thread::spawn(move || -> anyhow::Result<()> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(drop_database(&admin, &name))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("could not drop test database {}: {error:#}", self.name),
            Err(_) => eprintln!("dropping test database {} panicked", self.name),
        }
    }
}

/// Formats a connection config as a `postgres://user:password@host:port/dbname` URL.
pub fn config_url(config: &Config) -> String {
    let mut url = String::from("postgres://");
    if let Some(user) = config.get_user() {
        url.push_str(&encode(user.as_bytes()));
        if let Some(password) = config.get_password() {
            url.push(':');
            url.push_str(&encode(password));
        }
        url.push('@');
    }
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let mut host = match host {
                Host::Tcp(name) if name.contains(':') => format!("[{name}]"),
                Host::Tcp(name) => encode(name.as_bytes()),
                Host::Unix(path) => encode(path.as_os_str().as_bytes()),
            };
            // libpq's rule: one port for every host, or one port per host.
            if let Some(port) = ports.get(i).or(ports.first()) {
                host.push_str(&format!(":{port}"));
            }
            host
        })
        .collect();
    url.push_str(&hosts.join(","));
    if let Some(dbname) = config.get_dbname() {
        url.push('/');
        url.push_str(&encode(dbname.as_bytes()));
    }
    let mut params = Vec::new();
    match config.get_ssl_mode() {
        SslMode::Disable => params.push("sslmode=disable".to_owned()),
        SslMode::Require => params.push("sslmode=require".to_owned()),
        _ => {}
    }
    if let Some(name) = config.get_application_name() {
        params.push(format!("application_name={}", encode(name.as_bytes())));
    }
    if let Some(options) = config.get_options() {
        params.push(format!("options={}", encode(options.as_bytes())));
    }
    if !params.is_empty() {
        url.push('?');
        url.push_str(&params.join("&"));
    }
    url
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Names generated here are plain, but quoting costs nothing and keeps DDL safe; DDL takes no
/// bind parameters, so these few statements are the only SQL built from strings.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn server() -> anyhow::Result<Config> {
    for var in ["TEST_DATABASE_URL", "DATABASE_URL"] {
        if let Ok(url) = std::env::var(var)
            && !url.trim().is_empty()
        {
            let mut config: Config = url
                .parse()
                .with_context(|| format!("{var} is not a valid PostgreSQL URL"))?;
            if config.get_connect_timeout().is_none() {
                config.connect_timeout(Duration::from_secs(10));
            }
            return Ok(config);
        }
    }
    let port = shared_test_cluster().await?;
    let mut config: Config = format!("postgres://postgres@127.0.0.1:{port}/postgres").parse()?;
    config.connect_timeout(Duration::from_secs(10));
    Ok(config)
}

/// The port of the shared test cluster, started by whichever test process comes first.
async fn shared_test_cluster() -> anyhow::Result<u16> {
    if let Some(dir) = std::env::var_os("STRIDE_TEST_PG_DIR").filter(|dir| !dir.is_empty()) {
        return shared_cluster_in(&std::path::absolute(dir)?).await;
    }
    let dir = target_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("stride-test-pg");
    match shared_cluster_in(&dir).await {
        // Running as root with the workspace where the postgres user cannot go (under /root,
        // say): the temporary directory always works.
        Err(error)
            if matches!(
                error.downcast_ref::<ClusterError>(),
                Some(ClusterError::Unreachable { .. })
            ) =>
        {
            let fallback = std::env::temp_dir().join("stride-test-pg");
            eprintln!(
                "{error}\nUsing {} for the test cluster instead.",
                fallback.display()
            );
            shared_cluster_in(&fallback).await
        }
        result => result,
    }
}

async fn shared_cluster_in(dir: &Path) -> anyhow::Result<u16> {
    if let Some(port) = cluster::running_port(dir)
        && cluster::wait_until_ready(port, Duration::ZERO)
            .await
            .is_ok()
    {
        return Ok(port);
    }
    let Some(name) = dir.file_name() else {
        bail!("{} cannot hold a test cluster", dir.display());
    };
    let mut lock_name = name.to_owned();
    lock_name.push(".lock");
    let lock_path = dir.with_file_name(lock_name);
    if let Some(parent) = lock_path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    // Blocks until the process starting the cluster is done; flock, so a killed holder
    // releases it.
    let lock = tokio::task::spawn_blocking(move || -> anyhow::Result<File> {
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("opening {}", lock_path.display()))?;
        file.lock()
            .with_context(|| format!("locking {}", lock_path.display()))?;
        Ok(file)
    })
    .await??;
    let port = match cluster::running_port(dir) {
        Some(port) => {
            cluster::wait_until_ready(port, READY_TIMEOUT).await?;
            port
        }
        None => PrivateCluster::start_with(dir, ClusterOptions { fast_unsafe: true })
            .await?
            .detach(),
    };
    drop(lock);
    Ok(port)
}

/// Cargo's target directory: `CARGO_TARGET_DIR`, else the ancestor of this test binary that
/// holds the `CACHEDIR.TAG` cargo writes there.
fn target_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from)
        && dir.is_absolute()
    {
        return Some(dir);
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .skip(1)
        .find(|dir| dir.join("CACHEDIR.TAG").is_file() || dir.ends_with("target"))
        .map(Path::to_path_buf)
}

/// Makes sure the migrated template exists, builds it if not, and returns its name.
async fn prepare_template(admin: &Config) -> anyhow::Result<String> {
    let name = template_name(&crate::migrate::migrations_fingerprint());
    let (client, connection) = connect(admin).await?;
    // A template appears under its name only when complete, so seeing it needs no lock.
    let built = if client.query_opt(TEMPLATE_EXISTS, &[&name]).await?.is_some() {
        Ok(())
    } else {
        client.execute(LOCK_TEMPLATE, &[&TEMPLATE_LOCK]).await?;
        let built = build_template(&client, admin, &name).await;
        let unlocked = client.execute(UNLOCK_TEMPLATE, &[&TEMPLATE_LOCK]).await;
        built.and(unlocked.map(drop).map_err(Into::into))
    };
    if built.is_ok() {
        drop_abandoned_test_databases(&client).await;
    }
    close(client, connection).await;
    built.with_context(|| format!("preparing template database {name}"))?;
    Ok(name)
}

fn template_name(fingerprint: &str) -> String {
    let short: String = fingerprint.chars().take(12).collect();
    let short = if short.len() == 12 && short.bytes().all(|b| b.is_ascii_hexdigit()) {
        short.to_ascii_lowercase()
    } else {
        let digest = Sha256::digest(fingerprint.as_bytes());
        digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
    };
    format!("{TEMPLATE_PREFIX}{short}")
}

/// Builds the template under the template lock, so at most one process builds at a time.
async fn build_template(client: &Client, admin: &Config, name: &str) -> anyhow::Result<()> {
    if client.query_opt(TEMPLATE_EXISTS, &[&name]).await?.is_some() {
        return Ok(());
    }
    // Only the lock holder builds, so any build database now is one whose builder died.
    for row in client
        .query(
            DATABASES_LIKE,
            &[&format!("{}%", like_prefix(BUILD_PREFIX))],
        )
        .await?
    {
        let leftover: String = row.try_get(0)?;
        let drop = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&leftover)
        );
        client.batch_execute(&drop).await?;
    }
    let building = format!("{BUILD_PREFIX}{}", Uuid::now_v7().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {}", quote_ident(&building)))
        .await?;
    let mut config = admin.clone();
    config.dbname(&building);
    let migrated = async {
        let (mut db, connection) = connect(&config).await?;
        let migrated = crate::migrate::migrate(&mut db).await;
        close(db, connection).await;
        migrated
    }
    .await;
    if let Err(error) = migrated {
        let drop = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&building)
        );
        let _ = client.batch_execute(&drop).await;
        return Err(error.context("migrating the template database"));
    }
    // The migration session may still be ending on the server.
    let rename = format!(
        "ALTER DATABASE {} RENAME TO {}",
        quote_ident(&building),
        quote_ident(name)
    );
    retry_while_in_use(client, &rename).await?;
    // No connections: a session on a template makes every clone of it fail.
    let seal = format!(
        "ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false",
        quote_ident(name)
    );
    client.batch_execute(&seal).await?;
    Ok(())
}

/// Drops test databases left by test processes killed before their drop ran; the UUIDv7 in
/// the name says when a database was made. Failures only cost disk space, so they are ignored.
async fn drop_abandoned_test_databases(client: &Client) {
    let Ok(rows) = client
        .query(
            DATABASES_LIKE,
            &[&format!("{}%", like_prefix(TEST_DB_PREFIX))],
        )
        .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get::<_, String>(0) else {
            continue;
        };
        let created = name
            .strip_prefix(TEST_DB_PREFIX)
            .and_then(|id| Uuid::try_parse(id).ok())
            .and_then(|id| id.get_timestamp())
            .map(|ts| {
                let (secs, nanos) = ts.to_unix();
                SystemTime::UNIX_EPOCH + Duration::new(secs, nanos)
            });
        let abandoned = created
            .and_then(|created| SystemTime::now().duration_since(created).ok())
            .is_some_and(|age| age > ABANDONED_AFTER);
        if abandoned {
            let drop = format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&name)
            );
            let _ = client.batch_execute(&drop).await;
        }
    }
}

fn like_prefix(prefix: &str) -> String {
    prefix.replace('_', "\\_")
}

async fn drop_database(admin: &Config, name: &str) -> anyhow::Result<()> {
    let (client, connection) = connect(admin).await?;
    let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name));
    let dropped = client.batch_execute(&drop).await;
    close(client, connection).await;
    Ok(dropped?)
}

/// Runs DDL that fails while another session is connected to a database it names, a state
/// that lasts only while such a session ends.
async fn retry_while_in_use(client: &Client, sql: &str) -> anyhow::Result<()> {
    let mut attempt = 0;
    loop {
        match client.batch_execute(sql).await {
            Err(error) if error.code() == Some(&SqlState::OBJECT_IN_USE) && attempt < 20 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(25 * attempt.min(10))).await;
            }
            result => return Ok(result?),
        }
    }
}

async fn connect(config: &Config) -> anyhow::Result<(Client, tokio::task::JoinHandle<()>)> {
    let (client, connection) =
        config
            .connect(NoTls)
            .await
            .with_context(|| match config.get_dbname() {
                Some(db) => format!("connecting to database {db}"),
                None => "connecting to PostgreSQL".to_owned(),
            })?;
    let connection = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok((client, connection))
}

/// Closes a connection and waits until its socket is gone.
async fn close(client: Client, connection: tokio::task::JoinHandle<()>) {
    drop(client);
    let _ = connection.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_formats_back_into_an_equivalent_url() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgres://me:p%40ss%3Aw%2Frd@db.example.com:6543/stride?sslmode=disable",
            "postgres://me@%2Fvar%2Frun%2Fpostgresql:5432/stride",
            "postgres://me@[::1]:5433,other:5434/stride?application_name=t%20x",
        ] {
            let config: Config = url.parse().unwrap();
            let again: Config = config_url(&config).parse().unwrap();
            assert_eq!(format!("{config:?}"), format!("{again:?}"), "{url}");
            assert_eq!(again.get_password(), config.get_password(), "{url}");
        }
        let config: Config = "host=/tmp user=me dbname=x".parse().unwrap();
        assert_eq!(config_url(&config), "postgres://me@%2Ftmp/x");
    }

    #[test]
    fn the_template_is_named_after_the_fingerprint() {
        assert_eq!(
            template_name("0123456789ABCDEF0123"),
            "stride_template_0123456789ab"
        );
        assert_eq!(template_name("v1").len(), TEMPLATE_PREFIX.len() + 12);
    }

    #[tokio::test]
    async fn each_test_gets_its_own_migrated_database_which_drop_removes() {
        let first = TestDatabase::new().await.unwrap();
        let second = TestDatabase::new().await.unwrap();
        assert_ne!(first.name(), second.name());

        let client = first.connect().await.unwrap();
        let row = client
            .query_one(
                "SELECT current_database(), \
                 (SELECT count(*) FROM refinery_schema_history)",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, String>(0), first.name());
        assert!(row.get::<_, i64>(1) > 0, "the database is migrated");

        let admin = first.admin.clone();
        let name = first.name().to_owned();
        drop(first);
        let (client, _connection) = connect(&admin).await.unwrap();
        let left = client.query_opt(TEMPLATE_EXISTS, &[&name]).await.unwrap();
        assert!(left.is_none(), "{name} was not dropped");
    }
}
