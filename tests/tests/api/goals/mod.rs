//! Goals over HTTP: the shared helpers, and the tests by theme.

mod lifecycle;
mod setting;

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use stride_tests::{Team, TestApp};

pub(super) fn goals(team: &Team) -> String {
    format!("/v1/teams/{}/goals", team.id)
}

/// A short goal for November with `target`.
pub(super) fn short_goal(target: Value) -> Value {
    json!({
        "title": "Grow Instagram followers 10% this month",
        "horizon": "short",
        "starts_on": "2026-11-01",
        "due_on": "2026-11-30",
        "target": target,
    })
}

pub(super) fn long_goal() -> Value {
    json!({
        "title": "Become the coffee account people wait for",
        "horizon": "long",
        "starts_on": "2026-09-01",
        "due_on": "2027-08-31",
        "target": null,
    })
}

/// A followers target from a baseline of 1000, aimed with `aim`.
pub(super) fn followers(channel: &str, aim: Value) -> Value {
    let mut target =
        json!({ "kind": "metric", "channel_id": channel, "metric": "followers", "baseline": 1000 });
    merge(&mut target, aim);
    target
}

pub(super) fn cadence(count: i64, period: &str) -> Value {
    json!({ "kind": "cadence", "count": count, "period": period })
}

/// Sets `patch`'s keys on `value`; a null removes the key.
pub(super) fn merge(value: &mut Value, patch: Value) {
    if let (Some(object), Value::Object(patch)) = (value.as_object_mut(), patch) {
        for (key, new) in patch {
            if new.is_null() {
                object.remove(&key);
            } else {
                object.insert(key, new);
            }
        }
    }
}

pub(super) fn with(mut value: Value, patch: Value) -> Value {
    merge(&mut value, patch);
    value
}

/// Sets a goal as the owner; returns it.
pub(super) async fn set(app: &TestApp, team: &Team, body: Value) -> Value {
    let response = app.post(&goals(team), &team.owner_token, body).await;
    created(response).await
}

pub(super) async fn created(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

pub(super) async fn ok(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

pub(super) fn goal_path(team: &Team, goal: &Value) -> String {
    format!("{}/{}", goals(team), goal["id"].as_str().unwrap())
}

pub(super) fn approx(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}
