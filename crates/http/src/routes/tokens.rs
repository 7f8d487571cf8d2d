//! Tokens: a member lists, issues and revokes their own; owners and admins list and revoke
//! anyone's, and never read a secret after it was issued.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stride_app::members;
use stride_storage::tokens::TokenListing;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::Reply;
use super::teams::TokenView;
use super::{no_content, written};
use crate::auth::Member;
use crate::extract::{ApiJson, ApiQuery, Ctx, PathId};
use crate::schema::Name;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_tokens)
        .service(issue_token)
        .service(revoke_token);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    /// What the token is for ("laptop", "scheduler"), to tell it apart when listing.
    #[schema(value_type = Name)]
    pub name: String,
}

/// A token as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenListed {
    pub id: Uuid,
    pub member_id: Uuid,
    /// Null for a member's first token, made when they joined.
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request, to the minute; null if never.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<TokenListing> for TokenListed {
    fn from(t: TokenListing) -> TokenListed {
        TokenListed {
            id: t.token_id,
            member_id: t.member_id,
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenListed>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TokensQuery {
    /// Whose tokens: the caller's unless given; owners and admins may name any member.
    pub member_id: Option<Uuid>,
}

/// Lists tokens
///
/// A member lists their own tokens that still work, oldest first; owners and admins any
/// member's (`member_id`). Secrets are never shown again.
#[utoipa::path(tag = "tokens", params(TokensQuery),
    responses((status = 200, description = "The tokens that still work.", body = TokenList)),
    extensions(("x-problems" = json!(["forbidden"]))),
)]
#[get("/tokens")]
async fn list_tokens(ctx: Ctx, caller: Member, query: ApiQuery<TokensQuery>) -> Reply {
    let whose = query.0.member_id.unwrap_or(caller.member_id);
    let listed = members::tokens(
        &ctx.app,
        caller.team_id,
        (caller.member_id, caller.role),
        whose,
    )
    .await?;
    Ok(HttpResponse::Ok().json(TokenList {
        items: listed.into_iter().map(TokenListed::from).collect(),
    }))
}

/// Issues a token for the caller
///
/// Any member issues more tokens for themselves, each with a name and shown this once.
/// Tokens are not events: they live only as hashes, outside the event log.
#[utoipa::path(tag = "tokens", request_body = NewTokenBody, responses(
    (status = 201, description = "The token (shown once).", body = TokenView),
))]
#[post("/tokens")]
async fn issue_token(ctx: Ctx, caller: Member, body: ApiJson<NewTokenBody>) -> Reply {
    let name = body.0.name;
    let issued = members::issue_token(&ctx.app, caller.team_id, caller.member_id, &name).await?;
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
