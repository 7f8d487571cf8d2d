//! Projector fail-over: two servers on the bench's database, the one holding the
//! leaderships (every projection, the webhook signal watcher) killed with SIGKILL, and the
//! time until the other holds every one of them. PostgreSQL releases a dead server's
//! advisory locks as soon as it sees its connections close; the survivor's projectors try
//! again within their retry interval.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;

/// Kills measured.
pub const ROUNDS: usize = 3;
/// How long the survivor may take before the round counts as failed.
const GIVE_UP: Duration = Duration::from_secs(30);

#[derive(Debug, Serialize)]
pub struct FailoverReport {
    /// Leaderships handed over in each round.
    pub leaderships: i64,
    /// Seconds from the kill until the survivor held every leadership, per round.
    pub takeover_s: Vec<f64>,
}

impl FailoverReport {
    pub fn worst_s(&self) -> f64 {
        self.takeover_s.iter().copied().fold(0.0, f64::max)
    }
}

/// Leaderships held by the connections named `application` (advisory locks in Stride's
/// lock space, in this database).
const HELD: &str = "SELECT count(DISTINCT l.objid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 1398035024 \
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
       AND a.application_name = $1";

fn start(database_url: &str, name: &str) -> anyhow::Result<(Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let separator = if database_url.contains('?') { '&' } else { '?' };
    let child = Command::new(std::env::current_exe()?)
        .arg("serve")
        .env(
            "DATABASE_URL",
            format!("{database_url}{separator}application_name={name}"),
        )
        .env("STRIDE_ADDR", format!("127.0.0.1:{port}"))
        .env("STRIDE_WORKERS", "1")
        .env("STRIDE_LOG", "warn")
        .env("STRIDE_SHUTDOWN_NOTICE_SECS", "0")
        .stdin(Stdio::null())
        .spawn()
        .context("starting a server")?;
    Ok((child, format!("http://127.0.0.1:{port}")))
}

async fn held(client: &tokio_postgres::Client, name: &str) -> anyhow::Result<i64> {
    Ok(client.query_one(HELD, &[&name]).await?.get(0))
}

/// Waits until `name` holds `count` leaderships (any, when `count` is None); how many.
async fn until_held(
    client: &tokio_postgres::Client,
    name: &str,
    count: Option<i64>,
) -> anyhow::Result<i64> {
    let deadline = Instant::now() + GIVE_UP;
    loop {
        let n = held(client, name).await?;
        if count.map_or(n > 0, |c| n >= c) {
            return Ok(n);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{name} held {n} leaderships after {GIVE_UP:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs the rounds on `database_url`, where no other server runs.
pub async fn run(http: &reqwest::Client, database_url: &str) -> anyhow::Result<FailoverReport> {
    let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let names = ["stride-bench-a", "stride-bench-b"];
    let mut servers = Vec::new();
    for name in names {
        let (child, base) = start(database_url, name)?;
        super::wait_ready(http, &base).await?;
        servers.push(child);
    }
    // The first to start leads: once what it holds stays the same for a second, it holds
    // every leadership.
    let mut leader = 0;
    let mut leaderships = until_held(&client, names[leader], None).await?;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = held(&client, names[leader]).await?;
        if now == leaderships {
            break;
        }
        leaderships = now;
    }
    let mut takeover_s = Vec::new();
    for _ in 0..ROUNDS {
        let survivor = 1 - leader;
        servers[leader].kill().context("killing the leader")?;
        let killed = Instant::now();
        servers[leader].wait()?;
        until_held(&client, names[survivor], Some(leaderships)).await?;
        takeover_s.push(killed.elapsed().as_secs_f64());
        // The killed server comes back as the one waiting.
        let (child, base) = start(database_url, names[leader])?;
        super::wait_ready(http, &base).await?;
        servers[leader] = child;
        leader = survivor;
    }
    for mut server in servers {
        let pid = nix::unistd::Pid::from_raw(server.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM)?;
        server.wait()?;
    }
    Ok(FailoverReport {
        leaderships,
        takeover_s,
    })
}
