//! Teams: open sign-up, the team as its members read it, and changes to its name and
//! settings, run through [`crate::execute`]. A changed team is forgotten by the public
//! boards' cache at once.

use stride_domain::channel::Channel;
use stride_domain::team::{Team, TeamChanges, TeamCommand, TeamEvent};
use stride_domain::{Actor, Aggregate};
use stride_storage::members::MemberRecord;
use stride_storage::tokens::NewToken;
use stride_storage::{SideWrite, Store, StoreError};
use uuid::Uuid;

use crate::execute;
use crate::people::{self, Person};
use crate::versioned::{self, Versioned};
use crate::{App, AppError, Origin};

/// The team with its version and the position of its last event; `NotFound` when there is
/// none.
pub async fn load(store: &Store, team_id: Uuid) -> Result<Versioned<Team>, AppError> {
    let outcome = execute::load_aggregate::<Team>(store, team_id, team_id).await?;
    Versioned::found(outcome, "team")
}

/// Decides `command` against the team's current state and appends its events with the
/// side writes `side` computes from them; answers the team with the version and position
/// the command left.
pub(crate) async fn execute(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    if_match: Option<i64>,
    command: TeamCommand,
    side: impl Fn(&[TeamEvent]) -> Vec<SideWrite>,
) -> Result<Versioned<Team>, AppError> {
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
    Versioned::found(outcome, "team")
}

/// The team as its members read it: its state and version, who belongs to it, and the
/// channels it publishes on (oldest first).
#[derive(Debug, Clone)]
pub struct TeamDetails {
    pub team: Versioned<Team>,
    pub members: Vec<MemberRecord>,
    pub channels: Vec<Versioned<Channel>>,
}

pub(crate) async fn details(app: &App, team: Versioned<Team>) -> Result<TeamDetails, AppError> {
    let team_id = team.state.id;
    let members = app.store.directory().members(team_id).await?;
    let channels = versioned::in_team::<Channel>(&app.store, team_id).await?;
    Ok(TeamDetails {
        team,
        members,
        channels,
    })
}

/// A team just signed up: the team, its owner, and the owner's first token (its secret is
/// shown this once; only its hash is kept).
#[derive(Debug)]
pub struct Registered {
    pub team: TeamDetails,
    pub owner: MemberRecord,
    pub token: NewToken,
}

/// The name and e-mail fields of a sign-up's owner, as errors name them.
const OWNER: people::PersonFields = ("owner.name", "owner.email");

/// Open sign-up: creates a team under `slug` with `owner` as its first member and owner,
/// and that owner's first token, in one append (the slug claimed in the same commit).
#[tracing::instrument(skip_all, fields(team_id = tracing::field::Empty))]
pub async fn sign_up(
    app: &App,
    origin: &Origin,
    name: String,
    slug: String,
    owner: Person<'_>,
) -> Result<Registered, AppError> {
    let (owner_name, owner_email) = people::person(OWNER, owner)?;
    let (team_id, owner_id) = (Uuid::now_v7(), Uuid::now_v7());
    tracing::Span::current().record("team_id", tracing::field::display(team_id));
    let command = TeamCommand::CreateTeam {
        team_id,
        name,
        slug,
        owner_id,
    };
    let token = NewToken::generate();
    let ids = (team_id, team_id);
    let outcome = execute::create_with(app, origin, ids, Team::apply, |state| {
        let events = Team::decide(state, command.clone(), &origin.actor)?;
        let team = Team::fold(&events).ok_or(AppError::NotFound("team"))?;
        let side_writes = vec![
            SideWrite::Claim {
                scope: "slug".into(),
                value: team.slug,
            },
            SideWrite::Member {
                member_id: owner_id,
                name: owner_name.clone(),
                email: owner_email.clone(),
                role: "owner".into(),
            },
            SideWrite::Token {
                token_id: token.token_id,
                member_id: owner_id,
                hash: token.hash.clone(),
            },
        ];
        Ok::<_, AppError>((events, side_writes))
    })
    .await?;
    let team = Versioned::found(outcome, "team")?;
    let members = app.store.directory().members(team_id).await?;
    let owner = members.first().cloned().ok_or_else(|| {
        AppError::Store(StoreError::Internal(anyhow::anyhow!(
            "owner missing after sign-up"
        )))
    })?;
    Ok(Registered {
        team: TeamDetails {
            team,
            members,
            // A team just made publishes on no channel yet.
            channels: Vec::new(),
        },
        owner,
        token,
    })
}

/// The team with its members and channels.
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn get(app: &App, team_id: Uuid) -> Result<TeamDetails, AppError> {
    details(app, load(&app.store, team_id).await?).await
}

/// Renames the team or changes its settings; what already holds changes nothing.
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn update(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    if_match: Option<i64>,
    changes: TeamChanges,
) -> Result<TeamDetails, AppError> {
    let command = TeamCommand::UpdateTeam(changes);
    let no_side_writes = |_: &[TeamEvent]| Vec::new();
    let team = execute(app, origin, team_id, if_match, command, no_side_writes).await?;
    details(app, team).await
}
