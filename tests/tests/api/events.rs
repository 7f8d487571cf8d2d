use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stride_tests::{Team, TestApp, assert_problem};

/// Reads SSE frames until `count` events arrived; returns (id, event type) pairs.
async fn read_events(response: reqwest::Response, count: usize) -> Vec<(i64, String)> {
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let mut events = Vec::new();
    while events.len() < count {
        let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
            .await
            .expect("an event within 10 s")
            .expect("the stream stays open")
            .expect("bytes");
        buffer.push_str(std::str::from_utf8(&chunk).expect("utf-8"));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let field = |name: &str| {
                frame
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(str::to_owned)
            };
            if let (Some(id), Some(kind)) = (field("id: "), field("event: ")) {
                let data: Value =
                    serde_json::from_str(&field("data: ").expect("data")).expect("json");
                assert_eq!(data["position"].to_string(), id, "the id is the position");
                events.push((id.parse().expect("numeric id"), kind));
            }
        }
    }
    events
}

async fn rename(app: &TestApp, team: &Team, name: &str) {
    let response = app
        .patch(
            &format!("/v1/teams/{}", team.id),
            &team.owner_token,
            json!({ "name": name }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_log_pages_oldest_first_by_position() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    for name in ["A", "B", "C"] {
        rename(&app, &team, name).await;
    }
    let path = format!("/v1/teams/{}/events", team.id);
    let first: Value = app
        .get(&format!("{path}?limit=2"), &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    let types: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["TeamCreated", "MemberAdded"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get(
            &format!("{path}?after={cursor}&limit=10"),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["A", "B", "C"]);
    assert!(rest["next_cursor"].is_null());
    let event = &rest["items"][0];
    assert_eq!(
        event["metadata"]["actor"]["member_id"],
        team.owner_id.to_string()
    );
    assert!(event["position"].as_i64().unwrap() > first["items"][1]["position"].as_i64().unwrap());
    assert_problem(app.get(&path, &other.owner_token).await, 404, "not_found").await;
    assert_problem(
        app.get(&format!("{path}?after=-1"), &team.owner_token)
            .await,
        400,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get(&format!("{path}?cursor=abc"), &team.owner_token)
            .await,
        400,
        "validation_failed",
    )
    .await;
    let (_, viewer) = app.add_member(&team, "viewer").await;
    assert_eq!(app.get(&path, &viewer).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_live_stream_delivers_new_events_and_resumes_after_last_event_id_missing_nothing() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let path = format!("/v1/teams/{}/events/stream", team.id);
    let connect = |last: Option<i64>| {
        let request = app.request(Method::GET, &path, Some(&team.owner_token));
        match last {
            Some(id) => request.header("last-event-id", id.to_string()).send(),
            None => request.send(),
        }
    };
    let live = connect(None).await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    assert_eq!(live.headers()["content-type"], "text/event-stream");

    // The history first, then an event written after connecting.
    let writer = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        rename(&app, &team, "Live").await;
    };
    let (seen, ()) = tokio::join!(read_events(live, 3), writer);
    assert_eq!(
        seen.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
        vec!["TeamCreated", "MemberAdded", "TeamRenamed"]
    );
    let last_seen = seen[2].0;

    // Disconnected (the response is dropped): two more changes happen meanwhile.
    rename(&app, &team, "Away 1").await;
    rename(&app, &team, "Away 2").await;
    let resumed = read_events(connect(Some(last_seen)).await.unwrap(), 2).await;
    assert_eq!(
        resumed.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
        vec!["TeamRenamed", "TeamRenamed"]
    );
    assert!(resumed[0].0 > last_seen && resumed[1].0 > resumed[0].0);
    let log: Value = app
        .get(
            &format!("/v1/teams/{}/events?after={last_seen}", team.id),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let positions: Vec<i64> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert_eq!(
        positions,
        resumed.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        "exactly what the log holds after it"
    );

    let bad = app
        .request(Method::GET, &path, Some(&team.owner_token))
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    assert_problem(bad, 400, "validation_failed").await;
    assert_problem(
        app.request(Method::GET, &path, None).send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
}

/// The sentences of a page of the feed, in its order.
fn texts(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["text"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_activity_feed_reads_as_sentences_newest_first() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    app.add_member(&team, "member").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let post: Value = app
        .post(
            &format!("/v1/teams/{}/posts", team.id),
            &team.owner_token,
            json!({ "channel_id": channel, "title": "Poll time" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let published = app
        .post(
            &format!(
                "/v1/teams/{}/posts/{}/publish",
                team.id,
                post["id"].as_str().unwrap()
            ),
            &team.owner_token,
            json!({}),
        )
        .await;
    let position = published.headers()["stride-position"]
        .to_str()
        .unwrap()
        .to_owned();

    let feed = |query: String| {
        let (app, token) = (&app, team.owner_token.clone());
        let url = format!("/v1/teams/{}/activity{query}", team.id);
        let position = position.clone();
        async move {
            let response = app
                .request(Method::GET, &url, Some(&token))
                .header("stride-min-position", position)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        }
    };
    let page = feed(String::new()).await;
    assert_eq!(
        texts(&page),
        vec![
            "Olivia published 'Poll time' on Instagram",
            "Olivia drafted 'Poll time' for Instagram",
            "Olivia added Instagram (@acme)",
            "Olivia added A member as member",
            "Olivia joined as owner",
            "The team Team acme was created",
        ]
    );
    let first = feed("?limit=2".into()).await;
    let next = feed(format!(
        "?limit=2&cursor={}",
        first["next_cursor"].as_str().unwrap()
    ))
    .await;
    assert_eq!(next["items"][0]["text"], "Olivia added Instagram (@acme)");

    // As it stood when the channel was added: that line and the ones before it.
    let added = next["items"][0]["at"].as_str().unwrap().to_owned();
    let then = feed(format!("?known_at={}", added.replace('+', "%2B"))).await;
    assert_eq!(
        texts(&then),
        vec![
            "Olivia added Instagram (@acme)",
            "Olivia added A member as member",
            "Olivia joined as owner",
            "The team Team acme was created",
        ]
    );
    let paged = feed(format!(
        "?known_at={}&limit=1&cursor={}",
        added.replace('+', "%2B"),
        first["next_cursor"].as_str().unwrap()
    ))
    .await;
    assert_eq!(paged["items"][0]["text"], "Olivia added Instagram (@acme)");
    let before_the_team = feed("?known_at=2001-01-01T00:00:00Z".into()).await;
    assert_eq!(before_the_team["items"], json!([]));
    let later = feed("?known_at=2100-01-01T00:00:00Z".into()).await;
    assert_eq!(later["items"], page["items"]);

    // The projector's position and lag are on /metrics.
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("stride_projection_position{projection=\"activity\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("stride_projection_lag_seconds{projection=\"activity\"}"),
        "{metrics}"
    );
}
