//! What progress, suggestions and assessments are computed from, loaded from the
//! projections (cost by the size of the team's plans, not its history), or replayed from the
//! events recorded up to an instant for `known_at` reads.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use stride_domain::EventPayload;
use stride_domain::channel::{Channel, ChannelEvent};
use stride_domain::goal::{Goal, GoalEvent};
use stride_domain::idea::{Idea, IdeaEvent};
use stride_domain::metric::{Metric, MetricEvent};
use stride_domain::post::{Post, PostEvent};
use stride_domain::progress::Point;
use stride_domain::vote::VoteEvent;
use uuid::Uuid;

use crate::projections::aggregates::{Fold, State, stored};
use crate::projections::{Aggregates, IdeaScores};
use crate::projector::Projection;
use crate::{Store, StoreError};

/// A team's folded channels, goals, posts and ideas.
#[derive(Debug, Default, Clone)]
pub struct Plans {
    pub channels: Vec<Channel>,
    pub goals: Vec<Goal>,
    pub posts: Vec<Post>,
    /// Ideas with the instant they were submitted.
    pub ideas: Vec<(Idea, DateTime<Utc>)>,
}

impl Plans {
    fn push(&mut self, state: State, created_at: DateTime<Utc>) {
        match state {
            State::Channel(c) => self.channels.push(c),
            State::Goal(g) => self.goals.push(g),
            State::Post(p) => self.posts.push(p),
            State::Idea(i) => self.ideas.push((i, created_at)),
        }
    }
}

/// One observation as the current-state table keeps it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observed {
    pub channel_id: Uuid,
    pub metric: Metric,
    pub post_id: Option<Uuid>,
    pub point: Point,
}

/// What a team knew at an instant of system time besides its plans: votes by idea and
/// observations.
#[derive(Debug, Default, Clone)]
pub struct Known {
    pub votes: BTreeMap<Uuid, BTreeMap<Uuid, DateTime<Utc>>>,
    pub observations: Vec<Observed>,
}

/// Which folded aggregates a read needs: channels and goals always come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Need {
    pub ideas: bool,
    /// Every post, drafts included; otherwise only published and scheduled ones.
    pub all_posts: bool,
}

// Posts that were never published or scheduled (drafts, archived drafts) are left out
// unless asked for: dashboards read what went out or is about to.
const PLANS: &str = "SELECT stream_id, stream_type, state, position, created_at, team_id FROM aggregates \
     WHERE team_id = $1 AND stream_type = ANY($2) AND (stream_type <> $3 OR $4 OR at IS NOT NULL) \
     ORDER BY stream_id";
const IDEAS: &str =
    "SELECT state, created_at, version FROM aggregates WHERE team_id = $1 AND stream_type = $2";
const SCORES: &str = "SELECT idea_id, voters, log2_weight FROM idea_scores WHERE team_id = $1";
const IDEA_COUNTS: &str = "SELECT status, ideas FROM idea_counts WHERE team_id = $1 AND ideas <> 0";

// The observations in [since, t], and the latest one before `since` of each series (a
// `latest` goal's value at its start): a read costs what the window holds, not the history.
const SERIES: &str = "SELECT channel_id, metric, observed_at, value FROM metric_observations \
     WHERE team_id = $1 AND post_id = '00000000-0000-0000-0000-000000000000' \
       AND channel_id = ANY($2) AND metric = ANY($3) AND observed_at <= $4 AND observed_at >= $5 \
     UNION ALL \
     SELECT * FROM (SELECT DISTINCT ON (channel_id, metric) channel_id, metric, observed_at, value \
       FROM metric_observations \
       WHERE team_id = $1 AND post_id = '00000000-0000-0000-0000-000000000000' \
         AND channel_id = ANY($2) AND metric = ANY($3) AND observed_at < $5 AND observed_at <= $4 \
       ORDER BY channel_id, metric, observed_at DESC) AS before \
     ORDER BY observed_at";
const POST_TOTALS: &str = "SELECT DISTINCT ON (post_id, metric) post_id, metric, value FROM metric_observations \
     WHERE team_id = $1 AND post_id = ANY($2) AND metric = ANY($3) AND observed_at <= $4 \
     ORDER BY post_id, metric, observed_at DESC";
const VOTES: &str = "SELECT idea_id, contributor_id, voted_at FROM idea_votes \
     WHERE team_id = $1 AND idea_id = ANY($2)";

impl Store {
    /// The team's channels, goals, posts and (when needed) ideas as the projection holds
    /// them now.
    pub async fn plans(&self, team_id: Uuid, need: Need) -> Result<Plans, StoreError> {
        let mut types = vec![
            ChannelEvent::STREAM_TYPE,
            GoalEvent::STREAM_TYPE,
            PostEvent::STREAM_TYPE,
        ];
        if need.ideas {
            types.push(IdeaEvent::STREAM_TYPE);
        }
        self.check_projections(team_id, &[Aggregates::NAME]).await?;
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(PLANS).await?;
        let mut plans = Plans::default();
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
            [&team_id, &types, &PostEvent::STREAM_TYPE, &need.all_posts];
        for row in client.query(&statement, &params).await? {
            let stream_type: String = row.try_get(1)?;
            if let Some(state) = State::from_json(&stream_type, row.try_get(2)?)? {
                plans.push(state, row.try_get(4)?);
            }
        }
        Ok(plans)
    }

    /// Every idea of the team as the projection holds it: its state, when it was submitted
    /// and its stream version.
    pub async fn listed_ideas(
        &self,
        team_id: Uuid,
    ) -> Result<Vec<(Idea, DateTime<Utc>, i64)>, StoreError> {
        self.check_projections(team_id, &[Aggregates::NAME]).await?;
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(IDEAS).await?;
        let rows = client
            .query(&statement, &[&team_id, &IdeaEvent::STREAM_TYPE])
            .await?;
        rows.iter()
            .map(|r| Ok((stored(r.try_get(0)?)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// Each idea's own current voters and the log2 of their decayed weight (see the
    /// `idea_scores` projection).
    pub async fn idea_scores(
        &self,
        team_id: Uuid,
    ) -> Result<BTreeMap<Uuid, (i32, Option<f64>)>, StoreError> {
        self.check_projections(team_id, &[IdeaScores::NAME]).await?;
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(SCORES).await?;
        let rows = client.query(&statement, &[&team_id]).await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?))))
            .collect::<Result<_, tokio_postgres::Error>>()?)
    }

    /// The team's ideas by status, merged duplicates left out.
    pub async fn idea_counts(&self, team_id: Uuid) -> Result<BTreeMap<String, i64>, StoreError> {
        self.check_projections(team_id, &[Aggregates::NAME]).await?;
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(IDEA_COUNTS).await?;
        let rows = client.query(&statement, &[&team_id]).await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, tokio_postgres::Error>>()?)
    }

    /// Channel-wide observations of each `(channel, metric)` in `[since, t]`, with the
    /// latest one before `since`, oldest first.
    pub async fn series(
        &self,
        team_id: Uuid,
        wanted: &[(Uuid, Metric)],
        since: DateTime<Utc>,
        t: DateTime<Utc>,
    ) -> Result<BTreeMap<(Uuid, Metric), Vec<Point>>, StoreError> {
        let mut series: BTreeMap<(Uuid, Metric), Vec<Point>> = BTreeMap::new();
        if wanted.is_empty() {
            return Ok(series);
        }
        let channels: Vec<Uuid> = wanted.iter().map(|(c, _)| *c).collect();
        let metrics: Vec<&str> = wanted.iter().map(|(_, m)| m.as_str()).collect();
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(SERIES).await?;
        for row in client
            .query(&statement, &[&team_id, &channels, &metrics, &t, &since])
            .await?
        {
            let metric: String = row.try_get(1)?;
            let Some(metric) = Metric::parse(&metric) else {
                continue;
            };
            let key = (row.try_get(0)?, metric);
            if wanted.contains(&key) {
                series.entry(key).or_default().push(Point {
                    at: row.try_get(2)?,
                    value: row.try_get(3)?,
                });
            }
        }
        Ok(series)
    }

    /// The latest value at or before `t` of each of `metrics` on each of `posts`.
    pub async fn post_totals(
        &self,
        team_id: Uuid,
        posts: &[Uuid],
        metrics: &[Metric],
        t: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, Metric, f64)>, StoreError> {
        let metrics: Vec<&str> = metrics.iter().map(|m| m.as_str()).collect();
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(POST_TOTALS).await?;
        let rows = client
            .query(&statement, &[&team_id, &posts, &metrics, &t])
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let metric: String = row.try_get(1)?;
            if let Some(metric) = Metric::parse(&metric) {
                out.push((row.try_get(0)?, metric, row.try_get(2)?));
            }
        }
        Ok(out)
    }

    /// The current votes on `ideas`: idea -> contributor -> when they voted.
    pub async fn votes_on(
        &self,
        team_id: Uuid,
        ideas: &[Uuid],
    ) -> Result<BTreeMap<Uuid, BTreeMap<Uuid, DateTime<Utc>>>, StoreError> {
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(VOTES).await?;
        let mut votes: BTreeMap<Uuid, BTreeMap<Uuid, DateTime<Utc>>> = BTreeMap::new();
        for row in client.query(&statement, &[&team_id, &ideas]).await? {
            votes
                .entry(row.try_get(0)?)
                .or_default()
                .insert(row.try_get(1)?, row.try_get(2)?);
        }
        Ok(votes)
    }

    /// Everything the team had recorded by `known_at`, replayed from its events: its plans
    /// (every post and idea included), and its votes and observations.
    pub async fn known_at(
        &self,
        team_id: Uuid,
        known_at: DateTime<Utc>,
    ) -> Result<(Plans, Known), StoreError> {
        const PAGE: i64 = 5_000;
        let mut fold = Fold::default();
        let mut votes: BTreeMap<Uuid, BTreeMap<Uuid, DateTime<Utc>>> = BTreeMap::new();
        let mut observed: BTreeMap<(Uuid, Metric, Option<Uuid>, DateTime<Utc>), f64> =
            BTreeMap::new();
        let mut after = 0;
        loop {
            let page = self.read_team_after(team_id, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.position;
            for event in page.iter().filter(|e| e.recorded_at <= known_at) {
                match event.stream_type.as_str() {
                    t if t == VoteEvent::STREAM_TYPE => match event.decode::<VoteEvent>()?.event {
                        VoteEvent::IdeaVoted {
                            idea_id,
                            contributor_id,
                        } => {
                            votes
                                .entry(idea_id)
                                .or_default()
                                .entry(contributor_id)
                                .or_insert(event.recorded_at);
                        }
                        VoteEvent::IdeaVoteWithdrawn {
                            idea_id,
                            contributor_id,
                        } => {
                            votes.entry(idea_id).or_default().remove(&contributor_id);
                        }
                    },
                    t if t == MetricEvent::STREAM_TYPE => {
                        let MetricEvent::MetricRecorded {
                            channel_id,
                            metric,
                            value,
                            observed_at,
                            post_id,
                            ..
                        } = event.decode::<MetricEvent>()?.event;
                        observed.insert((channel_id, metric, post_id, observed_at), value);
                    }
                    _ => fold.apply(event)?,
                }
            }
        }
        let mut plans = Plans::default();
        for row in fold.rows.into_values() {
            plans.push(row.state, row.created_at);
        }
        let observations = observed
            .into_iter()
            .map(|((channel_id, metric, post_id, at), value)| Observed {
                channel_id,
                metric,
                post_id,
                point: Point { at, value },
            })
            .collect();
        Ok((
            plans,
            Known {
                votes,
                observations,
            },
        ))
    }
}
