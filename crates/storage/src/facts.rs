//! The [`ReadModels`] handle: what progress, suggestions, assessments and idea lists are
//! computed from, loaded from the projections and the current-state tables: the cost is the
//! size of the team's plans and of the window asked for, not its history. Observations can
//! also be read as they stood at an earlier instant of system time, and plans replayed as
//! they stood then, for `known_at` reads (see [`crate::known`]); the activity feed is read
//! beside its projection (`projections/activity.rs`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use stride_domain::EventPayload;
use stride_domain::channel::{Channel, ChannelEvent};
use stride_domain::goal::{Goal, GoalEvent};
use stride_domain::idea::{Idea, IdeaEvent};
use stride_domain::metric::Metric;
use stride_domain::post::{Post, PostEvent};
use stride_domain::progress::Point;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::projections::aggregates::{Fold, State, stored};
use crate::projections::{Aggregates, IdeaScores};
use crate::projector::Projection;
use crate::rows::pair;
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

impl From<Fold> for Plans {
    /// The states a replay reached, each kind in stream-id order, as the projection's
    /// rows are read.
    fn from(fold: Fold) -> Plans {
        let mut plans = Plans::default();
        for row in fold.rows.into_values() {
            plans.push(row.state, row.created_at);
        }
        plans
    }
}

/// Which folded aggregates a read needs: channels and goals always come. A `known_at` read
/// replays the events of these kinds, and only these (see [`crate::known`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Need {
    pub ideas: bool,
    /// Every post, drafts included; otherwise only published and scheduled ones.
    pub all_posts: bool,
    /// The read counts ideas by status. Counts come from their own table, but a `known_at`
    /// read folds every idea to count them.
    pub idea_counts: bool,
    /// The read weighs votes. They come from the current votes table, but a `known_at` read
    /// replays the vote events.
    pub votes: bool,
}

// Posts that were never published or scheduled (drafts, archived drafts) are left out
// unless asked for: dashboards read what went out or is about to.
// The predicate of the `aggregates_owned` index, word for word, so that the index serves it.
const OWNED: &str = "SELECT stream_type, state FROM aggregates WHERE team_id = $1 \
     AND ((stream_type = 'goal' AND state->>'owner_id' IS NOT NULL AND state->>'state' = 'active') \
       OR (stream_type = 'post' AND state->>'assignee_id' IS NOT NULL \
           AND state->>'status' NOT IN ('published', 'archived')))";
const PLANS: &str = "SELECT stream_id, stream_type, state, position, created_at, team_id FROM aggregates \
     WHERE team_id = $1 AND stream_type = ANY($2) AND (stream_type <> $3 OR $4 OR at IS NOT NULL) \
     ORDER BY stream_id";
const IDEAS: &str =
    "SELECT state, created_at, version FROM aggregates WHERE team_id = $1 AND stream_type = $2";
const SCORES: &str = "SELECT idea_id, voters, log2_weight FROM idea_scores WHERE team_id = $1";
const IDEA_COUNTS: &str = "SELECT status, ideas FROM idea_counts WHERE team_id = $1 AND ideas <> 0";

// For each wanted (channel, metric), its observations in [since, t] and the latest one
// before `since` (a `latest` goal's value at its start), each series looked up by index on
// its own: a read costs what the window holds, not the history, nor the team's other
// series.
const SERIES: &str = "SELECT w.channel_id, w.metric, o.observed_at, o.value \
     FROM unnest($2::uuid[], $3::text[]) AS w (channel_id, metric) \
     CROSS JOIN LATERAL ( \
       (SELECT observed_at, value FROM metric_observations \
        WHERE team_id = $1 AND channel_id = w.channel_id AND metric = w.metric \
          AND post_id = '00000000-0000-0000-0000-000000000000' \
          AND observed_at >= $5 AND observed_at <= $4) \
       UNION ALL \
       (SELECT observed_at, value FROM metric_observations \
        WHERE team_id = $1 AND channel_id = w.channel_id AND metric = w.metric \
          AND post_id = '00000000-0000-0000-0000-000000000000' \
          AND observed_at < $5 AND observed_at <= $4 \
        ORDER BY observed_at DESC LIMIT 1)) AS o \
     ORDER BY o.observed_at";
// SERIES with each observation as it stood at $6 (system time): keys first recorded after it
// are left out, and a value corrected since is the one the first later correction replaced
// (the rule of V13__observations_known_at.sql). The same keys serve it.
const SERIES_KNOWN: &str = "SELECT w.channel_id, w.metric, o.observed_at, \
       CASE WHEN o.recorded_at <= $6 THEN o.value ELSE \
         (SELECT c.replaced FROM metric_corrections AS c \
          WHERE c.team_id = $1 AND c.channel_id = w.channel_id AND c.metric = w.metric \
            AND c.post_id = '00000000-0000-0000-0000-000000000000' \
            AND c.observed_at = o.observed_at AND c.recorded_at > $6 \
          ORDER BY c.recorded_at LIMIT 1) END AS value \
     FROM unnest($2::uuid[], $3::text[]) AS w (channel_id, metric) \
     CROSS JOIN LATERAL ( \
       (SELECT observed_at, value, recorded_at FROM metric_observations \
        WHERE team_id = $1 AND channel_id = w.channel_id AND metric = w.metric \
          AND post_id = '00000000-0000-0000-0000-000000000000' \
          AND observed_at >= $5 AND observed_at <= $4 AND first_recorded_at <= $6) \
       UNION ALL \
       (SELECT observed_at, value, recorded_at FROM metric_observations \
        WHERE team_id = $1 AND channel_id = w.channel_id AND metric = w.metric \
          AND post_id = '00000000-0000-0000-0000-000000000000' \
          AND observed_at < $5 AND observed_at <= $4 AND first_recorded_at <= $6 \
        ORDER BY observed_at DESC LIMIT 1)) AS o \
     ORDER BY o.observed_at";
// The latest value at or before $5 of each metric ($4) on each post ($3), looked up along
// the primary key under each of the team's channels ($2): a post observed under another
// channel than its own still counts, and the read costs a few index probes per post, not
// the team's history. Of two channels with the same latest instant, the greater id counts,
// as it did in a replay of the log.
const POST_TOTALS: &str = "SELECT DISTINCT ON (p.post_id, m.metric) p.post_id, m.metric, o.value \
     FROM unnest($2::uuid[]) AS c (channel_id) \
     CROSS JOIN unnest($3::uuid[]) AS p (post_id) \
     CROSS JOIN unnest($4::text[]) AS m (metric) \
     CROSS JOIN LATERAL (SELECT observed_at, value FROM metric_observations \
       WHERE team_id = $1 AND channel_id = c.channel_id AND metric = m.metric \
         AND post_id = p.post_id AND observed_at <= $5 \
       ORDER BY observed_at DESC LIMIT 1) AS o \
     ORDER BY p.post_id, m.metric, o.observed_at DESC, c.channel_id DESC";
// POST_TOTALS as it stood at $6, by the rule of SERIES_KNOWN.
const POST_TOTALS_KNOWN: &str = "SELECT DISTINCT ON (p.post_id, m.metric) p.post_id, m.metric, \
       CASE WHEN o.recorded_at <= $6 THEN o.value ELSE \
         (SELECT k.replaced FROM metric_corrections AS k \
          WHERE k.team_id = $1 AND k.channel_id = c.channel_id AND k.metric = m.metric \
            AND k.post_id = p.post_id AND k.observed_at = o.observed_at AND k.recorded_at > $6 \
          ORDER BY k.recorded_at LIMIT 1) END AS value \
     FROM unnest($2::uuid[]) AS c (channel_id) \
     CROSS JOIN unnest($3::uuid[]) AS p (post_id) \
     CROSS JOIN unnest($4::text[]) AS m (metric) \
     CROSS JOIN LATERAL (SELECT observed_at, value, recorded_at FROM metric_observations \
       WHERE team_id = $1 AND channel_id = c.channel_id AND metric = m.metric \
         AND post_id = p.post_id AND observed_at <= $5 AND first_recorded_at <= $6 \
       ORDER BY observed_at DESC LIMIT 1) AS o \
     ORDER BY p.post_id, m.metric, o.observed_at DESC, c.channel_id DESC";
const SIMILAR: &str = "SELECT stream_id, similarity(data->>'title', $2) AS alike FROM events \
     WHERE team_id = $1 AND event_type = 'IdeaSubmitted' AND (data->>'title') % $2 \
     ORDER BY alike DESC, stream_id LIMIT $3";
const MERGED_INTO: &str = "SELECT DISTINCT stream_id FROM events \
     WHERE team_id = $1 AND event_type = 'IdeaMerged' AND data->>'into' = ANY($2)";

/// What read models are computed from: plans, idea lists and scores, series, the feed.
#[derive(Debug, Clone, Copy)]
pub struct ReadModels<'a> {
    pub(crate) store: &'a Store,
}

impl Store {
    /// What the read models are computed from: the projections, the current-state tables,
    /// and the plans as known at an earlier instant.
    pub fn read_models(&self) -> ReadModels<'_> {
        ReadModels { store: self }
    }
}

impl ReadModels<'_> {
    /// Runs `sql` where the current request reads the projections from (see
    /// [`crate::replicas`]) and converts each row it answers.
    pub(crate) async fn query_rows<T, C, E>(
        self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        convert: impl Fn(&tokio_postgres::Row) -> Result<T, E>,
    ) -> Result<C, StoreError>
    where
        C: FromIterator<T>,
        StoreError: From<E>,
    {
        let rows = self.store.read_rows(sql, params).await?;
        Ok(rows.iter().map(convert).collect::<Result<C, E>>()?)
    }

    /// The team's channels, goals, posts and (when needed) ideas as the projection holds
    /// them now.
    pub async fn plans(self, team_id: Uuid, need: Need) -> Result<Plans, StoreError> {
        let mut types = vec![
            ChannelEvent::STREAM_TYPE,
            GoalEvent::STREAM_TYPE,
            PostEvent::STREAM_TYPE,
        ];
        if need.ideas {
            types.push(IdeaEvent::STREAM_TYPE);
        }
        self.store
            .projections()
            .check(team_id, &[Aggregates::NAME])
            .await?;
        let mut plans = Plans::default();
        let params: [&(dyn ToSql + Sync); 4] =
            [&team_id, &types, &PostEvent::STREAM_TYPE, &need.all_posts];
        for row in self.store.read_rows(PLANS, &params).await? {
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
        self,
        team_id: Uuid,
    ) -> Result<Vec<(Idea, DateTime<Utc>, i64)>, StoreError> {
        self.store
            .projections()
            .check(team_id, &[Aggregates::NAME])
            .await?;
        self.query_rows(IDEAS, &[&team_id, &IdeaEvent::STREAM_TYPE], |r| {
            Ok::<_, StoreError>((stored(r.try_get(0)?)?, r.try_get(1)?, r.try_get(2)?))
        })
        .await
    }

    /// Each idea's own current voters and the log2 of their decayed weight (see the
    /// `idea_scores` projection).
    pub async fn idea_scores(
        self,
        team_id: Uuid,
    ) -> Result<BTreeMap<Uuid, (i32, Option<f64>)>, StoreError> {
        self.store
            .projections()
            .check(team_id, &[IdeaScores::NAME])
            .await?;
        self.query_rows(SCORES, &[&team_id], |r| {
            Ok::<_, tokio_postgres::Error>((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?)))
        })
        .await
    }

    /// The team's ideas by status, merged duplicates left out.
    pub async fn idea_counts(self, team_id: Uuid) -> Result<BTreeMap<String, i64>, StoreError> {
        self.store
            .projections()
            .check(team_id, &[Aggregates::NAME])
            .await?;
        self.query_rows(IDEA_COUNTS, &[&team_id], pair).await
    }

    /// Channel-wide observations of each `(channel, metric)` in `[since, t]`, with the
    /// latest one before `since`, oldest first; with `known_at`, as they stood then.
    pub async fn series(
        self,
        team_id: Uuid,
        wanted: &[(Uuid, Metric)],
        since: DateTime<Utc>,
        t: DateTime<Utc>,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<BTreeMap<(Uuid, Metric), Vec<Point>>, StoreError> {
        let mut series: BTreeMap<(Uuid, Metric), Vec<Point>> = BTreeMap::new();
        if wanted.is_empty() {
            return Ok(series);
        }
        // Each series once: two goals on one series must not see its points twice.
        let pairs: BTreeSet<(Uuid, Metric)> = wanted.iter().copied().collect();
        let channels: Vec<Uuid> = pairs.iter().map(|(c, _)| *c).collect();
        let metrics: Vec<&str> = pairs.iter().map(|(_, m)| m.as_str()).collect();
        let rows = self
            .query_known(
                (SERIES, SERIES_KNOWN),
                &[&team_id, &channels, &metrics, &t, &since],
                known_at,
            )
            .await?;
        for row in rows {
            let metric: String = row.try_get(1)?;
            let Some(metric) = Metric::parse(&metric) else {
                continue;
            };
            series
                .entry((row.try_get(0)?, metric))
                .or_default()
                .push(Point {
                    at: row.try_get(2)?,
                    value: row.try_get(3)?,
                });
        }
        Ok(series)
    }

    /// The latest value at or before `t` of each of `metrics` on each of `posts`, observed
    /// under any of `channels` (the team's); with `known_at`, as it stood then.
    pub async fn post_totals(
        self,
        team_id: Uuid,
        channels: &[Uuid],
        posts: &[Uuid],
        metrics: &[Metric],
        t: DateTime<Utc>,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<(Uuid, Metric, f64)>, StoreError> {
        // Each probe once: a repeated post or metric would only repeat rows.
        let posts: Vec<Uuid> = posts
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let metrics: Vec<&str> = metrics
            .iter()
            .map(|m| m.as_str())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let rows = self
            .query_known(
                (POST_TOTALS, POST_TOTALS_KNOWN),
                &[&team_id, &channels, &posts, &metrics, &t],
                known_at,
            )
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

    /// Ideas whose titles look like `title`, most alike first, at most `limit`.
    pub async fn similar_titles(
        self,
        team_id: Uuid,
        title: &str,
        limit: i64,
    ) -> Result<Vec<(Uuid, f32)>, StoreError> {
        self.query_rows(SIMILAR, &[&team_id, &title, &limit], pair)
            .await
    }

    /// Ideas that were ever merged into one of `ideas` (some may have been unmerged since).
    pub async fn ever_merged_into(
        self,
        team_id: Uuid,
        ideas: &[Uuid],
    ) -> Result<Vec<Uuid>, StoreError> {
        let targets: Vec<String> = ideas.iter().map(Uuid::to_string).collect();
        self.query_rows(MERGED_INTO, &[&team_id, &targets], |r| r.try_get(0))
            .await
    }

    /// Runs `plain` with `params`, or with `known_at` its variant `known`, which reads as
    /// things stood then and takes `known_at` after `params`.
    async fn query_known(
        self,
        (plain, known): (&str, &str),
        params: &[&(dyn ToSql + Sync)],
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        match &known_at {
            None => self.store.read_rows(plain, params).await,
            Some(known_at) => {
                let params: Vec<&(dyn ToSql + Sync)> =
                    params.iter().copied().chain([known_at as _]).collect();
                self.store.read_rows(known, &params).await
            }
        }
    }

    /// The team's open goals that have an owner and open posts (neither published nor
    /// archived) that have an assignee, as the projection holds them now.
    pub async fn owned(self, team_id: Uuid) -> Result<Vec<State>, StoreError> {
        self.store
            .projections()
            .check(team_id, &[Aggregates::NAME])
            .await?;
        let rows: Vec<Option<State>> = self
            .query_rows(OWNED, &[&team_id], |r| {
                let stream_type: String = r.try_get(0)?;
                State::from_json(&stream_type, r.try_get(1)?)
            })
            .await?;
        Ok(rows.into_iter().flatten().collect())
    }
}
