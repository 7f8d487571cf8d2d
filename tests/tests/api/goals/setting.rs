//! Setting goals: how targets are stated and normalized, and every refusal by field.

use serde_json::{Value, json};
use stride_tests::{TestApp, assert_invalid, fields};
use uuid::Uuid;

use super::*;

#[tokio::test]
async fn a_short_metric_goal_states_its_target_three_ways_and_stores_the_value() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@a").await;

    let response = app
        .post(
            &goals(&team),
            &team.owner_token,
            short_goal(followers(&channel, json!({ "increase_by_percent": 10 }))),
        )
        .await;
    assert_eq!(response.headers()["etag"], "\"1\"");
    assert!(response.headers().contains_key("stride-position"));
    let goal = created(response).await;
    let target = &goal["target"];
    assert!(approx(&target["target_value"], 1100.0), "{goal}");
    assert!(approx(&target["baseline"], 1000.0), "{goal}");
    assert!(approx(&target["increase_by_percent"], 10.0), "{goal}");
    assert_eq!(target["kind"], "metric");
    assert_eq!(target["metric"], "followers");
    assert_eq!(target["aggregation"], "latest", "the default");
    assert_eq!(target["channel_id"], channel.as_str());
    for absent in ["reach", "increase_by", "count", "period"] {
        assert!(target.get(absent).is_none(), "{absent} in {target}");
    }
    assert_eq!(
        (&goal["horizon"], &goal["status"], &goal["revisions"]),
        (&json!("short"), &json!("active"), &json!(0))
    );
    assert_eq!(goal["title"], "Grow Instagram followers 10% this month");
    assert_eq!(
        (&goal["starts_on"], &goal["due_on"]),
        (&json!("2026-11-01"), &json!("2026-11-30"))
    );
    assert!(goal["parent_goal_id"].is_null() && goal["status_reason"].is_null());
    assert_eq!(goal["version"], 1);

    let one = app.get(&goal_path(&team, &goal), &team.owner_token).await;
    assert_eq!(one.headers()["etag"], "\"1\"");
    assert_eq!(ok(one).await, goal);

    for (aim, value) in [
        (json!({ "reach": 1250 }), 1250.0),
        (json!({ "increase_by": 50 }), 1050.0),
        (json!({ "reach": 900 }), 900.0),
    ] {
        let key = aim.as_object().unwrap().keys().next().unwrap().clone();
        let goal = set(&app, &team, short_goal(followers(&channel, aim.clone()))).await;
        assert!(approx(&goal["target"]["target_value"], value), "{goal}");
        let stated = aim[&key].as_f64().unwrap();
        assert!(
            approx(&goal["target"][&key], stated),
            "the aim as stated: {goal}"
        );
    }
    // A flow without a baseline and without observations starts from zero.
    let clicks = set(
        &app,
        &team,
        short_goal(json!({ "kind": "metric", "channel_id": channel, "metric": "clicks", "aggregation": "sum", "reach": 300 })),
    )
    .await;
    assert!(approx(&clicks["target"]["baseline"], 0.0), "{clicks}");
    assert_eq!(clicks["target"]["aggregation"], "sum");
}

#[tokio::test]
async fn a_target_without_a_baseline_starts_from_the_latest_observation_before_the_goal() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@a").await;
    let observed = |value: i64, at: &str| json!({ "channel_id": channel, "metric": "followers", "value": value, "observed_at": at });
    let recorded = app
        .post(
            &format!("/v1/teams/{}/metrics", team.id),
            &team.owner_token,
            json!({ "observations": [
                observed(1400, "2026-10-20T09:00:00Z"),
                observed(1500, "2026-10-31T23:00:00Z"),
                observed(1700, "2026-11-01T00:00:00Z"),
            ] }),
        )
        .await;
    ok(recorded).await;

    let goal = set(
        &app,
        &team,
        short_goal(followers(
            &channel,
            json!({ "baseline": null, "increase_by_percent": 10 }),
        )),
    )
    .await;
    assert!(approx(&goal["target"]["baseline"], 1500.0), "{goal}");
    assert!(approx(&goal["target"]["target_value"], 1650.0), "{goal}");
}

#[tokio::test]
async fn a_long_goal_needs_no_target_and_short_goals_hang_under_it() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "blog", "acme.blog").await;

    let long = set(&app, &team, long_goal()).await;
    assert_eq!(long["horizon"], "long");
    assert!(long["target"].is_null(), "{long}");

    let any_channel = set(
        &app,
        &team,
        with(
            short_goal(cadence(3, "week")),
            json!({ "parent_goal_id": long["id"] }),
        ),
    )
    .await;
    assert_eq!(any_channel["parent_goal_id"], long["id"]);
    assert_eq!(
        any_channel["target"],
        json!({ "kind": "cadence", "count": 3, "period": "week" }),
        "no channel: posts on any channel count"
    );
    let blog = set(
        &app,
        &team,
        with(
            short_goal(with(cadence(2, "month"), json!({ "channel_id": channel }))),
            json!({ "parent_goal_id": long["id"] }),
        ),
    )
    .await;
    assert_eq!(blog["target"]["channel_id"], channel.as_str());
    assert_eq!(blog["target"]["period"], "month");

    let listed = ok(app.get(&goals(&team), &team.owner_token).await).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn goals_are_refused_field_by_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let channel = app.add_channel(&team, "instagram", "@a").await;
    let foreign_channel = app.add_channel(&other, "instagram", "@a").await;
    let foreign_long = set(&app, &other, long_goal()).await;
    let short = set(&app, &team, short_goal(cadence(3, "week"))).await;
    let good = |aim: Value| short_goal(followers(&channel, aim));
    let reach = json!({ "reach": 1100 });

    let cases = [
        (
            with(good(reach.clone()), json!({ "due_on": "2026-10-31" })),
            "due_on",
        ),
        (short_goal(cadence(0, "week")), "target.count"),
        (short_goal(cadence(-1, "week")), "target.count"),
        (short_goal(cadence(3, "fortnight")), "target.period"),
        (good(json!({ "reach": 1000 })), "target.reach"),
        (good(json!({ "increase_by": 0 })), "target.increase_by"),
        (
            short_goal(followers(&foreign_channel, reach.clone())),
            "target.channel_id",
        ),
        (
            short_goal(followers(&Uuid::now_v7().to_string(), reach.clone())),
            "target.channel_id",
        ),
        (
            good(json!({ "reach": 1100, "metric": "vibes" })),
            "target.metric",
        ),
        (
            good(json!({ "reach": 1100, "increase_by": 100 })),
            "target.reach",
        ),
        (good(json!({})), "target.reach"),
        (
            good(json!({ "reach": 1100, "baseline": null })),
            "target.baseline",
        ),
        (good(json!({ "reach": 1100, "count": 3 })), "target.count"),
        (
            short_goal(with(cadence(3, "week"), json!({ "metric": "likes" }))),
            "target.metric",
        ),
        (
            short_goal(with(cadence(3, "week"), json!({ "kind": null }))),
            "target.kind",
        ),
        (
            good(json!({ "reach": 1100, "colour": "red" })),
            "target.colour",
        ),
        (
            with(good(reach.clone()), json!({ "colour": "red" })),
            "colour",
        ),
        (
            with(
                good(reach.clone()),
                json!({ "parent_goal_id": foreign_long["id"] }),
            ),
            "parent_goal_id",
        ),
        (
            with(
                good(reach.clone()),
                json!({ "parent_goal_id": short["id"] }),
            ),
            "parent_goal_id",
        ),
        (
            with(good(reach.clone()), json!({ "parent_goal_id": channel })),
            "parent_goal_id",
        ),
        (
            with(long_goal(), json!({ "parent_goal_id": short["id"] })),
            "parent_goal_id",
        ),
        (
            with(good(reach.clone()), json!({ "target": null })),
            "target",
        ),
        (
            with(good(reach.clone()), json!({ "starts_on": "2026-02-30" })),
            "starts_on",
        ),
        (
            with(good(reach.clone()), json!({ "horizon": "medium" })),
            "horizon",
        ),
        (with(good(reach.clone()), json!({ "title": "  " })), "title"),
    ];
    let before = app.event_count(&team).await;
    for (body, field) in cases {
        let problem = assert_invalid(
            app.post(&goals(&team), &team.owner_token, body.clone())
                .await,
        )
        .await;
        assert_eq!(fields(&problem), vec![field.to_owned()], "{body}");
    }
    assert_eq!(app.event_count(&team).await, before, "nothing was written");
}
