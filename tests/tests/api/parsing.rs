//! Request parsing under arbitrary input (proptest): whatever bytes arrive as a JSON body,
//! whatever a path segment holds, the answer is a success or a 4xx problem+json, never a 5xx.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use reqwest::Method;
use serde_json::json;
use stride_tests::TestApp;

fn bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        "\\PC{0,200}".prop_map(String::into_bytes),
        // Almost-right JSON: the shape of a sign-up with odd values.
        ("\\PC{0,80}", "\\PC{0,80}", any::<i64>()).prop_map(|(name, slug, n)| {
            json!({ "name": name, "slug": slug, "owner": { "name": n, "email": slug } })
                .to_string()
                .into_bytes()
        }),
        ("\\PC{0,300}", prop::collection::vec("\\PC{0,30}", 0..30)).prop_map(|(title, tags)| {
            json!({ "title": title, "tags": tags })
                .to_string()
                .into_bytes()
        }),
    ]
}

async fn check(app: &TestApp, token: &str, team: &str, cases: Vec<(Vec<u8>, String)>) {
    for (body, segment) in cases {
        let segment: String = segment
            .chars()
            .filter(|c| !c.is_control() && *c != '/' && *c != '?' && *c != '#')
            .collect();
        for (method, path) in [
            (Method::POST, "/v1/teams".to_owned()),
            (Method::POST, format!("/v1/teams/{team}/ideas")),
            (Method::POST, format!("/v1/teams/{team}/metrics")),
            (
                Method::PATCH,
                format!("/v1/teams/{team}/goals/{}", urlencoding(&segment)),
            ),
            (Method::POST, "/v1/boards/acme/contributors".to_owned()),
        ] {
            let response = app
                .request(method.clone(), &path, Some(token))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = response.status();
            let problem = response
                .headers()
                .get("content-type")
                .is_some_and(|c| c.as_bytes().starts_with(b"application/problem+json"));
            assert!(
                status.is_success() || (status.is_client_error() && problem),
                "{method} {path} with {:?}: {status}, problem+json {problem}",
                String::from_utf8_lossy(&body)
            );
        }
    }
}

fn urlencoding(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn arbitrary_bodies_and_path_segments_never_get_a_server_error() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    // Deterministic, so that a finding reproduces run after run.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = prop::collection::vec((bodies(), "\\PC{0,40}"), 1..4);
    let mut cases = Vec::new();
    for _ in 0..64 {
        cases.extend(strategy.new_tree(&mut runner).unwrap().current());
    }
    check(&app, &team.owner_token, &team.id.to_string(), cases).await;
}
