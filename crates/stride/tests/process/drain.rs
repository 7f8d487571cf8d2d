//! Draining: a server given SIGTERM under load, beside another. Its `/readyz` answers 503 at
//! once while it still takes requests, its event streams end with a `retry:` hint, its
//! leaderships pass to the other server at once, a request in flight finishes, and it exits
//! 0; no request it took fails, and the projections go on advancing on the other.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::json;
use stride_testkit::TestDatabase;
use tokio::sync::Mutex;

use crate::faults::{
    PROJECTIONS, assert_projections_equal_a_rebuild, connect, settle, wait_projected,
};
use crate::server::{Server, Team, sign_up};

/// Leaderships (advisory locks in Stride's lock space) held by each application name.
async fn leaderships(client: &tokio_postgres::Client) -> BTreeMap<String, i64> {
    client
        .query(
            "SELECT a.application_name, count(*) FROM pg_locks l \
             JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 1398035024 \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             GROUP BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

/// What the writers saw: requests created, requests the server never answered (refused
/// connections, and connections closed or reset before an answer: the balancer's to send
/// elsewhere), and failures (answered with anything but 201).
#[derive(Debug, Default)]
struct Outcomes {
    created: usize,
    unanswered: usize,
    failures: Vec<String>,
}

/// Writers submitting ideas round-robin to `bases` until `stop`.
fn writers(
    http: &reqwest::Client,
    bases: &[String],
    team: &Team,
    stop: &Arc<AtomicBool>,
    outcomes: &Arc<Mutex<Outcomes>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..6)
        .map(|writer| {
            let (http, stop, outcomes) = (http.clone(), stop.clone(), outcomes.clone());
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
                        .timeout(Duration::from_secs(20))
                        .send()
                        .await;
                    let mut outcomes = outcomes.lock().await;
                    match sent {
                        Ok(response) if response.status().as_u16() == 201 => outcomes.created += 1,
                        Ok(response) => outcomes
                            .failures
                            .push(format!("{url}: {}", response.status())),
                        // Unanswered: whether it was taken is checked against the log.
                        Err(_) => {
                            outcomes.unanswered += 1;
                            drop(outcomes);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_given_sigterm_under_load_drains_and_no_request_it_took_fails() {
    let db = TestDatabase::new().await.unwrap();
    let http = reqwest::Client::new();
    let separator = if db.url().contains('?') { '&' } else { '?' };
    let url = |name: &str| format!("{}{separator}application_name={name}", db.url());
    let log = |name: &str| std::env::temp_dir().join(format!("stride-{}-{name}.log", db.name()));
    // The first server started leads every projection.
    let (first_url, second_url) = (url("stride-first"), url("stride-second"));
    let mut first = Server::start(
        &[
            ("DATABASE_URL", first_url.as_str()),
            ("STRIDE_SHUTDOWN_NOTICE_SECS", "2"),
        ],
        log("first"),
    );
    first.wait_ready(&http).await;
    let client = connect(db.url()).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while leaderships(&client).await.get("stride-first") != Some(&(PROJECTIONS as i64)) {
        assert!(
            Instant::now() < deadline,
            "{:?}",
            leaderships(&client).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut second = Server::start(&[("DATABASE_URL", second_url.as_str())], log("second"));
    second.wait_ready(&http).await;
    let bases = vec![first.base.clone(), second.base.clone()];
    let team = sign_up(&http, &bases[1]).await;

    // A stream on the server that will drain.
    let stream = http
        .get(format!("{}/v1/teams/{}/events/stream", first.base, team.id))
        .bearer_auth(&team.token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    let stream = tokio::spawn(async move {
        let mut body = String::new();
        let mut chunks = stream.bytes_stream();
        while let Some(Ok(chunk)) = chunks.next().await {
            body.push_str(&String::from_utf8_lossy(&chunk));
        }
        (body, Instant::now())
    });
    let stop = Arc::new(AtomicBool::new(false));
    let outcomes = Arc::new(Mutex::new(Outcomes::default()));
    let load = writers(&http, &bases, &team, &stop, &outcomes);
    while outcomes.lock().await.created < 50 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A request whose body is still arriving when the signal comes.
    let slow = {
        let (http, url, token) = (
            http.clone(),
            format!("{}/v1/teams/{}/ideas", first.base, team.id),
            team.token.clone(),
        );
        tokio::spawn(async move {
            let parts: Vec<Result<&'static str, std::io::Error>> =
                vec![Ok("{\"title\": "), Ok("\"In flight\"}")];
            let body = futures_util::stream::iter(parts).then(|part| async move {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                part
            });
            http.post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(reqwest::Body::wrap_stream(body))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    kill(Pid::from_raw(first.child.id() as i32), Signal::SIGTERM).unwrap();
    // At once: not ready, while it still answers.
    let ready = loop {
        let status = http
            .get(format!("{}/readyz", first.base))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status != 200 {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(1),
            "/readyz stayed 200"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(ready, 503);
    // Its leaderships pass to the other server without waiting for it to exit.
    let deadline = Instant::now() + Duration::from_secs(5);
    while leaderships(&client).await.get("stride-second") != Some(&(PROJECTIONS as i64)) {
        assert!(
            Instant::now() < deadline,
            "{:?}",
            leaderships(&client).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let handed_over = signalled.elapsed();
    // The stream ended with a reconnection hint, well before the server stopped taking
    // requests.
    let (body, ended) = stream.await.unwrap();
    assert!(body.trim_end().ends_with("retry: 1000"), "{body}");
    assert!(ended.duration_since(signalled) < Duration::from_secs(2));
    // The request in flight finishes.
    assert_eq!(slow.await.unwrap().unwrap(), 201);
    let status = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(status) = first.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "still running");
            std::thread::sleep(Duration::from_millis(20));
        }
    })
    .await
    .unwrap();
    assert!(status.success(), "exit status {status}");
    eprintln!(
        "leaderships handed over {handed_over:?} after SIGTERM; exited {:?} after it",
        signalled.elapsed()
    );

    // The other server goes on, its projections advancing.
    let created = outcomes.lock().await.created;
    while outcomes.lock().await.created < created + 50 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for writer in load {
        writer.await.unwrap();
    }
    let outcomes = outcomes.lock().await;
    assert_eq!(outcomes.failures, Vec::<String>::new());
    eprintln!(
        "{} created, {} unanswered after the listener closed",
        outcomes.created, outcomes.unanswered
    );
    // No request went unanswered that had been taken: every idea written was answered 201.
    let written: i64 = client
        .query_one(
            "SELECT count(*) FROM events WHERE event_type = 'IdeaSubmitted' \
             AND data->>'title' LIKE 'Idea %'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(written as usize, outcomes.created);
    let response = http
        .post(format!("{}/v1/teams/{}/ideas", second.base, team.id))
        .bearer_auth(&team.token)
        .json(&json!({ "title": "After the drain" }))
        .send()
        .await
        .unwrap();
    let position: i64 = response.headers()["stride-position"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    wait_projected(&http, &second.base, &team, position).await;
    settle(db.url()).await;
    second.stop();
    assert_projections_equal_a_rebuild(db.url()).await;
}
