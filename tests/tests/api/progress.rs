//! The read models a frontend shows: team and goal progress, suggestions and the channel
//! assessment, at `as_of` and `known_at`, with numbers worked out by hand.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use stride_tests::{Team, TestApp, assert_problem, in_days};

fn position(response: &Response) -> String {
    response.headers()["stride-position"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// Reads `path` once the projections include `position`.
pub(crate) async fn read(app: &TestApp, team: &Team, path: &str, position: &str) -> Value {
    let response = app
        .request(Method::GET, path, Some(&team.owner_token))
        .header("stride-min-position", position)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().await.unwrap()
}

pub(crate) async fn write(app: &TestApp, team: &Team, path: &str, body: Value) -> (Value, String) {
    let response = app.post(path, &team.owner_token, body).await;
    assert!(
        response.status().is_success(),
        "POST {path}: {}",
        response.status()
    );
    let position = position(&response);
    (response.json().await.unwrap(), position)
}

pub(crate) async fn observe(app: &TestApp, team: &Team, rows: Value) -> String {
    let path = format!("/v1/teams/{}/metrics", team.id);
    write(app, team, &path, json!({ "observations": rows }))
        .await
        .1
}

pub(crate) async fn goal(app: &TestApp, team: &Team, body: Value) -> (String, String) {
    let (goal, position) = write(app, team, &format!("/v1/teams/{}/goals", team.id), body).await;
    (goal["id"].as_str().unwrap().to_owned(), position)
}

/// "Grow Instagram to 1100" over November 2026: the latest `followers` on `channel` from a
/// baseline of 1000; its id.
pub(crate) async fn followers_goal(app: &TestApp, team: &Team, channel: &str) -> String {
    let body = json!({
        "title": "Grow Instagram to 1100", "horizon": "short",
        "starts_on": "2026-11-01", "due_on": "2026-11-30",
        "target": { "kind": "metric", "channel_id": channel, "metric": "followers",
                    "aggregation": "latest", "baseline": 1000, "reach": 1100 }
    });
    goal(app, team, body).await.0
}

/// A post published on `channel` at `at`; its id.
pub(crate) async fn publish(
    app: &TestApp,
    team: &Team,
    channel: &str,
    title: &str,
    at: &str,
) -> (String, String) {
    let path = format!("/v1/teams/{}/posts", team.id);
    let (post, _) = write(
        app,
        team,
        &path,
        json!({ "channel_id": channel, "title": title }),
    )
    .await;
    let id = post["id"].as_str().unwrap().to_owned();
    let (_, position) = write(
        app,
        team,
        &format!("{path}/{id}/publish"),
        json!({ "published_at": at }),
    )
    .await;
    (id, position)
}

pub(crate) fn close(value: &Value, want: f64) -> bool {
    (value.as_f64().unwrap() - want).abs() < 1e-9
}

#[tokio::test]
async fn a_metric_goal_reports_progress_expected_status_and_forecast_exactly() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let goal_id = followers_goal(&app, &team, &channel).await;
    let position = observe(&app, &team, json!([
        { "channel_id": channel, "metric": "followers", "value": 1000, "observed_at": "2026-11-01T00:00:00Z" },
        { "channel_id": channel, "metric": "followers", "value": 1020, "observed_at": "2026-11-11T00:00:00Z" },
        { "channel_id": channel, "metric": "followers", "value": 1040, "observed_at": "2026-11-21T00:00:00Z" },
    ]))
    .await;

    let path = format!(
        "/v1/teams/{}/goals/{goal_id}/progress?as_of=2026-11-16T00:00:00Z",
        team.id
    );
    let mid = read(&app, &team, &path, &position).await;
    // 1020 of the way from 1000 to 1100 is 0.2; half the window has passed; 0.2 < 0.8 * 0.5.
    assert!(
        close(&mid["current"], 1020.0) && close(&mid["progress"], 0.2),
        "{mid}"
    );
    assert!(
        close(&mid["progress_pct"], 20.0) && close(&mid["expected"], 0.5),
        "{mid}"
    );
    assert_eq!(mid["status"], "behind");
    assert!(close(&mid["baseline"], 1000.0) && close(&mid["target_value"], 1100.0));
    // Two a day through (day 0, 1000) and (day 10, 1020): 1060 on day 30, 1100 on day 50.
    assert!(close(&mid["forecast"]["projected_value"], 1060.0), "{mid}");
    assert_eq!(mid["forecast"]["projected_completion_on"], "2026-12-21");

    let path = format!("/v1/teams/{}/progress?as_of=2026-12-02T00:00:00Z", team.id);
    let after = read(&app, &team, &path, &position).await;
    let reported = &after["goals"][0];
    assert_eq!(reported["goal_id"], goal_id.as_str());
    assert!(close(&reported["progress"], 0.4) && close(&reported["expected"], 1.0));
    assert_eq!(reported["status"], "missed");
}

#[tokio::test]
async fn a_cadence_goal_counts_weeks_streaks_and_the_team_pace() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let blog = app.add_channel(&team, "blog", "acme.blog").await;
    let other = app.add_channel(&team, "twitter", "@acme").await;
    let (long, _) = goal(
        &app,
        &team,
        json!({
            "title": "Be a blog people read", "horizon": "long",
            "starts_on": "2026-11-01", "due_on": "2027-10-31", "target": null
        }),
    )
    .await;
    goal(
        &app,
        &team,
        json!({
            "title": "A blog post a week", "horizon": "short", "parent_goal_id": long,
            "starts_on": "2026-11-02", "due_on": "2026-11-29",
            "target": { "kind": "cadence", "count": 1, "period": "week", "channel_id": blog }
        }),
    )
    .await;
    publish(&app, &team, &blog, "One", "2026-11-03T09:00:00Z").await;
    publish(&app, &team, &blog, "Two", "2026-11-10T09:00:00Z").await;
    // Not on the blog: counts for the pace, not for the cadence.
    publish(&app, &team, &other, "Tweet", "2026-11-11T09:00:00Z").await;
    let (_, position) = publish(&app, &team, &blog, "Three", "2026-11-17T09:00:00Z").await;

    let path = format!("/v1/teams/{}/progress?as_of=2026-11-20T12:00:00Z", team.id);
    let progress = read(&app, &team, &path, &position).await;
    assert_eq!(progress["as_of"], "2026-11-20T12:00:00Z");
    let step = &progress["goals"][0]["children"][0];
    assert_eq!(step["title"], "A blog post a week");
    assert_eq!(
        (step["streak"].as_u64(), step["best_streak"].as_u64()),
        (Some(2), Some(2))
    );
    assert!(
        close(&step["adherence"], 1.0) && close(&step["progress"], 1.0),
        "{step}"
    );
    assert_eq!(step["period_count"], 1);
    // Friday noon: four and a half days of the ISO week.
    assert!(close(&step["expected"], 4.5 / 7.0), "{step}");
    assert_eq!(step["status"], "on_track");
    // The long goal moves by its one step's progress.
    assert!(close(&progress["goals"][0]["progress"], 1.0));
    assert_eq!(progress["pace"], "steady");
    assert_eq!(progress["posts"]["published_this_week"], 1);

    // Three weeks later nothing more was published: stalled, and the streak is gone.
    let path = format!("/v1/teams/{}/progress?as_of=2026-12-05T00:00:00Z", team.id);
    let later = read(&app, &team, &path, &position).await;
    assert_eq!(later["pace"], "stalled");
    let step = &later["goals"][0]["children"][0];
    assert_eq!(
        (step["streak"].as_u64(), step["best_streak"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(step["status"], "missed");
}

#[tokio::test]
async fn as_of_counts_a_backfilled_observation_and_known_at_does_not() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let goal_id = followers_goal(&app, &team, &channel).await;
    observe(&app, &team, json!([{ "channel_id": channel, "metric": "followers", "value": 1010, "observed_at": "2026-11-05T00:00:00Z" }])).await;
    // A moment that separates what was recorded before it from what came after.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let known_at = chrono_now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let position = observe(&app, &team, json!([{ "channel_id": channel, "metric": "followers", "value": 1050, "observed_at": "2026-11-10T00:00:00Z" }])).await;

    let base = format!(
        "/v1/teams/{}/goals/{goal_id}/progress?as_of=2026-11-16T00:00:00Z",
        team.id
    );
    let now = read(&app, &team, &base, &position).await;
    assert!(
        close(&now["current"], 1050.0),
        "the backfilled observation counts: {now}"
    );
    let then = read(
        &app,
        &team,
        &format!("{base}&known_at={known_at}"),
        &position,
    )
    .await;
    assert!(
        close(&then["current"], 1010.0),
        "it was not known yet: {then}"
    );
    assert!(close(&then["progress"], 0.1));
    // Before the goal was set, it did not exist.
    let before = app
        .get(
            &format!("{base}&known_at=2026-01-01T00:00:00Z"),
            &team.owner_token,
        )
        .await;
    assert_problem(before, 404, "not_found").await;
}

fn chrono_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let whole = stride_tests::in_days(0);
    // in_days gives whole seconds: add the milliseconds so the instant falls between writes.
    format!(
        "{}.{:03}Z",
        whole.trim_end_matches('Z'),
        now.subsec_millis()
    )
}

#[tokio::test]
async fn suggestions_rank_votes_and_the_need_of_a_goal_behind_with_reasons() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    // Halfway through its window with nothing observed: progress 0 of 0.5 expected, behind.
    let day = |days: i64| in_days(days)[..10].to_owned();
    goal(
        &app,
        &team,
        json!({
            "title": "Grow Instagram to 1100", "horizon": "short",
            "starts_on": day(-10), "due_on": day(10),
            "target": { "kind": "metric", "channel_id": channel, "metric": "followers",
                        "aggregation": "latest", "baseline": 1000, "reach": 1100 }
        }),
    )
    .await;
    let ideas = format!("/v1/teams/{}/ideas", team.id);
    let (aimed, _) = write(
        &app,
        &team,
        &ideas,
        json!({ "title": "Reels every Friday", "channel_ids": [channel] }),
    )
    .await;
    let (liked, _) = write(&app, &team, &ideas, json!({ "title": "Customer stories" })).await;
    let (quiet, _) = write(&app, &team, &ideas, json!({ "title": "Behind the scenes" })).await;
    let (declined, _) = write(&app, &team, &ideas, json!({ "title": "Fax campaign" })).await;
    let declined_id = declined["id"].as_str().unwrap();
    write(
        &app,
        &team,
        &format!("{ideas}/{declined_id}/status"),
        json!({ "status": "declined", "reason": "no" }),
    )
    .await;
    let fan = app.join_board("acme", Some("Fan")).await;
    let vote = app
        .vote_for("acme", liked["id"].as_str().unwrap(), &fan)
        .await;
    let position = position(&vote);

    let got = read(
        &app,
        &team,
        &format!("/v1/teams/{}/suggestions", team.id),
        &position,
    )
    .await;
    let items = got["items"].as_array().unwrap();
    let ids: Vec<&Value> = items.iter().map(|i| &i["idea_id"]).collect();
    // The need (2) outranks one fresh vote (about 1), which outranks none; declined never shows.
    assert_eq!(ids, vec![&aimed["id"], &liked["id"], &quiet["id"]], "{got}");
    assert!(close(&items[0]["score"], 2.0), "{got}");
    let reasons: Vec<&str> = items[0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons
            .contains(&"aimed at Instagram @acme, where goal 'Grow Instagram to 1100' is behind"),
        "{reasons:?}"
    );
    assert_eq!(items[1]["vote_count"], 1);
    assert!(
        (items[1]["score"].as_f64().unwrap() - 1.0).abs() < 0.01,
        "{got}"
    );
    assert!(close(&items[2]["score"], 0.0));
    let one = read(
        &app,
        &team,
        &format!("/v1/teams/{}/suggestions?limit=1", team.id),
        &position,
    )
    .await;
    let progress = read(
        &app,
        &team,
        &format!("/v1/teams/{}/progress", team.id),
        &position,
    )
    .await;
    assert_eq!(
        progress["ideas"],
        json!({ "open": 3, "under_review": 0, "planned": 0, "used": 0, "declined": 1 })
    );
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_weakest_channel_with_four_posts_is_recommended_cut() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let weak = app.add_channel(&team, "pinterest", "@acme").await;
    let strong = app.add_channel(&team, "instagram", "@acme").await;
    let mut rows = Vec::new();
    let mut position = String::new();
    for (channel, likes) in [(&weak, 1), (&strong, 10)] {
        for day in 10..14 {
            let (post, p) = publish(
                &app,
                &team,
                channel,
                "Post",
                &format!("2026-11-{day}T09:00:00Z"),
            )
            .await;
            position = p;
            rows.push(json!({ "channel_id": channel, "post_id": post, "metric": "likes", "value": likes, "observed_at": "2026-11-15T00:00:00Z" }));
        }
    }
    for (channel, end) in [(&weak, 1000), (&strong, 1100)] {
        rows.push(json!({ "channel_id": channel, "metric": "followers", "value": 1000, "observed_at": "2026-10-20T00:00:00Z" }));
        rows.push(json!({ "channel_id": channel, "metric": "followers", "value": end, "observed_at": "2026-11-20T00:00:00Z" }));
    }
    let recorded = observe(&app, &team, Value::Array(rows)).await;
    assert!(recorded.parse::<i64>().unwrap() > position.parse::<i64>().unwrap());

    let path = format!(
        "/v1/teams/{}/channels/assessment?window_days=28&as_of=2026-11-25T00:00:00Z",
        team.id
    );
    let assessment = read(&app, &team, &path, &recorded).await;
    assert_eq!(assessment["window_days"], 28);
    let by_channel = |id: &str| {
        assessment["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel_id"] == id)
            .unwrap()
            .clone()
    };
    let (weak, strong) = (by_channel(&weak), by_channel(&strong));
    assert_eq!(weak["posts_published"], 4);
    assert!(
        close(&weak["engagement_per_post"], 1.0) && close(&weak["follower_growth_pct"], 0.0),
        "{weak}"
    );
    assert_eq!(weak["recommendation"], "cut", "{weak}");
    assert!(
        close(&strong["engagement_per_post"], 10.0) && close(&strong["follower_growth_pct"], 10.0)
    );
    assert_eq!(strong["recommendation"], "grow", "{strong}");
}

#[tokio::test]
async fn progress_reads_refuse_bad_instants_and_other_teams_goals() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let (goal_id, _) = goal(&app, &other, json!({
        "title": "Theirs", "horizon": "long", "starts_on": "2026-11-01", "due_on": "2026-12-31", "target": null
    }))
    .await;
    let foreign = app
        .get(
            &format!("/v1/teams/{}/goals/{goal_id}/progress", team.id),
            &team.owner_token,
        )
        .await;
    assert_problem(foreign, 404, "not_found").await;
    let bad = app
        .get(
            &format!("/v1/teams/{}/progress?as_of=yesterday", team.id),
            &team.owner_token,
        )
        .await;
    assert_problem(bad, 400, "validation_failed").await;
    let window = app
        .get(
            &format!("/v1/teams/{}/channels/assessment?window_days=0", team.id),
            &team.owner_token,
        )
        .await;
    assert_problem(window, 400, "validation_failed").await;
    let viewer = app.add_member(&team, "viewer").await.1;
    let seen = app
        .get(&format!("/v1/teams/{}/suggestions", team.id), &viewer)
        .await;
    assert_eq!(seen.status(), StatusCode::OK, "a viewer reads progress");
}

async fn fan_idea(app: &TestApp, token: &str, title: &str) -> String {
    let idea = app.submit_idea("acme", token, title).await;
    idea["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_idea_traces_to_its_posts_their_metrics_and_the_goals_they_moved() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let (ada, bo) = (
        app.join_board("acme", Some("Ada")).await,
        app.join_board("acme", Some("Bo")).await,
    );
    let used = fan_idea(&app, &ada, "Behind the scenes").await;
    let popular = fan_idea(&app, &bo, "Customer stories").await;
    app.vote_for("acme", &popular, &ada).await;
    app.vote_for("acme", &popular, &bo).await;
    app.vote_for("acme", &used, &bo).await;
    let goal_id = followers_goal(&app, &team, &channel).await;
    let posts = format!("/v1/teams/{}/posts", team.id);
    let (post, _) = write(
        &app,
        &team,
        &posts,
        json!({
            "channel_id": channel, "title": "A day at Acme", "idea_id": used, "goal_ids": [goal_id]
        }),
    )
    .await;
    let post_id = post["id"].as_str().unwrap();
    write(
        &app,
        &team,
        &format!("{posts}/{post_id}/publish"),
        json!({ "published_at": "2026-11-10T09:00:00Z" }),
    )
    .await;
    let position = observe(&app, &team, json!([
        { "channel_id": channel, "metric": "followers", "value": 1000, "observed_at": "2026-11-05T00:00:00Z" },
        { "channel_id": channel, "metric": "followers", "value": 1050, "observed_at": "2026-11-15T00:00:00Z" },
        { "channel_id": channel, "post_id": post_id, "metric": "likes", "value": 12, "observed_at": "2026-11-11T00:00:00Z" },
        { "channel_id": channel, "post_id": post_id, "metric": "likes", "value": 30, "observed_at": "2026-11-12T00:00:00Z" },
    ]))
    .await;

    let path = format!(
        "/v1/teams/{}/ideas/{used}/impact?as_of=2026-11-20T00:00:00Z",
        team.id
    );
    let impact = read(&app, &team, &path, &position).await;
    assert_eq!(impact["posts"][0]["post_id"], post_id);
    assert_eq!(impact["posts"][0]["status"], "published");
    assert!(
        close(&impact["posts"][0]["metrics"]["likes"], 30.0),
        "{impact}"
    );
    let moved = &impact["goals"][0];
    assert_eq!(moved["goal_id"], goal_id.as_str());
    assert_eq!(moved["live_since"], "2026-11-10T09:00:00Z");
    assert!(
        close(&moved["progress_at_publication"], 0.0) && close(&moved["progress_now"], 0.5),
        "{moved}"
    );

    let credit = read(
        &app,
        &team,
        &format!("/v1/teams/{}/contributors", team.id),
        &position,
    )
    .await;
    let rows = credit["items"].as_array().unwrap();
    // Ada's idea was used; Bo's drew more votes: use ranks first.
    assert_eq!(rows[0]["name"], "Ada");
    assert_eq!(
        (
            rows[0]["ideas_used"].as_u64(),
            rows[0]["votes_drawn"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(rows[1]["name"], "Bo");
    assert_eq!(
        (
            rows[1]["ideas_used"].as_u64(),
            rows[1]["votes_drawn"].as_u64()
        ),
        (Some(0), Some(2))
    );

    let missing = app
        .get(
            &format!(
                "/v1/teams/{}/ideas/{}/impact",
                team.id,
                uuid::Uuid::now_v7()
            ),
            &team.owner_token,
        )
        .await;
    assert_problem(missing, 404, "not_found").await;
}
