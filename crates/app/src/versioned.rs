//! What a use case answers about one resource: its state, the version of the stream that
//! holds it (a transport's ETag, its `If-Match` next time) and the position of that
//! stream's last event (what a reader waits for to see its own write).

use stride_domain::Aggregate;
use stride_storage::Store;
use uuid::Uuid;

use crate::AppError;
use crate::execute::Outcome;

#[derive(Debug, Clone)]
pub struct Versioned<S> {
    pub state: S,
    pub version: i64,
    pub position: i64,
}

impl<S> Versioned<S> {
    /// The state `outcome` reached, or `NotFound(what)` when the stream holds none.
    pub fn found(outcome: Outcome<S>, what: &'static str) -> Result<Versioned<S>, AppError> {
        let state = outcome.state.ok_or(AppError::NotFound(what))?;
        Ok(Versioned {
            state,
            version: outcome.version,
            position: outcome.position,
        })
    }

    /// The same version and position, holding `state` instead.
    pub fn with<T>(&self, state: T) -> Versioned<T> {
        Versioned {
            state,
            version: self.version,
            position: self.position,
        }
    }
}

/// Every aggregate of type `A` in the team, each folded from its stream, by id (UUIDv7
/// ids: oldest first).
pub async fn in_team<A: Aggregate>(
    store: &Store,
    team_id: Uuid,
) -> Result<Vec<Versioned<A>>, AppError> {
    let streams = store
        .events()
        .read_team_streams::<A::Event>(team_id)
        .await?;
    Ok(streams
        .into_values()
        .filter_map(|stream| {
            let position = stream.events.last().map_or(0, |e| e.position);
            let state = A::fold(stream.events.iter().map(|e| &e.event))?;
            Some(Versioned {
                state,
                version: stream.version,
                position,
            })
        })
        .collect())
}
