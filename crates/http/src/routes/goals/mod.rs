//! Goals: long ones and the short steps under them, set, revised (each revision an event of
//! its own), and closed as achieved or abandoned with a reason.

pub(crate) mod body;
mod context;
mod view;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use stride_domain::goal::{
    self, GoalCommand, GoalContext, GoalError, GoalEvent, GoalState, Horizon,
};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::{etag, written};
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Ctx, if_match};
use crate::page::{self, Page};
use stride_app::execute;

use body::{Closing, GoalPatch, GoalStatusName, HorizonName, NewGoalBody};
use context::{load_goal, parent_horizon, target_context};
pub use view::{GoalView, TargetView};

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(set_goal)
        .service(list_goals)
        .service(get_goal)
        .service(revise_goal)
        .service(achieve_goal)
        .service(abandon_goal);
}

impl From<GoalError> for ApiError {
    fn from(error: GoalError) -> Self {
        match error {
            GoalError::AlreadyExists => ApiError::conflict("already_exists", error.to_string()),
            GoalError::NotFound => ApiError::not_found("goal"),
            GoalError::Closed(_) => ApiError::conflict("goal_closed", error.to_string()),
            GoalError::Invalid { field, message } => ApiError::validation(field, message),
        }
    }
}

/// Runs one goal command, answering the goal as it is after.
async fn run(
    ctx: &Ctx,
    caller: &Caller,
    if_match: Option<i64>,
    goal_id: Uuid,
    (command, context): (GoalCommand, GoalContext),
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let outcome = execute::run::<stride_domain::goal::Goal>(
        &ctx.app,
        &ctx.origin(caller.actor()),
        (caller.team_id, goal_id),
        if_match,
        command,
        &context,
    )
    .await?;
    let goal = outcome.state.ok_or_else(|| ApiError::not_found("goal"))?;
    Ok(written(
        status,
        &GoalView::new(&goal, outcome.version),
        Some(outcome.version),
        outcome.position,
    ))
}

fn writer(caller: Caller, team_id: Uuid) -> Result<Caller, ApiError> {
    Ok(caller.in_team(team_id)?.may_write()?.clone())
}

/// Sets a goal (members and up): a long goal, or a short step toward one, with a metric or
/// a cadence target. A metric target is stored with its baseline and `target_value`.
#[utoipa::path(tag = "goals", security(("bearer" = [])), request_body = NewGoalBody, responses(
    (status = 201, body = GoalView, headers(("ETag" = String), ("Stride-Position" = i64))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[post("/teams/{team_id}/goals")]
async fn set_goal(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<Uuid>,
    body: ApiJson<NewGoalBody>,
) -> Result<HttpResponse, ApiError> {
    let caller = writer(caller, path.into_inner())?;
    let team_id = caller.team_id;
    let new = body.0.into_new_goal(Uuid::now_v7())?;
    let context = GoalContext {
        parent_horizon: parent_horizon(&ctx, team_id, new.parent_goal_id).await?,
        target: target_context(&ctx, team_id, new.target.as_ref(), new.starts_on).await?,
    };
    let goal_id = new.goal_id;
    let command = (GoalCommand::SetGoal(new), context);
    run(&ctx, &caller, None, goal_id, command, StatusCode::CREATED).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GoalQuery {
    /// Only goals with this status.
    pub status: Option<GoalStatusName>,
    /// Only long or only short goals.
    pub horizon: Option<HorizonName>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// Read-your-writes: wait until this position is visible.
    pub min_position: Option<i64>,
}

/// The team's goals as currently defined, oldest first, by status and horizon.
#[utoipa::path(tag = "goals", security(("bearer" = [])), params(GoalQuery), responses(
    (status = 200, body = Page<GoalView>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/teams/{team_id}/goals")]
async fn list_goals(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<Uuid>,
    query: ApiQuery<GoalQuery>,
) -> Result<HttpResponse, ApiError> {
    let team_id = caller.in_team(path.into_inner())?.team_id;
    let limit = page::limit(query.limit)?;
    let status = query.status.map(GoalState::from);
    let horizon = query.horizon.map(Horizon::from);
    let goals: Vec<GoalView> = ctx
        .store
        .read_team_streams::<GoalEvent>(team_id)
        .await?
        .values()
        .filter_map(|stream| {
            let state = stream
                .events
                .iter()
                .fold(None, |s, e| goal::apply(s, &e.event));
            state.map(|g| GoalView::new(&g, stream.version))
        })
        .filter(|g| status.is_none_or(|s| g.status == s))
        .filter(|g| horizon.is_none_or(|h| g.horizon == h))
        .collect();
    Ok(HttpResponse::Ok().json(page::paginate(
        goals,
        |g| g.id.to_string(),
        limit,
        query.cursor.as_deref(),
    )))
}

/// One goal as currently defined.
#[utoipa::path(tag = "goals", security(("bearer" = [])), responses(
    (status = 200, body = GoalView, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/teams/{team_id}/goals/{goal_id}")]
async fn get_goal(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, goal_id) = path.into_inner();
    caller.in_team(team_id)?;
    let outcome = load_goal(&ctx, team_id, goal_id).await?;
    let goal = outcome.state.ok_or_else(|| ApiError::not_found("goal"))?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, etag(outcome.version)))
        .json(GoalView::new(&goal, outcome.version)))
}

/// Revises a goal's title, description, due date or target (members and up). Each revision
/// is a `GoalRevised` event, so moved goalposts stay visible; a revision that changes
/// nothing records nothing. A closed goal cannot be revised (409 `goal_closed`).
#[utoipa::path(tag = "goals", security(("bearer" = [])), request_body = GoalPatch,
    params(("If-Match" = Option<String>, Header, description = "the ETag last read")),
    responses(
    (status = 200, body = GoalView, headers(("ETag" = String), ("Stride-Position" = i64))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the goal is closed", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/teams/{team_id}/goals/{goal_id}")]
async fn revise_goal(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: ApiJson<GoalPatch>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, goal_id) = path.into_inner();
    let caller = writer(caller, team_id)?;
    let revision = body.0.into_revision()?;
    let current = load_goal(&ctx, team_id, goal_id).await?;
    let goal = current.state.ok_or_else(|| ApiError::not_found("goal"))?;
    // A goal's window never starts later, so its baseline is looked up once, before deciding.
    let target = target_context(&ctx, team_id, revision.target.as_ref(), goal.starts_on).await?;
    let context = GoalContext {
        parent_horizon: None,
        target,
    };
    let command = (GoalCommand::ReviseGoal(revision), context);
    run(
        &ctx,
        &caller,
        if_match(&req)?,
        goal_id,
        command,
        StatusCode::OK,
    )
    .await
}

/// Closes a goal as achieved or abandoned, after checking that it is one of the team's.
async fn close(
    ctx: &Ctx,
    caller: Caller,
    req: &HttpRequest,
    (team_id, goal_id): (Uuid, Uuid),
    command: GoalCommand,
) -> Result<HttpResponse, ApiError> {
    let caller = writer(caller, team_id)?;
    load_goal(ctx, team_id, goal_id)
        .await?
        .state
        .ok_or_else(|| ApiError::not_found("goal"))?;
    let command = (command, GoalContext::default());
    run(
        ctx,
        &caller,
        if_match(req)?,
        goal_id,
        command,
        StatusCode::OK,
    )
    .await
}

/// Marks a goal achieved, with the reason (members and up). A closed goal no longer
/// changes: any later revision or closing is 409 `goal_closed`.
#[utoipa::path(tag = "goals", security(("bearer" = [])), request_body = Closing,
    params(("If-Match" = Option<String>, Header, description = "the ETag last read")),
    responses(
    (status = 200, body = GoalView, headers(("ETag" = String), ("Stride-Position" = i64))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the goal is closed", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
))]
#[post("/teams/{team_id}/goals/{goal_id}/achieve")]
async fn achieve_goal(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: ApiJson<Closing>,
) -> Result<HttpResponse, ApiError> {
    let command = GoalCommand::AchieveGoal {
        reason: body.0.reason,
    };
    close(&ctx, caller, &req, path.into_inner(), command).await
}

/// Abandons a goal, with the reason (members and up): the honest call when the plan
/// changed. A closed goal no longer changes: any later revision or closing is 409
/// `goal_closed`.
#[utoipa::path(tag = "goals", security(("bearer" = [])), request_body = Closing,
    params(("If-Match" = Option<String>, Header, description = "the ETag last read")),
    responses(
    (status = 200, body = GoalView, headers(("ETag" = String), ("Stride-Position" = i64))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the goal is closed", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
))]
#[post("/teams/{team_id}/goals/{goal_id}/abandon")]
async fn abandon_goal(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: ApiJson<Closing>,
) -> Result<HttpResponse, ApiError> {
    let command = GoalCommand::AbandonGoal {
        reason: body.0.reason,
    };
    close(&ctx, caller, &req, path.into_inner(), command).await
}
