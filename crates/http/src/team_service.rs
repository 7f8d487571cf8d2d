//! Runs team commands: load the stream, let the domain decide, append with the version the
//! decision was made on. Without `If-Match` a lost race is retried on fresh state (the
//! command is re-decided, so no rule is bypassed); with it, a stale version is 412.

use actix_web::http::StatusCode;
use stride_domain::Actor;
use stride_domain::team::{self, Team, TeamCommand, TeamEvent};
use stride_storage::{AppendError, AppendRequest, ExpectedVersion, Metadata, SideWrite, Store};
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::Ctx;

const ATTEMPTS: usize = 3;

/// The team after a command, with its version and the position of its last event.
#[derive(Debug)]
pub struct Outcome {
    pub team: Team,
    pub version: i64,
    pub position: i64,
}

pub async fn load(store: &Store, team_id: Uuid) -> Result<Outcome, ApiError> {
    let stream = store.read_stream::<TeamEvent>(team_id, team_id).await?;
    let position = stream.events.last().map_or(0, |e| e.position);
    let team = team::replay(stream.events.iter().map(|e| &e.event))
        .ok_or_else(|| ApiError::not_found("team"))?;
    Ok(Outcome {
        team,
        version: stream.version,
        position,
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

/// Decides `command` against the team's current state and appends its events with the
/// side writes `side` computes from the events.
pub async fn execute(
    ctx: &Ctx,
    actor: Actor,
    team_id: Uuid,
    if_match: Option<i64>,
    command: TeamCommand,
    side: impl Fn(&[TeamEvent]) -> Vec<SideWrite>,
) -> Result<Outcome, ApiError> {
    for _ in 0..ATTEMPTS {
        let current = load(&ctx.store, team_id).await?;
        if let Some(expected) = if_match
            && expected != current.version
        {
            return Err(precondition_failed(current.version));
        }
        let events = team::decide(Some(&current.team), actor, command.clone())?;
        if events.is_empty() {
            return Ok(current);
        }
        let mut request = AppendRequest::new(
            team_id,
            team_id,
            ExpectedVersion::Exactly(current.version),
            &events,
            metadata(ctx, actor),
        )?;
        request.side_writes = side(&events);
        match ctx.store.append(request).await {
            Ok(appended) => {
                let team = events.iter().fold(Some(current.team), team::apply);
                return Ok(Outcome {
                    team: team.ok_or_else(|| ApiError::not_found("team"))?,
                    version: appended.stream_version,
                    position: appended.position,
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
        "the team kept changing while this request was handled; retry",
    ))
}
