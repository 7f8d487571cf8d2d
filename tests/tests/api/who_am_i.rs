//! `GET /v1/me`: who a bearer token is. A member's token (or a provider's, with the team
//! named) answers its team and member; a contributor's is refused; removing the member or
//! revoking the token ends it at once, as on every team route.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stride_tests::{TestApp, assert_problem};

use crate::sign_in::{Issuer, Key, claims, team_with_provider};

async fn who_am_i(app: &TestApp, token: &str) -> Value {
    let response = app.get("/v1/me", token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_member_token_tells_its_team_and_member() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let (viewer_id, viewer) = app.add_member(&team, "viewer").await;

    let owner = who_am_i(&app, &team.owner_token).await;
    assert_eq!(owner["team"]["id"], team.id.to_string());
    assert_eq!(owner["team"]["slug"], "acme");
    assert_eq!(owner["member"]["role"], "owner");
    let keys: Vec<&String> = owner["team"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "name", "slug"], "nothing more of the team");

    let seen = who_am_i(&app, &viewer).await;
    assert_eq!(seen["member"]["id"], viewer_id.to_string());
    assert_eq!(seen["member"]["role"], "viewer");

    // Naming its own team changes nothing; naming another is 404.
    let named = app
        .get(&format!("/v1/me?team_id={}", team.id), &viewer)
        .await;
    assert_eq!(named.status(), StatusCode::OK);
    let other = app.sign_up("other").await;
    let elsewhere = app
        .get(&format!("/v1/me?team_id={}", other.id), &viewer)
        .await;
    assert_problem(elsewhere, 404, "not_found").await;
    // A method the route does not serve is 405 whichever team the query names.
    let traced = app
        .http
        .request(
            Method::TRACE,
            app.url(&format!("/v1/me?team_id={}", other.id)),
        )
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_problem(traced, 405, "method_not_allowed").await;
    assert_problem(
        app.get("/v1/me?team_id=acme", &viewer).await,
        400,
        "validation_failed",
    )
    .await;

    // Removed from the team, the token says nothing more.
    let removed = app
        .delete(
            &format!("/v1/teams/{}/members/{viewer_id}", team.id),
            &team.owner_token,
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get("/v1/me", &viewer).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_revoked_token_a_bad_one_none_and_a_contributors_are_refused() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let revoked = crate::security::revoked(&app, team.id, &team.owner_token).await;
    assert_problem(app.get("/v1/me", &revoked).await, 401, "unauthorized").await;

    assert_problem(
        app.get("/v1/me", "stride_not-a-token").await,
        401,
        "unauthorized",
    )
    .await;
    let none = app
        .request(Method::GET, "/v1/me", None)
        .send()
        .await
        .unwrap();
    assert_problem(none, 401, "unauthorized").await;

    let fan = app.join_board("acme", None).await;
    let refused = assert_problem(app.get("/v1/me", &fan).await, 403, "forbidden").await;
    assert!(
        refused["detail"].as_str().unwrap().contains("board"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_providers_token_tells_who_it_signs_in_to_the_team_it_names() {
    let app = TestApp::spawn().await;
    let issuer = Issuer::start().await;
    let key = Key::new("k1");
    issuer.publish(&[&key]);
    let team = team_with_provider(&app, &issuer).await;
    let added = app
        .post(
            &format!("/v1/teams/{}/members", team.id),
            &team.owner_token,
            json!({ "name": "Ada", "email": "ada@acme.com", "role": "member" }),
        )
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let ada = key.sign(&claims(&issuer.url, "ada@acme.com"));

    let me = app.get(&format!("/v1/me?team_id={}", team.id), &ada).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["team"]["id"], team.id.to_string());
    assert_eq!(
        (
            me["member"]["email"].as_str(),
            me["member"]["role"].as_str()
        ),
        (Some("ada@acme.com"), Some("member"))
    );
    // A provider's token signs in to one team, which it does not name itself.
    let unnamed = assert_problem(app.get("/v1/me", &ada).await, 401, "unauthorized").await;
    assert!(
        unnamed["detail"].as_str().unwrap().contains("team_id"),
        "{unnamed}"
    );
}
