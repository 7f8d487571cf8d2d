//! Runs a command against one aggregate's stream: load it, let the domain decide, append
//! with the version the decision was made on. Without an expected version (`If-Match`) a
//! lost race is retried on fresh state (the command is decided again, so no rule is
//! bypassed); with one, a stale version is [`AppError::PreconditionFailed`].
//!
//! [`run`] takes an aggregate's command and context ([`Aggregate`]); [`execute_with`] takes
//! a decision made by the caller, for workflows that decide more than one aggregate's
//! command (their error type only needs to hold an [`AppError`]).

use chrono::{DateTime, Utc};
use stride_domain::{Aggregate, EventPayload};
use stride_storage::{AppendError, AppendRequest, ExpectedVersion, SideWrite, Store};
use uuid::Uuid;

use crate::{App, AppError, Origin};

const ATTEMPTS: usize = 3;

/// An aggregate's state after a command (or a load), its version and the position of its
/// last event.
#[derive(Debug)]
pub struct Outcome<S> {
    pub state: Option<S>,
    pub version: i64,
    pub position: i64,
    /// When the command's events were recorded; `None` for a load, or a command that
    /// changed nothing.
    pub recorded_at: Option<DateTime<Utc>>,
}

/// The events a decision produced and the rows to write with them.
pub type Decision<E> = (Vec<E>, Vec<SideWrite>);

/// Folds one stream into its state.
pub async fn load<E: EventPayload, S>(
    store: &Store,
    team_id: Uuid,
    stream_id: Uuid,
    fold: &impl Fn(Option<S>, &E) -> Option<S>,
) -> Result<Outcome<S>, AppError> {
    let stream = store.events().read_stream::<E>(team_id, stream_id).await?;
    let position = stream.events.last().map_or(0, |e| e.position);
    let state = stream.events.iter().fold(None, |s, e| fold(s, &e.event));
    Ok(Outcome {
        state,
        version: stream.version,
        position,
        recorded_at: None,
    })
}

/// Folds one aggregate's stream.
pub async fn load_aggregate<A: Aggregate>(
    store: &Store,
    team_id: Uuid,
    stream_id: Uuid,
) -> Result<Outcome<A>, AppError> {
    load(store, team_id, stream_id, &A::apply).await
}

/// Runs `command` against the aggregate at `(team_id, stream_id)` with `context`.
pub async fn run<A>(
    app: &App,
    origin: &Origin,
    ids: (Uuid, Uuid),
    if_match: Option<i64>,
    command: A::Command,
    context: &A::Context,
) -> Result<Outcome<A>, AppError>
where
    A: Aggregate,
    AppError: From<A::Error>,
{
    execute_with(app, origin, ids, if_match, A::apply, |state| {
        let events = A::decide(state, command.clone(), context)?;
        Ok::<_, AppError>((events, Vec::new()))
    })
    .await
}

/// Creates a stream under an id this request just generated: nothing can be there yet,
/// so the decision is made on no state, without reading, and the append requires that the
/// stream does not exist.
pub async fn create_with<E: EventPayload, S, Er: From<AppError>>(
    app: &App,
    origin: &Origin,
    (team_id, stream_id): (Uuid, Uuid),
    fold: impl Fn(Option<S>, &E) -> Option<S>,
    decide: impl Fn(Option<&S>) -> Result<Decision<E>, Er>,
) -> Result<Outcome<S>, Er> {
    let (events, side_writes) = decide(None)?;
    let mut request = AppendRequest::new(
        team_id,
        stream_id,
        ExpectedVersion::NoStream,
        &events,
        origin.metadata(),
    )
    .map_err(AppError::from)?;
    request.side_writes = side_writes;
    let appended = app
        .store
        .events()
        .append(request)
        .await
        .map_err(AppError::from)?;
    Ok(Outcome {
        state: events.iter().fold(None, &fold),
        version: appended.stream_version,
        position: appended.position,
        recorded_at: appended.recorded_at,
    })
}

/// Decides against the stream's current state and appends what was decided.
pub async fn execute_with<E: EventPayload, S, Er: From<AppError>>(
    app: &App,
    origin: &Origin,
    (team_id, stream_id): (Uuid, Uuid),
    if_match: Option<i64>,
    fold: impl Fn(Option<S>, &E) -> Option<S>,
    decide: impl Fn(Option<&S>) -> Result<Decision<E>, Er>,
) -> Result<Outcome<S>, Er> {
    for _ in 0..ATTEMPTS {
        let current = load(&app.store, team_id, stream_id, &fold).await?;
        if let Some(expected) = if_match
            && expected != current.version
        {
            return Err(AppError::PreconditionFailed {
                current: current.version,
            }
            .into());
        }
        let (events, side_writes) = decide(current.state.as_ref())?;
        if events.is_empty() {
            return Ok(current);
        }
        let mut request = AppendRequest::new(
            team_id,
            stream_id,
            ExpectedVersion::Exactly(current.version),
            &events,
            origin.metadata(),
        )
        .map_err(AppError::from)?;
        request.side_writes = side_writes;
        match app.store.events().append(request).await {
            Ok(appended) => {
                return Ok(Outcome {
                    state: events.iter().fold(current.state, &fold),
                    version: appended.stream_version,
                    position: appended.position,
                    recorded_at: appended.recorded_at,
                });
            }
            Err(AppendError::Conflict { actual, .. }) if if_match.is_some() => {
                return Err(AppError::PreconditionFailed {
                    current: actual.unwrap_or(0),
                }
                .into());
            }
            Err(AppendError::Conflict { .. }) => continue,
            Err(error) => return Err(AppError::from(error).into()),
        }
    }
    Err(AppError::KeptChanging.into())
}
