//! Metric observations ([`Observations`]): recorded idempotently per (channel, metric, post,
//! observed_at), with their time series read back in buckets. Bulk seeding for the benchmark
//! is in `seed.rs`; the series read models read, as of an instant, are in `facts.rs`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use stride_domain::metric::{self, Metric, MetricEvent, Observation, RecordedObservation};
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::{AppendError, AppendRequest, ExpectedVersion, Metadata, Store, StoreError};

const LATEST_BEFORE: &str = "SELECT value FROM metric_observations \
     WHERE team_id = $1 AND channel_id = $2 AND metric = $3 AND post_id = $4 AND observed_at < $5 \
     ORDER BY observed_at DESC LIMIT 1";

/// What a batch changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// New observations.
    pub recorded: usize,
    /// Observations whose value changed: recorded as corrections, the originals kept.
    pub corrected: usize,
    /// Observations repeated with the value already recorded: nothing written.
    pub unchanged: usize,
    /// The position of the last event written, or the visible head when nothing was.
    pub position: i64,
}

/// One bucket of a time series.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Point))]
pub struct Bucket {
    /// The bucket's first instant.
    pub start: DateTime<Utc>,
    pub count: i64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    /// The latest observation in the bucket: the level, for metrics like followers.
    pub last: f64,
}

crate::rows::from_columns!(Bucket {
    start,
    count,
    sum,
    min,
    max,
    last,
});

/// The stream of a channel's metric events seeded in bulk (see `seed`).
pub fn metrics_stream(channel_id: Uuid) -> Uuid {
    Uuid::new_v5(&channel_id, b"metrics")
}

/// The stream of one batch's events on one channel: every batch has its own, so concurrent
/// batches never queue behind one stream head. The events name their channel; reads go by
/// the observations table, never by stream.
fn batch_stream(channel_id: Uuid, batch_id: Uuid) -> Uuid {
    Uuid::new_v5(&channel_id, batch_id.as_bytes())
}

const UPSERT: &str = include_str!("sql/upsert_observations.sql");
const SERIES: &str = include_str!("sql/metric_series.sql");

type Key = (Uuid, Metric, Option<Uuid>, DateTime<Utc>);

/// Rows of a batch written at once (see [`Observations::record`]); an API batch is one chunk.
pub const RECORD_CHUNK: usize = 10_000;

// Of the rows given, those recorded already with the same value.
const UNCHANGED: &str = "SELECT count(*) FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::timestamptz[], $6::float8[]) \
       AS r (channel_id, metric, post_id, observed_at, value) \
     JOIN metric_observations AS o ON o.team_id = $1 AND o.channel_id = r.channel_id AND o.metric = r.metric \
       AND o.post_id = r.post_id AND o.observed_at = r.observed_at AND o.value = r.value";

const RECORDING: &str = "SELECT c FROM unnest($3::uuid[]) AS c WHERE EXISTS ( \
       SELECT 1 FROM metric_observations WHERE team_id = $1 AND channel_id = c AND metric = $2)";

/// The rows of a batch, a key repeated within it counting once, with its last value.
fn last_of_each_key(rows: &[Observation]) -> Vec<&Observation> {
    let mut last: HashMap<Key, usize> = HashMap::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        last.insert(
            (row.channel_id, row.metric, row.post_id, row.observed_at),
            index,
        );
    }
    let mut kept: Vec<usize> = last.into_values().collect();
    kept.sort_unstable();
    kept.into_iter().map(|i| &rows[i]).collect()
}

type Columns<'a> = (
    Vec<Uuid>,
    Vec<&'a str>,
    Vec<Uuid>,
    Vec<DateTime<Utc>>,
    Vec<f64>,
);

/// Rows as the column arrays of an `unnest`: channel, metric, post (nil for the channel's
/// own), instant, value.
fn columns<'a>(rows: &[&'a Observation]) -> Columns<'a> {
    (
        rows.iter().map(|r| r.channel_id).collect(),
        rows.iter().map(|r| r.metric.as_str()).collect(),
        rows.iter()
            .map(|r| r.post_id.unwrap_or_else(Uuid::nil))
            .collect(),
        rows.iter().map(|r| r.observed_at).collect(),
        rows.iter().map(|r| r.value).collect(),
    )
}

/// Metric observations: recording batches of them and reading them back.
#[derive(Debug, Clone, Copy)]
pub struct Observations<'a> {
    pub(crate) store: &'a Store,
}

impl Store {
    /// Metric observations: recording them and reading their series.
    pub fn observations(&self) -> Observations<'_> {
        Observations { store: self }
    }
}

impl Observations<'_> {
    /// Records a checked batch: its new observations and corrections become one
    /// `MetricsRecorded` event per channel (per [`metric::EVENT_MAX`] observations), in one
    /// transaction with the observations table that deduplicates them. A large batch (an
    /// import) is written [`RECORD_CHUNK`] rows at a time within that transaction, so that
    /// its memory is that of a chunk.
    pub async fn record(
        self,
        team_id: Uuid,
        rows: &[Observation],
        metadata: &Metadata,
    ) -> Result<Recorded, AppendError> {
        let kept = last_of_each_key(rows);
        let _turn = self.store.batch_turn().await;
        let mut client = self.store.pool().get().await?;
        let tx = client.transaction().await?;
        let statement = tx.prepare_cached(UPSERT).await?;
        let batch_id = Uuid::now_v7();
        let (mut changed, mut corrected, mut position, mut written) = (0, 0, 0, 0);
        for chunk in kept.chunks(RECORD_CHUNK) {
            let (channels, metrics, posts, times, values) = columns(chunk);
            let rows = tx
                .query(
                    &statement,
                    &[&team_id, &channels, &metrics, &posts, &times, &values],
                )
                .await?;
            changed += rows.len();
            let mut by_channel: BTreeMap<Uuid, Vec<RecordedObservation>> = BTreeMap::new();
            for row in &rows {
                let metric: String = row.try_get("metric")?;
                let post_id: Uuid = row.try_get("post_id")?;
                let corrects: Option<f64> = row.try_get("previous_value")?;
                corrected += usize::from(corrects.is_some());
                by_channel
                    .entry(row.try_get("channel_id")?)
                    .or_default()
                    .push(RecordedObservation {
                        metric: Metric::parse(&metric).ok_or_else(|| {
                            StoreError::Internal(anyhow::anyhow!("unknown metric {metric}"))
                        })?,
                        value: row.try_get("value")?,
                        observed_at: row.try_get("observed_at")?,
                        post_id: Some(post_id).filter(|p| !p.is_nil()),
                        corrects,
                    });
            }
            drop(rows);
            let requests = by_channel
                .into_iter()
                .map(|(channel_id, observations)| {
                    let events: Vec<MetricEvent> = observations
                        .chunks(metric::EVENT_MAX)
                        .map(|chunk| MetricEvent::MetricsRecorded {
                            channel_id,
                            observations: chunk.to_vec(),
                        })
                        .collect();
                    AppendRequest::new(
                        team_id,
                        batch_stream(channel_id, batch_id),
                        ExpectedVersion::Any,
                        &events,
                        metadata.clone(),
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            for outcome in crate::append::append_in_from(&tx, &requests, written).await? {
                position = position.max(outcome?.position);
            }
            written += requests.iter().map(|r| r.events.len()).sum::<usize>();
        }
        tx.commit().await?;
        self.store.notify_appended();
        if position == 0 {
            // Nothing new: the batch is acknowledged at the visible head, read on this
            // connection (asking the pool for a second one while holding this could starve it).
            position = crate::events::visible_head_on(&client).await?;
        }
        Ok(Recorded {
            recorded: changed - corrected,
            corrected,
            unchanged: rows.len() - changed,
            position,
        })
    }

    /// How many of `rows` [`Observations::record`] would find unchanged (already recorded
    /// with the same value, or repeated within `rows`), writing nothing.
    pub async fn unchanged(self, team_id: Uuid, rows: &[Observation]) -> Result<usize, StoreError> {
        let kept = last_of_each_key(rows);
        let mut same = 0;
        for chunk in kept.chunks(RECORD_CHUNK) {
            let (channels, metrics, posts, times, values) = columns(chunk);
            let params: [&(dyn ToSql + Sync); 6] =
                [&team_id, &channels, &metrics, &posts, &times, &values];
            let found: i64 = self
                .store
                .query_opt(UNCHANGED, &params, |r| r.try_get(0))
                .await?
                .unwrap_or(0);
            same += usize::try_from(found).unwrap_or(0);
        }
        Ok(rows.len() - kept.len() + same)
    }

    /// Those of `channels` on which `metric` was ever recorded (channel-wide or on a post),
    /// each found by one index probe.
    pub async fn channels_recording(
        self,
        team_id: Uuid,
        metric: Metric,
        channels: &[Uuid],
    ) -> Result<Vec<Uuid>, StoreError> {
        self.store
            .query_rows(RECORDING, &[&team_id, &metric.as_str(), &channels], |r| {
                r.try_get(0)
            })
            .await
    }

    /// A metric's observations in `[from, to)`, bucketed by UTC day, ISO week or month.
    #[allow(clippy::too_many_arguments)]
    pub async fn metric_series(
        self,
        team_id: Uuid,
        channel_id: Uuid,
        metric: Metric,
        post_id: Option<Uuid>,
        (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        bucket: &str,
    ) -> Result<Vec<Bucket>, StoreError> {
        let post = post_id.unwrap_or_else(Uuid::nil);
        let params: [&(dyn ToSql + Sync); 7] = [
            &team_id,
            &channel_id,
            &metric.as_str(),
            &post,
            &from,
            &to,
            &bucket,
        ];
        self.store
            .query_rows(SERIES, &params, Bucket::from_row)
            .await
    }

    /// The latest observation of a channel's metric strictly before `before` (a goal's
    /// default baseline). `post_id` None means the channel as a whole.
    pub async fn latest_observation_before(
        self,
        team_id: Uuid,
        channel_id: Uuid,
        metric: &str,
        before: DateTime<Utc>,
    ) -> Result<Option<f64>, StoreError> {
        let params: [&(dyn ToSql + Sync); 5] =
            [&team_id, &channel_id, &metric, &Uuid::nil(), &before];
        self.store
            .query_opt(LATEST_BEFORE, &params, |r| r.try_get(0))
            .await
    }
}
