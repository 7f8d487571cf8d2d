//! The webhook outbox: a projection that fans each event out to the team's endpoints that
//! want its type, as one `webhook_deliveries` row per endpoint, written in the transaction
//! that moves its checkpoint. No event is missed and none is queued twice: a delivery's id
//! is derived from its endpoint and its event, so a batch applied again, or a rebuild, finds
//! the rows already there. Endpoints are folded from their own events as they come, so an
//! endpoint hears exactly the events recorded after it was created and while it was active.
//!
//! Reads never wait for this projection: a slow receiver must not slow anything else.

use std::collections::{BTreeMap, BTreeSet};

use deadpool_postgres::{GenericClient, Transaction};
use serde_json::json;
use stride_domain::EventPayload;
use stride_domain::post::PostEvent;
use stride_domain::webhook::{self, REVIEW_REQUESTED, WebhookEvent, WebhookStatus};
use uuid::Uuid;

use crate::events::StoredEvent;
use crate::projector::Projection;

#[derive(Debug, Clone, Copy, Default)]
pub struct WebhookOutbox;

const LOAD: &str = "SELECT team_id, webhook_id, url, event_types, active FROM webhook_endpoints \
     WHERE team_id = ANY($1)";
const STORE: &str = "INSERT INTO webhook_endpoints (team_id, webhook_id, url, event_types, active) \
     SELECT t, w, u, ARRAY(SELECT jsonb_array_elements_text(e)), a \
     FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[], $5::bool[]) AS x (t, w, u, e, a) \
     ON CONFLICT (team_id, webhook_id) DO UPDATE \
     SET url = excluded.url, event_types = excluded.event_types, active = excluded.active";
// A deleted endpoint's messages not yet delivered are given up.
const GIVE_UP: &str = "UPDATE webhook_deliveries AS d SET status = 'dead', last_error = 'the webhook was deleted' \
     FROM unnest($1::uuid[], $2::uuid[]) AS x (t, w) \
     WHERE d.team_id = x.t AND d.webhook_id = x.w AND d.status IN ('pending', 'failed')";
const REMOVE: &str = "DELETE FROM webhook_endpoints AS e \
     USING unnest($1::uuid[], $2::uuid[]) AS x (t, w) WHERE e.team_id = x.t AND e.webhook_id = x.w";
// The events some endpoint wants, whole, each looked up by its key.
const FULL: &str = "SELECT e.position, e.team_id, e.event_id, e.stream_id, e.stream_type, e.stream_version, \
       e.event_type, e.schema_version, e.data, e.metadata, e.recorded_at \
     FROM unnest($1::uuid[], $2::int8[]) AS k (team_id, position) \
     CROSS JOIN LATERAL (SELECT * FROM events WHERE team_id = k.team_id AND position = k.position LIMIT 1) AS e";
pub(crate) const QUEUE: &str = "INSERT INTO webhook_deliveries (team_id, delivery_id, webhook_id, event_type, position, payload) \
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int8[], $6::jsonb[]) \
     ON CONFLICT DO NOTHING";

/// An endpoint as the outbox keeps it.
#[derive(Debug, Clone)]
struct Endpoint {
    url: String,
    event_types: Vec<String>,
    active: bool,
}

impl Endpoint {
    /// As [`webhook::Webhook::wants`]: active, and naming the type or `*`.
    fn wants(&self, message_type: &str) -> bool {
        self.active && webhook::names(&self.event_types, message_type)
    }
}

/// The id of the message of type `message_type` that the event `event_id` makes for the
/// endpoint `webhook_id`: the same however often it is queued, and the `webhook-id` its
/// receiver sees on every attempt. An event's own message has the id of the event alone.
pub fn delivery_id(webhook_id: Uuid, event_id: Uuid, message_type: &str) -> Uuid {
    let event = Uuid::new_v5(&webhook_id, event_id.as_bytes());
    if message_type.contains('.') {
        Uuid::new_v5(&event, message_type.as_bytes())
    } else {
        event
    }
}

/// The types of the messages an event makes: its own, and the signals it raises.
fn message_types(event: &StoredEvent) -> Vec<&str> {
    let mut types = vec![event.event_type.as_str()];
    if event.stream_type == PostEvent::STREAM_TYPE && event.event_type == "PostSubmittedForReview" {
        types.push(REVIEW_REQUESTED);
    }
    types
}

/// The body of the message of type `message_type` an event makes: `{type, timestamp, data}`.
/// An event's own message carries the event as the log serves it (its position included,
/// so receivers can order and deduplicate); a signal's names its subject beside the event.
fn payload(event: &StoredEvent, message_type: &str) -> serde_json::Value {
    let data = if message_type == REVIEW_REQUESTED {
        json!({ "post_id": event.stream_id, "position": event.position, "event": event })
    } else {
        json!(event)
    };
    json!({ "type": message_type, "timestamp": event.recorded_at, "data": data })
}

/// A message some endpoints want: its event (by index in the batch), its type, and the
/// endpoints (team, webhook).
type Wanted<'a> = (usize, &'a str, Vec<(Uuid, Uuid)>);

#[derive(Default)]
struct Queue {
    team_id: Vec<Uuid>,
    delivery_id: Vec<Uuid>,
    webhook_id: Vec<Uuid>,
    event_type: Vec<String>,
    position: Vec<i64>,
    payload: Vec<serde_json::Value>,
}

impl Projection for WebhookOutbox {
    const NAME: &'static str = "webhook_outbox";
    // The deliveries are kept through a rebuild: their ids make the replay queue nothing
    // twice, and what was delivered stays delivered.
    const TABLES: &'static [&'static str] = &["webhook_endpoints"];
    // Only the endpoints' own events come with their data: the events some endpoint wants
    // are read again whole ([`FULL`]), so that a log where few teams have endpoints (a
    // rebuild of a long one, say) is not read whole.
    const STREAM_TYPES: &'static [&'static str] = &[WebhookEvent::STREAM_TYPE];

    async fn apply<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        events: &'a [StoredEvent],
    ) -> Result<(), crate::StoreError> {
        let teams: Vec<Uuid> = events
            .iter()
            .map(|e| e.team_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut endpoints: BTreeMap<(Uuid, Uuid), Endpoint> = BTreeMap::new();
        for row in tx.query(LOAD, &[&teams]).await? {
            endpoints.insert(
                (row.try_get(0)?, row.try_get(1)?),
                Endpoint {
                    url: row.try_get(2)?,
                    event_types: row.try_get(3)?,
                    active: row.try_get(4)?,
                },
            );
        }
        let mut changed: BTreeSet<(Uuid, Uuid)> = BTreeSet::new();
        let mut wanted: Vec<Wanted> = Vec::new();
        for (index, event) in events.iter().enumerate() {
            if event.stream_type == WebhookEvent::STREAM_TYPE {
                let key = (event.team_id, event.stream_id);
                match event.decode::<WebhookEvent>()?.event {
                    WebhookEvent::WebhookCreated {
                        url, event_types, ..
                    } => {
                        let active = true;
                        endpoints.insert(
                            key,
                            Endpoint {
                                url,
                                event_types,
                                active,
                            },
                        );
                    }
                    WebhookEvent::WebhookChanged {
                        url,
                        event_types,
                        status,
                        ..
                    } => {
                        let active = status == WebhookStatus::Active;
                        endpoints.insert(
                            key,
                            Endpoint {
                                url,
                                event_types,
                                active,
                            },
                        );
                    }
                    WebhookEvent::WebhookDeleted {} => {
                        endpoints.remove(&key);
                    }
                    WebhookEvent::WebhookSecretRotated {} => {}
                }
                changed.insert(key);
            }
            for message_type in message_types(event) {
                let wanting: Vec<(Uuid, Uuid)> = endpoints
                    .range((event.team_id, Uuid::nil())..=(event.team_id, Uuid::max()))
                    .filter(|(_, endpoint)| endpoint.wants(message_type))
                    .map(|(key, _)| *key)
                    .collect();
                if !wanting.is_empty() {
                    wanted.push((index, message_type, wanting));
                }
            }
        }
        let mut queue = Queue::default();
        if !wanted.is_empty() {
            let keys: BTreeSet<(Uuid, i64)> = wanted
                .iter()
                .map(|(i, ..)| (events[*i].team_id, events[*i].position))
                .collect();
            let (teams, positions): (Vec<Uuid>, Vec<i64>) = keys.into_iter().unzip();
            let rows = tx.query(FULL, &[&teams, &positions]).await?;
            let full: BTreeMap<i64, StoredEvent> = crate::events::stored_events(&rows)?
                .into_iter()
                .map(|e| (e.position, e))
                .collect();
            for (index, message_type, wanting) in wanted {
                let Some(event) = full.get(&events[index].position) else {
                    continue;
                };
                // Built once, for every endpoint that wants it.
                let body = payload(event, message_type);
                for (team_id, webhook_id) in wanting {
                    queue.team_id.push(team_id);
                    queue
                        .delivery_id
                        .push(delivery_id(webhook_id, event.event_id, message_type));
                    queue.webhook_id.push(webhook_id);
                    queue.event_type.push(message_type.to_owned());
                    queue.position.push(event.position);
                    queue.payload.push(body.clone());
                }
            }
        }
        write_endpoints(tx, &endpoints, &changed).await?;
        if !queue.delivery_id.is_empty() {
            tx.execute(
                QUEUE,
                &[
                    &queue.team_id,
                    &queue.delivery_id,
                    &queue.webhook_id,
                    &queue.event_type,
                    &queue.position,
                    &queue.payload,
                ],
            )
            .await?;
        }
        Ok(())
    }
}

async fn write_endpoints(
    tx: &Transaction<'_>,
    endpoints: &BTreeMap<(Uuid, Uuid), Endpoint>,
    changed: &BTreeSet<(Uuid, Uuid)>,
) -> Result<(), tokio_postgres::Error> {
    let (kept, gone): (Vec<_>, Vec<_>) =
        changed.iter().partition(|key| endpoints.contains_key(key));
    if !gone.is_empty() {
        let (teams, ids): (Vec<Uuid>, Vec<Uuid>) = gone.into_iter().copied().unzip();
        tx.execute(REMOVE, &[&teams, &ids]).await?;
        tx.execute(GIVE_UP, &[&teams, &ids]).await?;
    }
    if !kept.is_empty() {
        let mut columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for key in kept {
            let endpoint = &endpoints[key];
            columns.0.push(key.0);
            columns.1.push(key.1);
            columns.2.push(endpoint.url.clone());
            columns.3.push(json!(endpoint.event_types));
            columns.4.push(endpoint.active);
        }
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
            [&columns.0, &columns.1, &columns.2, &columns.3, &columns.4];
        tx.execute(STORE, &params).await?;
    }
    Ok(())
}
