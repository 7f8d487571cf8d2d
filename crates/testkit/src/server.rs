//! Which PostgreSQL server the test databases live on: `TEST_DATABASE_URL`, else
//! `DATABASE_URL`, else the private test cluster shared by every test process, started by the
//! first one under a file lock.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use stride_storage::cluster::{self, ClusterError, ClusterOptions, PrivateCluster};
use tokio_postgres::Config;

const READY_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) async fn server() -> anyhow::Result<Config> {
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
        None => PrivateCluster::start_with(
            dir,
            ClusterOptions {
                fast_unsafe: true,
                ..ClusterOptions::default()
            },
        )
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
