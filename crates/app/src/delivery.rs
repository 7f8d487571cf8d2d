//! The webhook delivery worker, one per server process: claims due messages from the outbox
//! (leased, so a process that dies mid-send leaves them to another), signs each as Standard
//! Webhooks 1.0 has it, POSTs it with a 10 s timeout and no redirects, and records the
//! outcome: a 2xx delivers it, anything else is tried again later with exponential backoff
//! and jitter, for 24 h.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use stride_storage::webhooks::{Claimed, ERROR_MAX};

use crate::App;

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claimed message is leased to the worker sending it: longer than a send can
/// take, so that only a worker that died lets it go.
const LEASE_SECONDS: f64 = 15.0;
/// Messages claimed at once, and sent at once by one process.
const CLAIM: i64 = 16;
const IN_FLIGHT: usize = 32;
/// How long an idle worker waits before looking again for messages other processes
/// queued and retries that came due.
const IDLE: Duration = Duration::from_secs(1);

/// The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for each
/// secret (the current one, and the one before a rotation while it still signs),
/// space-separated. A secret is `whsec_` and base64 of its key bytes.
pub fn signature(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    secrets
        .iter()
        .filter_map(|secret| {
            let raw = secret.strip_prefix("whsec_").unwrap_or(secret);
            let key = engine
                .decode(raw)
                .unwrap_or_else(|_| raw.as_bytes().to_vec());
            // HMAC takes a key of any length: no secret is ever left out here.
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
            mac.update(format!("{id}.{timestamp}.").as_bytes());
            mac.update(body);
            Some(format!("v1,{}", engine.encode(mac.finalize().into_bytes())))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Seconds until the next attempt after `attempts` failed ones: about 5 s, 30 s, 2 min,
/// 10 min, 1 h, then every 3 h, each within ±20% (`jitter` in [0, 1)) so that a receiver
/// coming back is not met by every message at once.
pub fn backoff(attempts: i32, jitter: f64) -> f64 {
    const STEPS: [f64; 6] = [5.0, 30.0, 120.0, 600.0, 3600.0, 10_800.0];
    let index = usize::try_from(attempts.max(1) - 1)
        .unwrap_or(0)
        .min(STEPS.len() - 1);
    STEPS[index] * (0.8 + 0.4 * jitter.clamp(0.0, 1.0))
}

/// What this process's worker did, for `/metrics`: attempts, and their outcomes.
#[derive(Debug, Default)]
pub struct Stats {
    pub attempts: AtomicU64,
    pub delivered: AtomicU64,
    /// Failed attempts to be tried again.
    pub failed: AtomicU64,
    /// Failed attempts that gave their message up (over 24 h old).
    pub dead: AtomicU64,
}

impl Stats {
    fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The client every delivery of a process shares: its connections are kept and reused, it
/// resolves hosts under the policy ([`crate::webhooks::PolicyResolver`]), follows no
/// redirect and gives up after [`TIMEOUT`].
fn client(app: &App) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(crate::webhooks::PolicyResolver(
            app.webhook_policy,
        )))
        .build()
}

/// Runs the worker for as long as the task lives.
pub fn spawn(app: App) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match client(&app) {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(error = %error, "no HTTP client for webhook deliveries");
                return;
            }
        };
        let sending = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        loop {
            let claimed = match app.store.deliveries().claim(CLAIM, LEASE_SECONDS).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::warn!(error = %error, "webhook deliveries could not be claimed");
                    tokio::time::sleep(IDLE).await;
                    continue;
                }
            };
            let full = claimed.len() as i64 == CLAIM;
            for message in claimed {
                let Ok(permit) = sending.clone().acquire_owned().await else {
                    return;
                };
                let (app, client) = (app.clone(), client.clone());
                tokio::spawn(async move {
                    deliver(&app, &client, &message).await;
                    drop(permit);
                });
            }
            if !full {
                app.store.deliveries().due_or(IDLE).await;
            }
        }
    })
}

/// Sends one claimed message and records what came of it.
async fn deliver(app: &App, client: &reqwest::Client, message: &Claimed) {
    let outcome = send(app, client, message).await;
    let deliveries = app.store.deliveries();
    let stats = &app.delivery_stats;
    Stats::count(&stats.attempts);
    let recorded = match outcome {
        Ok(status) => {
            Stats::count(&stats.delivered);
            deliveries.delivered(message, status).await
        }
        Err((status, error)) => {
            let retry_in = backoff(message.attempts, rand::random::<f64>());
            tracing::info!(delivery_id = %message.delivery_id, webhook_id = %message.webhook_id, attempts = message.attempts, error = %error, "webhook delivery failed");
            match deliveries.failed(message, status, &error, retry_in).await {
                Ok(failed) => {
                    Stats::count(if failed.dead {
                        &stats.dead
                    } else {
                        &stats.failed
                    });
                    pause_if_failing(app, message, failed.failing_since).await;
                    Ok(())
                }
                Err(error) => Err(error),
            }
        }
    };
    if let Err(error) = recorded {
        // The lease ends and the message is sent again: at least once, never lost.
        tracing::warn!(delivery_id = %message.delivery_id, error = %error, "a webhook delivery's outcome could not be recorded");
    }
}

/// Pauses the message's endpoint when every delivery to it has failed for a day.
async fn pause_if_failing(
    app: &App,
    message: &Claimed,
    failing_since: Option<chrono::DateTime<chrono::Utc>>,
) {
    let limit = chrono::TimeDelta::hours(stride_domain::webhook::FAILING_MAX);
    let Some(since) = failing_since.filter(|since| chrono::Utc::now() - *since > limit) else {
        return;
    };
    let ids = (message.team_id, message.webhook_id);
    match crate::webhooks::pause_failing(app, ids, since).await {
        Ok(()) => {
            tracing::warn!(webhook_id = %message.webhook_id, failing_since = %since, "webhook paused: every delivery failed for a day");
        }
        Err(error) => {
            tracing::warn!(webhook_id = %message.webhook_id, error = %error, "a failing webhook could not be paused");
        }
    }
}

/// POSTs the message: its 2xx status, or the status (if any) and what went wrong.
async fn send(
    app: &App,
    client: &reqwest::Client,
    message: &Claimed,
) -> Result<i32, (Option<i32>, String)> {
    let (Some(url), Some(secret)) = (&message.url, &message.secret) else {
        return Err((None, "the webhook was deleted".to_owned()));
    };
    // The scheme and an address written in the URL are checked here; a host name when the
    // client resolves it.
    app.webhook_policy
        .host_of(url)
        .map_err(|e| (None, e.to_string()))?;
    let body = serde_json::to_vec(&message.payload).map_err(|e| (None, e.to_string()))?;
    let id = message.delivery_id.to_string();
    let timestamp = chrono::Utc::now().timestamp();
    let mut secrets = vec![secret.as_str()];
    secrets.extend(message.previous_secret.as_deref());
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header(
            "webhook-signature",
            signature(&secrets, &id, timestamp, &body),
        )
        .header("user-agent", "Stride-Webhooks/1")
        .body(body)
        .send()
        .await
        .map_err(|e| (None, describe(&e)))?;
    let status = i32::from(response.status().as_u16());
    if response.status().is_success() {
        return Ok(status);
    }
    let start = response.bytes().await.unwrap_or_default();
    let start = String::from_utf8_lossy(&start[..start.len().min(ERROR_MAX)]).into_owned();
    Err((Some(status), format!("answered {status}: {start}")))
}

/// A failed request, in a line: its kind and cause.
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "no answer within 10 s"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    match std::error::Error::source(error) {
        Some(cause) => format!("{kind}: {}", stride_storage::one_line(cause)),
        None => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's own libraries.
    #[test]
    fn signatures_match_the_standard_webhooks_example() {
        let signed = signature(
            &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn during_a_rotation_both_secrets_sign() {
        let both = signature(
            &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_AAAA"],
            "m",
            1,
            b"{}",
        );
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.starts_with("v1,")));
        assert_ne!(parts[0], parts[1]);
    }

    #[test]
    fn retries_back_off_to_every_three_hours_with_jitter() {
        let middle: Vec<f64> = (1..=8).map(|a| backoff(a, 0.5)).collect();
        assert_eq!(
            middle,
            vec![
                5.0, 30.0, 120.0, 600.0, 3600.0, 10_800.0, 10_800.0, 10_800.0
            ]
        );
        assert_eq!(backoff(1, 0.0), 4.0);
        assert!((backoff(2, 1.0) - 36.0).abs() < 1e-9);
        assert_eq!(backoff(0, 0.5), 5.0);
    }
}
