//! Hostile input at the edges of every range: numbers near `f64::MAX`, dates in year -262143
//! or +262142, NUL characters. Each is refused naming its field (400 when it cannot be read
//! as the documented type, 422 when a bound refuses it), nothing reaches the log, and the
//! projections keep up for every team.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stride_tests::{Team, TestApp, assert_problem, fields};

/// Asserts a `validation_failed` naming exactly `field`: 400 for a value that is not of the
/// documented type at all, 422 for one a bound refuses.
async fn refused(response: reqwest::Response, field: &str) {
    let status = response.status().as_u16();
    assert!(matches!(status, 400 | 422), "status {status} for {field}");
    let problem = assert_problem(response, status, "validation_failed").await;
    assert_eq!(fields(&problem), vec![field.to_owned()], "{problem}");
}

/// A write that the projections must still reach: they are not stuck on anything before it.
async fn projections_keep_up(app: &TestApp, team: &Team) {
    let response = app
        .post(
            &format!("/v1/teams/{}/channels", team.id),
            &team.owner_token,
            json!({ "platform": "blog", "handle": "news" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let position = response.headers()["stride-position"]
        .to_str()
        .unwrap()
        .to_owned();
    let read = app
        .request(
            Method::GET,
            &format!("/v1/teams/{}/activity", team.id),
            Some(&team.owner_token),
        )
        .header("stride-min-position", position)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
}

/// A draft post on `channel`: its path.
async fn draft(app: &TestApp, team: &Team, channel: &str) -> String {
    let posts = format!("/v1/teams/{}/posts", team.id);
    let response = app
        .post(
            &posts,
            &team.owner_token,
            json!({ "channel_id": channel, "title": "Edge" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let draft: Value = response.json().await.unwrap();
    format!("{posts}/{}", draft["id"].as_str().unwrap())
}

fn goal(target: Value, starts_on: &str, due_on: &str) -> Value {
    json!({ "title": "Edge", "horizon": "short", "starts_on": starts_on, "due_on": due_on, "target": target })
}

#[tokio::test]
async fn numbers_beyond_what_a_sum_can_hold_are_refused_by_field() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let goals = format!("/v1/teams/{}/goals", team.id);
    let metrics = format!("/v1/teams/{}/metrics", team.id);
    let before = app.event_count(&team).await;

    let metric = |aim: Value| {
        let mut target = json!({ "kind": "metric", "channel_id": channel, "metric": "followers", "baseline": 1000 });
        for (key, value) in aim.as_object().unwrap() {
            target[key] = value.clone();
        }
        goal(target, "2026-11-01", "2026-11-30")
    };
    for (aim, field) in [
        (
            json!({ "baseline": 1.797_693_134_862_315_7e308, "reach": 1 }),
            "target.baseline",
        ),
        (json!({ "baseline": -5, "reach": 1 }), "target.baseline"),
        (json!({ "reach": 1e300 }), "target.reach"),
        (json!({ "increase_by": 1e16 }), "target.increase_by"),
        (
            json!({ "increase_by_percent": 1e300 }),
            "target.increase_by_percent",
        ),
    ] {
        refused(
            app.post(&goals, &team.owner_token, metric(aim)).await,
            field,
        )
        .await;
    }
    for value in [1.797_693_134_862_315_7e308, 1e308, 1e16, -1.0] {
        let batch = json!({ "observations": [
            { "channel_id": channel, "metric": "clicks", "value": 1, "observed_at": "2026-11-02T09:00:00Z" },
            { "channel_id": channel, "metric": "clicks", "value": value, "observed_at": "2026-11-02T10:00:00Z" },
        ] });
        refused(
            app.post(&metrics, &team.owner_token, batch).await,
            "observations[1].value",
        )
        .await;
    }
    assert_eq!(app.event_count(&team).await, before, "nothing was written");

    // The largest values accepted add up without overflow in every read.
    let batch = json!({ "observations": [
        { "channel_id": channel, "metric": "clicks", "value": 1e15, "observed_at": "2026-11-02T09:00:00Z" },
        { "channel_id": channel, "metric": "clicks", "value": 1e15, "observed_at": "2026-11-02T10:00:00Z" },
    ] });
    let recorded = app.post(&metrics, &team.owner_token, batch).await;
    assert!(recorded.status().is_success(), "{}", recorded.status());
    let series = app
        .get(
            &format!("{metrics}?channel_id={channel}&metric=clicks&bucket=day"),
            &team.owner_token,
        )
        .await;
    assert_eq!(series.status(), StatusCode::OK);
    let series: Value = series.json().await.unwrap();
    assert!(series.to_string().contains("2000000000000000"), "{series}");
    let sum = metric(json!({ "aggregation": "sum", "baseline": 1e15, "reach": 0 }));
    assert_eq!(
        app.post(&goals, &team.owner_token, sum).await.status(),
        StatusCode::CREATED
    );
    for read in ["progress", "channels/assessment", "suggestions"] {
        let response = app
            .get(&format!("/v1/teams/{}/{read}", team.id), &team.owner_token)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{read}");
    }
    projections_keep_up(&app, &team).await;
}

#[tokio::test]
async fn dates_outside_2000_to_2100_are_refused_by_field() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let goals = format!("/v1/teams/{}/goals", team.id);
    let before = app.event_count(&team).await;
    let cadence = |period: &str| json!({ "kind": "cadence", "count": 3, "period": period });

    for (body, field) in [
        (
            goal(cadence("week"), "-262000-01-01", "2026-11-30"),
            "starts_on",
        ),
        (
            goal(cadence("week"), "-262143-01-02", "2026-11-30"),
            "starts_on",
        ),
        (
            goal(cadence("month"), "2026-11-01", "+262142-12-01"),
            "due_on",
        ),
        (
            goal(cadence("week"), "-5000-01-01", "2026-11-30"),
            "starts_on",
        ),
        (
            goal(cadence("week"), "1999-12-31", "2026-11-30"),
            "starts_on",
        ),
        (goal(cadence("week"), "2026-11-01", "2101-01-01"), "due_on"),
    ] {
        refused(app.post(&goals, &team.owner_token, body).await, field).await;
    }
    let edges = goal(cadence("week"), "2000-01-01", "2100-12-31");
    let created: Value = app
        .post(&goals, &team.owner_token, edges)
        .await
        .json()
        .await
        .unwrap();
    let goal_id = created["id"].as_str().unwrap().to_owned();
    refused(
        app.patch(
            &format!("{goals}/{goal_id}"),
            &team.owner_token,
            json!({ "due_on": "+262142-12-01" }),
        )
        .await,
        "due_on",
    )
    .await;

    let metrics = format!("/v1/teams/{}/metrics", team.id);
    for at in ["-5000-01-01T00:00:00Z", "1999-12-30T00:00:00Z"] {
        let batch = json!({ "observations": [{ "channel_id": channel, "metric": "followers", "value": 5, "observed_at": at }] });
        refused(
            app.post(&metrics, &team.owner_token, batch).await,
            "observations[0].observed_at",
        )
        .await;
    }

    let post = draft(&app, &team, &channel).await;
    refused(
        app.post(
            &format!("{post}/publish"),
            &team.owner_token,
            json!({ "published_at": "-5000-01-01T00:00:00Z" }),
        )
        .await,
        "published_at",
    )
    .await;
    refused(
        app.patch(
            &post,
            &team.owner_token,
            json!({ "scheduled_for": "+262142-01-01T00:00:00Z" }),
        )
        .await,
        "scheduled_for",
    )
    .await;
    // One goal (the edges) and one draft: nothing else reached the log.
    assert_eq!(app.event_count(&team).await, before + 2);

    // The widest goal is evaluated in bounded time, at every instant a client may name.
    for read in ["progress", "suggestions", "channels/assessment"] {
        for as_of in ["2000-01-01T00:00:00Z", "2100-12-31T23:59:59Z"] {
            let response = app
                .get(
                    &format!("/v1/teams/{}/{read}?as_of={as_of}", team.id),
                    &team.owner_token,
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK, "{read} at {as_of}");
        }
    }
    projections_keep_up(&app, &team).await;
}

#[tokio::test]
async fn instants_in_queries_outside_2000_to_2100_are_refused_by_parameter() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let idea = app
        .post(
            &format!("/v1/teams/{}/ideas", team.id),
            &team.owner_token,
            json!({ "title": "Latte art" }),
        )
        .await;
    assert_eq!(idea.status(), StatusCode::CREATED);
    let idea: Value = idea.json().await.unwrap();
    let team_path = format!("/v1/teams/{}", team.id);
    let impact = format!("ideas/{}/impact", idea["id"].as_str().unwrap());
    let metrics = format!("metrics?channel_id={channel}&metric=followers");
    for far in [
        "-262143-01-05T00:00:00Z",
        "-5000-01-01T00:00:00Z",
        "+262142-01-01T00:00:00Z",
    ] {
        for (read, param) in [
            ("progress?as_of", "as_of"),
            ("progress?known_at", "known_at"),
            ("channels/assessment?as_of", "as_of"),
            ("suggestions?as_of", "as_of"),
            (&format!("{impact}?as_of"), "as_of"),
            (&format!("{metrics}&from"), "from"),
            (&format!("{metrics}&to"), "to"),
            ("posts?from", "from"),
        ] {
            let response = app
                .get(&format!("{team_path}/{read}={far}"), &team.owner_token)
                .await;
            refused(response, param).await;
        }
    }
}

#[tokio::test]
async fn nul_characters_are_refused_wherever_text_enters() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let publish = format!("{}/publish", draft(&app, &team, &channel).await);
    refused(
        app.post(
            &publish,
            &team.owner_token,
            json!({ "url": "https://example.com/\u{0}" }),
        )
        .await,
        "url",
    )
    .await;
    refused(
        app.post(
            &format!("/v1/teams/{}/ideas", team.id),
            &team.owner_token,
            json!({ "title": "Ok", "tags": ["fine", "ba\u{0}d"] }),
        )
        .await,
        "tags[1]",
    )
    .await;
    refused(
        app.get(
            &format!("/v1/teams/{}/ideas?tag=a%00b", team.id),
            &team.owner_token,
        )
        .await,
        "tag",
    )
    .await;
    let similar = app
        .request(
            Method::GET,
            &format!("/v1/boards/{}/ideas/similar?title=x%00y", team.slug),
            None,
        )
        .send()
        .await
        .unwrap();
    refused(similar, "title").await;
    let board = app
        .request(Method::GET, "/v1/boards/acme%00/ideas", None)
        .send()
        .await
        .unwrap();
    assert_problem(board, 404, "not_found").await;
    projections_keep_up(&app, &team).await;
}

#[tokio::test]
async fn an_event_a_projection_cannot_apply_stops_only_its_teams_reads() {
    let app = TestApp::spawn().await;
    let broken = app.sign_up("broken").await;
    let healthy = app.sign_up("healthy").await;
    // An event no version of the domain wrote, as a bug might leave one in the log.
    let client = app.db.connect().await.unwrap();
    client
        .execute(
            "INSERT INTO events (team_id, position, event_id, stream_id, stream_type, \
             stream_version, event_type, schema_version, data, metadata) \
             VALUES ($1, pg_current_xact_id()::text::bigint << 16, gen_random_uuid(), \
             gen_random_uuid(), 'goal', 1, 'GoalSet', 1, '{\"title\": 42}', '{}')",
            &[&broken.id],
        )
        .await
        .unwrap();
    let progress = |team: &Team| format!("/v1/teams/{}/progress", team.id);
    let mut answer = StatusCode::OK;
    for _ in 0..100 {
        answer = app
            .get(&progress(&broken), &broken.owner_token)
            .await
            .status();
        if answer != StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(answer, StatusCode::SERVICE_UNAVAILABLE);
    let problem = assert_problem(
        app.get(&progress(&broken), &broken.owner_token).await,
        503,
        "projection_failed",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("aggregates"),
        "{problem}"
    );

    // The other team writes and reads as ever, waiting for its own writes.
    projections_keep_up(&app, &healthy).await;
    let read = app.get(&progress(&healthy), &healthy.owner_token).await;
    assert_eq!(read.status(), StatusCode::OK);
    let metrics = app
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("stride_projection_failures{projection=\"aggregates\"} 1"),
        "{metrics}"
    );
}
