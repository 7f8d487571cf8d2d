//! Team commands, run through [`crate::commands`].

use stride_domain::Actor;
use stride_domain::team::{self, Team, TeamCommand, TeamEvent};
use stride_storage::{SideWrite, Store};
use uuid::Uuid;

use crate::commands::{self, Outcome};
use crate::error::ApiError;
use crate::extract::Ctx;

/// The team with its version and the position of its last event; 404 when there is none.
pub async fn load(store: &Store, team_id: Uuid) -> Result<(Team, Outcome<Team>), ApiError> {
    found(commands::load(store, team_id, team_id, &fold).await?)
}

fn fold(state: Option<Team>, event: &TeamEvent) -> Option<Team> {
    team::apply(state, event)
}

fn found(outcome: Outcome<Team>) -> Result<(Team, Outcome<Team>), ApiError> {
    let team = outcome
        .state
        .clone()
        .ok_or_else(|| ApiError::not_found("team"))?;
    Ok((team, outcome))
}

/// Decides `command` against the team's current state and appends its events with the
/// side writes `side` computes from them.
pub async fn execute(
    ctx: &Ctx,
    actor: Actor,
    team_id: Uuid,
    if_match: Option<i64>,
    command: TeamCommand,
    side: impl Fn(&[TeamEvent]) -> Vec<SideWrite>,
) -> Result<(Team, Outcome<Team>), ApiError> {
    let outcome = commands::execute(ctx, actor, (team_id, team_id), if_match, fold, |team| {
        let team = team.ok_or_else(|| ApiError::not_found("team"))?;
        let events = team::decide(Some(team), actor, command.clone())?;
        let side_writes = side(&events);
        Ok((events, side_writes))
    })
    .await?;
    ctx.boards.forget();
    found(outcome)
}
