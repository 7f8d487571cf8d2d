//! The event store's vocabulary (what an append asks for and what it answers), the
//! [`EventLog`] handle with its appends and reads. Group commit lives in `committer.rs`,
//! appends to several streams at once in `append_all.rs`, wake-ups in `wakeup.rs`.
//!
//! Reads of the whole log, or of one team's log, only return events below
//! `events_visible_below()`: positions are taken when a transaction writes but become
//! visible when it commits, so without that bound a reader could pass over an event that
//! commits after a later one and never see it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stride_domain::metric;
use stride_domain::{Actor, EventPayload, RecordedEvent};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::{AppendError, Store, StoreError};

/// The most events one transaction may hold: positions keep 16 bits for the index.
pub(crate) const MAX_EVENTS_PER_TRANSACTION: usize = 1 << 16;

/// What the stream must look like for the append to go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Append whatever the stream's version: for facts that do not depend on state (a vote,
    /// a metric). These never conflict.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must be exactly at this version (its number of events).
    Exactly(i64),
}

impl ExpectedVersion {
    pub(crate) fn as_sql(self) -> Option<i64> {
        match self {
            ExpectedVersion::Any => None,
            ExpectedVersion::NoStream => Some(0),
            ExpectedVersion::Exactly(version) => Some(version),
        }
    }
}

/// Why an event happened: carried in every event's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub actor: Actor,
    pub request_id: Option<String>,
    pub correlation_id: Option<String>,
    pub causation_id: Option<Uuid>,
    /// The import that brought the event in from a file of past history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_id: Option<Uuid>,
}

impl Metadata {
    pub fn new(actor: Actor) -> Metadata {
        Metadata {
            actor,
            request_id: None,
            correlation_id: None,
            causation_id: None,
            import_id: None,
        }
    }
}

/// One event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: i32,
    pub data: serde_json::Value,
}

impl NewEvent {
    /// Wraps a domain event under a fresh time-ordered id.
    pub fn from_domain<E: EventPayload>(event: &E) -> Result<NewEvent, StoreError> {
        Ok(NewEvent {
            event_id: Uuid::now_v7(),
            event_type: event.event_type().to_owned(),
            schema_version: event.schema_version(),
            data: event.encode().map_err(anyhow::Error::from)?,
        })
    }
}

/// Rows outside the event log written in the same transaction as the events, so that they
/// commit with them or not at all.
#[derive(Debug, Clone)]
pub enum SideWrite {
    /// A value that must be unique across the whole store; the append fails with
    /// `AppendError::Claimed` when it is taken.
    Claim {
        scope: String,
        value: String,
    },
    /// A member's personal data and role, added or replaced.
    Member {
        member_id: Uuid,
        name: String,
        email: String,
        role: String,
    },
    MemberRole {
        member_id: Uuid,
        role: String,
    },
    /// The member leaves the team: every one of their tokens stops working in this commit.
    MemberRemoved {
        member_id: Uuid,
    },
    Token {
        token_id: Uuid,
        member_id: Uuid,
        hash: Vec<u8>,
    },
    /// An invitation's invitee and the hash of its one-time code.
    Invitation {
        invitation_id: Uuid,
        email: String,
        name: Option<String>,
        code_hash: Vec<u8>,
        expires_at: chrono::DateTime<chrono::Utc>,
    },
    /// An invitation accepted or revoked: its invitee and code are forgotten.
    InvitationClosed {
        invitation_id: Uuid,
    },
    /// A webhook endpoint's new signing secret; the one it replaces still signs for 24 h.
    WebhookSecret {
        webhook_id: Uuid,
        secret: String,
    },
    /// A deleted webhook endpoint's secrets go with it.
    WebhookDeleted {
        webhook_id: Uuid,
    },
    /// A webhook endpoint set active again starts afresh: its failures before no longer
    /// count towards pausing it.
    WebhookResumed {
        webhook_id: Uuid,
    },
}

/// All events of one command: appended together or not at all.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub team_id: Uuid,
    pub stream_id: Uuid,
    pub stream_type: String,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
    pub metadata: Metadata,
    pub side_writes: Vec<SideWrite>,
}

impl AppendRequest {
    /// A request for the domain events of one command.
    pub fn new<E: EventPayload>(
        team_id: Uuid,
        stream_id: Uuid,
        expected: ExpectedVersion,
        events: &[E],
        metadata: Metadata,
    ) -> Result<AppendRequest, StoreError> {
        Ok(AppendRequest {
            team_id,
            stream_id,
            stream_type: E::STREAM_TYPE.to_owned(),
            expected,
            events: events
                .iter()
                .map(NewEvent::from_domain)
                .collect::<Result<_, _>>()?,
            metadata,
            side_writes: Vec::new(),
        })
    }

    pub fn with_side_write(mut self, write: SideWrite) -> AppendRequest {
        self.side_writes.push(write);
        self
    }

    pub(crate) fn has_claims(&self) -> bool {
        self.side_writes
            .iter()
            .any(|w| matches!(w, SideWrite::Claim { .. }))
    }
}

/// Where an append landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The stream's version after the append (its ETag).
    pub stream_version: i64,
    /// The global position of the last event appended (`Stride-Position`).
    pub position: i64,
    /// When the events were recorded (the database's clock at their transaction).
    pub recorded_at: Option<DateTime<Utc>>,
    /// Whether these events had been stored before (same event ids): nothing was written.
    pub duplicate: bool,
}

/// One event as the log stores and exports it, before decoding (exported without its team: a
/// team's log is read per team).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = EventView))]
pub struct StoredEvent {
    /// Orders the whole log; positions are increasing but not consecutive.
    pub position: i64,
    #[serde(skip_serializing)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub team_id: Uuid,
    pub event_id: Uuid,
    /// The aggregate the event belongs to (a team, a channel, a goal, a post, an idea...).
    pub stream_id: Uuid,
    /// The kind of aggregate, such as `idea`.
    pub stream_type: String,
    /// The event's number in its stream, from 1.
    pub stream_version: i64,
    /// Such as `IdeaSubmitted`.
    pub event_type: String,
    /// The version of the event type's `data` shape.
    pub schema_version: i32,
    /// The event's fields, as its `event_type` and `schema_version` define them.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
    /// Actor, request and correlation ids.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub metadata: serde_json::Value,
    pub recorded_at: DateTime<Utc>,
}

impl StoredEvent {
    pub(crate) fn from_row(row: &Row) -> Result<StoredEvent, tokio_postgres::Error> {
        let event = StoredEvent {
            position: row.try_get("position")?,
            team_id: row.try_get("team_id")?,
            event_id: row.try_get("event_id")?,
            stream_id: row.try_get("stream_id")?,
            stream_type: row.try_get("stream_type")?,
            stream_version: row.try_get("stream_version")?,
            event_type: row.try_get("event_type")?,
            schema_version: row.try_get("schema_version")?,
            data: row.try_get("data")?,
            metadata: row.try_get("metadata")?,
            recorded_at: row.try_get("recorded_at")?,
        };
        Ok(event.upcast())
    }

    /// Every reader sees an event in its current shape: a legacy `MetricRecorded` is read as
    /// the `MetricsRecorded` holding its one observation, at the same position and id.
    fn upcast(mut self) -> StoredEvent {
        if self.event_type == metric::LEGACY_EVENT_TYPE && self.schema_version == 1 {
            let (event_type, data) = metric::upcast_legacy(std::mem::take(&mut self.data));
            self.event_type = event_type.to_owned();
            self.data = data;
        }
        self
    }

    pub fn decode<E: EventPayload>(&self) -> Result<RecordedEvent<E>, StoreError> {
        Ok(RecordedEvent {
            position: self.position,
            stream_version: self.stream_version,
            recorded_at: self.recorded_at,
            event: E::decode(&self.event_type, self.schema_version, self.data.clone())?,
        })
    }
}

/// One aggregate's events and its version.
#[derive(Debug, Clone)]
pub struct Stream<E> {
    pub version: i64,
    pub events: Vec<RecordedEvent<E>>,
}

const READ_STREAM: &str = include_str!("sql/read_stream.sql");
const READ_ALL_AFTER: &str = include_str!("sql/read_all_after.sql");
// As READ_ALL_AFTER, with the payloads of events not of `$3`'s types left out.
const READ_TYPES_AFTER: &str = "SELECT position, team_id, event_id, stream_id, stream_type, stream_version, \
       event_type, schema_version, \
       CASE WHEN stream_type = ANY($3) THEN data ELSE 'null'::jsonb END AS data, \
       CASE WHEN stream_type = ANY($3) THEN metadata ELSE 'null'::jsonb END AS metadata, recorded_at \
     FROM events WHERE position > $1 AND position < events_visible_below() ORDER BY position LIMIT $2";
const READ_TEAM_STREAMS: &str = include_str!("sql/read_team_streams.sql");
const STREAM_IDS: &str = "SELECT stream_id FROM streams WHERE team_id = $1 AND stream_type = $2";
const EXISTING_STREAMS: &str =
    "SELECT stream_id FROM streams WHERE team_id = $1 AND stream_type = $2 AND stream_id = ANY($3)";
const READ_TEAM_AFTER: &str = include_str!("sql/read_team_after.sql");
// No condition on the stream type, which is checked on each row instead: with one, the
// planner may walk every event of that type in the team (the by-type index) rather than
// look each stream up.
const READ_STREAMS: &str = "SELECT position, team_id, event_id, stream_id, stream_type, stream_version, \
       event_type, schema_version, data, metadata, recorded_at \
     FROM events WHERE team_id = $1 AND stream_id = ANY($2) ORDER BY stream_id, stream_version";
const COMMITTED_HEAD: &str = "SELECT coalesce(max(position), 0) FROM events";
const VISIBLE_HEAD: &str =
    "SELECT coalesce(max(position), 0) FROM events WHERE position < events_visible_below()";

/// The event log: appends, reads of streams and of the log, visibility and wake-ups.
#[derive(Debug, Clone, Copy)]
pub struct EventLog<'a> {
    pub(crate) store: &'a Store,
}

impl Store {
    /// The event log: appends, reads, visibility and wake-ups.
    pub fn events(&self) -> EventLog<'_> {
        EventLog { store: self }
    }
}

impl EventLog<'_> {
    /// Appends the events of one command: all or none, checked against the expected version.
    pub async fn append(self, request: AppendRequest) -> Result<Appended, AppendError> {
        if request.events.is_empty() || request.events.len() > MAX_EVENTS_PER_TRANSACTION / 2 {
            return Err(AppendError::Store(StoreError::Internal(anyhow::anyhow!(
                "an append holds 1 to {} events, not {}",
                MAX_EVENTS_PER_TRANSACTION / 2,
                request.events.len()
            ))));
        }
        let changes_tokens = request.side_writes.iter().any(|w| {
            matches!(
                w,
                SideWrite::MemberRole { .. } | SideWrite::MemberRemoved { .. }
            )
        });
        let appended = self.store.committer().append(request).await;
        if changes_tokens {
            // Other processes hear of it from the NOTIFY the transaction sent.
            self.store.member_tokens().forget();
        }
        self.store.notify_appended();
        appended
    }

    /// Every event of one stream of `E`'s type, in order, decoded. A stream of another
    /// type reads as empty.
    pub async fn read_stream<E: EventPayload>(
        self,
        team_id: Uuid,
        stream_id: Uuid,
    ) -> Result<Stream<E>, StoreError> {
        let client = self.store.pool().get().await?;
        let statement = client.prepare_cached(READ_STREAM).await?;
        let rows = client
            .query(&statement, &[&team_id, &stream_id, &E::STREAM_TYPE])
            .await?;
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            events.push(StoredEvent::from_row(row)?.decode::<E>()?);
        }
        let version = events.last().map_or(0, |e| e.stream_version);
        Ok(Stream { version, events })
    }

    /// Every stream of one kind (`E::STREAM_TYPE`) in a team, decoded, by stream id.
    pub async fn read_team_streams<E: EventPayload>(
        self,
        team_id: Uuid,
    ) -> Result<std::collections::BTreeMap<Uuid, Stream<E>>, StoreError> {
        let client = self.store.pool().get().await?;
        let statement = client.prepare_cached(READ_TEAM_STREAMS).await?;
        let rows = client
            .query(&statement, &[&team_id, &E::STREAM_TYPE])
            .await?;
        by_stream(&rows)
    }

    /// The streams `stream_ids` of `E`'s type in a team, decoded, by stream id; ids of
    /// other streams are left out.
    pub async fn read_streams<E: EventPayload>(
        self,
        team_id: Uuid,
        stream_ids: &[Uuid],
    ) -> Result<std::collections::BTreeMap<Uuid, Stream<E>>, StoreError> {
        let client = self.store.pool().get().await?;
        let statement = client.prepare_cached(READ_STREAMS).await?;
        let rows = client.query(&statement, &[&team_id, &stream_ids]).await?;
        by_stream(
            rows.iter()
                .filter(|row| row.try_get::<_, &str>("stream_type").ok() == Some(E::STREAM_TYPE)),
        )
    }

    /// The ids of every stream of one kind (`E::STREAM_TYPE`) in a team, without reading
    /// their events.
    pub async fn stream_ids<E: EventPayload>(
        self,
        team_id: Uuid,
    ) -> Result<std::collections::BTreeSet<Uuid>, StoreError> {
        self.store
            .query_rows(STREAM_IDS, &[&team_id, &E::STREAM_TYPE], |r| r.try_get(0))
            .await
    }

    /// Which of `stream_ids` are streams of `stream_type` in the team.
    pub async fn existing_streams(
        self,
        team_id: Uuid,
        stream_type: &str,
        stream_ids: &[Uuid],
    ) -> Result<std::collections::BTreeSet<Uuid>, StoreError> {
        if stream_ids.is_empty() {
            return Ok(Default::default());
        }
        self.store
            .query_rows(
                EXISTING_STREAMS,
                &[&team_id, &stream_type, &stream_ids],
                |r| r.try_get(0),
            )
            .await
    }

    /// Events of all teams after `position`, oldest first, never skipping one that commits late.
    pub async fn read_all_after(
        self,
        position: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        read_all_after_on(&*self.store.pool().get().await?, position, limit).await
    }

    /// One team's events after `position`, oldest first, with the same guarantee.
    pub async fn read_team_after(
        self,
        team_id: Uuid,
        position: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.store
            .query_rows(
                READ_TEAM_AFTER,
                &[&team_id, &position, &limit],
                StoredEvent::from_row,
            )
            .await
    }

    /// Waits until readers can see `position` (every transaction that could still write
    /// below it has ended), at most `timeout`. Returns whether it became visible.
    pub async fn wait_visible(
        self,
        position: i64,
        timeout: std::time::Duration,
    ) -> Result<bool, StoreError> {
        wait_visible_on(&*self.store.pool().get().await?, position, timeout).await
    }

    /// Every position below this bound is final: no transaction can still write there.
    pub async fn visible_bound(self) -> Result<i64, StoreError> {
        visible_bound_on(&*self.store.pool().get().await?).await
    }

    /// The newest position committed before this call, whether or not readers of the log
    /// may see it yet: what a read must wait for to include every acknowledged write.
    pub async fn committed_head(self) -> Result<i64, StoreError> {
        let client = self.store.pool().get().await?;
        let statement = client.prepare_cached(COMMITTED_HEAD).await?;
        Ok(client.query_one(&statement, &[]).await?.try_get(0)?)
    }

    /// The highest position a reader can see now.
    pub async fn visible_head(self) -> Result<i64, StoreError> {
        visible_head_on(&self.store.pool().get().await?).await
    }
}

/// Rows of events as stored, in their order.
pub(crate) fn stored_events(rows: &[Row]) -> Result<Vec<StoredEvent>, StoreError> {
    Ok(rows
        .iter()
        .map(StoredEvent::from_row)
        .collect::<Result<_, _>>()?)
}

/// Rows of events grouped into their streams, decoded, by stream id.
fn by_stream<'a, E: EventPayload>(
    rows: impl IntoIterator<Item = &'a Row>,
) -> Result<std::collections::BTreeMap<Uuid, Stream<E>>, StoreError> {
    let mut streams = std::collections::BTreeMap::<Uuid, Stream<E>>::new();
    for row in rows {
        let stored = StoredEvent::from_row(row)?;
        let stream = streams.entry(stored.stream_id).or_insert_with(|| Stream {
            version: 0,
            events: Vec::new(),
        });
        stream.version = stored.stream_version;
        stream.events.push(stored.decode::<E>()?);
    }
    Ok(streams)
}

/// [`EventLog::read_all_after`] on a connection the caller already holds.
pub(crate) async fn read_all_after_on(
    client: &deadpool_postgres::ClientWrapper,
    position: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let statement = client.prepare_cached(READ_ALL_AFTER).await?;
    let rows = client.query(&statement, &[&position, &limit]).await?;
    stored_events(&rows)
}

/// [`read_all_after_on`] for a reader of `stream_types` only: every event comes, so that
/// positions stay gap-free, but the others without their data and metadata (JSON `null`),
/// which spares decoding what the reader skips.
pub(crate) async fn read_types_after_on(
    client: &deadpool_postgres::ClientWrapper,
    position: i64,
    limit: i64,
    stream_types: &[&str],
) -> Result<Vec<StoredEvent>, StoreError> {
    let statement = client.prepare_cached(READ_TYPES_AFTER).await?;
    let rows = client
        .query(&statement, &[&position, &limit, &stream_types])
        .await?;
    stored_events(&rows)
}

/// [`EventLog::visible_bound`] on a connection the caller already holds.
async fn visible_bound_on(client: &deadpool_postgres::ClientWrapper) -> Result<i64, StoreError> {
    let statement = client
        .prepare_cached("SELECT events_visible_below()")
        .await?;
    Ok(client.query_one(&statement, &[]).await?.try_get(0)?)
}

/// [`EventLog::wait_visible`] on a connection the caller already holds: waits until every
/// position up to `position` is final; `false` after `timeout`.
pub(crate) async fn wait_visible_on(
    client: &deadpool_postgres::ClientWrapper,
    position: i64,
    timeout: std::time::Duration,
) -> Result<bool, StoreError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = std::time::Duration::from_millis(1);
    loop {
        if visible_bound_on(client).await? > position {
            return Ok(true);
        }
        if tokio::time::Instant::now() + pause > deadline {
            return Ok(false);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_millis(50));
    }
}

/// The visible head, read on a connection the caller already holds.
pub(crate) async fn visible_head_on(client: &deadpool_postgres::Client) -> Result<i64, StoreError> {
    let statement = client.prepare_cached(VISIBLE_HEAD).await?;
    Ok(client.query_one(&statement, &[]).await?.try_get(0)?)
}
