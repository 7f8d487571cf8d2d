//! Running PostgreSQL's programs as the system user `postgres` when Stride runs as root, since
//! PostgreSQL refuses to run as root.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use nix::unistd::{User, geteuid};

use super::{ClusterError, SUPERUSER};

/// The unprivileged user PostgreSQL runs as when Stride runs as root.
#[derive(Debug, Clone, Copy)]
pub(super) struct RunAs {
    pub(super) uid: u32,
    pub(super) gid: u32,
}

pub(super) fn server_user() -> Result<Option<RunAs>, ClusterError> {
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

/// A command for a PostgreSQL program, run as the server's user and from `/`, which that user
/// can always enter (initdb complains about a working directory it cannot).
pub(super) fn pg_command(program: &Path, run_as: Option<RunAs>) -> Command {
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
