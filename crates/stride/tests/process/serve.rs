//! `stride serve` as a newcomer runs it: no DATABASE_URL, so it starts its own PostgreSQL,
//! serves, and stops both cleanly on SIGTERM; the data survives a restart.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::server::{Server, free_port, sign_up};

/// `stride serve` with its own PostgreSQL in `data_dir`.
fn start(data_dir: &Path, name: &str) -> Server {
    Server::start(
        &[("STRIDE_DATA_DIR", data_dir.to_str().unwrap())],
        data_dir.with_extension(format!("{name}.log")),
    )
}

#[tokio::test]
async fn serve_without_a_database_url_runs_its_own_postgres_and_stops_it_on_sigterm() {
    let data_dir =
        std::env::temp_dir().join(format!("stride-serve-{}", uuid::Uuid::now_v7().simple()));
    let http = reqwest::Client::new();

    let mut first = start(&data_dir, "first");
    first.wait_ready(&http).await;
    let team = sign_up(&http, &first.base).await;
    let (status, output) = first.terminate();
    assert!(
        status.success(),
        "a clean exit on SIGTERM, got {status}:\n{output}"
    );
    assert!(
        output.contains("stopping the private PostgreSQL cluster"),
        "{output}"
    );
    assert!(
        !data_dir.join("pg/postmaster.pid").exists(),
        "PostgreSQL stopped with it:\n{output}"
    );

    // The second start finds the cluster initialized, and the team is still there.
    let mut second = start(&data_dir, "second");
    second.wait_ready(&http).await;
    let read = http
        .get(format!("{}/v1/teams/{}", second.base, team.id))
        .bearer_auth(&team.token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status().as_u16(), 200);
    second.stop();
    assert!(!data_dir.join("pg/postmaster.pid").exists());

    let _ = std::fs::remove_dir_all(&data_dir);
    let _ = std::fs::remove_file(data_dir.with_extension("first.log"));
    let _ = std::fs::remove_file(data_dir.with_extension("second.log"));
}

#[test]
fn with_neither_a_database_url_nor_postgresql_it_says_what_to_install_or_set() {
    let data_dir =
        std::env::temp_dir().join(format!("stride-none-{}", uuid::Uuid::now_v7().simple()));
    let output = Command::new(env!("CARGO_BIN_EXE_stride"))
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env("STRIDE_PG_BIN_DIR", data_dir.join("no-postgres-here"))
        .env("STRIDE_DATA_DIR", &data_dir)
        .env("STRIDE_ADDR", format!("127.0.0.1:{}", free_port()))
        .stdin(Stdio::null())
        .output()
        .expect("stride runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    for needed in [
        "Stride needs PostgreSQL",
        "DATABASE_URL",
        "apt-get install postgresql",
        "STRIDE_PG_BIN_DIR",
    ] {
        assert!(
            stderr.contains(needed),
            "{needed:?} missing from:\n{stderr}"
        );
    }
    assert!(!data_dir.join("pg").exists(), "nothing was initialized");
}
