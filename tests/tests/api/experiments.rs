//! Strategy experiments over HTTP: numbers worked by hand from observations recorded for
//! the purpose, `as_of`, overlapping experiments, concluding, and bad input by field.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stride_tests::{Team, TestApp, assert_problem, fields};

/// Followers observed at noon from 2026-09-30 (1,000), growing by 10 a day to 2026-10-14,
/// then by 20 a day to 2026-10-28.
async fn record_growth(app: &TestApp, team: &Team, channel: &str) {
    let mut level = 1000.0;
    let mut rows = vec![
        json!({ "channel_id": channel, "metric": "followers", "value": level,
                                "observed_at": "2026-09-30T12:00:00Z" }),
    ];
    for day in 1..=28 {
        level += if day <= 14 { 10.0 } else { 20.0 };
        let date = if day <= 1 {
            "2026-10-01".to_owned()
        } else {
            format!("2026-10-{day:02}")
        };
        rows.push(
            json!({ "channel_id": channel, "metric": "followers", "value": level,
                          "observed_at": format!("{date}T12:00:00Z") }),
        );
    }
    let recorded = app
        .post(
            &format!("/v1/teams/{}/metrics", team.id),
            &team.owner_token,
            json!({ "observations": rows }),
        )
        .await;
    assert_eq!(recorded.status(), StatusCode::OK);
}

fn reels(channel: &str) -> Value {
    json!({ "title": "Reels instead of photos", "hypothesis": "Short video reaches more people",
            "change": "Post reels, no photos", "channel_ids": [channel], "metric": "followers",
            "starts_on": "2026-10-15", "ends_on": "2026-10-28", "baseline_days": 14 })
}

async fn start(app: &TestApp, team: &Team, body: Value) -> Value {
    let response = app
        .post(
            &format!("/v1/teams/{}/experiments", team.id),
            &team.owner_token,
            body,
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

#[tokio::test]
async fn an_experiment_that_doubled_daily_growth_is_better_and_too_early_it_has_too_few_days() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    record_growth(&app, &team, &channel).await;
    let started = start(&app, &team, reels(&channel)).await;
    let id = started["id"].as_str().unwrap();
    assert_eq!(started["status"], "running");

    let path = format!("/v1/teams/{}/experiments/{id}", team.id);
    let read: Value = app
        .get(
            &format!("{path}?as_of=2026-11-01T00:00:00Z"),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let overall = &read["result"]["overall"];
    // Baseline Oct 1-14: +10 a day; experiment Oct 15-28: +20 a day, every day.
    assert_eq!(overall["baseline"]["values"].as_array().unwrap().len(), 14);
    assert_eq!(
        overall["experiment"]["values"].as_array().unwrap().len(),
        14
    );
    assert_eq!(
        (
            overall["baseline"]["mean"].as_f64(),
            overall["experiment"]["mean"].as_f64()
        ),
        (Some(10.0), Some(20.0))
    );
    assert_eq!(
        (
            overall["difference"].as_f64(),
            overall["change_pct"].as_f64()
        ),
        (Some(10.0), Some(100.0))
    );
    assert_eq!(overall["interval"], json!([10.0, 10.0]));
    assert_eq!(overall["verdict"], "better");
    assert_eq!(
        read["result"]["channels"][0]["channel_id"],
        channel.as_str()
    );
    assert_eq!(read["result"]["channels"][0]["verdict"], "better");
    assert_eq!(overall["experiment"]["posts_per_week"], 0.0);

    // On the evening of Oct 19 the experiment has five days of values: too few.
    let early: Value = app
        .get(
            &format!("{path}?as_of=2026-10-19T18:00:00Z"),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let early = &early["result"]["overall"];
    assert_eq!(early["experiment"]["values"].as_array().unwrap().len(), 5);
    assert_eq!(
        (early["verdict"].as_str(), early["interval"].is_null()),
        (Some("not_enough_data"), true)
    );
}

#[tokio::test]
async fn overlapping_experiments_are_confounded_and_a_concluded_one_stays_as_it_was_decided() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let other_channel = app.add_channel(&team, "tiktok", "@acme_tt").await;
    record_growth(&app, &team, &channel).await;
    record_growth(&app, &team, &other_channel).await;
    let first = start(&app, &team, reels(&channel)).await;
    let mut mornings = reels(&channel);
    mornings["title"] = json!("Mornings instead of evenings");
    mornings["starts_on"] = json!("2026-10-20");
    mornings["ends_on"] = Value::Null;
    let second = start(&app, &team, mornings).await;
    let mut elsewhere = reels(&other_channel);
    elsewhere["title"] = json!("Duets");
    let third = start(&app, &team, elsewhere).await;
    assert_eq!(second["result"]["confounded_with"], json!([first["id"]]));
    assert_eq!(third["result"]["confounded_with"], json!([]));

    let list: Value = app
        .get(
            &format!("/v1/teams/{}/experiments", team.id),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["result"]["confounded_with"], json!([second["id"]]));

    let path = format!(
        "/v1/teams/{}/experiments/{}",
        team.id,
        first["id"].as_str().unwrap()
    );
    let concluded = app
        .post(
            &format!("{path}/conclude"),
            &team.owner_token,
            json!({ "decision": "adopt", "note": "Reels it is" }),
        )
        .await;
    assert_eq!(concluded.status(), StatusCode::OK);
    let concluded: Value = concluded.json().await.unwrap();
    assert_eq!(
        (concluded["status"].as_str(), concluded["decision"].as_str()),
        (Some("concluded"), Some("adopt"))
    );
    assert_problem(
        app.post(
            &format!("{path}/conclude"),
            &team.owner_token,
            json!({ "decision": "drop" }),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    assert_problem(
        app.patch(
            &path,
            &team.owner_token,
            json!({ "title": "Something else" }),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;

    // A revision with a stale version, and one that ends before the start.
    let second_path = format!(
        "/v1/teams/{}/experiments/{}",
        team.id,
        second["id"].as_str().unwrap()
    );
    let stale = app
        .request(Method::PATCH, &second_path, Some(&team.owner_token))
        .header("if-match", "\"7\"")
        .json(&json!({ "title": "Later" }))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 412, "version_conflict").await;
    let before = app
        .patch(
            &second_path,
            &team.owner_token,
            json!({ "ends_on": "2026-10-01" }),
        )
        .await;
    let problem = assert_problem(before, 422, "validation_failed").await;
    assert_eq!(fields(&problem), vec!["ends_on".to_owned()]);
    let revised = app
        .patch(
            &second_path,
            &team.owner_token,
            json!({ "ends_on": "2026-10-28" }),
        )
        .await;
    assert_eq!(revised.status(), StatusCode::OK);
    let position = revised.headers()["stride-position"]
        .to_str()
        .unwrap()
        .to_owned();
    let revised: Value = revised.json().await.unwrap();
    assert_eq!(revised["ends_on"], "2026-10-28");

    // The feed tells the experiments' story.
    let lines = app.feed_lines(&team, &position).await;
    for expected in [
        "started the experiment 'Duets'",
        "concluded the experiment 'Reels instead of photos', adopting the change: Reels it is",
        "revised the experiment 'Mornings instead of evenings'",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(expected)),
            "{expected} in {lines:?}"
        );
    }
}

#[tokio::test]
async fn bad_experiments_are_refused_by_field_and_viewers_only_read() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let unmeasured = app.add_channel(&team, "tiktok", "@acme_tt").await;
    record_growth(&app, &team, &channel).await;
    let other = app.sign_up("other").await;
    let foreign = app.add_channel(&other, "instagram", "@other").await;
    let before = app.event_count(&team).await;
    let path = format!("/v1/teams/{}/experiments", team.id);
    for (change, status, field) in [
        (json!({ "ends_on": "2026-10-01" }), 422, "ends_on"),
        (json!({ "ends_on": "2028-01-01" }), 422, "ends_on"),
        (json!({ "starts_on": "2000-01-05" }), 422, "starts_on"),
        (
            json!({ "starts_on": "2101-01-01", "ends_on": null }),
            422,
            "starts_on",
        ),
        (json!({ "baseline_days": 3 }), 422, "baseline_days"),
        (json!({ "channel_ids": [unmeasured] }), 422, "metric"),
        (json!({ "metric": "clicks" }), 422, "metric"),
        (json!({ "channel_ids": [foreign] }), 422, "channel_ids"),
        (json!({ "channel_ids": [] }), 422, "channel_ids"),
        (json!({ "metric": "reach" }), 400, "metric"),
        (json!({ "starts_on": "2026-13-01" }), 400, "starts_on"),
    ] {
        let mut body = reels(&channel);
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let refused = app.post(&path, &team.owner_token, body).await;
        let problem = assert_problem(refused, status, "validation_failed").await;
        assert_eq!(
            fields(&problem),
            vec![field.to_owned()],
            "{change}: {problem}"
        );
    }
    assert_eq!(app.event_count(&team).await, before, "nothing was recorded");
    let (_, viewer) = app.add_member(&team, "viewer").await;
    assert_problem(
        app.post(&path, &viewer, reels(&channel)).await,
        403,
        "forbidden",
    )
    .await;
    let listed = app.get(&path, &viewer).await;
    assert_eq!(listed.status(), StatusCode::OK);
    assert_problem(
        app.get(
            &format!("{path}/{}", uuid::Uuid::now_v7()),
            &team.owner_token,
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_suggestion_names_the_experiment_running_on_its_channel() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let quiet = app.add_channel(&team, "tiktok", "@acme_tt").await;
    record_growth(&app, &team, &channel).await;
    let today = &stride_tests::in_days(0)[..10];
    let mut running = reels(&channel);
    running["starts_on"] = json!(today);
    running["ends_on"] = Value::Null;
    start(&app, &team, running).await;
    let ideas = format!("/v1/teams/{}/ideas", team.id);
    let mut position = String::new();
    for (title, channel) in [("Reels every Friday", &channel), ("Duets", &quiet)] {
        let written = app
            .post(
                &ideas,
                &team.owner_token,
                json!({ "title": title, "channel_ids": [channel] }),
            )
            .await;
        assert_eq!(written.status(), StatusCode::CREATED);
        position = written.headers()["stride-position"]
            .to_str()
            .unwrap()
            .to_owned();
    }
    let suggestions: Value = app
        .get(
            &format!("/v1/teams/{}/suggestions?min_position={position}", team.id),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let reasons = |title: &str| -> Vec<String> {
        let item = suggestions["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["title"] == title)
            .unwrap_or_else(|| panic!("{title} in {suggestions}"));
        item["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        reasons("Reels every Friday").contains(
            &"fits experiment 'Reels instead of photos', running on Instagram @acme: Post reels, no photos"
                .to_owned()
        ),
        "{suggestions}"
    );
    assert!(!reasons("Duets").iter().any(|r| r.contains("experiment")));
}
