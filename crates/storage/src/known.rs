//! `known_at` reads: what a team had recorded by an instant of system time ("what did the
//! dashboard say last Tuesday"), at a cost bounded whatever the length of its history.
//!
//! - Channels, goals, posts and ideas are folded from their events, but only the kinds the
//!   read needs ([`Need`]), each kind read through `events_by_team_stream_type`, and never
//!   more than [`MAX_REPLAYED`] events: a team with more is refused before anything is
//!   replayed.
//! - Votes are replayed the same way, and only for reads that weigh them.
//! - Metric observations, the bulk of most logs, are never replayed. The observations table
//!   keeps when each key was first recorded, when its value last changed and what each
//!   correction replaced (V13), so the observations as they stood then are read by index,
//!   window by window, like a plain read (`ReadModels::series`, `ReadModels::post_totals`).
//!
//! An event is known at `K` when `recorded_at <= K`. Positions follow transaction ids while
//! `recorded_at` is the transaction's start, so the two orders nearly agree but not strictly:
//! the replay filters every event of its kinds by `recorded_at` rather than stopping at the
//! first one recorded later, which would not be exact.

use chrono::{DateTime, Utc};
use stride_domain::EventPayload;
use stride_domain::channel::ChannelEvent;
use stride_domain::goal::GoalEvent;
use stride_domain::idea::IdeaEvent;
use stride_domain::post::PostEvent;
use stride_domain::vote::VoteEvent;
use thiserror::Error;
use tokio_postgres::IsolationLevel;
use uuid::Uuid;

use crate::StoreError;
use crate::events::StoredEvent;
use crate::facts::{Need, Plans, ReadModels};
use crate::projections::aggregates::Fold;
use crate::votes::{Votes, tally};

/// The most events a `known_at` read replays: a team with more events of the kinds a read
/// replays is refused. Some 5 us each on our machines (read, decode, fold), so a quarter of
/// a second at most. The OpenAPI description of `known_at` states this number.
pub const MAX_REPLAYED: i64 = 50_000;

/// Events read per round trip.
const PAGE: i64 = 5_000;

/// A `known_at` read was refused, or failed.
#[derive(Debug, Error)]
pub enum KnownAtError {
    /// The team has more than [`MAX_REPLAYED`] events of the kinds the read replays.
    #[error("more than {MAX_REPLAYED} events of {kinds} to replay")]
    TooCostly { kinds: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

crate::error::wraps_store_error!(KnownAtError);

/// What a team knew at an instant of system time besides its plans.
#[derive(Debug, Clone)]
pub struct Known {
    /// The instant.
    pub at: DateTime<Utc>,
    /// Whether every idea was folded into the plans.
    pub ideas: bool,
    /// The votes by then; `None` unless the read weighs votes.
    pub votes: Option<Votes>,
}

// Counts no further than one past the cap, along (team_id, stream_type, position) only.
const REPLAY_SIZE: &str = "SELECT count(*) FROM (SELECT 1 FROM events \
     WHERE team_id = $1 AND stream_type = ANY($2) LIMIT $3) AS replayed";
// One kind's events recorded by $4, in log order. One kind per statement, so that the
// by-type index serves it: with several, the planner may walk the team's whole log by
// position instead. This is one snapshot read, not a cursor that must never pass an event
// committing late, so it takes no visible bound: that bound would hide events committed
// behind any long transaction elsewhere on the cluster, as the observations never are.
const REPLAY: &str = "SELECT position, team_id, event_id, stream_id, stream_type, stream_version, \
       event_type, schema_version, data, 'null'::jsonb AS metadata, recorded_at \
     FROM events \
     WHERE team_id = $1 AND stream_type = $2 AND position > $3 AND recorded_at <= $4 \
     ORDER BY position LIMIT $5";

impl ReadModels<'_> {
    /// The team's plans as recorded by `at` (every post and, when `need` asks for them,
    /// every idea), and its votes when `need` weighs them, replayed from their events.
    pub async fn known_at(
        self,
        team_id: Uuid,
        at: DateTime<Utc>,
        need: Need,
    ) -> Result<(Plans, Known), KnownAtError> {
        let mut kinds = vec![
            ChannelEvent::STREAM_TYPE,
            GoalEvent::STREAM_TYPE,
            PostEvent::STREAM_TYPE,
        ];
        let ideas = need.ideas || need.idea_counts;
        if ideas {
            kinds.push(IdeaEvent::STREAM_TYPE);
        }
        if need.votes {
            kinds.push(VoteEvent::STREAM_TYPE);
        }
        let mut client = self.store.pool().get().await?;
        // One snapshot for the count and every page.
        let client = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let statement = client.prepare_cached(REPLAY_SIZE).await?;
        let size: i64 = client
            .query_one(&statement, &[&team_id, &kinds, &(MAX_REPLAYED + 1)])
            .await?
            .try_get(0)?;
        if size > MAX_REPLAYED {
            return Err(KnownAtError::TooCostly {
                kinds: kinds.join(", "),
            });
        }

        let statement = client.prepare_cached(REPLAY).await?;
        let mut fold = Fold::default();
        let mut votes = need.votes.then(Votes::new);
        for kind in &kinds {
            let mut after = 0_i64;
            loop {
                let rows = client
                    .query(&statement, &[&team_id, kind, &after, &at, &PAGE])
                    .await?;
                for row in &rows {
                    let event = StoredEvent::from_row(row)?;
                    after = event.position;
                    match votes.as_mut() {
                        Some(votes) if *kind == VoteEvent::STREAM_TYPE => tally(votes, &event)?,
                        _ => fold.apply(&event)?,
                    }
                }
                if (rows.len() as i64) < PAGE {
                    break;
                }
            }
        }
        client.commit().await?;
        Ok((Plans::from(fold), Known { at, ideas, votes }))
    }
}
