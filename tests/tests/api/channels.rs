use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stride_tests::{TestApp, assert_problem, fields};
use uuid::Uuid;

#[tokio::test]
async fn owners_add_channels_and_pause_or_retire_them_with_a_reason() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channels = format!("/v1/teams/{}/channels", team.id);
    let added = app.post(&channels, &team.owner_token, json!({ "platform": "instagram", "handle": " @acmecoffee ", "name": "Acme on Instagram" })).await;
    assert_eq!(added.status(), StatusCode::CREATED);
    assert_eq!(added.headers()["etag"], "\"1\"");
    assert!(added.headers().contains_key("stride-position"));
    let channel: Value = added.json().await.unwrap();
    assert_eq!(
        (
            channel["platform"].as_str(),
            channel["handle"].as_str(),
            channel["status"].as_str()
        ),
        (Some("instagram"), Some("@acmecoffee"), Some("active"))
    );
    let path = format!("{channels}/{}", channel["id"].as_str().unwrap());

    let paused = app
        .request(Method::PATCH, &path, Some(&team.owner_token))
        .header("if-match", "\"1\"")
        .json(&json!({ "status": "paused", "reason": "no traction after three months" }))
        .send()
        .await
        .unwrap();
    assert_eq!(paused.status(), StatusCode::OK);
    assert_eq!(paused.headers()["etag"], "\"2\"");
    let stale = app
        .request(Method::PATCH, &path, Some(&team.owner_token))
        .header("if-match", "\"1\"")
        .json(&json!({ "status": "retired" }))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 412, "version_conflict").await;
    let retired: Value = app
        .patch(
            &path,
            &team.owner_token,
            json!({ "status": "retired", "reason": "cut it loose" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(retired["status"], "retired");
    let same = app
        .patch(&path, &team.owner_token, json!({ "status": "retired" }))
        .await;
    assert_eq!(
        same.headers()["etag"],
        "\"3\"",
        "the same status again records nothing"
    );

    let one: Value = app
        .get(&path, &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["status"], "retired");
    let view: Value = app
        .get(&format!("/v1/teams/{}", team.id), &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["channels"][0]["id"], channel["id"]);

    // The reasons are in the log, as events.
    let client = app.db.connect().await.unwrap();
    let reasons: Vec<String> = client
        .query("SELECT data->>'reason' FROM events WHERE event_type = 'ChannelStatusChanged' ORDER BY position", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        reasons,
        vec!["no traction after three months", "cut it loose"]
    );
}

#[tokio::test]
async fn channel_lists_filter_by_status_and_page_with_a_cursor() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channels = format!("/v1/teams/{}/channels", team.id);
    let mut ids = Vec::new();
    for (platform, handle) in [
        ("instagram", "@a"),
        ("blog", "acme.blog"),
        ("newsletter", "weekly"),
        ("tiktok", "@acme"),
    ] {
        let channel: Value = app
            .post(
                &channels,
                &team.owner_token,
                json!({ "platform": platform, "handle": handle }),
            )
            .await
            .json()
            .await
            .unwrap();
        ids.push(channel["id"].as_str().unwrap().to_owned());
    }
    app.patch(
        &format!("{channels}/{}", ids[1]),
        &team.owner_token,
        json!({ "status": "paused" }),
    )
    .await;

    let first: Value = app
        .get(&format!("{channels}?limit=3"), &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    let first_ids: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        first_ids,
        ids[..3].iter().map(String::as_str).collect::<Vec<_>>()
    );
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get(
            &format!("{channels}?limit=3&cursor={cursor}"),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["id"], ids[3].as_str());
    assert!(rest["next_cursor"].is_null());

    let paused: Value = app
        .get(&format!("{channels}?status=paused"), &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paused["items"].as_array().unwrap().len(), 1);
    assert_eq!(paused["items"][0]["id"], ids[1].as_str());

    for bad in ["?limit=0", "?limit=201", "?status=gone", "?colour=red"] {
        assert_problem(
            app.get(&format!("{channels}{bad}"), &team.owner_token)
                .await,
            400,
            "validation_failed",
        )
        .await;
    }
}

#[tokio::test]
async fn channel_rules_roles_and_team_boundaries() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let channels = format!("/v1/teams/{}/channels", team.id);
    let (_, member) = app.add_member(&team, "member").await;
    let (_, viewer) = app.add_member(&team, "viewer").await;

    let problem = assert_problem(
        app.post(
            &channels,
            &team.owner_token,
            json!({ "platform": "myspace", "handle": "@a" }),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&problem), vec!["platform".to_owned()]);
    let problem = assert_problem(
        app.post(
            &channels,
            &team.owner_token,
            json!({ "platform": "blog", "handle": "  " }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&problem), vec!["handle".to_owned()]);
    let problem = assert_problem(
        app.post(
            &channels,
            &team.owner_token,
            json!({ "platform": "blog", "handle": "x".repeat(101) }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&problem), vec!["handle".to_owned()]);

    for token in [&member, &viewer] {
        assert_problem(
            app.post(
                &channels,
                token,
                json!({ "platform": "blog", "handle": "b" }),
            )
            .await,
            403,
            "forbidden",
        )
        .await;
    }
    let channel: Value = app
        .post(
            &channels,
            &team.owner_token,
            json!({ "platform": "blog", "handle": "b" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!("{channels}/{}", channel["id"].as_str().unwrap());
    assert_eq!(
        app.get(&path, &viewer).await.status(),
        StatusCode::OK,
        "viewers read"
    );
    assert_problem(
        app.patch(&path, &member, json!({ "status": "paused" }))
            .await,
        403,
        "forbidden",
    )
    .await;
    let problem = assert_problem(
        app.patch(&path, &team.owner_token, json!({ "status": "asleep" }))
            .await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&problem), vec!["status".to_owned()]);
    let problem = assert_problem(
        app.patch(
            &path,
            &team.owner_token,
            json!({ "status": "paused", "reason": "r".repeat(1001) }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&problem), vec!["reason".to_owned()]);

    // Another team sees nothing of it, through either team's paths.
    assert_problem(app.get(&path, &other.owner_token).await, 404, "not_found").await;
    let through_other = format!(
        "/v1/teams/{}/channels/{}",
        other.id,
        channel["id"].as_str().unwrap()
    );
    assert_problem(
        app.get(&through_other, &other.owner_token).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.patch(
            &through_other,
            &other.owner_token,
            json!({ "status": "paused" }),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&format!("{channels}/{}", Uuid::now_v7()), &team.owner_token)
            .await,
        404,
        "not_found",
    )
    .await;
    let others: Value = app
        .get(
            &format!("/v1/teams/{}/channels", other.id),
            &other.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(others["items"].as_array().unwrap().is_empty());
}
