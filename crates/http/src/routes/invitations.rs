//! Invitations: owners and admins invite someone by e-mail with a role and pass on the
//! one-time code they are handed; the invitee accepts it with their name, without a token,
//! and gets their own first token. The API sends no mail.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stride_app::invitations::{self, Waiting};
use stride_domain::team::Role;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::teams::{MemberView, TeamView, TokenView};
use super::{Reply, no_content, written};
use crate::auth::Admin;
use crate::error::ApiError;
use crate::extract::{ApiJson, Ctx, IfMatch, PathId};
use crate::schema::{Email, Name};

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(invite_someone)
        .service(list_invitations)
        .service(revoke_invitation);
}

pub fn configure_accept(config: &mut ServiceConfig) {
    config.service(accept_invitation);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    /// Where the invitee reads their mail: kept with the invitation, never in an event.
    #[schema(value_type = Email)]
    pub email: String,
    /// The role they join with; only owners invite an owner.
    pub role: Role,
    /// How the invitee is called, for whoever sends the invitation.
    #[schema(value_type = Option<Name>)]
    pub name: Option<String>,
}

/// An invitation waiting to be accepted.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    /// After this instant the code opens nothing.
    pub expires_at: DateTime<Utc>,
}

impl From<Waiting> for InvitationView {
    fn from(w: Waiting) -> InvitationView {
        InvitationView {
            id: w.id,
            email: w.email,
            name: w.name,
            role: w.role,
            expires_at: w.expires_at,
        }
    }
}

/// An invitation just made, with its code.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationMade {
    #[serde(flatten)]
    pub invitation: InvitationView,
    /// The one-time code to pass on to the invitee, who accepts with it at
    /// `POST /v1/invitations/accept`. Shown this once: only its hash is kept.
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationList {
    pub items: Vec<InvitationView>,
}

/// Invites someone
///
/// Owners and admins invite someone by e-mail address with a role (only owners invite an
/// owner), and are handed a one-time code, valid 7 days, to pass on: the API sends no mail.
/// A team has at most 500 invitations waiting. `MemberInvited` is the event (without the
/// address or the code).
#[utoipa::path(tag = "members", request_body = NewInvitation,
    params(IfMatch),
    responses((status = 201, description = "The invitation and its code (shown once).", body = InvitationMade)),
    extensions(("x-problems" = json!(["too_many_invitations"]))),
)]
#[post("/invitations")]
async fn invite_someone(
    ctx: Ctx,
    caller: Admin,
    IfMatch(expected): IfMatch,
    body: ApiJson<NewInvitation>,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let new = body.0;
    let invitee = (new.email.as_str(), new.name.as_deref());
    let made = invitations::invite(
        &ctx.app,
        &origin,
        caller.team_id,
        expected,
        invitee,
        new.role,
    )
    .await?;
    let body = InvitationMade {
        invitation: made.invitation.into(),
        code: made.code.code,
    };
    Ok(written(
        StatusCode::CREATED,
        &body,
        Some(made.version),
        made.position,
    ))
}

/// Lists the invitations waiting
///
/// Owners and admins see the invitations neither accepted, revoked nor expired, soonest to
/// expire first; never their codes.
#[utoipa::path(tag = "members", responses(
    (status = 200, description = "The invitations waiting.", body = InvitationList),
))]
#[get("/invitations")]
async fn list_invitations(ctx: Ctx, caller: Admin) -> Reply {
    let waiting = invitations::waiting(&ctx.app, caller.team_id).await?;
    Ok(HttpResponse::Ok().json(InvitationList {
        items: waiting.into_iter().map(InvitationView::from).collect(),
    }))
}

/// Revokes an invitation
///
/// Owners and admins revoke an invitation waiting: its code stops working at once, and its
/// invitee's address is forgotten.
#[utoipa::path(tag = "members", params(IfMatch),
    responses((status = 204, description = "Revoked.")),
)]
#[delete("/invitations/{invitation_id}")]
async fn revoke_invitation(
    ctx: Ctx,
    caller: Admin,
    IfMatch(expected): IfMatch,
    PathId(invitation_id): PathId,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let ids = (caller.team_id, invitation_id);
    let position = invitations::revoke(&ctx.app, &origin, ids, expected).await?;
    Ok(no_content(None, position))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    /// The code the invitation came with.
    #[schema(min_length = 1, max_length = 128)]
    pub code: String,
    /// How the new member is called in the team.
    #[schema(value_type = Name)]
    pub name: String,
}

/// Someone who joined: their team, themselves, and their first token.
#[derive(Debug, Serialize, ToSchema)]
pub struct JoinedTeam {
    pub team: TeamView,
    pub member: MemberView,
    pub token: TokenView,
}

/// Accepts an invitation
///
/// No token: the code is the key. The invitee joins with the invitation's role and gets
/// their own first token, shown this once, which nobody else has seen. A code that is
/// unknown, used, revoked or expired is 404 `invitation_invalid`, whichever it is. Rate
/// limited per client address like board writes.
#[utoipa::path(tag = "members", request_body = Acceptance,
    responses((status = 201, description = "The team, the new member and their first token (shown once).", body = JoinedTeam)),
    extensions(("x-problems" = json!(["invitation_invalid", "rate_limited"]))),
)]
#[post("/invitations/accept")]
async fn accept_invitation(ctx: Ctx, body: ApiJson<Acceptance>) -> Reply {
    let origin = ctx.origin(stride_domain::Actor::Anonymous);
    let acceptance = body.0;
    if acceptance.code.len() > 128 {
        return Err(ApiError::validation("code", "is at most 128 characters"));
    }
    let joined = invitations::accept(&ctx.app, &origin, &acceptance.code, &acceptance.name).await?;
    let member_id = joined.member.member_id;
    let body = JoinedTeam {
        team: joined.team.into(),
        member: joined.member.into(),
        token: TokenView::new(joined.token, member_id),
    };
    Ok(written(StatusCode::CREATED, &body, None, joined.position))
}
