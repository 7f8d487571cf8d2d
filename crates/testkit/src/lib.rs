//! Per-test databases for every test suite of the workspace. A dev-only crate: test suites
//! depend on it, the server never does, so none of this is compiled into `stride`.
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

pub mod receiver;
mod server;
mod template;

use std::time::Duration;

use anyhow::Context;
use stride_storage::db::config_url;
use tokio::sync::OnceCell;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls};
use uuid::Uuid;

use server::server;
use template::prepare_template;

const TEST_DB_PREFIX: &str = "stride_t_";

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

/// Names generated here are plain, but quoting costs nothing and keeps DDL safe; DDL takes no
/// bind parameters, so these few statements are the only SQL built from strings.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
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
    use super::template::TEMPLATE_EXISTS;
    use super::*;

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
