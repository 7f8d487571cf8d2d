//! Teammates join themselves: an invitation's one-time code opens the team once, within 7
//! days, to whoever holds it, who gets a token nobody else saw; members list, name and revoke
//! their own tokens, owners and admins anyone's.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use stride_http::rate_limit::BoardRate;
use stride_tests::{TestApp, assert_problem};

async fn created(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Accepts `code` as `name`, anonymously.
async fn accept(app: &TestApp, code: &str, name: &str) -> reqwest::Response {
    app.http
        .post(app.url("/v1/invitations/accept"))
        .json(&json!({ "code": code, "name": name }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_invitee_joins_once_with_the_code_and_a_token_of_their_own() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let path = format!("/v1/teams/{}/invitations", team.id);
    let invited = created(
        app.post(
            &path,
            &team.owner_token,
            json!({ "email": "Ada@Example.com", "role": "admin", "name": "Ada" }),
        )
        .await,
    )
    .await;
    let code = invited["code"].as_str().unwrap().to_owned();
    assert_eq!(invited["role"], "admin");
    assert_eq!(invited["email"], "Ada@Example.com");
    let listed: Value = app
        .get(&path, &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["id"], invited["id"]);
    assert!(listed["items"][0].get("code").is_none(), "{listed}");

    let joined = created(accept(&app, &code, "Ada Lovelace").await).await;
    assert_eq!(joined["member"]["role"], "admin");
    assert_eq!(joined["member"]["name"], "Ada Lovelace");
    assert_eq!(joined["member"]["email"], "Ada@Example.com");
    assert_eq!(joined["team"]["id"], team.id.to_string());
    let token = joined["token"]["secret"].as_str().unwrap();
    let team_view: Value = app
        .get(&format!("/v1/teams/{}", team.id), token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(team_view["members"].as_array().unwrap().len(), 2);

    // Once: a used code opens nothing, and the invitation no longer waits.
    assert_problem(
        accept(&app, &code, "Ada again").await,
        404,
        "invitation_invalid",
    )
    .await;
    let listed: Value = app
        .get(&path, &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"], json!([]));
    // Neither the address nor the code is in any event.
    let events: Value = app
        .get(
            &format!("/v1/teams/{}/events?limit=200", team.id),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let log = events.to_string();
    assert!(log.contains("MemberInvited") && log.contains("InvitationAccepted"));
    assert!(!log.to_lowercase().contains("ada@example.com") && !log.contains(&code));
}

#[tokio::test]
async fn revoked_expired_and_made_up_codes_are_refused_alike_and_only_admins_invite() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let (_, member) = app.add_member(&team, "member").await;
    let (_, admin) = app.add_member(&team, "admin").await;
    let path = format!("/v1/teams/{}/invitations", team.id);
    let invite = |role: &str| json!({ "email": "bo@example.com", "role": role });
    assert_problem(
        app.post(&path, &member, invite("viewer")).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post(&path, &admin, invite("owner")).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(app.get(&path, &member).await, 403, "forbidden").await;

    let revoked = created(app.post(&path, &admin, invite("member")).await).await;
    let gone = app
        .delete(
            &format!("{path}/{}", revoked["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let again = app
        .delete(
            &format!("{path}/{}", revoked["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_problem(again, 404, "not_found").await;

    let expired = created(app.post(&path, &admin, invite("member")).await).await;
    expire(&app, expired["id"].as_str().unwrap()).await;

    for code in [
        revoked["code"].as_str().unwrap(),
        expired["code"].as_str().unwrap(),
        "strideinv_0000000000000000000000000000000000000000000000000000000000000000",
        "not a code at all",
    ] {
        assert_problem(accept(&app, code, "Bo").await, 404, "invitation_invalid").await;
    }
    // The expired invitation's invitee is forgotten when the list is read.
    let listed: Value = app.get(&path, &admin).await.json().await.unwrap();
    assert_eq!(listed["items"], json!([]));
}

/// Moves an invitation's end into the past, as seven days would.
async fn expire(app: &TestApp, invitation_id: &str) {
    let client = app.db.connect().await.unwrap();
    let id: uuid::Uuid = invitation_id.parse().unwrap();
    let changed = client
        .execute(
            "UPDATE invitations SET expires_at = now() - interval '1 second' WHERE invitation_id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(changed, 1);
}

#[tokio::test]
async fn accepting_is_rate_limited_per_address_like_board_writes() {
    let app = TestApp::spawn_with(BoardRate {
        per_minute: 1,
        burst: 2,
    })
    .await;
    app.sign_up("acme").await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            accept(&app, "strideinv_guess", "Guesser")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [404, 404, 429]);
}

#[tokio::test]
async fn people_are_invited_and_only_service_accounts_added_directly_get_a_token() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let path = format!("/v1/teams/{}/members", team.id);
    let person = created(
        app.post(
            &path,
            &team.owner_token,
            json!({ "name": "Ben", "email": "ben@example.com", "role": "member" }),
        )
        .await,
    )
    .await;
    assert!(person["token"].is_null(), "{person}");
    let service = created(
        app.post(
            &path,
            &team.owner_token,
            json!({ "name": "Scheduler", "email": "ops@example.com", "role": "member", "service": true }),
        )
        .await,
    )
    .await;
    let token = service["token"]["secret"].as_str().unwrap();
    let read = app.get(&format!("/v1/teams/{}", team.id), token).await;
    assert_eq!(read.status(), StatusCode::OK);
}

#[tokio::test]
async fn members_list_name_and_revoke_their_own_tokens_and_admins_anyones_without_secrets() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let (member_id, member) = app.add_member(&team, "member").await;
    let (_, other) = app.add_member(&team, "viewer").await;
    let tokens = format!("/v1/teams/{}/tokens", team.id);
    let laptop = created(
        app.post(&tokens, &member, json!({ "name": "Laptop" }))
            .await,
    )
    .await;
    let laptop_secret = laptop["secret"].as_str().unwrap().to_owned();
    // Using it records when, in the background.
    app.get(&format!("/v1/teams/{}", team.id), &laptop_secret)
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let listed = loop {
        let listed: Value = app.get(&tokens, &member).await.json().await.unwrap();
        let used = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == laptop["id"])
            .is_some_and(|t| !t["last_used_at"].is_null());
        if used {
            break listed;
        }
        assert!(Instant::now() < deadline, "last use not recorded: {listed}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the first token and the laptop's: {listed}");
    assert_eq!(items[1]["name"], "Laptop");
    assert!(!listed.to_string().contains(&laptop_secret));
    assert_problem(
        app.post(&tokens, &member, json!({ "name": "" })).await,
        422,
        "validation_failed",
    )
    .await;

    // Others' tokens: not for a member, but for an owner, who may also revoke them.
    let theirs = format!("{tokens}?member_id={member_id}");
    assert_problem(app.get(&theirs, &other).await, 403, "forbidden").await;
    let seen: Value = app
        .get(&theirs, &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["items"].as_array().unwrap().len(), 2);
    let revoked = app
        .delete(
            &format!("{tokens}/{}", laptop["id"].as_str().unwrap()),
            &team.owner_token,
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let refused = app
        .get(&format!("/v1/teams/{}", team.id), &laptop_secret)
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let seen: Value = app
        .get(&theirs, &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["items"].as_array().unwrap().len(), 1);
    let nobody = format!("{tokens}?member_id={}", uuid::Uuid::now_v7());
    assert_problem(app.get(&nobody, &team.owner_token).await, 404, "not_found").await;
}
