//! Members: added directly (for automation; a service account gets a first token), re-roled,
//! removed (their tokens stop at once), and once they have left, their name and e-mail
//! address erased. People join by invitation (see `invitations`).

use actix_web::http::StatusCode;
use actix_web::{delete, patch, post};
use serde::{Deserialize, Serialize};
use stride_app::{members, people};
use stride_domain::team::Role;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::Reply;
use super::teams::{MemberView, TokenView};
use super::{no_content, written};
use crate::auth::Admin;
use crate::extract::{ApiJson, Ctx, IfMatch, PathId};
use crate::schema::{Email, Name};

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(add_member)
        .service(change_member_role)
        .service(remove_member)
        .service(erase_member_personal_data);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    #[schema(value_type = Name)]
    pub name: String,
    #[schema(value_type = Email)]
    pub email: String,
    pub role: Role,
    /// A service account (a scheduler, a script): the answer holds its first token. People
    /// are invited instead, and hold tokens that nobody else has seen.
    #[serde(default)]
    pub service: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberAdded {
    pub member: MemberView,
    /// The first token of a service account, shown this once; null for anyone else.
    pub token: Option<TokenView>,
}

impl From<members::Added> for MemberAdded {
    fn from(added: members::Added) -> MemberAdded {
        let member_id = added.member.member_id;
        MemberAdded {
            member: added.member.into(),
            token: added.token.map(|token| TokenView::new(token, member_id)),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    pub role: Role,
}

/// Adds a member
///
/// Owners and admins add a member directly (only owners add owners), for automation. With
/// `"service": true` the answer holds the account's first token, shown this once; without,
/// it holds none: people are invited (`POST .../invitations`) and hold tokens that nobody
/// else has seen.
#[utoipa::path(tag = "members", request_body = NewMember,
    params(IfMatch),
    responses((status = 201, description = "The member, with a service account's first token (shown once).", body = MemberAdded,
        headers(("ETag" = String)))),
    extensions(("x-problems" = json!(["already_member", "already_taken"]))),
)]
#[post("/members")]
async fn add_member(
    ctx: Ctx,
    caller: Admin,
    IfMatch(expected): IfMatch,
    body: ApiJson<NewMember>,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let new = body.0;
    let person = people::Person {
        name: &new.name,
        email: &new.email,
    };
    let (team_id, role) = (caller.team_id, (new.role, new.service));
    let added = members::add(&ctx.app, &origin, team_id, expected, person, role).await?;
    let (version, position) = (added.version, added.position);
    let body = MemberAdded::from(added);
    Ok(written(StatusCode::CREATED, &body, Some(version), position))
}

/// Changes a member's role
///
/// Owners and admins change roles; only owners grant or take the owner role, and a team
/// keeps at least one owner.
#[utoipa::path(tag = "members", request_body = RoleChange,
    params(IfMatch),
    responses((status = 200, description = "The member with their new role.", body = MemberView,
        headers(("ETag" = String)))),
    extensions(("x-problems" = json!(["last_owner"]))),
)]
#[patch("/members/{member_id}")]
async fn change_member_role(
    ctx: Ctx,
    caller: Admin,
    IfMatch(expected): IfMatch,
    PathId(member_id): PathId,
    body: ApiJson<RoleChange>,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let role = body.0.role;
    let ids = (caller.team_id, member_id);
    let member = members::change_role(&ctx.app, &origin, ids, expected, role).await?;
    Ok(written(
        StatusCode::OK,
        &MemberView::from(member.state),
        Some(member.version),
        member.position,
    ))
}

/// Removes a member
///
/// Owners and admins remove a member (only owners remove an owner, and a team keeps at
/// least one); every token of theirs stops working in the same commit. What they did stays.
#[utoipa::path(tag = "members", params(IfMatch),
    responses((status = 204, description = "Removed.", headers(("ETag" = String)))),
    extensions(("x-problems" = json!(["last_owner"]))),
)]
#[delete("/members/{member_id}")]
async fn remove_member(
    ctx: Ctx,
    caller: Admin,
    IfMatch(expected): IfMatch,
    PathId(member_id): PathId,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let ids = (caller.team_id, member_id);
    let team = members::remove(&ctx.app, &origin, ids, expected).await?;
    Ok(no_content(Some(team.version), team.position))
}

/// Erases a former member's personal data
///
/// Owners and admins erase the name and e-mail address of a member who has left the team.
/// Events only ever held their id, so what they did stays, shown without a name; kept
/// Idempotency-Key responses that named them are forgotten. Erasing again changes nothing;
/// a current member is removed first.
#[utoipa::path(tag = "members",
    responses((status = 204, description = "Erased.")),
    extensions(("x-problems" = json!(["member_active"]))),
)]
#[delete("/members/{member_id}/personal-data")]
async fn erase_member_personal_data(ctx: Ctx, caller: Admin, PathId(member_id): PathId) -> Reply {
    let position = members::erase(&ctx.app, caller.team_id, member_id).await?;
    Ok(no_content(None, position))
}
