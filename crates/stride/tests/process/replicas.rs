//! Reading from streaming replicas: a private primary and a hot standby made from it with
//! `pg_basebackup -R`, and `stride serve` reading from the standby. A read that names its
//! write's position sees that write whatever server it asks, a standby that stops, falls
//! behind or is promoted is skipped without a failed request, and one that stopped or fell
//! behind is used again once it is well.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stride_storage::cluster::{ClusterOptions, PrivateCluster};
use tokio::sync::Mutex;

use crate::faults::{
    assert_projections_equal_a_rebuild, connect, load, logged_streams, settle, wait_projected,
};
use crate::server::{Server, Team, sign_up_as};

const OPTIONS: ClusterOptions = ClusterOptions {
    fast_unsafe: true,
    port: None,
};

/// A primary and its hot standby, in a directory of their own.
struct Replicated {
    dir: PathBuf,
    primary: Option<PrivateCluster>,
    standby: Option<PrivateCluster>,
    standby_port: u16,
}

impl Replicated {
    async fn start() -> Replicated {
        let dir =
            std::env::temp_dir().join(format!("stride-replicas-{}", uuid::Uuid::now_v7().simple()));
        let primary = PrivateCluster::start_with(&dir.join("primary"), OPTIONS)
            .await
            .unwrap();
        let standby = primary
            .standby(&dir.join("standby"), OPTIONS)
            .await
            .unwrap();
        Replicated {
            standby_port: standby.port(),
            dir,
            primary: Some(primary),
            standby: Some(standby),
        }
    }

    fn primary_url(&self) -> String {
        self.primary.as_ref().unwrap().url()
    }

    fn standby_url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres",
            self.standby_port
        )
    }

    /// The standby's name on `/metrics`.
    fn label(&self) -> String {
        format!("{{replica=\"127.0.0.1:{}\"}}", self.standby_port)
    }

    /// A server reading from the standby.
    async fn serve(&self, http: &reqwest::Client, name: &str) -> Server {
        let (primary, standby) = (self.primary_url(), self.standby_url());
        let env = [
            ("DATABASE_URL", primary.as_str()),
            ("STRIDE_REPLICA_URLS", standby.as_str()),
        ];
        let mut server = Server::start(&env, self.dir.with_extension(format!("{name}.log")));
        server.wait_ready(http).await;
        server
    }

    /// Stops the standby as a crash would.
    async fn crash_standby(&mut self) {
        self.standby.take().unwrap().crash().await.unwrap();
    }

    /// Starts the standby again, at its port, from its own data.
    async fn restart_standby(&mut self) {
        let options = ClusterOptions {
            port: Some(self.standby_port),
            ..OPTIONS
        };
        let standby = PrivateCluster::start_with(&self.dir.join("standby"), options)
            .await
            .unwrap();
        self.standby = Some(standby);
    }

    async fn stop(mut self) {
        if let Some(standby) = self.standby.take() {
            standby.stop().await.unwrap();
        }
        self.primary.take().unwrap().stop().await.unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A sample's value on the server's `/metrics` (0 when absent).
async fn metric(http: &reqwest::Client, base: &str, sample: &str) -> f64 {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(sample)?.trim().parse().ok())
        .unwrap_or(0.0)
}

const REPLICA_READS: &str = "stride_db_reads_total{target=\"replica\"}";
const PRIMARY_READS: &str = "stride_db_reads_total{target=\"primary\"}";

/// Polls `sample` on `base` until `done` holds of it; its last value.
async fn until(
    http: &reqwest::Client,
    base: &str,
    sample: &str,
    within: Duration,
    done: impl Fn(f64) -> bool,
) -> f64 {
    let deadline = Instant::now() + within;
    loop {
        let value = metric(http, base, sample).await;
        if done(value) {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{sample} stayed at {value} for {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Submits an idea; its write's position.
async fn submit(http: &reqwest::Client, base: &str, team: &Team, title: &str) -> String {
    let response = http
        .post(format!("{base}/v1/teams/{}/ideas", team.id))
        .bearer_auth(&team.token)
        .json(&json!({ "title": title }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    response.headers()["stride-position"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The team's newest line in the feed, read after `position` when given; panics on anything
/// but a 200.
async fn newest_line(
    http: &reqwest::Client,
    base: &str,
    team: &Team,
    position: Option<&str>,
) -> String {
    let mut request = http
        .get(format!("{base}/v1/teams/{}/activity?limit=1", team.id))
        .bearer_auth(&team.token);
    if let Some(position) = position {
        request = request.header("stride-min-position", position);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body["items"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_reading_from_a_standby_see_their_own_writes_under_load_and_equal_a_rebuild()
{
    let pair = Replicated::start().await;
    let http = reqwest::Client::new();
    let mut servers = Vec::new();
    for name in ["a", "b", "c"] {
        servers.push(pair.serve(&http, name).await);
    }
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let loaded = sign_up_as(&http, &bases[0], "loaded").await;
    let checked = sign_up_as(&http, &bases[0], "checked").await;
    let stop = Arc::new(AtomicBool::new(false));
    let (acknowledged, writers) = load(&http, &bases, &loaded, &stop);

    // Each write is read back from another server, through the standby when it has it.
    const CHECKS: usize = 60;
    for i in 0..CHECKS {
        let title = format!("Check {i}");
        let position = submit(&http, &bases[i % 3], &checked, &title).await;
        let line = newest_line(&http, &bases[(i + 1) % 3], &checked, Some(&position)).await;
        assert!(line.ends_with(&format!("'{title}'")), "{line}");
    }
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.unwrap();
    }
    assert!(acknowledged.lock().await.len() > 10, "the load ran");
    let mut from_standby = 0.0;
    for base in &bases {
        from_standby += metric(&http, base, REPLICA_READS).await;
    }
    eprintln!("{from_standby} of {CHECKS} reads served by the standby");
    // Most go to the standby (all of them on a quiet machine); a busy one may send some to
    // the primary, which is right too.
    assert!(
        from_standby >= (CHECKS / 10) as f64,
        "only {from_standby} of {CHECKS} reads went to the standby"
    );

    let url = pair.primary_url();
    settle(&url).await;
    let (_, head) = logged_streams(&http, &bases[0], &loaded).await;
    wait_projected(&http, &bases[0], &loaded, head).await;
    for server in servers {
        server.stop();
    }
    assert_projections_equal_a_rebuild(&url).await;
    pair.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_that_stops_is_skipped_without_a_failed_request_and_used_again_when_back() {
    let mut pair = Replicated::start().await;
    let http = reqwest::Client::new();
    let server = pair.serve(&http, "reader").await;
    let base = server.base.clone();
    let team = sign_up_as(&http, &base, "acme").await;
    let position = submit(&http, &base, &team, "Before the crash").await;
    wait_projected(&http, &base, &team, position.parse().unwrap()).await;

    // Readers that must never see anything but a 200.
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (http, base, stop, failures) =
                (http.clone(), base.clone(), stop.clone(), failures.clone());
            let (id, token) = (team.id.clone(), team.token.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let response = http
                        .get(format!("{base}/v1/teams/{id}/activity?limit=5"))
                        .bearer_auth(&token)
                        .timeout(Duration::from_secs(10))
                        .send()
                        .await;
                    match response {
                        Ok(r) if r.status().is_success() => {}
                        Ok(r) => failures.lock().await.push(format!("{}", r.status())),
                        Err(e) => failures.lock().await.push(e.to_string()),
                    }
                }
            })
        })
        .collect();
    let up = format!("stride_replica_up{}", pair.label());
    let minute = Duration::from_secs(60);
    until(&http, &base, REPLICA_READS, minute, |n| n > 0.0).await;

    pair.crash_standby().await;
    until(&http, &base, &up, minute, |v| v == 0.0).await;
    let primary = metric(&http, &base, PRIMARY_READS).await;
    until(&http, &base, PRIMARY_READS, minute, |n| n > primary + 20.0).await;

    pair.restart_standby().await;
    until(&http, &base, &up, minute, |v| v == 1.0).await;
    let replica = metric(&http, &base, REPLICA_READS).await;
    until(&http, &base, REPLICA_READS, minute, |n| n > replica + 20.0).await;

    stop.store(true, Ordering::SeqCst);
    for reader in readers {
        reader.await.unwrap();
    }
    assert_eq!(*failures.lock().await, Vec::<String>::new());
    server.stop();
    pair.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_whose_replay_is_paused_serves_no_read_past_what_it_replayed_nor_once_promoted() {
    let pair = Replicated::start().await;
    let http = reqwest::Client::new();
    let server = pair.serve(&http, "paused").await;
    let base = server.base.clone();
    let team = sign_up_as(&http, &base, "acme").await;
    let position = submit(&http, &base, &team, "Replayed").await;
    newest_line(&http, &base, &team, Some(&position)).await;
    let minute = Duration::from_secs(60);
    // Reads until the standby serves one: on a busy machine it may take a moment to catch up.
    let deadline = Instant::now() + minute;
    while metric(&http, &base, REPLICA_READS).await == 0.0 {
        assert!(Instant::now() < deadline, "the standby served no read");
        newest_line(&http, &base, &team, None).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let standby = connect(&pair.standby_url()).await;
    standby
        .execute("SELECT pg_wal_replay_pause()", &[])
        .await
        .unwrap();
    let before = metric(&http, &base, REPLICA_READS).await;
    for i in 0..8 {
        let title = format!("While paused {i}");
        let position = submit(&http, &base, &team, &title).await;
        let line = newest_line(&http, &base, &team, Some(&position)).await;
        assert!(line.ends_with(&format!("'{title}'")), "{line}");
    }
    assert_eq!(
        metric(&http, &base, REPLICA_READS).await,
        before,
        "no read that named a position went to the paused standby"
    );
    // Past the allowed lag, reads that name no position leave it alone too.
    let lag = format!("stride_replica_lag_seconds{}", pair.label());
    until(&http, &base, &lag, minute, |v| v > 1.0).await;
    for _ in 0..5 {
        let line = newest_line(&http, &base, &team, None).await;
        assert!(line.ends_with("'While paused 7'"), "{line}");
    }
    assert_eq!(metric(&http, &base, REPLICA_READS).await, before);

    standby
        .execute("SELECT pg_wal_replay_resume()", &[])
        .await
        .unwrap();
    until(&http, &base, &lag, minute, |v| (0.0..1.0).contains(&v)).await;
    for _ in 0..5 {
        newest_line(&http, &base, &team, None).await;
    }
    assert!(metric(&http, &base, REPLICA_READS).await > before);

    // Promoted, it is a database of its own that no longer follows the primary: out of use.
    standby.execute("SELECT pg_promote()", &[]).await.unwrap();
    let up = format!("stride_replica_up{}", pair.label());
    until(&http, &base, &up, minute, |v| v == 0.0).await;
    let promoted = metric(&http, &base, REPLICA_READS).await;
    let position = submit(&http, &base, &team, "After the promotion").await;
    let line = newest_line(&http, &base, &team, Some(&position)).await;
    assert!(line.ends_with("'After the promotion'"), "{line}");
    newest_line(&http, &base, &team, None).await;
    assert_eq!(metric(&http, &base, REPLICA_READS).await, promoted);
    server.stop();
    pair.stop().await;
}
