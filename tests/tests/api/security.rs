//! The security matrix: every route in the served OpenAPI document that takes a member's
//! token (each team-scoped route, and those outside any team such as `/v1/me`), crossed with
//! every wrong caller, answers as api.md says. The routes come from the spec, so a new route
//! is covered the day it is registered.

use reqwest::Method;
use serde_json::{Value, json};
use stride_tests::TestApp;
use uuid::Uuid;

/// Routes a viewer may write to: every member, whatever their role, manages their own tokens.
const VIEWER_WRITES: [(&str, &str); 2] = [
    ("post", "/v1/teams/{team_id}/tokens"),
    ("delete", "/v1/teams/{team_id}/tokens/{token_id}"),
];

/// The path with the team's id and a fresh id for every other parameter.
fn fill(path: &str, team_id: Uuid) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{team_id}" => team_id.to_string(),
            s if s.starts_with('{') => Uuid::now_v7().to_string(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whose token a route takes.
#[derive(Clone, Copy, PartialEq)]
enum Takes {
    /// A member of the team its path names.
    TeamMember,
    /// A member of any team: a route outside every team (`/v1/me`).
    AnyMember,
}

/// Whose token the operation takes, if a member's: board routes take a contributor's, and
/// open routes none.
fn takes(path: &str, operation: &Value) -> Option<Takes> {
    if path.starts_with("/v1/teams/{team_id}") {
        return Some(Takes::TeamMember);
    }
    let secured = operation["security"]
        .as_array()
        .is_some_and(|s| !s.is_empty());
    (secured && !path.starts_with("/v1/boards/")).then_some(Takes::AnyMember)
}

/// A token of `owner`'s member, issued and revoked.
pub(crate) async fn revoked(app: &TestApp, team_id: Uuid, owner: &str) -> String {
    let tokens = format!("/v1/teams/{team_id}/tokens");
    let issued: Value = app
        .post(&tokens, owner, json!({ "name": "Second" }))
        .await
        .json()
        .await
        .unwrap();
    let id = issued["id"].as_str().unwrap();
    let revoke = app.delete(&format!("{tokens}/{id}"), owner).await;
    assert!(revoke.status().is_success());
    issued["secret"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_member_route_in_the_spec_answers_each_wrong_caller_as_api_md_says() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let (_, viewer) = app.add_member(&team, "viewer").await;
    let revoked = revoked(&app, team.id, &team.owner_token).await;
    let fan = app.join_board("acme", None).await;
    let spec: Value = app.public_json("/openapi.json").await;

    let mut failures = Vec::new();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(takes) = item.get(method).and_then(|op| takes(path, op)) else {
                continue;
            };
            let write = method != "get";
            let mut callers: Vec<(&str, Option<&str>, u16)> = vec![
                ("no token", None, 401),
                ("a bad token", Some("stride_not-a-real-token"), 401),
                ("a revoked token", Some(&revoked), 401),
            ];
            if takes == Takes::TeamMember {
                // A team route tells nothing of a token that is not a member's.
                callers.push(("a contributor token", Some(&fan), 401));
                callers.push(("another team's token", Some(&other.owner_token), 404));
            } else {
                // Outside a team, a contributor's token is told what it is for.
                callers.push(("a contributor token", Some(&fan), 403));
            }
            if write && !VIEWER_WRITES.contains(&(method, path.as_str())) {
                callers.push(("a viewer", Some(&viewer), 403));
            }
            let url = fill(path, team.id);
            for (who, token, want) in callers {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let mut request = app.request(method.clone(), &url, token);
                if write {
                    request = request.json(&json!({}));
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let problem = response
                    .headers()
                    .get("content-type")
                    .is_some_and(|c| c.as_bytes().starts_with(b"application/problem+json"));
                checked += 1;
                if status != want || !problem {
                    failures.push(format!(
                        "{method} {path} with {who}: {status}, want {want} problem+json"
                    ));
                }
                // The document says so too, with the code the server sent.
                let code = response
                    .json::<Value>()
                    .await
                    .ok()
                    .and_then(|p| p["code"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                let documented = &item[method.as_str().to_lowercase()]["responses"]
                    [status.to_string()]["content"]["application/problem+json"]["schema"]["allOf"]
                    [1]["properties"]["code"]["enum"];
                if !documented
                    .as_array()
                    .is_some_and(|codes| codes.iter().any(|c| c == code.as_str()))
                {
                    failures.push(format!(
                        "{method} {path} with {who}: {status} {code} is not in the document"
                    ));
                }
            }
        }
    }
    assert!(
        checked > 150,
        "the spec lists the team routes ({checked} checks)"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn an_idempotent_replay_still_needs_a_valid_token() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let tokens = format!("/v1/teams/{}/tokens", team.id);
    let issued: Value = app
        .post(&tokens, &team.owner_token, json!({ "name": "Second" }))
        .await
        .json()
        .await
        .unwrap();
    let secret = issued["secret"].as_str().unwrap();
    let send = |token: String| {
        let app = &app;
        let path = format!("/v1/teams/{}/channels", team.id);
        async move {
            app.request(Method::POST, &path, Some(&token))
                .header("idempotency-key", "add-instagram")
                .json(&json!({ "platform": "instagram", "handle": "@acme" }))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(send(secret.to_owned()).await.status(), 201);
    assert_eq!(send(secret.to_owned()).await.status(), 201, "replayed");
    let id = issued["id"].as_str().unwrap();
    assert!(
        app.delete(&format!("{tokens}/{id}"), &team.owner_token)
            .await
            .status()
            .is_success()
    );
    let replay = send(secret.to_owned()).await;
    stride_tests::assert_problem(replay, 401, "unauthorized").await;
}
