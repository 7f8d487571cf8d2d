//! Channels: the platforms a team publishes on, added, paused or retired with a reason.

use actix_web::http::StatusCode;
use actix_web::{get, patch, post};
use serde::{Deserialize, Serialize};
use stride_app::channels;
use stride_app::versioned::Versioned;
use stride_domain::channel::{Channel, ChannelError, ChannelStatus, Platform};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::Reply;
use super::{read, written};
use crate::auth::{Admin, Member};
use crate::error::{ApiError, Code};
use crate::extract::{ApiJson, ApiQuery, Ctx, IfMatch, PathId};
use crate::page::{Page, page_query};
use crate::schema::{Name, OptionalName, Reason};

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(add_channel)
        .service(list_channels)
        .service(get_channel)
        .service(change_channel_status);
}

impl From<ChannelError> for ApiError {
    fn from(error: ChannelError) -> Self {
        match error {
            ChannelError::AlreadyExists => {
                ApiError::conflict(Code::AlreadyExists, error.to_string())
            }
            ChannelError::NotFound => ApiError::not_found("channel"),
            ChannelError::Invalid(invalid) => invalid.into(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    pub platform: Platform,
    /// The account on the platform, e.g. `@acmecoffee`.
    #[schema(value_type = Name)]
    pub handle: String,
    #[schema(value_type = Option<OptionalName>)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelStatusChange {
    pub status: ChannelStatus,
    /// Why: the honest assessment behind pausing or cutting it loose.
    #[schema(value_type = Option<Reason>)]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelView {
    pub id: Uuid,
    pub platform: Platform,
    pub handle: String,
    pub name: Option<String>,
    pub status: ChannelStatus,
    pub version: i64,
}

impl From<&Versioned<Channel>> for ChannelView {
    fn from(channel: &Versioned<Channel>) -> ChannelView {
        let Versioned { state, version, .. } = channel;
        ChannelView {
            id: state.id,
            platform: state.platform,
            handle: state.handle.clone(),
            name: state.name.clone(),
            status: state.status,
            version: *version,
        }
    }
}

/// Adds a channel the team publishes on
///
/// Owners and admins add the platforms the team publishes on; a platform and handle are one
/// channel per team. The channel starts `active`.
#[utoipa::path(tag = "channels", request_body = NewChannel,
    responses((status = 201, description = "The channel, added.", body = ChannelView,
        headers(("ETag" = String)))),
    extensions(("x-problems" = json!(["already_exists"]))),
)]
#[post("/channels")]
async fn add_channel(ctx: Ctx, caller: Admin, body: ApiJson<NewChannel>) -> Reply {
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

page_query! {
    pub struct ListQuery {
        ..page,
        /// Only channels with this status.
        pub status: Option<ChannelStatus>,
    }
}

/// Lists the team's channels
///
/// Every channel with its status, in the order they were added; any member may read them.
#[utoipa::path(tag = "channels", params(ListQuery), responses(
    (status = 200, description = "A page of channels.", body = Page<ChannelView>),
))]
#[get("/channels")]
async fn list_channels(ctx: Ctx, caller: Member, query: ApiQuery<ListQuery>) -> Reply {
    let channels = channels::list(&ctx.app, caller.team_id, query.status).await?;
    let views = channels.iter().map(ChannelView::from).collect();
    Ok(query.answer(views, |c| c.id.to_string()))
}

/// Reads one channel
///
/// The channel with its status and version; its `ETag` is what a later change sends as
/// `If-Match`.
#[utoipa::path(tag = "channels", responses(
    (status = 200, description = "The channel.", body = ChannelView, headers(("ETag" = String))),
))]
#[get("/channels/{channel_id}")]
async fn get_channel(ctx: Ctx, caller: Member, PathId(channel_id): PathId) -> Reply {
    let channel = channels::get(&ctx.app, caller.team_id, channel_id).await?;
    Ok(read(&ChannelView::from(&channel), channel.version))
}

/// Keeps, pauses or retires a channel
///
/// Owners and admins act on an honest assessment: `active` keeps publishing, `paused` rests
/// the channel, `retired` cuts it loose. The reason is kept with the change.
#[utoipa::path(tag = "channels", request_body = ChannelStatusChange,
    params(IfMatch),
    responses((status = 200, description = "The channel, changed.", body = ChannelView,
        headers(("ETag" = String)))),
)]
#[patch("/channels/{channel_id}")]
async fn change_channel_status(
    ctx: Ctx,
    caller: Admin,
    IfMatch(expected): IfMatch,
    PathId(channel_id): PathId,
    body: ApiJson<ChannelStatusChange>,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let ChannelStatusChange { status, reason } = body.0;
    let (ids, status) = ((caller.team_id, channel_id), status);
    let channel = channels::change_status(&ctx.app, &origin, ids, expected, status, reason).await?;
    Ok(written(
        StatusCode::OK,
        &ChannelView::from(&channel),
        Some(channel.version),
        channel.position,
    ))
}
