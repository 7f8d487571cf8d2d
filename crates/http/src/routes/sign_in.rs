//! Where a browser sends a person to sign in to a team through its OpenID Connect provider,
//! found by the team's slug before any token is held.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use stride_app::sign_in::{self, ProviderOf};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::Reply;
use crate::extract::Ctx;

pub fn configure(config: &mut ServiceConfig) {
    config.service(find_sign_in_provider);
}

/// A team's sign-in provider, for the authorization code flow with PKCE.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignInProvider {
    /// The team a token from the provider signs in to: name it as `team_id` where a route
    /// asks for the team.
    pub team_id: Uuid,
    pub team_name: String,
    pub slug: String,
    /// The provider's issuer; its discovery document is at
    /// `<issuer>/.well-known/openid-configuration`.
    #[schema(max_length = 2048)]
    pub issuer: String,
    /// The client id to ask the provider's authorization endpoint with: the audience the
    /// team's tokens must carry.
    #[schema(max_length = 255)]
    pub client_id: String,
}

impl From<ProviderOf> for SignInProvider {
    fn from(p: ProviderOf) -> SignInProvider {
        SignInProvider {
            team_id: p.team_id,
            team_name: p.team_name,
            slug: p.slug,
            issuer: p.issuer,
            client_id: p.client_id,
        }
    }
}

/// Finds a team's sign-in provider
///
/// Anyone may ask, without a token: the issuer and client id a browser needs to send a person
/// to the team's OpenID Connect provider (authorization code with PKCE), and the team the
/// resulting ID token signs in to. A slug that names no team and a team without a provider
/// are both 404, so the answer tells nothing of teams that sign in with Stride tokens only.
#[utoipa::path(tag = "teams", responses(
    (status = 200, description = "The team's provider.", body = SignInProvider),
))]
#[get("/sign-in/{slug}")]
async fn find_sign_in_provider(ctx: Ctx, slug: web::Path<String>) -> Reply {
    let provider = sign_in::provider_of(&ctx.app, &slug).await?;
    Ok(HttpResponse::Ok().json(SignInProvider::from(provider)))
}
