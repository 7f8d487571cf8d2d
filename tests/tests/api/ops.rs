use reqwest::StatusCode;
use serde_json::Value;
use stride_testkit::TestDatabase;
use stride_tests::{TestApp, assert_problem};

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let health: Value = app.public_json("/healthz").await;
    assert_eq!(health["status"], "ok");
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
}

#[tokio::test]
async fn without_a_database_the_process_is_alive_but_not_ready_and_writes_get_503() {
    let db = TestDatabase::new().await.unwrap();
    // Nothing listens on port 1.
    let app = TestApp::spawn_on(db, Some("postgres://postgres@127.0.0.1:1/stride")).await;
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_problem(
        app.http.get(app.url("/readyz")).send().await.unwrap(),
        503,
        "unavailable",
    )
    .await;
    let body = serde_json::json!({ "name": "Acme", "slug": "acme", "owner": { "name": "O", "email": "o@example.com" } });
    let response = app
        .http
        .post(app.url("/v1/teams"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("retry-after"));
    let problem = assert_problem(response, 503, "unavailable").await;
    assert!(
        !problem.to_string().contains("127.0.0.1:1"),
        "internals stay inside: {problem}"
    );
}

#[tokio::test]
async fn readiness_requires_every_migration() {
    let app = TestApp::spawn().await;
    let client = app.db.connect().await.unwrap();
    client.execute("DELETE FROM refinery_schema_history WHERE version = (SELECT max(version) FROM refinery_schema_history)", &[]).await.unwrap();
    assert_problem(
        app.http.get(app.url("/readyz")).send().await.unwrap(),
        503,
        "unavailable",
    )
    .await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_show_the_pool() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    for _ in 0..3 {
        app.get(&format!("/v1/teams/{}", team.id), &team.owner_token)
            .await;
    }
    app.get(&format!("/v1/teams/{}", team.id), "stride_bad")
        .await;
    let text = app.metrics().await;
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.starts_with(needle))
            .map(str::to_owned)
    };
    assert_eq!(
        line(
            r#"stride_http_requests_total{method="GET",route="/v1/teams/{team_id}",status="200"}"#
        )
        .as_deref(),
        Some(
            r#"stride_http_requests_total{method="GET",route="/v1/teams/{team_id}",status="200"} 3"#
        )
    );
    assert!(
        line(
            r#"stride_http_requests_total{method="GET",route="/v1/teams/{team_id}",status="401"} 1"#
        )
        .is_some(),
        "{text}"
    );
    assert!(
        line(r#"stride_http_request_duration_seconds_bucket{method="POST",route="/v1/teams",le="#)
            .is_some(),
        "{text}"
    );
    assert!(
        line(r#"stride_db_pool_connections{state="max"} 8"#).is_some(),
        "{text}"
    );
}

#[tokio::test]
async fn the_served_spec_is_the_generated_one_and_the_docs_work_offline() {
    let app = TestApp::spawn().await;
    let served: Value = app.public_json("/openapi.json").await;
    let generated = serde_json::to_value(stride_http::openapi()).unwrap();
    assert_eq!(served, generated);
    for path in [
        "/v1/teams",
        "/v1/teams/{team_id}",
        "/v1/teams/{team_id}/members/{member_id}",
        "/v1/teams/{team_id}/tokens/{token_id}",
        "/readyz",
    ] {
        assert!(served["paths"][path].is_object(), "{path} is documented");
    }
    let docs = app.http.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    let html = docs.text().await.unwrap();
    assert!(html.to_lowercase().contains("swagger"), "{html}");
    assert!(
        !html.contains("cdn") && !html.contains("unpkg"),
        "nothing is fetched from elsewhere"
    );
    let script = app
        .http
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        script.status(),
        StatusCode::OK,
        "the UI's assets are served by Stride itself"
    );
}

#[test]
fn the_committed_openapi_document_is_current() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/openapi.json"
    ))
    .unwrap_or_default();
    let generated = stride_http::openapi().to_pretty_json().unwrap();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi/openapi.json is stale; rewrite it with:\n    cargo run -p stride -- openapi > openapi/openapi.json"
    );
}

#[test]
fn every_reference_in_the_spec_resolves() {
    fn refs(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match (key.as_str(), inner) {
                        ("$ref", Value::String(target)) => found.push(target.clone()),
                        _ => refs(inner, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| refs(i, found)),
            _ => {}
        }
    }
    let spec = serde_json::to_value(stride_http::openapi()).unwrap();
    let mut found = Vec::new();
    refs(&spec, &mut found);
    assert!(!found.is_empty());
    let dangling: Vec<&String> = found
        .iter()
        .filter(|r| {
            let name = r.trim_start_matches("#/components/schemas/");
            spec["components"]["schemas"].get(name).is_none()
        })
        .collect();
    assert!(dangling.is_empty(), "unresolvable: {dangling:?}");
}

#[tokio::test]
async fn a_known_path_under_another_method_is_405_with_allow_and_an_unknown_one_404() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;

    let health = app
        .request(reqwest::Method::DELETE, "/healthz", None)
        .send()
        .await
        .unwrap();
    assert_eq!(health.headers()["allow"], "GET");
    assert_problem(health, 405, "method_not_allowed").await;

    // A team route answers for its method only to its team: the token is checked first.
    let channels = format!("/v1/teams/{}/channels", team.id);
    let anonymous = app
        .request(reqwest::Method::DELETE, &channels, None)
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "unauthorized").await;
    let wrong = app
        .request(reqwest::Method::DELETE, &channels, Some(&team.owner_token))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.headers()["allow"], "GET, POST");
    assert_problem(wrong, 405, "method_not_allowed").await;
    // The assessment is not a channel whose id is `assessment`: the path takes GET alone.
    let assessment = app
        .request(
            reqwest::Method::PATCH,
            &format!("{channels}/assessment"),
            Some(&team.owner_token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(assessment.headers()["allow"], "GET");
    assert_problem(assessment, 405, "method_not_allowed").await;

    // A trailing slash is another path, which no route serves: not a 405 naming the very
    // method it was asked with.
    let slashed = app
        .request(
            reqwest::Method::GET,
            &format!("{channels}/"),
            Some(&team.owner_token),
        )
        .send()
        .await
        .unwrap();
    assert!(slashed.headers().get("allow").is_none());
    assert_problem(slashed, 404, "not_found").await;

    let unknown = app
        .request(reqwest::Method::GET, "/v1/no/such/route", None)
        .send()
        .await
        .unwrap();
    assert!(unknown.headers().get("allow").is_none());
    assert_problem(unknown, 404, "not_found").await;
}
