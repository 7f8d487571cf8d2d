//! The team's activity feed: a readable line for each thing that happened, newest first.

use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::Reply;
use crate::auth::Member;
use crate::extract::{ApiQuery, Ctx};
use crate::page::{self, Limit, Page};
use stride_app::activity;
use stride_domain::bounds::Moment;

pub fn configure(config: &mut ServiceConfig) {
    config.service(get_activity_feed);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityItem {
    /// The event's position in the log.
    pub position: i64,
    pub at: DateTime<Utc>,
    /// The type of the event behind the line, such as `IdeaSubmitted` (as `event_type` in
    /// the event log).
    pub kind: String,
    /// "Olivia published 'Poll time' on Instagram".
    pub text: String,
    pub actor_id: Option<Uuid>,
    pub subject_id: Uuid,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    #[serde(default)]
    pub limit: Limit,
    /// The `next_cursor` of the page before: lines before that position.
    #[param(pattern = "^(0|[1-9][0-9]{0,17})$")]
    pub cursor: Option<String>,
    /// System time: the feed as it stood then, the lines of events recorded by this instant
    /// (RFC 3339, years 2000 to 2100; a time after now is now). Names are today's.
    #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
    pub known_at: Option<Moment>,
}

/// Reads the team's activity feed
///
/// Any member may read what happened in the team, newest first, as sentences a person
/// reads ("Olivia published 'Poll time' on Instagram"). Names are looked up as the feed is
/// read, so an erased name is gone from it too.
#[utoipa::path(tag = "events", params(FeedQuery), responses(
    (status = 200, description = "A page of the feed, newest first.", body = Page<ActivityItem>),
))]
#[get("/activity")]
async fn get_activity_feed(ctx: Ctx, caller: Member, query: ApiQuery<FeedQuery>) -> Reply {
    let limit = query.limit.get() as usize;
    let before = page::position_cursor(query.cursor.as_deref())?;
    let known_at = query.known_at.map(Moment::get);
    let lines = activity::feed(&ctx.app, caller.team_id, before, known_at, limit).await?;
    let next_cursor = (lines.len() == limit)
        .then(|| lines.last().map(|l| l.row.position.to_string()))
        .flatten();
    let items = lines
        .into_iter()
        .map(|line| ActivityItem {
            position: line.row.position,
            at: line.row.at,
            kind: line.row.kind,
            text: line.text,
            actor_id: line.row.actor_id,
            subject_id: line.row.subject_id,
        })
        .collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}
