//! Ideas, team side: a member's own ideas, moderation with reasons (the whole history kept
//! and shown), merging duplicates and undoing a merge.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use stride_domain::channel::ChannelEvent;
use stride_domain::idea::{
    self, Author, Idea, IdeaCommand, IdeaContext, IdeaError, IdeaStatus, NewIdea,
};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::written;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Ctx, if_match};
use crate::page::{self, Page};
use stride_app::execute;
use stride_app::idea_views::{CommentView, IdeaSet, IdeaView, Sort, StatusChange, has_tags};

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
            IdeaError::AlreadyExists => ApiError::conflict("already_exists", error.to_string()),
            IdeaError::NotFound => ApiError::not_found("idea"),
            IdeaError::BoardClosed => ApiError::conflict("board_closed", error.to_string()),
            IdeaError::Merged(_) => ApiError::conflict("idea_merged", error.to_string()),
            IdeaError::NotMerged => ApiError::conflict("not_merged", error.to_string()),
            IdeaError::AlreadyUsed => ApiError::conflict("idea_used", error.to_string()),
            IdeaError::Invalid { field, message } => ApiError::validation(field, message),
        }
    }
}

/// Runs one idea command and answers the idea as every reader sees it after.
pub async fn run(
    ctx: &Ctx,
    actor: stride_domain::Actor,
    (team_id, idea_id): (Uuid, Uuid),
    if_match: Option<i64>,
    command: IdeaCommand,
    context: IdeaContext,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let submitted = matches!(command, IdeaCommand::Submit(_));
    let decide = |state: Option<&Idea>| {
        Ok::<_, ApiError>((idea::decide(state, command.clone(), &context)?, Vec::new()))
    };
    let origin = ctx.origin(actor);
    let outcome = if submitted {
        // The idea's id was generated for this request.
        execute::create_with(&ctx.app, &origin, (team_id, idea_id), idea::apply, decide).await?
    } else {
        execute::execute_with(
            &ctx.app,
            &origin,
            (team_id, idea_id),
            if_match,
            idea::apply,
            decide,
        )
        .await?
    };
    let board = match (submitted, outcome.state, outcome.recorded_at) {
        (true, Some(idea), Some(at)) => {
            IdeaSet::fresh(&ctx.store, team_id, idea, outcome.version, at).await?
        }
        _ => IdeaSet::load_some(&ctx.store, team_id, &[idea_id]).await?,
    };
    let view = board
        .view(idea_id, Utc::now())
        .ok_or_else(|| ApiError::not_found("idea"))?;
    Ok(written(
        status,
        &view,
        Some(outcome.version),
        outcome.position,
    ))
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
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
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
    let channels = ctx
        .store
        .read_team_streams::<ChannelEvent>(caller.team_id)
        .await?
        .into_keys()
        .collect();
    let context = IdeaContext {
        channels,
        accepting_ideas: true,
        target: None,
    };
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
    let idea_id = new.idea_id;
    run(
        &ctx,
        caller.actor(),
        (caller.team_id, idea_id),
        None,
        IdeaCommand::Submit(new),
        context,
        StatusCode::CREATED,
    )
    .await
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdeaStatusName {
    Open,
    UnderReview,
    Planned,
    Declined,
    Used,
}

impl From<IdeaStatusName> for IdeaStatus {
    fn from(name: IdeaStatusName) -> IdeaStatus {
        match name {
            IdeaStatusName::Open => IdeaStatus::Open,
            IdeaStatusName::UnderReview => IdeaStatus::UnderReview,
            IdeaStatusName::Planned => IdeaStatus::Planned,
            IdeaStatusName::Declined => IdeaStatus::Declined,
            IdeaStatusName::Used => IdeaStatus::Used,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IdeaQuery {
    pub status: Option<IdeaStatusName>,
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
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
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
    let status = query.status.map(IdeaStatus::from);
    let tags: BTreeSet<String> = query.tag.iter().map(|t| t.trim().to_lowercase()).collect();
    let board = IdeaSet::load_listing(&ctx.store, team_id).await?;
    let listed = board.listed(Utc::now(), query.sort, |i| {
        status.is_none_or(|s| i.status == s) && has_tags(i, &tags)
    });
    let page = page::paginate(
        listed,
        |(key, _)| key.clone(),
        limit,
        query.cursor.as_deref(),
    );
    Ok(HttpResponse::Ok().json(Page {
        items: page.items.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdeaDetail {
    #[serde(flatten)]
    pub idea: IdeaView,
    /// Every status change, oldest first.
    pub history: Vec<StatusChange>,
    pub comments: Vec<CommentView>,
}

/// One idea with its full status history and its comments (its duplicates' too).
#[utoipa::path(tag = "ideas", security(("bearer" = [])), responses(
    (status = 200, body = IdeaDetail, headers(("ETag" = String))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/teams/{team_id}/ideas/{idea_id}")]
async fn get_idea(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, idea_id) = path.into_inner();
    caller.in_team(team_id)?;
    let board = IdeaSet::load_some(&ctx.store, team_id, &[idea_id]).await?;
    let view = board
        .view(idea_id, Utc::now())
        .ok_or_else(|| ApiError::not_found("idea"))?;
    let history = board
        .ideas
        .get(&idea_id)
        .map(|f| f.history.clone())
        .unwrap_or_default();
    let etag = super::etag(view.version);
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, etag))
        .json(IdeaDetail {
            idea: view,
            history,
            comments: board.comments(idea_id),
        }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `open`, `under_review`, `planned` or `declined` (`used` comes from publishing).
    pub status: IdeaStatusName,
    pub reason: Option<String>,
}

/// Moderates an idea: a status with its reason (members and up).
#[utoipa::path(tag = "ideas", security(("bearer" = [])), request_body = StatusBody, responses(
    (status = 200, body = IdeaView), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
#[post("/teams/{team_id}/ideas/{idea_id}/status")]
async fn change_status(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: ApiJson<StatusBody>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, idea_id) = path.into_inner();
    let caller = caller.in_team(team_id)?.may_write()?.clone();
    let command = IdeaCommand::ChangeStatus {
        status: body.0.status.into(),
        reason: body.0.reason,
        by: caller.member_id,
    };
    run(
        &ctx,
        caller.actor(),
        (team_id, idea_id),
        if_match(&req)?,
        command,
        IdeaContext::default(),
        StatusCode::OK,
    )
    .await
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
    (status = 200, body = IdeaView), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
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
    let target = execute::load(&ctx.store, team_id, body.0.into, &idea::apply)
        .await?
        .state;
    let context = IdeaContext {
        target,
        ..IdeaContext::default()
    };
    let merged = run(
        &ctx,
        caller.actor(),
        (team_id, idea_id),
        None,
        IdeaCommand::MergeInto {
            target: body.0.into,
        },
        context,
        StatusCode::OK,
    )
    .await;
    ctx.app.boards.forget_idea(team_id, idea_id);
    merged
}

/// Undoes a merge: both ideas are as they would be had it never happened, votes cast in
/// between included.
#[utoipa::path(tag = "ideas", security(("bearer" = [])), responses(
    (status = 200, body = IdeaView), (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
#[post("/teams/{team_id}/ideas/{idea_id}/unmerge")]
async fn unmerge(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, idea_id) = path.into_inner();
    let caller = caller.in_team(team_id)?.may_write()?.clone();
    run(
        &ctx,
        caller.actor(),
        (team_id, idea_id),
        None,
        IdeaCommand::Unmerge,
        IdeaContext::default(),
        StatusCode::OK,
    )
    .await
}

/// Erases a contributor's name and e-mail address (owners and admins): their ideas and
/// votes stay, anonymous.
#[utoipa::path(tag = "ideas", security(("bearer" = [])), responses(
    (status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[delete("/teams/{team_id}/contributors/{contributor_id}/personal-data")]
async fn erase(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, contributor_id) = path.into_inner();
    let caller = caller.in_team(team_id)?.may_administer()?.clone();
    if !ctx
        .store
        .erase_contributor(caller.team_id, contributor_id)
        .await?
    {
        return Err(ApiError::not_found("contributor"));
    }
    let position = ctx.store.visible_head().await?;
    Ok(HttpResponse::NoContent()
        .insert_header((super::STRIDE_POSITION, position.to_string()))
        .finish())
}
