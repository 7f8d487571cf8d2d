//! The team progress projection and one goal's progress, at `as_of` and `known_at`.

use actix_web::{HttpResponse, get, web};
use stride_app::progress::{self, GoalProgressView, TeamProgress};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Ctx};
use crate::time_travel::WhenQuery;

pub fn configure(config: &mut ServiceConfig) {
    config.service(team_progress).service(goal_progress);
}

/// The team's progress: pace, every goal with its steps, posts this week and ideas by
/// status. `?as_of=` evaluates at a past instant, `?known_at=` with only what was recorded
/// by then.
#[utoipa::path(tag = "progress", security(("bearer" = [])), params(WhenQuery), responses(
    (status = 200, body = TeamProgress),
))]
#[get("/teams/{team_id}/progress")]
async fn team_progress(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<Uuid>,
    query: ApiQuery<WhenQuery>,
) -> Result<HttpResponse, ApiError> {
    let team_id = caller.in_team(path.into_inner())?.team_id;
    let progress = progress::team(&ctx.app, team_id, (*query).into()).await?;
    Ok(HttpResponse::Ok().json(progress))
}

/// One goal's progress with its steps; `?as_of=` and `?known_at=` as for team progress.
#[utoipa::path(tag = "progress", security(("bearer" = [])), params(WhenQuery), responses(
    (status = 200, body = GoalProgressView),
))]
#[get("/teams/{team_id}/goals/{goal_id}/progress")]
async fn goal_progress(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    query: ApiQuery<WhenQuery>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, goal_id) = path.into_inner();
    let team_id = caller.in_team(team_id)?.team_id;
    let progress = progress::goal(&ctx.app, team_id, goal_id, (*query).into()).await?;
    Ok(HttpResponse::Ok().json(progress))
}
