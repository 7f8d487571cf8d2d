//! The team progress projection and one goal's progress, at `as_of` and `known_at`.

use actix_web::{HttpResponse, get};
use stride_app::progress::{self, GoalProgressDetail, TeamProgress};
use utoipa_actix_web::service_config::ServiceConfig;

use super::Reply;
use crate::auth::Member;
use crate::extract::{ApiQuery, Ctx, PathId};
use crate::time_travel::WhenQuery;

pub fn configure(config: &mut ServiceConfig) {
    config.service(get_team_progress).service(get_goal_progress);
}

/// Reads the team's progress
///
/// Any member may read where the team stands: its pace, every goal with its steps, posts
/// this week and ideas by status. `?as_of=` evaluates at a past instant, `?known_at=` with
/// only what was recorded by then.
#[utoipa::path(tag = "progress", params(WhenQuery), responses(
    (status = 200, description = "The team's progress at `as_of`.", body = TeamProgress),
))]
#[get("/progress")]
async fn get_team_progress(ctx: Ctx, caller: Member, query: ApiQuery<WhenQuery>) -> Reply {
    let progress = progress::team(&ctx.app, caller.team_id, query.when()).await?;
    Ok(HttpResponse::Ok().json(progress))
}

/// Reads one goal's progress
///
/// Any member may read a goal's progress, status and forecast, with its steps under
/// `children`, and what a chart of it needs: a metric goal's `burn_up` (its `current`
/// day by day, at most 400 days, sampled evenly over a longer window) and a cadence goal's
/// `periods` (at most the latest 400). `?as_of=` and `?known_at=` as for team progress: an
/// earlier `as_of` ends both where it stood then.
#[utoipa::path(tag = "progress", params(WhenQuery), responses(
    (status = 200, description = "The goal's progress at `as_of`, with its burn-up or its periods.", body = GoalProgressDetail),
))]
#[get("/goals/{goal_id}/progress")]
async fn get_goal_progress(
    ctx: Ctx,
    caller: Member,
    PathId(goal_id): PathId,
    query: ApiQuery<WhenQuery>,
) -> Reply {
    let progress = progress::goal(&ctx.app, caller.team_id, goal_id, query.when()).await?;
    Ok(HttpResponse::Ok().json(progress))
}
