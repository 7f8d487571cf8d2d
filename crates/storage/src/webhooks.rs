//! Webhook deliveries ([`Deliveries`]): the outbox rows the `webhook_outbox` projection
//! queues, claimed by the delivery workers of every server with `FOR UPDATE SKIP LOCKED`
//! and leased while they send, so that a server dying mid-send leaves the message to be sent
//! again, with the same id, once its lease ends. Also the endpoints' signing secrets, which
//! live beside the log, never in it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::{Store, StoreError};

/// The most a delivery keeps of a failed answer: its status line and the start of its body.
pub const ERROR_MAX: usize = 1024;

/// One message to one endpoint, as its team sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = WebhookDelivery))]
pub struct Delivery {
    /// Also the `webhook-id` its receiver sees on every attempt.
    pub id: Uuid,
    pub webhook_id: Uuid,
    /// The event's type, a signal's name, or `webhook.test`.
    pub event_type: String,
    /// The event's position in the log (0 for a test message).
    pub position: i64,
    /// `pending` (not tried yet, or being sent), `delivered`, `failed` (to be tried again)
    /// or `dead` (given up after 24 h, or its webhook deleted).
    pub status: String,
    pub attempts: i32,
    /// The HTTP status of the last answer, when there was one.
    pub last_status: Option<i32>,
    /// What went wrong last: the answer's status and start of its body (at most 1 KiB), or
    /// why no answer came.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

crate::rows::from_columns!(Delivery {
    id,
    webhook_id,
    event_type,
    position,
    status,
    attempts,
    last_status,
    last_error,
    created_at,
    next_attempt_at,
    delivered_at,
});

const COLUMNS: &str = "delivery_id, webhook_id, event_type, position, status, attempts, last_status, last_error, \
     created_at, CASE WHEN status IN ('pending', 'failed') THEN greatest(next_attempt_at, leased_until) END, delivered_at";

/// A message claimed for sending: where, what, and the secrets that sign it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub team_id: Uuid,
    pub delivery_id: Uuid,
    pub webhook_id: Uuid,
    /// None when the endpoint was deleted meanwhile.
    pub url: Option<String>,
    pub payload: serde_json::Value,
    /// Counting this one.
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    /// None when the endpoint was deleted meanwhile.
    pub secret: Option<String>,
    /// The secret before a rotation, while it still signs (24 h).
    pub previous_secret: Option<String>,
}

crate::rows::from_columns!(Claimed {
    team_id,
    delivery_id,
    webhook_id,
    url,
    payload,
    attempts,
    created_at,
    secret,
    previous_secret,
});

// Due messages of active endpoints not leased to a worker, oldest due first, leased for `$2`
// seconds: the attempt is counted now, so a server that dies while sending leaves it due
// again when the lease ends. Skipping locked rows lets every server's workers claim at once.
// Each claimed row is updated by its key and its endpoint's URL and secrets are looked up by
// theirs: joined, the planner (its statistics taken while the outbox was small) walked every
// message of the endpoint for each claimed one.
const CLAIM: &str = "WITH due AS ( \
       SELECT d.team_id, d.delivery_id FROM webhook_deliveries AS d \
       JOIN webhook_endpoints AS e ON e.team_id = d.team_id AND e.webhook_id = d.webhook_id AND e.active \
       WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at <= now() \
         AND (d.leased_until IS NULL OR d.leased_until <= now()) \
       ORDER BY d.next_attempt_at LIMIT $1 \
       FOR UPDATE OF d SKIP LOCKED) \
     UPDATE webhook_deliveries AS d \
     SET attempts = d.attempts + 1, leased_until = now() + make_interval(secs => $2) \
     FROM due WHERE d.team_id = due.team_id AND d.delivery_id = due.delivery_id \
     RETURNING d.team_id, d.delivery_id, d.webhook_id, \
       (SELECT e.url FROM webhook_endpoints AS e WHERE e.team_id = d.team_id AND e.webhook_id = d.webhook_id), \
       d.payload, d.attempts, d.created_at, \
       (SELECT s.secret FROM webhook_secrets AS s WHERE s.team_id = d.team_id AND s.webhook_id = d.webhook_id), \
       (SELECT s.previous_secret FROM webhook_secrets AS s \
        WHERE s.team_id = d.team_id AND s.webhook_id = d.webhook_id AND s.previous_until > now())";
// A 2xx answer also ends the endpoint's run of failures.
const DELIVERED: &str = "WITH d AS ( \
       UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), \
         last_status = $3, last_error = NULL, leased_until = NULL \
       WHERE team_id = $1 AND delivery_id = $2 AND status <> 'delivered' RETURNING team_id, webhook_id) \
     UPDATE webhook_secrets AS s SET failing_since = NULL FROM d \
     WHERE s.team_id = d.team_id AND s.webhook_id = d.webhook_id AND s.failing_since IS NOT NULL";
// A failed attempt: tried again at `$5` (seconds from now), unless the message is over a
// day old, when it is given up. Answers its status and since when its endpoint has failed
// every delivery (null when this failure starts the run: the statement does not see its own
// write).
const FAILED: &str = "WITH d AS ( \
       UPDATE webhook_deliveries SET last_status = $3, last_error = $4, \
         status = CASE WHEN created_at < now() - interval '24 hours' THEN 'dead' ELSE 'failed' END, \
         next_attempt_at = now() + make_interval(secs => $5), leased_until = NULL \
       WHERE team_id = $1 AND delivery_id = $2 AND status <> 'delivered' \
       RETURNING team_id, webhook_id, status), \
     started AS ( \
       UPDATE webhook_secrets AS s SET failing_since = now() FROM d \
       WHERE s.team_id = d.team_id AND s.webhook_id = d.webhook_id AND s.failing_since IS NULL) \
     SELECT d.status, (SELECT s.failing_since FROM webhook_secrets AS s \
                       WHERE s.team_id = d.team_id AND s.webhook_id = d.webhook_id) \
     FROM d";
// Messages not delivered yet, and how long the oldest has waited (the partial index of due
// messages holds exactly these).
const QUEUE: &str = "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 \
     FROM webhook_deliveries WHERE status IN ('pending', 'failed')";
// Both answer the delivery as `COLUMNS` reads it, from the row they wrote.
const REDELIVER: &str = "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), leased_until = NULL, \
       created_at = CASE WHEN status = 'dead' THEN now() ELSE created_at END \
     WHERE team_id = $1 AND webhook_id = $2 AND delivery_id = $3";
// Only while the endpoint has its secret (it was not deleted meanwhile).
const QUEUE_TEST: &str = "INSERT INTO webhook_deliveries (team_id, delivery_id, webhook_id, event_type, position, payload) \
     SELECT $1, $2, $3, 'webhook.test', 0, $4 \
     WHERE EXISTS (SELECT 1 FROM webhook_secrets WHERE team_id = $1 AND webhook_id = $3)";

/// What came of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Failed {
    /// The message was given up (over 24 h old).
    pub dead: bool,
    /// Since when every delivery to its endpoint has failed; None when this one started the
    /// run (or the endpoint is gone).
    pub failing_since: Option<DateTime<Utc>>,
}

/// Webhook deliveries: queueing test messages, claiming, recording outcomes, listing.
#[derive(Debug, Clone, Copy)]
pub struct Deliveries<'a> {
    store: &'a Store,
}

impl Store {
    /// Webhook deliveries and the endpoints' secrets.
    pub fn deliveries(&self) -> Deliveries<'_> {
        Deliveries { store: self }
    }
}

impl Deliveries<'_> {
    /// Wakes this process's delivery worker: a message was queued to be sent now.
    pub fn wake(self) {
        self.store.deliveries_queued().notify_one();
    }

    /// Resolves when a message may have become due: one was queued here, a projector of
    /// this process committed (the outbox among them), or `timeout` passed (messages
    /// queued by other processes, retries coming due).
    pub async fn due_or(self, timeout: std::time::Duration) {
        let queued = self.store.deliveries_queued().notified();
        let projected = self.store.projected().notified();
        let _ = tokio::time::timeout(timeout, async {
            tokio::select! {
                () = queued => {}
                () = projected => {}
            }
        })
        .await;
    }

    /// Claims up to `limit` due messages, each leased for `lease_seconds`.
    pub async fn claim(self, limit: i64, lease_seconds: f64) -> Result<Vec<Claimed>, StoreError> {
        // Planned afresh at each claim (an unnamed statement), never from a plan cached while
        // the outbox was small: a cached sequential scan and sort of every message took
        // 11-16 ms per claim once a few thousand were queued, against well under 1 ms along
        // the index of due messages.
        let client = self.store.pool().get().await?;
        let rows = client.query(CLAIM, &[&limit, &lease_seconds]).await?;
        Ok(rows
            .iter()
            .map(Claimed::from_row)
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// Records a 2xx answer.
    pub async fn delivered(self, claimed: &Claimed, status: i32) -> Result<(), StoreError> {
        let params: [&(dyn ToSql + Sync); 3] = [&claimed.team_id, &claimed.delivery_id, &status];
        self.store.execute(DELIVERED, &params).await.map(drop)
    }

    /// Messages not delivered yet, and how long the oldest of them has waited, in seconds.
    pub async fn queue(self) -> Result<(i64, f64), StoreError> {
        let found = self.store.query_opt(QUEUE, &[], crate::rows::pair).await?;
        Ok(found.unwrap_or((0, 0.0)))
    }

    /// Records a failed attempt, to be tried again in `retry_in_seconds`, or given up when
    /// the message is over a day old.
    pub async fn failed(
        self,
        claimed: &Claimed,
        status: Option<i32>,
        error: &str,
        retry_in_seconds: f64,
    ) -> Result<Failed, StoreError> {
        let error: String = error.chars().take(ERROR_MAX).collect();
        let params: [&(dyn ToSql + Sync); 5] = [
            &claimed.team_id,
            &claimed.delivery_id,
            &status,
            &error,
            &retry_in_seconds,
        ];
        let found = self
            .store
            .query_opt(FAILED, &params, |r| {
                let status: String = r.try_get(0)?;
                let failing_since: Option<DateTime<Utc>> = r.try_get(1)?;
                Ok::<_, tokio_postgres::Error>(Failed {
                    dead: status == "dead",
                    failing_since,
                })
            })
            .await?;
        Ok(found.unwrap_or(Failed {
            dead: false,
            failing_since: None,
        }))
    }

    /// Queues one message again now, whatever became of it; None when there is no such
    /// delivery of that webhook.
    pub async fn redeliver(
        self,
        team_id: Uuid,
        webhook_id: Uuid,
        delivery_id: Uuid,
    ) -> Result<Option<Delivery>, StoreError> {
        let sql = format!("{REDELIVER} RETURNING {COLUMNS}");
        let params: [&(dyn ToSql + Sync); 3] = [&team_id, &webhook_id, &delivery_id];
        self.store
            .query_opt(&sql, &params, Delivery::from_row)
            .await
    }

    /// Queues a `webhook.test` message to `webhook_id`; None when the endpoint has no
    /// secret (it was deleted meanwhile).
    pub async fn queue_test(
        self,
        team_id: Uuid,
        webhook_id: Uuid,
        payload: serde_json::Value,
    ) -> Result<Option<Delivery>, StoreError> {
        let sql = format!("{QUEUE_TEST} RETURNING {COLUMNS}");
        let delivery_id = Uuid::now_v7();
        let params: [&(dyn ToSql + Sync); 4] = [&team_id, &delivery_id, &webhook_id, &payload];
        self.store
            .query_opt(&sql, &params, Delivery::from_row)
            .await
    }

    /// One webhook's deliveries, newest first: up to `limit` after the cursor `before`
    /// (a delivery id, as returned last), only those with `status` when given.
    pub async fn list(
        self,
        team_id: Uuid,
        webhook_id: Uuid,
        status: Option<&str>,
        before: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM webhook_deliveries \
             WHERE team_id = $1 AND webhook_id = $2 AND ($3::text IS NULL OR status = $3) \
               AND ($4::uuid IS NULL OR (created_at, delivery_id) < \
                    (SELECT created_at, delivery_id FROM webhook_deliveries WHERE team_id = $1 AND delivery_id = $4)) \
             ORDER BY created_at DESC, delivery_id DESC LIMIT $5"
        );
        let params: [&(dyn ToSql + Sync); 5] = [&team_id, &webhook_id, &status, &before, &limit];
        self.store
            .query_rows(&sql, &params, Delivery::from_row)
            .await
    }

    /// One delivery of a webhook.
    pub async fn get(
        self,
        team_id: Uuid,
        webhook_id: Uuid,
        delivery_id: Uuid,
    ) -> Result<Option<Delivery>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM webhook_deliveries \
             WHERE team_id = $1 AND webhook_id = $2 AND delivery_id = $3"
        );
        let params: [&(dyn ToSql + Sync); 3] = [&team_id, &webhook_id, &delivery_id];
        self.store
            .query_opt(&sql, &params, Delivery::from_row)
            .await
    }
}
