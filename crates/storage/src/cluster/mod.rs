//! A private PostgreSQL cluster run from the server binaries installed on the machine, so that
//! `stride serve` works without a `DATABASE_URL` and the test suites need no database set up
//! by hand.
//!
//! The cluster listens on 127.0.0.1 only, with trust authentication for the superuser
//! `postgres`: it is a development database, which is why it never listens anywhere else.
//! PostgreSQL refuses to run as root, so when Stride runs as root (CI containers) `initdb` and
//! `pg_ctl` run as the system user `postgres`, which then owns the data directory.

mod binaries;
mod commands;
mod data_dir;
mod pid_file;
mod user;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

pub use binaries::{PgBinaries, find_binaries};
use commands::{free_port, initdb, run, start_server, tail};
use data_dir::{prepare_data_dir, socket_dir};
use pid_file::{PidFile, inspect_pid_file};
use user::{RunAs, pg_command, server_user};

const SUPERUSER: &str = "postgres";
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// A free port found by binding port 0 can be taken by someone else before PostgreSQL binds it.
const PORT_ATTEMPTS: u32 = 3;

/// What can go wrong while finding, initializing, starting or stopping a private cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "Stride needs PostgreSQL. Either set DATABASE_URL to a PostgreSQL 14+ database you already \
         run (postgres://user:password@host:5432/stride), or install PostgreSQL's server binaries \
         so Stride can start a private cluster in ./.stride/pg: on Debian/Ubuntu `apt-get install \
         postgresql`, on Fedora `dnf install postgresql-server`, on macOS `brew install \
         postgresql@16`. Stride looked for initdb and pg_ctl on PATH and in \
         /usr/lib/postgresql/*/bin; if they are elsewhere, set STRIDE_PG_BIN_DIR to their \
         directory."
    )]
    BinariesNotFound,
    #[error(
        "Stride runs as root, and PostgreSQL refuses to, so Stride starts it as the system user \
         `postgres`, but there is no such user. Run Stride as a normal user, or create the user: \
         `useradd --system --home /var/lib/postgresql postgres`."
    )]
    NoPostgresUser,
    #[error(
        "PostgreSQL runs as the system user `postgres` because Stride runs as root, and that user \
         cannot enter {} on the way to the data directory {}. Give it access (`chmod o+x {}`) or \
         choose a data directory it can reach.",
        blocked.display(), data_dir.display(), blocked.display()
    )]
    Unreachable { data_dir: PathBuf, blocked: PathBuf },
    #[error(
        "the PostgreSQL data directory {} is in use by a running server (PID {pid}); stop it with \
         `pg_ctl -D {} stop`, run as the user that owns the directory, or give this Stride \
         another data directory",
        data_dir.display(), data_dir.display()
    )]
    InUse { data_dir: PathBuf, pid: i32 },
    #[error("`{command}` failed ({status}):\n{output}")]
    CommandFailed {
        command: String,
        status: String,
        output: String,
    },
    #[error("PostgreSQL on 127.0.0.1:{port} did not accept connections: {detail}")]
    NotReady { port: u16, detail: String },
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

fn io_error(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ClusterError {
    let context = context.into();
    move |source| ClusterError::Io { context, source }
}

/// How to start a private cluster.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClusterOptions {
    /// Turns off fsync, synchronous commit and full-page writes: much faster, and a crash of
    /// the machine can corrupt the cluster. Only for throwaway clusters such as the tests'.
    pub fast_unsafe: bool,
    /// The port to listen on; a free one when unset.
    pub port: Option<u16>,
}

/// A PostgreSQL server this process started; stopped when dropped unless detached.
#[derive(Debug)]
pub struct PrivateCluster {
    data_dir: PathBuf,
    port: u16,
    pg_ctl: PathBuf,
    run_as: Option<RunAs>,
    /// Whether dropping this value still has to stop the server.
    armed: bool,
}

impl PrivateCluster {
    /// Initializes `data_dir` once (initdb, only when it holds no PG_VERSION), then starts the
    /// server on 127.0.0.1 at a free port and waits until it accepts connections.
    pub async fn start(data_dir: &Path) -> Result<PrivateCluster, ClusterError> {
        Self::start_with(data_dir, ClusterOptions::default()).await
    }

    /// [`PrivateCluster::start`] with options.
    pub async fn start_with(
        data_dir: &Path,
        options: ClusterOptions,
    ) -> Result<PrivateCluster, ClusterError> {
        let binaries = find_binaries()?;
        let run_as = server_user()?;
        let data_dir = prepare_data_dir(data_dir, run_as).await?;
        match inspect_pid_file(&data_dir) {
            PidFile::Live { pid, .. } => return Err(ClusterError::InUse { data_dir, pid }),
            // PostgreSQL itself refuses a pid file whose PID is still taken, by a zombie or by
            // another process after a container restart.
            PidFile::Stale => {
                let _ = fs::remove_file(data_dir.join("postmaster.pid"));
            }
            PidFile::Absent | PidFile::Unknown => {}
        }
        if !data_dir.join("PG_VERSION").exists() {
            initdb(&binaries.initdb, &data_dir, run_as).await?;
        }
        let socket_dir = socket_dir(&data_dir, run_as)?;
        let mut attempt = 1;
        let port = loop {
            let port = match options.port {
                Some(port) => port,
                None => free_port()?,
            };
            match start_server(
                &binaries.pg_ctl,
                &data_dir,
                &socket_dir,
                port,
                options,
                run_as,
            )
            .await
            {
                Ok(()) => break port,
                Err((error, true)) if attempt < PORT_ATTEMPTS && options.port.is_none() => {
                    tracing::warn!(port, %error, "port taken before PostgreSQL bound it, retrying");
                    attempt += 1;
                }
                Err((error, _)) => return Err(error),
            }
        };
        let cluster = PrivateCluster {
            data_dir,
            port,
            pg_ctl: binaries.pg_ctl,
            run_as,
            armed: true,
        };
        // On failure the cluster is dropped here, which stops the server again.
        wait_until_ready(port, READY_TIMEOUT).await?;
        tracing::info!("PostgreSQL listening on 127.0.0.1:{port}");
        Ok(cluster)
    }

    /// A hot standby of this cluster in `data_dir`, made with `pg_basebackup -R` (streaming
    /// replication from this cluster, which the trust rules `initdb` writes allow from
    /// 127.0.0.1) and started at a free port.
    pub async fn standby(
        &self,
        data_dir: &Path,
        options: ClusterOptions,
    ) -> Result<PrivateCluster, ClusterError> {
        let data_dir = prepare_data_dir(data_dir, self.run_as).await?;
        if !data_dir.join("PG_VERSION").exists() {
            // Beside the real pg_ctl: PATH may hold links to some of the programs only.
            let pg_ctl = fs::canonicalize(&self.pg_ctl).unwrap_or_else(|_| self.pg_ctl.clone());
            let pg_basebackup = pg_ctl.with_file_name("pg_basebackup");
            let mut command = pg_command(&pg_basebackup, self.run_as);
            command
                .arg("-D")
                .arg(&data_dir)
                .args(["-h", "127.0.0.1", "-U", SUPERUSER, "-R", "-X", "stream"])
                .args(["-c", "fast", "-p", &self.port.to_string()]);
            run(command).await?;
        }
        Self::start_with(&data_dir, options).await
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`), as a crash would.
    pub async fn crash(mut self) -> Result<(), ClusterError> {
        self.armed = false;
        let mut command = pg_command(&self.pg_ctl, self.run_as);
        command
            .arg("-D")
            .arg(&self.data_dir)
            .args(["stop", "-m", "immediate", "-w"]);
        run(command).await.map(drop)
    }

    /// The superuser URL of the `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/postgres", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops the server (`pg_ctl stop -m fast`) and waits until it is down.
    pub async fn stop(mut self) -> Result<(), ClusterError> {
        self.armed = false;
        if !self.data_dir.join("postmaster.pid").exists() {
            return Ok(());
        }
        run(self.stop_command()).await.map(drop)
    }

    /// Leaves the server running after this value is dropped and returns its port.
    pub fn detach(mut self) -> u16 {
        self.armed = false;
        self.port
    }

    fn stop_command(&self) -> Command {
        let mut command = pg_command(&self.pg_ctl, self.run_as);
        command
            .arg("-D")
            .arg(&self.data_dir)
            .args(["stop", "-m", "fast", "-w"]);
        command
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        // Synchronous on purpose: a panic or an early return must not leave a server behind,
        // and Drop cannot await.
        match self.stop_command().output() {
            Ok(output) if output.status.success() => {}
            Ok(output) => tracing::warn!(
                data_dir = %self.data_dir.display(),
                "pg_ctl stop failed: {}",
                tail(&output)
            ),
            Err(error) => tracing::warn!(%error, "could not run pg_ctl stop"),
        }
    }
}

/// The port of the server running in `data_dir`, if one runs there.
pub fn running_port(data_dir: &Path) -> Option<u16> {
    match inspect_pid_file(data_dir) {
        PidFile::Live { port, .. } => port,
        _ => None,
    }
}

/// Waits until a PostgreSQL server on 127.0.0.1:`port` accepts connections.
pub async fn wait_until_ready(port: u16, timeout: Duration) -> Result<(), ClusterError> {
    let started = Instant::now();
    loop {
        let error = match ping(port).await {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        // Any other answer from the server (too many clients, say) means it is up.
        if error
            .code()
            .is_some_and(|code| *code != SqlState::CANNOT_CONNECT_NOW)
        {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            return Err(ClusterError::NotReady {
                port,
                detail: error.to_string(),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn ping(port: u16) -> Result<(), tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::Config::new()
        .host("127.0.0.1")
        .port(port)
        .user(SUPERUSER)
        .dbname("postgres")
        .connect_timeout(Duration::from_secs(2))
        .connect(NoTls)
        .await?;
    let connection = tokio::spawn(connection);
    let answer = client.simple_query("SELECT 1").await.map(drop);
    drop(client);
    let _ = connection.await;
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_private_cluster_starts_answers_refuses_a_second_start_and_stops() {
        // Under /tmp, which the postgres user can enter when the tests run as root.
        let dir = PathBuf::from(format!("/tmp/stride-cluster-{}", uuid::Uuid::now_v7()));
        let data_dir = dir.join("pg");

        let cluster = PrivateCluster::start(&data_dir).await.unwrap();
        let port = cluster.port();
        ping(port).await.unwrap();
        assert_eq!(running_port(&data_dir), Some(port));
        let second = PrivateCluster::start(&data_dir).await;
        assert!(
            matches!(second, Err(ClusterError::InUse { .. })),
            "{second:?}"
        );
        cluster.stop().await.unwrap();
        assert!(ping(port).await.is_err());
        assert_eq!(running_port(&data_dir), None);

        // Started again from the existing data directory, then dropped without stop().
        let cluster = PrivateCluster::start(&data_dir).await.unwrap();
        let port = cluster.port();
        ping(port).await.unwrap();
        drop(cluster);
        assert!(ping(port).await.is_err());

        fs::remove_dir_all(&dir).unwrap();
    }
}
