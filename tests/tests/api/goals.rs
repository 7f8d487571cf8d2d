use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use stride_tests::{Team, TestApp, assert_problem, fields, id};
use uuid::Uuid;

fn goals(team: &Team) -> String {
    format!("/v1/teams/{}/goals", team.id)
}

/// A short goal for November with `target`.
fn short_goal(target: Value) -> Value {
    json!({
        "title": "Grow Instagram followers 10% this month",
        "horizon": "short",
        "starts_on": "2026-11-01",
        "due_on": "2026-11-30",
        "target": target,
    })
}

fn long_goal() -> Value {
    json!({
        "title": "Become the coffee account people wait for",
        "horizon": "long",
        "starts_on": "2026-09-01",
        "due_on": "2027-08-31",
        "target": null,
    })
}

/// A followers target from a baseline of 1000, aimed with `aim`.
fn followers(channel: &str, aim: Value) -> Value {
    let mut target =
        json!({ "kind": "metric", "channel_id": channel, "metric": "followers", "baseline": 1000 });
    merge(&mut target, aim);
    target
}

fn cadence(count: i64, period: &str) -> Value {
    json!({ "kind": "cadence", "count": count, "period": period })
}

/// Sets `patch`'s keys on `value`; a null removes the key.
fn merge(value: &mut Value, patch: Value) {
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

fn with(mut value: Value, patch: Value) -> Value {
    merge(&mut value, patch);
    value
}

/// Sets a goal as the owner; returns it.
async fn set(app: &TestApp, team: &Team, body: Value) -> Value {
    let response = app.post(&goals(team), &team.owner_token, body).await;
    created(response).await
}

async fn created(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn ok(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn goal_path(team: &Team, goal: &Value) -> String {
    format!("{}/{}", goals(team), goal["id"].as_str().unwrap())
}

fn approx(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

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
        let problem = assert_problem(
            app.post(&goals(&team), &team.owner_token, body.clone())
                .await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(fields(&problem), vec![field.to_owned()], "{body}");
    }
    assert_eq!(app.event_count(&team).await, before, "nothing was written");
}

#[tokio::test]
async fn members_set_goals_viewers_only_read_them_and_other_teams_see_nothing() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let (_, member) = app.add_member(&team, "member").await;
    let (_, viewer) = app.add_member(&team, "viewer").await;
    let channel = app.add_channel(&team, "instagram", "@a").await;

    assert_problem(
        app.post(&goals(&team), &viewer, long_goal()).await,
        403,
        "forbidden",
    )
    .await;
    let goal = created(app.post(&goals(&team), &member, long_goal()).await).await;
    let path = goal_path(&team, &goal);
    assert_eq!(ok(app.get(&path, &viewer).await).await["id"], goal["id"]);
    assert_eq!(
        ok(app.get(&goals(&team), &viewer).await).await["items"][0]["id"],
        goal["id"]
    );
    let renamed = json!({ "title": "Renamed" });
    assert_problem(
        app.patch(&path, &viewer, renamed.clone()).await,
        403,
        "forbidden",
    )
    .await;
    for action in ["achieve", "abandon"] {
        assert_problem(
            app.post(&format!("{path}/{action}"), &viewer, json!({}))
                .await,
            403,
            "forbidden",
        )
        .await;
    }
    assert_eq!(
        ok(app.patch(&path, &member, renamed.clone()).await).await["title"],
        "Renamed"
    );

    // Another team's token gets 404 on every goal route, through either team's paths.
    let token = &other.owner_token;
    assert_problem(app.get(&goals(&team), token).await, 404, "not_found").await;
    assert_problem(
        app.post(&goals(&team), token, long_goal()).await,
        404,
        "not_found",
    )
    .await;
    let through_other = format!("{}/{}", goals(&other), goal["id"].as_str().unwrap());
    for goal_path in [path.clone(), through_other] {
        assert_problem(app.get(&goal_path, token).await, 404, "not_found").await;
        assert_problem(
            app.patch(&goal_path, token, renamed.clone()).await,
            404,
            "not_found",
        )
        .await;
        for action in ["achieve", "abandon"] {
            let closing = app
                .post(&format!("{goal_path}/{action}"), token, json!({}))
                .await;
            assert_problem(closing, 404, "not_found").await;
        }
    }
    // Ids that name no goal of the team: unknown, or another kind of stream.
    for missing in [Uuid::now_v7().to_string(), channel] {
        let path = format!("{}/{missing}", goals(&team));
        assert_problem(app.get(&path, &team.owner_token).await, 404, "not_found").await;
        assert_problem(
            app.patch(&path, &team.owner_token, renamed.clone()).await,
            404,
            "not_found",
        )
        .await;
        let achieve = app
            .post(&format!("{path}/achieve"), &team.owner_token, json!({}))
            .await;
        assert_problem(achieve, 404, "not_found").await;
    }
    let untouched = ok(app.get(&goals(&other), &other.owner_token).await).await;
    assert!(untouched["items"].as_array().unwrap().is_empty());
    let anonymous = app.request(Method::GET, &path, None).send().await.unwrap();
    assert_problem(anonymous, 401, "unauthorized").await;
}

#[tokio::test]
async fn revisions_move_the_goalposts_keep_the_baseline_and_stay_in_the_log() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@a").await;
    let goal = set(
        &app,
        &team,
        short_goal(followers(&channel, json!({ "reach": 1100 }))),
    )
    .await;
    let path = goal_path(&team, &goal);
    let patch = |etag: &str, body: Value| {
        app.request(Method::PATCH, &path, Some(&team.owner_token))
            .header("if-match", etag)
            .json(&body)
            .send()
    };

    let moved = json!({ "due_on": "2026-12-15", "target": { "kind": "metric", "channel_id": channel, "metric": "followers", "increase_by": 300 } });
    let response = patch("\"1\"", moved).await.unwrap();
    assert_eq!(response.headers()["etag"], "\"2\"");
    assert!(response.headers().contains_key("stride-position"));
    let revised = ok(response).await;
    assert_eq!(revised["due_on"], "2026-12-15");
    assert!(
        approx(&revised["target"]["baseline"], 1000.0),
        "kept: {revised}"
    );
    assert!(
        approx(&revised["target"]["target_value"], 1300.0),
        "{revised}"
    );
    assert!(revised["target"].get("reach").is_none(), "{revised}");
    assert_eq!(
        (&revised["revisions"], &revised["version"]),
        (&json!(1), &json!(2))
    );

    let stale = patch("\"1\"", json!({ "title": "Too late" }))
        .await
        .unwrap();
    assert_problem(stale, 412, "version_conflict").await;

    let described = ok(app
        .patch(
            &path,
            &team.owner_token,
            json!({ "description": "Reels, mostly" }),
        )
        .await)
    .await;
    assert_eq!(described["description"], "Reels, mostly");
    let cleared = ok(app
        .patch(&path, &team.owner_token, json!({ "description": null }))
        .await)
    .await;
    assert!(cleared["description"].is_null(), "{cleared}");
    assert_eq!(cleared["revisions"], 3);
    let same = app
        .patch(&path, &team.owner_token, json!({ "due_on": "2026-12-15" }))
        .await;
    assert_eq!(
        same.headers()["etag"],
        "\"4\"",
        "the same due date again records nothing"
    );
    assert_eq!(ok(same).await["revisions"], 3);

    for (body, field) in [
        (json!({ "target": null }), "target"),
        (json!({ "due_on": "2026-10-31" }), "due_on"),
        (json!({ "colour": "red" }), "colour"),
        (
            json!({ "target": { "kind": "metric", "channel_id": channel, "metric": "likes", "reach": 50 } }),
            "target.baseline",
        ),
    ] {
        let problem = assert_problem(
            app.patch(&path, &team.owner_token, body).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(fields(&problem), vec![field.to_owned()]);
    }

    let client = app.db.connect().await.unwrap();
    let revisions: i64 = client
        .query_one(
            "SELECT count(*) FROM events WHERE event_type = 'GoalRevised' AND stream_id = $1",
            &[&id(&goal["id"])],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(revisions, 3);
}

#[tokio::test]
async fn an_achieved_or_abandoned_goal_is_closed_to_every_change() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let goal = set(&app, &team, short_goal(cadence(3, "week"))).await;
    let path = goal_path(&team, &goal);

    let achieved = app
        .post(
            &format!("{path}/achieve"),
            &team.owner_token,
            json!({ "reason": " Three a week since May " }),
        )
        .await;
    assert_eq!(achieved.headers()["etag"], "\"2\"");
    let achieved = ok(achieved).await;
    assert_eq!(achieved["status"], "achieved");
    assert_eq!(achieved["status_reason"], "Three a week since May");

    let closed = [
        app.patch(&path, &team.owner_token, json!({ "title": "More" }))
            .await,
        app.post(&format!("{path}/achieve"), &team.owner_token, json!({}))
            .await,
        app.post(
            &format!("{path}/abandon"),
            &team.owner_token,
            json!({ "reason": "x" }),
        )
        .await,
    ];
    for response in closed {
        assert_problem(response, 409, "goal_closed").await;
    }

    let other = set(&app, &team, long_goal()).await;
    let other_path = goal_path(&team, &other);
    let abandoned = ok(app
        .post(
            &format!("{other_path}/abandon"),
            &team.owner_token,
            json!({}),
        )
        .await)
    .await;
    assert_eq!(abandoned["status"], "abandoned");
    assert!(abandoned["status_reason"].is_null());
    assert_problem(
        app.patch(
            &other_path,
            &team.owner_token,
            json!({ "due_on": "2027-12-31" }),
        )
        .await,
        409,
        "goal_closed",
    )
    .await;

    // Closing takes a JSON body like every other POST, `{}` at least.
    let third = set(&app, &team, long_goal()).await;
    let achieve = format!("{}/achieve", goal_path(&team, &third));
    let bare = app
        .request(Method::POST, &achieve, Some(&team.owner_token))
        .send()
        .await
        .unwrap();
    assert_problem(bare, 415, "unsupported_media_type").await;
    let problem = assert_problem(
        app.post(&achieve, &team.owner_token, json!({ "why": "x" }))
            .await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&problem), vec!["why".to_owned()]);
    let problem = assert_problem(
        app.post(
            &achieve,
            &team.owner_token,
            json!({ "reason": "r".repeat(1001) }),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&problem), vec!["reason".to_owned()]);
}

#[tokio::test]
async fn goal_lists_filter_by_status_and_horizon_and_page_with_a_cursor() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let long = set(&app, &team, long_goal()).await;
    let mut shorts = Vec::new();
    for count in 1..=3 {
        let body = with(
            short_goal(cadence(count, "week")),
            json!({ "parent_goal_id": long["id"] }),
        );
        shorts.push(
            set(&app, &team, body).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for (id, action) in [(&shorts[0], "achieve"), (&shorts[1], "abandon")] {
        let path = format!("{}/{id}/{action}", goals(&team));
        ok(app.post(&path, &team.owner_token, json!({})).await).await;
    }

    let listed = |query: &'static str| {
        let team = &team;
        let app = &app;
        async move {
            let page = ok(app
                .get(&format!("{}{query}", goals(team)), &team.owner_token)
                .await)
            .await;
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let long_id = long["id"].as_str().unwrap().to_owned();
    assert_eq!(listed("?horizon=long").await, vec![long_id.clone()]);
    assert_eq!(listed("?horizon=short").await, shorts);
    assert_eq!(
        listed("?status=active").await,
        vec![long_id.clone(), shorts[2].clone()]
    );
    assert_eq!(
        listed("?status=achieved&horizon=short").await,
        vec![shorts[0].clone()]
    );
    assert_eq!(listed("?status=abandoned").await, vec![shorts[1].clone()]);
    assert!(listed("?status=abandoned&horizon=long").await.is_empty());

    let mut all = vec![long_id];
    all.extend(shorts);
    all.sort();
    let first = ok(app
        .get(&format!("{}?limit=3", goals(&team)), &team.owner_token)
        .await)
    .await;
    let first_ids: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        first_ids,
        all[..3].iter().map(String::as_str).collect::<Vec<_>>()
    );
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = ok(app
        .get(
            &format!("{}?limit=3&cursor={cursor}", goals(&team)),
            &team.owner_token,
        )
        .await)
    .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["id"], all[3].as_str());
    assert!(rest["next_cursor"].is_null());

    for bad in [
        "?status=missed",
        "?horizon=medium",
        "?colour=red",
        "?limit=0",
        "?limit=201",
    ] {
        assert_problem(
            app.get(&format!("{}{bad}", goals(&team)), &team.owner_token)
                .await,
            400,
            "validation_failed",
        )
        .await;
    }
}

#[tokio::test]
async fn a_malformed_goal_id_is_a_400_naming_the_path() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let path = format!("{}/not-a-uuid", goals(&team));
    let responses = [
        app.get(&path, &team.owner_token).await,
        app.patch(&path, &team.owner_token, json!({ "title": "x" }))
            .await,
        app.post(&format!("{path}/achieve"), &team.owner_token, json!({}))
            .await,
        app.post(&format!("{path}/abandon"), &team.owner_token, json!({}))
            .await,
    ];
    for response in responses {
        let problem = assert_problem(response, 400, "validation_failed").await;
        assert_eq!(fields(&problem), vec!["path".to_owned()]);
    }
}
