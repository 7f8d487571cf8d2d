//! Runs a command against one aggregate's stream: load it, let the domain decide, append
//! with the version the decision was made on. Without `If-Match` a lost race is retried on
//! fresh state (the command is decided again, so no rule is bypassed); with it, a stale
//! version is 412.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use stride_domain::{Actor, EventPayload};
use stride_storage::{AppendError, AppendRequest, ExpectedVersion, Metadata, SideWrite, Store};
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::Ctx;

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

/// Folds one stream into its state.
pub async fn load<E: EventPayload, S>(
    store: &Store,
    team_id: Uuid,
    stream_id: Uuid,
    fold: &impl Fn(Option<S>, &E) -> Option<S>,
) -> Result<Outcome<S>, ApiError> {
    let stream = store.read_stream::<E>(team_id, stream_id).await?;
    let position = stream.events.last().map_or(0, |e| e.position);
    let state = stream.events.iter().fold(None, |s, e| fold(s, &e.event));
    Ok(Outcome {
        state,
        version: stream.version,
        position,
        recorded_at: None,
    })
}

pub fn precondition_failed(current: i64) -> ApiError {
    ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        "version_conflict",
        format!(
            "If-Match does not match the current version \"{current}\"; read the resource again"
        ),
    )
}

pub fn metadata(ctx: &Ctx, actor: Actor) -> Metadata {
    Metadata {
        request_id: Some(ctx.request_id.clone()),
        correlation_id: Some(ctx.request_id.clone()),
        ..Metadata::new(actor)
    }
}

/// The events a decision produced and the rows to write with them.
pub type Decision<E> = (Vec<E>, Vec<SideWrite>);

/// Creates a stream under an id this request just generated: nothing can be there yet,
/// so the decision is made on no state, without reading, and the append requires that the
/// stream does not exist.
pub async fn create<E: EventPayload, S>(
    ctx: &Ctx,
    actor: Actor,
    (team_id, stream_id): (Uuid, Uuid),
    fold: impl Fn(Option<S>, &E) -> Option<S>,
    decide: impl Fn(Option<&S>) -> Result<Decision<E>, ApiError>,
) -> Result<Outcome<S>, ApiError> {
    let (events, side_writes) = decide(None)?;
    let mut request = AppendRequest::new(
        team_id,
        stream_id,
        ExpectedVersion::NoStream,
        &events,
        metadata(ctx, actor),
    )?;
    request.side_writes = side_writes;
    let appended = ctx.store.append(request).await?;
    Ok(Outcome {
        state: events.iter().fold(None, &fold),
        version: appended.stream_version,
        position: appended.position,
        recorded_at: appended.recorded_at,
    })
}

/// Decides against the stream's current state and appends what was decided.
pub async fn execute<E: EventPayload, S>(
    ctx: &Ctx,
    actor: Actor,
    (team_id, stream_id): (Uuid, Uuid),
    if_match: Option<i64>,
    fold: impl Fn(Option<S>, &E) -> Option<S>,
    decide: impl Fn(Option<&S>) -> Result<Decision<E>, ApiError>,
) -> Result<Outcome<S>, ApiError> {
    for _ in 0..ATTEMPTS {
        let current = load(&ctx.store, team_id, stream_id, &fold).await?;
        if let Some(expected) = if_match
            && expected != current.version
        {
            return Err(precondition_failed(current.version));
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
            metadata(ctx, actor),
        )?;
        request.side_writes = side_writes;
        match ctx.store.append(request).await {
            Ok(appended) => {
                return Ok(Outcome {
                    state: events.iter().fold(current.state, &fold),
                    version: appended.stream_version,
                    position: appended.position,
                    recorded_at: appended.recorded_at,
                });
            }
            Err(AppendError::Conflict { actual, .. }) if if_match.is_some() => {
                return Err(precondition_failed(actual.unwrap_or(0)));
            }
            Err(AppendError::Conflict { .. }) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(ApiError::conflict(
        "version_conflict",
        "the resource kept changing while this request was handled; retry",
    ))
}
