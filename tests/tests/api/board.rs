use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stride_tests::{Team, TestApp, assert_invalid, assert_problem, fields};

async fn vote(app: &TestApp, slug: &str, idea: &Value, token: &str) -> Value {
    let id = idea["id"].as_str().unwrap();
    app.vote_for(slug, id, token).await.json().await.unwrap()
}

async fn public_titles(app: &TestApp, slug: &str, sort: &str) -> Vec<String> {
    let page: Value = app
        .public_json(&format!("/v1/boards/{slug}/ideas?sort={sort}"))
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn fans_join_submit_vote_once_and_comment() {
    let app = TestApp::spawn().await;
    app.sign_up("acme").await;
    let board: Value = app.public_json("/v1/boards/acme").await;
    assert_eq!(
        board,
        json!({ "slug": "acme", "name": "Team acme", "accepting_ideas": true })
    );
    let fan = app.join_board("acme", Some("Fan")).await;
    let idea = app
        .submit_idea("acme", &fan, "  Behind the roast <b>video</b>  ")
        .await;
    assert_eq!(
        (idea["status"].as_str(), idea["title"].as_str()),
        (Some("open"), Some("Behind the roast <b>video</b>")),
        "trimmed, and HTML kept as text"
    );

    assert_eq!(vote(&app, "acme", &idea, &fan).await["vote_count"], 1);
    assert_eq!(
        vote(&app, "acme", &idea, &fan).await["vote_count"],
        1,
        "voting again is a no-op"
    );
    let path = format!("/v1/boards/acme/ideas/{}", idea["id"].as_str().unwrap());
    let withdrawn: Value = app
        .request(Method::DELETE, &format!("{path}/vote"), Some(&fan))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            withdrawn["voted"].as_bool(),
            withdrawn["vote_count"].as_i64()
        ),
        (Some(false), Some(0))
    );

    let commented = app
        .post(
            &format!("{path}/comments"),
            &fan,
            json!({ "body": "With music please" }),
        )
        .await;
    assert_eq!(commented.status(), StatusCode::CREATED);
    let detail: Value = app.public_json(&path).await;
    assert_eq!(detail["comments"][0]["body"], "With music please");
    assert_eq!(detail["comment_count"], 1);

    let client = app.db.connect().await.unwrap();
    let kinds: Vec<String> = client
        .query(
            "SELECT event_type FROM events WHERE event_type LIKE 'Idea%' ORDER BY position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        kinds,
        vec![
            "IdeaSubmitted",
            "IdeaVoted",
            "IdeaVoteWithdrawn",
            "IdeaCommented"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_vote_storm_counts_every_voter_exactly_once_and_refuses_none() {
    let app = TestApp::spawn().await;
    app.sign_up("acme").await;
    let author = app.join_board("acme", Some("Author")).await;
    let idea = app.submit_idea("acme", &author, "Hot idea").await;
    let mut tokens = Vec::new();
    for i in 0..200 {
        tokens.push(app.join_board("acme", Some(&format!("Fan {i}"))).await);
    }
    let path = format!(
        "/v1/boards/acme/ideas/{}/vote",
        idea["id"].as_str().unwrap()
    );
    // Every fan votes twice at once: votes arriving together share a transaction, and a
    // repeat in the same one must still change nothing.
    let votes: Vec<_> = tokens
        .iter()
        .chain(&tokens)
        .map(|token| app.request(Method::PUT, &path, Some(token)).send())
        .collect();
    let mut counts = Vec::new();
    for response in futures_util::future::join_all(votes).await {
        let response = response.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{:?}",
            response.text().await
        );
        let body: Value = response.json().await.unwrap();
        counts.push(body["vote_count"].as_i64().unwrap());
    }
    // Each answer counts at least the caller's own vote, and the last ones count them all.
    assert!(counts.iter().all(|c| (1..=200).contains(c)), "{counts:?}");
    assert_eq!(counts.iter().max(), Some(&200));
    let detail = format!("/v1/boards/acme/ideas/{}", idea["id"].as_str().unwrap());
    assert_eq!(app.public_json(&detail).await["vote_count"], 200);
    // Half withdraw while the other half vote again (changing nothing), all at once.
    let (leaving, staying) = tokens.split_at(100);
    let moves: Vec<_> = leaving
        .iter()
        .map(|token| app.request(Method::DELETE, &path, Some(token)).send())
        .chain(
            staying
                .iter()
                .map(|token| app.request(Method::PUT, &path, Some(token)).send()),
        )
        .collect();
    for response in futures_util::future::join_all(moves).await {
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert!(
            (100..=200).contains(&body["vote_count"].as_i64().unwrap()),
            "{body}"
        );
    }
    assert_eq!(app.public_json(&detail).await["vote_count"], 100);
    let client = app.db.connect().await.unwrap();
    let count = |event_type: &'static str| {
        let client = &client;
        async move {
            client
                .query_one(
                    "SELECT count(*) FROM events WHERE event_type = $1",
                    &[&event_type],
                )
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    assert_eq!(count("IdeaVoted").await, 200);
    assert_eq!(count("IdeaVoteWithdrawn").await, 100);
}

#[tokio::test]
async fn tokens_stay_on_their_side() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    app.sign_up("other").await;
    let fan = app.join_board("acme", Some("Fan")).await;
    let idea = app.submit_idea("acme", &fan, "Idea").await;
    // A member token cannot write on the board...
    assert_problem(
        app.post(
            "/v1/boards/acme/ideas",
            &team.owner_token,
            json!({ "title": "x" }),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let vote_path = format!(
        "/v1/boards/acme/ideas/{}/vote",
        idea["id"].as_str().unwrap()
    );
    assert_problem(
        app.request(Method::PUT, &vote_path, Some(&team.owner_token))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
    // ...a contributor token is no key to team routes...
    assert_problem(
        app.get(&format!("/v1/teams/{}", team.id), &fan).await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get(&format!("/v1/teams/{}/ideas", team.id), &fan).await,
        401,
        "unauthorized",
    )
    .await;
    // ...nor to another board, and no token is no vote.
    assert_problem(
        app.post("/v1/boards/other/ideas", &fan, json!({ "title": "x" }))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.request(Method::PUT, &vote_path, None)
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.request(Method::PUT, &vote_path, Some("stridec_nope"))
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn closed_and_private_boards() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let fan = app.join_board("acme", Some("Fan")).await;
    app.patch(
        &format!("/v1/teams/{}", team.id),
        &team.owner_token,
        json!({ "board": { "accepting_ideas": false } }),
    )
    .await;
    assert_problem(
        app.post("/v1/boards/acme/ideas", &fan, json!({ "title": "x" }))
            .await,
        409,
        "board_closed",
    )
    .await;
    let own = app
        .post(
            &format!("/v1/teams/{}/ideas", team.id),
            &team.owner_token,
            json!({ "title": "Ours" }),
        )
        .await;
    assert_eq!(
        own.status(),
        StatusCode::CREATED,
        "members still add their own"
    );
    app.patch(
        &format!("/v1/teams/{}", team.id),
        &team.owner_token,
        json!({ "board": { "public": false } }),
    )
    .await;
    assert_problem(
        app.http
            .get(app.url("/v1/boards/acme"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.http
            .get(app.url("/v1/boards/acme/ideas"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.http
            .post(app.url("/v1/boards/acme/contributors"))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.http
            .get(app.url("/v1/boards/nobody"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn ideas_and_comments_are_checked_by_field() {
    let app = TestApp::spawn().await;
    app.sign_up("acme").await;
    let fan = app.join_board("acme", Some("Fan")).await;
    for (body, field) in [
        (json!({ "title": "bell\u{7}" }), "title"),
        (json!({ "title": " " }), "title"),
        (json!({ "title": "t".repeat(201) }), "title"),
        (json!({ "title": "x", "body": "b".repeat(10_001) }), "body"),
        (json!({ "title": "x", "tags": ["not a tag"] }), "tags"),
        (json!({ "title": "x", "channel_ids": [] }), "channel_ids"),
    ] {
        let problem =
            assert_invalid(app.post("/v1/boards/acme/ideas", &fan, body.clone()).await).await;
        assert_eq!(fields(&problem), vec![field.to_owned()], "{body}");
    }
    let idea = app.submit_idea("acme", &fan, "Fine").await;
    let comments = format!(
        "/v1/boards/acme/ideas/{}/comments",
        idea["id"].as_str().unwrap()
    );
    assert_problem(
        app.post(&comments, &fan, json!({ "body": "" })).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.post(
            "/v1/boards/acme/ideas/01a20000-0000-7000-8000-000000000000/comments",
            &fan,
            json!({ "body": "hi" }),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let bad_join = app
        .http
        .post(app.url("/v1/boards/acme/contributors"))
        .json(&json!({ "email": "nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&assert_problem(bad_join, 422, "validation_failed").await),
        vec!["email".to_owned()]
    );
}

async fn team_post(app: &TestApp, team: &Team, path: &str, body: Value) -> Value {
    let response = app
        .post(
            &format!("/v1/teams/{}/ideas/{path}", team.id),
            &team.owner_token,
            body,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn moderation_keeps_its_history_and_declined_ideas_leave_the_board() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let fan = app.join_board("acme", Some("Fan")).await;
    let idea = app.submit_idea("acme", &fan, "Maybe").await;
    let id = idea["id"].as_str().unwrap();
    team_post(
        &app,
        &team,
        &format!("{id}/status"),
        json!({ "status": "under_review", "reason": "looking" }),
    )
    .await;
    let declined = team_post(
        &app,
        &team,
        &format!("{id}/status"),
        json!({ "status": "declined", "reason": "off brand" }),
    )
    .await;
    assert_eq!(declined["status"], "declined");
    let detail: Value = app
        .get(
            &format!("/v1/teams/{}/ideas/{id}", team.id),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let history: Vec<(String, String)> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["status"].as_str().unwrap().to_owned(),
                h["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        history,
        vec![
            ("under_review".to_owned(), "looking".to_owned()),
            ("declined".to_owned(), "off brand".to_owned())
        ]
    );
    assert_eq!(detail["history"][0]["by"], team.owner_id.to_string());
    assert!(public_titles(&app, "acme", "new").await.is_empty());
    let used = app
        .post(
            &format!("/v1/teams/{}/ideas/{id}/status", team.id),
            &team.owner_token,
            json!({ "status": "used" }),
        )
        .await;
    assert_problem(used, 400, "validation_failed").await;
    let (_, viewer) = app.add_member(&team, "viewer").await;
    assert_problem(
        app.post(
            &format!("/v1/teams/{}/ideas/{id}/status", team.id),
            &viewer,
            json!({ "status": "open" }),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn merge_counts_each_voter_once_and_unmerge_restores_both_ideas() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let (x, y, z, w) = (
        app.join_board("acme", Some("x")).await,
        app.join_board("acme", Some("y")).await,
        app.join_board("acme", Some("z")).await,
        app.join_board("acme", Some("w")).await,
    );
    let a = app.submit_idea("acme", &x, "Roast day video").await;
    let b = app.submit_idea("acme", &z, "Video of roasting").await;
    for token in [&x, &y] {
        vote(&app, "acme", &a, token).await;
    }
    for token in [&y, &z] {
        vote(&app, "acme", &b, token).await;
    }
    let b_id = b["id"].as_str().unwrap();
    app.post(
        &format!("/v1/boards/acme/ideas/{b_id}/comments"),
        &z,
        json!({ "body": "same idea as A?" }),
    )
    .await;

    let merged = team_post(
        &app,
        &team,
        &format!("{b_id}/merge"),
        json!({ "into": a["id"] }),
    )
    .await;
    assert_eq!(merged["merged_into"], a["id"]);
    let a_path = format!("/v1/boards/acme/ideas/{}", a["id"].as_str().unwrap());
    let a_view: Value = app.public_json(&a_path).await;
    assert_eq!(a_view["vote_count"], 3, "x, y and z, y once");
    assert_eq!(a_view["comments"][0]["body"], "same idea as A?");
    assert_eq!(
        public_titles(&app, "acme", "top").await,
        vec!["Roast day video"]
    );
    let on_merged = app
        .request(
            Method::PUT,
            &format!("/v1/boards/acme/ideas/{b_id}/vote"),
            Some(&w),
        )
        .send()
        .await
        .unwrap();
    assert_problem(on_merged, 409, "idea_merged").await;
    vote(&app, "acme", &a, &w).await;

    team_post(&app, &team, &format!("{b_id}/unmerge"), json!({})).await;
    let a_view: Value = app.public_json(&a_path).await;
    let b_view: Value = app
        .public_json(&format!("/v1/boards/acme/ideas/{b_id}"))
        .await;
    assert_eq!(
        (a_view["vote_count"].as_i64(), b_view["vote_count"].as_i64()),
        (Some(3), Some(2)),
        "x, y, w on A; y, z on B"
    );
    assert!(a_view["comments"].as_array().unwrap().is_empty());
    assert!(b_view["merged_into"].is_null());
    assert_eq!(
        public_titles(&app, "acme", "top").await,
        vec!["Roast day video", "Video of roasting"]
    );
    let again = app
        .post(
            &format!("/v1/teams/{}/ideas/{b_id}/unmerge", team.id),
            &team.owner_token,
            json!({}),
        )
        .await;
    assert_problem(again, 409, "not_merged").await;
    let into_self = app
        .post(
            &format!("/v1/teams/{}/ideas/{b_id}/merge", team.id),
            &team.owner_token,
            json!({ "into": b_id }),
        )
        .await;
    assert_problem(into_self, 422, "validation_failed").await;
}

#[tokio::test]
async fn similar_titles_point_fans_at_open_ideas_that_exist() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let fan = app.join_board("acme", Some("Fan")).await;
    let roast = app
        .submit_idea("acme", &fan, "Behind the scenes roasting video")
        .await;
    app.submit_idea("acme", &fan, "Latte art contest").await;
    let declined = app
        .submit_idea("acme", &fan, "Behind the scenes roasting photos")
        .await;
    app.post(
        &format!(
            "/v1/teams/{}/ideas/{}/status",
            team.id,
            declined["id"].as_str().unwrap()
        ),
        &team.owner_token,
        json!({ "status": "declined" }),
    )
    .await;
    let found: Value = app
        .http
        .get(
            app.url("/v1/boards/acme/ideas/similar?title=roasting%20video%20behind%20the%20scenes"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![roast["id"].as_str().unwrap()],
        "the open look-alike only"
    );
    assert_problem(
        app.http
            .get(app.url("/v1/boards/acme/ideas/similar?title="))
            .send()
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.http
            .get(app.url("/v1/boards/acme/ideas/similar"))
            .send()
            .await
            .unwrap(),
        400,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn erasure_removes_a_contributors_name_and_email_everywhere_but_keeps_their_ideas_and_votes()
{
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let (name, email) = ("Zelda Quux", "zelda.quux@example.com");
    let joined = app
        .http
        .post(app.url("/v1/boards/acme/contributors"))
        .header("idempotency-key", "join-1")
        .json(&json!({ "name": name, "email": email }))
        .send()
        .await
        .unwrap();
    let joined: Value = joined.json().await.unwrap();
    let (contributor, token) = (
        joined["contributor"]["id"].as_str().unwrap().to_owned(),
        joined["token"]["secret"].as_str().unwrap().to_owned(),
    );
    let idea = app.submit_idea("acme", &token, "Zelda's idea").await;
    assert_eq!(
        idea["author"]["name"], name,
        "shown with their idea until erased"
    );
    vote(&app, "acme", &idea, &token).await;

    let path = format!(
        "/v1/teams/{}/contributors/{contributor}/personal-data",
        team.id
    );
    let (_, member) = app.add_member(&team, "member").await;
    assert_problem(app.delete(&path, &member).await, 403, "forbidden").await;
    let other = app.sign_up("other").await;
    assert_problem(
        app.delete(
            &format!(
                "/v1/teams/{}/contributors/{contributor}/personal-data",
                other.id
            ),
            &other.owner_token,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.delete(&path, &team.owner_token).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.delete(
            &format!(
                "/v1/teams/{}/contributors/{}/personal-data",
                team.id, team.owner_id
            ),
            &team.owner_token,
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // No table holds them any more...
    let client = app.db.connect().await.unwrap();
    let tables: Vec<String> = client
        .query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        tables.contains(&"contributors".to_owned())
            && tables.contains(&"idempotency_keys".to_owned())
    );
    for table in tables {
        let rows: Vec<String> = client
            .query(&format!("SELECT t::text FROM {table} t"), &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        for row in rows {
            assert!(
                !row.contains(name) && !row.contains(email) && !row.contains("Zelda Quux"),
                "{table} still holds it: {row}"
            );
        }
    }
    // ...no response shows them, not even a replay of the sign-up...
    let replay = app
        .http
        .post(app.url("/v1/boards/acme/contributors"))
        .header("idempotency-key", "join-1")
        .json(&json!({ "name": name, "email": email }))
        .send()
        .await
        .unwrap();
    assert!(
        replay.headers().get("idempotent-replayed").is_none(),
        "the stored answer was forgotten"
    );
    let listed = app
        .http
        .get(app.url("/v1/boards/acme/ideas"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(name) && !listed.contains(email));
    // ...and the idea and its vote stay.
    let detail: Value = app
        .public_json(&format!(
            "/v1/boards/acme/ideas/{}",
            idea["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (detail["title"].as_str(), detail["vote_count"].as_i64()),
        (Some("Zelda's idea"), Some(1))
    );
}

#[tokio::test]
async fn board_writes_are_rate_limited_per_address_and_per_contributor_and_recover() {
    let app = TestApp::spawn_with(stride_http::rate_limit::BoardRate {
        per_minute: 120,
        burst: 3,
    })
    .await;
    app.sign_up("acme").await;
    let fan = app.join_board("acme", Some("Fan")).await;
    // The join used one of this address's three; two more go through, then 429.
    for title in ["one", "two"] {
        assert_eq!(
            app.post("/v1/boards/acme/ideas", &fan, json!({ "title": title }))
                .await
                .status(),
            StatusCode::CREATED
        );
    }
    let refused = app
        .post("/v1/boards/acme/ideas", &fan, json!({ "title": "three" }))
        .await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_problem(refused, 429, "rate_limited").await;
    assert_eq!(
        app.http
            .get(app.url("/v1/boards/acme/ideas"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "reads are not limited"
    );

    // At 120 a minute one write comes back every half second.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(
        app.post("/v1/boards/acme/ideas", &fan, json!({ "title": "later" }))
            .await
            .status(),
        StatusCode::CREATED
    );
    let page: Value = app.public_json("/v1/boards/acme/ideas?sort=new").await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        3,
        "the refused idea was not written"
    );
}

/// Drafts a post made from `idea_id` on a new channel and publishes it: the draft, and the
/// answer to publishing.
async fn publish_post_made_from(
    app: &TestApp,
    team: &Team,
    idea_id: &Value,
) -> (Value, reqwest::Response) {
    let channel = app.add_channel(team, "instagram", "@acme").await;
    let posts = format!("/v1/teams/{}/posts", team.id);
    let post: Value = app
        .post(
            &posts,
            &team.owner_token,
            json!({ "channel_id": channel, "title": "Contest!", "idea_id": idea_id }),
        )
        .await
        .json()
        .await
        .unwrap();
    let publish = format!("{posts}/{}/publish", post["id"].as_str().unwrap());
    let published = app.post(&publish, &team.owner_token, json!({})).await;
    (post, published)
}

#[tokio::test]
async fn publishing_a_post_made_from_an_idea_marks_the_idea_used() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let fan = app.join_board("acme", Some("Fan")).await;
    let idea = app.submit_idea("acme", &fan, "Latte art contest").await;
    let (post, published) = publish_post_made_from(&app, &team, &idea["id"]).await;
    assert_eq!(post["idea_id"], idea["id"]);
    let position = published.headers()["stride-position"]
        .to_str()
        .unwrap()
        .to_owned();
    let detail: Value = app
        .request(
            Method::GET,
            &format!(
                "/v1/teams/{}/ideas/{}",
                team.id,
                idea["id"].as_str().unwrap()
            ),
            Some(&team.owner_token),
        )
        .header("stride-min-position", position)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["status"], "used");
    assert_eq!(
        detail["history"].as_array().unwrap().last().unwrap()["status"],
        "used"
    );
    assert!(
        public_titles(&app, "acme", "new")
            .await
            .contains(&"Latte art contest".to_owned()),
        "used ideas stay on the board"
    );
}

#[tokio::test]
async fn trending_lists_agree_with_each_ideas_exact_count_and_score() {
    let app = TestApp::spawn().await;
    app.sign_up("acme").await;
    let fans = [
        app.join_board("acme", Some("A")).await,
        app.join_board("acme", Some("B")).await,
        app.join_board("acme", Some("C")).await,
    ];
    let ideas = [
        app.submit_idea("acme", &fans[0], "One").await,
        app.submit_idea("acme", &fans[1], "Two").await,
        app.submit_idea("acme", &fans[2], "Three").await,
    ];
    for fan in &fans {
        vote(&app, "acme", &ideas[1], fan).await;
    }
    vote(&app, "acme", &ideas[0], &fans[0]).await;
    vote(&app, "acme", &ideas[0], &fans[1]).await;
    // A withdrawal, and a vote cast again after it.
    let path = format!(
        "/v1/boards/acme/ideas/{}/vote",
        ideas[0]["id"].as_str().unwrap()
    );
    let withdrawn = app
        .request(Method::DELETE, &path, Some(&fans[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), StatusCode::OK);
    vote(&app, "acme", &ideas[2], &fans[2]).await;
    vote(&app, "acme", &ideas[0], &fans[0]).await;

    let listed: Value = app.public_json("/v1/boards/acme/ideas?sort=trending").await;
    let items = listed["items"].as_array().unwrap();
    let titles: Vec<&str> = items.iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(titles, vec!["Two", "One", "Three"]);
    for item in items {
        let detail: Value = app
            .public_json(&format!(
                "/v1/boards/acme/ideas/{}",
                item["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(item["vote_count"], detail["vote_count"], "{item}");
        let (kept, exact) = (
            item["score"].as_f64().unwrap(),
            detail["score"].as_f64().unwrap(),
        );
        // Both read the clock a moment apart; a vote loses about 1e-6 of its weight a second.
        assert!(
            (kept - exact).abs() < 1e-4,
            "{kept} kept vote by vote, {exact} exact"
        );
    }
    assert_eq!(items[0]["vote_count"], 3);
    assert_eq!(items[1]["vote_count"], 2);
}

#[tokio::test]
async fn a_submitted_idea_is_answered_as_every_reader_then_sees_it() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let fan = app.join_board("acme", Some("Fan")).await;
    let submitted = app.submit_idea("acme", &fan, "Behind the scenes").await;
    let id = submitted["id"].as_str().unwrap();
    let detail: Value = app
        .public_json(&format!("/v1/boards/acme/ideas/{id}"))
        .await;
    assert_eq!(submitted["author"]["name"], "Fan");
    assert_eq!(
        submitted["score"].as_f64().map(f64::is_sign_negative),
        Some(false)
    );
    assert_eq!(without_detail(detail), submitted);

    let own = app
        .post(
            &format!("/v1/teams/{}/ideas", team.id),
            &team.owner_token,
            json!({ "title": "Team retro thread" }),
        )
        .await;
    assert_eq!(own.status(), StatusCode::CREATED);
    let own: Value = own.json().await.unwrap();
    let read: Value = app
        .get(
            &format!(
                "/v1/teams/{}/ideas/{}",
                team.id,
                own["id"].as_str().unwrap()
            ),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(own["author"]["name"].is_string(), "{own}");
    assert_eq!(without_detail(read), own);
}

/// An idea's detail without what only the detail shows.
fn without_detail(mut detail: Value) -> Value {
    let fields = detail.as_object_mut().unwrap();
    fields.remove("history");
    fields.remove("comments");
    detail
}

#[tokio::test]
async fn a_vote_its_idea_and_the_board_count_each_voter_once_across_merged_duplicates() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let mut fans = Vec::new();
    for name in ["x", "y", "z", "w1", "w2", "w3", "v"] {
        fans.push(app.join_board("acme", Some(name)).await);
    }
    let [x, y, z, w1, w2, w3, v] = &fans[..] else {
        unreachable!()
    };
    let a = app.submit_idea("acme", x, "Roast day video").await;
    let b = app.submit_idea("acme", w1, "Video of roasting").await;
    for token in [x, y, z] {
        vote(&app, "acme", &a, token).await;
    }
    // y votes on both: once merged, y counts once.
    for token in [y, w1, w2, w3] {
        vote(&app, "acme", &b, token).await;
    }
    team_post(
        &app,
        &team,
        &format!("{}/merge", b["id"].as_str().unwrap()),
        json!({ "into": a["id"] }),
    )
    .await;
    let a_id = a["id"].as_str().unwrap();
    let counts = |answer: Value| {
        let app = &app;
        let team = &team;
        async move {
            let public: Value = app
                .public_json(&format!("/v1/boards/acme/ideas/{a_id}"))
                .await;
            let own: Value = app
                .get(
                    &format!("/v1/teams/{}/ideas/{a_id}", team.id),
                    &team.owner_token,
                )
                .await
                .json()
                .await
                .unwrap();
            let listed: Value = app.public_json("/v1/boards/acme/ideas?sort=top").await;
            [
                answer["vote_count"].as_i64(),
                public["vote_count"].as_i64(),
                own["vote_count"].as_i64(),
                listed["items"][0]["vote_count"].as_i64(),
            ]
        }
    };

    // x, y, z, w1, w2, w3 and now v.
    let voted = vote(&app, "acme", &a, v).await;
    assert_eq!(voted["voted"], true);
    assert_eq!(
        counts(voted).await,
        [Some(7); 4],
        "answer, detail, team detail, list"
    );

    // y withdraws from the idea but still votes on its duplicate: still counted once.
    let path = format!("/v1/boards/acme/ideas/{a_id}/vote");
    let withdrawn: Value = app
        .request(Method::DELETE, &path, Some(y))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(withdrawn["voted"], false);
    assert_eq!(
        counts(withdrawn).await,
        [Some(7); 4],
        "y still counts through the duplicate"
    );
}

#[tokio::test]
async fn publishing_a_post_made_from_an_idea_and_marking_the_idea_used_commit_together() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let fan = app.join_board("acme", Some("Fan")).await;
    let idea = app.submit_idea("acme", &fan, "Latte art contest").await;
    let duplicate = app.submit_idea("acme", &fan, "Latte art battle").await;
    team_post(
        &app,
        &team,
        &format!("{}/merge", duplicate["id"].as_str().unwrap()),
        json!({ "into": idea["id"] }),
    )
    .await;
    // A post made from the merged duplicate: its use counts for the idea it was merged into.
    let (_, published) = publish_post_made_from(&app, &team, &duplicate["id"]).await;
    assert_eq!(published.status(), StatusCode::OK);
    let position: i64 = published.headers()["stride-position"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();

    let log: Value = app
        .get(
            &format!("/v1/teams/{}/events?limit=200", team.id),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let find = |kind: &str| {
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event_type"] == kind)
            .map(|e| (e["position"].as_i64().unwrap(), e["stream_id"].clone()))
            .collect::<Vec<_>>()
    };
    let (published_at, _) = find("PostPublished")[0];
    let used = find("IdeaUsed");
    assert_eq!(used.len(), 1, "one idea marked used: {used:?}");
    assert_eq!(
        used[0].1, idea["id"],
        "the idea the duplicate was merged into"
    );
    // A position is its transaction's id shifted left 16 bits, plus the event's index in it.
    assert_eq!(published_at >> 16, used[0].0 >> 16, "one transaction");
    assert_eq!(position, published_at.max(used[0].0));

    let detail: Value = app
        .request(
            Method::GET,
            &format!(
                "/v1/teams/{}/ideas/{}",
                team.id,
                idea["id"].as_str().unwrap()
            ),
            Some(&team.owner_token),
        )
        .header("stride-min-position", position.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["status"], "used");
}
