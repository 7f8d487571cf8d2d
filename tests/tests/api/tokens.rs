use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stride_tests::{TestApp, assert_problem};

#[tokio::test]
async fn members_issue_more_tokens_for_themselves() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let (viewer_id, viewer) = app.add_member(&team, "viewer").await;
    let response = app
        .request(
            Method::POST,
            &format!("/v1/teams/{}/tokens", team.id),
            Some(&viewer),
        )
        .json(&json!({ "name": "Phone" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.headers().contains_key("stride-position"));
    let issued: Value = response.json().await.unwrap();
    assert_eq!(issued["member_id"], viewer_id.to_string());
    let second = issued["secret"].as_str().unwrap();
    assert_ne!(second, viewer);
    for token in [&viewer, second] {
        assert_eq!(
            app.get(&format!("/v1/teams/{}", team.id), token)
                .await
                .status(),
            StatusCode::OK
        );
    }
    let other = app.sign_up("other").await;
    assert_problem(
        app.post(
            &format!("/v1/teams/{}/tokens", other.id),
            &viewer,
            json!({}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn tokens_are_revoked_by_their_member_or_by_owners_and_admins() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let (_, member) = app.add_member(&team, "member").await;
    let (_, colleague) = app.add_member(&team, "viewer").await;
    let tokens = format!("/v1/teams/{}/tokens", team.id);
    let issue = |token: String| {
        let app = &app;
        let tokens = tokens.clone();
        async move {
            let body: Value = app
                .post(&tokens, &token, json!({ "name": "Second" }))
                .await
                .json()
                .await
                .unwrap();
            (
                body["id"].as_str().unwrap().to_owned(),
                body["secret"].as_str().unwrap().to_owned(),
            )
        }
    };
    let team_path = format!("/v1/teams/{}", team.id);

    // Their own: yes.
    let (own_id, own) = issue(member.clone()).await;
    assert_eq!(
        app.delete(&format!("{tokens}/{own_id}"), &member)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&team_path, &own).await, 401, "unauthorized").await;
    assert_eq!(
        app.get(&team_path, &member).await.status(),
        StatusCode::OK,
        "other tokens keep working"
    );
    assert_eq!(
        app.delete(&format!("{tokens}/{own_id}"), &member)
            .await
            .status(),
        StatusCode::NO_CONTENT,
        "revoking again changes nothing"
    );

    // A colleague's: only owners and admins.
    let (colleague_id, colleague_token) = issue(colleague.clone()).await;
    assert_problem(
        app.delete(&format!("{tokens}/{colleague_id}"), &member)
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.get(&team_path, &colleague_token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.delete(&format!("{tokens}/{colleague_id}"), &team.owner_token)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.get(&team_path, &colleague_token).await,
        401,
        "unauthorized",
    )
    .await;

    // Another team's token does not exist here.
    let (foreign_id, _) = {
        let body: Value = app
            .post(
                &format!("/v1/teams/{}/tokens", other.id),
                &other.owner_token,
                json!({ "name": "Theirs" }),
            )
            .await
            .json()
            .await
            .unwrap();
        (body["id"].as_str().unwrap().to_owned(), ())
    };
    assert_problem(
        app.delete(&format!("{tokens}/{foreign_id}"), &team.owner_token)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete(
            &format!("/v1/teams/{}/tokens/{foreign_id}", other.id),
            &team.owner_token,
        )
        .await,
        404,
        "not_found",
    )
    .await;
}
