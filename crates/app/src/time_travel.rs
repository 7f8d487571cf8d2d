//! Time travel for the read models: `as_of` (business time, default now) and `known_at`
//! (system time). Without `known_at` the inputs come from the projections and the
//! current-state tables; with it, plans and votes are replayed from the events recorded by
//! then (only the kinds the read needs, at most `MAX_REPLAYED` events) and observations are
//! read as they stood then (see `stride_storage::known`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use stride_domain::bounds::Moment;
use stride_domain::metric::Metric;
use stride_domain::progress::Point;
use stride_domain::progress::report::Facts;
use stride_domain::target::Target;
use stride_storage::StoreError;
pub use stride_storage::facts::Need;
use stride_storage::facts::Plans;
use stride_storage::known::{KnownAtError, MAX_REPLAYED};
use uuid::Uuid;

use crate::{App, AppError};

/// When to evaluate a read model, and with what knowledge.
#[derive(Debug, Clone, Copy, Default)]
pub struct When {
    /// Business time: observations and posts up to it count, even those recorded later.
    pub as_of: Option<Moment>,
    /// System time: every event recorded after it is ignored.
    pub known_at: Option<Moment>,
}

/// Everything a read model is computed from, at one instant.
#[derive(Debug, Default)]
pub struct Inputs {
    pub t: DateTime<Utc>,
    pub plans: Plans,
    known: Option<stride_storage::known::Known>,
}

/// The replay would pass its cap.
fn known_at_error(error: KnownAtError) -> AppError {
    match error {
        KnownAtError::TooCostly { kinds } => AppError::KnownAtTooCostly {
            max: MAX_REPLAYED,
            kinds,
        },
        KnownAtError::Store(error) => error.into(),
    }
}

/// A part of a `known_at` replay that the read's `Need` did not ask for: a bug.
fn not_replayed(what: &str) -> AppError {
    StoreError::Internal(anyhow::anyhow!(
        "{what} were not replayed: the read's Need must ask for them"
    ))
    .into()
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
        app: &App,
        team_id: Uuid,
        when: When,
        need: Need,
    ) -> Result<Inputs, AppError> {
        let now = Utc::now();
        let t = when.as_of.map_or(now, Moment::get);
        Ok(match when.known_at.map(Moment::get) {
            Some(k) => {
                let (plans, known) = app
                    .store
                    .read_models()
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
                plans: app.store.read_models().plans(team_id, need).await?,
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
        app: &App,
        team_id: Uuid,
        wanted: &[(Uuid, Metric)],
        since: DateTime<Utc>,
    ) -> Result<BTreeMap<(Uuid, Metric), Vec<Point>>, AppError> {
        Ok(app
            .store
            .read_models()
            .series(team_id, wanted, since, self.t, self.known_at())
            .await?)
    }

    /// The latest value at or before `t` of each of `metrics` on each of `posts`.
    pub async fn post_totals(
        &self,
        app: &App,
        team_id: Uuid,
        posts: &[Uuid],
        metrics: &[Metric],
    ) -> Result<Vec<(Uuid, Metric, f64)>, AppError> {
        let channels: Vec<Uuid> = self.plans.channels.iter().map(|c| c.id).collect();
        Ok(app
            .store
            .read_models()
            .post_totals(team_id, &channels, posts, metrics, self.t, self.known_at())
            .await?)
    }

    /// The votes on `ideas`: idea -> contributor -> when they voted.
    pub async fn votes(
        &self,
        app: &App,
        team_id: Uuid,
        ideas: &[Uuid],
    ) -> Result<BTreeMap<Uuid, BTreeMap<Uuid, DateTime<Utc>>>, AppError> {
        match &self.known {
            None => Ok(app.store.votes().votes_on(team_id, ideas).await?),
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
        app: &App,
        team_id: Uuid,
    ) -> Result<BTreeMap<String, i64>, AppError> {
        let Some(known) = &self.known else {
            return Ok(app.store.read_models().idea_counts(team_id).await?);
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
    pub async fn facts(&self, app: &App, team_id: Uuid) -> Result<Facts, AppError> {
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
                .series(app, team_id, &wanted, since.unwrap_or(self.t))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_past_its_cap_names_the_cap_and_the_kinds() {
        let error = known_at_error(KnownAtError::TooCostly {
            kinds: "votes".to_owned(),
        });
        assert!(matches!(error, AppError::KnownAtTooCostly { .. }));
        assert_eq!(
            error.to_string(),
            "known_at replays at most 50000 events, and this team has more of those this read \
             replays (votes); read without known_at"
        );
    }
}
