//! Webhooks: a team's endpoints (Standard Webhooks 1.0), their deliveries, test messages.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post};
use serde::{Deserialize, Serialize};
use stride_app::versioned::Versioned;
use stride_app::webhooks::{self, NewWebhook};
use stride_domain::webhook::{Webhook, WebhookChange, WebhookError, WebhookStatus};
use stride_storage::webhooks::Delivery;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::{Reply, no_content, read, written};
use crate::auth::Admin;
use crate::error::{ApiError, Code};
use crate::extract::{ApiJson, ApiQuery, Ctx, IfMatch, PathId, PathIds};
use crate::page::{Limit, Page};
use crate::schema::{OptionalWebhookDescription, Url, WebhookEventType};

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(create_webhook)
        .service(list_webhooks)
        .service(get_webhook)
        .service(change_webhook)
        .service(delete_webhook)
        .service(rotate_webhook_secret)
        .service(test_webhook)
        .service(list_webhook_deliveries)
        .service(redeliver_webhook_delivery);
}

impl From<WebhookError> for ApiError {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::AlreadyExists => {
                ApiError::conflict(Code::AlreadyExists, error.to_string())
            }
            WebhookError::NotFound => ApiError::not_found("webhook"),
            WebhookError::Invalid(invalid) => invalid.into(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookBody {
    /// Where messages are POSTed: `https`, to a host with public addresses only.
    #[schema(value_type = Url)]
    pub url: String,
    #[schema(value_type = Option<OptionalWebhookDescription>)]
    pub description: Option<String>,
    /// 1 to 64 event names (`IdeaSubmitted`, `PostPublished`, ...), signals
    /// (`goal.status_changed`, `cadence.period_at_risk`, `post.review_requested`,
    /// `idea.trending`), or `*` for all.
    #[schema(min_items = 1, max_items = 64, value_type = Vec<WebhookEventType>)]
    pub event_types: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChangeBody {
    #[schema(value_type = Option<Url>)]
    pub url: Option<String>,
    /// Blank clears it.
    #[schema(value_type = Option<OptionalWebhookDescription>)]
    pub description: Option<String>,
    #[schema(min_items = 1, max_items = 64, value_type = Option<Vec<WebhookEventType>>)]
    pub event_types: Option<Vec<String>>,
    /// `paused` holds messages back; `active` sends them again.
    pub status: Option<WebhookStatus>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub url: String,
    pub description: Option<String>,
    #[schema(value_type = Vec<WebhookEventType>)]
    pub event_types: Vec<String>,
    pub status: WebhookStatus,
    /// Set while Stride keeps it paused because every delivery failed for 24 hours: why, and
    /// since when. Setting the status to `active` resumes it.
    #[schema(max_length = 300)]
    pub paused_reason: Option<String>,
    pub version: i64,
}

impl From<&Versioned<Webhook>> for WebhookView {
    fn from(webhook: &Versioned<Webhook>) -> WebhookView {
        let Versioned { state, version, .. } = webhook;
        WebhookView {
            id: state.id,
            url: state.url.clone(),
            description: state.description.clone(),
            event_types: state.event_types.clone(),
            status: state.status,
            paused_reason: state.paused_reason.clone(),
            version: *version,
        }
    }
}

/// An endpoint with its signing secret, shown in this answer only.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_` and the key in base64: what Standard Webhooks libraries verify with. Keep it
    /// now: it is never shown again.
    pub secret: String,
}

fn with_secret(
    status: StatusCode,
    (webhook, secret): (Versioned<Webhook>, String),
) -> HttpResponse {
    let body = WebhookWithSecret {
        webhook: WebhookView::from(&webhook),
        secret,
    };
    written(status, &body, Some(webhook.version), webhook.position)
}

/// Creates a webhook endpoint
///
/// Owners and admins name a URL and the event types it hears. Messages are signed as
/// Standard Webhooks 1.0 has it (`webhook-id`, `webhook-timestamp`, `webhook-signature`)
/// with the secret in this answer, which is never shown again.
#[utoipa::path(tag = "webhooks", request_body = NewWebhookBody,
    responses((status = 201, description = "The endpoint, with its secret.", body = WebhookWithSecret,
        headers(("ETag" = String)))),
    extensions(("x-problems" = json!(["webhook_url_forbidden"]))),
)]
#[post("/webhooks")]
async fn create_webhook(ctx: Ctx, caller: Admin, body: ApiJson<NewWebhookBody>) -> Reply {
    let origin = ctx.origin(caller.actor());
    let NewWebhookBody {
        url,
        description,
        event_types,
    } = body.0;
    let new = NewWebhook {
        url,
        description,
        event_types,
    };
    let created = webhooks::create(&ctx.app, &origin, caller.team_id, new).await?;
    Ok(with_secret(StatusCode::CREATED, created))
}

/// Lists the team's webhook endpoints
///
/// Owners and admins list the endpoints with their events, state and why they were paused,
/// never their secrets.
#[utoipa::path(tag = "webhooks", responses(
    (status = 200, description = "Every endpoint, oldest first.", body = Page<WebhookView>),
))]
#[get("/webhooks")]
async fn list_webhooks(ctx: Ctx, caller: Admin) -> Reply {
    let webhooks = webhooks::list(&ctx.app, caller.team_id).await?;
    let items: Vec<WebhookView> = webhooks.iter().map(WebhookView::from).collect();
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
    }))
}

/// Reads one webhook endpoint
///
/// Owners and admins read an endpoint as listed, never its secret.
#[utoipa::path(tag = "webhooks", responses(
    (status = 200, description = "The endpoint.", body = WebhookView, headers(("ETag" = String))),
))]
#[get("/webhooks/{webhook_id}")]
async fn get_webhook(ctx: Ctx, caller: Admin, PathId(webhook_id): PathId) -> Reply {
    let webhook = webhooks::get(&ctx.app, caller.team_id, webhook_id).await?;
    Ok(read(&WebhookView::from(&webhook), webhook.version))
}

/// Changes a webhook endpoint
///
/// Its URL, description, event types, or status (`paused` holds its messages back until it
/// is `active` again).
#[utoipa::path(tag = "webhooks", request_body = WebhookChangeBody, params(IfMatch),
    responses((status = 200, description = "The endpoint, changed.", body = WebhookView,
        headers(("ETag" = String)))),
    extensions(("x-problems" = json!(["webhook_url_forbidden"]))),
)]
#[patch("/webhooks/{webhook_id}")]
async fn change_webhook(
    ctx: Ctx,
    caller: Admin,
    IfMatch(expected): IfMatch,
    PathId(webhook_id): PathId,
    body: ApiJson<WebhookChangeBody>,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let WebhookChangeBody {
        url,
        description,
        event_types,
        status,
    } = body.0;
    let change = WebhookChange {
        url,
        description: description.map(Some),
        event_types,
        status,
    };
    let ids = (caller.team_id, webhook_id);
    let webhook = webhooks::change(&ctx.app, &origin, ids, expected, change).await?;
    Ok(written(
        StatusCode::OK,
        &WebhookView::from(&webhook),
        Some(webhook.version),
        webhook.position,
    ))
}

/// Deletes a webhook endpoint
///
/// With its secrets; messages it had not delivered yet are given up (`dead`).
#[utoipa::path(tag = "webhooks", responses((status = 204, description = "Deleted.")))]
#[delete("/webhooks/{webhook_id}")]
async fn delete_webhook(ctx: Ctx, caller: Admin, PathId(webhook_id): PathId) -> Reply {
    let origin = ctx.origin(caller.actor());
    let position = webhooks::delete(&ctx.app, &origin, (caller.team_id, webhook_id)).await?;
    Ok(no_content(None, position))
}

/// Rotates a webhook endpoint's secret
///
/// A new secret, shown in this answer only; the one before still signs beside it for 24 h
/// (`webhook-signature` then carries both), so receivers can switch without losing a message.
#[utoipa::path(tag = "webhooks", responses(
    (status = 200, description = "The endpoint, with its new secret.", body = WebhookWithSecret,
        headers(("ETag" = String))),
))]
#[post("/webhooks/{webhook_id}/rotate-secret")]
async fn rotate_webhook_secret(ctx: Ctx, caller: Admin, PathId(webhook_id): PathId) -> Reply {
    let origin = ctx.origin(caller.actor());
    let rotated = webhooks::rotate_secret(&ctx.app, &origin, (caller.team_id, webhook_id)).await?;
    Ok(with_secret(StatusCode::OK, rotated))
}

/// Sends a test message to a webhook endpoint
///
/// Queues a `webhook.test` message now, delivered like any other; the answer is its delivery.
#[utoipa::path(tag = "webhooks", responses(
    (status = 202, description = "The test message's delivery, queued.", body = Delivery),
))]
#[post("/webhooks/{webhook_id}/test")]
async fn test_webhook(ctx: Ctx, caller: Admin, PathId(webhook_id): PathId) -> Reply {
    let delivery = webhooks::send_test(&ctx.app, (caller.team_id, webhook_id)).await?;
    Ok(HttpResponse::Accepted().json(delivery))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only deliveries with this status.
    #[param(inline)]
    pub status: Option<DeliveryStatus>,
    /// Page size, 1 to 200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    #[serde(default)]
    pub limit: Limit,
    /// The `next_cursor` of the page before.
    #[param(value_type = Option<String>, format = Uuid)]
    pub cursor: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
    Dead,
}

impl DeliveryStatus {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Dead => "dead",
        }
    }
}

/// Lists a webhook endpoint's deliveries
///
/// Newest first, each with its attempts, its last answer or error (at most 1 KiB kept) and
/// when it is tried next.
#[utoipa::path(tag = "webhooks", params(DeliveriesQuery), responses(
    (status = 200, description = "A page of deliveries, newest first.", body = Page<Delivery>),
))]
#[get("/webhooks/{webhook_id}/deliveries")]
async fn list_webhook_deliveries(
    ctx: Ctx,
    caller: Admin,
    PathId(webhook_id): PathId,
    query: ApiQuery<DeliveriesQuery>,
) -> Reply {
    let limit = i64::from(query.limit.get());
    let status = query.status.map(DeliveryStatus::as_str);
    let ids = (caller.team_id, webhook_id);
    let mut items = webhooks::deliveries(&ctx.app, ids, status, query.cursor, limit + 1).await?;
    let more = items.len() as i64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = more
        .then(|| items.last().map(|d| d.id.to_string()))
        .flatten();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

/// Sends one delivery again
///
/// Queues the message now, with the same `webhook-id`, whatever became of it (a `dead` one
/// gets another 24 h of retries).
#[utoipa::path(tag = "webhooks", responses(
    (status = 202, description = "The delivery, queued again.", body = Delivery),
))]
#[post("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")]
async fn redeliver_webhook_delivery(
    ctx: Ctx,
    caller: Admin,
    PathIds(webhook_id, delivery_id): PathIds,
) -> Reply {
    let delivery = webhooks::redeliver(&ctx.app, (caller.team_id, webhook_id), delivery_id).await?;
    Ok(HttpResponse::Accepted().json(delivery))
}
