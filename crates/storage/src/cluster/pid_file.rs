//! Reading `postmaster.pid`: whether a server still runs in a data directory, and on which
//! port, telling a live server from a stale file left by a dead or zombie one.

use std::fs;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;

/// What `postmaster.pid` says about the data directory.
pub(super) enum PidFile {
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

pub(super) fn inspect_pid_file(data_dir: &Path) -> PidFile {
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
