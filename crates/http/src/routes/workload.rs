//! Workload: a team sport, without burnout.

use actix_web::{HttpResponse, get};
use serde::Deserialize;
use stride_app::workload::{self, TeamWorkload};
use stride_domain::bounds::Moment;
use stride_domain::workload::{WEEKS_DEFAULT, WEEKS_MAX};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::Reply;
use crate::auth::Member;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Ctx};

pub fn configure(config: &mut ServiceConfig) {
    config.service(get_workload);
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WorkloadQuery {
    /// ISO weeks shown, the current one included: 1 to 52 (default 8).
    #[param(minimum = 1, maximum = 52)]
    pub weeks: Option<u32>,
    /// Business time to read at (RFC 3339, years 2000 to 2100, default now), counted to its
    /// day.
    #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
    pub as_of: Option<Moment>,
}

/// Reads the team's workload
///
/// Per member and ISO week (the current one included): posts published, reviews done (a
/// post approved or sent back for changes) and ideas handled (a status changed, a duplicate
/// merged or unmerged), each counted for the member who did it. `pace` is `sprinting` when
/// this week's work is above 1.5 times the median of their 8 weeks before (a median above
/// 0), `stalled` with nothing this week nor the last, else `steady`; `share_of_posts` is
/// their share of the posts the team published in the weeks shown, and `carrying_team` says
/// it is over 60% in a team of 3 or more members who are not viewers. Members who left stay
/// in the weeks they worked, under their name until it is erased. Any member may read it.
#[utoipa::path(tag = "workload", params(WorkloadQuery), responses(
    (status = 200, description = "Every member's workload.", body = TeamWorkload),
))]
#[get("/workload")]
async fn get_workload(ctx: Ctx, caller: Member, query: ApiQuery<WorkloadQuery>) -> Reply {
    let weeks = query.weeks.unwrap_or(WEEKS_DEFAULT);
    if !(1..=WEEKS_MAX).contains(&weeks) {
        return Err(ApiError::validation(
            "weeks",
            format!("must be 1 to {WEEKS_MAX}"),
        ));
    }
    let as_of = query.as_of.map(Moment::get);
    let read = workload::read(&ctx.app, caller.team_id, weeks, as_of).await?;
    Ok(HttpResponse::Ok().json(read))
}
