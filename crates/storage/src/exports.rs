//! Exports ([`Exports`]): a team's observations, posts, ideas and events read straight from
//! PostgreSQL, a page at a time, through a cursor (a portal) in one read-only transaction:
//! every page comes from the same snapshot, memory stays that of a page or two whatever the
//! team's size, and the first page leaves as soon as it is read. Each dataset is read in the
//! order of an index, so nothing is sorted before the first row.
//!
//! A read-only transaction takes no transaction id, so a long export never holds back the
//! readers of the log (see `events_visible_below`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use stride_domain::EventPayload;
use stride_domain::idea::{Idea, IdeaEvent};
use stride_domain::post::{Post, PostEvent};
use tokio::sync::mpsc;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::events::StoredEvent;
use crate::projections::aggregates::stored;
use crate::{Store, StoreError};

/// Rows read per page.
pub const PAGE: i32 = 1000;
/// Pages read ahead of the one being sent.
const AHEAD: usize = 2;

/// A page of an export, or why it ended early.
pub type Page<T> = Result<Vec<T>, StoreError>;

/// One observation as exported.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationRow {
    pub channel_id: Uuid,
    pub metric: String,
    pub post_id: Option<Uuid>,
    pub observed_at: DateTime<Utc>,
    pub value: f64,
    pub recorded_at: DateTime<Utc>,
}

/// An idea as exported: its state, when it was submitted, and its own voters.
#[derive(Debug, Clone, PartialEq)]
pub struct IdeaRow {
    pub idea: Idea,
    pub submitted_at: DateTime<Utc>,
    pub voters: i32,
}

/// How a person is named in an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    Given(String),
    /// They gave none.
    None,
    /// Their name was erased.
    Erased,
}

// In the primary key's order: no sort before the first row.
const OBSERVATIONS: &str = "SELECT channel_id, metric, nullif(post_id, '00000000-0000-0000-0000-000000000000'), \
       observed_at, value, recorded_at \
     FROM metric_observations \
     WHERE team_id = $1 AND ($2::timestamptz IS NULL OR observed_at >= $2) \
       AND ($3::timestamptz IS NULL OR observed_at < $3) \
     ORDER BY team_id, channel_id, metric, post_id, observed_at";
const STATES: &str = "SELECT state, created_at FROM aggregates \
     WHERE team_id = $1 AND stream_type = $2 ORDER BY team_id, stream_id";
const IDEAS: &str = "SELECT a.state, a.created_at, coalesce(s.voters, 0) FROM aggregates AS a \
     LEFT JOIN idea_scores AS s ON s.team_id = a.team_id AND s.idea_id = a.stream_id \
     WHERE a.team_id = $1 AND a.stream_type = $2 \
       AND ($3::timestamptz IS NULL OR a.created_at >= $3) AND ($4::timestamptz IS NULL OR a.created_at < $4) \
     ORDER BY a.team_id, a.stream_id";
const EVENTS: &str = "SELECT position, team_id, event_id, stream_id, stream_type, stream_version, \
       event_type, schema_version, data, metadata, recorded_at \
     FROM events \
     WHERE team_id = $1 AND position < events_visible_below() \
       AND ($2::timestamptz IS NULL OR recorded_at >= $2) AND ($3::timestamptz IS NULL OR recorded_at < $3) \
     ORDER BY team_id, position";
const NAMES: &str = "SELECT contributor_id, name, erased_at IS NOT NULL FROM contributors \
     WHERE team_id = $1 AND contributor_id = ANY($2) \
     UNION ALL SELECT member_id, name, erased_at IS NOT NULL FROM members \
     WHERE team_id = $1 AND member_id = ANY($2)";

type Params = Vec<Box<dyn ToSql + Send + Sync>>;

/// Reading a team's data out, page by page.
#[derive(Debug, Clone, Copy)]
pub struct Exports<'a> {
    store: &'a Store,
}

impl Store {
    /// Exports: a team's data read out page by page.
    pub fn exports(&self) -> Exports<'_> {
        Exports { store: self }
    }
}

impl Exports<'_> {
    /// Observations with `observed_at` in `[from, to)`, by channel, metric, post and time.
    pub fn observations(
        self,
        team_id: Uuid,
        (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    ) -> mpsc::Receiver<Page<ObservationRow>> {
        let params: Params = vec![Box::new(team_id), Box::new(from), Box::new(to)];
        pages(self.store, OBSERVATIONS, params, |r| {
            Ok(ObservationRow {
                channel_id: r.try_get(0)?,
                metric: r.try_get(1)?,
                post_id: r.try_get(2)?,
                observed_at: r.try_get(3)?,
                value: r.try_get(4)?,
                recorded_at: r.try_get(5)?,
            })
        })
    }

    /// Every post of the team, drafts included, by id.
    pub fn posts(self, team_id: Uuid) -> mpsc::Receiver<Page<Post>> {
        let params: Params = vec![Box::new(team_id), Box::new(PostEvent::STREAM_TYPE)];
        pages(self.store, STATES, params, |r| stored(r.try_get(0)?))
    }

    /// Ideas submitted in `[from, to)`, by id, with their own voters.
    pub fn ideas(
        self,
        team_id: Uuid,
        (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    ) -> mpsc::Receiver<Page<IdeaRow>> {
        let params: Params = vec![
            Box::new(team_id),
            Box::new(IdeaEvent::STREAM_TYPE),
            Box::new(from),
            Box::new(to),
        ];
        pages(self.store, IDEAS, params, |r| {
            Ok(IdeaRow {
                idea: stored(r.try_get(0)?)?,
                submitted_at: r.try_get(1)?,
                voters: r.try_get(2)?,
            })
        })
    }

    /// The team's events recorded in `[from, to)`, by position, as the log serves them.
    pub fn events(
        self,
        team_id: Uuid,
        (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    ) -> mpsc::Receiver<Page<StoredEvent>> {
        let params: Params = vec![Box::new(team_id), Box::new(from), Box::new(to)];
        pages(self.store, EVENTS, params, |r| {
            Ok(StoredEvent::from_row(r)?)
        })
    }

    /// How the team's contributors and members among `ids` are named.
    pub async fn names(
        self,
        team_id: Uuid,
        ids: &[Uuid],
    ) -> Result<BTreeMap<Uuid, Name>, StoreError> {
        self.store
            .query_rows(NAMES, &[&team_id, &ids], |r| {
                let name: Option<String> = r.try_get(1)?;
                let erased: bool = r.try_get(2)?;
                let name = match (erased, name) {
                    (true, _) => Name::Erased,
                    (false, Some(given)) => Name::Given(given),
                    (false, None) => Name::None,
                };
                Ok::<_, tokio_postgres::Error>((r.try_get(0)?, name))
            })
            .await
    }
}

/// Reads `sql` page by page on a connection of its own, in a read-only repeatable-read
/// transaction, converting each row with `convert`, into a channel that holds [`AHEAD`]
/// pages: reading waits while the receiver is slow, and stops when it is dropped. An error
/// ends the pages with it.
fn pages<T: Send + 'static>(
    store: &Store,
    sql: &'static str,
    params: Params,
    convert: fn(&Row) -> Result<T, StoreError>,
) -> mpsc::Receiver<Page<T>> {
    let (sender, receiver) = mpsc::channel(AHEAD);
    let store = store.clone();
    tokio::spawn(async move {
        let read = async {
            let mut client = store.pool().get().await?;
            let tx = client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            let statement = tx.prepare(sql).await?;
            let portal = tx.bind(&statement, &refs).await?;
            loop {
                let rows = tx.query_portal(&portal, PAGE).await?;
                let last = rows.len() < PAGE as usize;
                let page = rows.iter().map(convert).collect::<Result<Vec<T>, _>>()?;
                if !page.is_empty() && sender.send(Ok(page)).await.is_err() {
                    // The receiver is gone (the client went away): stop reading.
                    return Ok::<(), StoreError>(());
                }
                if last {
                    return Ok(());
                }
            }
        };
        if let Err(error) = read.await {
            let _ = sender.send(Err(error)).await;
        }
    });
    receiver
}
