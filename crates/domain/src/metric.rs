//! Metric observations: what a channel (or one post on it) measured at an instant. Each
//! observation is keyed by (channel, metric, post, observed_at): the same value again is not
//! a second observation, a different value is a correction that keeps the original in the log.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::bounds;
use crate::event;

/// The most observations one batch may carry.
pub const BATCH_MAX: usize = 5000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Followers,
    Subscribers,
    Likes,
    Shares,
    Comments,
    Clicks,
    Traffic,
    Views,
}

impl Metric {
    pub const ALL: [Metric; 8] = [
        Metric::Followers,
        Metric::Subscribers,
        Metric::Likes,
        Metric::Shares,
        Metric::Comments,
        Metric::Clicks,
        Metric::Traffic,
        Metric::Views,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Followers => "followers",
            Metric::Subscribers => "subscribers",
            Metric::Likes => "likes",
            Metric::Shares => "shares",
            Metric::Comments => "comments",
            Metric::Clicks => "clicks",
            Metric::Traffic => "traffic",
            Metric::Views => "views",
        }
    }

    pub fn parse(raw: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == raw)
    }
}

/// One observation as a client sends it, before checks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ObservationIn))]
pub struct Observation {
    pub channel_id: Uuid,
    pub metric: Metric,
    /// A count or total: 0 to 1e15.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1e15))]
    pub value: f64,
    /// When it was measured: years 2000 to 2100, at most one day ahead.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(20[0-9]{2}|2100)-"))]
    pub observed_at: DateTime<Utc>,
    /// The post measured, when the metric is a post's rather than the channel's.
    pub post_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum MetricEvent {
    MetricRecorded {
        channel_id: Uuid,
        metric: Metric,
        value: f64,
        observed_at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        post_id: Option<Uuid>,
        /// Set when this corrects an earlier observation with the same key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        corrects: Option<f64>,
    },
}

event::event_payload!(MetricEvent, "metrics", [MetricRecorded]);

/// A bad row rejects the whole batch, named by its index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    #[error("a batch holds 1 to {BATCH_MAX} observations, not {0}")]
    BatchSize(usize),
    #[error("observations[{index}].{field} {message}")]
    Row {
        index: usize,
        field: &'static str,
        message: String,
    },
}

/// Checks a batch at instant `now`: every channel is one of the team's (`is_channel`), every
/// post one of the team's (`is_post`), values and instants within [`bounds`], nothing observed
/// more than a day ahead.
pub fn check_batch(
    rows: &[Observation],
    now: DateTime<Utc>,
    is_channel: impl Fn(Uuid) -> bool,
    is_post: impl Fn(Uuid) -> bool,
) -> Result<(), MetricError> {
    if rows.is_empty() || rows.len() > BATCH_MAX {
        return Err(MetricError::BatchSize(rows.len()));
    }
    let row_error = |index, field, message: &str| MetricError::Row {
        index,
        field,
        message: message.to_owned(),
    };
    for (index, row) in rows.iter().enumerate() {
        if !is_channel(row.channel_id) {
            return Err(row_error(
                index,
                "channel_id",
                "is not a channel of this team",
            ));
        }
        if let Err(message) = bounds::quantity(row.value) {
            return Err(row_error(index, "value", message));
        }
        if let Err(message) = bounds::instant(row.observed_at) {
            return Err(row_error(index, "observed_at", message));
        }
        if row.observed_at > now + Duration::days(1) {
            return Err(row_error(
                index,
                "observed_at",
                "is more than a day in the future",
            ));
        }
        if let Some(post_id) = row.post_id
            && !is_post(post_id)
        {
            return Err(row_error(index, "post_id", "is not a post of this team"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANNEL: Uuid = Uuid::from_u128(1);
    const POST: Uuid = Uuid::from_u128(2);

    fn now() -> DateTime<Utc> {
        "2026-11-22T10:00:00Z".parse().unwrap()
    }

    fn row(value: f64) -> Observation {
        Observation {
            channel_id: CHANNEL,
            metric: Metric::Followers,
            value,
            observed_at: now(),
            post_id: None,
        }
    }

    fn check(rows: &[Observation]) -> Result<(), MetricError> {
        check_batch(rows, now(), |c| c == CHANNEL, |p| p == POST)
    }

    #[test]
    fn a_good_batch_passes() {
        let mut with_post = row(3.0);
        with_post.post_id = Some(POST);
        with_post.observed_at = now() + Duration::hours(23);
        assert_eq!(check(&[row(1000.0), with_post]), Ok(()));
    }

    #[test]
    fn a_bad_row_rejects_the_batch_by_index() {
        let mut late = row(1.0);
        late.observed_at = now() + Duration::hours(25);
        let mut foreign = row(1.0);
        foreign.channel_id = Uuid::from_u128(9);
        let mut foreign_post = row(1.0);
        foreign_post.post_id = Some(Uuid::from_u128(9));
        for (bad, field) in [
            (row(f64::NAN), "value"),
            (row(f64::INFINITY), "value"),
            (late, "observed_at"),
            (foreign, "channel_id"),
            (foreign_post, "post_id"),
        ] {
            match check(&[row(1.0), row(2.0), bad]) {
                Err(MetricError::Row {
                    index: 2, field: f, ..
                }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn batches_hold_one_to_five_thousand() {
        assert_eq!(check(&[]), Err(MetricError::BatchSize(0)));
        assert_eq!(check(&vec![row(1.0); BATCH_MAX]), Ok(()));
        assert_eq!(
            check(&vec![row(1.0); BATCH_MAX + 1]),
            Err(MetricError::BatchSize(BATCH_MAX + 1))
        );
    }

    #[test]
    fn metric_names_round_trip() {
        for metric in Metric::ALL {
            assert_eq!(Metric::parse(metric.as_str()), Some(metric));
        }
        assert_eq!(Metric::parse("vibes"), None);
    }
}
