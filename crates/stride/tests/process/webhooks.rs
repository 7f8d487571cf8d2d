//! Webhooks through a crash: a server killed with SIGKILL while it is sending leaves every
//! message to be delivered at least once after another server starts, each with the same
//! `webhook-id` as before, to a real receiving HTTP server.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use stride_testkit::TestDatabase;
use stride_testkit::receiver::Receiver;

use crate::server::{Server, answer, sign_up};

/// Ideas submitted, each a message to the endpoint.
const MESSAGES: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_in_flight_when_a_server_dies_are_delivered_after_restart_with_the_same_ids() {
    let db = TestDatabase::new().await.unwrap();
    let http = reqwest::Client::new();
    let dir = std::env::temp_dir();
    let env = [
        ("DATABASE_URL", db.url()),
        ("STRIDE_WEBHOOK_ALLOW_PRIVATE", "true"),
    ];
    let log = |name: &str| dir.join(format!("stride-webhooks-{}-{name}.log", std::process::id()));
    let mut first = Server::start(&env, log("first"));
    first.wait_ready(&http).await;
    let team = sign_up(&http, &first.base).await;
    // Every answer takes 3 s: the server is killed while it waits for them.
    let receiver = Receiver::start_slow(vec![], Duration::from_secs(3))
        .await
        .unwrap();
    let created = answer(
        http.post(format!("{}/v1/teams/{}/webhooks", first.base, team.id))
            .bearer_auth(&team.token)
            .json(&json!({ "url": receiver.url, "event_types": ["IdeaSubmitted"] })),
    )
    .await;
    assert!(created["secret"].is_string(), "{created}");
    for n in 0..MESSAGES {
        let idea = answer(
            http.post(format!("{}/v1/teams/{}/ideas", first.base, team.id))
                .bearer_auth(&team.token)
                .json(&json!({ "title": format!("Idea {n}") })),
        )
        .await;
        assert!(idea["id"].is_string(), "{idea}");
    }
    let before = receiver.wait_for(1, Duration::from_secs(30)).await;
    assert!(!before.is_empty(), "nothing was sent:\n{}", first.output());
    first.kill9();
    let sent_before = receiver.got();

    let mut second = Server::start(&env, log("second"));
    second.wait_ready(&http).await;
    let client = db.connect().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let delivered = loop {
        let rows = client
            .query(
                "SELECT delivery_id::text, status FROM webhook_deliveries ORDER BY position",
                &[],
            )
            .await
            .unwrap();
        let statuses: BTreeMap<String, String> =
            rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        if statuses.len() == MESSAGES && statuses.values().all(|s| s == "delivered") {
            break statuses;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not every message was delivered after the restart: {statuses:?}\n{}",
            second.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    let got = receiver.got();
    let mut bodies: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for message in &got {
        let body: Value = serde_json::from_slice(&message.body).unwrap();
        bodies.entry(message.id.clone()).or_default().push(body);
    }
    for id in delivered.keys() {
        let sent = bodies.get(id).map_or(0, Vec::len);
        assert!(sent >= 1, "message {id} never reached the receiver");
    }
    assert_eq!(
        bodies.len(),
        MESSAGES,
        "no message went out under another id"
    );
    for (id, copies) in &bodies {
        assert!(
            copies.windows(2).all(|w| w[0] == w[1]),
            "message {id} changed between attempts"
        );
    }
    let resent = sent_before
        .iter()
        .filter(|m| got.iter().filter(|g| g.id == m.id).count() > 1)
        .count();
    assert!(
        resent >= 1,
        "a message in flight at the crash is sent again after it, with its id"
    );
    second.stop();
}
