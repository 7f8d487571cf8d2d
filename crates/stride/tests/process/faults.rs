//! Faults: a server killed with SIGKILL in the middle of a write load loses no acknowledged
//! write, and several servers on one database keep exactly one projector active per
//! projection, hand over when its process dies, and end with projections equal to a rebuild.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stride_testkit::TestDatabase;
use tokio::sync::Mutex;

use crate::server::{Server, Team, answer, sign_up};

/// Concurrent writers in a load.
const WRITERS: usize = 8;

/// What a load's writers had acknowledged: each idea's id and its write's position.
type Acknowledged = Arc<Mutex<Vec<(String, i64)>>>;

/// Writers submitting ideas round-robin to `bases` until `stop`; what was acknowledged:
/// the idea's id and the write's position.
pub(crate) fn load(
    http: &reqwest::Client,
    bases: &[String],
    team: &Team,
    stop: &Arc<AtomicBool>,
) -> (Acknowledged, Vec<tokio::task::JoinHandle<()>>) {
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let tasks = (0..WRITERS)
        .map(|writer| {
            let (http, stop, acknowledged) = (http.clone(), stop.clone(), acknowledged.clone());
            let url = format!("{}/v1/teams/{}/ideas", bases[writer % bases.len()], team.id);
            let token = team.token.clone();
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let sent = http
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({ "title": format!("Idea {writer}-{n}") }))
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await;
                    let Ok(response) = sent else {
                        // The server is gone: nothing was acknowledged.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    };
                    if response.status().as_u16() != 201 {
                        continue;
                    }
                    let position: i64 = response.headers()["stride-position"]
                        .to_str()
                        .unwrap()
                        .parse()
                        .unwrap();
                    let Ok(body) = response.json::<Value>().await else {
                        continue;
                    };
                    let id = body["id"].as_str().unwrap().to_owned();
                    acknowledged.lock().await.push((id, position));
                }
            })
        })
        .collect();
    (acknowledged, tasks)
}

/// Every stream id in the team's log, read through the API, and the last position.
/// Waits until every event committed so far is visible to readers: readers see below the
/// oldest transaction still open anywhere on the PostgreSQL server, and the other tests of
/// this binary run at the same time on it.
pub(crate) async fn settle(url: &str) {
    let client = connect(url).await;
    let head: i64 = client
        .query_one("SELECT coalesce(max(position), 0) FROM events", &[])
        .await
        .unwrap()
        .get(0);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let bound: i64 = client
            .query_one("SELECT events_visible_below()", &[])
            .await
            .unwrap()
            .get(0);
        if bound > head {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "position {head} stayed hidden for a minute"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) async fn logged_streams(
    http: &reqwest::Client,
    base: &str,
    team: &Team,
) -> (BTreeSet<String>, i64) {
    let mut streams = BTreeSet::new();
    let mut after = 0;
    loop {
        let url = format!("{base}/v1/teams/{}/events?after={after}&limit=200", team.id);
        let page = answer(http.get(url).bearer_auth(&team.token)).await;
        let items = page["items"].as_array().unwrap();
        let Some(last) = items.last() else {
            return (streams, after);
        };
        after = last["position"].as_i64().unwrap();
        streams.extend(
            items
                .iter()
                .map(|e| e["stream_id"].as_str().unwrap().to_owned()),
        );
    }
}

/// Waits until the projections served by `base` include `position`.
pub(crate) async fn wait_projected(http: &reqwest::Client, base: &str, team: &Team, position: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let response = http
            .get(format!("{base}/v1/teams/{}/activity?limit=1", team.id))
            .bearer_auth(&team.token)
            .header("stride-min-position", position.to_string())
            .send()
            .await;
        if response.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("position {position} was not projected within 30 s");
}

/// The rows of every projection, in a stable order.
async fn projection_rows(url: &str) -> Vec<String> {
    let client = connect(url).await;
    let mut rows = Vec::new();
    for sql in [
        "SELECT a::text FROM activity a ORDER BY team_id, position",
        "SELECT s::text FROM activity_subjects s ORDER BY team_id, subject_id",
        "SELECT a::text FROM aggregates a ORDER BY team_id, stream_id",
        "SELECT v::text FROM idea_voters v ORDER BY team_id, idea_id, contributor_id",
        "SELECT s::text FROM idea_scores s ORDER BY team_id, idea_id",
        "SELECT w::text FROM workload_events w ORDER BY team_id, position",
        "SELECT name || ' ' || position FROM projections ORDER BY name",
    ] {
        for row in client.query(sql, &[]).await.unwrap() {
            rows.push(row.get::<_, String>(0));
        }
    }
    rows
}

/// `stride projections rebuild` against `url`; panics unless it succeeds.
fn rebuild(url: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_stride"))
        .args(["projections", "rebuild"])
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "rebuild failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A connection to `url`, driven in the background.
pub(crate) async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// The projections the servers left in the database at `url` equal a rebuild from the log.
pub(crate) async fn assert_projections_equal_a_rebuild(url: &str) {
    let live = projection_rows(url).await;
    rebuild(url);
    assert_eq!(
        projection_rows(url).await,
        live,
        "the projections equal a rebuild"
    );
}

fn log_path(db: &TestDatabase, name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("stride-{}-{name}.log", db.name()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_kill_9_and_projections_equal_a_rebuild() {
    let db = TestDatabase::new().await.unwrap();
    let http = reqwest::Client::new();
    let mut server = Server::start(&[("DATABASE_URL", db.url())], log_path(&db, "first"));
    server.wait_ready(&http).await;
    let team = sign_up(&http, &server.base).await;

    let stop = Arc::new(AtomicBool::new(false));
    let (acknowledged, writers) = load(&http, &[server.base.clone()], &team, &stop);
    // Let the load build up, then kill the server mid-flight.
    while acknowledged.lock().await.len() < 200 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill9();
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().await.clone();

    let mut restarted = Server::start(&[("DATABASE_URL", db.url())], log_path(&db, "second"));
    restarted.wait_ready(&http).await;
    settle(db.url()).await;
    let (logged, head) = logged_streams(&http, &restarted.base, &team).await;
    let lost: Vec<&String> = acknowledged
        .iter()
        .map(|(id, _)| id)
        .filter(|id| !logged.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged ideas lost: {lost:?}",
        lost.len()
    );

    // Writes that committed as the server died were never acknowledged, but they are in the
    // log: wait for its head, not for the newest acknowledged position.
    assert!(head >= acknowledged.iter().map(|(_, p)| *p).max().unwrap());
    wait_projected(&http, &restarted.base, &team, head).await;
    restarted.stop();
    assert_projections_equal_a_rebuild(db.url()).await;
}

/// Which application holds each leadership's advisory lock (one row per holder).
async fn lock_holders(client: &tokio_postgres::Client) -> BTreeMap<u32, Vec<String>> {
    let rows = client
        .query(
            "SELECT l.objid::text::bigint, a.application_name FROM pg_locks l \
             JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 1398035024 \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .await
        .unwrap();
    let mut holders: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for row in rows {
        let objid: i64 = row.get(0);
        holders.entry(objid as u32).or_default().push(row.get(1));
    }
    holders
}

/// The leaderships every server competes for: the projections (activity, aggregates,
/// idea_scores, webhook_outbox, workload) and the webhook signal watcher.
pub(crate) const PROJECTIONS: usize = 6;

/// Polls until every leadership has exactly one holder, none of them `gone`; the holders.
async fn wait_for_leaders(
    client: &tokio_postgres::Client,
    gone: Option<&str>,
    within: Duration,
) -> BTreeMap<u32, Vec<String>> {
    let deadline = Instant::now() + within;
    loop {
        let holders = lock_holders(client).await;
        let settled = holders.len() == PROJECTIONS
            && holders
                .values()
                .all(|h| h.len() == 1 && gone.is_none_or(|g| h[0] != g));
        if settled {
            return holders;
        }
        assert!(
            Instant::now() < deadline,
            "no single live leader per projection within {within:?}: {holders:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_three_servers_one_projects_and_another_takes_over_when_it_dies() {
    let db = TestDatabase::new().await.unwrap();
    let http = reqwest::Client::new();
    let separator = if db.url().contains('?') { '&' } else { '?' };
    let names = ["stride-a", "stride-b", "stride-c"];
    let mut servers: BTreeMap<&str, Server> = BTreeMap::new();
    for name in names {
        let url = format!("{}{separator}application_name={name}", db.url());
        let mut server = Server::start(&[("DATABASE_URL", &url)], log_path(&db, name));
        server.wait_ready(&http).await;
        servers.insert(name, server);
    }
    let bases: Vec<String> = servers.values().map(|s| s.base.clone()).collect();
    let team = sign_up(&http, &bases[0]).await;
    let client = db.connect().await.unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let (acknowledged, writers) = load(&http, &bases, &team, &stop);
    while acknowledged.lock().await.len() < 100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let leaders = wait_for_leaders(&client, None, Duration::from_secs(10)).await;
    // Kill the process that leads the most while the writes go on: every leadership it
    // held must find another holder within 5 s.
    let mut led: BTreeMap<&str, usize> = BTreeMap::new();
    for holders in leaders.values() {
        *led.entry(holders[0].as_str()).or_default() += 1;
    }
    let leader = led
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(name, _)| (*name).to_owned())
        .unwrap();
    let killed_at = Instant::now();
    servers.remove(leader.as_str()).unwrap().kill9();
    let next = wait_for_leaders(&client, Some(&leader), Duration::from_secs(5)).await;
    eprintln!("took over in {:?}: {next:?}", killed_at.elapsed());
    let before = acknowledged.lock().await.len();
    while acknowledged.lock().await.len() < before + 100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.unwrap();
    }
    let survivor = servers.values().next().unwrap().base.clone();
    settle(db.url()).await;
    let (_, head) = logged_streams(&http, &survivor, &team).await;
    wait_projected(&http, &survivor, &team, head).await;
    for (_, server) in servers {
        server.stop();
    }
    assert_projections_equal_a_rebuild(db.url()).await;
}

/// Writes one idea; the status, and whether the body was problem+json.
async fn try_write(http: &reqwest::Client, base: &str, team: &Team) -> (u16, bool) {
    match http
        .post(format!("{base}/v1/teams/{}/ideas", team.id))
        .bearer_auth(&team.token)
        .json(&json!({ "title": "While the database restarts" }))
        .timeout(Duration::from_secs(15))
        .send()
        .await
    {
        Ok(response) => {
            let problem = response
                .headers()
                .get("content-type")
                .is_some_and(|c| c.as_bytes().starts_with(b"application/problem+json"));
            (response.status().as_u16(), problem)
        }
        Err(error) => panic!("the server must answer while PostgreSQL is down: {error}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgres_restarts_requests_get_503_and_the_server_recovers_by_itself() {
    use stride_storage::cluster::{ClusterOptions, PrivateCluster};

    let dir =
        std::env::temp_dir().join(format!("stride-restart-{}", uuid::Uuid::now_v7().simple()));
    let options = ClusterOptions {
        fast_unsafe: true,
        ..ClusterOptions::default()
    };
    let cluster = PrivateCluster::start_with(&dir, options).await.unwrap();
    let (url, port) = (cluster.url(), cluster.port());
    let http = reqwest::Client::new();
    let mut server = Server::start(&[("DATABASE_URL", &url)], dir.with_extension("log"));
    server.wait_ready(&http).await;
    let team = sign_up(&http, &server.base).await;
    assert_eq!(try_write(&http, &server.base, &team).await, (201, false));

    cluster.stop().await.unwrap();
    for _ in 0..5 {
        let (status, problem) = try_write(&http, &server.base, &team).await;
        assert!(
            status == 503 && problem,
            "while PostgreSQL is down: {status}, problem+json {problem}"
        );
    }
    let ready = http
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 503);

    let cluster = PrivateCluster::start_with(
        &dir,
        ClusterOptions {
            port: Some(port),
            ..options
        },
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _) = try_write(&http, &server.base, &team).await;
        if status == 201 {
            break;
        }
        assert_eq!(status, 503, "only 503 until it recovers");
        assert!(
            Instant::now() < deadline,
            "the server did not recover within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop();
    cluster.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(dir.with_extension("log"));
}
