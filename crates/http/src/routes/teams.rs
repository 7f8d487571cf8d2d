//! Teams: open sign-up, reading a team, changing its name and settings.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, get, patch, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stride_app::people;
use stride_app::teams::{self, Registered, TeamDetails};
use stride_domain::Actor;
use stride_domain::team::{Role, TeamChanges};
use stride_storage::members::MemberRecord;
use stride_storage::tokens::NewToken;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::Reply;
use super::channels::ChannelView;
use super::{read, written};
use crate::auth::{Admin, Member};
use crate::error::ApiError;
use crate::extract::{ApiJson, Ctx, IfMatch};
use crate::schema::{Audience, Email, Name, Slug};

/// `POST /teams`, outside any team.
pub fn configure_sign_up(config: &mut ServiceConfig) {
    config.service(sign_up);
}

pub fn configure(config: &mut ServiceConfig) {
    config.service(get_team).service(update_team);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    /// The team's display name.
    #[schema(value_type = Name)]
    pub name: String,
    /// URL name of the team's public board.
    #[schema(value_type = Slug)]
    pub slug: String,
    pub owner: Person,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    #[schema(value_type = Name)]
    pub name: String,
    #[schema(value_type = Email)]
    pub email: String,
}

impl Person {
    pub fn as_app(&self) -> people::Person<'_> {
        people::Person {
            name: &self.name,
            email: &self.email,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Board {
    /// Whether the community board at `/v1/boards/{slug}` is visible.
    pub public: bool,
    pub accepting_ideas: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

impl From<MemberRecord> for MemberView {
    fn from(record: MemberRecord) -> MemberView {
        MemberView {
            id: record.member_id,
            name: record.name,
            email: record.email,
            role: Role::parse(&record.role).unwrap_or(Role::Viewer),
            joined_at: record.joined_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamView {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    /// Posts need an owner's or admin's approval before they are scheduled or published.
    pub require_approval: bool,
    pub board: Board,
    pub members: Vec<MemberView>,
    pub channels: Vec<ChannelView>,
    /// Sign-in through the team's OpenID Connect provider, when its owner set it up.
    pub sso: Option<stride_domain::team::Sso>,
    /// Also sent as the ETag; send it back in If-Match to change the team safely.
    pub version: i64,
}

impl From<TeamDetails> for TeamView {
    fn from(details: TeamDetails) -> TeamView {
        let team = details.team.state;
        TeamView {
            id: team.id,
            name: team.name,
            slug: team.slug,
            require_approval: team.require_approval,
            board: Board {
                public: team.board.public,
                accepting_ideas: team.board.accepting_ideas,
            },
            members: details.members.into_iter().map(MemberView::from).collect(),
            channels: details.channels.iter().map(ChannelView::from).collect(),
            sso: team.sso,
            version: details.team.version,
        }
    }
}

/// A token, shown once: only its hash is kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub member_id: Uuid,
    /// Send as `Authorization: Bearer <secret>`. It cannot be shown again.
    pub secret: String,
}

impl TokenView {
    pub fn new(token: NewToken, member_id: Uuid) -> TokenView {
        TokenView {
            id: token.token_id,
            member_id,
            secret: token.secret,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignedUp {
    pub team: TeamView,
    pub member: MemberView,
    pub token: TokenView,
}

impl From<Registered> for SignedUp {
    fn from(registered: Registered) -> SignedUp {
        let owner_id = registered.owner.member_id;
        SignedUp {
            team: registered.team.into(),
            member: registered.owner.into(),
            token: TokenView::new(registered.token, owner_id),
        }
    }
}

/// Signs up a team
///
/// Open sign-up: creates a team with its first member as owner and returns that owner's
/// first token, shown this once.
///
/// `Idempotency-Key` is ignored here: a sign-up carries no token, so a key could be anyone's
/// and its replay would hand one caller another's owner token. A repeated sign-up finds its
/// slug taken (409).
#[utoipa::path(tag = "teams", request_body = SignUp, responses(
    (status = 201, description = "The team, its owner, and the owner's token (shown once).", body = SignedUp,
        headers(("ETag" = String), ("Location" = String))),
    ),
    extensions(("x-problems" = json!(["already_taken"]))),
)]
#[post("/teams")]
async fn sign_up(ctx: Ctx, body: ApiJson<SignUp>) -> Result<HttpResponse, ApiError> {
    let SignUp { name, slug, owner } = body.0;
    let origin = ctx.origin(Actor::Anonymous);
    let registered = teams::sign_up(&ctx.app, &origin, name, slug, owner.as_app()).await?;
    let team = &registered.team.team;
    let (team_id, version, position) = (team.state.id, team.version, team.position);
    let body = SignedUp::from(registered);
    let mut response = written(StatusCode::CREATED, &body, Some(version), position);
    if let Ok(location) = format!("/v1/teams/{team_id}").parse() {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// Reads the team
///
/// The team with its settings, members and channels. Any member may read it.
#[utoipa::path(tag = "teams", responses(
    (status = 200, description = "The team.", body = TeamView, headers(("ETag" = String))),
))]
#[get("")]
async fn get_team(ctx: Ctx, caller: Member) -> Reply {
    let details = teams::get(&ctx.app, caller.team_id).await?;
    let version = details.team.version;
    Ok(read(&TeamView::from(details), version))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamPatch {
    #[schema(value_type = Option<Name>)]
    pub name: Option<String>,
    pub require_approval: Option<bool>,
    pub board: Option<BoardPatch>,
    /// Owners only: sign-in through an OpenID Connect provider. A bearer JWT from `issuer`
    /// (RS256 or ES256, checked against the keys of its discovery document; `iss`, `aud`,
    /// `exp` and `nbf` with 60 s of leeway) signs in the member with its verified e-mail
    /// address, accepting a waiting invitation for it on first sign-in. Null turns it off.
    #[serde(default, deserialize_with = "stride_domain::event::double_option")]
    #[schema(value_type = Option<SsoInput>)]
    pub sso: Option<Option<SsoInput>>,
}

/// A team's sign-in provider, as an owner sets it up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SsoInput {
    /// The issuer, exactly as its tokens' `iss` says it: `https`, or `http` on this machine
    /// only; no query or fragment.
    #[schema(max_length = 2048, pattern = "^https?://[^?#\\s]+$")]
    pub issuer: String,
    /// The client id its tokens' `aud` holds.
    #[schema(value_type = Audience)]
    pub audience: String,
    /// Only addresses of this domain sign in (compared without case).
    #[schema(
        max_length = 253,
        pattern = "^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$"
    )]
    pub allowed_domain: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardPatch {
    pub public: Option<bool>,
    pub accepting_ideas: Option<bool>,
}

impl From<TeamPatch> for TeamChanges {
    fn from(patch: TeamPatch) -> TeamChanges {
        let board = patch.board.unwrap_or_default();
        TeamChanges {
            name: patch.name,
            require_approval: patch.require_approval,
            board_public: board.public,
            board_accepting_ideas: board.accepting_ideas,
            sso: patch.sso.map(|sso| {
                sso.map(|s| stride_domain::team::Sso {
                    issuer: s.issuer,
                    audience: s.audience,
                    allowed_domain: s.allowed_domain,
                })
            }),
        }
    }
}

/// Renames the team or changes its settings
///
/// Owners and admins rename the team, require approval of posts, and open or close the
/// community board. Send `If-Match` with the ETag you read to be sure nobody changed it
/// meanwhile. Fields left out stay as they are.
#[utoipa::path(tag = "teams", request_body = TeamPatch,
    params(IfMatch),
    responses(
    (status = 200, description = "The team, changed.", body = TeamView, headers(("ETag" = String))),
))]
#[patch("")]
async fn update_team(
    ctx: Ctx,
    caller: Admin,
    IfMatch(expected): IfMatch,
    body: ApiJson<TeamPatch>,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let changes = TeamChanges::from(body.0);
    let details = teams::update(&ctx.app, &origin, caller.team_id, expected, changes).await?;
    let (version, position) = (details.team.version, details.team.position);
    Ok(written(
        StatusCode::OK,
        &TeamView::from(details),
        Some(version),
        position,
    ))
}
