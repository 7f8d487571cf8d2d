//! Members: added with a first token, re-roled, removed (their tokens stop at once), and
//! once they have left, their name and e-mail address erased.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, patch, post, web};
use serde::{Deserialize, Serialize};
use stride_domain::team::{Role, TeamCommand, TeamEvent};
use stride_storage::SideWrite;
use stride_storage::members::MemberErasure;
use stride_storage::tokens::NewToken;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::teams::{MemberView, RoleName, TokenView, person};
use super::written;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, Ctx, if_match};
use stride_app::teams;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(add_member)
        .service(change_role)
        .service(remove_member)
        .service(erase_member);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub name: String,
    pub email: String,
    pub role: RoleName,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberAdded {
    pub member: MemberView,
    pub token: TokenView,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    pub role: RoleName,
}

/// Adds a member (owners and admins; only owners add owners) and returns their first
/// token, shown this once.
#[utoipa::path(tag = "members", security(("bearer" = [])), request_body = NewMember, responses(
    (status = 201, body = MemberAdded, headers(("ETag" = String), ("Stride-Position" = i64))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[post("/teams/{team_id}/members")]
async fn add_member(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: ApiJson<NewMember>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.in_team(path.into_inner())?.may_administer()?.clone();
    let (name, email) = person("", &body.0.name, &body.0.email)?;
    let role = Role::from(body.0.role);
    let member_id = Uuid::now_v7();
    let token = NewToken::generate();
    let command = TeamCommand::AddMember { member_id, role };
    let (_, outcome) = teams::execute(
        &ctx.app,
        &ctx.origin(caller.actor()),
        caller.team_id,
        if_match(&req)?,
        command,
        |_: &[TeamEvent]| {
            vec![
                SideWrite::Member {
                    member_id,
                    name: name.clone(),
                    email: email.clone(),
                    role: role.as_str().into(),
                },
                SideWrite::Token {
                    token_id: token.token_id,
                    member_id,
                    hash: token.hash.clone(),
                },
            ]
        },
    )
    .await?;
    let member = ctx
        .store
        .member(caller.team_id, member_id)
        .await?
        .ok_or_else(|| ApiError::not_found("member"))?;
    let body = MemberAdded {
        member: member.into(),
        token: TokenView::new(token, member_id),
    };
    Ok(written(
        StatusCode::CREATED,
        &body,
        Some(outcome.version),
        outcome.position,
    ))
}

/// Changes a member's role (owners and admins; only owners grant or take the owner role;
/// a team keeps at least one owner).
#[utoipa::path(tag = "members", security(("bearer" = [])), request_body = RoleChange, responses(
    (status = 200, body = MemberView, headers(("ETag" = String), ("Stride-Position" = i64))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the last owner cannot step down", body = Problem, content_type = "application/problem+json"),
))]
#[patch("/teams/{team_id}/members/{member_id}")]
async fn change_role(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    body: ApiJson<RoleChange>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, member_id) = path.into_inner();
    let caller = caller.in_team(team_id)?.may_administer()?.clone();
    let role = Role::from(body.0.role);
    let command = TeamCommand::ChangeMemberRole { member_id, role };
    let (_, outcome) = teams::execute(
        &ctx.app,
        &ctx.origin(caller.actor()),
        team_id,
        if_match(&req)?,
        command,
        |_: &[TeamEvent]| {
            vec![SideWrite::MemberRole {
                member_id,
                role: role.as_str().into(),
            }]
        },
    )
    .await?;
    let member = ctx
        .store
        .member(team_id, member_id)
        .await?
        .ok_or_else(|| ApiError::not_found("member"))?;
    Ok(written(
        StatusCode::OK,
        &MemberView::from(member),
        Some(outcome.version),
        outcome.position,
    ))
}

/// Removes a member; every token of theirs stops working in the same commit.
#[utoipa::path(tag = "members", security(("bearer" = [])), responses(
    (status = 204, headers(("ETag" = String), ("Stride-Position" = i64))),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the last owner cannot leave", body = Problem, content_type = "application/problem+json"),
))]
#[delete("/teams/{team_id}/members/{member_id}")]
async fn remove_member(
    ctx: Ctx,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, member_id) = path.into_inner();
    let caller = caller.in_team(team_id)?.may_administer()?.clone();
    let command = TeamCommand::RemoveMember { member_id };
    let (_, outcome) = teams::execute(
        &ctx.app,
        &ctx.origin(caller.actor()),
        team_id,
        if_match(&req)?,
        command,
        |_: &[TeamEvent]| vec![SideWrite::MemberRemoved { member_id }],
    )
    .await?;
    Ok(HttpResponse::NoContent()
        .insert_header((actix_web::http::header::ETAG, super::etag(outcome.version)))
        .insert_header((super::STRIDE_POSITION, outcome.position.to_string()))
        .finish())
}

/// Erases a member's name and e-mail address once they have left the team (owners and
/// admins). Events only ever held their id, so what they did stays, shown without a name;
/// kept Idempotency-Key responses that named them are forgotten. Erasing again changes
/// nothing; a current member is removed first.
#[utoipa::path(tag = "members", security(("bearer" = [])), responses(
    (status = 204, headers(("Stride-Position" = i64))),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "`member_active`: the member is still in the team; remove them first", body = Problem, content_type = "application/problem+json"),
))]
#[delete("/teams/{team_id}/members/{member_id}/personal-data")]
async fn erase_member(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, member_id) = path.into_inner();
    let caller = caller.in_team(team_id)?.may_administer()?.clone();
    match ctx.store.erase_member(caller.team_id, member_id).await? {
        MemberErasure::Erased => {}
        MemberErasure::StillMember => {
            return Err(ApiError::conflict(
                "member_active",
                "the member is still in the team: remove them first (DELETE /v1/teams/{team_id}/members/{member_id})",
            ));
        }
        MemberErasure::Unknown => return Err(ApiError::not_found("member")),
    }
    let position = ctx.store.visible_head().await?;
    Ok(HttpResponse::NoContent()
        .insert_header((super::STRIDE_POSITION, position.to_string()))
        .finish())
}
