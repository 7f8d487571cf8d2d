//! Members and their tokens: a member is added (a service account with a first token;
//! people join by invitation, see `invitations`), re-roled, removed (their tokens stop in the
//! same commit) and, once they have left, their name and e-mail address erased. Tokens are
//! not events: they live only as hashes, outside the event log.

use stride_domain::Invalid;
use stride_domain::team::{Role, Team, TeamCommand, TeamError, TeamEvent};
use stride_domain::text;
use stride_storage::SideWrite;
use stride_storage::members::{MemberErasure, MemberRecord};
use stride_storage::tokens::{NewToken, TokenListing};
use uuid::Uuid;

use crate::people::{Person, person};
use crate::versioned::Versioned;
use crate::{App, AppError, Origin, teams};

/// A member just added, with the token of a service account (its secret shown this once),
/// and the team's version and position after.
#[derive(Debug)]
pub struct Added {
    pub member: MemberRecord,
    /// Only for a service account: people join by invitation and hold tokens no one else saw.
    pub token: Option<NewToken>,
    pub version: i64,
    pub position: i64,
}

/// A member still in the team; `NotFound` for one who left it or never was in it.
pub(crate) async fn current(
    app: &App,
    team_id: Uuid,
    member_id: Uuid,
) -> Result<MemberRecord, AppError> {
    app.store
        .directory()
        .member(team_id, member_id)
        .await?
        .ok_or(AppError::NotFound("member"))
}

/// A member as they see themselves: their team and their own membership of it.
#[derive(Debug, Clone)]
pub struct Membership {
    pub team: Team,
    pub member: MemberRecord,
}

/// The team of `member_id` and their membership of it; `NotFound` when they left it since
/// their token was checked.
#[tracing::instrument(skip_all, fields(team_id = %team_id, member_id = %member_id))]
pub async fn membership(app: &App, team_id: Uuid, member_id: Uuid) -> Result<Membership, AppError> {
    let team = teams::load(&app.store, team_id).await?.state;
    let member = current(app, team_id, member_id).await?;
    Ok(Membership { team, member })
}

/// Adds a member with `role`, in one append; a `service` account gets its first token in
/// the same append.
#[tracing::instrument(skip_all, fields(team_id = %team_id, member_id = tracing::field::Empty))]
pub async fn add(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    if_match: Option<i64>,
    person: Person<'_>,
    (role, service): (Role, bool),
) -> Result<Added, AppError> {
    let (name, email) = self::person(("name", "email"), person)?;
    let member_id = Uuid::now_v7();
    tracing::Span::current().record("member_id", tracing::field::display(member_id));
    let token = service.then(NewToken::generate);
    let command = TeamCommand::AddMember { member_id, role };
    let side_writes = |_: &[TeamEvent]| {
        let mut writes = vec![SideWrite::Member {
            member_id,
            name: name.clone(),
            email: email.clone(),
            role: role.as_str().into(),
        }];
        if let Some(token) = &token {
            writes.push(SideWrite::Token {
                token_id: token.token_id,
                member_id,
                hash: token.hash.clone(),
            });
        }
        writes
    };
    let ids = (team_id, member_id);
    let added = execute_on_member(app, origin, ids, if_match, command, side_writes).await?;
    Ok(Added {
        member: added.state,
        token,
        version: added.version,
        position: added.position,
    })
}

/// Gives a member another role; the member is answered with the team's version and
/// position after.
#[tracing::instrument(skip_all, fields(team_id = %team_id, member_id = %member_id))]
pub async fn change_role(
    app: &App,
    origin: &Origin,
    (team_id, member_id): (Uuid, Uuid),
    if_match: Option<i64>,
    role: Role,
) -> Result<Versioned<MemberRecord>, AppError> {
    let command = TeamCommand::ChangeMemberRole { member_id, role };
    let side_writes = |_: &[TeamEvent]| {
        vec![SideWrite::MemberRole {
            member_id,
            role: role.as_str().into(),
        }]
    };
    let ids = (team_id, member_id);
    execute_on_member(app, origin, ids, if_match, command, side_writes).await
}

/// Runs a team command about one member, answering that member's record as the command
/// left it, with the team's version and position after.
async fn execute_on_member(
    app: &App,
    origin: &Origin,
    (team_id, member_id): (Uuid, Uuid),
    if_match: Option<i64>,
    command: TeamCommand,
    side_writes: impl Fn(&[TeamEvent]) -> Vec<SideWrite>,
) -> Result<Versioned<MemberRecord>, AppError> {
    let team = teams::execute(app, origin, team_id, if_match, command, side_writes).await?;
    let member = app.store.directory().member(team_id, member_id).await?;
    Ok(team.with(member.ok_or(AppError::NotFound("member"))?))
}

/// Removes a member; every token of theirs stops working in the same commit.
#[tracing::instrument(skip_all, fields(team_id = %team_id, member_id = %member_id))]
pub async fn remove(
    app: &App,
    origin: &Origin,
    (team_id, member_id): (Uuid, Uuid),
    if_match: Option<i64>,
) -> Result<Versioned<Team>, AppError> {
    let command = TeamCommand::RemoveMember { member_id };
    let side_writes = |_: &[TeamEvent]| vec![SideWrite::MemberRemoved { member_id }];
    teams::execute(app, origin, team_id, if_match, command, side_writes).await
}

/// Erases the name and e-mail address of a member who has left, answering the position a
/// reader waits for. Erasing again changes nothing; a current member is
/// [`AppError::MemberActive`].
#[tracing::instrument(skip_all, fields(team_id = %team_id, member_id = %member_id))]
pub async fn erase(app: &App, team_id: Uuid, member_id: Uuid) -> Result<i64, AppError> {
    match app
        .store
        .directory()
        .erase_member(team_id, member_id)
        .await?
    {
        MemberErasure::Erased => Ok(app.store.events().visible_head().await?),
        MemberErasure::StillMember => Err(AppError::MemberActive),
        MemberErasure::Unknown => Err(AppError::NotFound("member")),
    }
}

/// A token just issued (its secret shown this once), and the position a reader waits for.
#[derive(Debug)]
pub struct Issued {
    pub token: NewToken,
    pub position: i64,
}

/// Longest name of a token, in characters.
pub const TOKEN_NAME_MAX: usize = 100;

/// Issues another token for the member, named as they like.
#[tracing::instrument(skip_all, fields(team_id = %team_id, member_id = %member_id))]
pub async fn issue_token(
    app: &App,
    team_id: Uuid,
    member_id: Uuid,
    name: &str,
) -> Result<Issued, AppError> {
    let name = text::title(name, TOKEN_NAME_MAX).map_err(|e| Invalid::new("name", e))?;
    let token = app
        .store
        .directory()
        .issue_token(team_id, member_id, Some(&name))
        .await?;
    let position = app.store.events().visible_head().await?;
    Ok(Issued { token, position })
}

/// Revokes a token at once, answering the position a reader waits for. A member revokes
/// their own; one whose `role` administers the team, any of the team's. Revoking a revoked
/// token changes nothing.
#[tracing::instrument(skip_all, fields(team_id = %team_id, token_id = %token_id))]
pub async fn revoke_token(
    app: &App,
    origin: &Origin,
    role: Role,
    (team_id, token_id): (Uuid, Uuid),
) -> Result<i64, AppError> {
    let token = app
        .store
        .directory()
        .find_token(team_id, token_id)
        .await?
        .ok_or(AppError::NotFound("token"))?;
    let own = origin.actor.member_id() == Some(token.member_id);
    if !own && !role.can_administer() {
        return Err(TeamError::Forbidden("only owners and admins may do this").into());
    }
    app.store
        .directory()
        .revoke_token(team_id, token_id)
        .await?;
    Ok(app.store.events().visible_head().await?)
}

/// The tokens of `whose` that still work, for a `caller` (their id and role): their own, or
/// as an owner or admin, any member's.
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn tokens(
    app: &App,
    team_id: Uuid,
    (caller, role): (Uuid, Role),
    whose: Uuid,
) -> Result<Vec<TokenListing>, AppError> {
    if whose != caller && !role.can_administer() {
        return Err(TeamError::Forbidden("only owners and admins may see others' tokens").into());
    }
    let directory = app.store.directory();
    if directory.member(team_id, whose).await?.is_none() {
        return Err(AppError::NotFound("member"));
    }
    Ok(directory.tokens_of(team_id, whose).await?)
}
