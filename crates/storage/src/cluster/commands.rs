//! Running `initdb` and `pg_ctl start`, and turning a failed command into an error that shows
//! the tail of its output (and of `server.log`).

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};

use super::user::{RunAs, pg_command};
use super::{ClusterError, ClusterOptions, SUPERUSER, io_error};

/// How many lines of a failed command's output or of `server.log` an error shows.
const TAIL_LINES: usize = 20;

pub(super) async fn initdb(
    initdb: &Path,
    data_dir: &Path,
    run_as: Option<RunAs>,
) -> Result<(), ClusterError> {
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
pub(super) async fn start_server(
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

pub(super) fn free_port() -> Result<u16, ClusterError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(io_error("could not find a free port on 127.0.0.1"))
}

pub(super) async fn run(command: Command) -> Result<Output, ClusterError> {
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

pub(super) fn tail(output: &Output) -> String {
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
