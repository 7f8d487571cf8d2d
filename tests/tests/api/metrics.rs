use reqwest::StatusCode;
use serde_json::{Value, json};
use stride_tests::{TestApp, assert_invalid, assert_problem, fields, in_days};

fn followers(channel: &str, value: f64, at: &str) -> Value {
    json!({ "channel_id": channel, "metric": "followers", "value": value, "observed_at": at })
}

/// The metric events in the log, oldest first, each as the observations it holds.
async fn metric_events(app: &TestApp) -> Vec<Vec<Value>> {
    let client = app.db.connect().await.unwrap();
    client
        .query(
            "SELECT data->'observations' FROM events WHERE event_type = 'MetricsRecorded' ORDER BY position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_value(r.get(0)).unwrap())
        .collect()
}

#[tokio::test]
async fn observations_are_recorded_once_and_changed_values_are_corrections() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let path = format!("/v1/teams/{}/metrics", team.id);
    let batch = json!({ "observations": [followers(&channel, 1000.0, "2026-11-02T09:00:00Z"), followers(&channel, 1010.0, "2026-11-03T09:00:00Z")] });

    let first = app.post(&path, &team.owner_token, batch.clone()).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert!(first.headers().contains_key("stride-position"));
    assert_eq!(
        first.json::<Value>().await.unwrap(),
        json!({ "recorded": 2, "corrected": 0, "unchanged": 0 })
    );
    let again: Value = app
        .post(&path, &team.owner_token, batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again,
        json!({ "recorded": 0, "corrected": 0, "unchanged": 2 })
    );

    let fix = json!({ "observations": [followers(&channel, 1012.0, "2026-11-03T09:00:00Z")] });
    let fixed: Value = app
        .post(&path, &team.owner_token, fix)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        fixed,
        json!({ "recorded": 0, "corrected": 1, "unchanged": 0 })
    );

    let events = metric_events(&app).await;
    assert_eq!(
        events.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![2, 1],
        "one event per batch, the original kept beside its correction"
    );
    assert_eq!(events[0][1]["value"], 1010.0);
    assert_eq!(events[1][0]["value"], 1012.0);
    assert_eq!(events[1][0]["corrects"], 1010.0);
}

#[tokio::test]
async fn a_batch_is_one_event_per_channel_and_the_older_one_per_observation_reads_the_same() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let instagram = app.add_channel(&team, "instagram", "@acme").await;
    let blog = app.add_channel(&team, "blog", "acme.example").await;
    let batch = json!({ "observations": [
        followers(&instagram, 10.0, "2026-11-02T09:00:00Z"),
        followers(&blog, 20.0, "2026-11-02T09:00:00Z"),
        followers(&instagram, 11.0, "2026-11-03T09:00:00Z"),
    ] });
    let path = format!("/v1/teams/{}/metrics", team.id);
    assert_eq!(
        app.post(&path, &team.owner_token, batch).await.status(),
        StatusCode::OK
    );
    // An observation as each was recorded before batches became one event per channel.
    let client = app.db.connect().await.unwrap();
    client
        .execute(
            "INSERT INTO events (team_id, position, event_id, stream_id, stream_type, stream_version, \
                 event_type, schema_version, data, metadata) \
             VALUES ($1, pg_current_xact_id()::text::bigint << 16, gen_random_uuid(), gen_random_uuid(), \
                 'metrics', 1, 'MetricRecorded', 1, \
                 jsonb_build_object('channel_id', $2::text, 'metric', 'likes', 'value', 3, \
                     'observed_at', '2026-10-01T08:00:00Z', 'corrects', 2), '{}')",
            &[&team.id, &blog],
        )
        .await
        .unwrap();

    let log: Value = app
        .get(
            &format!("/v1/teams/{}/events?limit=200", team.id),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let mut metrics: Vec<(String, Value)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["stream_type"] == "metrics")
        .map(|e| {
            assert_eq!(e["event_type"], "MetricsRecorded");
            (
                e["data"]["channel_id"].as_str().unwrap().to_owned(),
                e["data"]["observations"].clone(),
            )
        })
        .collect();
    metrics.sort_by_key(|(channel, observations)| {
        (*channel == blog, observations[0]["metric"].to_string())
    });
    assert_eq!(
        metrics,
        vec![
            (
                instagram.clone(),
                json!([
                    { "metric": "followers", "value": 10.0, "observed_at": "2026-11-02T09:00:00Z" },
                    { "metric": "followers", "value": 11.0, "observed_at": "2026-11-03T09:00:00Z" },
                ])
            ),
            (
                blog.clone(),
                json!([{ "metric": "followers", "value": 20.0, "observed_at": "2026-11-02T09:00:00Z" }])
            ),
            (
                blog.clone(),
                json!([{ "metric": "likes", "value": 3, "observed_at": "2026-10-01T08:00:00Z", "corrects": 2 }])
            ),
        ]
    );
}

#[tokio::test]
async fn concurrent_batches_with_the_same_observation_record_it_once() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let path = format!("/v1/teams/{}/metrics", team.id);
    let batch = json!({ "observations": [followers(&channel, 7.0, "2026-11-02T09:00:00Z")] });
    let sends: Vec<_> = (0..8)
        .map(|_| app.post(&path, &team.owner_token, batch.clone()))
        .collect();
    for response in futures_util::future::join_all(sends).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(metric_events(&app).await.concat().len(), 1);
}

#[tokio::test]
async fn a_bad_row_rejects_the_whole_batch_naming_its_index() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let foreign = app.add_channel(&other, "instagram", "@other").await;
    let path = format!("/v1/teams/{}/metrics", team.id);
    let good = followers(&channel, 1.0, "2026-11-02T09:00:00Z");
    let far_future = in_days(2);
    let cases = [
        (
            json!({ "channel_id": channel, "metric": "followers", "value": "many", "observed_at": "2026-11-02T09:00:00Z" }),
            "observations[1].value",
        ),
        (
            json!({ "channel_id": channel, "metric": "vibes", "value": 1, "observed_at": "2026-11-02T09:00:00Z" }),
            "observations[1].metric",
        ),
        (
            json!({ "channel_id": channel, "metric": "likes", "value": 1, "observed_at": "yesterday" }),
            "observations[1].observed_at",
        ),
        (
            json!({ "channel_id": channel, "metric": "likes", "value": 1, "observed_at": far_future }),
            "observations[1].observed_at",
        ),
        (
            json!({ "channel_id": foreign, "metric": "likes", "value": 1, "observed_at": "2026-11-02T09:00:00Z" }),
            "observations[1].channel_id",
        ),
        (
            json!({ "channel_id": channel, "metric": "likes", "value": 1, "observed_at": "2026-11-02T09:00:00Z", "post_id": foreign }),
            "observations[1].post_id",
        ),
        (
            json!({ "channel_id": channel, "metric": "likes", "value": 1, "observed_at": "2026-11-02T09:00:00Z", "mood": "good" }),
            "observations[1].mood",
        ),
    ];
    for (bad, field) in cases {
        let response = app
            .post(
                &path,
                &team.owner_token,
                json!({ "observations": [good.clone(), bad] }),
            )
            .await;
        let problem = assert_invalid(response).await;
        assert_eq!(fields(&problem), vec![field.to_owned()]);
    }
    let problem = assert_problem(
        app.post(&path, &team.owner_token, json!({ "observations": [] }))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&problem), vec!["observations".to_owned()]);
    let too_many: Vec<Value> = (0..5001)
        .map(|i| followers(&channel, f64::from(i), "2026-11-02T09:00:00Z"))
        .collect();
    let problem = assert_problem(
        app.post(
            &path,
            &team.owner_token,
            json!({ "observations": too_many }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&problem), vec!["observations".to_owned()]);
    assert!(
        metric_events(&app).await.is_empty(),
        "nothing of any rejected batch was written"
    );
}

#[tokio::test]
async fn a_full_batch_of_five_thousand_fits_the_body_limit_and_more_is_413() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let path = format!("/v1/teams/{}/metrics", team.id);
    let rows: Vec<Value> = (0..5000).map(|i| json!({ "channel_id": channel, "metric": "clicks", "value": i, "observed_at": format!("2026-11-02T{:02}:{:02}:{:02}Z", i / 3600, i / 60 % 60, i % 60) })).collect();
    let recorded: Value = app
        .post(&path, &team.owner_token, json!({ "observations": rows }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(recorded["recorded"], 5000);
    assert_eq!(
        metric_events(&app)
            .await
            .iter()
            .map(Vec::len)
            .collect::<Vec<_>>(),
        vec![1000; 5],
        "no event holds more than a thousand observations"
    );
    let huge = json!({ "observations": [{ "channel_id": channel, "metric": "clicks", "value": 1, "observed_at": "2026-11-02T00:00:00Z", "padding": "x".repeat(1024 * 1024) }] });
    assert_problem(
        app.post(&path, &team.owner_token, huge).await,
        413,
        "payload_too_large",
    )
    .await;
}

#[tokio::test]
async fn series_come_back_in_day_week_and_month_buckets() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let path = format!("/v1/teams/{}/metrics", team.id);
    // Monday 2026-11-02 .. Wednesday 2026-11-11, two observations on the 2nd.
    let rows = json!({ "observations": [
        followers(&channel, 100.0, "2026-11-02T08:00:00Z"),
        followers(&channel, 110.0, "2026-11-02T20:00:00Z"),
        followers(&channel, 120.0, "2026-11-04T08:00:00Z"),
        followers(&channel, 150.0, "2026-11-11T08:00:00Z"),
    ] });
    app.post(&path, &team.owner_token, rows).await;
    let base = format!(
        "/v1/teams/{}/metrics?channel_id={channel}&metric=followers",
        team.id
    );
    let series = |query: &str| {
        let url = format!("{base}{query}");
        let (app, token) = (&app, team.owner_token.clone());
        async move { app.get(&url, &token).await.json::<Value>().await.unwrap() }
    };
    let days = series("").await;
    let points = days["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    assert_eq!(
        points[0],
        json!({ "start": "2026-11-02T00:00:00Z", "count": 2, "sum": 210.0, "min": 100.0, "max": 110.0, "last": 110.0 })
    );
    let weeks = series("&bucket=week").await;
    let lasts: Vec<(String, f64)> = weeks["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["start"].as_str().unwrap().to_owned(),
                p["last"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lasts,
        vec![
            ("2026-11-02T00:00:00Z".to_owned(), 120.0),
            ("2026-11-09T00:00:00Z".to_owned(), 150.0)
        ]
    );
    let months = series("&bucket=month&from=2026-11-03T00:00:00Z&to=2026-12-01T00:00:00Z").await;
    assert_eq!(
        months["points"],
        json!([{ "start": "2026-11-01T00:00:00Z", "count": 2, "sum": 270.0, "min": 120.0, "max": 150.0, "last": 150.0 }])
    );

    for bad in [
        "&bucket=fortnight",
        "&from=soon",
        "&from=2026-11-05T00:00:00Z&to=2026-11-01T00:00:00Z",
    ] {
        let response = app
            .get(
                &format!(
                    "/v1/teams/{}/metrics?channel_id={channel}&metric=followers{bad}",
                    team.id
                ),
                &team.owner_token,
            )
            .await;
        assert_invalid(response).await;
    }
    let missing = app
        .get(
            &format!("/v1/teams/{}/metrics?metric=followers", team.id),
            &team.owner_token,
        )
        .await;
    assert_problem(missing, 400, "validation_failed").await;
}

#[tokio::test]
async fn metrics_follow_the_role_and_team_rules() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let (_, viewer) = app.add_member(&team, "viewer").await;
    let (_, member) = app.add_member(&team, "member").await;
    let path = format!("/v1/teams/{}/metrics", team.id);
    let batch = json!({ "observations": [followers(&channel, 1.0, "2026-11-02T09:00:00Z")] });
    assert_problem(
        app.post(&path, &viewer, batch.clone()).await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.post(&path, &member, batch.clone()).await.status(),
        StatusCode::OK
    );
    assert_problem(
        app.post(&path, &other.owner_token, batch).await,
        404,
        "not_found",
    )
    .await;
    let read = format!("{path}?channel_id={channel}&metric=followers");
    assert_eq!(app.get(&read, &viewer).await.status(), StatusCode::OK);
    assert_problem(app.get(&read, &other.owner_token).await, 404, "not_found").await;
    let theirs = format!(
        "/v1/teams/{}/metrics?channel_id={channel}&metric=followers",
        other.id
    );
    assert_problem(app.get(&theirs, &other.owner_token).await, 404, "not_found").await;
}

#[tokio::test]
async fn a_goal_without_a_baseline_starts_from_the_latest_observation_before_it() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let rows = json!({ "observations": [
        followers(&channel, 900.0, "2026-10-20T09:00:00Z"),
        followers(&channel, 1000.0, "2026-10-31T23:00:00Z"),
        followers(&channel, 5000.0, "2026-11-01T00:00:00Z"),
    ] });
    app.post(
        &format!("/v1/teams/{}/metrics", team.id),
        &team.owner_token,
        rows,
    )
    .await;
    let goal = json!({ "title": "Grow Instagram 10%", "horizon": "short", "starts_on": "2026-11-01", "due_on": "2026-11-30",
        "target": { "kind": "metric", "channel_id": channel, "metric": "followers", "aggregation": "latest", "increase_by_percent": 10 } });
    let response = app
        .post(
            &format!("/v1/teams/{}/goals", team.id),
            &team.owner_token,
            goal,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let goal: Value = response.json().await.unwrap();
    assert_eq!(goal["target"]["baseline"], 1000.0);
    assert_eq!(
        goal["target"]["target_value"].as_f64().unwrap().round(),
        1100.0
    );
}
