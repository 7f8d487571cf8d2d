//! Goals after they are set: roles, revisions, closing, lists.

use reqwest::Method;
use serde_json::{Value, json};
use stride_tests::{TestApp, assert_invalid, assert_problem, fields, id};
use uuid::Uuid;

use super::*;

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
        let problem = assert_invalid(app.patch(&path, &team.owner_token, body).await).await;
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
        422,
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
async fn a_malformed_goal_id_is_a_400_naming_it() {
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
        assert_eq!(fields(&problem), vec!["goal_id".to_owned()]);
    }
}
