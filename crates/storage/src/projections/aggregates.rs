//! The aggregates projection: the current state of every channel, goal, post and idea,
//! folded by the domain's own `apply` functions and kept as JSON, so that reads load rows
//! instead of replaying streams. The same fold serves `known_at` reads, which replay the
//! events recorded up to an instant into a [`Fold`] in memory.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use serde_json::Value;
use stride_domain::channel::{Channel, ChannelEvent};
use stride_domain::goal::{Goal, GoalEvent};
use stride_domain::idea::{Idea, IdeaEvent};
use stride_domain::post::{Post, PostEvent, PostStatus};
use stride_domain::{Aggregate, EventPayload};
use uuid::Uuid;

use crate::StoreError;
use crate::events::StoredEvent;
use crate::projector::Projection;

#[derive(Debug, Clone, Copy, Default)]
pub struct Aggregates;

/// One folded aggregate.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Channel(Channel),
    Goal(Goal),
    Post(Post),
    Idea(Idea),
}

impl State {
    fn stream_type(&self) -> &'static str {
        match self {
            State::Channel(_) => ChannelEvent::STREAM_TYPE,
            State::Goal(_) => GoalEvent::STREAM_TYPE,
            State::Post(_) => PostEvent::STREAM_TYPE,
            State::Idea(_) => IdeaEvent::STREAM_TYPE,
        }
    }

    fn to_json(&self) -> Result<Value, serde_json::Error> {
        match self {
            State::Channel(c) => serde_json::to_value(c),
            State::Goal(g) => serde_json::to_value(g),
            State::Post(p) => serde_json::to_value(p),
            State::Idea(i) => serde_json::to_value(i),
        }
    }

    /// A stored state of `stream_type`; `None` for a type not folded here.
    pub(crate) fn from_json(stream_type: &str, state: Value) -> Result<Option<State>, StoreError> {
        Ok(match stream_type {
            t if t == ChannelEvent::STREAM_TYPE => Some(State::Channel(stored(state)?)),
            t if t == GoalEvent::STREAM_TYPE => Some(State::Goal(stored(state)?)),
            t if t == PostEvent::STREAM_TYPE => Some(State::Post(stored(state)?)),
            t if t == IdeaEvent::STREAM_TYPE => Some(State::Idea(stored(state)?)),
            _ => None,
        })
    }

    /// The instant the row is found by: a post's publication, or its schedule.
    fn at(&self) -> Option<DateTime<Utc>> {
        match self {
            State::Post(p) if p.status == PostStatus::Published => p.published_at,
            State::Post(p) if p.status == PostStatus::Scheduled => p.scheduled_for,
            _ => None,
        }
    }
}

/// An aggregate's state as the projection stored it.
pub(crate) fn stored<T: serde::de::DeserializeOwned>(state: Value) -> Result<T, StoreError> {
    serde_json::from_value(state)
        .map_err(|e| StoreError::Internal(anyhow::Error::new(e).context("a stored aggregate")))
}

/// An aggregate folded here, and its place in [`State`].
trait Folded: Aggregate {
    fn into_state(self) -> State;
    /// The aggregate `state` holds, if it is one of this kind.
    fn from_state(state: State) -> Option<Self>;
}

macro_rules! folded {
    ($($kind:ident),*) => {$(
        impl Folded for $kind {
            fn into_state(self) -> State {
                State::$kind(self)
            }

            fn from_state(state: State) -> Option<Self> {
                match state {
                    State::$kind(s) => Some(s),
                    _ => None,
                }
            }
        }
    )*};
}

folded!(Channel, Goal, Post, Idea);

/// `prior` after `event`, both of the aggregate `A`, by the domain's own `apply`.
fn advance<A: Folded>(
    prior: Option<State>,
    event: &StoredEvent,
) -> Result<Option<State>, StoreError> {
    let event = event.decode::<A::Event>()?.event;
    Ok(A::apply(prior.and_then(A::from_state), &event).map(A::into_state))
}

/// A folded row: its state, the last position applied and when its stream began.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub team_id: Uuid,
    pub state: State,
    pub position: i64,
    /// The stream's version after the last event applied.
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

/// Folds events into aggregate states: the projection's batches and `known_at` replays.
#[derive(Debug, Default)]
pub struct Fold {
    pub rows: BTreeMap<Uuid, Row>,
}

impl Fold {
    /// Applies one event unless its row has applied it already. Events of other streams
    /// (teams, votes, metrics) are not folded here.
    pub fn apply(&mut self, event: &StoredEvent) -> Result<(), StoreError> {
        let current = self.rows.get(&event.stream_id);
        if current.is_some_and(|r| r.position >= event.position) {
            return Ok(());
        }
        let prior = current.map(|r| r.state.clone());
        let next = match event.stream_type.as_str() {
            t if t == ChannelEvent::STREAM_TYPE => advance::<Channel>(prior, event)?,
            t if t == GoalEvent::STREAM_TYPE => advance::<Goal>(prior, event)?,
            t if t == PostEvent::STREAM_TYPE => advance::<Post>(prior, event)?,
            t if t == IdeaEvent::STREAM_TYPE => advance::<Idea>(prior, event)?,
            _ => return Ok(()),
        };
        if let Some(state) = next {
            let created_at = current.map_or(event.recorded_at, |r| r.created_at);
            self.rows.insert(
                event.stream_id,
                Row {
                    team_id: event.team_id,
                    state,
                    position: event.position,
                    version: event.stream_version,
                    created_at,
                },
            );
        }
        Ok(())
    }
}

/// The stream types folded here.
const FOLDED: [&str; 4] = [
    ChannelEvent::STREAM_TYPE,
    GoalEvent::STREAM_TYPE,
    PostEvent::STREAM_TYPE,
    IdeaEvent::STREAM_TYPE,
];

// Each (team, stream) pair looked up along the primary key, one probe each: as a plain join
// the planner, guessing a hundred pairs, would hash the whole table instead (about 1 ms per
// batch at 26k ideas), and `team_id = ANY AND stream_id = ANY` would probe every team
// against every stream. The LIMIT keeps the lateral lookup from being turned into a join.
const LOAD: &str = "SELECT a.team_id, a.stream_id, a.stream_type, a.state, a.position, a.created_at, a.version \
     FROM unnest($1::uuid[], $2::uuid[]) AS k (team_id, stream_id) \
     CROSS JOIN LATERAL (SELECT * FROM aggregates \
       WHERE team_id = k.team_id AND stream_id = k.stream_id LIMIT 1) AS a";
const STORE: &str = "INSERT INTO aggregates (team_id, stream_id, stream_type, state, at, position, created_at, version) \
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[], $5::timestamptz[], $6::bigint[], $7::timestamptz[], $8::bigint[]) \
     ON CONFLICT (team_id, stream_id) DO UPDATE SET state = excluded.state, at = excluded.at, position = excluded.position, \
         version = excluded.version";

fn folded(row: &tokio_postgres::Row) -> Result<Option<(Uuid, Row)>, StoreError> {
    let stream_type: String = row.try_get(2)?;
    let Some(state) = State::from_json(&stream_type, row.try_get(3)?)? else {
        return Ok(None);
    };
    Ok(Some((
        row.try_get(1)?,
        Row {
            team_id: row.try_get(0)?,
            state,
            position: row.try_get(4)?,
            created_at: row.try_get(5)?,
            version: row.try_get(6)?,
        },
    )))
}

impl Aggregates {
    async fn apply_batch(
        &self,
        tx: &Transaction<'_>,
        events: &[StoredEvent],
    ) -> Result<(), StoreError> {
        let folds: Vec<&StoredEvent> = events
            .iter()
            .filter(|e| FOLDED.contains(&e.stream_type.as_str()))
            .collect();
        if folds.is_empty() {
            return Ok(());
        }
        let keys: std::collections::BTreeSet<(Uuid, Uuid)> =
            folds.iter().map(|e| (e.team_id, e.stream_id)).collect();
        let (teams, streams): (Vec<Uuid>, Vec<Uuid>) = keys.into_iter().unzip();
        let statement = tx.prepare_cached(LOAD).await?;
        let mut fold = Fold::default();
        for row in tx.query(&statement, &[&teams, &streams]).await? {
            if let Some((id, row)) = folded(&row)? {
                fold.rows.insert(id, row);
            }
        }
        let touched: std::collections::BTreeSet<Uuid> = streams.into_iter().collect();
        let mut counts = IdeaCounts::default();
        counts.leave(&fold, &touched);
        for event in &folds {
            fold.apply(event)?;
        }
        counts.enter(&fold, &touched);
        let mut columns = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for (id, row) in fold.rows.iter().filter(|(id, _)| touched.contains(id)) {
            columns.0.push(row.team_id);
            columns.1.push(*id);
            columns.2.push(row.state.stream_type());
            columns.3.push(
                row.state
                    .to_json()
                    .map_err(|e| StoreError::Internal(e.into()))?,
            );
            columns.4.push(row.state.at());
            columns.5.push(row.position);
            columns.6.push(row.created_at);
            columns.7.push(row.version);
        }
        let statement = tx.prepare_cached(STORE).await?;
        tx.execute(
            &statement,
            &[
                &columns.0, &columns.1, &columns.2, &columns.3, &columns.4, &columns.5, &columns.6,
                &columns.7,
            ],
        )
        .await?;
        counts.store(tx).await
    }
}

const COUNT_IDEAS: &str = "INSERT INTO idea_counts (team_id, status, ideas) \
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::int8[]) \
     ON CONFLICT (team_id, status) DO UPDATE SET ideas = idea_counts.ideas + excluded.ideas";

/// How a batch moves each team's count of ideas by status (merged duplicates not counted).
#[derive(Default)]
struct IdeaCounts(BTreeMap<(Uuid, &'static str), i64>);

impl IdeaCounts {
    fn counted(row: &Row) -> Option<(Uuid, &'static str)> {
        match &row.state {
            State::Idea(idea) if idea.merged_into.is_none() => {
                Some((row.team_id, idea.status.as_str()))
            }
            _ => None,
        }
    }

    fn add(&mut self, fold: &Fold, touched: &std::collections::BTreeSet<Uuid>, by: i64) {
        for id in touched {
            if let Some(key) = fold.rows.get(id).and_then(Self::counted) {
                *self.0.entry(key).or_default() += by;
            }
        }
    }

    /// The touched ideas as they were before the batch leave their counts...
    fn leave(&mut self, fold: &Fold, touched: &std::collections::BTreeSet<Uuid>) {
        self.add(fold, touched, -1);
    }

    /// ...and enter them as they are after it.
    fn enter(&mut self, fold: &Fold, touched: &std::collections::BTreeSet<Uuid>) {
        self.add(fold, touched, 1);
    }

    async fn store(self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        let mut columns = (Vec::new(), Vec::new(), Vec::new());
        for ((team, status), by) in self.0.into_iter().filter(|(_, by)| *by != 0) {
            columns.0.push(team);
            columns.1.push(status);
            columns.2.push(by);
        }
        if columns.0.is_empty() {
            return Ok(());
        }
        let statement = tx.prepare_cached(COUNT_IDEAS).await?;
        tx.execute(&statement, &[&columns.0, &columns.1, &columns.2])
            .await?;
        Ok(())
    }
}

impl Projection for Aggregates {
    const NAME: &'static str = "aggregates";
    const TABLES: &'static [&'static str] = &["aggregates", "idea_counts"];
    const STREAM_TYPES: &'static [&'static str] = &FOLDED;

    async fn apply<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        events: &'a [StoredEvent],
    ) -> Result<(), StoreError> {
        self.apply_batch(tx, events).await
    }
}
