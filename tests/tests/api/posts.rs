use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stride_tests::{Team, TestApp, assert_invalid, assert_problem, fields, in_days};

async fn draft(app: &TestApp, team: &Team, token: &str, body: Value) -> Value {
    let response = app
        .post(&format!("/v1/teams/{}/posts", team.id), token, body)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_post_goes_from_draft_to_scheduled_to_published() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let (_, member) = app.add_member(&team, "member").await;
    let post = draft(
        &app,
        &team,
        &member,
        json!({ "channel_id": channel, "title": " Poll time ", "body": "Which roast?" }),
    )
    .await;
    assert_eq!(
        (post["status"].as_str(), post["title"].as_str()),
        (Some("draft"), Some("Poll time"))
    );
    let path = format!(
        "/v1/teams/{}/posts/{}",
        team.id,
        post["id"].as_str().unwrap()
    );

    let tomorrow = in_days(1);
    let scheduled = app
        .request(Method::PATCH, &path, Some(&member))
        .header("if-match", "\"1\"")
        .json(&json!({ "scheduled_for": tomorrow, "body": null }))
        .send()
        .await
        .unwrap();
    assert_eq!(scheduled.status(), StatusCode::OK);
    let scheduled: Value = scheduled.json().await.unwrap();
    assert_eq!(
        (scheduled["status"].as_str(), scheduled["body"].is_null()),
        (Some("scheduled"), true)
    );

    let published: Value = app
        .post(
            &format!("{path}/publish"),
            &member,
            json!({ "url": "https://instagram.com/p/abc" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(published["status"], "published");
    assert_eq!(published["url"], "https://instagram.com/p/abc");
    assert!(published["published_at"].is_string());
    assert_problem(
        app.post(&format!("{path}/publish"), &member, json!({}))
            .await,
        409,
        "invalid_transition",
    )
    .await;
    assert_problem(
        app.patch(&path, &member, json!({ "title": "Late edit" }))
            .await,
        409,
        "invalid_transition",
    )
    .await;
    let archived: Value = app
        .post(&format!("{path}/archive"), &member, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(archived["status"], "archived");
    assert_problem(
        app.post(&format!("{path}/archive"), &member, json!({}))
            .await,
        409,
        "invalid_transition",
    )
    .await;
}

#[tokio::test]
async fn teams_log_posts_that_already_went_out() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let post = draft(
        &app,
        &team,
        &team.owner_token,
        json!({ "channel_id": channel, "title": "Launch" }),
    )
    .await;
    let path = format!(
        "/v1/teams/{}/posts/{}",
        team.id,
        post["id"].as_str().unwrap()
    );
    let published: Value = app
        .post(
            &format!("{path}/publish"),
            &team.owner_token,
            json!({ "published_at": "2026-10-01T12:00:00Z" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(published["published_at"], "2026-10-01T12:00:00Z");
    let scheduled = draft(
        &app,
        &team,
        &team.owner_token,
        json!({ "channel_id": channel, "title": "Next", "scheduled_for": in_days(2) }),
    )
    .await;
    assert_eq!(scheduled["status"], "scheduled");
    let future = app
        .post(
            &format!(
                "/v1/teams/{}/posts/{}/publish",
                team.id,
                scheduled["id"].as_str().unwrap()
            ),
            &team.owner_token,
            json!({ "published_at": in_days(1) }),
        )
        .await;
    let problem = assert_problem(future, 422, "validation_failed").await;
    assert_eq!(fields(&problem), vec!["published_at".to_owned()]);
}

#[tokio::test]
async fn with_require_approval_nothing_unapproved_goes_out() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let (_, member) = app.add_member(&team, "member").await;
    let (_, admin) = app.add_member(&team, "admin").await;
    app.patch(
        &format!("/v1/teams/{}", team.id),
        &team.owner_token,
        json!({ "require_approval": true }),
    )
    .await;
    let posts = format!("/v1/teams/{}/posts", team.id);

    assert_problem(
        app.post(
            &posts,
            &member,
            json!({ "channel_id": channel, "title": "Now", "scheduled_for": in_days(1) }),
        )
        .await,
        409,
        "approval_required",
    )
    .await;
    let post = draft(
        &app,
        &team,
        &member,
        json!({ "channel_id": channel, "title": "Poll time" }),
    )
    .await;
    let path = format!("{posts}/{}", post["id"].as_str().unwrap());
    assert_problem(
        app.post(&format!("{path}/publish"), &member, json!({}))
            .await,
        409,
        "approval_required",
    )
    .await;
    assert_problem(
        app.patch(&path, &member, json!({ "scheduled_for": in_days(1) }))
            .await,
        409,
        "approval_required",
    )
    .await;

    let in_review: Value = app
        .post(&format!("{path}/submit"), &member, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(in_review["status"], "in_review");
    assert_problem(
        app.post(&format!("{path}/approve"), &member, json!({}))
            .await,
        403,
        "forbidden",
    )
    .await;
    let back: Value = app
        .post(
            &format!("{path}/request-changes"),
            &admin,
            json!({ "comment": "Add a photo" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(back["status"], "draft");
    let client = app.db.connect().await.unwrap();
    let comment: String = client
        .query_one(
            "SELECT data->>'comment' FROM events WHERE event_type = 'PostChangesRequested'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(comment, "Add a photo");

    app.post(&format!("{path}/submit"), &member, json!({}))
        .await;
    let approved: Value = app
        .post(&format!("{path}/approve"), &admin, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (approved["status"].as_str(), approved["approved"].as_bool()),
        (Some("approved"), Some(true))
    );
    let scheduled: Value = app
        .patch(&path, &member, json!({ "scheduled_for": in_days(1) }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(scheduled["status"], "scheduled");

    // New content needs a new approval: it leaves the schedule.
    let edited: Value = app
        .patch(&path, &member, json!({ "title": "Poll time!" }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            edited["status"].as_str(),
            edited["approved"].as_bool(),
            edited["scheduled_for"].is_null()
        ),
        (Some("draft"), Some(false), true)
    );
    assert_problem(
        app.post(&format!("{path}/publish"), &member, json!({}))
            .await,
        409,
        "approval_required",
    )
    .await;
}

#[tokio::test]
async fn posts_are_checked_by_field() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let theirs = {
        let body: Value = app
            .post(
                &format!("/v1/teams/{}/channels", other.id),
                &other.owner_token,
                json!({ "platform": "blog", "handle": "b" }),
            )
            .await
            .json()
            .await
            .unwrap();
        body["id"].as_str().unwrap().to_owned()
    };
    let retired = {
        let body: Value = app
            .post(
                &format!("/v1/teams/{}/channels", team.id),
                &team.owner_token,
                json!({ "platform": "tiktok", "handle": "@t" }),
            )
            .await
            .json()
            .await
            .unwrap();
        let id = body["id"].as_str().unwrap().to_owned();
        app.patch(
            &format!("/v1/teams/{}/channels/{id}", team.id),
            &team.owner_token,
            json!({ "status": "retired" }),
        )
        .await;
        id
    };
    let posts = format!("/v1/teams/{}/posts", team.id);
    let cases = [
        (json!({ "channel_id": theirs, "title": "x" }), "channel_id"),
        (json!({ "channel_id": retired, "title": "x" }), "channel_id"),
        (json!({ "channel_id": channel, "title": "" }), "title"),
        (
            json!({ "channel_id": channel, "title": "t".repeat(201) }),
            "title",
        ),
        (
            json!({ "channel_id": channel, "title": "x", "body": "b".repeat(10_001) }),
            "body",
        ),
        (
            json!({ "channel_id": channel, "title": "x", "goal_ids": [theirs] }),
            "goal_ids",
        ),
        (
            json!({ "channel_id": channel, "title": "x", "idea_id": theirs }),
            "idea_id",
        ),
        (
            json!({ "channel_id": channel, "title": "x", "scheduled_for": in_days(-1) }),
            "scheduled_for",
        ),
        (
            json!({ "channel_id": channel, "title": "x", "colour": "red" }),
            "colour",
        ),
    ];
    for (body, field) in cases {
        let problem = assert_invalid(app.post(&posts, &team.owner_token, body.clone()).await).await;
        assert_eq!(fields(&problem), vec![field.to_owned()], "{body}");
    }
    let post = draft(
        &app,
        &team,
        &team.owner_token,
        json!({ "channel_id": channel, "title": "x" }),
    )
    .await;
    let path = format!("{posts}/{}", post["id"].as_str().unwrap());
    let problem = assert_problem(
        app.post(
            &format!("{path}/publish"),
            &team.owner_token,
            json!({ "url": "ftp://nope" }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&problem), vec!["url".to_owned()]);
    assert_problem(
        app.post(
            &format!("{path}/request-changes"),
            &team.owner_token,
            json!({ "comment": "c" }),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    let stale = app
        .request(Method::PATCH, &path, Some(&team.owner_token))
        .header("if-match", "\"7\"")
        .json(&json!({ "title": "y" }))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 412, "version_conflict").await;
}

#[tokio::test]
async fn posts_follow_the_role_and_team_rules_and_lists_filter() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let second = {
        let body: Value = app
            .post(
                &format!("/v1/teams/{}/channels", team.id),
                &team.owner_token,
                json!({ "platform": "blog", "handle": "b" }),
            )
            .await
            .json()
            .await
            .unwrap();
        body["id"].as_str().unwrap().to_owned()
    };
    let (_, viewer) = app.add_member(&team, "viewer").await;
    let posts = format!("/v1/teams/{}/posts", team.id);
    assert_problem(
        app.post(
            &posts,
            &viewer,
            json!({ "channel_id": channel, "title": "x" }),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let a = draft(
        &app,
        &team,
        &team.owner_token,
        json!({ "channel_id": channel, "title": "a" }),
    )
    .await;
    let b = draft(
        &app,
        &team,
        &team.owner_token,
        json!({ "channel_id": second, "title": "b" }),
    )
    .await;
    let c = draft(
        &app,
        &team,
        &team.owner_token,
        json!({ "channel_id": channel, "title": "c" }),
    )
    .await;
    app.post(
        &format!("{posts}/{}/publish", a["id"].as_str().unwrap()),
        &team.owner_token,
        json!({ "published_at": "2026-10-05T10:00:00Z" }),
    )
    .await;
    app.post(
        &format!("{posts}/{}/publish", b["id"].as_str().unwrap()),
        &team.owner_token,
        json!({ "published_at": "2026-10-20T10:00:00Z" }),
    )
    .await;

    let ids = |page: Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["title"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let get = |query: &str| {
        let url = format!("{posts}{query}");
        let (app, token) = (&app, viewer.clone());
        async move { app.get(&url, &token).await.json::<Value>().await.unwrap() }
    };
    assert_eq!(ids(get("").await), vec!["a", "b", "c"]);
    assert_eq!(ids(get("?status=published").await), vec!["a", "b"]);
    assert_eq!(
        ids(get(&format!("?channel_id={channel}")).await),
        vec!["a", "c"]
    );
    assert_eq!(
        ids(get("?from=2026-10-10T00:00:00Z&to=2026-11-01T00:00:00Z").await),
        vec!["b"]
    );
    let first = get("?limit=2").await;
    assert_eq!(
        ids(get(&format!(
            "?limit=2&cursor={}",
            first["next_cursor"].as_str().unwrap()
        ))
        .await),
        vec!["c"]
    );
    assert_problem(
        app.get(&format!("{posts}?status=lost"), &viewer).await,
        400,
        "validation_failed",
    )
    .await;

    let one = format!("{posts}/{}", c["id"].as_str().unwrap());
    assert_eq!(app.get(&one, &viewer).await.status(), StatusCode::OK);
    assert_problem(
        app.post(&format!("{one}/archive"), &viewer, json!({}))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(app.get(&one, &other.owner_token).await, 404, "not_found").await;
    let through_other = format!("/v1/teams/{}/posts/{}", other.id, c["id"].as_str().unwrap());
    assert_problem(
        app.get(&through_other, &other.owner_token).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.post(
            &format!("{through_other}/publish"),
            &other.owner_token,
            json!({}),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // Metrics may name the team's posts, and only those.
    let metrics = format!("/v1/teams/{}/metrics", team.id);
    let on_post = json!({ "observations": [{ "channel_id": channel, "metric": "likes", "value": 12, "observed_at": "2026-10-06T10:00:00Z", "post_id": a["id"] }] });
    assert_eq!(
        app.post(&metrics, &team.owner_token, on_post)
            .await
            .status(),
        StatusCode::OK
    );
}
