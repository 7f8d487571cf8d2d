//! The raw event log of a team, by position.

use stride_storage::StoredEvent;
use uuid::Uuid;

use crate::{App, AppError};

/// Up to `limit` of the team's events after position `after`, oldest first. A page shows
/// every event acknowledged before it was asked for: readers see only below the oldest
/// transaction open anywhere on the server, so it waits (up to the app's `catch_up_wait`)
/// for those to end.
#[tracing::instrument(skip_all, fields(team_id = %team_id, after))]
pub async fn page(
    app: &App,
    team_id: Uuid,
    after: i64,
    limit: usize,
) -> Result<Vec<StoredEvent>, AppError> {
    let head = app.store.events().committed_head().await?;
    app.store
        .events()
        .wait_visible(head, app.catch_up_wait)
        .await?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(app
        .store
        .events()
        .read_team_after(team_id, after, limit)
        .await?)
}
