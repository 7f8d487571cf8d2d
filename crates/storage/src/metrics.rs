//! Metric observations: recorded idempotently per (channel, metric, post, observed_at), with
//! their time series read back in buckets.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Store, StoreError};

const LATEST_BEFORE: &str = "SELECT value FROM metric_observations \
     WHERE team_id = $1 AND channel_id = $2 AND metric = $3 AND post_id = $4 AND observed_at < $5 \
     ORDER BY observed_at DESC LIMIT 1";

impl Store {
    /// The latest observation of a channel's metric strictly before `before` (a goal's
    /// default baseline). `post_id` None means the channel as a whole.
    pub async fn latest_observation_before(
        &self,
        team_id: Uuid,
        channel_id: Uuid,
        metric: &str,
        before: DateTime<Utc>,
    ) -> Result<Option<f64>, StoreError> {
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(LATEST_BEFORE).await?;
        let row = client
            .query_opt(&statement, &[&team_id, &channel_id, &metric, &Uuid::nil(), &before])
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }
}
