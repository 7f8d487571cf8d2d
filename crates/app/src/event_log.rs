//! The raw event log of a team, by position.

use std::time::Duration;

use stride_storage::StoredEvent;
use uuid::Uuid;

use crate::{App, AppError};

/// How long a page of the log waits for events acknowledged before it to become readable.
const WAIT: Duration = Duration::from_secs(2);

/// Up to `limit` of the team's events after position `after`, oldest first. A page shows
/// every event acknowledged before it was asked for: readers see only below the oldest
/// transaction open anywhere on the server, so it waits (briefly) for those to end.
#[tracing::instrument(skip_all, fields(team_id = %team_id, after))]
pub async fn page(
    app: &App,
    team_id: Uuid,
    after: i64,
    limit: usize,
) -> Result<Vec<StoredEvent>, AppError> {
    let head = app.store.events().committed_head().await?;
    app.store.events().wait_visible(head, WAIT).await?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(app
        .store
        .events()
        .read_team_after(team_id, after, limit)
        .await?)
}
