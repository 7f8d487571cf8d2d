//! Bulk seeding for benchmarks: a million events in seconds, generated inside PostgreSQL in
//! transactions of [`CHUNK`] events, positioned exactly as appends position them (the
//! transaction id shifted left 16 bits, plus the index), with the metric observations table
//! kept in step. Never used by the API.

use chrono::{DateTime, Utc};
use stride_domain::Actor;
use stride_domain::EventPayload;
use stride_domain::metric::MetricEvent;
use uuid::Uuid;

use crate::StoreError;
use crate::events::Metadata;
use crate::observations::{Observations, metrics_stream};

/// Events per transaction: below the 65,536 positions one transaction owns.
pub const CHUNK: i64 = 50_000;

const EVENTS: &str = "INSERT INTO events (team_id, position, event_id, stream_id, stream_type, stream_version, \
         event_type, schema_version, data, metadata) \
     SELECT $1, (pg_current_xact_id()::text::bigint << 16) + (i - $3), gen_random_uuid(), $2, $6, i, \
         'MetricsRecorded', 1, \
         jsonb_build_object('channel_id', $4::uuid, 'observations', jsonb_build_array(jsonb_build_object( \
             'metric', 'views', 'value', (i % 1000)::float8, \
             'observed_at', to_char(($5::timestamptz - make_interval(secs => i)) AT TIME ZONE 'UTC', \
                 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
             'post_id', $8::uuid))), \
         $7::jsonb \
     FROM generate_series($3::bigint, $9::bigint) AS i";
const OBSERVATIONS: &str = "INSERT INTO metric_observations (team_id, channel_id, metric, post_id, observed_at, value) \
     SELECT $1, $2, 'views', $3, date_trunc('second', $4::timestamptz) - make_interval(secs => i), (i % 1000)::float8 \
     FROM generate_series($5::bigint, $6::bigint) AS i";
const STREAM: &str = "INSERT INTO streams (team_id, stream_id, stream_type, version) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (team_id, stream_id) DO UPDATE SET version = excluded.version";

impl Observations<'_> {
    /// Appends `count` `MetricsRecorded` events, one observation each (views of one post, a second apart, going back
    /// from `until`) to the metric stream of `channel_id`, which must have no events yet;
    /// `progress` hears the events written so far after every transaction.
    pub async fn seed_metric_events(
        self,
        team_id: Uuid,
        channel_id: Uuid,
        post_id: Uuid,
        count: i64,
        until: DateTime<Utc>,
        progress: impl Fn(i64),
    ) -> Result<i64, StoreError> {
        let stream = metrics_stream(channel_id);
        let metadata = serde_json::to_value(Metadata::new(Actor::System))
            .map_err(|e| StoreError::Internal(e.into()))?;
        let stream_type = MetricEvent::STREAM_TYPE;
        let mut client = self.store.pool().get().await?;
        let mut first = 1;
        while first <= count {
            let last = (first + CHUNK - 1).min(count);
            let tx = client.transaction().await?;
            tx.execute(
                EVENTS,
                &[
                    &team_id,
                    &stream,
                    &first,
                    &channel_id,
                    &until,
                    &stream_type,
                    &metadata,
                    &post_id,
                    &last,
                ],
            )
            .await?;
            tx.execute(
                OBSERVATIONS,
                &[&team_id, &channel_id, &post_id, &until, &first, &last],
            )
            .await?;
            tx.execute(STREAM, &[&team_id, &stream, &stream_type, &last])
                .await?;
            // Projectors in every process hear of these events at commit, as of any append.
            tx.batch_execute(&format!("NOTIFY {}", crate::wakeup::CHANNEL))
                .await?;
            tx.commit().await?;
            progress(last);
            first = last + 1;
        }
        self.store.notify_appended();
        Ok(count)
    }
}
