//! Invitations: an owner or admin invites someone by e-mail address with a role, and is
//! handed a one-time code to pass on; the invitee accepts with the code and their name, and
//! joins with their own first token, which nobody else ever sees. The code is kept only as a
//! hash and opens the team for 7 days; a used, revoked or expired code is refused the same
//! way as one that never existed. The invitee's address lives beside the invitation, never in
//! an event, and is forgotten when the invitation is accepted (it is the member's then),
//! revoked, or found expired.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use stride_domain::Invalid;
use stride_domain::team::{Role, TeamCommand, TeamError, TeamEvent};
use stride_domain::text;
use stride_storage::SideWrite;
use stride_storage::invitations::{InvitationRecord, NewCode};
use stride_storage::members::MemberRecord;
use stride_storage::tokens::NewToken;
use uuid::Uuid;

use crate::people::PERSON_NAME_MAX;
use crate::teams::{self, TeamDetails};
use crate::{App, AppError, Origin};

/// An invitation waiting to be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

/// An invitation just made, with its code (shown this once), and the team's version and
/// position after.
#[derive(Debug)]
pub struct Invited {
    pub invitation: Waiting,
    pub code: NewCode,
    pub version: i64,
    pub position: i64,
}

/// Someone who just accepted: their team, their member record and their first token (its
/// secret shown this once).
#[derive(Debug)]
pub struct Joined {
    pub team: TeamDetails,
    pub member: MemberRecord,
    pub token: NewToken,
    pub position: i64,
}

fn name(raw: Option<&str>, field: &'static str) -> Result<Option<String>, AppError> {
    raw.map(|n| text::title(n, PERSON_NAME_MAX).map_err(|e| Invalid::new(field, e).into()))
        .transpose()
}

/// Invites `email` to join with `role`; owners and admins only, and only owners invite an
/// owner.
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn invite(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    if_match: Option<i64>,
    (email, invitee): (&str, Option<&str>),
    role: Role,
) -> Result<Invited, AppError> {
    let email = text::email(email).map_err(|e| Invalid::new("email", e))?;
    let invitee = name(invitee, "name")?;
    let invitation_id = Uuid::now_v7();
    let code = NewCode::generate();
    let command = TeamCommand::Invite {
        invitation_id,
        role,
        now: Utc::now(),
    };
    let side_writes = |events: &[TeamEvent]| {
        events
            .iter()
            .filter_map(|event| match event {
                TeamEvent::MemberInvited { expires_at, .. } => Some(SideWrite::Invitation {
                    invitation_id,
                    email: email.clone(),
                    name: invitee.clone(),
                    code_hash: code.hash.clone(),
                    expires_at: *expires_at,
                }),
                _ => None,
            })
            .collect()
    };
    let team = teams::execute(app, origin, team_id, if_match, command, side_writes).await?;
    let invitation = team
        .state
        .invitations
        .get(&invitation_id)
        .ok_or(AppError::NotFound("invitation"))?;
    Ok(Invited {
        invitation: Waiting {
            id: invitation_id,
            email,
            name: invitee,
            role: invitation.role,
            expires_at: invitation.expires_at,
        },
        code,
        version: team.version,
        position: team.position,
    })
}

/// The team's invitations waiting and not expired, soonest to expire first.
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn waiting(app: &App, team_id: Uuid) -> Result<Vec<Waiting>, AppError> {
    let team = teams::load(&app.store, team_id).await?.state;
    let records = app.store.directory().invitations(team_id).await?;
    let invitees: BTreeMap<Uuid, _> = records
        .into_iter()
        .map(|r| (r.invitation_id, (r.email, r.name)))
        .collect();
    let now = Utc::now();
    let mut waiting: Vec<Waiting> = team
        .invitations
        .iter()
        .filter(|(_, invitation)| invitation.expires_at > now)
        .filter_map(|(id, invitation)| {
            let (email, name) = invitees.get(id)?.clone();
            Some(Waiting {
                id: *id,
                email,
                name,
                role: invitation.role,
                expires_at: invitation.expires_at,
            })
        })
        .collect();
    waiting.sort_by_key(|w| (w.expires_at, w.id));
    Ok(waiting)
}

/// Revokes an invitation; its code stops working and its invitee is forgotten.
#[tracing::instrument(skip_all, fields(team_id = %team_id, invitation_id = %invitation_id))]
pub async fn revoke(
    app: &App,
    origin: &Origin,
    (team_id, invitation_id): (Uuid, Uuid),
    if_match: Option<i64>,
) -> Result<i64, AppError> {
    let command = TeamCommand::RevokeInvitation { invitation_id };
    let side_writes = |_: &[TeamEvent]| vec![SideWrite::InvitationClosed { invitation_id }];
    let team = teams::execute(app, origin, team_id, if_match, command, side_writes).await?;
    Ok(team.position)
}

/// Accepts the invitation `code` opens: its invitee joins as `name` with the invitation's
/// role and their own first token, in one append.
#[tracing::instrument(skip_all)]
pub async fn accept(
    app: &App,
    origin: &Origin,
    code: &str,
    member_name: &str,
) -> Result<Joined, AppError> {
    let member_name = name(Some(member_name), "name")?.unwrap_or_default();
    let invitation = app
        .store
        .directory()
        .invitation_by_code(code)
        .await?
        .ok_or(TeamError::InvitationInvalid)?;
    accept_record(app, origin, invitation, member_name).await
}

/// Accepts `invitation` for its invitee, who joins as `member_name`.
#[tracing::instrument(skip_all, fields(team_id = %invitation.team_id))]
pub(crate) async fn accept_record(
    app: &App,
    origin: &Origin,
    invitation: InvitationRecord,
    member_name: String,
) -> Result<Joined, AppError> {
    let team_id = invitation.team_id;
    let (member_id, token) = (Uuid::now_v7(), NewToken::generate());
    let command = TeamCommand::AcceptInvitation {
        invitation_id: invitation.invitation_id,
        member_id,
        now: Utc::now(),
    };
    let side_writes = |events: &[TeamEvent]| {
        let role = events.iter().find_map(|event| match event {
            TeamEvent::MemberAdded { role, .. } => Some(*role),
            _ => None,
        });
        let Some(role) = role else {
            return Vec::new();
        };
        vec![
            SideWrite::Member {
                member_id,
                name: member_name.clone(),
                email: invitation.email.clone(),
                role: role.as_str().into(),
            },
            SideWrite::Token {
                token_id: token.token_id,
                member_id,
                hash: token.hash.clone(),
            },
            SideWrite::InvitationClosed {
                invitation_id: invitation.invitation_id,
            },
        ]
    };
    let team = teams::execute(app, origin, team_id, None, command, side_writes).await?;
    let position = team.position;
    let member = crate::members::current(app, team_id, member_id).await?;
    Ok(Joined {
        team: teams::details(app, team).await?,
        member,
        token,
        position,
    })
}
