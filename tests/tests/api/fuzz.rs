//! A fuzz run over the request parsers and the domain's decisions (proptest, deterministic):
//! every write the API takes, and the reads that take instants, with hostile values in each
//! field (numbers near `f64::MAX`, dates in year -262143 or +262142, NUL characters, 100 kB
//! strings, wrong types). Every answer is a success or a 4xx problem+json, and afterwards the
//! projections have applied everything written, with no failure: nothing accepted poisons the
//! log. `STRIDE_FUZZ_CASES` sets the number of requests (default 240).

use std::time::Duration;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use reqwest::Method;
use serde_json::{Value, json};
use stride_tests::{Team, TestApp};

/// Values that have broken, or could break, what is downstream of a parser.
fn hostile() -> impl Strategy<Value = Value> {
    let strings = [
        "-262143-01-05T00:00:00Z",
        "+262142-12-01T00:00:00Z",
        "-5000-01-01T00:00:00Z",
        "1999-12-31T23:59:59Z",
        "2101-01-01T00:00:00Z",
        "2100-12-31T23:59:59-12:00",
        "2026-11-30T10:00:00Z",
        "-262000-01-01",
        "+262142-12-01",
        "-262143-01-02",
        "1999-12-31",
        "2101-01-01",
        "2000-01-01",
        "2100-12-31",
        "\u{0}",
        "a\u{0}b",
        "https://example.com/\u{0}",
        "",
        " ",
        "\u{202e}gnp.exe",
        "NaN",
        "Infinity",
    ];
    let numbers = [
        json!(1.797_693_134_862_315_7e308),
        json!(-1.797_693_134_862_315_7e308),
        json!(1e308),
        json!(1e16),
        json!(1e15),
        json!(5e-324),
        json!(-1),
        json!(-0.0),
        json!(0),
        json!(9_007_199_254_740_993_u64),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(-101),
    ];
    prop_oneof![
        prop::sample::select(strings.to_vec()).prop_map(Value::from),
        prop::sample::select(numbers.to_vec()),
        Just(Value::Null),
        Just(json!(true)),
        Just(json!([])),
        Just(json!({})),
        Just(Value::from("x".repeat(100_000))),
        "\\PC{0,20}".prop_map(Value::from),
    ]
}

/// A request: which template, and which of its fields get which hostile value.
type Case = (usize, Vec<(usize, Value)>);

fn cases(count: usize) -> Vec<Case> {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (
        0usize..64,
        prop::collection::vec((0usize..8, hostile()), 1..4),
    );
    (0..count)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

/// Sets the field named `fields[i % len]` (a `/`-separated path) of `body` to `value`, where
/// its parent is still an object or an array long enough (an earlier value may have replaced
/// the parent).
fn poison(body: &mut Value, fields: &[&str], at: usize, value: Value) {
    let path = fields[at % fields.len()];
    let (parent, key) = path.rsplit_once('/').unwrap_or(("", path));
    let pointer = if parent.is_empty() {
        String::new()
    } else {
        format!("/{parent}")
    };
    match (body.pointer_mut(&pointer), key.parse::<usize>()) {
        (Some(Value::Array(items)), Ok(index)) if index < items.len() => items[index] = value,
        (Some(Value::Object(map)), _) => {
            map.insert(key.to_owned(), value);
        }
        _ => {}
    }
}

async fn created_id(app: &TestApp, team: &Team, path: &str, body: Value) -> String {
    let response = app
        .post(
            &format!("/v1/teams/{}/{path}", team.id),
            &team.owner_token,
            body,
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {body}");
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn hostile_values_in_every_field_never_get_a_server_error_or_poison_the_log() {
    let count = std::env::var("STRIDE_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(240);
    let app = TestApp::spawn().await;
    let team = app.sign_up("fuzz").await;
    let channel = app.add_channel(&team, "instagram", "@fuzz").await;
    let goal = created_id(
        &app,
        &team,
        "goals",
        json!({ "title": "G", "horizon": "short", "starts_on": "2026-11-01", "due_on": "2026-11-30",
                "target": { "kind": "cadence", "count": 3, "period": "week" } }),
    )
    .await;
    let contributor = app.join_board(&team.slug, Some("Fan")).await;
    let base = format!("/v1/teams/{}", team.id);
    let metric_goal = json!({ "title": "M", "horizon": "short", "starts_on": "2026-11-01", "due_on": "2026-11-30",
        "target": { "kind": "metric", "channel_id": channel, "metric": "followers", "baseline": 10, "reach": 20 } });

    for (template, poisoned) in cases(count) {
        let (method, path, mut body, fields): (Method, String, Option<Value>, Vec<&str>) =
            match template % 12 {
                0 => (
                    Method::POST,
                    format!("{base}/goals"),
                    Some(metric_goal.clone()),
                    vec![
                        "starts_on",
                        "due_on",
                        "target/baseline",
                        "target/reach",
                        "title",
                        "description",
                    ],
                ),
                1 => (
                    Method::POST,
                    format!("{base}/goals"),
                    Some(
                        json!({ "title": "C", "horizon": "short", "starts_on": "2026-11-01", "due_on": "2026-11-30",
                            "target": { "kind": "cadence", "count": 2, "period": "month" } }),
                    ),
                    vec![
                        "starts_on",
                        "due_on",
                        "target/count",
                        "target/increase_by_percent",
                    ],
                ),
                2 => (
                    Method::PATCH,
                    format!("{base}/goals/{goal}"),
                    Some(json!({ "due_on": "2026-12-31" })),
                    vec!["due_on", "title", "description"],
                ),
                3 => (
                    Method::POST,
                    format!("{base}/posts"),
                    Some(json!({ "channel_id": channel, "title": "P", "body": "b" })),
                    vec!["title", "body", "scheduled_for", "goal_ids"],
                ),
                4 => {
                    let post = created_id(
                        &app,
                        &team,
                        "posts",
                        json!({ "channel_id": channel, "title": "P" }),
                    )
                    .await;
                    (
                        Method::POST,
                        format!("{base}/posts/{post}/publish"),
                        Some(
                            json!({ "published_at": "2026-11-01T10:00:00Z", "url": "https://example.com/p" }),
                        ),
                        vec!["published_at", "url"],
                    )
                }
                5 => (
                    Method::POST,
                    format!("{base}/metrics"),
                    Some(json!({ "observations": [
                        { "channel_id": channel, "metric": "clicks", "value": 3, "observed_at": "2026-11-02T10:00:00Z" }
                    ] })),
                    vec!["observations/0/value", "observations/0/observed_at"],
                ),
                6 => (
                    Method::POST,
                    format!("{base}/ideas"),
                    Some(json!({ "title": "I", "body": "b", "tags": ["t"] })),
                    vec!["title", "body", "tags/0", "tags"],
                ),
                7 => (
                    Method::POST,
                    format!("/v1/boards/{}/ideas", team.slug),
                    Some(json!({ "title": "I" })),
                    vec!["title", "body", "tags"],
                ),
                8 => (
                    Method::POST,
                    format!("{base}/channels"),
                    Some(json!({ "platform": "blog", "handle": "h" })),
                    vec!["handle", "name", "platform"],
                ),
                9 => (
                    Method::PATCH,
                    base.clone(),
                    Some(json!({ "name": "Fuzz" })),
                    vec!["name", "board/public"],
                ),
                10 => (
                    Method::GET,
                    format!("{base}/progress"),
                    None,
                    vec!["as_of", "known_at"],
                ),
                _ => (
                    Method::GET,
                    format!("{base}/channels/assessment"),
                    None,
                    vec!["as_of", "window_days"],
                ),
            };
        let mut url = path.clone();
        match &mut body {
            Some(body) => {
                for (at, value) in poisoned {
                    poison(body, &fields, at, value);
                }
            }
            None => {
                let query: Vec<String> = poisoned
                    .into_iter()
                    .map(|(at, value)| {
                        let raw = value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned);
                        // URIs have their own bound (see the transport tests): stay under it.
                        let encoded: String =
                            raw.bytes().take(200).map(|b| format!("%{b:02X}")).collect();
                        format!("{}={encoded}", fields[at % fields.len()])
                    })
                    .collect();
                url = format!("{path}?{}", query.join("&"));
            }
        }
        let token = if path.starts_with("/v1/boards") {
            &contributor
        } else {
            &team.owner_token
        };
        let mut request = app.request(method.clone(), &url, Some(token));
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let problem = response
            .headers()
            .get("content-type")
            .is_some_and(|c| c.as_bytes().starts_with(b"application/problem+json"));
        let text = response.text().await.unwrap();
        assert!(
            status.is_success() || (status.is_client_error() && problem),
            "{method} {} with {}: {status} {text}",
            url.chars().take(300).collect::<String>(),
            body.map(|b| b.to_string().chars().take(300).collect::<String>())
                .unwrap_or_default()
        );
    }

    // Everything written is projected, and nothing accepted stopped a projection.
    let head = app.store.events().committed_head().await.unwrap();
    assert!(
        app.store
            .projections()
            .wait_projected(head, Duration::from_secs(20))
            .await
            .unwrap()
    );
    assert_eq!(
        app.store.projections().failure_counts().await.unwrap(),
        vec![]
    );
}
