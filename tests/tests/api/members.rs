use reqwest::StatusCode;
use serde_json::{Value, json};
use stride_tests::{TestApp, assert_problem, fields};
use uuid::Uuid;

#[tokio::test]
async fn an_owner_adds_service_accounts_that_get_a_working_token() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let response = app
        .post(
            &format!("/v1/teams/{}/members", team.id),
            &team.owner_token,
            json!({ "name": "Ben", "email": "ben@example.com", "role": "member", "service": true }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["etag"], "\"3\"");
    let added: Value = response.json().await.unwrap();
    assert_eq!(added["member"]["role"], "member");
    assert_eq!(added["member"]["name"], "Ben");
    let token = added["token"]["secret"].as_str().unwrap();
    let team_view: Value = app
        .get(&format!("/v1/teams/{}", team.id), token)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = team_view["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Olivia", "Ben"]);
}

#[tokio::test]
async fn only_owners_and_admins_manage_members_and_only_owners_manage_owners() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let path = format!("/v1/teams/{}/members", team.id);
    let (_, admin) = app.add_member(&team, "admin").await;
    let (member_id, member) = app.add_member(&team, "member").await;
    let (_, viewer) = app.add_member(&team, "viewer").await;
    let newcomer = |role: &str| json!({ "name": "New", "email": "new@example.com", "role": role });

    assert_problem(
        app.post(&path, &member, newcomer("viewer")).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post(&path, &viewer, newcomer("viewer")).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post(&path, &admin, newcomer("owner")).await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.post(&path, &admin, newcomer("member")).await.status(),
        StatusCode::CREATED
    );

    let owner_path = format!("{path}/{}", team.owner_id);
    assert_problem(app.delete(&owner_path, &admin).await, 403, "forbidden").await;
    assert_problem(
        app.patch(&owner_path, &admin, json!({ "role": "viewer" }))
            .await,
        403,
        "forbidden",
    )
    .await;
    let promote = app
        .patch(
            &format!("{path}/{member_id}"),
            &admin,
            json!({ "role": "admin" }),
        )
        .await;
    assert_eq!(promote.status(), StatusCode::OK);
    let promoted: Value = promote.json().await.unwrap();
    assert_eq!(promoted["role"], "admin");
    // The new role takes effect at once: the promoted member may now add people.
    assert_eq!(
        app.post(&path, &member, newcomer("viewer")).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_team_keeps_at_least_one_owner() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let owner_path = format!("/v1/teams/{}/members/{}", team.id, team.owner_id);
    assert_problem(
        app.patch(&owner_path, &team.owner_token, json!({ "role": "admin" }))
            .await,
        409,
        "last_owner",
    )
    .await;
    assert_problem(
        app.delete(&owner_path, &team.owner_token).await,
        409,
        "last_owner",
    )
    .await;

    let (second_owner, _) = app.add_member(&team, "owner").await;
    let step_down = app
        .patch(&owner_path, &team.owner_token, json!({ "role": "admin" }))
        .await;
    assert_eq!(step_down.status(), StatusCode::OK);
    let last = format!("/v1/teams/{}/members/{second_owner}", team.id);
    assert_problem(app.delete(&last, &team.owner_token).await, 403, "forbidden").await;
}

#[tokio::test]
async fn removing_a_member_stops_their_tokens_at_once() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let (member_id, token) = app.add_member(&team, "member").await;
    let extra: Value = app
        .post(
            &format!("/v1/teams/{}/tokens", team.id),
            &token,
            json!({ "name": "Second" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let extra = extra["secret"].as_str().unwrap().to_owned();
    let team_path = format!("/v1/teams/{}", team.id);
    assert_eq!(app.get(&team_path, &extra).await.status(), StatusCode::OK);

    let removed = app
        .delete(
            &format!("/v1/teams/{}/members/{member_id}", team.id),
            &team.owner_token,
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert!(removed.headers().contains_key("stride-position"));
    for token in [&token, &extra] {
        assert_problem(app.get(&team_path, token).await, 401, "unauthorized").await;
    }
    let view: Value = app
        .get(&team_path, &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["members"].as_array().unwrap().len(), 1);
    assert_problem(
        app.delete(
            &format!("/v1/teams/{}/members/{member_id}", team.id),
            &team.owner_token,
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn member_requests_are_validated_and_scoped_to_the_team() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let path = format!("/v1/teams/{}/members", team.id);
    let problem = assert_problem(
        app.post(
            &path,
            &team.owner_token,
            json!({ "name": "X", "email": "x@example.com", "role": "boss" }),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&problem), vec!["role".to_owned()]);
    let problem = assert_problem(
        app.post(
            &path,
            &team.owner_token,
            json!({ "name": "X", "email": "nope", "role": "member" }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&problem), vec!["email".to_owned()]);
    assert_problem(
        app.post(
            &path,
            &other.owner_token,
            json!({ "name": "X", "email": "x@example.com", "role": "member" }),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.patch(
            &format!("{path}/{}", Uuid::now_v7()),
            &team.owner_token,
            json!({ "role": "admin" }),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.patch(
            &format!("{path}/{}", other.owner_id),
            &team.owner_token,
            json!({ "role": "admin" }),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete(&format!("{path}/{}", team.owner_id), &other.owner_token)
            .await,
        404,
        "not_found",
    )
    .await;
}

/// Rows of every table that mention any of `needles`, as `table: row`.
async fn rows_mentioning(app: &TestApp, needles: &[&str]) -> Vec<String> {
    let client = app.db.connect().await.unwrap();
    let tables: Vec<String> = client
        .query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        tables.contains(&"members".to_owned()) && tables.contains(&"idempotency_keys".to_owned())
    );
    let mut found = Vec::new();
    for table in tables {
        for row in client
            .query(&format!("SELECT t::text FROM {table} t"), &[])
            .await
            .unwrap()
        {
            let row: String = row.get(0);
            if needles.iter().any(|needle| row.contains(needle)) {
                found.push(format!("{table}: {row}"));
            }
        }
    }
    found
}

#[tokio::test]
async fn erasure_removes_a_departed_members_name_and_email_everywhere_but_keeps_what_they_did() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let (name, email) = ("Maximilian Quux", "maximilian.quux@example.com");
    // Added with a key, so that a kept response holds the name and address too.
    let added = app
        .http
        .post(app.url(&format!("/v1/teams/{}/members", team.id)))
        .bearer_auth(&team.owner_token)
        .header("idempotency-key", "add-max")
        .json(&json!({ "name": name, "email": email, "role": "member", "service": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    let added: Value = added.json().await.unwrap();
    let max = added["member"]["id"].as_str().unwrap().to_owned();
    let token = added["token"]["secret"].as_str().unwrap().to_owned();
    let idea: Value = app
        .post(
            &format!("/v1/teams/{}/ideas", team.id),
            &token,
            json!({ "title": "Max's idea" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(idea["author"]["name"], name);

    let path = format!("/v1/teams/{}/members/{max}/personal-data", team.id);
    assert_problem(
        app.delete(&path, &team.owner_token).await,
        409,
        "member_active",
    )
    .await;
    assert!(!rows_mentioning(&app, &[name, email]).await.is_empty());
    let removed = app
        .delete(
            &format!("/v1/teams/{}/members/{max}", team.id),
            &team.owner_token,
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);

    let (_, member) = app.add_member(&team, "member").await;
    assert_problem(app.delete(&path, &member).await, 403, "forbidden").await;
    let other = app.sign_up("other").await;
    let elsewhere = format!("/v1/teams/{}/members/{max}/personal-data", other.id);
    assert_problem(
        app.delete(&elsewhere, &other.owner_token).await,
        404,
        "not_found",
    )
    .await;
    let unknown = format!(
        "/v1/teams/{}/members/{}/personal-data",
        team.id,
        Uuid::now_v7()
    );
    assert_problem(
        app.delete(&unknown, &team.owner_token).await,
        404,
        "not_found",
    )
    .await;

    let (_, admin) = app.add_member(&team, "admin").await;
    let erased = app.delete(&path, &admin).await;
    assert_eq!(erased.status(), StatusCode::NO_CONTENT);
    assert!(erased.headers().contains_key("stride-position"));
    assert_eq!(
        app.delete(&path, &team.owner_token).await.status(),
        StatusCode::NO_CONTENT,
        "erasing again changes nothing"
    );

    // No table holds them any more, and no answer shows them...
    assert_eq!(
        rows_mentioning(&app, &[name, email]).await,
        Vec::<String>::new()
    );
    let feed = app
        .get(
            &format!("/v1/teams/{}/activity", team.id),
            &team.owner_token,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(!feed.contains(name), "{feed}");
    // ...but what they did stays, by id.
    let detail: Value = app
        .get(
            &format!(
                "/v1/teams/{}/ideas/{}",
                team.id,
                idea["id"].as_str().unwrap()
            ),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["title"], "Max's idea");
    assert_eq!(detail["author"]["id"], max.as_str());
    assert!(detail["author"]["name"].is_null(), "{detail}");
    let log = app
        .get(&format!("/v1/teams/{}/events", team.id), &team.owner_token)
        .await
        .text()
        .await
        .unwrap();
    assert!(log.contains(&max) && !log.contains(name));
}
