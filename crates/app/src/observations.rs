//! Observations of followers, likes, clicks and more: recorded in checked batches
//! (idempotent per channel, metric, post and instant; a changed value is a correction that
//! keeps the original in the log), read back as series in day, week or month buckets.

use std::collections::BTreeSet;
use stride_domain::Invalid;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stride_domain::EventPayload;
use stride_domain::channel::ChannelEvent;
use stride_domain::metric::{self, Metric, Observation};
use stride_domain::post::PostEvent;
use stride_storage::Store;
use stride_storage::observations::{Bucket, Recorded};
use uuid::Uuid;

use crate::{App, AppError, Origin};

/// Records a batch at `now`, all or nothing: every row names one of the team's channels
/// (and posts), with a value and an instant within bounds.
#[tracing::instrument(skip_all, fields(team_id = %team_id, rows = rows.len()))]
pub async fn record(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    rows: &[Observation],
    now: DateTime<Utc>,
) -> Result<Recorded, AppError> {
    let channels = channel_ids(&app.store, team_id).await?;
    let mut named: Vec<Uuid> = rows.iter().filter_map(|r| r.post_id).collect();
    named.sort_unstable();
    named.dedup();
    let posts = app
        .store
        .events()
        .existing_streams(team_id, PostEvent::STREAM_TYPE, &named)
        .await?;
    metric::check_batch(rows, now, |c| channels.contains(&c), |p| posts.contains(&p))?;
    Ok(app
        .store
        .observations()
        .record(team_id, rows, &origin.metadata())
        .await?)
}

/// The size of a series' buckets.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BucketSize {
    #[default]
    Day,
    /// ISO weeks, from Monday 00:00 UTC.
    Week,
    Month,
}

impl BucketSize {
    fn as_str(self) -> &'static str {
        match self {
            BucketSize::Day => "day",
            BucketSize::Week => "week",
            BucketSize::Month => "month",
        }
    }
}

/// Which series to read.
#[derive(Debug, Clone, Copy)]
pub struct SeriesOf {
    pub channel_id: Uuid,
    pub metric: Metric,
    /// One post's observations; without it, the channel's own.
    pub post_id: Option<Uuid>,
    /// `[from, to)`, either end open.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub bucket: BucketSize,
}

/// A metric's observations on one of the team's channels (or posts), in buckets.
#[tracing::instrument(skip_all, fields(team_id = %team_id, channel_id = %wanted.channel_id))]
pub async fn series(app: &App, team_id: Uuid, wanted: SeriesOf) -> Result<Vec<Bucket>, AppError> {
    if let (Some(from), Some(to)) = (wanted.from, wanted.to)
        && to <= from
    {
        return Err(Invalid::new("to", "must be after from").into());
    }
    if !channel_ids(&app.store, team_id)
        .await?
        .contains(&wanted.channel_id)
    {
        return Err(AppError::NotFound("channel"));
    }
    Ok(app
        .store
        .observations()
        .metric_series(
            team_id,
            wanted.channel_id,
            wanted.metric,
            wanted.post_id,
            (wanted.from, wanted.to),
            wanted.bucket.as_str(),
        )
        .await?)
}

async fn channel_ids(store: &Store, team_id: Uuid) -> Result<BTreeSet<Uuid>, AppError> {
    Ok(store.events().stream_ids::<ChannelEvent>(team_id).await?)
}
