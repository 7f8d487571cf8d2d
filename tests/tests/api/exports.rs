//! Exports: each dataset as CSV (RFC 4180, a header row, formulas guarded) or NDJSON,
//! streamed as an attachment; erased contributors; roles; another team's data never in them.

use reqwest::StatusCode;
use serde_json::{Value, json};
use stride_tests::{Team, TestApp, assert_problem, fields};

/// The export's rows as maps of column to cell, checking its headers on the way.
async fn csv_rows(
    app: &TestApp,
    team: &Team,
    path: &str,
) -> Vec<std::collections::BTreeMap<String, String>> {
    let response = app
        .get(
            &format!("/v1/teams/{}/exports/{path}", team.id),
            &team.owner_token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let dataset = path.split('?').next().unwrap();
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        headers["content-disposition"].to_str().unwrap(),
        format!(
            "attachment; filename=\"{}-{dataset}-{today}.csv\"",
            team.slug
        )
    );
    let body = response.text().await.unwrap();
    assert!(
        body.is_empty() || body.ends_with("\r\n"),
        "RFC 4180 lines end with CRLF"
    );
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            columns
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn each_dataset_exports_as_csv_with_formulas_guarded_and_erased_authors_named_so() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let foreign = app.add_channel(&other, "instagram", "@other").await;

    let post: Value = app
        .post(
            &format!("/v1/teams/{}/posts", team.id),
            &team.owner_token,
            json!({ "channel_id": channel, "title": "=HYPERLINK(\"http://evil\")" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let post_id = post["id"].as_str().unwrap();
    let published = app
        .post(
            &format!("/v1/teams/{}/posts/{post_id}/publish", team.id),
            &team.owner_token,
            json!({ "url": "https://instagram.com/p/abc" }),
        )
        .await;
    assert_eq!(published.status(), StatusCode::OK);
    for (team, channel, value, post) in [
        (&team, &channel, 120.0, None),
        (&team, &channel, 7.0, Some(post_id)),
        (&other, &foreign, 999.0, None),
    ] {
        let mut row = json!({ "channel_id": channel, "metric": if post.is_some() { "likes" } else { "followers" }, "value": value, "observed_at": "2026-11-02T10:00:00Z" });
        if let Some(post) = post {
            row["post_id"] = json!(post);
        }
        let recorded = app
            .post(
                &format!("/v1/teams/{}/metrics", team.id),
                &team.owner_token,
                json!({ "observations": [row] }),
            )
            .await;
        assert_eq!(recorded.status(), StatusCode::OK);
    }
    let joined: Value = app
        .http
        .post(app.url("/v1/boards/acme/contributors"))
        .json(&json!({ "name": "@Evil" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let contributor = joined["contributor"]["id"].as_str().unwrap().to_owned();
    let fan = joined["token"]["secret"].as_str().unwrap().to_owned();
    let idea = app.submit_idea("acme", &fan, "Latte art").await;
    let goal = app
        .post(
            &format!("/v1/teams/{}/goals", team.id),
            &team.owner_token,
            json!({ "title": "Post weekly", "horizon": "short", "starts_on": "2026-11-02", "due_on": "2026-12-27",
                    "target": { "kind": "cadence", "count": 1, "period": "week" } }),
        )
        .await;
    assert_eq!(goal.status(), StatusCode::CREATED);

    let metrics = csv_rows(&app, &team, "metrics").await;
    assert_eq!(
        metrics.len(),
        2,
        "another team's observation is not here: {metrics:?}"
    );
    let followers = metrics.iter().find(|r| r["metric"] == "followers").unwrap();
    assert_eq!(
        (
            followers["channel"].as_str(),
            followers["platform"].as_str(),
            followers["value"].as_str(),
            followers["post_id"].as_str()
        ),
        ("'@acme", "instagram", "120", "")
    );
    assert_eq!(followers["observed_at"], "2026-11-02T10:00:00Z");

    let posts = csv_rows(&app, &team, "posts").await;
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0]["title"], "'=HYPERLINK(\"http://evil\")",
        "a formula is guarded"
    );
    assert_eq!(posts[0]["status"], "published");
    assert_eq!(posts[0]["likes"], "7");
    assert_eq!(posts[0]["shares"], "");

    let ideas = csv_rows(&app, &team, "ideas").await;
    assert_eq!(ideas.len(), 1);
    assert_eq!(ideas[0]["id"], idea["id"].as_str().unwrap());
    assert_eq!(ideas[0]["author"], "'@Evil");
    assert_eq!(
        (ideas[0]["status"].as_str(), ideas[0]["votes"].as_str()),
        ("open", "0")
    );
    let erased = app
        .delete(
            &format!(
                "/v1/teams/{}/contributors/{contributor}/personal-data",
                team.id
            ),
            &team.owner_token,
        )
        .await;
    assert_eq!(erased.status(), StatusCode::NO_CONTENT);
    let ideas = csv_rows(&app, &team, "ideas").await;
    assert_eq!(ideas[0]["author"], "erased");

    let goals = csv_rows(&app, &team, "goals").await;
    assert_eq!(goals.len(), 1);
    assert_eq!(
        (
            goals[0]["target"].as_str(),
            goals[0]["period"].as_str(),
            goals[0]["target_value"].as_str()
        ),
        ("cadence", "week", "1")
    );
    assert!(!goals[0]["status"].is_empty());

    // A window on each record's own time.
    let none = csv_rows(&app, &team, "metrics?from=2026-11-03T00:00:00Z").await;
    assert!(none.is_empty());
    let some = csv_rows(
        &app,
        &team,
        "metrics?from=2026-11-02T00:00:00Z&to=2026-11-03T00:00:00Z",
    )
    .await;
    assert_eq!(some.len(), 2);
}

#[tokio::test]
async fn the_event_log_exports_as_ndjson_for_owners_and_admins_and_bad_asks_are_refused() {
    let app = TestApp::spawn().await;
    let other = app.sign_up("other").await;
    app.add_channel(&other, "instagram", "@other").await;
    let team = app.sign_up("acme").await;
    app.add_channel(&team, "instagram", "@acme").await;
    let (_, viewer) = app.add_member(&team, "viewer").await;
    let path = format!("/v1/teams/{}/exports/events?format=ndjson", team.id);

    let response = app.get(&path, &team.owner_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let body = response.text().await.unwrap();
    let events: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len() as i64, app.event_count(&team).await);
    let positions: Vec<i64> = events
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "in log order");

    assert_problem(app.get(&path, &viewer).await, 403, "forbidden").await;
    // A viewer may export the rest, as NDJSON too.
    let metrics = app
        .get(
            &format!("/v1/teams/{}/exports/ideas?format=ndjson", team.id),
            &viewer,
        )
        .await;
    assert_eq!(metrics.status(), StatusCode::OK);

    // Malformed parameters are 400; well-formed ones that cannot be served, 422.
    for (query, status, field) in [
        ("events", 422, "format"),
        (
            "metrics?from=2026-11-03T00:00:00Z&to=2026-11-02T00:00:00Z",
            422,
            "to",
        ),
        ("metrics?from=1999-01-01T00:00:00Z", 400, "from"),
        ("metrics?format=xlsx", 400, "format"),
    ] {
        let refused = app
            .get(
                &format!("/v1/teams/{}/exports/{query}", team.id),
                &team.owner_token,
            )
            .await;
        let problem = assert_problem(refused, status, "validation_failed").await;
        assert_eq!(
            fields(&problem),
            vec![field.to_owned()],
            "{query}: {problem}"
        );
    }
    assert_problem(
        app.get(
            &format!("/v1/teams/{}/exports/secrets", team.id),
            &team.owner_token,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(
            &format!("/v1/teams/{}/exports/metrics", team.id),
            &other.owner_token,
        )
        .await,
        404,
        "not_found",
    )
    .await;
}
