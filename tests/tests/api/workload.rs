//! Workload over HTTP: who published, reviewed and handled ideas, their share and pace, a
//! member who left, `as_of`, and the weeks asked for.

use reqwest::StatusCode;
use serde_json::{Value, json};
use stride_tests::{Team, TestApp, assert_problem, fields};
use uuid::Uuid;

/// A write that must succeed; its `Stride-Position`.
async fn write(app: &TestApp, token: &str, path: &str, body: Value) -> (Value, String) {
    let response = app.post(path, token, body).await;
    let status = response.status();
    let position = response.headers()["stride-position"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "POST {path}: {status} {body}");
    (body, position)
}

/// Drafts a post on `channel` as `token`, and publishes it unless `publish` is false.
async fn post(
    app: &TestApp,
    team: &Team,
    token: &str,
    channel: &str,
    publish: bool,
) -> (String, String) {
    let posts = format!("/v1/teams/{}/posts", team.id);
    let (post, mut position) = write(
        app,
        token,
        &posts,
        json!({ "channel_id": channel, "title": "A post" }),
    )
    .await;
    let id = post["id"].as_str().unwrap().to_owned();
    if publish {
        position = write(app, token, &format!("{posts}/{id}/publish"), json!({}))
            .await
            .1;
    }
    (id, position)
}

fn member(read: &Value, id: Uuid) -> &Value {
    read["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["member_id"] == id.to_string())
        .unwrap_or_else(|| panic!("{id} in {read}"))
}

/// A count summed over every week shown.
fn total(member: &Value, what: &str) -> u64 {
    member["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w[what].as_u64().unwrap())
        .sum()
}

#[tokio::test]
async fn who_published_reviewed_and_handled_ideas_with_shares_paces_and_who_left() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let (ada, ada_token) = app.add_member(&team, "member").await;
    let (bo, bo_token) = app.add_member(&team, "member").await;
    let (viewer, _) = app.add_member(&team, "viewer").await;
    for _ in 0..3 {
        post(&app, &team, &ada_token, &channel, true).await;
    }
    post(&app, &team, &bo_token, &channel, true).await;
    // Bo asks for a review; the owner approves it.
    let (reviewed, _) = post(&app, &team, &bo_token, &channel, false).await;
    let posts = format!("/v1/teams/{}/posts/{reviewed}", team.id);
    write(&app, &bo_token, &format!("{posts}/submit"), json!({})).await;
    write(
        &app,
        &team.owner_token,
        &format!("{posts}/approve"),
        json!({}),
    )
    .await;
    // The owner plans an idea.
    let ideas = format!("/v1/teams/{}/ideas", team.id);
    let (idea, _) = write(&app, &team.owner_token, &ideas, json!({ "title": "Reels" })).await;
    let idea = idea["id"].as_str().unwrap();
    let (_, position) = write(
        &app,
        &team.owner_token,
        &format!("{ideas}/{idea}/status"),
        json!({ "status": "planned" }),
    )
    .await;

    let path = format!("/v1/teams/{}/workload", team.id);
    let read: Value = app
        .get(
            &format!("{path}?min_position={position}"),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let (owner, ada_view, bo_view) = (
        member(&read, team.owner_id),
        member(&read, ada),
        member(&read, bo),
    );
    assert_eq!(ada_view["weeks"].as_array().unwrap().len(), 8);
    assert_eq!(
        (total(ada_view, "published"), total(bo_view, "published")),
        (3, 1)
    );
    assert_eq!(
        (
            total(owner, "reviews"),
            total(owner, "ideas"),
            total(owner, "published")
        ),
        (1, 1, 0)
    );
    assert_eq!(
        total(bo_view, "reviews"),
        0,
        "asking for a review is not doing one"
    );
    // Ada published 3 of the team's 4 posts in a team of three who are not viewers.
    assert_eq!(
        (
            ada_view["share_of_posts"].as_f64(),
            ada_view["carrying_team"].as_bool()
        ),
        (Some(0.75), Some(true))
    );
    assert_eq!(
        (
            bo_view["share_of_posts"].as_f64(),
            bo_view["carrying_team"].as_bool()
        ),
        (Some(0.25), Some(false))
    );
    assert_eq!(member(&read, viewer)["pace"], "stalled");
    assert_eq!(ada_view["role"], "member");
    assert_eq!(ada_view["name"], "A member");

    // Bo leaves: still there, without a role, under their name until it is erased.
    let gone = app
        .delete(
            &format!("/v1/teams/{}/members/{bo}", team.id),
            &team.owner_token,
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let after: Value = app
        .get(&path, &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    let left = member(&after, bo);
    assert_eq!(
        (left["role"].is_null(), left["name"].as_str()),
        (true, Some("A member"))
    );
    assert_eq!(total(left, "published"), 1);
    let erased = app
        .delete(
            &format!("/v1/teams/{}/members/{bo}/personal-data", team.id),
            &team.owner_token,
        )
        .await;
    assert_eq!(erased.status(), StatusCode::NO_CONTENT);
    let after: Value = app
        .get(&path, &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(member(&after, bo)["name"].is_null());

    // Early in the year nobody had done anything; one week is one week.
    let early: Value = app
        .get(
            &format!("{path}?as_of=2026-01-15T00:00:00Z&weeks=1"),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let ada_early = member(&early, ada);
    assert_eq!(
        ada_early["weeks"],
        json!([{ "week": "2026-01-12", "published": 0, "reviews": 0, "ideas": 0 }])
    );
    assert!(ada_early["share_of_posts"].is_null());
    for weeks in ["0", "53", "x"] {
        let refused = app
            .get(&format!("{path}?weeks={weeks}"), &team.owner_token)
            .await;
        let problem = assert_problem(refused, 400, "validation_failed").await;
        assert_eq!(fields(&problem), vec!["weeks".to_owned()]);
    }
}

/// A PATCH that must succeed; its body and `Stride-Position`.
async fn patch(app: &TestApp, token: &str, path: &str, body: Value) -> (Value, String) {
    let response = app.patch(path, token, body).await;
    let status = response.status();
    let position = response.headers()["stride-position"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "PATCH {path}: {status} {body}");
    (body, position)
}

#[tokio::test]
async fn goals_have_owners_and_posts_assignees_among_the_team_and_the_workload_lists_them() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("rival").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let (ada, ada_token) = app.add_member(&team, "member").await;
    let (bo, _) = app.add_member(&team, "member").await;
    let goals = format!("/v1/teams/{}/goals", team.id);
    let posts = format!("/v1/teams/{}/posts", team.id);
    let goal_body = |title: &str, due: &str, owner: Value| {
        json!({
            "title": title, "horizon": "long", "starts_on": "2026-11-01", "due_on": due,
            "owner_id": owner,
        })
    };

    // Another team's member, or no one at all, owns nothing here: the same 422 either way.
    for stranger in [other.owner_id, Uuid::now_v7()] {
        let refused = app
            .post(
                &goals,
                &team.owner_token,
                goal_body("Grow", "2026-12-31", json!(stranger)),
            )
            .await;
        let problem = assert_problem(refused, 422, "validation_failed").await;
        assert_eq!(fields(&problem), vec!["owner_id".to_owned()]);
        let refused = app
            .post(
                &posts,
                &ada_token,
                json!({ "channel_id": channel, "title": "Reel", "assignee_id": stranger }),
            )
            .await;
        let problem = assert_problem(refused, 422, "validation_failed").await;
        assert_eq!(fields(&problem), vec!["assignee_id".to_owned()]);
    }

    let (late, _) = write(
        &app,
        &team.owner_token,
        &goals,
        goal_body("Reach 10k", "2027-03-31", json!(ada)),
    )
    .await;
    assert_eq!(late["owner_id"], json!(ada));
    let (soon, _) = write(
        &app,
        &team.owner_token,
        &goals,
        goal_body("Reach 5k", "2026-12-31", json!(ada)),
    )
    .await;
    let (done, _) = write(
        &app,
        &team.owner_token,
        &goals,
        goal_body("Launch", "2026-12-15", json!(ada)),
    )
    .await;
    write(
        &app,
        &team.owner_token,
        &format!("{goals}/{}/achieve", done["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    let (draft, _) = write(
        &app,
        &ada_token,
        &posts,
        json!({ "channel_id": channel, "title": "Reel", "assignee_id": bo }),
    )
    .await;
    let (published, _) = write(
        &app,
        &ada_token,
        &posts,
        json!({ "channel_id": channel, "title": "Story", "assignee_id": bo }),
    )
    .await;
    write(
        &app,
        &ada_token,
        &format!("{posts}/{}/publish", published["id"].as_str().unwrap()),
        json!({}),
    )
    .await;

    // Handing a goal over is not a revision, and the same owner again records nothing.
    let soon_path = format!("{goals}/{}", soon["id"].as_str().unwrap());
    let (handed, _) = patch(
        &app,
        &team.owner_token,
        &soon_path,
        json!({ "owner_id": bo }),
    )
    .await;
    assert_eq!(
        (handed["owner_id"].clone(), handed["revisions"].clone()),
        (json!(bo), json!(0))
    );
    let (again, _) = patch(
        &app,
        &team.owner_token,
        &soon_path,
        json!({ "owner_id": bo }),
    )
    .await;
    assert_eq!(again["version"], handed["version"]);
    let (cleared, _) = patch(
        &app,
        &team.owner_token,
        &soon_path,
        json!({ "owner_id": null }),
    )
    .await;
    assert!(cleared["owner_id"].is_null());
    let (_, position) = patch(
        &app,
        &team.owner_token,
        &soon_path,
        json!({ "owner_id": ada }),
    )
    .await;

    let read: Value = app
        .get(
            &format!("/v1/teams/{}/workload?min_position={position}", team.id),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    // Ada owns the two open goals, soonest due first; the achieved one is not open.
    let ada_owned = &member(&read, ada)["owned"];
    assert_eq!(ada_owned["goal_count"], 2);
    let titles: Vec<&str> = ada_owned["goals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Reach 5k", "Reach 10k"]);
    assert_eq!(ada_owned["goals"][0]["due_on"], "2026-12-31");
    // Bo is assigned the draft; the published post is no longer open.
    let bo_owned = &member(&read, bo)["owned"];
    assert_eq!(
        (
            bo_owned["post_count"].clone(),
            bo_owned["goal_count"].clone()
        ),
        (json!(1), json!(0))
    );
    assert_eq!(bo_owned["posts"][0]["id"], draft["id"]);
    assert_eq!(bo_owned["posts"][0]["status"], "draft");
    assert_eq!(member(&read, team.owner_id)["owned"]["post_count"], 0);

    // Bo leaves: the draft still lists under them, so that someone takes it over.
    let gone = app
        .delete(
            &format!("/v1/teams/{}/members/{bo}", team.id),
            &team.owner_token,
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let draft_path = format!("{posts}/{}", draft["id"].as_str().unwrap());
    // Editing the draft's title keeps the departed assignee; naming them anew is refused.
    patch(
        &app,
        &ada_token,
        &draft_path,
        json!({ "title": "Reel, take 2" }),
    )
    .await;
    let (_, position) = patch(
        &app,
        &ada_token,
        &draft_path,
        json!({ "assignee_id": null }),
    )
    .await;
    let refused = app
        .patch(&draft_path, &ada_token, json!({ "assignee_id": bo }))
        .await;
    let problem = assert_problem(refused, 422, "validation_failed").await;
    assert_eq!(fields(&problem), vec!["assignee_id".to_owned()]);

    // The feed tells who was given what.
    let lines = app.feed_lines(&team, &position).await;
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("left 'Reel, take 2' unassigned")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("gave the goal 'Reach 5k' to A member")),
        "{lines:?}"
    );
}
