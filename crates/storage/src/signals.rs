//! The signal watcher's memory ([`Signals`]): which teams it watches (those with an active
//! webhook endpoint that names a signal it raises, or `*`), what it last saw of each subject
//! there, and the messages of what changed, queued in the transaction that records the
//! change, so that each change is announced once however many servers watch.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::{Store, StoreError};

/// What the watcher sees of one subject now: a goal's status, a cadence period at risk, an
/// idea among the trending ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub signal: &'static str,
    pub subject_id: Uuid,
    /// Compared with what was seen before: a change may be announced.
    pub state: String,
}

/// A message a change makes: its signal and body.
pub type Message = (&'static str, Value);

/// Active endpoints of a team: id and the event types each names.
pub type Endpoints = Vec<(Uuid, Vec<String>)>;

// Teams with an active endpoint naming one of `$1` or `*`, and those endpoints.
const WATCHED: &str = "SELECT team_id, webhook_id, event_types FROM webhook_endpoints \
     WHERE active AND (event_types && $1::text[] OR '*' = ANY(event_types)) ORDER BY team_id, webhook_id";
const FORGET: &str = "DELETE FROM webhook_signal_teams WHERE NOT (team_id = ANY($1))";
// Teams among `$1` with events in (`$2`, `$3`].
const MOVED: &str = "SELECT t FROM unnest($1::uuid[]) AS t \
     WHERE EXISTS (SELECT 1 FROM events WHERE team_id = t AND position > $2 AND position <= $3)";
const WATCH: &str = "INSERT INTO webhook_signal_teams (team_id) VALUES ($1) ON CONFLICT DO NOTHING";
// Holds the team's row while its changes are worked out: a second watcher (in the moment
// one server takes over from another) waits, then sees what the first recorded.
const HOLD: &str = "SELECT 1 FROM webhook_signal_teams WHERE team_id = $1 FOR UPDATE";
const SEEN: &str = "SELECT signal, subject_id, state FROM webhook_signals WHERE team_id = $1";
const GONE: &str = "DELETE FROM webhook_signals AS s USING unnest($2::text[], $3::uuid[]) AS x (signal, subject) \
     WHERE s.team_id = $1 AND s.signal = x.signal AND s.subject_id = x.subject";
const SEE: &str = "INSERT INTO webhook_signals (team_id, signal, subject_id, state) \
     SELECT $1, * FROM unnest($2::text[], $3::uuid[], $4::text[]) \
     ON CONFLICT (team_id, signal, subject_id) DO UPDATE SET state = excluded.state";

/// The watcher's side of storage.
#[derive(Debug, Clone, Copy)]
pub struct Signals<'a> {
    store: &'a Store,
}

impl Store {
    /// The signal watcher's memory.
    pub fn signals(&self) -> Signals<'_> {
        Signals { store: self }
    }
}

impl Signals<'_> {
    /// The teams with an active endpoint that names one of `signals` or `*`, with those
    /// endpoints.
    pub async fn watched(self, signals: &[&str]) -> Result<BTreeMap<Uuid, Endpoints>, StoreError> {
        let signals: Vec<&str> = signals.to_vec();
        let rows: Vec<(Uuid, Uuid, Vec<String>)> = self
            .store
            .query_rows(WATCHED, &[&signals], |r| {
                Ok::<_, tokio_postgres::Error>((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
            })
            .await?;
        let mut teams: BTreeMap<Uuid, Endpoints> = BTreeMap::new();
        for (team_id, webhook_id, event_types) in rows {
            teams
                .entry(team_id)
                .or_default()
                .push((webhook_id, event_types));
        }
        Ok(teams)
    }

    /// Forgets every team but `watched`, with what was seen there: watched again later, a
    /// team starts afresh.
    pub async fn forget_others(self, watched: &[Uuid]) -> Result<u64, StoreError> {
        self.store.execute(FORGET, &[&watched]).await
    }

    /// Those of `teams` with events in (`after`, `upto`].
    pub async fn moved(
        self,
        teams: &[Uuid],
        after: i64,
        upto: i64,
    ) -> Result<Vec<Uuid>, StoreError> {
        self.store
            .query_rows(MOVED, &[&teams, &after, &upto], |r| r.try_get(0))
            .await
    }

    /// Records what is seen of a team now (`observed`: every subject of every signal the
    /// watcher raises there) and queues, for each endpoint that names its signal, the message
    /// `announce` makes of each change (given what was seen before, if anything). Subjects
    /// no longer seen are forgotten. The number of messages queued.
    pub async fn record(
        self,
        team_id: Uuid,
        observed: &[Observed],
        endpoints: &Endpoints,
        position: i64,
        announce: impl Fn(&Observed, Option<&str>) -> Option<Message>,
    ) -> Result<usize, StoreError> {
        let mut client = self.store.pool().get().await?;
        let tx = client.transaction().await?;
        tx.execute(WATCH, &[&team_id]).await?;
        tx.execute(HOLD, &[&team_id]).await?;
        let mut seen: BTreeMap<(String, Uuid), String> = BTreeMap::new();
        for row in tx.query(SEEN, &[&team_id]).await? {
            seen.insert((row.try_get(0)?, row.try_get(1)?), row.try_get(2)?);
        }
        let now: BTreeSet<(&str, Uuid)> =
            observed.iter().map(|o| (o.signal, o.subject_id)).collect();
        let (gone_signals, gone_subjects): (Vec<&str>, Vec<Uuid>) = seen
            .keys()
            .filter(|(signal, subject)| !now.contains(&(signal.as_str(), *subject)))
            .map(|(signal, subject)| (signal.as_str(), *subject))
            .unzip();
        let mut changed = (Vec::new(), Vec::new(), Vec::new());
        let mut messages: Vec<Message> = Vec::new();
        for o in observed {
            let before = seen.get(&(o.signal.to_owned(), o.subject_id));
            if before == Some(&o.state) {
                continue;
            }
            changed.0.push(o.signal);
            changed.1.push(o.subject_id);
            changed.2.push(o.state.as_str());
            messages.extend(announce(o, before.map(String::as_str)));
        }
        if !gone_signals.is_empty() {
            tx.execute(GONE, &[&team_id, &gone_signals, &gone_subjects])
                .await?;
        }
        if !changed.0.is_empty() {
            tx.execute(SEE, &[&team_id, &changed.0, &changed.1, &changed.2])
                .await?;
        }
        let mut queue = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (signal, body) in &messages {
            for (webhook_id, event_types) in endpoints {
                if stride_domain::webhook::names(event_types, signal) {
                    queue.0.push(Uuid::now_v7());
                    queue.1.push(*webhook_id);
                    queue.2.push(*signal);
                    queue.3.push(body);
                }
            }
        }
        let queued = queue.0.len();
        if queued > 0 {
            let teams = vec![team_id; queued];
            let positions = vec![position; queued];
            let params: [&(dyn ToSql + Sync); 6] =
                [&teams, &queue.0, &queue.1, &queue.2, &positions, &queue.3];
            tx.execute(crate::projections::outbox::QUEUE, &params)
                .await?;
        }
        tx.commit().await?;
        if queued > 0 {
            self.store.deliveries().wake();
        }
        Ok(queued)
    }
}
