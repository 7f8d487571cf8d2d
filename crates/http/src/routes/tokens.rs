//! Tokens: a member issues more tokens for themselves; a token is revoked by its member or
//! by an owner or admin.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, post, web};
use stride_app::members;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::teams::TokenView;
use super::{no_content, written};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Ctx;

pub fn configure(config: &mut ServiceConfig) {
    config.service(issue_token).service(revoke_token);
}

/// Issues a token for the caller
///
/// Any member issues more tokens for themselves, each shown this once. Tokens are not
/// events: they live only as hashes, outside the event log.
#[utoipa::path(tag = "tokens", security(("bearer" = [])), responses(
    (status = 201, description = "The token (shown once).", body = TokenView, headers(("Stride-Position" = i64))),
))]
#[post("/teams/{team_id}/tokens")]
async fn issue_token(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.in_team(path.into_inner())?;
    let issued = members::issue_token(&ctx.app, caller.team_id, caller.member_id).await?;
    Ok(written(
        StatusCode::CREATED,
        &TokenView::new(issued.token, caller.member_id),
        None,
        issued.position,
    ))
}

/// Revokes a token
///
/// Revokes a token at once. Members revoke their own; owners and admins any of the team's.
/// Revoking a revoked token changes nothing.
#[utoipa::path(tag = "tokens", security(("bearer" = [])),
    responses((status = 204, description = "Revoked.", headers(("Stride-Position" = i64)))),
    extensions(("x-problems" = json!(["forbidden"]))),
)]
#[delete("/teams/{team_id}/tokens/{token_id}")]
async fn revoke_token(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, token_id) = path.into_inner();
    let caller = caller.in_team(team_id)?;
    let origin = ctx.origin(caller.actor());
    let ids = (team_id, token_id);
    let position = members::revoke_token(&ctx.app, &origin, caller.role, ids).await?;
    Ok(no_content(None, position))
}
