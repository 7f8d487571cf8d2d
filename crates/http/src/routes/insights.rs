//! Ranked content suggestions and the channel assessment, at `as_of` and `known_at`.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use stride_domain::assessment::{self, Measured, Recommendation};
use stride_domain::bounds::Moment;
use stride_domain::channel::{Channel, ChannelStatus, Platform};
use stride_domain::idea::{self, IdeaStatus};
use stride_domain::metric::Metric;
use stride_domain::post::PostStatus;
use stride_domain::progress::Status;
use stride_domain::progress::report::{GoalProgress, aims_at};
use stride_domain::suggestion;
use stride_domain::vote::distinct_voters;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, Ctx};
use crate::insights::{Inputs, Instant, Need};

pub fn configure(config: &mut ServiceConfig) {
    config.service(suggestions).service(assess);
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestionQuery {
    /// How many to return (default 10, at most 200).
    pub limit: Option<u32>,
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
    pub min_position: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestion {
    pub idea_id: Uuid,
    pub title: String,
    /// Decayed votes (each halving every 7 days) plus 2 when an active goal on a channel
    /// the idea is aimed at is `behind`, 1 when the worst such goal is `at_risk`.
    pub score: f64,
    /// Distinct voters, across merged duplicates.
    pub vote_count: u32,
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    pub as_of: DateTime<Utc>,
    /// Best first; ties go to more votes, then to the older idea.
    pub items: Vec<Suggestion>,
}

fn channel_label(channel: &Channel) -> String {
    format!("{} {}", channel.platform.display(), channel.handle)
}

fn flatten(goals: Vec<GoalProgress>, into: &mut BTreeMap<Uuid, Status>) {
    for goal in goals {
        into.insert(goal.goal_id, goal.status);
        flatten(goal.children, into);
    }
}

/// Whether an idea may be suggested: open, under review or planned.
fn candidate(status: IdeaStatus) -> bool {
    matches!(
        status,
        IdeaStatus::Open | IdeaStatus::UnderReview | IdeaStatus::Planned
    )
}

/// The ideas the team could turn into posts next (open, under review or planned), ranked by
/// a documented, deterministic score with the reasons for it.
#[utoipa::path(tag = "progress", security(("bearer" = [])), params(SuggestionQuery), responses(
    (status = 200, body = Suggestions),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "`known_at_too_costly`: more events to replay than a `known_at` read may", body = Problem, content_type = "application/problem+json"),
))]
#[get("/teams/{team_id}/suggestions")]
async fn suggestions(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<Uuid>,
    query: ApiQuery<SuggestionQuery>,
) -> Result<HttpResponse, ApiError> {
    let team_id = caller.in_team(path.into_inner())?.team_id;
    let limit = match query.limit.unwrap_or(10) {
        n @ 1..=200 => n as usize,
        _ => return Err(ApiError::validation("limit", "must be between 1 and 200")),
    };
    let when = Instant {
        as_of: query.as_of,
        known_at: query.known_at,
        ..Instant::default()
    };
    let need = Need {
        ideas: true,
        votes: true,
        ..Need::default()
    };
    let inputs = Inputs::load(&ctx, team_id, when, need).await?;
    let t = inputs.t;
    let facts = inputs.facts(&ctx, team_id).await?;
    let mut statuses = BTreeMap::new();
    flatten(facts.report(t), &mut statuses);
    let ideas = &inputs.plans.ideas;
    // Votes are read for candidates and the duplicates merged into them only.
    let ids: Vec<Uuid> = ideas
        .iter()
        .filter(|(i, _)| i.merged_into.is_some() || candidate(i.status))
        .map(|(i, _)| i.id)
        .collect();
    let votes = inputs.votes(&ctx, team_id, &ids).await?;
    let duplicates = idea::duplicates(ideas.iter().map(|(i, _)| i));
    let channels: BTreeMap<Uuid, &Channel> =
        inputs.plans.channels.iter().map(|c| (c.id, c)).collect();
    let mut ranked: Vec<(Suggestion, DateTime<Utc>)> = Vec::new();
    for (idea, submitted_at) in ideas {
        if !candidate(idea.status) || idea.merged_into.is_some() || *submitted_at > t {
            continue;
        }
        // Each voter once, with their earliest vote, across the duplicates merged in; votes
        // cast after `t` do not count yet.
        let group = std::iter::once(&idea.id).chain(duplicates.get(&idea.id).into_iter().flatten());
        let voters = distinct_voters(group.filter_map(|id| votes.get(id)));
        let times: Vec<DateTime<Utc>> = voters.into_values().filter(|at| *at <= t).collect();
        let mut needs = Vec::new();
        let mut reasons = vec![match times.len() {
            0 => "no votes yet".to_owned(),
            n => format!(
                "{n} votes, worth {:.2} after halving each week",
                suggestion::vote_score(&times, t)
            ),
        }];
        for channel_id in &idea.channel_ids {
            for goal in inputs
                .plans
                .goals
                .iter()
                .filter(|g| aims_at(g, *channel_id))
            {
                let Some(status) = statuses.get(&goal.id).copied().filter(|s| s.needs_help())
                else {
                    continue;
                };
                needs.push(status);
                let label = channels
                    .get(channel_id)
                    .map_or_else(|| "its channel".to_owned(), |c| channel_label(c));
                let state = if status == Status::Behind {
                    "behind"
                } else {
                    "at risk"
                };
                reasons.push(format!(
                    "aimed at {label}, where goal '{}' is {state}",
                    goal.title
                ));
            }
        }
        ranked.push((
            Suggestion {
                idea_id: idea.id,
                title: idea.title.clone(),
                score: suggestion::score(&times, &needs, t),
                vote_count: times.len() as u32,
                reasons,
            },
            *submitted_at,
        ));
    }
    ranked.sort_by(|(a, at_a), (b, at_b)| {
        b.score
            .total_cmp(&a.score)
            .then(b.vote_count.cmp(&a.vote_count))
            .then(at_a.cmp(at_b))
            .then(a.idea_id.cmp(&b.idea_id))
    });
    let items = ranked.into_iter().take(limit).map(|(s, _)| s).collect();
    Ok(HttpResponse::Ok().json(Suggestions { as_of: t, items }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssessmentQuery {
    /// The days before `as_of` looked at (default 30, 1 to 365).
    pub window_days: Option<u32>,
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
    pub min_position: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationName {
    Grow,
    Keep,
    Review,
    Cut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelAssessment {
    pub channel_id: Uuid,
    #[schema(value_type = String)]
    pub platform: Platform,
    #[schema(value_type = String)]
    pub status: ChannelStatus,
    /// Posts published on it in the window.
    pub posts_published: u32,
    /// Likes, shares, comments and clicks on those posts (each post's latest count), per
    /// post; null without posts.
    pub engagement_per_post: Option<f64>,
    /// Followers (or subscribers) at the end of the window over its start, in percent;
    /// null without an observation at or before each end.
    pub follower_growth_pct: Option<f64>,
    #[schema(value_type = RecommendationName)]
    pub recommendation: Recommendation,
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Assessment {
    pub as_of: DateTime<Utc>,
    pub window_days: u32,
    pub channels: Vec<ChannelAssessment>,
}

fn growth(
    points: &[stride_domain::progress::Point],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<f64> {
    let at = |t: DateTime<Utc>| {
        points
            .iter()
            .filter(|p| p.at <= t)
            .max_by_key(|p| p.at)
            .map(|p| p.value)
    };
    assessment::growth_pct(at(from)?, at(to)?)
}

/// Each channel over the window: posts, engagement per post, follower growth and a
/// recommendation (`grow`, `keep`, `review` or `cut`) by the rule in the domain's
/// assessment module: a channel lowest on both engagement per post and follower growth
/// with at least 4 posts is never `grow` or `keep`.
#[utoipa::path(tag = "progress", security(("bearer" = [])), params(AssessmentQuery), responses(
    (status = 200, body = Assessment),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "`known_at_too_costly`: more events to replay than a `known_at` read may", body = Problem, content_type = "application/problem+json"),
))]
#[get("/teams/{team_id}/channels/assessment")]
async fn assess(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<Uuid>,
    query: ApiQuery<AssessmentQuery>,
) -> Result<HttpResponse, ApiError> {
    let team_id = caller.in_team(path.into_inner())?.team_id;
    let window_days = match query.window_days.unwrap_or(30) {
        n @ 1..=365 => n,
        _ => {
            return Err(ApiError::validation(
                "window_days",
                "must be between 1 and 365",
            ));
        }
    };
    let when = Instant {
        as_of: query.as_of,
        known_at: query.known_at,
        ..Instant::default()
    };
    let inputs = Inputs::load(&ctx, team_id, when, Need::default()).await?;
    let (t, from) = (inputs.t, inputs.t - TimeDelta::days(i64::from(window_days)));
    let mut channels = inputs.plans.channels.clone();
    channels.sort_by_key(|c| c.id);
    let posts: Vec<(Uuid, Uuid)> = inputs
        .plans
        .posts
        .iter()
        .filter(|p| {
            p.status == PostStatus::Published
                && p.published_at.is_some_and(|at| at > from && at <= t)
        })
        .map(|p| (p.id, p.channel_id))
        .collect();
    let post_ids: Vec<Uuid> = posts.iter().map(|(p, _)| *p).collect();
    let totals = inputs
        .post_totals(&ctx, team_id, &post_ids, &crate::insights::ENGAGEMENT)
        .await?;
    let mut engagement: BTreeMap<Uuid, f64> = BTreeMap::new();
    for (post, _, value) in totals {
        *engagement.entry(post).or_default() += value;
    }
    let audience: Vec<(Uuid, Metric)> = channels
        .iter()
        .flat_map(|c| [(c.id, Metric::Followers), (c.id, Metric::Subscribers)])
        .collect();
    let series = inputs.series(&ctx, team_id, &audience, from).await?;
    let measured: Vec<Measured> = channels
        .iter()
        .map(|c| {
            let mine: Vec<Uuid> = posts
                .iter()
                .filter(|(_, ch)| *ch == c.id)
                .map(|(p, _)| *p)
                .collect();
            let total: f64 = mine.iter().filter_map(|p| engagement.get(p)).sum();
            let points = series
                .get(&(c.id, Metric::Followers))
                .or_else(|| series.get(&(c.id, Metric::Subscribers)))
                .map_or(&[][..], Vec::as_slice);
            Measured {
                status: c.status,
                posts_published: mine.len() as u32,
                engagement_per_post: (!mine.is_empty()).then(|| total / mine.len() as f64),
                follower_growth_pct: growth(points, from, t),
            }
        })
        .collect();
    let verdicts = assessment::assess(&measured, window_days);
    let channels = channels
        .iter()
        .zip(measured)
        .zip(verdicts)
        .map(|((c, m), (recommendation, reasons))| ChannelAssessment {
            channel_id: c.id,
            platform: c.platform,
            status: c.status,
            posts_published: m.posts_published,
            engagement_per_post: m.engagement_per_post,
            follower_growth_pct: m.follower_growth_pct,
            recommendation,
            reasons,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Assessment {
        as_of: t,
        window_days,
        channels,
    }))
}
