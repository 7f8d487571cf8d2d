//! Schema migrations from `migrations/`, embedded in the binary and applied at start-up and
//! by `stride migrate`. Concurrent servers starting at once take turns under an advisory lock.

use anyhow::Context;
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use crate::StoreError;

mod embedded {
    refinery::embed_migrations!("../../migrations");
}

/// An arbitrary constant: the advisory lock that serializes migration runs.
const MIGRATION_LOCK: i64 = 0x5354_5249_4445_0001;

/// Applies every migration not yet applied.
pub async fn migrate(client: &mut Client) -> anyhow::Result<()> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .context("taking the migration lock")?;
    let report = embedded::migrations::runner()
        .set_abort_divergent(true)
        .run_async(client)
        .await;
    let unlock = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    let report = report.context("applying migrations")?;
    unlock.context("releasing the migration lock")?;
    for migration in report.applied_migrations() {
        tracing::info!(migration = %migration, "applied migration");
    }
    Ok(())
}

/// The latest migration version this build knows.
pub fn latest_version() -> i32 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| m.version())
        .max()
        .unwrap_or(0)
}

/// A digest of every migration: a database built from the same migrations has the same one.
pub fn migrations_fingerprint() -> String {
    let mut hasher = Sha256::new();
    for migration in embedded::migrations::runner().get_migrations() {
        hasher.update(migration.version().to_le_bytes());
        hasher.update(migration.name().as_bytes());
        hasher.update(migration.checksum().to_le_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Fails unless the database holds every migration of this build.
pub async fn check_applied(client: &Client) -> Result<(), StoreError> {
    let row = client
        .query_opt("SELECT max(version) FROM refinery_schema_history", &[])
        .await
        .map_err(|error| match error.code() {
            Some(code) if *code == tokio_postgres::error::SqlState::UNDEFINED_TABLE => {
                StoreError::Unavailable(anyhow::anyhow!("no migrations applied"))
            }
            _ => StoreError::from(error),
        })?;
    let applied: Option<i32> = row.map(|r| r.try_get(0)).transpose()?.flatten();
    if applied.unwrap_or(0) < latest_version() {
        return Err(StoreError::Unavailable(anyhow::anyhow!(
            "migrations pending: database at {applied:?}, this build needs {}",
            latest_version()
        )));
    }
    Ok(())
}
