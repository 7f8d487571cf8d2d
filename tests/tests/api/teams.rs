use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stride_tests::{TestApp, assert_invalid, assert_problem, fields};
use uuid::Uuid;

#[tokio::test]
async fn sign_up_creates_the_team_and_its_owner_with_a_token_shown_once() {
    let app = TestApp::spawn().await;
    let body = json!({ "name": "  Acme Coffee ", "slug": "acme-coffee", "owner": { "name": "Olivia", "email": "olivia@example.com" } });
    let response = app
        .http
        .post(app.url("/v1/teams"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let headers = response.headers().clone();
    let created: Value = response.json().await.unwrap();
    let team_id = created["team"]["id"].as_str().unwrap().to_owned();
    assert_eq!(headers["location"], format!("/v1/teams/{team_id}").as_str());
    assert_eq!(headers["etag"], "\"2\"");
    assert!(
        headers["stride-position"]
            .to_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
            > 0
    );
    assert_eq!(created["team"]["name"], "Acme Coffee", "names are trimmed");
    assert_eq!(
        created["team"]["board"],
        json!({ "public": true, "accepting_ideas": true })
    );
    assert_eq!(created["member"]["role"], "owner");
    assert_eq!(created["token"]["member_id"], created["member"]["id"]);

    let token = created["token"]["secret"].as_str().unwrap();
    let team = app.get(&format!("/v1/teams/{team_id}"), token).await;
    assert_eq!(team.status(), StatusCode::OK);
    assert_eq!(team.headers()["etag"], "\"2\"");
    let team: Value = team.json().await.unwrap();
    assert_eq!(team["members"][0]["email"], "olivia@example.com");
    assert!(
        !team.to_string().contains(token),
        "the token is never shown again"
    );

    // Only the hash is stored, and no event holds the owner's name, e-mail or token.
    let client = app.db.connect().await.unwrap();
    let hashes: Vec<Vec<u8>> = client
        .query("SELECT hash FROM tokens", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(hashes.len(), 1);
    assert!(
        !hashes[0]
            .windows(token.len())
            .any(|w| w == token.as_bytes())
    );
    let events: Vec<String> = client
        .query("SELECT data::text || metadata::text FROM events", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(events.len(), 2);
    for event in events {
        for secret in ["Olivia", "olivia@example.com", token] {
            assert!(!event.contains(secret), "{event} holds {secret}");
        }
    }
}

#[tokio::test]
async fn sign_up_names_each_invalid_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({ "name": "", "slug": "acme", "owner": { "name": "O", "email": "o@example.com" } }),
            "name",
        ),
        (
            json!({ "name": "x".repeat(101), "slug": "acme", "owner": { "name": "O", "email": "o@example.com" } }),
            "name",
        ),
        (
            json!({ "name": "Acme", "slug": "Acme Coffee", "owner": { "name": "O", "email": "o@example.com" } }),
            "slug",
        ),
        (
            json!({ "name": "Acme", "slug": "acme", "owner": { "name": "O", "email": "not-an-email" } }),
            "owner.email",
        ),
        (
            json!({ "name": "Acme", "slug": "acme", "owner": { "name": " ", "email": "o@example.com" } }),
            "owner.name",
        ),
        (json!({ "name": "Acme", "slug": "acme" }), "owner"),
        (
            json!({ "name": "Acme", "slug": "acme", "owner": { "name": "O", "email": "o@example.com", "phone": "1" } }),
            "owner.phone",
        ),
        (
            json!({ "name": 42, "slug": "acme", "owner": { "name": "O", "email": "o@example.com" } }),
            "name",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .http
            .post(app.url("/v1/teams"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = assert_invalid(response).await;
        assert_eq!(fields(&problem), vec![field.to_owned()], "{body}");
    }
    let client = app.db.connect().await.unwrap();
    let count: i64 = client
        .query_one("SELECT count(*) FROM events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 0, "nothing was written");
}

#[tokio::test]
async fn a_taken_slug_is_a_conflict() {
    let app = TestApp::spawn().await;
    app.sign_up("acme").await;
    let body = json!({ "name": "Other", "slug": "acme", "owner": { "name": "O", "email": "o@example.com" } });
    let response = app
        .http
        .post(app.url("/v1/teams"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 409, "already_taken").await;
    assert_eq!(fields(&problem), vec!["slug".to_owned()]);
}

#[tokio::test]
async fn reading_a_team_needs_a_valid_token_of_that_team() {
    let app = TestApp::spawn().await;
    let acme = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let path = format!("/v1/teams/{}", acme.id);

    assert_problem(
        app.request(Method::GET, &path, None).send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    assert_problem(app.get(&path, "stride_0000").await, 401, "unauthorized").await;
    assert_problem(
        app.get(&path, "not-even-a-stride-token").await,
        401,
        "unauthorized",
    )
    .await;
    let basic = app
        .http
        .get(app.url(&path))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_problem(basic, 401, "unauthorized").await;
    // Another team's token cannot learn that this team exists.
    assert_problem(app.get(&path, &other.owner_token).await, 404, "not_found").await;
    assert_problem(
        app.get(&format!("/v1/teams/{}", Uuid::now_v7()), &other.owner_token)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/v1/teams/not-a-uuid", &acme.owner_token).await,
        400,
        "validation_failed",
    )
    .await;

    let (_, viewer) = app.add_member(&acme, "viewer").await;
    assert_eq!(app.get(&path, &viewer).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn owners_and_admins_change_settings_with_optimistic_concurrency() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let path = format!("/v1/teams/{}", team.id);
    let (_, admin) = app.add_member(&team, "admin").await;
    let (_, member) = app.add_member(&team, "member").await;
    let (_, viewer) = app.add_member(&team, "viewer").await;

    for token in [&member, &viewer] {
        assert_problem(
            app.patch(&path, token, json!({ "name": "Nope" })).await,
            403,
            "forbidden",
        )
        .await;
    }
    let response = app
        .request(Method::PATCH, &path, Some(&admin))
        .header("if-match", "\"5\"")
        .json(&json!({ "name": "Acme Roasters", "require_approval": true, "board": { "accepting_ideas": false } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["etag"],
        "\"7\"",
        "a rename and a settings change: two events"
    );
    assert!(response.headers().contains_key("stride-position"));
    let team_view: Value = response.json().await.unwrap();
    assert_eq!(team_view["name"], "Acme Roasters");
    assert_eq!(team_view["require_approval"], true);
    assert_eq!(
        team_view["board"],
        json!({ "public": true, "accepting_ideas": false })
    );

    // A stale If-Match is refused and changes nothing.
    let stale = app
        .request(Method::PATCH, &path, Some(&team.owner_token))
        .header("if-match", "\"5\"")
        .json(&json!({ "name": "Late" }))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 412, "version_conflict").await;
    let bad = app
        .request(Method::PATCH, &path, Some(&team.owner_token))
        .header("if-match", "yesterday")
        .json(&json!({ "name": "Late" }))
        .send()
        .await
        .unwrap();
    assert_problem(bad, 412, "version_conflict").await;
    let current: Value = app
        .get(&path, &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current["name"], "Acme Roasters");
    assert_eq!(current["version"], 7);

    // Repeating the current values writes nothing.
    let events = app.event_count(&team).await;
    let same = app
        .patch(
            &path,
            &team.owner_token,
            json!({ "name": "Acme Roasters", "require_approval": true }),
        )
        .await;
    assert_eq!(same.headers()["etag"], "\"7\"");
    assert_eq!(app.event_count(&team).await, events);

    assert_problem(
        app.patch(&path, &team.owner_token, json!({ "name": "" }))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.patch(
            &path,
            &team.owner_token,
            json!({ "board": { "colour": "red" } }),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;
}
