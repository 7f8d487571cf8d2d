//! Webhooks against a real receiving HTTP server on this machine: messages signed as
//! Standard Webhooks 1.0 has it, failed answers kept and sent again with the same id,
//! rotation signing with both secrets, paused and deleted endpoints, roles, and the
//! destinations a server refuses to send to.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use stride_testkit::receiver::{Received, Receiver};
use stride_tests::{TestApp, assert_problem};

/// Whether `secret` signed the message (one of its space-separated `v1,` signatures).
pub(crate) fn signed_by(message: &Received, secret: &str) -> bool {
    let timestamp: i64 = message.timestamp.parse().unwrap();
    let expected =
        stride_app::delivery::signature(&[secret], &message.id, timestamp, &message.body);
    message.signature.split(' ').any(|s| s == expected)
}

pub(crate) fn json_of(message: &Received) -> Value {
    serde_json::from_slice(&message.body).unwrap()
}

/// Waits until the receiver holds `count` messages, failing the test past 10 s.
pub(crate) async fn wait_for(receiver: &Receiver, count: usize) -> Vec<Received> {
    let got = receiver.wait_for(count, Duration::from_secs(10)).await;
    assert!(
        got.len() >= count,
        "the receiver got {} messages, not {count}",
        got.len()
    );
    got
}

async fn create(app: &TestApp, team: &stride_tests::Team, body: Value) -> reqwest::Response {
    app.post(
        &format!("/v1/teams/{}/webhooks", team.id),
        &team.owner_token,
        body,
    )
    .await
}

/// Creates an endpoint that must be created: its answer, secret included.
pub(crate) async fn created(app: &TestApp, team: &stride_tests::Team, body: Value) -> Value {
    let response = create(app, team, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn deliveries(app: &TestApp, team: &stride_tests::Team, webhook: &str) -> Vec<Value> {
    let page: Value = app
        .get(
            &format!("/v1/teams/{}/webhooks/{webhook}/deliveries", team.id),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

/// Waits until the webhook's newest delivery has `status`.
async fn wait_status(
    app: &TestApp,
    team: &stride_tests::Team,
    webhook: &str,
    status: &str,
) -> Value {
    wait_for_delivery(app, team, webhook, None, status).await
}

/// Waits until the webhook's delivery `id` (or its newest) has `status`.
pub(crate) async fn wait_for_delivery(
    app: &TestApp,
    team: &stride_tests::Team,
    webhook: &str,
    id: Option<&str>,
    status: &str,
) -> Value {
    for _ in 0..200 {
        let all = deliveries(app, team, webhook).await;
        let found = match id {
            Some(id) => all.iter().find(|d| d["id"] == id),
            None => all.first(),
        };
        if let Some(found) = found.filter(|d| d["status"] == status) {
            return found.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no delivery became {status}: {:?}",
        deliveries(app, team, webhook).await
    );
}

#[tokio::test]
async fn an_event_reaches_the_endpoint_signed_with_its_secret_and_its_position() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let receiver = Receiver::start(vec![]).await.unwrap();
    let response = create(
        &app,
        &team,
        json!({ "url": receiver.url, "event_types": ["IdeaSubmitted"], "description": " CRM " }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(created["description"], "CRM");
    let webhook = created["id"].as_str().unwrap().to_owned();

    let contributor = app.join_board(&team.slug, Some("Fan")).await;
    let idea = app
        .submit_idea(&team.slug, &contributor, "Behind the scenes")
        .await;
    app.vote_for(&team.slug, idea["id"].as_str().unwrap(), &contributor)
        .await;

    let got = wait_for(&receiver, 1).await;
    let message = &got[0];
    assert!(signed_by(message, &secret), "{message:?}");
    assert!(!signed_by(
        message,
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    ));
    let body = json_of(message);
    assert_eq!(body["type"], "IdeaSubmitted");
    assert_eq!(body["data"]["event_type"], "IdeaSubmitted");
    assert_eq!(body["data"]["data"]["title"], "Behind the scenes");
    assert!(body["data"]["position"].as_i64().unwrap() > 0);
    let delivered = wait_status(&app, &team, &webhook, "delivered").await;
    assert_eq!(delivered["id"], message.id.as_str());
    assert_eq!(delivered["attempts"], 1);
    assert_eq!(delivered["last_status"], 204);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.got().len(),
        1,
        "the vote is not an event type the endpoint wants"
    );

    // The secret is in no event and no later answer.
    let log = app
        .get(
            &format!("/v1/teams/{}/events?limit=200", team.id),
            &team.owner_token,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(log.contains("WebhookCreated") && !log.contains(&secret));
    let read = app
        .get(
            &format!("/v1/teams/{}/webhooks/{webhook}", team.id),
            &team.owner_token,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(!read.contains("whsec_"));
}

#[tokio::test]
async fn a_failed_answer_is_kept_and_a_redelivery_sends_the_same_message_again() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let receiver = Receiver::start(vec![500]).await.unwrap();
    let created = created(
        &app,
        &team,
        json!({ "url": receiver.url, "event_types": ["TeamRenamed"] }),
    )
    .await;
    let webhook = created["id"].as_str().unwrap().to_owned();
    let tested = app
        .post(
            &format!("/v1/teams/{}/webhooks/{webhook}/test", team.id),
            &team.owner_token,
            json!({}),
        )
        .await;
    assert_eq!(tested.status(), StatusCode::ACCEPTED);
    let tested: Value = tested.json().await.unwrap();
    assert_eq!(tested["event_type"], "webhook.test");

    let test_id = tested["id"].as_str().unwrap().to_owned();
    let failed = wait_for_delivery(&app, &team, &webhook, Some(&test_id), "failed").await;
    assert_eq!(failed["last_status"], 500);
    assert_eq!(failed["attempts"], 1);
    let error = failed["last_error"].as_str().unwrap();
    assert!(error.starts_with("answered 500"), "{error}");
    assert!(
        error.chars().count() <= 1024,
        "at most 1 KiB of the answer is kept"
    );
    assert!(failed["next_attempt_at"].is_string());

    let again = app
        .post(
            &format!(
                "/v1/teams/{}/webhooks/{webhook}/deliveries/{}/redeliver",
                team.id,
                failed["id"].as_str().unwrap()
            ),
            &team.owner_token,
            json!({}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    let got = wait_for(&receiver, 2).await;
    assert_eq!(
        got[0].id, got[1].id,
        "every attempt carries the same webhook-id"
    );
    assert_eq!(json_of(&got[1])["type"], "webhook.test");
    let delivered = wait_for_delivery(&app, &team, &webhook, Some(&test_id), "delivered").await;
    assert_eq!(delivered["attempts"], 2);
    assert_eq!(delivered["last_error"], Value::Null);

    // The attempts by outcome, and the queue (empty again).
    let metrics = app.metrics().await;
    let value = |series: &str| -> f64 {
        let line = metrics.lines().find(|l| l.starts_with(series));
        let line = line.unwrap_or_else(|| panic!("no {series} in:\n{metrics}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(
        value(r#"stride_webhook_attempts_total{outcome="delivered"}"#),
        1.0
    );
    assert_eq!(
        value(r#"stride_webhook_attempts_total{outcome="failed"}"#),
        1.0
    );
    assert_eq!(value("stride_webhook_queue_depth"), 0.0);
    assert_eq!(value("stride_webhook_oldest_pending_seconds"), 0.0);

    let unknown = app
        .post(
            &format!(
                "/v1/teams/{}/webhooks/{webhook}/deliveries/{}/redeliver",
                team.id,
                uuid::Uuid::now_v7()
            ),
            &team.owner_token,
            json!({}),
        )
        .await;
    assert_problem(unknown, 404, "not_found").await;
}

#[tokio::test]
async fn after_a_rotation_both_secrets_sign_and_a_paused_or_deleted_endpoint_hears_nothing() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let receiver = Receiver::start(vec![]).await.unwrap();
    let created = created(
        &app,
        &team,
        json!({ "url": receiver.url, "event_types": ["TeamRenamed"] }),
    )
    .await;
    let (webhook, old) = (
        created["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    );
    let path = format!("/v1/teams/{}/webhooks/{webhook}", team.id);
    let rotated: Value = app
        .post(
            &format!("{path}/rotate-secret"),
            &team.owner_token,
            json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    let rename = |name: &'static str| {
        let (app, team) = (&app, &team);
        async move {
            app.patch(
                &format!("/v1/teams/{}", team.id),
                &team.owner_token,
                json!({ "name": name }),
            )
            .await
        }
    };
    rename("Acme One").await;
    let got = wait_for(&receiver, 1).await;
    assert!(
        signed_by(&got[0], &new) && signed_by(&got[0], &old),
        "{:?}",
        got[0]
    );

    let paused = app
        .patch(&path, &team.owner_token, json!({ "status": "paused" }))
        .await;
    assert_eq!(paused.status(), StatusCode::OK);
    rename("Acme Two").await;
    let active = app
        .patch(&path, &team.owner_token, json!({ "status": "active" }))
        .await;
    assert_eq!(active.json::<Value>().await.unwrap()["status"], "active");
    rename("Acme Three").await;
    let got = wait_for(&receiver, 2).await;
    assert_eq!(
        json_of(&got[1])["data"]["data"]["name"],
        "Acme Three",
        "nothing was queued while paused"
    );

    assert_eq!(
        app.delete(&path, &team.owner_token).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&path, &team.owner_token).await, 404, "not_found").await;
    rename("Acme Four").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.got().len(), 2);
}

#[tokio::test]
async fn webhooks_are_for_owners_and_admins_of_their_own_team_and_event_types_are_checked() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let other = app.sign_up("other").await;
    let (_, member) = app.add_member(&team, "member").await;
    let body = json!({ "url": "https://hooks.example.com/x", "event_types": ["*"] });
    let path = format!("/v1/teams/{}/webhooks", team.id);
    assert_problem(
        app.post(&path, &member, body.clone()).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(app.get(&path, &member).await, 403, "forbidden").await;
    assert_problem(
        app.post(&path, &other.owner_token, body).await,
        404,
        "not_found",
    )
    .await;
    // A body of the documented shape that cannot be done as asked is 422; another shape 400.
    for (bad, status, field) in [
        (
            json!({ "url": "https://a.example", "event_types": [] }),
            422,
            "event_types",
        ),
        (
            json!({ "url": "https://a.example", "event_types": ["IdeaSubmited"] }),
            422,
            "event_types",
        ),
        (
            json!({ "url": "not a url", "event_types": ["*"] }),
            422,
            "url",
        ),
        (
            json!({ "url": "https://a.example", "event_types": ["*"], "secret": "mine" }),
            400,
            "secret",
        ),
        (
            json!({ "url": "https://a.example", "event_types": "*" }),
            400,
            "event_types",
        ),
    ] {
        let problem =
            assert_problem(create(&app, &team, bad).await, status, "validation_failed").await;
        assert_eq!(stride_tests::fields(&problem), vec![field.to_owned()]);
    }
}

#[tokio::test]
async fn without_the_development_setting_only_https_to_public_addresses_is_allowed() {
    let app = TestApp::spawn_configured(|config| {
        config.webhooks = stride_app::webhooks::WebhookPolicy::default();
    })
    .await;
    let team = app.sign_up("acme").await;
    for url in [
        "http://hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://localhost:8443/x",
        "https://10.1.2.3/x",
        "https://192.168.0.10/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://224.0.0.1/x",
    ] {
        let response = create(&app, &team, json!({ "url": url, "event_types": ["*"] })).await;
        let problem = assert_problem(response, 422, "webhook_url_forbidden").await;
        assert!(
            problem["detail"].as_str().unwrap().contains("url"),
            "{url}: {problem}"
        );
    }
    let created: Value = app
        .get(
            &format!("/v1/teams/{}/webhooks", team.id),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["items"], json!([]));
}

#[tokio::test]
async fn a_post_submitted_for_review_raises_the_review_requested_signal_beside_its_event() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let receiver = Receiver::start(vec![]).await.unwrap();
    let body = json!({ "url": receiver.url, "event_types": ["post.review_requested", "PostSubmittedForReview"] });
    let created = created(&app, &team, body).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let post: Value = app
        .post(
            &format!("/v1/teams/{}/posts", team.id),
            &team.owner_token,
            json!({ "channel_id": channel, "title": "Poll time" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let post_id = post["id"].as_str().unwrap();
    let submitted = app
        .post(
            &format!("/v1/teams/{}/posts/{post_id}/submit", team.id),
            &team.owner_token,
            json!({}),
        )
        .await;
    assert_eq!(submitted.status(), StatusCode::OK);

    let got = wait_for(&receiver, 2).await;
    let mut types: Vec<String> = got
        .iter()
        .map(|m| json_of(m)["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    assert_eq!(
        types,
        vec!["PostSubmittedForReview", "post.review_requested"]
    );
    let signal = got
        .iter()
        .find(|m| json_of(m)["type"] == "post.review_requested")
        .unwrap();
    assert!(signed_by(signal, &secret));
    assert_eq!(json_of(signal)["data"]["post_id"], post_id);
    assert_ne!(got[0].id, got[1].id, "the signal is a message of its own");
}
