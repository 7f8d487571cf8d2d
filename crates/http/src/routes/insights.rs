//! Ranked content suggestions and the channel assessment, at `as_of` and `known_at`.

use actix_web::{HttpResponse, get};
use stride_app::assessment::{self, Assessment};
use stride_app::suggestions::{Suggestions, rank};
use utoipa_actix_web::service_config::ServiceConfig;

use super::Reply;
use crate::auth::Member;
use crate::extract::{ApiQuery, Bounded, Ctx};
use crate::time_travel::when_query;

pub fn configure(config: &mut ServiceConfig) {
    config.service(get_suggestions).service(assess_channels);
}

when_query! {
    /// What the suggestions take.
    pub struct SuggestionQuery {
        /// How many to return, 1 to 200 (default 10).
        #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
        #[serde(default)]
        pub limit: Bounded<1, 200, 10>,
    }
}

/// Suggests what to post next
///
/// Any member may ask which ideas the team could turn into posts next (open, under review
/// or planned), ranked by a documented, deterministic score with the reasons for it: the
/// votes, each halving every 7 days, and a boost for an idea aimed at a channel where a
/// goal falls behind.
#[utoipa::path(tag = "progress", params(SuggestionQuery), responses(
    (status = 200, description = "The suggestions, best first.", body = Suggestions),
))]
#[get("/suggestions")]
async fn get_suggestions(ctx: Ctx, caller: Member, query: ApiQuery<SuggestionQuery>) -> Reply {
    let limit = query.limit.get() as usize;
    let ranked = rank(&ctx.app, caller.team_id, limit, query.when()).await?;
    Ok(HttpResponse::Ok().json(ranked))
}

when_query! {
    /// What the channel assessment takes.
    pub struct AssessmentQuery {
        /// The days before `as_of` looked at, 1 to 365 (default 30).
        #[param(value_type = Option<u32>, minimum = 1, maximum = 365)]
        #[serde(default)]
        pub window_days: Bounded<1, 365, 30>,
    }
}

/// Assesses the team's channels
///
/// Any member may read how each channel did over the window: posts, engagement per post,
/// follower growth and a recommendation (`grow`, `keep`, `review` or `cut`) with its
/// reasons. A channel lowest on both engagement per post and follower growth with at least
/// 4 posts is never `grow` or `keep`.
#[utoipa::path(tag = "progress", params(AssessmentQuery), responses(
    (status = 200, description = "Each channel's assessment over the window.", body = Assessment),
))]
#[get("/channels/assessment")]
async fn assess_channels(ctx: Ctx, caller: Member, query: ApiQuery<AssessmentQuery>) -> Reply {
    let window_days = query.window_days.get();
    let assessment =
        assessment::assess(&ctx.app, caller.team_id, window_days, query.when()).await?;
    Ok(HttpResponse::Ok().json(assessment))
}
