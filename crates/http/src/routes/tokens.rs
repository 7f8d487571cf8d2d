//! Tokens: a member issues more tokens for themselves; a token is revoked by its member or
//! by an owner or admin.

use actix_web::http::StatusCode;
use actix_web::{delete, post};
use stride_app::members;
use utoipa_actix_web::service_config::ServiceConfig;

use super::Reply;
use super::teams::TokenView;
use super::{no_content, written};
use crate::auth::Member;
use crate::extract::{Ctx, PathId};

pub fn configure(config: &mut ServiceConfig) {
    config.service(issue_token).service(revoke_token);
}

/// Issues a token for the caller
///
/// Any member issues more tokens for themselves, each shown this once. Tokens are not
/// events: they live only as hashes, outside the event log.
#[utoipa::path(tag = "tokens", responses(
    (status = 201, description = "The token (shown once).", body = TokenView),
))]
#[post("/tokens")]
async fn issue_token(ctx: Ctx, caller: Member) -> Reply {
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
#[utoipa::path(tag = "tokens",
    responses((status = 204, description = "Revoked.")),
    extensions(("x-problems" = json!(["forbidden"]))),
)]
#[delete("/tokens/{token_id}")]
async fn revoke_token(ctx: Ctx, caller: Member, PathId(token_id): PathId) -> Reply {
    let origin = ctx.origin(caller.actor());
    let ids = (caller.team_id, token_id);
    let position = members::revoke_token(&ctx.app, &origin, caller.role, ids).await?;
    Ok(no_content(None, position))
}
