//! Ranked content suggestions and the channel assessment, at `as_of` and `known_at`.

use actix_web::{HttpResponse, get};
use serde::Deserialize;
use stride_app::assessment::{self, Assessment};
use stride_app::suggestions::{Suggestions, rank};
use stride_app::time_travel::When;
use stride_domain::bounds::Moment;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::Reply;
use crate::auth::Member;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Ctx};

pub fn configure(config: &mut ServiceConfig) {
    config.service(get_suggestions).service(assess_channels);
}

/// An insight's query: its own bound first, then the same `as_of`, `known_at` and
/// `min_position` (said once here), read as a [`When`].
macro_rules! insight_query {
    ($(#[$doc:meta])* $name:ident { $(#[$field_doc:meta])* $field:ident: $ty:ty }) => {
        $(#[$doc])*
        #[derive(Debug, Deserialize, IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            $(#[$field_doc])*
            pub $field: $ty,
            /// As for progress: years 2000 to 2100, default now.
            #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
            pub as_of: Option<Moment>,
            /// System time: ignore every event recorded after it ("what did the dashboard say last
            /// Tuesday"), years 2000 to 2100 (a time after now is now). Costs what a plain read costs
            /// plus a replay of the team's channel, goal, post and idea events (and, for suggestions,
            /// its votes), some 5 us each; metric observations are not replayed but read by index as
            /// they stood then. A team with more than 50,000 events of the kinds a read replays gets
            /// 422 `known_at_too_costly`.
            #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
            pub known_at: Option<Moment>,
            /// Read-your-writes, as a query parameter (see `Stride-Min-Position`).
            #[param(minimum = 0)]
            pub min_position: Option<i64>,
        }

        impl $name {
            fn when(&self) -> When {
                When {
                    as_of: self.as_of,
                    known_at: self.known_at,
                }
            }
        }
    };
}

insight_query! {
    /// What the suggestions take.
    SuggestionQuery {
        /// How many to return, 1 to 200 (default 10).
        #[param(minimum = 1, maximum = 200)]
        limit: Option<u32>
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
#[get("/teams/{team_id}/suggestions")]
async fn get_suggestions(ctx: Ctx, caller: Member, query: ApiQuery<SuggestionQuery>) -> Reply {
    let limit = match query.limit.unwrap_or(10) {
        n @ 1..=200 => n as usize,
        _ => return Err(ApiError::validation("limit", "must be between 1 and 200")),
    };
    let ranked = rank(&ctx.app, caller.team_id, limit, query.when()).await?;
    Ok(HttpResponse::Ok().json(ranked))
}

insight_query! {
    /// What the channel assessment takes.
    AssessmentQuery {
        /// The days before `as_of` looked at, 1 to 365 (default 30).
        #[param(minimum = 1, maximum = 365)]
        window_days: Option<u32>
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
#[get("/teams/{team_id}/channels/assessment")]
async fn assess_channels(ctx: Ctx, caller: Member, query: ApiQuery<AssessmentQuery>) -> Reply {
    let window_days = match query.window_days.unwrap_or(30) {
        n @ 1..=365 => n,
        _ => {
            return Err(ApiError::validation(
                "window_days",
                "must be between 1 and 365",
            ));
        }
    };
    let assessment =
        assessment::assess(&ctx.app, caller.team_id, window_days, query.when()).await?;
    Ok(HttpResponse::Ok().json(assessment))
}
