//! A private PostgreSQL cluster run from the server binaries installed on the machine, so that
//! `stride serve` works without a `DATABASE_URL` and the test suites need no database set up
//! by hand.
//!
//! The cluster listens on 127.0.0.1 only, with trust authentication for the superuser
//! `postgres`: it is a development database, which is why it never listens anywhere else.
//! PostgreSQL refuses to run as root, so when Stride runs as root (CI containers) `initdb` and
//! `pg_ctl` run as the system user `postgres`, which then owns the data directory.

use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::{Pid, User, geteuid};
use sha2::{Digest, Sha256};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

const SUPERUSER: &str = "postgres";
/// `sizeof(sun_path)` minus the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;
const SOCKET_FILE_NAME: &str = "/.s.PGSQL.65535";
/// How many lines of a failed command's output or of `server.log` an error shows.
const TAIL_LINES: usize = 20;
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
         /usr/lib/postgresql/*/bin."
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

/// The two PostgreSQL programs a private cluster needs, from one installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    pub initdb: PathBuf,
    pub pg_ctl: PathBuf,
}

/// Finds `initdb` and `pg_ctl` in one directory of PATH, else in the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian and Ubuntu keep them off PATH).
pub fn find_binaries() -> Result<PgBinaries, ClusterError> {
    find_binaries_in(
        std::env::var_os("PATH").as_deref(),
        Path::new("/usr/lib/postgresql"),
    )
    .ok_or(ClusterError::BinariesNotFound)
}

fn find_binaries_in(path: Option<&std::ffi::OsStr>, versions_root: &Path) -> Option<PgBinaries> {
    let mut versions: Vec<(Vec<u64>, PathBuf)> = fs::read_dir(versions_root)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let key = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<Vec<u64>>>()?;
            Some((key, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    // Both from one directory, so the server initdb prepares for is the one pg_ctl starts.
    path.into_iter()
        .flat_map(std::env::split_paths)
        .chain(versions.into_iter().map(|(_, dir)| dir))
        .find_map(|dir| {
            let binaries = PgBinaries {
                initdb: dir.join("initdb"),
                pg_ctl: dir.join("pg_ctl"),
            };
            (is_executable(&binaries.initdb) && is_executable(&binaries.pg_ctl)).then_some(binaries)
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// How to start a private cluster.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClusterOptions {
    /// Turns off fsync, synchronous commit and full-page writes: much faster, and a crash of
    /// the machine can corrupt the cluster. Only for throwaway clusters such as the tests'.
    pub fast_unsafe: bool,
}

/// The unprivileged user PostgreSQL runs as when Stride runs as root.
#[derive(Debug, Clone, Copy)]
struct RunAs {
    uid: u32,
    gid: u32,
}

fn server_user() -> Result<Option<RunAs>, ClusterError> {
    if !geteuid().is_root() {
        return Ok(None);
    }
    match User::from_name(SUPERUSER) {
        Ok(Some(user)) => Ok(Some(RunAs {
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
        })),
        _ => Err(ClusterError::NoPostgresUser),
    }
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
            let port = free_port()?;
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
                Err((error, true)) if attempt < PORT_ATTEMPTS => {
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

/// Creates the data directory (mode 0700, owned by the server's user) and checks that the
/// server's user can reach it; returns its canonical path.
async fn prepare_data_dir(data_dir: &Path, run_as: Option<RunAs>) -> Result<PathBuf, ClusterError> {
    let shown = data_dir.display().to_string();
    let absolute = std::path::absolute(data_dir)
        .map_err(io_error(format!("invalid data directory {shown}")))?;
    if let Some(parent) = absolute.parent() {
        fs::create_dir_all(parent).map_err(io_error(format!("could not create {shown}")))?;
    }
    // Only the data directory itself gets 0700: its parents must stay enterable.
    let created = match fs::DirBuilder::new().mode(0o700).create(&absolute) {
        Ok(()) => true,
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => false,
        Err(error) => return Err(io_error(format!("could not create {shown}"))(error)),
    };
    let data_dir =
        fs::canonicalize(&absolute).map_err(io_error(format!("could not open {shown}")))?;
    let Some(user) = run_as else {
        return Ok(data_dir);
    };
    if !data_dir.join("PG_VERSION").exists() {
        std::os::unix::fs::chown(&data_dir, Some(user.uid), Some(user.gid)).map_err(io_error(
            format!("could not give {} to the postgres user", data_dir.display()),
        ))?;
    }
    // `test -x` as that user honours groups and ACLs, which reading mode bits would not.
    let mut check = pg_command(Path::new("/bin/sh"), run_as);
    check
        .arg("-c")
        .arg(r#"for d in "$@"; do [ -x "$d" ] || { printf '%s' "$d"; exit 1; }; done"#)
        .arg("sh")
        .args(data_dir.ancestors().collect::<Vec<_>>().into_iter().rev());
    let output = tokio::process::Command::from(check)
        .output()
        .await
        .map_err(io_error(
            "could not run /bin/sh to check the data directory",
        ))?;
    if output.status.success() {
        return Ok(data_dir);
    }
    let blocked = PathBuf::from(String::from_utf8_lossy(&output.stdout).into_owned());
    if created {
        let _ = fs::remove_dir(&data_dir);
    }
    Err(ClusterError::Unreachable { data_dir, blocked })
}

async fn initdb(initdb: &Path, data_dir: &Path, run_as: Option<RunAs>) -> Result<(), ClusterError> {
    tracing::info!(
        "initializing a private PostgreSQL cluster in {}",
        data_dir.display()
    );
    let command = |locale: &str| {
        let mut command = pg_command(initdb, run_as);
        command.arg("-D").arg(data_dir).args([
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            locale,
        ]);
        command
    };
    match run(command("--locale=C.UTF-8")).await {
        // Older C libraries (and macOS before 14) have no C.UTF-8; initdb empties the directory
        // after a failure, so trying again is safe.
        Err(ClusterError::CommandFailed { output, .. }) if output.contains("locale") => {
            tracing::info!("C.UTF-8 locale unavailable, initializing without a locale");
            run(command("--no-locale")).await.map(drop)
        }
        result => result.map(drop),
    }
}

/// Starts the server; on failure also says whether the port was taken.
async fn start_server(
    pg_ctl: &Path,
    data_dir: &Path,
    socket_dir: &str,
    port: u16,
    options: ClusterOptions,
    run_as: Option<RunAs>,
) -> Result<(), (ClusterError, bool)> {
    let log = data_dir.join("server.log");
    let log_start = fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    // pg_ctl hands -o to /bin/sh, hence the quoting.
    let mut server_options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -k '{}' -c max_connections=200",
        socket_dir.replace('\'', r"'\''")
    );
    if options.fast_unsafe {
        server_options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
    }
    let mut command = pg_command(pg_ctl, run_as);
    command
        .arg("-D")
        .arg(data_dir)
        .arg("-l")
        .arg(&log)
        .args(["-w", "-t", "60", "-o", &server_options, "start"])
        // Keeps a Ctrl-C meant for Stride away from the server, which Stride stops in order.
        .process_group(0);
    let Err(error) = run(command).await else {
        return Ok(());
    };
    let server_log = fs::read(&log)
        .map(|bytes| bytes.get(log_start as usize..).unwrap_or_default().to_vec())
        .unwrap_or_default();
    let server_log = String::from_utf8_lossy(&server_log);
    let port_taken = server_log.contains("Address already in use");
    let error = match error {
        ClusterError::CommandFailed {
            command,
            status,
            output,
        } => ClusterError::CommandFailed {
            command,
            status,
            output: format!("{output}\nserver.log:\n{}", last_lines(&server_log)),
        },
        other => other,
    };
    Err((error, port_taken))
}

/// The socket directory: the data directory itself, or a short one under /tmp when the socket
/// path would pass the kernel's limit or the path would need quoting in postgresql.conf terms.
fn socket_dir(data_dir: &Path, run_as: Option<RunAs>) -> Result<String, ClusterError> {
    if let Some(dir) = data_dir.to_str()
        && dir.len() + SOCKET_FILE_NAME.len() <= MAX_SOCKET_PATH
        && !dir.contains([',', '"', '\'', '\\', ' ', '\t', '\n'])
    {
        return Ok(dir.to_owned());
    }
    let digest = Sha256::digest(data_dir.as_os_str().as_encoded_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let dir = PathBuf::from(format!("/tmp/stride-pg-{hex}"));
    let shown = dir.display().to_string();
    let owner = run_as.map_or_else(|| geteuid().as_raw(), |user| user.uid);
    match fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {
            if let Some(user) = run_as {
                std::os::unix::fs::chown(&dir, Some(user.uid), Some(user.gid)).map_err(
                    io_error(format!("could not give {shown} to the postgres user")),
                )?;
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            use std::os::unix::fs::MetadataExt;
            // /tmp is shared: never put the socket into a directory someone else controls.
            let meta =
                fs::symlink_metadata(&dir).map_err(io_error(format!("could not open {shown}")))?;
            if !meta.is_dir() || meta.uid() != owner {
                return Err(io_error(format!(
                    "cannot use {shown} for PostgreSQL's socket"
                ))(std::io::Error::other(
                    "it is not a directory owned by the server's user",
                )));
            }
        }
        Err(error) => return Err(io_error(format!("could not create {shown}"))(error)),
    }
    Ok(shown)
}

fn free_port() -> Result<u16, ClusterError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(io_error("could not find a free port on 127.0.0.1"))
}

/// What `postmaster.pid` says about the data directory.
enum PidFile {
    Absent,
    /// Left by a server that is gone.
    Stale,
    /// Being written, or unreadable: PostgreSQL decides.
    Unknown,
    Live {
        pid: i32,
        port: Option<u16>,
    },
}

fn inspect_pid_file(data_dir: &Path) -> PidFile {
    let text = match fs::read_to_string(data_dir.join("postmaster.pid")) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return PidFile::Absent,
        Err(_) => return PidFile::Unknown,
    };
    let mut lines = text.lines();
    // A single-user backend writes its PID negated.
    let Some(pid) = lines
        .next()
        .and_then(|line| line.trim().parse::<i32>().ok())
        .map(i32::abs)
        .filter(|pid| *pid > 0)
    else {
        return PidFile::Unknown;
    };
    // Lines 2 and 3 are the data directory and the start time, line 4 the port.
    let port = lines.nth(2).and_then(|line| line.trim().parse().ok());
    match kill(Pid::from_raw(pid), None) {
        Ok(()) | Err(Errno::EPERM) if is_postmaster_of(pid, data_dir) => {
            PidFile::Live { pid, port }
        }
        _ => PidFile::Stale,
    }
}

/// Whether process `pid` is a live PostgreSQL server in `data_dir`; true when the system
/// cannot say (no /proc).
fn is_postmaster_of(pid: i32, data_dir: &Path) -> bool {
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let Ok(stat) = fs::read_to_string(proc_dir.join("stat")) else {
        return true;
    };
    // `pid (comm) state ...`; comm may itself hold spaces and parentheses.
    let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
        return true;
    };
    let comm = stat.get(open + 1..close).unwrap_or_default();
    let state = stat.get(close + 1..).unwrap_or_default().trim_start();
    // A zombie is dead, only not yet reaped (containers often lack an init that reaps).
    if state.starts_with(['Z', 'X']) || !matches!(comm, "postgres" | "postmaster") {
        return false;
    }
    // The server's working directory is its data directory.
    match (
        fs::read_link(proc_dir.join("cwd")),
        fs::canonicalize(data_dir),
    ) {
        (Ok(cwd), Ok(data_dir)) => cwd == data_dir,
        _ => true,
    }
}

/// A command for a PostgreSQL program, run as the server's user and from `/`, which that user
/// can always enter (initdb complains about a working directory it cannot).
fn pg_command(program: &Path, run_as: Option<RunAs>) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(user) = run_as {
        command.uid(user.uid).gid(user.gid);
    }
    command
}

async fn run(command: Command) -> Result<Output, ClusterError> {
    let shown = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let output = tokio::process::Command::from(command)
        .output()
        .await
        .map_err(io_error(format!("could not run {shown}")))?;
    if output.status.success() {
        return Ok(output);
    }
    Err(ClusterError::CommandFailed {
        command: shown,
        status: output.status.to_string(),
        output: tail(&output),
    })
}

fn tail(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    last_lines(&format!("{stdout}{stderr}"))
}

fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_installed_binaries() {
        let binaries = find_binaries().unwrap();
        assert!(is_executable(&binaries.initdb), "{binaries:?}");
        assert!(is_executable(&binaries.pg_ctl), "{binaries:?}");
    }

    #[test]
    fn prefers_path_then_the_numerically_newest_version() {
        let root = std::env::temp_dir().join(format!("stride-bins-{}", uuid::Uuid::now_v7()));
        for version in ["9.6", "10", "15", "notes"] {
            let bin = root.join("lib").join(version).join("bin");
            fs::create_dir_all(&bin).unwrap();
            for program in ["initdb", "pg_ctl"] {
                fs::write(bin.join(program), "").unwrap();
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(bin.join(program), fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        let lib = root.join("lib");
        let found = find_binaries_in(Some("/nonexistent".as_ref()), &lib).unwrap();
        assert_eq!(found.initdb, lib.join("15/bin/initdb"));
        let on_path = lib.join("9.6/bin");
        let found = find_binaries_in(Some(on_path.as_os_str()), &lib).unwrap();
        assert_eq!(found.pg_ctl, on_path.join("pg_ctl"));
        fs::remove_dir_all(&root).unwrap();
    }

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
