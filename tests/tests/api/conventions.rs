use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stride_tests::{FRONTEND, TestApp, assert_problem, fields};

#[tokio::test]
async fn malformed_requests_get_a_4xx_problem_never_plain_text() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let members = app.url(&format!("/v1/teams/{}/members", team.id));
    let post = || app.http.post(&members).bearer_auth(&team.owner_token);

    let malformed = post()
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_problem(malformed, 400, "malformed_json").await;
    let empty = post()
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_problem(empty, 400, "malformed_json").await;
    let form = post()
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_problem(form, 415, "unsupported_media_type").await;
    let untyped = post().body("{}").send().await.unwrap();
    assert_problem(untyped, 415, "unsupported_media_type").await;
    let huge = json!({ "name": "x".repeat(70 * 1024), "email": "a@example.com", "role": "member" });
    assert_problem(
        post().json(&huge).send().await.unwrap(),
        413,
        "payload_too_large",
    )
    .await;
    let unknown = post()
        .json(&json!({ "name": "X", "email": "x@example.com", "role": "member", "shoe_size": 44 }))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(unknown, 400, "validation_failed").await;
    assert_eq!(fields(&problem), vec!["shoe_size".to_owned()]);
    let array = post().json(&json!([1, 2])).send().await.unwrap();
    assert_problem(array, 400, "validation_failed").await;

    let bad_uuid = app
        .get(
            &format!("/v1/teams/{}/members/xyz", team.id),
            &team.owner_token,
        )
        .await;
    assert_eq!(bad_uuid.status().as_u16() / 100, 4);
    let bad_uuid = app
        .delete(
            &format!("/v1/teams/{}/members/not-a-uuid", team.id),
            &team.owner_token,
        )
        .await;
    assert_problem(bad_uuid, 400, "validation_failed").await;
    assert_problem(
        app.get("/v1/nothing-here", &team.owner_token).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(app.event_count(&team).await, 2, "none of it wrote anything");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_sane_incoming_one_is_kept() {
    let app = TestApp::spawn().await;
    let response = app.http.get(app.url("/healthz")).send().await.unwrap();
    let generated = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!generated.is_empty());
    let mine = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "frontend-42")
        .send()
        .await
        .unwrap();
    assert_eq!(mine.headers()["x-request-id"], "frontend-42");
    let hostile = app
        .http
        .get(app.url("/nope"))
        .header("x-request-id", "a b\tc<script>")
        .send()
        .await
        .unwrap();
    let replaced = hostile.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(replaced, "a b\tc<script>");
    assert_problem(hostile, 404, "not_found").await;
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_response_and_writes_nothing_more() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let path = format!("/v1/teams/{}/members", team.id);
    let body = json!({ "name": "Ben", "email": "ben@example.com", "role": "member" });
    let send = |key: &'static str, body: Value| {
        app.request(Method::POST, &path, Some(&team.owner_token))
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let first = send("add-ben", body.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first_position = first.headers()["stride-position"].clone();
    let first_body: Value = first.json().await.unwrap();
    let events = app.event_count(&team).await;

    let again = send("add-ben", body.clone()).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["stride-position"], first_position);
    let again_body: Value = again.json().await.unwrap();
    assert_eq!(again_body, first_body, "the same member and the same token");
    assert_eq!(app.event_count(&team).await, events, "nothing written");

    let different = send(
        "add-ben",
        json!({ "name": "Bea", "email": "bea@example.com", "role": "member" }),
    )
    .await
    .unwrap();
    assert_problem(different, 422, "idempotency_key_reused").await;
    let view: Value = app
        .get(&format!("/v1/teams/{}", team.id), &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["members"].as_array().unwrap().len(), 2);

    // Keys belong to the credentials that used them.
    let (_, admin) = app.add_member(&team, "admin").await;
    let other_caller = app
        .request(Method::POST, &path, Some(&admin))
        .header("idempotency-key", "add-ben")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(other_caller.status(), StatusCode::CREATED);
    assert!(other_caller.headers().get("idempotent-replayed").is_none());
}

#[tokio::test]
async fn reads_wait_for_a_min_position_and_read_one_never_written_as_the_newest() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let response = app
        .patch(
            &format!("/v1/teams/{}", team.id),
            &team.owner_token,
            json!({ "name": "Acme Roasters" }),
        )
        .await;
    let position = response.headers()["stride-position"]
        .to_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/teams/{}", team.id);
    let fresh = app
        .request(Method::GET, &path, Some(&team.owner_token))
        .header("stride-min-position", &position)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), StatusCode::OK);
    let fresh: Value = fresh.json().await.unwrap();
    assert_eq!(fresh["name"], "Acme Roasters");
    let by_query = app
        .get(
            &format!("{path}?min_position={position}"),
            &team.owner_token,
        )
        .await;
    assert_eq!(by_query.status(), StatusCode::OK);

    // A position no write has reached asks for every write so far: answered at once with
    // the newest, not waited on until it times out (503).
    let future = app
        .request(Method::GET, &path, Some(&team.owner_token))
        .header("stride-min-position", i64::MAX.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(future.status(), StatusCode::OK);
    let future: Value = future.json().await.unwrap();
    assert_eq!(future["name"], "Acme Roasters");
    let bad = app
        .request(Method::GET, &path, Some(&team.owner_token))
        .header("stride-min-position", "soon")
        .send()
        .await
        .unwrap();
    assert_problem(bad, 400, "validation_failed").await;
}

#[tokio::test]
async fn cors_lets_the_configured_frontend_in_and_no_one_else() {
    let app = TestApp::spawn().await;
    let preflight = |origin: &'static str| {
        app.http
            .request(Method::OPTIONS, app.url("/v1/teams"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            )
            .send()
    };
    let allowed = preflight(FRONTEND).await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(allowed.headers()["access-control-allow-origin"], FRONTEND);
    let headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        headers.contains("idempotency-key") && headers.contains("authorization"),
        "{headers}"
    );

    let refused = preflight("https://evil.example.net").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    let simple = app
        .http
        .get(app.url("/healthz"))
        .header("origin", FRONTEND)
        .send()
        .await
        .unwrap();
    assert_eq!(simple.headers()["access-control-allow-origin"], FRONTEND);
    let exposed = simple.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("stride-position") && exposed.contains("etag"),
        "{exposed}"
    );
}

#[tokio::test]
async fn an_id_of_another_kind_of_resource_is_404_never_500() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let t = team.id;
    let channel = app.add_channel(&team, "blog", "b").await;
    let goal: Value = app.post(&format!("/v1/teams/{t}/goals"), &team.owner_token, json!({ "title": "Big", "horizon": "long", "starts_on": "2026-11-01", "due_on": "2026-12-31" })).await.json().await.unwrap();
    let goal = goal["id"].as_str().unwrap().to_owned();
    let post: Value = app
        .post(
            &format!("/v1/teams/{t}/posts"),
            &team.owner_token,
            json!({ "channel_id": channel, "title": "p" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let post = post["id"].as_str().unwrap().to_owned();
    let token = &team.owner_token;
    for (method, path) in [
        (Method::GET, format!("/v1/teams/{t}/channels/{goal}")),
        (Method::GET, format!("/v1/teams/{t}/goals/{post}")),
        (Method::GET, format!("/v1/teams/{t}/posts/{channel}")),
        (Method::GET, format!("/v1/teams/{t}/ideas/{post}")),
        (Method::POST, format!("/v1/teams/{t}/posts/{goal}/publish")),
        (
            Method::POST,
            format!("/v1/teams/{t}/goals/{channel}/achieve"),
        ),
        (Method::POST, format!("/v1/teams/{t}/ideas/{goal}/status")),
        (Method::PATCH, format!("/v1/teams/{t}/channels/{post}")),
        (Method::PUT, format!("/v1/boards/acme/ideas/{post}/vote")),
    ] {
        let body = match method {
            Method::PATCH => json!({ "status": "paused" }),
            _ if path.ends_with("/status") => json!({ "status": "planned" }),
            _ => json!({}),
        };
        let request = app.request(method.clone(), &path, Some(token));
        let request = if method == Method::GET || method == Method::PUT {
            request
        } else {
            request.json(&body)
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        assert!(
            status == 404 || (path.contains("/boards/") && status == 403),
            "{method} {path}: {status}"
        );
    }
}

#[tokio::test]
async fn unreadable_requests_are_400_and_refused_values_422() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channels = format!("/v1/teams/{}/channels", team.id);
    let goals = format!("/v1/teams/{}/goals", team.id);
    let goal = |starts_on: &str, due_on: &str| {
        json!({
            "title": "Three posts a week", "horizon": "short", "starts_on": starts_on,
            "due_on": due_on, "target": { "kind": "cadence", "count": 3, "period": "week" }
        })
    };
    // Not the documented shape: the body cannot be read as the operation takes it.
    for (body, field) in [
        (json!({ "platform": "myspace", "handle": "@a" }), "platform"),
        (json!({ "platform": "blog", "handle": 7 }), "handle"),
        (
            json!({ "platform": "blog", "handle": "@a", "colour": "red" }),
            "colour",
        ),
        (json!({ "handle": "@a" }), "platform"),
    ] {
        let problem = assert_problem(
            app.post(&channels, &team.owner_token, body).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(fields(&problem), vec![field.to_owned()]);
    }
    let array = app
        .post(&channels, &team.owner_token, json!(["blog", "@a"]))
        .await;
    assert_problem(array, 400, "validation_failed").await;
    // The documented shape, refused by a rule: a value out of its bounds, two fields that
    // disagree, a reference to something that is not the team's.
    let foreign = app.sign_up("other").await;
    let foreign_channel = app.add_channel(&foreign, "blog", "@other").await;
    let mut not_ours = goal("2026-11-02", "2026-11-29");
    not_ours["target"]["channel_id"] = json!(foreign_channel);
    for (body, field) in [
        (json!({ "platform": "blog", "handle": "  " }), "handle"),
        (goal("2026-11-29", "2026-11-02"), "due_on"),
        (not_ours, "target.channel_id"),
    ] {
        let path = if body.get("platform").is_some() {
            &channels
        } else {
            &goals
        };
        let problem = assert_problem(
            app.post(path, &team.owner_token, body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(fields(&problem), vec![field.to_owned()]);
    }
}
