//! Channels: the platforms a team publishes on, added, paused or retired with a reason.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::{Deserialize, Serialize};
use stride_domain::channel::{
    self, Channel, ChannelCommand, ChannelError, ChannelEvent, ChannelStatus, Platform,
};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::{etag, written};
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Ctx, if_match};
use crate::page::{self, Page};
use stride_app::execute;

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

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlatformName {
    Twitter,
    Facebook,
    Instagram,
    Linkedin,
    Pinterest,
    Tiktok,
    Youtube,
    Blog,
    Newsletter,
    Other,
}

impl From<PlatformName> for Platform {
    fn from(name: PlatformName) -> Platform {
        match name {
            PlatformName::Twitter => Platform::Twitter,
            PlatformName::Facebook => Platform::Facebook,
            PlatformName::Instagram => Platform::Instagram,
            PlatformName::Linkedin => Platform::Linkedin,
            PlatformName::Pinterest => Platform::Pinterest,
            PlatformName::Tiktok => Platform::Tiktok,
            PlatformName::Youtube => Platform::Youtube,
            PlatformName::Blog => Platform::Blog,
            PlatformName::Newsletter => Platform::Newsletter,
            PlatformName::Other => Platform::Other,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelStatusName {
    Active,
    Paused,
    Retired,
}

impl From<ChannelStatusName> for ChannelStatus {
    fn from(name: ChannelStatusName) -> ChannelStatus {
        match name {
            ChannelStatusName::Active => ChannelStatus::Active,
            ChannelStatusName::Paused => ChannelStatus::Paused,
            ChannelStatusName::Retired => ChannelStatus::Retired,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    pub platform: PlatformName,
    /// The account on the platform, e.g. `@acmecoffee`.
    pub handle: String,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub status: ChannelStatusName,
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

impl ChannelView {
    pub fn new(channel: &Channel, version: i64) -> ChannelView {
        ChannelView {
            id: channel.id,
            platform: channel.platform.as_str().to_owned(),
            handle: channel.handle.clone(),
            name: channel.name.clone(),
            status: channel.status.as_str().to_owned(),
            version,
        }
    }
}

/// The team's channels, oldest first.
pub async fn team_channels(ctx: &Ctx, team_id: Uuid) -> Result<Vec<ChannelView>, ApiError> {
    let streams = ctx.store.read_team_streams::<ChannelEvent>(team_id).await?;
    Ok(streams
        .values()
        .filter_map(|stream| {
            let state = stream
                .events
                .iter()
                .fold(None, |s, e| channel::apply(s, &e.event));
            state.map(|channel| ChannelView::new(&channel, stream.version))
        })
        .collect())
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
    let channel_id = Uuid::now_v7();
    let body = body.0;
    let command = ChannelCommand::AddChannel {
        channel_id,
        platform: body.platform.into(),
        handle: body.handle,
        name: body.name,
    };
    let team_id = caller.team_id;
    let outcome = execute::run::<Channel>(
        &ctx.app,
        &ctx.origin(caller.actor()),
        (team_id, channel_id),
        None,
        command,
        &(),
    )
    .await?;
    let channel = outcome
        .state
        .ok_or_else(|| ApiError::not_found("channel"))?;
    Ok(written(
        StatusCode::CREATED,
        &ChannelView::new(&channel, outcome.version),
        Some(outcome.version),
        outcome.position,
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
    pub status: Option<ChannelStatusName>,
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
    let wanted = query.status.map(|s| ChannelStatus::from(s).as_str());
    let mut channels = team_channels(&ctx, team_id).await?;
    channels.retain(|c| wanted.is_none_or(|w| c.status == w));
    Ok(HttpResponse::Ok().json(page::paginate(
        channels,
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
    let outcome = execute::load(&ctx.store, team_id, channel_id, &|s, e| {
        channel::apply(s, e)
    })
    .await?;
    let channel = outcome
        .state
        .ok_or_else(|| ApiError::not_found("channel"))?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, etag(outcome.version)))
        .json(ChannelView::new(&channel, outcome.version)))
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
    let command = ChannelCommand::ChangeStatus {
        status: body.0.status.into(),
        reason: body.0.reason,
    };
    let outcome = execute::execute_with(
        &ctx.app,
        &ctx.origin(caller.actor()),
        (team_id, channel_id),
        if_match(&req)?,
        channel::apply,
        |state| {
            let state = state.ok_or_else(|| ApiError::not_found("channel"))?;
            Ok::<_, ApiError>((channel::decide(Some(state), command.clone())?, Vec::new()))
        },
    )
    .await?;
    let channel = outcome
        .state
        .ok_or_else(|| ApiError::not_found("channel"))?;
    Ok(written(
        StatusCode::OK,
        &ChannelView::new(&channel, outcome.version),
        Some(outcome.version),
        outcome.position,
    ))
}
