//! Channels: the platforms a team publishes on, added, paused or retired with a reason.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::{Deserialize, Serialize};
use stride_app::channels;
use stride_app::versioned::Versioned;
use stride_domain::channel::{Channel, ChannelError, ChannelStatus, Platform};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::{etag, written};
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Ctx, if_match};
use crate::page::{self, Page};

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(add_channel)
        .service(list_channels)
        .service(get_channel)
        .service(change_status);
}

impl From<ChannelError> for ApiError {
    fn from(error: ChannelError) -> Self {
        match error {
            ChannelError::AlreadyExists => ApiError::conflict("already_exists", error.to_string()),
            ChannelError::NotFound => ApiError::not_found("channel"),
            ChannelError::Invalid { field, message } => ApiError::validation(field, message),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    pub platform: Platform,
    /// The account on the platform, e.g. `@acmecoffee`.
    pub handle: String,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub status: ChannelStatus,
    /// Why: the honest assessment behind pausing or cutting it loose.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelView {
    pub id: Uuid,
    pub platform: String,
    pub handle: String,
    pub name: Option<String>,
    /// `active`, `paused` or `retired`.
    pub status: String,
    pub version: i64,
}

impl From<&Versioned<Channel>> for ChannelView {
    fn from(channel: &Versioned<Channel>) -> ChannelView {
        let Versioned { state, version, .. } = channel;
        ChannelView {
            id: state.id,
            platform: state.platform.as_str().to_owned(),
            handle: state.handle.clone(),
            name: state.name.clone(),
            status: state.status.as_str().to_owned(),
            version: *version,
        }
    }
}

/// Adds a channel the team publishes on (owners and admins).
#[utoipa::path(tag = "channels", security(("bearer" = [])), request_body = NewChannel, responses(
    (status = 201, body = ChannelView, headers(("ETag" = String), ("Stride-Position" = i64))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[post("/teams/{team_id}/channels")]
async fn add_channel(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<Uuid>,
    body: ApiJson<NewChannel>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.in_team(path.into_inner())?.may_administer()?.clone();
    let origin = ctx.origin(caller.actor());
    let NewChannel {
        platform,
        handle,
        name,
    } = body.0;
    let channel = channels::add(&ctx.app, &origin, caller.team_id, platform, handle, name).await?;
    Ok(written(
        StatusCode::CREATED,
        &ChannelView::from(&channel),
        Some(channel.version),
        channel.position,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// Only channels with this status.
    pub status: Option<ChannelStatus>,
    /// Read-your-writes: wait until this position is visible.
    pub min_position: Option<i64>,
}

/// The team's channels with their status.
#[utoipa::path(tag = "channels", security(("bearer" = [])), params(ListQuery), responses(
    (status = 200, body = Page<ChannelView>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/teams/{team_id}/channels")]
async fn list_channels(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<Uuid>,
    query: ApiQuery<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let team_id = caller.in_team(path.into_inner())?.team_id;
    let limit = page::limit(query.limit)?;
    let status = query.status;
    let channels = channels::list(&ctx.app, team_id, status).await?;
    Ok(HttpResponse::Ok().json(page::paginate(
        channels.iter().map(ChannelView::from).collect(),
        |c| c.id.to_string(),
        limit,
        query.cursor.as_deref(),
    )))
}

/// One channel.
#[utoipa::path(tag = "channels", security(("bearer" = [])), responses(
    (status = 200, body = ChannelView, headers(("ETag" = String))),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/teams/{team_id}/channels/{channel_id}")]
async fn get_channel(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, channel_id) = path.into_inner();
    caller.in_team(team_id)?;
    let channel = channels::get(&ctx.app, team_id, channel_id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, etag(channel.version)))
        .json(ChannelView::from(&channel)))
}

/// Keeps, pauses or retires a channel, with the reason (owners and admins).
#[utoipa::path(tag = "channels", security(("bearer" = [])), request_body = StatusChange,
    params(("If-Match" = Option<String>, Header, description = "the ETag last read")),
    responses(
    (status = 200, body = ChannelView, headers(("ETag" = String), ("Stride-Position" = i64))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/teams/{team_id}/channels/{channel_id}")]
async fn change_status(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: ApiJson<StatusChange>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, channel_id) = path.into_inner();
    let caller = caller.in_team(team_id)?.may_administer()?.clone();
    let origin = ctx.origin(caller.actor());
    let StatusChange { status, reason } = body.0;
    let (ids, status) = ((team_id, channel_id), status);
    let channel =
        channels::change_status(&ctx.app, &origin, ids, if_match(&req)?, status, reason).await?;
    Ok(written(
        StatusCode::OK,
        &ChannelView::from(&channel),
        Some(channel.version),
        channel.position,
    ))
}
