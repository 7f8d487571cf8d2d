//! Team commands and the team's state, run through [`crate::execute`]. A changed team is
//! forgotten by the public boards' cache at once.

use stride_domain::team::{Team, TeamCommand, TeamEvent};
use stride_domain::{Actor, Aggregate};
use stride_storage::{SideWrite, Store};
use uuid::Uuid;

use crate::execute::{self, Outcome};
use crate::{App, AppError, Origin};

/// The team with its version and the position of its last event; `NotFound` when there is
/// none.
pub async fn load(store: &Store, team_id: Uuid) -> Result<(Team, Outcome<Team>), AppError> {
    found(execute::load_aggregate::<Team>(store, team_id, team_id).await?)
}

fn found(outcome: Outcome<Team>) -> Result<(Team, Outcome<Team>), AppError> {
    let team = outcome.state.clone().ok_or(AppError::NotFound("team"))?;
    Ok((team, outcome))
}

/// Decides `command` against the team's current state and appends its events with the
/// side writes `side` computes from them.
pub async fn execute(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    if_match: Option<i64>,
    command: TeamCommand,
    side: impl Fn(&[TeamEvent]) -> Vec<SideWrite>,
) -> Result<(Team, Outcome<Team>), AppError> {
    let actor: Actor = origin.actor;
    let outcome = execute::execute_with(
        app,
        origin,
        (team_id, team_id),
        if_match,
        Team::apply,
        |team| {
            let team = team.ok_or(AppError::NotFound("team"))?;
            let events = Team::decide(Some(team), command.clone(), &actor)?;
            let side_writes = side(&events);
            Ok::<_, AppError>((events, side_writes))
        },
    )
    .await?;
    app.boards.forget();
    found(outcome)
}
