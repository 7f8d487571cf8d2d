//! Posts: drafted, edited, scheduled, reviewed, published (also after the fact, to log what
//! went out), archived.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stride_domain::bounds::Moment;
use stride_domain::channel::{self, ChannelEvent, ChannelStatus};
use stride_domain::goal::GoalEvent;
use stride_domain::idea::{self, IdeaCommand, IdeaContext};
use stride_domain::post::{
    self, NewPost, Post, PostCommand, PostContext, PostEdit, PostError, PostEvent, PostStatus,
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
use stride_app::teams;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(draft_post)
        .service(list_posts)
        .service(get_post)
        .service(edit_post)
        .service(submit)
        .service(approve)
        .service(request_changes)
        .service(publish)
        .service(archive);
}

impl From<PostError> for ApiError {
    fn from(error: PostError) -> Self {
        match error {
            PostError::AlreadyExists => ApiError::conflict("already_exists", error.to_string()),
            PostError::NotFound => ApiError::not_found("post"),
            PostError::InvalidTransition { .. } => {
                ApiError::conflict("invalid_transition", error.to_string())
            }
            PostError::ApprovalRequired => {
                ApiError::conflict("approval_required", error.to_string())
            }
            PostError::Forbidden => ApiError::forbidden(error.to_string()),
            PostError::Invalid { field, message } => ApiError::validation(field, message),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostView {
    pub id: Uuid,
    pub channel_id: Uuid,
    pub title: String,
    pub body: Option<String>,
    /// The community idea this post was made from.
    pub idea_id: Option<Uuid>,
    /// The goals this post serves.
    pub goal_ids: Vec<Uuid>,
    /// `draft`, `in_review`, `approved`, `scheduled`, `published` or `archived`.
    pub status: String,
    /// Whether its current content was approved (teams with `require_approval`).
    pub approved: bool,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub url: Option<String>,
    pub version: i64,
}

impl PostView {
    fn new(post: &Post, version: i64) -> PostView {
        PostView {
            id: post.id,
            channel_id: post.channel_id,
            title: post.title.clone(),
            body: post.body.clone(),
            idea_id: post.idea_id,
            goal_ids: post.goal_ids.clone(),
            status: post.status.as_str().to_owned(),
            approved: post.approved,
            scheduled_for: post.scheduled_for,
            published_at: post.published_at,
            url: post.url.clone(),
            version,
        }
    }
}

/// What a post command is decided against: the clock, the team's review setting, the
/// caller's right to approve, the channels that take posts and the team's goals.
async fn context(ctx: &Ctx, caller: &Caller) -> Result<PostContext, ApiError> {
    let (team, _) = teams::load(&ctx.store, caller.team_id).await?;
    let channels = ctx
        .store
        .read_team_streams::<ChannelEvent>(caller.team_id)
        .await?
        .into_iter()
        .filter_map(|(id, stream)| {
            let state = stream
                .events
                .iter()
                .fold(None, |s, e| channel::apply(s, &e.event));
            state
                .filter(|c| c.status != ChannelStatus::Retired)
                .map(|_| id)
        })
        .collect();
    let goals = ctx
        .store
        .read_team_streams::<GoalEvent>(caller.team_id)
        .await?
        .into_keys()
        .collect();
    Ok(PostContext {
        now: Utc::now(),
        require_approval: team.require_approval,
        may_approve: caller.role.can_administer(),
        channels,
        goals,
    })
}

/// Runs one post command for a member who may write, answering the post as it is after.
async fn run(
    ctx: &Ctx,
    caller: &Caller,
    req: &HttpRequest,
    post_id: Uuid,
    command: PostCommand,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let context = context(ctx, caller).await?;
    let if_match = if_match(req)?;
    let outcome = execute::execute_with(
        &ctx.app,
        &ctx.origin(caller.actor()),
        (caller.team_id, post_id),
        if_match,
        post::apply,
        |state| {
            if state.is_none() && !matches!(command, PostCommand::DraftPost(_)) {
                return Err(ApiError::not_found("post"));
            }
            Ok((post::decide(state, command.clone(), &context)?, Vec::new()))
        },
    )
    .await?;
    let post = outcome.state.ok_or_else(|| ApiError::not_found("post"))?;
    let mut position = outcome.position;
    if let (PostCommand::Publish { .. }, Some(idea_id)) = (&command, post.idea_id) {
        position = position.max(mark_idea_used(ctx, caller, idea_id, post.id).await?);
    }
    Ok(written(
        status,
        &PostView::new(&post, outcome.version),
        Some(outcome.version),
        position,
    ))
}

/// Publishing a post made from an idea marks the idea `used` (once per post).
async fn mark_idea_used(
    ctx: &Ctx,
    caller: &Caller,
    idea_id: Uuid,
    post_id: Uuid,
) -> Result<i64, ApiError> {
    let command = IdeaCommand::MarkUsed { post_id };
    let outcome = execute::execute_with(
        &ctx.app,
        &ctx.origin(caller.actor()),
        (caller.team_id, idea_id),
        None,
        idea::apply,
        |state| match state {
            // A merged duplicate's use counts for the idea it was merged into.
            Some(found) if found.merged_into.is_some() => {
                Ok::<_, ApiError>((Vec::new(), Vec::new()))
            }
            Some(found) => Ok((
                idea::decide(Some(found), command.clone(), &IdeaContext::default())?,
                Vec::new(),
            )),
            None => Ok((Vec::new(), Vec::new())),
        },
    )
    .await?;
    match outcome.state.and_then(|i| i.merged_into) {
        Some(target) => Box::pin(mark_idea_used(ctx, caller, target, post_id)).await,
        None => Ok(outcome.position),
    }
}

fn writer(caller: Caller, team_id: Uuid) -> Result<Caller, ApiError> {
    Ok(caller.in_team(team_id)?.may_write()?.clone())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPostBody {
    pub channel_id: Uuid,
    pub title: String,
    pub body: Option<String>,
    pub idea_id: Option<Uuid>,
    #[serde(default)]
    pub goal_ids: Vec<Uuid>,
    /// With a time, the post is scheduled at once (not on teams that require approval).
    /// In the future, at most in 2100.
    #[schema(pattern = "^(20[0-9]{2}|2100)-")]
    pub scheduled_for: Option<DateTime<Utc>>,
}

/// Drafts a post, or schedules it when `scheduled_for` is given.
#[utoipa::path(tag = "posts", security(("bearer" = [])), request_body = NewPostBody, responses(
    (status = 201, body = PostView, headers(("ETag" = String), ("Stride-Position" = i64))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "approval required", body = Problem, content_type = "application/problem+json"),
))]
#[post("/teams/{team_id}/posts")]
async fn draft_post(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: ApiJson<NewPostBody>,
) -> Result<HttpResponse, ApiError> {
    let caller = writer(caller, path.into_inner())?;
    let body = body.0;
    if let Some(idea_id) = body.idea_id
        && ctx
            .store
            .existing_streams(caller.team_id, "idea", &[idea_id])
            .await?
            .is_empty()
    {
        return Err(ApiError::validation(
            "idea_id",
            "is not an idea of this team",
        ));
    }
    let new = NewPost {
        post_id: Uuid::now_v7(),
        channel_id: body.channel_id,
        title: body.title,
        body: body.body,
        idea_id: body.idea_id,
        goal_ids: body.goal_ids,
        scheduled_for: body.scheduled_for,
    };
    run(
        &ctx,
        &caller,
        &req,
        new.post_id,
        PostCommand::DraftPost(new),
        StatusCode::CREATED,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostPatch {
    pub title: Option<String>,
    /// Null clears it.
    #[serde(default, deserialize_with = "stride_domain::event::double_option")]
    #[schema(value_type = Option<String>)]
    pub body: Option<Option<String>>,
    pub goal_ids: Option<Vec<Uuid>>,
    /// A time (re)schedules the post; null takes it off the schedule.
    #[serde(default, deserialize_with = "stride_domain::event::double_option")]
    #[schema(value_type = Option<DateTime<Utc>>, pattern = "^(20[0-9]{2}|2100)-")]
    pub scheduled_for: Option<Option<DateTime<Utc>>>,
}

/// Edits or reschedules a post. On teams that require approval, changed content goes back
/// to draft and off the schedule.
#[utoipa::path(tag = "posts", security(("bearer" = [])), request_body = PostPatch,
    params(("If-Match" = Option<String>, Header, description = "the ETag last read")),
    responses(
    (status = 200, body = PostView, headers(("ETag" = String), ("Stride-Position" = i64))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "not in a state that can be edited, or approval required", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/teams/{team_id}/posts/{post_id}")]
async fn edit_post(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: ApiJson<PostPatch>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, post_id) = path.into_inner();
    let caller = writer(caller, team_id)?;
    let patch = body.0;
    let edit = PostEdit {
        title: patch.title,
        body: patch.body,
        goal_ids: patch.goal_ids,
        scheduled_for: patch.scheduled_for,
    };
    run(
        &ctx,
        &caller,
        &req,
        post_id,
        PostCommand::EditPost(edit),
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// Submits a draft for review.
#[utoipa::path(tag = "posts", security(("bearer" = [])), request_body = Empty, responses(
    (status = 200, body = PostView), (status = 409, body = Problem, content_type = "application/problem+json"),
))]
#[post("/teams/{team_id}/posts/{post_id}/submit")]
async fn submit(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    _body: ApiJson<Empty>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, post_id) = path.into_inner();
    run(
        &ctx,
        &writer(caller, team_id)?,
        &req,
        post_id,
        PostCommand::SubmitForReview,
        StatusCode::OK,
    )
    .await
}

/// Approves a post in review (owners and admins).
#[utoipa::path(tag = "posts", security(("bearer" = [])), request_body = Empty, responses(
    (status = 200, body = PostView), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
#[post("/teams/{team_id}/posts/{post_id}/approve")]
async fn approve(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    _body: ApiJson<Empty>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, post_id) = path.into_inner();
    run(
        &ctx,
        &writer(caller, team_id)?,
        &req,
        post_id,
        PostCommand::Approve,
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangesRequested {
    /// What to change: shown to the author.
    pub comment: String,
}

/// Sends a post in review back to draft with a comment (owners and admins).
#[utoipa::path(tag = "posts", security(("bearer" = [])), request_body = ChangesRequested, responses(
    (status = 200, body = PostView), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
#[post("/teams/{team_id}/posts/{post_id}/request-changes")]
async fn request_changes(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: ApiJson<ChangesRequested>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, post_id) = path.into_inner();
    run(
        &ctx,
        &writer(caller, team_id)?,
        &req,
        post_id,
        PostCommand::RequestChanges {
            comment: body.0.comment,
        },
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    /// When it went out; default now. May be in the past (not before 2000), to log what
    /// was already posted.
    #[schema(pattern = "^(20[0-9]{2}|2100)-")]
    pub published_at: Option<DateTime<Utc>>,
    pub url: Option<String>,
}

/// Publishes a post (approved first, on teams that require approval).
#[utoipa::path(tag = "posts", security(("bearer" = [])), request_body = Publication, responses(
    (status = 200, body = PostView), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
#[post("/teams/{team_id}/posts/{post_id}/publish")]
async fn publish(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: ApiJson<Publication>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, post_id) = path.into_inner();
    let command = PostCommand::Publish {
        published_at: body.0.published_at,
        url: body.0.url,
    };
    run(
        &ctx,
        &writer(caller, team_id)?,
        &req,
        post_id,
        command,
        StatusCode::OK,
    )
    .await
}

/// Withdraws a post.
#[utoipa::path(tag = "posts", security(("bearer" = [])), request_body = Empty, responses(
    (status = 200, body = PostView), (status = 409, body = Problem, content_type = "application/problem+json"),
))]
#[post("/teams/{team_id}/posts/{post_id}/archive")]
async fn archive(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    _body: ApiJson<Empty>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, post_id) = path.into_inner();
    run(
        &ctx,
        &writer(caller, team_id)?,
        &req,
        post_id,
        PostCommand::Archive,
        StatusCode::OK,
    )
    .await
}

/// One post.
#[utoipa::path(tag = "posts", security(("bearer" = [])), responses(
    (status = 200, body = PostView, headers(("ETag" = String))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/teams/{team_id}/posts/{post_id}")]
async fn get_post(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, post_id) = path.into_inner();
    caller.in_team(team_id)?;
    let outcome = execute::load(&ctx.store, team_id, post_id, &post::apply).await?;
    let post = outcome.state.ok_or_else(|| ApiError::not_found("post"))?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, etag(outcome.version)))
        .json(PostView::new(&post, outcome.version)))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostStatusName {
    Draft,
    InReview,
    Approved,
    Scheduled,
    Published,
    Archived,
}

impl From<PostStatusName> for PostStatus {
    fn from(name: PostStatusName) -> PostStatus {
        match name {
            PostStatusName::Draft => PostStatus::Draft,
            PostStatusName::InReview => PostStatus::InReview,
            PostStatusName::Approved => PostStatus::Approved,
            PostStatusName::Scheduled => PostStatus::Scheduled,
            PostStatusName::Published => PostStatus::Published,
            PostStatusName::Archived => PostStatus::Archived,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PostQuery {
    pub status: Option<PostStatusName>,
    pub channel_id: Option<Uuid>,
    /// Posts published (or, if not yet, scheduled) at or after this instant (years 2000 to
    /// 2100).
    #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
    pub from: Option<Moment>,
    /// ... and before this one.
    #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
    pub to: Option<Moment>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub min_position: Option<i64>,
}

/// The team's posts, oldest first, by status, channel and time.
#[utoipa::path(tag = "posts", security(("bearer" = [])), params(PostQuery), responses(
    (status = 200, body = Page<PostView>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/teams/{team_id}/posts")]
async fn list_posts(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<Uuid>,
    query: ApiQuery<PostQuery>,
) -> Result<HttpResponse, ApiError> {
    let team_id = caller.in_team(path.into_inner())?.team_id;
    let limit = page::limit(query.limit)?;
    let status = query.status.map(PostStatus::from);
    let timed = query.from.is_some() || query.to.is_some();
    let posts: Vec<PostView> = ctx
        .store
        .read_team_streams::<PostEvent>(team_id)
        .await?
        .values()
        .filter_map(|stream| {
            stream
                .events
                .iter()
                .fold(None, |s, e| post::apply(s, &e.event))
                .map(|p| (p, stream.version))
        })
        .filter(|(p, _)| status.is_none_or(|s| p.status == s))
        .filter(|(p, _)| query.channel_id.is_none_or(|c| p.channel_id == c))
        .filter(|(p, _)| {
            let when = p.published_at.or(p.scheduled_for);
            !timed
                || when.is_some_and(|w| {
                    query.from.is_none_or(|f| w >= f.get()) && query.to.is_none_or(|t| w < t.get())
                })
        })
        .map(|(p, version)| PostView::new(&p, version))
        .collect();
    Ok(HttpResponse::Ok().json(page::paginate(
        posts,
        |p| p.id.to_string(),
        limit,
        query.cursor.as_deref(),
    )))
}

/// The team's posts among `ids`.
pub async fn team_posts(
    ctx: &Ctx,
    team_id: Uuid,
    ids: &[Uuid],
) -> Result<BTreeSet<Uuid>, ApiError> {
    Ok(ctx
        .store
        .existing_streams(
            team_id,
            <PostEvent as stride_domain::EventPayload>::STREAM_TYPE,
            ids,
        )
        .await?)
}
