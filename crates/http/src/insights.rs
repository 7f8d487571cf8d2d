//! Time travel for the read models: `as_of` (business time, default now) and `known_at`
//! (system time). Without `known_at` the inputs come from the projections and the
//! current-state tables; with it they are replayed from the events recorded by then.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use stride_domain::bounds::Moment;
use stride_domain::metric::Metric;
use stride_domain::progress::Point;
use stride_domain::progress::report::Facts;
use stride_domain::target::Target;
pub use stride_storage::facts::Need;
use stride_storage::facts::{Known, Plans};
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
    /// Tuesday"). Replays the team's events, so it costs more than a plain read. Years 2000
    /// to 2100; a time after now is now.
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
    known: Option<Known>,
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
                let (plans, known) = ctx.store.known_at(team_id, k.min(now)).await?;
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

    /// Observations of each `(channel, metric)` in `[since, t]`, with the latest before
    /// `since` (replays keep them all: the math picks its window).
    pub async fn series(
        &self,
        ctx: &Ctx,
        team_id: Uuid,
        wanted: &[(Uuid, Metric)],
        since: DateTime<Utc>,
    ) -> Result<BTreeMap<(Uuid, Metric), Vec<Point>>, ApiError> {
        let Some(known) = &self.known else {
            return Ok(ctx.store.series(team_id, wanted, since, self.t).await?);
        };
        let mut series: BTreeMap<(Uuid, Metric), Vec<Point>> = BTreeMap::new();
        for o in &known.observations {
            let key = (o.channel_id, o.metric);
            if o.post_id.is_none() && o.point.at <= self.t && wanted.contains(&key) {
                series.entry(key).or_default().push(o.point);
            }
        }
        for points in series.values_mut() {
            points.sort_by_key(|p| p.at);
        }
        Ok(series)
    }

    /// The latest value at or before `t` of each of `metrics` on each of `posts`.
    pub async fn post_totals(
        &self,
        ctx: &Ctx,
        team_id: Uuid,
        posts: &[Uuid],
        metrics: &[Metric],
    ) -> Result<Vec<(Uuid, Metric, f64)>, ApiError> {
        let Some(known) = &self.known else {
            return Ok(ctx
                .store
                .post_totals(team_id, posts, metrics, self.t)
                .await?);
        };
        let mut latest: BTreeMap<(Uuid, Metric), (DateTime<Utc>, f64)> = BTreeMap::new();
        for o in &known.observations {
            let Some(post) = o.post_id.filter(|p| posts.contains(p)) else {
                continue;
            };
            if metrics.contains(&o.metric) && o.point.at <= self.t {
                let entry = latest
                    .entry((post, o.metric))
                    .or_insert((o.point.at, o.point.value));
                if o.point.at >= entry.0 {
                    *entry = (o.point.at, o.point.value);
                }
            }
        }
        Ok(latest
            .into_iter()
            .map(|((p, m), (_, v))| (p, m, v))
            .collect())
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
        if self.known.is_none() {
            return Ok(ctx.store.idea_counts(team_id).await?);
        }
        // A replay folds every idea into the plans.
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
