//! `?known_at=`: reads as they stood at an instant of system time, corrections of metric
//! observations included, at a bounded cost: only the kinds of events a read needs are
//! replayed, and past a cap the read is refused with a stable problem.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stride_tests::{Team, TestApp, assert_problem};

/// The database's clock, which stamps `recorded_at`: writes before this call were recorded
/// at or before it, writes after it later.
async fn db_now(app: &TestApp) -> String {
    let client = app.store.pool().get().await.unwrap();
    client
        .query_one(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

async fn get(app: &TestApp, team: &Team, path: &str) -> Value {
    let response = app
        .request(Method::GET, path, Some(&team.owner_token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().await.unwrap()
}

async fn write(app: &TestApp, team: &Team, path: &str, body: Value) -> Value {
    let response = app.post(path, &team.owner_token, body).await;
    assert!(response.status().is_success(), "POST {path}");
    response.json().await.unwrap()
}

/// Records observations; the position to wait for to read them from the projections.
async fn observe(app: &TestApp, team: &Team, rows: Value) -> String {
    let path = format!("/v1/teams/{}/metrics", team.id);
    let response = app
        .post(&path, &team.owner_token, json!({ "observations": rows }))
        .await;
    assert!(response.status().is_success(), "POST {path}");
    response.headers()["stride-position"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn known_at_sees_each_correction_only_from_when_it_was_recorded() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let goal = write(
        &app,
        &team,
        &format!("/v1/teams/{}/goals", team.id),
        json!({
            "title": "Grow Instagram to 1100", "horizon": "short",
            "starts_on": "2026-11-01", "due_on": "2026-11-30",
            "target": { "kind": "metric", "channel_id": channel, "metric": "followers",
                        "aggregation": "latest", "baseline": 1000, "reach": 1100 }
        }),
    )
    .await;
    let posts = format!("/v1/teams/{}/posts", team.id);
    let post = write(
        &app,
        &team,
        &posts,
        json!({ "channel_id": channel, "title": "Reel" }),
    )
    .await;
    let post = post["id"].as_str().unwrap().to_owned();
    let published = json!({ "published_at": "2026-11-10T12:00:00Z" });
    write(&app, &team, &format!("{posts}/{post}/publish"), published).await;

    let followers = |value: u32| {
        json!([{ "channel_id": channel, "metric": "followers", "value": value,
                 "observed_at": "2026-11-05T00:00:00Z" }])
    };
    let likes = |value: u32| {
        json!([{ "channel_id": channel, "metric": "likes", "value": value, "post_id": post,
                 "observed_at": "2026-11-12T00:00:00Z" }])
    };
    let before = db_now(&app).await;
    observe(&app, &team, followers(1010)).await;
    observe(&app, &team, likes(5)).await;
    let first = db_now(&app).await;
    observe(&app, &team, followers(1020)).await;
    observe(&app, &team, likes(7)).await;
    let second = db_now(&app).await;
    observe(&app, &team, followers(1030)).await;
    let position = observe(&app, &team, likes(9)).await;

    let goal_path = format!(
        "/v1/teams/{}/goals/{}/progress?as_of=2026-11-16T00:00:00Z",
        team.id,
        goal["id"].as_str().unwrap()
    );
    let assessment_path = format!(
        "/v1/teams/{}/channels/assessment?window_days=28&as_of=2026-11-25T00:00:00Z",
        team.id
    );
    for (known_at, current, engagement) in [
        (Some(&before), None, Some(0.0)),
        (Some(&first), Some(1010.0), Some(5.0)),
        (Some(&second), Some(1020.0), Some(7.0)),
        (None, Some(1030.0), Some(9.0)),
    ] {
        // Without known_at, the projections are read once they hold every write.
        let at = known_at.map_or(format!("&min_position={position}"), |k| {
            format!("&known_at={k}")
        });
        let progress = get(&app, &team, &format!("{goal_path}{at}")).await;
        assert_eq!(progress["current"].as_f64(), current, "{at}: {progress}");
        let assessment = get(&app, &team, &format!("{assessment_path}{at}")).await;
        assert_eq!(
            assessment["channels"][0]["engagement_per_post"].as_f64(),
            engagement,
            "{at}: {assessment}"
        );
    }
}

// Events $4 + 1 ..= $4 + $5 of one contributor voting for an idea and withdrawing, in turn,
// at those very positions: below every projection's checkpoint once the projections have
// passed the idea, so that they, which this test does not read, never replay them. Written
// in short transactions: while one is open, no reader on the cluster sees past it.
const VOTES: &str = "INSERT INTO events (team_id, position, event_id, stream_id, stream_type, \
         stream_version, event_type, schema_version, data, metadata) \
     SELECT $1, $4 + i, gen_random_uuid(), $3, 'idea_votes', $4 + i, \
         CASE WHEN ($4 + i) % 2 = 1 THEN 'IdeaVoted' ELSE 'IdeaVoteWithdrawn' END, 1, \
         jsonb_build_object('idea_id', $2::uuid, 'contributor_id', $3::uuid), \
         (SELECT metadata FROM events WHERE team_id = $1 ORDER BY position DESC LIMIT 1) \
     FROM generate_series(1, $5::bigint) AS i";

#[tokio::test]
async fn a_known_at_read_past_its_replay_cap_is_refused_and_one_that_needs_no_votes_is_not() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let response = app
        .post(
            &format!("/v1/teams/{}/ideas", team.id),
            &team.owner_token,
            json!({ "title": "Customer stories" }),
        )
        .await;
    let position: i64 = response.headers()["stride-position"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let idea: Value = response.json().await.unwrap();
    let idea_id: uuid::Uuid = idea["id"].as_str().unwrap().parse().unwrap();
    let projected = app
        .store
        .projections()
        .wait_projected(position, std::time::Duration::from_secs(10));
    assert!(projected.await.unwrap(), "the projections pass the idea");
    assert!(position > 50_001, "the positions below are free");
    let client = app.store.pool().get().await.unwrap();
    // 50,001 vote events, one past the cap.
    let voter = uuid::Uuid::now_v7();
    let mut written = 0_i64;
    for votes in std::iter::repeat_n(1_000_i64, 50).chain([1]) {
        client
            .execute(VOTES, &[&team.id, &idea_id, &voter, &written, &votes])
            .await
            .unwrap();
        written += votes;
    }
    let known_at = db_now(&app).await;

    // Suggestions weigh votes: 50,001 of them is past what one read may replay.
    let suggestions = app
        .get(
            &format!("/v1/teams/{}/suggestions?known_at={known_at}", team.id),
            &team.owner_token,
        )
        .await;
    let problem = assert_problem(suggestions, 422, "known_at_too_costly").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("50000"),
        "{problem}"
    );

    // Progress counts ideas but weighs no votes, so it replays none of them.
    let progress = get(
        &app,
        &team,
        &format!("/v1/teams/{}/progress?known_at={known_at}", team.id),
    )
    .await;
    assert_eq!(progress["ideas"]["open"], 1, "{progress}");
}

#[tokio::test]
async fn the_cap_the_spec_states_is_the_one_enforced() {
    let app = TestApp::spawn().await;
    let spec = app.public_json("/openapi.json").await;
    let cap = stride_storage::known::MAX_REPLAYED;
    let stated = format!("{},{:03}", cap / 1000, cap % 1000);
    let mut described = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let Some(params) = item["get"]["parameters"].as_array() else {
            continue;
        };
        for param in params.iter().filter(|p| p["name"] == "known_at") {
            let description = param["description"].as_str().unwrap_or_default();
            // The feed is read by an index on each line's time, replaying nothing.
            if path == "/v1/teams/{team_id}/activity" {
                assert!(!description.contains(&stated), "{path}: {description}");
                continue;
            }
            assert!(description.contains(&stated), "{path}: {description}");
            assert!(
                item["get"]["responses"]["422"].is_object(),
                "{path} documents its 422"
            );
            described += 1;
        }
    }
    assert_eq!(
        described, 5,
        "progress, goal progress, suggestions, assessment, impact"
    );
}
