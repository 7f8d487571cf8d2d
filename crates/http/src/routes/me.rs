//! Who the bearer token is: the member it signs in and their team, for a frontend that holds
//! a token and must know whose it is before it reads anything of a team.

use actix_web::{HttpResponse, get};
use serde::{Deserialize, Serialize};
use stride_app::members::{self, Membership};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::Reply;
use super::teams::MemberView;
use crate::auth::Caller;
use crate::extract::{ApiQuery, Ctx};

pub fn configure(config: &mut ServiceConfig) {
    config.service(who_am_i);
}

/// A team as its members' own identity names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamSummary {
    pub id: Uuid,
    pub name: String,
    /// URL name of the team's public board.
    pub slug: String,
}

/// The member a token signs in, and their team.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    pub team: TeamSummary,
    /// The caller, as the team's member list shows them.
    pub member: MemberView,
}

impl From<Membership> for WhoAmI {
    fn from(membership: Membership) -> WhoAmI {
        let team = membership.team;
        WhoAmI {
            team: TeamSummary {
                id: team.id,
                name: team.name,
                slug: team.slug,
            },
            member: membership.member.into(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WhoAmIQuery {
    /// The team a token of the team's sign-in provider (a JWT) signs in to; required for
    /// one. A Stride token knows its team: naming another is 404.
    pub team_id: Option<Uuid>,
}

/// Tells who the token is
///
/// The member a bearer token signs in and their team, with their role: a Stride token, or
/// a token of a team's sign-in provider with `?team_id=` naming that team. It is checked as
/// on every team route, so a revoked token or a removed member is 401 at once. A board
/// contributor's token is 403: it is for the team's public board only.
#[utoipa::path(tag = "teams", security(("bearer" = [])), params(WhoAmIQuery), responses(
    (status = 200, description = "The member the token signs in, and their team.", body = WhoAmI),
    ),
    extensions(("x-problems" = json!(["forbidden", "not_found"]))),
)]
#[get("/me")]
async fn who_am_i(ctx: Ctx, caller: Caller, query: ApiQuery<WhoAmIQuery>) -> Reply {
    if let Some(team_id) = query.team_id {
        caller.in_team(team_id)?;
    }
    let membership = members::membership(&ctx.app, caller.team_id, caller.member_id).await?;
    Ok(HttpResponse::Ok().json(WhoAmI::from(membership)))
}
