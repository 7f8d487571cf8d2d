//! One goal's progress with its history: a metric goal's burn-up day by day and a cadence
//! goal's periods, at `as_of`, while the team's progress list stays without them.

use serde_json::{Value, json};
use stride_tests::{Team, TestApp};

use crate::progress::{close, followers_goal, goal, observe, publish, read};

async fn goal_progress(app: &TestApp, team: &Team, goal_id: &str, as_of: &str, at: &str) -> Value {
    let path = format!(
        "/v1/teams/{}/goals/{goal_id}/progress?as_of={as_of}",
        team.id
    );
    read(app, team, &path, at).await
}

/// `[(on, value)]` of a burn-up.
fn burn_up(progress: &Value) -> Vec<(String, f64)> {
    progress["burn_up"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["on"].as_str().unwrap().to_owned(),
                p["value"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn days(want: &[(&str, f64)]) -> Vec<(String, f64)> {
    want.iter().map(|(d, v)| ((*d).to_owned(), *v)).collect()
}

#[tokio::test]
async fn a_metric_goal_burns_up_day_by_day_to_as_of() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let goal_id = followers_goal(&app, &team, &channel).await;
    let position = observe(&app, &team, json!([
        { "channel_id": channel, "metric": "followers", "value": 990, "observed_at": "2026-10-28T12:00:00Z" },
        { "channel_id": channel, "metric": "followers", "value": 1000, "observed_at": "2026-11-02T10:00:00Z" },
        { "channel_id": channel, "metric": "followers", "value": 1010, "observed_at": "2026-11-03T23:00:00Z" },
        { "channel_id": channel, "metric": "followers", "value": 1030, "observed_at": "2026-11-05T00:00:00Z" },
    ]))
    .await;

    let now = goal_progress(&app, &team, &goal_id, "2026-11-05T12:00:00Z", &position).await;
    // The latest observation at the end of each day; the first day still has October's.
    let want = days(&[
        ("2026-11-01", 990.0),
        ("2026-11-02", 1000.0),
        ("2026-11-03", 1010.0),
        ("2026-11-04", 1010.0),
        ("2026-11-05", 1030.0),
    ]);
    assert_eq!(burn_up(&now), want, "{now}");
    assert!(close(&now["current"], 1030.0) && close(&now["progress"], 0.3));
    assert_eq!(now["periods"], json!([]));

    // An earlier as_of ends the series there, at that instant: 23:00 had not come yet.
    let then = goal_progress(&app, &team, &goal_id, "2026-11-03T12:00:00Z", &position).await;
    let want = days(&[
        ("2026-11-01", 990.0),
        ("2026-11-02", 1000.0),
        ("2026-11-03", 1000.0),
    ]);
    assert_eq!(burn_up(&then), want, "{then}");

    // Before the goal starts there is nothing to draw.
    let before = goal_progress(&app, &team, &goal_id, "2026-10-30T00:00:00Z", &position).await;
    assert_eq!(before["burn_up"], json!([]));

    // The team's list stays as light as it was.
    let path = format!("/v1/teams/{}/progress?as_of=2026-11-05T12:00:00Z", team.id);
    let listed = read(&app, &team, &path, &position).await;
    let listed = listed["goals"][0].as_object().unwrap();
    assert!(!listed.contains_key("burn_up") && !listed.contains_key("periods"));
}

fn period(starts_on: &str, ends_on: &str, count: u32, met: bool, complete: bool) -> Value {
    json!({ "starts_on": starts_on, "ends_on": ends_on, "count": count, "met": met, "complete": complete })
}

#[tokio::test]
async fn a_cadence_goal_shows_its_periods_to_the_current_one() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let blog = app.add_channel(&team, "blog", "acme.blog").await;
    let other = app.add_channel(&team, "twitter", "@acme").await;
    let (goal_id, _) = goal(
        &app,
        &team,
        json!({
            "title": "Two blog posts a week", "horizon": "short",
            "starts_on": "2026-11-02", "due_on": "2026-11-29",
            "target": { "kind": "cadence", "count": 2, "period": "week", "channel_id": blog }
        }),
    )
    .await;
    publish(&app, &team, &blog, "One", "2026-11-03T09:00:00Z").await;
    publish(&app, &team, &blog, "Two", "2026-11-05T09:00:00Z").await;
    publish(&app, &team, &blog, "Three", "2026-11-10T09:00:00Z").await;
    // Not on the blog: it does not count.
    publish(&app, &team, &other, "Tweet", "2026-11-11T09:00:00Z").await;
    let (_, position) = publish(&app, &team, &blog, "Four", "2026-11-17T09:00:00Z").await;

    let now = goal_progress(&app, &team, &goal_id, "2026-11-18T12:00:00Z", &position).await;
    let want = json!([
        period("2026-11-02", "2026-11-08", 2, true, true),
        period("2026-11-09", "2026-11-15", 1, false, true),
        period("2026-11-16", "2026-11-22", 1, false, false),
    ]);
    assert_eq!(now["periods"], want, "{now}");
    assert_eq!(now["period_count"], 1);
    assert_eq!(now["burn_up"], json!([]));

    // At the very start of the second week the first is over and the second has nothing.
    let then = goal_progress(&app, &team, &goal_id, "2026-11-09T00:00:00Z", &position).await;
    let want = json!([
        period("2026-11-02", "2026-11-08", 2, true, true),
        period("2026-11-09", "2026-11-15", 0, false, false),
    ]);
    assert_eq!(then["periods"], want, "{then}");
}
