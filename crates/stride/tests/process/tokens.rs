//! Member tokens answered from memory on several servers: a revocation, a role change or a
//! member's removal on one server reaches the others at once (through `NOTIFY`), not when
//! their kept copy would have aged out.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use stride_testkit::TestDatabase;

use crate::server::{Server, answer, sign_up};

/// Well under the five seconds a server keeps a member token at most: only the
/// notification can end a kept token this soon.
const AT_ONCE: Duration = Duration::from_secs(2);

/// What `request` is answered.
async fn status(request: reqwest::RequestBuilder) -> StatusCode {
    request.send().await.unwrap().status()
}

/// Sends what `request` builds until it answers `wanted`, for at most [`AT_ONCE`]; how long
/// that took, or what it answered last.
async fn until_status(
    wanted: StatusCode,
    request: impl Fn() -> reqwest::RequestBuilder,
) -> Result<Duration, StatusCode> {
    let started = Instant::now();
    loop {
        let status = status(request()).await;
        if status == wanted {
            return Ok(started.elapsed());
        }
        if started.elapsed() > AT_ONCE {
            return Err(status);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_role_changes_and_removals_on_one_server_reach_another_at_once() {
    let db = TestDatabase::new().await.unwrap();
    let http = reqwest::Client::new();
    let log = |name: &str| std::env::temp_dir().join(format!("stride-{}-{name}.log", db.name()));
    let mut a = Server::start(&[("DATABASE_URL", db.url())], log("a"));
    let mut b = Server::start(&[("DATABASE_URL", db.url())], log("b"));
    a.wait_ready(&http).await;
    b.wait_ready(&http).await;
    let team = sign_up(&http, &a.base).await;
    let on = |base: &str, path: &str| format!("{base}/v1/teams/{}{path}", team.id);

    // A second token of the owner, used on B until A revokes it.
    let issued = answer(
        http.post(on(&a.base, "/tokens"))
            .bearer_auth(&team.token)
            .json(&json!({ "name": "Second" })),
    )
    .await;
    let (token_id, secret) = (
        issued["id"].as_str().unwrap(),
        issued["secret"].as_str().unwrap(),
    );
    let read_on_b = || http.get(on(&b.base, "")).bearer_auth(secret);
    for _ in 0..3 {
        assert_eq!(status(read_on_b()).await, StatusCode::OK);
    }
    let owner = |request: reqwest::RequestBuilder| status(request.bearer_auth(&team.token));
    let revoked = owner(http.delete(on(&a.base, &format!("/tokens/{token_id}")))).await;
    assert_eq!(revoked, StatusCode::NO_CONTENT);
    let took = until_status(StatusCode::UNAUTHORIZED, read_on_b).await;
    assert!(took.is_ok(), "B still took the revoked token: {took:?}");

    // An admin adds channels on B until A makes them a member.
    let added = answer(
        http.post(on(&a.base, "/members"))
            .bearer_auth(&team.token)
            .json(&json!({ "name": "Ada", "email": "ada@example.com", "role": "admin", "service": true })),
    )
    .await;
    let member_id = added["member"]["id"].as_str().unwrap().to_owned();
    let admin = added["token"]["secret"].as_str().unwrap().to_owned();
    let handles = std::sync::atomic::AtomicUsize::new(0);
    let add_channel_on_b = || {
        let n = handles.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        http.post(on(&b.base, "/channels"))
            .bearer_auth(&admin)
            .json(&json!({ "platform": "instagram", "handle": format!("@acme{n}") }))
    };
    assert_eq!(status(add_channel_on_b()).await, StatusCode::CREATED);
    let member = on(&a.base, &format!("/members/{member_id}"));
    let demoted = owner(http.patch(&member).json(&json!({ "role": "member" }))).await;
    assert_eq!(demoted, StatusCode::OK);
    let took = until_status(StatusCode::FORBIDDEN, add_channel_on_b).await;
    assert!(took.is_ok(), "B still took the admin's old role: {took:?}");

    // A removed member's tokens end everywhere.
    let read_as_member_on_b = || http.get(on(&b.base, "")).bearer_auth(&admin);
    assert_eq!(status(read_as_member_on_b()).await, StatusCode::OK);
    let removed = owner(http.delete(&member)).await;
    assert_eq!(removed, StatusCode::NO_CONTENT);
    let took = until_status(StatusCode::UNAUTHORIZED, read_as_member_on_b).await;
    assert!(
        took.is_ok(),
        "B still took the removed member's token: {took:?}"
    );
    a.stop();
    b.stop();
}
