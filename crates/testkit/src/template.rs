//! The migrated template every test database is cloned from: named after the migrations'
//! fingerprint, built by one process at a time under an advisory lock, and published under its
//! name only once complete. Also sweeps up test databases that killed test processes left.

use std::time::{Duration, SystemTime};

use anyhow::Context;
use sha2::{Digest, Sha256};
use tokio_postgres::{Client, Config};
use uuid::Uuid;

use super::{TEST_DB_PREFIX, close, connect, quote_ident, retry_while_in_use};

const TEMPLATE_PREFIX: &str = "stride_template_";
/// A template under construction; renamed to its final name only once fully migrated.
const BUILD_PREFIX: &str = "stride_template_build_";
/// An arbitrary constant: the advisory lock under which one process builds a template.
const TEMPLATE_LOCK: i64 = 0x5354_5249_4445_7E57;
/// A test database this old was leaked by a test process that was killed before its drop.
const ABANDONED_AFTER: Duration = Duration::from_secs(2 * 60 * 60);

pub(super) const TEMPLATE_EXISTS: &str = "SELECT 1 FROM pg_database WHERE datname = $1";
const DATABASES_LIKE: &str = "SELECT datname FROM pg_database WHERE datname LIKE $1";
const LOCK_TEMPLATE: &str = "SELECT pg_advisory_lock($1)";
const UNLOCK_TEMPLATE: &str = "SELECT pg_advisory_unlock($1)";

/// Makes sure the migrated template exists, builds it if not, and returns its name.
pub(super) async fn prepare_template(admin: &Config) -> anyhow::Result<String> {
    let name = template_name(&stride_storage::migrate::migrations_fingerprint());
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
        let migrated = stride_storage::migrate::migrate(&mut db).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_named_after_the_fingerprint() {
        assert_eq!(
            template_name("0123456789ABCDEF0123"),
            "stride_template_0123456789ab"
        );
        assert_eq!(template_name("v1").len(), TEMPLATE_PREFIX.len() + 12);
    }
}
