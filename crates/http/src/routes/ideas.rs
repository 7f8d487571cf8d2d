//! Ideas, team side: a member's own ideas, moderation with reasons (the whole history kept
//! and shown), merging duplicates and undoing a merge.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::Deserialize;
use stride_app::idea_views::{IdeaDetail, IdeaView, Sort};
use stride_app::ideas;
use stride_domain::idea::{Author, IdeaError, IdeaStatus, NewIdea};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::written;
use crate::auth::Caller;
use crate::error::{ApiError, Code};
use crate::extract::{ApiJson, ApiQuery, Ctx, if_match};
use crate::page::{self, Page};

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(submit_idea)
        .service(list_ideas)
        .service(get_idea)
        .service(change_status)
        .service(merge)
        .service(unmerge)
        .service(erase);
}

impl From<IdeaError> for ApiError {
    fn from(error: IdeaError) -> Self {
        match error {
            IdeaError::AlreadyExists => ApiError::conflict(Code::AlreadyExists, error.to_string()),
            IdeaError::NotFound => ApiError::not_found("idea"),
            IdeaError::BoardClosed => ApiError::conflict(Code::BoardClosed, error.to_string()),
            IdeaError::Merged(_) => ApiError::conflict(Code::IdeaMerged, error.to_string()),
            IdeaError::NotMerged => ApiError::conflict(Code::NotMerged, error.to_string()),
            IdeaError::AlreadyUsed => ApiError::conflict(Code::IdeaUsed, error.to_string()),
            IdeaError::Invalid { field, message } => ApiError::validation(field, message),
        }
    }
}

/// An idea as a command left it, with its ETag and the write's position.
pub fn answered(status: StatusCode, (idea, position): (IdeaView, i64)) -> HttpResponse {
    written(status, &idea, Some(idea.version), position)
}

/// A page of `(cursor key, idea)` pairs, as ideas.
pub fn page_of(
    listed: Vec<(String, IdeaView)>,
    limit: usize,
    cursor: Option<&str>,
) -> HttpResponse {
    let page = page::paginate(listed, |(key, _)| key.clone(), limit, cursor);
    HttpResponse::Ok().json(Page {
        items: page.items.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        next_cursor: page.next_cursor,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIdeaBody {
    pub title: String,
    pub body: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Channels the idea is for: a boost in suggestions when a goal there falls behind.
    #[serde(default)]
    pub channel_ids: Vec<Uuid>,
}

/// A member's own idea, straight onto the team's board.
#[utoipa::path(tag = "ideas", security(("bearer" = [])), request_body = NewIdeaBody, responses(
    (status = 201, body = IdeaView, headers(("ETag" = String), ("Stride-Position" = i64))),
))]
#[post("/teams/{team_id}/ideas")]
async fn submit_idea(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<Uuid>,
    body: ApiJson<NewIdeaBody>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.in_team(path.into_inner())?.may_write()?.clone();
    let body = body.0;
    let new = NewIdea {
        idea_id: Uuid::now_v7(),
        title: body.title,
        body: body.body,
        tags: body.tags,
        channel_ids: body.channel_ids,
        author: Author::Member {
            member_id: caller.member_id,
        },
    };
    let origin = ctx.origin(caller.actor());
    let answer = ideas::submit(&ctx.app, &origin, caller.team_id, new).await?;
    Ok(answered(StatusCode::CREATED, answer))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IdeaQuery {
    pub status: Option<IdeaStatus>,
    /// Only ideas with this tag.
    pub tag: Option<String>,
    #[serde(default)]
    pub sort: Sort,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub min_position: Option<i64>,
}

/// The team's ideas (merged duplicates included, marked), by status and tag, `trending`,
/// `top` or `new`.
#[utoipa::path(tag = "ideas", security(("bearer" = [])), params(IdeaQuery), responses(
    (status = 200, body = Page<IdeaView>),
))]
#[get("/teams/{team_id}/ideas")]
async fn list_ideas(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<Uuid>,
    query: ApiQuery<IdeaQuery>,
) -> Result<HttpResponse, ApiError> {
    let team_id = caller.in_team(path.into_inner())?.team_id;
    let limit = page::limit(query.limit)?;
    let status = query.status;
    let tag = query.tag.as_deref();
    let listed = ideas::list(&ctx.app, team_id, status, tag, query.sort).await?;
    Ok(page_of(listed, limit, query.cursor.as_deref()))
}

/// One idea with its full status history and its comments (its duplicates' too).
#[utoipa::path(tag = "ideas", security(("bearer" = [])), responses(
    (status = 200, body = IdeaDetail, headers(("ETag" = String))),
))]
#[get("/teams/{team_id}/ideas/{idea_id}")]
async fn get_idea(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, idea_id) = path.into_inner();
    caller.in_team(team_id)?;
    let detail = ideas::detail(&ctx.app, team_id, idea_id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::ETAG,
            super::etag(detail.idea.version),
        ))
        .json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `open`, `under_review`, `planned` or `declined` (`used` comes from publishing).
    pub status: IdeaStatus,
    pub reason: Option<String>,
}

/// Moderates an idea: a status with its reason (members and up).
#[utoipa::path(tag = "ideas", security(("bearer" = [])), request_body = StatusBody, responses(
    (status = 200, body = IdeaView),
))]
#[post("/teams/{team_id}/ideas/{idea_id}/status")]
async fn change_status(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: ApiJson<StatusBody>,
) -> Result<HttpResponse, ApiError> {
    let ids = path.into_inner();
    let caller = caller.in_team(ids.0)?.may_write()?.clone();
    let origin = ctx.origin(caller.actor());
    let StatusBody { status, reason } = body.0;
    let if_match = if_match(&req)?;
    let answer = ideas::change_status(&ctx.app, &origin, ids, if_match, status, reason).await?;
    Ok(answered(StatusCode::OK, answer))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The idea this one duplicates.
    pub into: Uuid,
}

/// Merges a duplicate into another idea: its votes count there (each voter once), its
/// comments show there, and it leaves the public lists.
#[utoipa::path(tag = "ideas", security(("bearer" = [])), request_body = MergeBody, responses(
    (status = 200, body = IdeaView),
))]
#[post("/teams/{team_id}/ideas/{idea_id}/merge")]
async fn merge(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: ApiJson<MergeBody>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, idea_id) = path.into_inner();
    let caller = caller.in_team(team_id)?.may_write()?.clone();
    let origin = ctx.origin(caller.actor());
    let answer = ideas::merge(&ctx.app, &origin, team_id, idea_id, body.0.into).await?;
    Ok(answered(StatusCode::OK, answer))
}

/// Undoes a merge: both ideas are as they would be had it never happened, votes cast in
/// between included.
#[utoipa::path(tag = "ideas", security(("bearer" = [])), responses(
    (status = 200, body = IdeaView),
))]
#[post("/teams/{team_id}/ideas/{idea_id}/unmerge")]
async fn unmerge(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, idea_id) = path.into_inner();
    let caller = caller.in_team(team_id)?.may_write()?.clone();
    let origin = ctx.origin(caller.actor());
    let answer = ideas::unmerge(&ctx.app, &origin, team_id, idea_id).await?;
    Ok(answered(StatusCode::OK, answer))
}

/// Erases a contributor's name and e-mail address (owners and admins): their ideas and
/// votes stay, anonymous.
#[utoipa::path(tag = "ideas", security(("bearer" = [])), responses(
    (status = 204),
))]
#[delete("/teams/{team_id}/contributors/{contributor_id}/personal-data")]
async fn erase(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, contributor_id) = path.into_inner();
    let caller = caller.in_team(team_id)?.may_administer()?.clone();
    let position = ideas::erase_contributor(&ctx.app, caller.team_id, contributor_id).await?;
    Ok(HttpResponse::NoContent()
        .insert_header((super::STRIDE_POSITION, position.to_string()))
        .finish())
}
