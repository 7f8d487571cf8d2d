//! Time travel for the read models: `as_of` (business time, default now) and `known_at`
//! (system time). Without `known_at` the inputs come from the projections and the
//! current-state tables; with it, plans and votes are replayed from the events recorded by
//! then (only the kinds the read needs, at most `MAX_REPLAYED` events) and observations are
//! read as they stood then (see `stride_storage::known`).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use stride_domain::bounds::Moment;
use stride_domain::metric::Metric;
use stride_domain::progress::Point;
use stride_domain::progress::report::Facts;
use stride_domain::target::Target;
pub use stride_storage::facts::Need;
use stride_storage::facts::Plans;
use stride_storage::known::{KnownAtError, MAX_REPLAYED};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::Ctx;

/// When to evaluate, and with what knowledge.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Instant {
    /// Business time to evaluate at (RFC 3339, years 2000 to 2100, default now):
    /// observations and posts up to it count, even those recorded later.
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
    /// Wait until the projections include this position (see `Stride-Min-Position`).
    pub min_position: Option<i64>,
}

/// Everything a read model is computed from, at one instant.
#[derive(Debug, Default)]
pub struct Inputs {
    pub t: DateTime<Utc>,
    pub plans: Plans,
    known: Option<stride_storage::known::Known>,
}

/// 422 `known_at_too_costly` when the replay would pass its cap.
fn known_at_error(error: KnownAtError) -> ApiError {
    match error {
        KnownAtError::TooCostly { kinds } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "known_at_too_costly",
            format!(
                "known_at replays at most {MAX_REPLAYED} events, and this team has more of \
                 those this read replays ({kinds}); read without known_at"
            ),
        ),
        KnownAtError::Store(error) => error.into(),
    }
}

/// A part of a `known_at` replay that the read's `Need` did not ask for: a bug.
fn not_replayed(what: &str) -> ApiError {
    ApiError::internal(anyhow::anyhow!(
        "{what} were not replayed: the read's Need must ask for them"
    ))
}

/// Engagement metrics counted on posts.
pub const ENGAGEMENT: [Metric; 4] = [
    Metric::Likes,
    Metric::Shares,
    Metric::Comments,
    Metric::Clicks,
];

impl Inputs {
    pub async fn load(
        ctx: &Ctx,
        team_id: Uuid,
        when: Instant,
        need: Need,
    ) -> Result<Inputs, ApiError> {
        let now = Utc::now();
        let t = when.as_of.map_or(now, Moment::get);
        Ok(match when.known_at.map(Moment::get) {
            Some(k) => {
                let (plans, known) = ctx
                    .store
                    .known_at(team_id, k.min(now), need)
                    .await
                    .map_err(known_at_error)?;
                Inputs {
                    t,
                    plans,
                    known: Some(known),
                }
            }
            None => Inputs {
                t,
                plans: ctx.store.plans(team_id, need).await?,
                known: None,
            },
        })
    }

    /// The system time of a `known_at` read.
    fn known_at(&self) -> Option<DateTime<Utc>> {
        self.known.as_ref().map(|k| k.at)
    }

    /// Observations of each `(channel, metric)` in `[since, t]`, with the latest before
    /// `since`.
    pub async fn series(
        &self,
        ctx: &Ctx,
        team_id: Uuid,
        wanted: &[(Uuid, Metric)],
        since: DateTime<Utc>,
    ) -> Result<BTreeMap<(Uuid, Metric), Vec<Point>>, ApiError> {
        Ok(ctx
            .store
            .series(team_id, wanted, since, self.t, self.known_at())
            .await?)
    }

    /// The latest value at or before `t` of each of `metrics` on each of `posts`.
    pub async fn post_totals(
        &self,
        ctx: &Ctx,
        team_id: Uuid,
        posts: &[Uuid],
        metrics: &[Metric],
    ) -> Result<Vec<(Uuid, Metric, f64)>, ApiError> {
        let channels: Vec<Uuid> = self.plans.channels.iter().map(|c| c.id).collect();
        Ok(ctx
            .store
            .post_totals(team_id, &channels, posts, metrics, self.t, self.known_at())
            .await?)
    }

    /// The votes on `ideas`: idea -> contributor -> when they voted.
    pub async fn votes(
        &self,
        ctx: &Ctx,
        team_id: Uuid,
        ideas: &[Uuid],
    ) -> Result<BTreeMap<Uuid, BTreeMap<Uuid, DateTime<Utc>>>, ApiError> {
        match &self.known {
            None => Ok(ctx.store.votes_on(team_id, ideas).await?),
            Some(known) => Ok(known
                .votes
                .as_ref()
                .ok_or_else(|| not_replayed("votes"))?
                .iter()
                .filter(|(idea, _)| ideas.contains(idea))
                .map(|(idea, voters)| (*idea, voters.clone()))
                .collect()),
        }
    }

    /// The team's ideas by status, merged duplicates left out.
    pub async fn idea_counts(
        &self,
        ctx: &Ctx,
        team_id: Uuid,
    ) -> Result<BTreeMap<String, i64>, ApiError> {
        let Some(known) = &self.known else {
            return Ok(ctx.store.idea_counts(team_id).await?);
        };
        if !known.ideas {
            return Err(not_replayed("ideas"));
        }
        let mut counts = BTreeMap::new();
        for (idea, _) in self
            .plans
            .ideas
            .iter()
            .filter(|(i, _)| i.merged_into.is_none())
        {
            *counts.entry(idea.status.as_str().to_owned()).or_insert(0) += 1;
        }
        Ok(counts)
    }

    /// The facts goal progress is computed from.
    pub async fn facts(&self, ctx: &Ctx, team_id: Uuid) -> Result<Facts, ApiError> {
        // Each metric goal's series, from the earliest start among them: every goal's window
        // and the observation before it (its baseline).
        let mut wanted: Vec<(Uuid, Metric)> = Vec::new();
        let mut since: Option<DateTime<Utc>> = None;
        for goal in &self.plans.goals {
            if let Some(Target::Metric {
                channel_id, metric, ..
            }) = &goal.target
            {
                wanted.push((*channel_id, *metric));
                let start = stride_domain::progress::start_of(goal.starts_on);
                since = Some(since.map_or(start, |s| s.min(start)));
            }
        }
        Ok(Facts {
            goals: self.plans.goals.clone(),
            published: self.published(),
            series: self
                .series(ctx, team_id, &wanted, since.unwrap_or(self.t))
                .await?,
        })
    }

    /// Published posts at or before `t`: their channel and publication instant.
    pub fn published(&self) -> Vec<(Uuid, DateTime<Utc>)> {
        self.plans
            .posts
            .iter()
            .filter(|p| p.status == stride_domain::post::PostStatus::Published)
            .filter_map(|p| p.published_at.map(|at| (p.channel_id, at)))
            .filter(|(_, at)| *at <= self.t)
            .collect()
    }
}
