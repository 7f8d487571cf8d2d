//! The transport holds against requests that are odd rather than malformed: paths spelled
//! with percent-encoding, long-lived streams whose credentials go away, idempotency keys
//! chosen by several callers, slow bodies and over-long heads.

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stride_http::rate_limit::BoardRate;
use stride_tests::{TestApp, assert_problem};

/// One write a minute after a burst of two: the third write from one address is refused.
const TIGHT: BoardRate = BoardRate {
    per_minute: 1,
    burst: 2,
};

/// Statuses of `count` requests built by `request`, in order.
async fn statuses(count: usize, request: impl Fn() -> reqwest::RequestBuilder) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..count {
        statuses.push(request().send().await.unwrap().status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn votes_on_a_percent_encoded_board_path_are_rate_limited_like_the_plain_path() {
    let app = TestApp::spawn_with(TIGHT).await;
    let team = app.sign_up("acme").await;
    let idea: Value = app
        .post(
            &format!("/v1/teams/{}/ideas", team.id),
            &team.owner_token,
            json!({ "title": "Behind the scenes" }),
        )
        .await
        .json()
        .await
        .unwrap();
    // The join spends one of the address's two.
    let fan = app.join_board("acme", Some("Fan")).await;
    let path = format!(
        "/v1/%62oards/acme/ideas/{}/vote",
        idea["id"].as_str().unwrap()
    );
    let answered = statuses(4, || app.request(Method::PUT, &path, Some(&fan))).await;
    assert_eq!(
        answered,
        [200, 429, 429, 429],
        "the encoded path is the same route"
    );
}

#[tokio::test]
async fn joins_and_submissions_on_percent_encoded_board_paths_are_rate_limited() {
    let app = TestApp::spawn_with(TIGHT).await;
    app.sign_up("acme").await;
    let joins = statuses(4, || {
        app.request(Method::POST, "/v1/%62oards/acme/contributors", None)
            .json(&json!({}))
    })
    .await;
    assert_eq!(joins, [201, 201, 429, 429]);

    let app = TestApp::spawn_with(TIGHT).await;
    app.sign_up("acme").await;
    let fan = app.join_board("acme", None).await;
    let submissions = statuses(3, || {
        app.request(Method::POST, "/v1/%62oards/acme/ideas", Some(&fan))
            .json(&json!({ "title": "An idea" }))
    })
    .await;
    assert_eq!(submissions, [201, 429, 429]);
}

#[tokio::test]
async fn percent_encoded_team_paths_pass_the_team_authentication_like_plain_ones() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let (_, viewer) = app.add_member(&team, "viewer").await;
    // A position no write has reached: each answer below is authentication's, given before
    // the read would wait for anything.
    let far = "1000000000000";
    for prefix in ["/v1/%74eams", "/v1/te%61ms", "/%761/teams", "/v1/teams"] {
        let read = format!("{prefix}/{}", team.id);
        let anonymous = app
            .request(Method::GET, &read, None)
            .header("stride-min-position", far)
            .send()
            .await
            .unwrap();
        assert_problem(anonymous, 401, "unauthorized").await;
        let stranger = app
            .request(Method::GET, &read, Some(&other.owner_token))
            .header("stride-min-position", far)
            .send()
            .await
            .unwrap();
        assert_problem(stranger, 404, "not_found").await;
        let write = app
            .request(
                Method::POST,
                &format!("{prefix}/{}/channels", team.id),
                Some(&viewer),
            )
            .header("stride-min-position", far)
            .json(&json!({ "platform": "blog", "handle": "acme" }))
            .send()
            .await
            .unwrap();
        assert_problem(write, 403, "forbidden").await;
    }
}

/// How soon an open event stream must end once its credentials stop being valid.
const STREAM_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// A streamed response body, chunk by chunk.
type Body = std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<Vec<u8>>>>>;

/// The team's live event stream read with `token`, past its first chunk.
async fn open_stream(app: &TestApp, team: &stride_tests::Team, token: &str) -> Body {
    let response = app
        .get(&format!("/v1/teams/{}/events/stream", team.id), token)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body: Body = Box::pin(response.bytes_stream().map(|c| c.map(|b| b.to_vec())));
    let first = body.next().await.unwrap().unwrap();
    assert!(first.starts_with(b"retry:"), "{first:?}");
    body
}

/// Whether `body` ends (or fails) within `limit`, reading whatever it still sends.
async fn ends_within(body: &mut Body, limit: std::time::Duration) -> bool {
    let drained = async {
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                break;
            }
        }
    };
    tokio::time::timeout(limit, drained).await.is_ok()
}

#[tokio::test]
async fn an_open_event_stream_ends_within_a_second_of_its_token_being_revoked() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let tokens = format!("/v1/teams/{}/tokens", team.id);
    let issued: Value = app
        .post(&tokens, &team.owner_token, json!({ "name": "Stream" }))
        .await
        .json()
        .await
        .unwrap();
    let mut stream = open_stream(&app, &team, issued["secret"].as_str().unwrap()).await;
    assert!(
        !ends_within(&mut stream, std::time::Duration::from_millis(1200)).await,
        "a valid token's stream stays open"
    );

    let revoked = app
        .delete(
            &format!("{tokens}/{}", issued["id"].as_str().unwrap()),
            &team.owner_token,
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert!(
        ends_within(&mut stream, STREAM_GRACE).await,
        "still streaming"
    );
}

#[tokio::test]
async fn an_open_event_stream_ends_within_a_second_of_its_member_being_removed() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let (member_id, token) = app.add_member(&team, "member").await;
    let mut stream = open_stream(&app, &team, &token).await;

    let removed = app
        .delete(
            &format!("/v1/teams/{}/members/{member_id}", team.id),
            &team.owner_token,
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert!(
        ends_within(&mut stream, STREAM_GRACE).await,
        "still streaming"
    );
}

/// A POST to `path` with `Idempotency-Key: key` and `authorization` (if any) as sent.
async fn keyed_post(
    app: &TestApp,
    path: &str,
    key: &str,
    authorization: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut request = app
        .request(Method::POST, path, None)
        .header("idempotency-key", key)
        .json(body);
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn two_anonymous_callers_with_one_idempotency_key_each_get_their_own_contributor_token() {
    let app = TestApp::spawn().await;
    app.sign_up("acme").await;
    let body = json!({ "name": "Fan" });
    // Without credentials, and with the same credentials that are not any (a frontend
    // sending `Bearer undefined`, say): neither is something only one caller has.
    for authorization in [None, Some("Bearer undefined")] {
        let mut secrets = Vec::new();
        for _ in 0..2 {
            let joined = keyed_post(
                &app,
                "/v1/boards/acme/contributors",
                "join",
                authorization,
                &body,
            )
            .await;
            assert_eq!(joined.status(), StatusCode::CREATED);
            assert!(joined.headers().get("idempotent-replayed").is_none());
            let joined: Value = joined.json().await.unwrap();
            secrets.push(joined["token"]["secret"].as_str().unwrap().to_owned());
        }
        assert_ne!(secrets[0], secrets[1], "{authorization:?}");
    }
}

#[tokio::test]
async fn a_second_anonymous_sign_up_with_the_same_idempotency_key_never_gets_the_first_owners_token()
 {
    let app = TestApp::spawn().await;
    let body = json!({ "name": "Acme", "slug": "acme", "owner": { "name": "Olivia", "email": "olivia@example.com" } });
    let first = keyed_post(&app, "/v1/teams", "sign-up", None, &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let secret = first["token"]["secret"].as_str().unwrap();

    let second = keyed_post(&app, "/v1/teams", "sign-up", None, &body).await;
    assert!(second.headers().get("idempotent-replayed").is_none());
    let second = assert_problem(second, 409, "already_taken").await;
    assert!(!second.to_string().contains(secret));
}

#[tokio::test]
async fn idempotency_keys_still_replay_to_the_token_that_used_them() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let fan = app.join_board("acme", Some("Fan")).await;
    let bearer = format!("Bearer {fan}");
    let body = json!({ "title": "Latte art" });
    let first = keyed_post(&app, "/v1/boards/acme/ideas", "idea", Some(&bearer), &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = keyed_post(&app, "/v1/boards/acme/ideas", "idea", Some(&bearer), &body).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);

    let other = format!("Bearer {}", app.join_board("acme", Some("Other")).await);
    let theirs = keyed_post(&app, "/v1/boards/acme/ideas", "idea", Some(&other), &body).await;
    assert_eq!(theirs.status(), StatusCode::CREATED);
    assert!(theirs.headers().get("idempotent-replayed").is_none());
    let ideas: Value = app
        .get(&format!("/v1/teams/{}/ideas", team.id), &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ideas["items"].as_array().unwrap().len(), 2);
}

/// How many kept idempotency responses mention `needle`, read from the database.
async fn kept_responses_naming(app: &TestApp, needle: &str) -> i64 {
    let client = app.db.connect().await.unwrap();
    client
        .query_one(
            "SELECT count(*) FROM idempotency_keys WHERE position(convert_to($1, 'UTF8') in body) > 0",
            &[&needle],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn erasing_another_teams_contributor_is_a_404_that_leaves_that_teams_records_alone() {
    let app = TestApp::spawn().await;
    let acme = app.sign_up("acme").await;
    let globex = app.sign_up("globex").await;
    let fan = app.join_board("globex", Some("Grace Hopper")).await;
    let bearer = format!("Bearer {fan}");
    let body = json!({ "title": "Compiler memes" });
    let submitted = keyed_post(
        &app,
        "/v1/boards/globex/ideas",
        "idea",
        Some(&bearer),
        &body,
    )
    .await;
    assert_eq!(submitted.status(), StatusCode::CREATED);
    let submitted: Value = submitted.json().await.unwrap();
    let contributor = submitted["author"]["id"].as_str().unwrap().to_owned();
    assert_eq!(kept_responses_naming(&app, "Grace Hopper").await, 1);

    let erase = app
        .delete(
            &format!(
                "/v1/teams/{}/contributors/{contributor}/personal-data",
                acme.id
            ),
            &acme.owner_token,
        )
        .await;
    assert_problem(erase, 404, "not_found").await;
    assert_eq!(kept_responses_naming(&app, "Grace Hopper").await, 1);
    let replay = keyed_post(
        &app,
        "/v1/boards/globex/ideas",
        "idea",
        Some(&bearer),
        &body,
    )
    .await;
    assert_eq!(
        replay.headers()["idempotent-replayed"],
        "true",
        "globex's record survives"
    );

    // Globex's own erasure forgets it.
    let erase = app
        .delete(
            &format!(
                "/v1/teams/{}/contributors/{contributor}/personal-data",
                globex.id
            ),
            &globex.owner_token,
        )
        .await;
    assert_eq!(erase.status(), StatusCode::NO_CONTENT);
    assert_eq!(kept_responses_naming(&app, "Grace Hopper").await, 0);
}

/// Sends `parts` as raw bytes, `pause` apart, and reads until the server closes the
/// connection (within five seconds, else the read fails): the raw answer.
async fn raw_exchange(
    app: &TestApp,
    parts: Vec<Vec<u8>>,
    pause: std::time::Duration,
) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let address = app.base.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address)?;
        stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                std::thread::sleep(pause);
            }
            stream.write_all(part)?;
        }
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        Ok(String::from_utf8_lossy(&answer).into_owned())
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_answered_408_and_the_connection_closed() {
    let app = TestApp::spawn_configured(|config| {
        config.body_timeout = std::time::Duration::from_secs(1);
    })
    .await;
    let body = json!({ "name": "Acme", "slug": "acme", "owner": { "name": "Olivia", "email": "olivia@example.com" } }).to_string().into_bytes();
    let head = |length: usize| {
        format!("POST /v1/teams HTTP/1.1\r\nHost: stride\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n").into_bytes()
    };
    let (first, rest) = body.split_at(10);

    // Slowly, but in time: served.
    let parts = vec![head(body.len()), first.to_vec(), rest.to_vec()];
    let answer = raw_exchange(&app, parts, std::time::Duration::from_millis(200))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");

    // Promises more than it sends, then nothing.
    let parts = vec![head(body.len() + 100), body.clone()];
    let answer = raw_exchange(&app, parts, std::time::Duration::ZERO)
        .await
        .expect("an answer, then the connection closed");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    assert!(
        head.to_lowercase()
            .contains("content-type: application/problem+json"),
        "{head}"
    );
    let problem: Value = serde_json::from_str(body).unwrap();
    assert_eq!(problem["code"], "request_timeout", "{problem}");
}

#[tokio::test]
async fn an_over_long_uri_is_a_414_problem() {
    let app = TestApp::spawn().await;
    app.sign_up("acme").await;
    let long = format!("/v1/boards/acme/ideas?sort=new&{}", "x".repeat(9 * 1024));
    let response = app.request(Method::GET, &long, None).send().await.unwrap();
    assert_problem(response, 414, "uri_too_long").await;
    let fits = format!("/v1/boards/acme/ideas/similar?title={}", "x".repeat(200));
    let response = app.request(Method::GET, &fits, None).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn over_large_headers_are_a_431_problem() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::GET, "/healthz", None)
        .header("x-filler", "x".repeat(40 * 1024))
        .send()
        .await
        .unwrap();
    assert_problem(response, 431, "headers_too_large").await;
    let response = app
        .request(Method::GET, "/healthz", None)
        .header("x-filler", "x".repeat(4 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// Joins of the board `acme` from the client that `header` names; their statuses.
async fn joins_as(app: &TestApp, header: (&str, &str), count: usize) -> Vec<u16> {
    statuses(count, || {
        app.request(Method::POST, "/v1/boards/acme/contributors", None)
            .header(header.0, header.1)
            .json(&json!({}))
    })
    .await
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_board_limit() {
    // The tests' requests come from 127.0.0.1: here, a trusted proxy.
    let app = TestApp::spawn_configured(|config| {
        config.board_rate = TIGHT;
        config.trusted_proxies =
            stride_http::client_address::TrustedProxies::parse(&["127.0.0.1/32"]).unwrap();
    })
    .await;
    app.sign_up("acme").await;
    let first = ("x-forwarded-for", "203.0.113.7");
    assert_eq!(joins_as(&app, first, 3).await, [201, 201, 429]);
    // Another client behind the same proxy is not held back by the first.
    let second = ("forwarded", "for=\"[2001:db8::7]:4711\"");
    assert_eq!(joins_as(&app, second, 3).await, [201, 201, 429]);
    // A client that forged a hop before the proxy's own is still the address the proxy saw.
    let forged = ("x-forwarded-for", "198.51.100.1, 203.0.113.7");
    assert_eq!(joins_as(&app, forged, 1).await, [429]);
}

#[tokio::test]
async fn from_a_peer_that_is_no_trusted_proxy_forwarding_headers_change_nothing() {
    let app = TestApp::spawn_with(TIGHT).await;
    app.sign_up("acme").await;
    assert_eq!(
        joins_as(&app, ("x-forwarded-for", "203.0.113.7"), 2).await,
        [201, 201]
    );
    // Every forged address is the one peer, whose two are spent.
    for forged in ["203.0.113.8", "198.51.100.1", "2001:db8::1"] {
        assert_eq!(joins_as(&app, ("x-forwarded-for", forged), 1).await, [429]);
        assert_eq!(
            joins_as(&app, ("forwarded", &format!("for={forged}")), 1).await,
            [429]
        );
    }
}
