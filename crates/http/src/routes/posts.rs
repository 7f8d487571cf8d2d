//! Posts: drafted, edited, scheduled, reviewed, published (also after the fact, to log what
//! went out), archived.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use stride_app::posts::{self, PostFilter, PostView};
use stride_domain::bounds::Moment;
use stride_domain::post::{NewPost, PostCommand, PostEdit, PostError, PostStatus};
use utoipa::{IntoResponses, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::Reply;
use super::{read, written};
use crate::auth::Caller;
use crate::auth::{Member, Writer};
use crate::error::{ApiError, Code};
use crate::extract::{ApiJson, ApiQuery, Ctx, IfMatch, PathId};
use crate::page::{Page, page_query};
use crate::schema::{LongText, RequiredText, Title, Url};

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(draft_post)
        .service(list_posts)
        .service(get_post)
        .service(edit_post)
        .service(submit_post_for_review)
        .service(approve_post)
        .service(request_post_changes)
        .service(publish_post)
        .service(archive_post);
}

impl From<PostError> for ApiError {
    fn from(error: PostError) -> Self {
        match error {
            PostError::AlreadyExists => ApiError::conflict(Code::AlreadyExists, error.to_string()),
            PostError::NotFound => ApiError::not_found("post"),
            PostError::InvalidTransition { .. } => {
                ApiError::conflict(Code::InvalidTransition, error.to_string())
            }
            PostError::ApprovalRequired => {
                ApiError::conflict(Code::ApprovalRequired, error.to_string())
            }
            PostError::Forbidden => ApiError::forbidden(error.to_string()),
            PostError::Invalid(invalid) => invalid.into(),
        }
    }
}

/// A post as a command left it, with its ETag and the write's position.
fn answered(status: StatusCode, (post, position): (PostView, i64)) -> HttpResponse {
    written(status, &post, Some(post.version), position)
}

/// Runs a post command for a member who may write.
async fn change(
    ctx: &Ctx,
    caller: &Caller,
    expected: Option<i64>,
    post_id: Uuid,
    command: PostCommand,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let ids = (caller.team_id, post_id);
    let answer = posts::change(&ctx.app, &origin, ids, caller.role, expected, command).await?;
    Ok(answered(StatusCode::OK, answer))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPostBody {
    /// The channel it goes out on.
    pub channel_id: Uuid,
    #[schema(value_type = Title)]
    pub title: String,
    #[schema(value_type = Option<LongText>)]
    pub body: Option<String>,
    /// The board idea the post is made from: publishing the post marks the idea used.
    pub idea_id: Option<Uuid>,
    /// Goals of the team the post counts toward.
    #[serde(default)]
    pub goal_ids: Vec<Uuid>,
    /// With a time, the post is scheduled at once (not on teams that require approval).
    /// In the future, at most in 2100.
    #[schema(pattern = "^(20[0-9]{2}|2100)-")]
    pub scheduled_for: Option<DateTime<Utc>>,
    /// The member the post is assigned to: one of the team's.
    pub assignee_id: Option<Uuid>,
}

/// Drafts a post
///
/// Members, admins and owners draft a post on one of the team's channels, or schedule it at
/// once when `scheduled_for` is given (not on teams that require approval).
#[utoipa::path(tag = "posts", request_body = NewPostBody,
    params(IfMatch),
    responses((status = 201, description = "The post, drafted or scheduled.", body = PostView,
        headers(("ETag" = String)))),
    extensions(("x-problems" = json!(["approval_required", "idea_used"]))),
)]
#[post("/posts")]
async fn draft_post(
    ctx: Ctx,
    caller: Writer,
    IfMatch(expected): IfMatch,
    body: ApiJson<NewPostBody>,
) -> Reply {
    let body = body.0;
    let new = NewPost {
        post_id: Uuid::now_v7(),
        channel_id: body.channel_id,
        title: body.title,
        body: body.body,
        idea_id: body.idea_id,
        goal_ids: body.goal_ids,
        scheduled_for: body.scheduled_for,
        assignee_id: body.assignee_id,
    };
    let origin = ctx.origin(caller.actor());
    let (team_id, role) = (caller.team_id, caller.role);
    let answer = posts::draft(&ctx.app, &origin, team_id, role, expected, new).await?;
    Ok(answered(StatusCode::CREATED, answer))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostPatch {
    #[schema(value_type = Option<Title>)]
    pub title: Option<String>,
    /// Null clears it.
    #[serde(default, deserialize_with = "stride_domain::event::double_option")]
    #[schema(value_type = Option<LongText>)]
    pub body: Option<Option<String>>,
    /// The goals the post counts toward, all of them.
    pub goal_ids: Option<Vec<Uuid>>,
    /// A time (re)schedules the post; null takes it off the schedule.
    #[serde(default, deserialize_with = "stride_domain::event::double_option")]
    #[schema(value_type = Option<DateTime<Utc>>, pattern = "^(20[0-9]{2}|2100)-")]
    pub scheduled_for: Option<Option<DateTime<Utc>>>,
    /// Another member to assign the post to; null leaves it unassigned. Assigning changes
    /// no content: an approved post stays approved.
    #[serde(default, deserialize_with = "stride_domain::event::double_option")]
    pub assignee_id: Option<Option<Uuid>>,
}

/// Edits or reschedules a post
///
/// Members, admins and owners change a post's content, goals, schedule or assignee. On teams
/// that require approval, changed content goes back to draft and off the schedule.
#[utoipa::path(tag = "posts", request_body = PostPatch,
    params(IfMatch),
    responses(PostChanged),
    extensions(("x-problems" = json!(["invalid_transition", "approval_required"]))),
)]
#[patch("/posts/{post_id}")]
async fn edit_post(
    ctx: Ctx,
    caller: Writer,
    IfMatch(expected): IfMatch,
    PathId(post_id): PathId,
    body: ApiJson<PostPatch>,
) -> Reply {
    let patch = body.0;
    let edit = PostEdit {
        title: patch.title,
        body: patch.body,
        goal_ids: patch.goal_ids,
        scheduled_for: patch.scheduled_for,
        assignee_id: patch.assignee_id,
    };
    change(
        &ctx,
        &caller,
        expected,
        post_id,
        PostCommand::EditPost(edit),
    )
    .await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// What every command on a post answers: the post as it now stands, its version and the
/// write's position.
#[derive(IntoResponses)]
#[response(status = 200, description = "The post, changed.", headers(("ETag" = String)))]
#[allow(dead_code, reason = "it only names the answer in the document")]
pub struct PostChanged(PostView);

/// Submits a post for review
///
/// Members, admins and owners send a draft to review; owners and admins then approve it
/// or request changes.
#[utoipa::path(tag = "posts", request_body = Empty,
    params(IfMatch),
    responses(PostChanged),
    extensions(("x-problems" = json!(["invalid_transition"]))),
)]
#[post("/posts/{post_id}/submit")]
async fn submit_post_for_review(
    ctx: Ctx,
    caller: Writer,
    IfMatch(expected): IfMatch,
    PathId(post_id): PathId,
    _body: ApiJson<Empty>,
) -> Reply {
    change(
        &ctx,
        &caller,
        expected,
        post_id,
        PostCommand::SubmitForReview,
    )
    .await
}

/// Approves a post in review
///
/// Owners and admins approve a post in review: it may then be scheduled or published.
#[utoipa::path(tag = "posts", request_body = Empty,
    params(IfMatch),
    responses(PostChanged),
    extensions(("x-problems" = json!(["forbidden", "invalid_transition"]))),
)]
#[post("/posts/{post_id}/approve")]
async fn approve_post(
    ctx: Ctx,
    caller: Writer,
    IfMatch(expected): IfMatch,
    PathId(post_id): PathId,
    _body: ApiJson<Empty>,
) -> Reply {
    change(&ctx, &caller, expected, post_id, PostCommand::Approve).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangesRequested {
    /// What to change: shown to the author.
    #[schema(value_type = RequiredText)]
    pub comment: String,
}

/// Requests changes to a post in review
///
/// Owners and admins send a post in review back to draft, with a comment for its author.
#[utoipa::path(tag = "posts", request_body = ChangesRequested,
    params(IfMatch),
    responses(PostChanged),
    extensions(("x-problems" = json!(["forbidden", "invalid_transition"]))),
)]
#[post("/posts/{post_id}/request-changes")]
async fn request_post_changes(
    ctx: Ctx,
    caller: Writer,
    IfMatch(expected): IfMatch,
    PathId(post_id): PathId,
    body: ApiJson<ChangesRequested>,
) -> Reply {
    let command = PostCommand::RequestChanges {
        comment: body.0.comment,
    };
    change(&ctx, &caller, expected, post_id, command).await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    /// When it went out; default now. May be in the past (not before 2000), to log what
    /// was already posted.
    #[schema(pattern = "^(20[0-9]{2}|2100)-")]
    pub published_at: Option<DateTime<Utc>>,
    /// Where it can be seen.
    #[schema(value_type = Option<Url>)]
    pub url: Option<String>,
}

/// Publishes a post
///
/// Members, admins and owners publish a post (approved first, on teams that require
/// approval), now or at a past instant to log what already went out. A post made from an
/// idea marks the idea used in the same commit.
#[utoipa::path(tag = "posts", request_body = Publication,
    params(IfMatch),
    responses(PostChanged),
    extensions(("x-problems" = json!(["invalid_transition", "approval_required"]))),
)]
#[post("/posts/{post_id}/publish")]
async fn publish_post(
    ctx: Ctx,
    caller: Writer,
    IfMatch(expected): IfMatch,
    PathId(post_id): PathId,
    body: ApiJson<Publication>,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let Publication { published_at, url } = body.0;
    let ids = (caller.team_id, post_id);
    let role = caller.role;
    let answer = posts::publish(&ctx.app, &origin, ids, role, expected, published_at, url).await?;
    Ok(answered(StatusCode::OK, answer))
}

/// Archives a post
///
/// Members, admins and owners withdraw a post from the plan; its history stays.
#[utoipa::path(tag = "posts", request_body = Empty,
    params(IfMatch),
    responses(PostChanged),
    extensions(("x-problems" = json!(["invalid_transition"]))),
)]
#[post("/posts/{post_id}/archive")]
async fn archive_post(
    ctx: Ctx,
    caller: Writer,
    IfMatch(expected): IfMatch,
    PathId(post_id): PathId,
    _body: ApiJson<Empty>,
) -> Reply {
    change(&ctx, &caller, expected, post_id, PostCommand::Archive).await
}

/// Reads one post
///
/// The post with its status, schedule, goals and version.
#[utoipa::path(tag = "posts", responses(
    (status = 200, description = "The post.", body = PostView, headers(("ETag" = String))),
))]
#[get("/posts/{post_id}")]
async fn get_post(ctx: Ctx, caller: Member, PathId(post_id): PathId) -> Reply {
    let post = posts::get(&ctx.app, caller.team_id, post_id).await?;
    Ok(read(&post, post.version))
}

page_query! {
    pub struct PostQuery {
        /// Only posts with this status.
        pub status: Option<PostStatus>,
        /// Only posts on this channel.
        pub channel_id: Option<Uuid>,
        /// Posts published (or, if not yet, scheduled) at or after this instant (years 2000 to
        /// 2100).
        #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
        pub from: Option<Moment>,
        /// ... and before this one.
        #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
        pub to: Option<Moment>,
        ..page,
    }
}

/// Lists the team's posts
///
/// The posts, oldest first, filtered by status, channel and time. Any member may read them.
#[utoipa::path(tag = "posts", params(PostQuery), responses(
    (status = 200, description = "A page of posts.", body = Page<PostView>),
))]
#[get("/posts")]
async fn list_posts(ctx: Ctx, caller: Member, query: ApiQuery<PostQuery>) -> Reply {
    let filter = PostFilter {
        status: query.status,
        channel_id: query.channel_id,
        from: query.from.map(Moment::get),
        to: query.to.map(Moment::get),
    };
    let posts = posts::list(&ctx.app, caller.team_id, filter).await?;
    Ok(query.answer(posts, |p| p.post.id.to_string()))
}

/// The team's posts among `ids`.
pub async fn team_posts(
    ctx: &Ctx,
    team_id: Uuid,
    ids: &[Uuid],
) -> Result<BTreeSet<Uuid>, ApiError> {
    Ok(posts::team_posts(&ctx.app, team_id, ids).await?)
}
