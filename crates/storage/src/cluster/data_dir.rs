//! The cluster's directories: the data directory, created for and checked against the server's
//! user, and the directory of its Unix socket.

use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use nix::unistd::geteuid;
use sha2::{Digest, Sha256};

use super::user::{RunAs, pg_command};
use super::{ClusterError, io_error};

/// `sizeof(sun_path)` minus the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;
const SOCKET_FILE_NAME: &str = "/.s.PGSQL.65535";

/// Creates the data directory (mode 0700, owned by the server's user) and checks that the
/// server's user can reach it; returns its canonical path.
pub(super) async fn prepare_data_dir(
    data_dir: &Path,
    run_as: Option<RunAs>,
) -> Result<PathBuf, ClusterError> {
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

/// The socket directory: the data directory itself, or a short one under /tmp when the socket
/// path would pass the kernel's limit or the path would need quoting in postgresql.conf terms.
pub(super) fn socket_dir(data_dir: &Path, run_as: Option<RunAs>) -> Result<String, ClusterError> {
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
