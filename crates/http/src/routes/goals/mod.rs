//! Goals: long ones and the short steps under them, set, revised (each revision an event of
//! its own), and closed as achieved or abandoned with a reason.

pub(crate) mod body;
mod target_schemas;
mod view;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post};
use stride_app::goals;
use stride_app::versioned::Versioned;
use stride_domain::goal::{Goal, GoalError, GoalState, Horizon};
use utoipa::IntoResponses;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::{read, written};
use crate::error::{ApiError, Code};
use crate::extract::{ApiJson, ApiQuery, Ctx, IfMatch, PathId};
use crate::page::{Page, page_query};

use crate::auth::{Member, Writer};
use crate::routes::Reply;
use body::{Closing, GoalPatch, NewGoalBody};
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
            GoalError::AlreadyExists => ApiError::conflict(Code::AlreadyExists, error.to_string()),
            GoalError::NotFound => ApiError::not_found("goal"),
            GoalError::Closed(_) => ApiError::conflict(Code::GoalClosed, error.to_string()),
            GoalError::Invalid(invalid) => invalid.into(),
        }
    }
}

/// A goal command's answer: the goal as it is after, its ETag and `Stride-Position`.
fn answer(status: StatusCode, goal: &Versioned<Goal>) -> HttpResponse {
    written(
        status,
        &GoalView::from(goal),
        Some(goal.version),
        goal.position,
    )
}

/// What a change to a goal answers, as [`answer`] builds it: the goal as it now stands,
/// its version and the write's position.
#[derive(IntoResponses)]
#[response(status = 200, description = "The goal, changed.", headers(("ETag" = String)))]
#[allow(dead_code, reason = "it only names the answer in the document")]
pub struct GoalChanged(GoalView);

/// Sets a goal
///
/// Members, admins and owners set a long goal, or a short step toward one, with a metric or
/// a cadence target. A metric target is stored with its baseline and `target_value`.
#[utoipa::path(tag = "goals", request_body = NewGoalBody, responses(
    (status = 201, description = "The goal, set.", body = GoalView, headers(("ETag" = String))),
))]
#[post("/goals")]
async fn set_goal(ctx: Ctx, caller: Writer, body: ApiJson<NewGoalBody>) -> Reply {
    let new = body.0.into_new_goal(Uuid::now_v7())?;
    let origin = ctx.origin(caller.actor());
    let goal = goals::set(&ctx.app, &origin, caller.team_id, new).await?;
    Ok(answer(StatusCode::CREATED, &goal))
}

page_query! {
    pub struct GoalQuery {
        /// Only goals with this status.
        pub status: Option<GoalState>,
        /// Only long or only short goals.
        pub horizon: Option<Horizon>,
        ..page,
    }
}

/// Lists the team's goals
///
/// The goals as currently defined, oldest first, filtered by status and horizon. Any member
/// may read them; their progress is read from `/progress`.
#[utoipa::path(tag = "goals", params(GoalQuery), responses(
    (status = 200, description = "A page of goals.", body = Page<GoalView>),
))]
#[get("/goals")]
async fn list_goals(ctx: Ctx, caller: Member, query: ApiQuery<GoalQuery>) -> Reply {
    let goals = goals::list(&ctx.app, caller.team_id, query.status, query.horizon).await?;
    let views = goals.iter().map(GoalView::from).collect();
    Ok(query.answer(views, |g| g.id.to_string()))
}

/// Reads one goal
///
/// The goal as currently defined, with its version; its progress is read from
/// `/goals/{goal_id}/progress`.
#[utoipa::path(tag = "goals", responses(
    (status = 200, description = "The goal.", body = GoalView, headers(("ETag" = String))),
))]
#[get("/goals/{goal_id}")]
async fn get_goal(ctx: Ctx, caller: Member, PathId(goal_id): PathId) -> Reply {
    let goal = goals::get(&ctx.app, caller.team_id, goal_id).await?;
    Ok(read(&GoalView::from(&goal), goal.version))
}

/// Revises a goal
///
/// Members, admins and owners change a goal's title, description, due date or target. Each
/// revision is a `GoalRevised` event, so moved goalposts stay visible; a revision that
/// changes nothing records nothing. A closed goal cannot be revised (409 `goal_closed`).
#[utoipa::path(tag = "goals", request_body = GoalPatch,
    params(IfMatch),
    responses(GoalChanged),
    extensions(("x-problems" = json!(["goal_closed"]))),
)]
#[patch("/goals/{goal_id}")]
async fn revise_goal(
    ctx: Ctx,
    caller: Writer,
    IfMatch(expected): IfMatch,
    PathId(goal_id): PathId,
    body: ApiJson<GoalPatch>,
) -> Reply {
    let revision = body.0.into_revision()?;
    let origin = ctx.origin(caller.actor());
    let ids = (caller.team_id, goal_id);
    let goal = goals::revise(&ctx.app, &origin, ids, expected, revision).await?;
    Ok(answer(StatusCode::OK, &goal))
}

/// Marks a goal achieved
///
/// Members, admins and owners close a goal as achieved, with the reason. A closed goal no
/// longer changes: any later revision or closing is 409 `goal_closed`.
#[utoipa::path(tag = "goals", request_body = Closing,
    params(IfMatch),
    responses(GoalChanged),
    extensions(("x-problems" = json!(["goal_closed"]))),
)]
#[post("/goals/{goal_id}/achieve")]
async fn achieve_goal(
    ctx: Ctx,
    caller: Writer,
    IfMatch(expected): IfMatch,
    PathId(goal_id): PathId,
    body: ApiJson<Closing>,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let ids = (caller.team_id, goal_id);
    let goal = goals::achieve(&ctx.app, &origin, ids, expected, body.0.reason).await?;
    Ok(answer(StatusCode::OK, &goal))
}

/// Abandons a goal
///
/// Members, admins and owners abandon a goal, with the reason: the honest call when the
/// plan changed. A closed goal no longer changes: any later revision or closing is 409
/// `goal_closed`.
#[utoipa::path(tag = "goals", request_body = Closing,
    params(IfMatch),
    responses(GoalChanged),
    extensions(("x-problems" = json!(["goal_closed"]))),
)]
#[post("/goals/{goal_id}/abandon")]
async fn abandon_goal(
    ctx: Ctx,
    caller: Writer,
    IfMatch(expected): IfMatch,
    PathId(goal_id): PathId,
    body: ApiJson<Closing>,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let ids = (caller.team_id, goal_id);
    let goal = goals::abandon(&ctx.app, &origin, ids, expected, body.0.reason).await?;
    Ok(answer(StatusCode::OK, &goal))
}
