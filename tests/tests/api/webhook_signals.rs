//! Webhook signals no single event makes: a goal's status moving (by an event, or by time
//! alone), a cadence period at risk and an idea entering the trending top, each announced
//! once; and an endpoint that failed every delivery for a day, paused and saying so.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use stride_app::signals;
use stride_testkit::receiver::Receiver;
use stride_tests::{TestApp, in_days};
use uuid::Uuid;

use crate::webhooks::{created, json_of, signed_by, wait_for, wait_for_delivery};

fn at(raw: &str) -> DateTime<Utc> {
    raw.parse().unwrap()
}

async fn add_goal(app: &TestApp, team: &stride_tests::Team, body: Value) -> String {
    let response = app
        .post(
            &format!("/v1/teams/{}/goals", team.id),
            &team.owner_token,
            body,
        )
        .await;
    let status = response.status();
    let goal: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{goal}");
    goal["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_watcher_announces_an_idea_entering_the_trending_top_and_a_goal_an_event_moved() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    // From 100 to 200 followers; a third of the way through with nothing measured: behind.
    let goal = add_goal(
        &app,
        &team,
        json!({ "title": "Grow", "horizon": "short", "starts_on": &in_days(-10)[..10], "due_on": &in_days(19)[..10],
                "target": { "kind": "metric", "channel_id": channel, "metric": "followers", "baseline": 100, "reach": 200 } }),
    )
    .await;
    let receiver = Receiver::start(vec![]).await.unwrap();
    let hook = created(
        &app,
        &team,
        json!({ "url": receiver.url, "event_types": ["goal.status_changed", "idea.trending"] }),
    )
    .await;
    let secret = hook["secret"].as_str().unwrap();

    let fan = app.join_board(&team.slug, Some("Fan")).await;
    let idea = app.submit_idea(&team.slug, &fan, "Behind the scenes").await;
    let got = wait_for(&receiver, 1).await;
    let trending = json_of(&got[0]);
    assert_eq!(trending["type"], "idea.trending", "{trending}");
    assert_eq!(trending["data"]["idea_id"], idea["id"]);
    assert_eq!(trending["data"]["rank"], 1);
    assert!(trending["data"]["position"].as_i64().unwrap() > 0);
    assert!(signed_by(&got[0], secret));

    // Its target reached: behind -> achieved.
    let metrics = app
        .post(
            &format!("/v1/teams/{}/metrics", team.id),
            &team.owner_token,
            json!({ "observations": [{ "channel_id": channel, "metric": "followers", "value": 250, "observed_at": Utc::now() }] }),
        )
        .await;
    assert_eq!(metrics.status(), StatusCode::OK);
    let got = wait_for(&receiver, 2).await;
    let moved = json_of(&got[1]);
    assert_eq!(moved["type"], "goal.status_changed", "{moved}");
    assert_eq!(moved["data"]["goal_id"], goal.as_str());
    assert_eq!(
        (&moved["data"]["from"], &moved["data"]["to"]),
        (&json!("behind"), &json!("achieved"))
    );
    assert!(signed_by(&got[1], secret));
    assert_ne!(got[0].id, got[1].id);
}

#[tokio::test]
async fn time_alone_moves_a_goal_and_puts_a_period_at_risk_each_announced_once() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    // Two posts a week from Monday 2027-03-01 to Sunday 2027-03-28, none published.
    let goal = add_goal(
        &app,
        &team,
        json!({ "title": "Blog twice a week", "horizon": "short", "starts_on": "2027-03-01", "due_on": "2027-03-28",
                "target": { "kind": "cadence", "count": 2, "period": "week" } }),
    )
    .await;
    let receiver = Receiver::start(vec![]).await.unwrap();
    let hook = created(
        &app,
        &team,
        json!({ "url": receiver.url, "event_types": ["goal.status_changed", "cadence.period_at_risk"] }),
    )
    .await;
    let secret = hook["secret"].as_str().unwrap();
    // The server's watcher looks at the team within a second of its events, at today's
    // date: the goal has not started, and is on track.
    let db = app.db.connect().await.unwrap();
    let mut watched = false;
    for _ in 0..200 {
        let rows = db
            .query(
                "SELECT 1 FROM webhook_signals WHERE team_id = $1",
                &[&team.id],
            )
            .await
            .unwrap();
        if !rows.is_empty() {
            watched = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(watched, "the server's watcher never looked at the team");

    // No event from here on: only the instant of each look moves.
    let stride = stride_app::App::new(app.store.clone());
    let endpoints = app.store.signals().watched(&signals::RAISED).await.unwrap()[&team.id].clone();
    let look = |now: &str| {
        let (stride, endpoints) = (stride.clone(), endpoints.clone());
        let now = at(now);
        async move {
            signals::look(&stride, team.id, &endpoints, 1, now)
                .await
                .unwrap()
        }
    };
    // Tuesday of the first week with no post: behind.
    assert_eq!(look("2027-03-02T12:00:00Z").await, 1);
    // Saturday noon: the week ends within 48 h, short of its count; once.
    assert_eq!(look("2027-03-06T12:00:00Z").await, 1);
    assert_eq!(look("2027-03-06T13:00:00Z").await, 0);
    // Past its due date: missed; once.
    assert_eq!(look("2027-03-29T00:00:01Z").await, 1);
    assert_eq!(look("2027-03-29T01:00:00Z").await, 0);

    let got = wait_for(&receiver, 3).await;
    let mut messages: Vec<Value> = got.iter().map(json_of).collect();
    assert!(got.iter().all(|m| signed_by(m, secret)));
    messages.sort_by_key(|m| m["timestamp"].as_str().unwrap().to_owned());
    let summary: Vec<(String, Value, Value)> = messages
        .iter()
        .map(|m| {
            let data = &m["data"];
            assert_eq!(data["goal_id"], goal.as_str(), "{m}");
            let shown = if m["type"] == "goal.status_changed" {
                (data["from"].clone(), data["to"].clone())
            } else {
                (data["period_start"].clone(), data["period_count"].clone())
            };
            (m["type"].as_str().unwrap().to_owned(), shown.0, shown.1)
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "goal.status_changed".to_owned(),
                json!("on_track"),
                json!("behind")
            ),
            (
                "cadence.period_at_risk".to_owned(),
                json!("2027-03-01"),
                json!(0)
            ),
            (
                "goal.status_changed".to_owned(),
                json!("behind"),
                json!("missed")
            ),
        ]
    );
    assert_eq!(messages[1]["data"]["count"], 2);
    assert_eq!(
        messages[1]["data"]["period_ends_at"],
        "2027-03-08T00:00:00Z"
    );
}

#[tokio::test]
async fn an_endpoint_that_failed_every_delivery_for_a_day_is_paused_saying_so_until_resumed() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let receiver = Receiver::start(vec![500, 500, 500]).await.unwrap();
    let hook = created(
        &app,
        &team,
        json!({ "url": receiver.url, "event_types": ["TeamRenamed"] }),
    )
    .await;
    let webhook = hook["id"].as_str().unwrap().to_owned();
    let webhook_id: Uuid = webhook.parse().unwrap();
    let path = format!("/v1/teams/{}/webhooks/{webhook}", team.id);
    let test = || async {
        let sent = app
            .post(&format!("{path}/test"), &team.owner_token, json!({}))
            .await;
        assert_eq!(sent.status(), StatusCode::ACCEPTED);
        let sent: Value = sent.json().await.unwrap();
        sent["id"].as_str().unwrap().to_owned()
    };
    // A first failure starts the run; the endpoint stays active.
    let first = test().await;
    wait_for_delivery(&app, &team, &webhook, Some(&first), "failed").await;
    let read: Value = app
        .get(&path, &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["status"], "active");

    // As if that run had started 25 hours ago: the next failure pauses it.
    let db = app.db.connect().await.unwrap();
    let moved = db
        .execute(
            "UPDATE webhook_secrets SET failing_since = now() - interval '25 hours' \
             WHERE team_id = $1 AND webhook_id = $2 AND failing_since IS NOT NULL",
            &[&team.id, &webhook_id],
        )
        .await
        .unwrap();
    assert_eq!(moved, 1);
    let second = test().await;
    wait_for_delivery(&app, &team, &webhook, Some(&second), "failed").await;
    let mut paused = Value::Null;
    for _ in 0..100 {
        paused = app
            .get(&path, &team.owner_token)
            .await
            .json()
            .await
            .unwrap();
        if paused["status"] == "paused" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(paused["status"], "paused", "{paused}");
    let reason = paused["paused_reason"].as_str().unwrap();
    assert!(
        reason.contains("every delivery has failed since"),
        "{reason}"
    );

    // Resumed by a person: the reason goes, and the run of failures starts afresh.
    let resumed = app
        .patch(&path, &team.owner_token, json!({ "status": "active" }))
        .await;
    assert_eq!(resumed.status(), StatusCode::OK);
    let resumed: Value = resumed.json().await.unwrap();
    assert_eq!(resumed["status"], "active");
    assert_eq!(resumed["paused_reason"], Value::Null);
    let failing: Option<DateTime<Utc>> = db
        .query_one(
            "SELECT failing_since FROM webhook_secrets WHERE team_id = $1 AND webhook_id = $2",
            &[&team.id, &webhook_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(failing, None);
}
