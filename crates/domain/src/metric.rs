//! Metric observations: what a channel (or one post on it) measured at an instant. Each
//! observation is keyed by (channel, metric, post, observed_at): the same value again is not
//! a second observation, a different value is a correction that keeps the original in the log.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::bounds;
use crate::event::{self, DecodeError, EventPayload};
use serde_json::Value;

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

    /// Whether it is a level, read by its latest value (followers, subscribers), rather
    /// than a flow whose observations add up (likes, clicks, ...).
    pub fn is_level(self) -> bool {
        matches!(self, Metric::Followers | Metric::Subscribers)
    }

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

/// The most observations one `MetricsRecorded` event holds: a batch with more on one channel
/// is recorded as several events, so that no event (nor a page of the log) grows without
/// bound.
pub const EVENT_MAX: usize = 1000;

/// One observation as the log keeps it, within its channel's `MetricsRecorded`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedObservation {
    pub metric: Metric,
    pub value: f64,
    pub observed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_id: Option<Uuid>,
    /// Set when this corrects an earlier observation with the same key: the value replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum MetricEvent {
    /// A batch's new and corrected observations on one channel, at most [`EVENT_MAX`].
    MetricsRecorded {
        channel_id: Uuid,
        observations: Vec<RecordedObservation>,
    },
}

impl EventPayload for MetricEvent {
    const STREAM_TYPE: &'static str = "metrics";
    const EVENT_TYPES: &'static [&'static str] = &["MetricsRecorded"];

    fn event_type(&self) -> &'static str {
        match self {
            MetricEvent::MetricsRecorded { .. } => "MetricsRecorded",
        }
    }

    fn decode(event_type: &str, schema_version: i32, data: Value) -> Result<Self, DecodeError> {
        match (event_type, schema_version) {
            (LEGACY_EVENT_TYPE, 1) => {
                let (_, data) = upcast_legacy(data);
                event::decode_tagged("MetricsRecorded", data)
            }
            (_, 1) => event::decode_tagged(event_type, data),
            _ => Err(DecodeError::Unknown {
                event_type: event_type.to_owned(),
                schema_version,
            }),
        }
    }
}

/// What each observation was recorded as until batches became one event per channel: a
/// `MetricRecorded` event holding `channel_id` beside one observation's fields. Such events
/// stay in the log and are read as a `MetricsRecorded` holding that one observation.
pub const LEGACY_EVENT_TYPE: &str = "MetricRecorded";

/// A legacy `MetricRecorded` payload as the `MetricsRecorded` payload it is read as:
/// `{channel_id, metric, value, ...}` becomes `{channel_id, observations: [{metric, value,
/// ...}]}`. A payload that is not an object (left out of a read) stays as it is.
pub fn upcast_legacy(data: Value) -> (&'static str, Value) {
    let Value::Object(mut fields) = data else {
        return ("MetricsRecorded", data);
    };
    let channel_id = fields.remove("channel_id").unwrap_or(Value::Null);
    let mut upcast = serde_json::Map::new();
    upcast.insert("channel_id".to_owned(), channel_id);
    upcast.insert(
        "observations".to_owned(),
        Value::Array(vec![Value::Object(fields)]),
    );
    ("MetricsRecorded", Value::Object(upcast))
}

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
    fn a_legacy_metric_recorded_is_read_as_metrics_recorded_with_that_one_observation() {
        let legacy = serde_json::json!({
            "channel_id": CHANNEL, "metric": "likes", "value": 7.0,
            "observed_at": "2026-11-02T09:00:00Z", "post_id": POST, "corrects": 5.0,
        });
        let expected = MetricEvent::MetricsRecorded {
            channel_id: CHANNEL,
            observations: vec![RecordedObservation {
                metric: Metric::Likes,
                value: 7.0,
                observed_at: "2026-11-02T09:00:00Z".parse().unwrap(),
                post_id: Some(POST),
                corrects: Some(5.0),
            }],
        };
        assert_eq!(
            MetricEvent::decode(LEGACY_EVENT_TYPE, 1, legacy.clone()).unwrap(),
            expected
        );
        let (event_type, data) = upcast_legacy(legacy);
        assert_eq!(MetricEvent::decode(event_type, 1, data).unwrap(), expected);
        assert_eq!(expected.event_type(), "MetricsRecorded");
        let round_trip = MetricEvent::decode("MetricsRecorded", 1, expected.encode().unwrap());
        assert_eq!(round_trip.unwrap(), expected);
        assert!(MetricEvent::decode(LEGACY_EVENT_TYPE, 2, serde_json::json!({})).is_err());
    }

    #[test]
    fn metric_names_round_trip() {
        for metric in Metric::ALL {
            assert_eq!(Metric::parse(metric.as_str()), Some(metric));
        }
        assert_eq!(Metric::parse("vibes"), None);
    }
}
