//! Bearer authentication and the 401 / 403 / 404 rules: no valid token is 401; a valid token
//! on another team's resource is 404 (never reveal that it exists); a role that may not do
//! the thing is 403.

use std::future::{Ready, ready};
use std::marker::PhantomData;
use std::ops::Deref;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use stride_domain::Actor;
use stride_domain::team::Role;
use stride_storage::Store;
use uuid::Uuid;

use crate::error::{ApiError, Code};

/// A team member, authenticated by one of their tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub team_id: Uuid,
    pub member_id: Uuid,
    /// The Stride token that authenticated the request, or for a sign-in through the team's
    /// provider, a stable id of the identity the provider vouched for.
    pub token_id: Uuid,
    pub role: Role,
    /// Signed in through the team's provider rather than with a Stride token.
    pub via_provider: bool,
}

impl Caller {
    /// The caller, if `team_id` is their team; 404 otherwise.
    pub fn in_team(&self, team_id: Uuid) -> Result<&Caller, ApiError> {
        if self.team_id == team_id {
            Ok(self)
        } else {
            Err(ApiError::not_found("team"))
        }
    }

    /// 403 unless the caller may create and edit the team's work.
    pub fn may_write(&self) -> Result<&Caller, ApiError> {
        if self.role.can_write() {
            Ok(self)
        } else {
            Err(ApiError::forbidden(
                "viewers may read but not change anything",
            ))
        }
    }

    /// 403 unless the caller is an owner or admin.
    pub fn may_administer(&self) -> Result<&Caller, ApiError> {
        if self.role.can_administer() {
            Ok(self)
        } else {
            Err(ApiError::forbidden("only owners and admins may do this"))
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::Member {
            member_id: self.member_id,
        }
    }
}

/// The caller of a route outside any team that a member's token authenticates (`/v1/me`):
/// whoever [`team_routes`] signed in, with the same checks of the token.
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(signed_in(req).map(|caller| caller.clone()))
    }
}

/// The caller [`team_routes`] authenticated, or 401.
fn signed_in(req: &HttpRequest) -> Result<std::cell::Ref<'_, Caller>, ApiError> {
    std::cell::Ref::filter_map(req.extensions(), |e| e.get::<Caller>())
        .map_err(|_| ApiError::unauthorized("send a token: Authorization: Bearer <token>"))
}

/// What a route asks of the caller's role, beyond membership of the path's team.
pub trait Needs {
    /// 403 unless `caller`'s role suffices.
    fn check(caller: &Caller) -> Result<&Caller, ApiError>;
}

/// Any member: owners, admins, members and viewers.
#[derive(Debug)]
pub enum Reads {}

/// Owners, admins and members: those who create and edit the team's work.
#[derive(Debug)]
pub enum Writes {}

/// Owners and admins.
#[derive(Debug)]
pub enum Administers {}

impl Needs for Reads {
    fn check(caller: &Caller) -> Result<&Caller, ApiError> {
        Ok(caller)
    }
}

impl Needs for Writes {
    fn check(caller: &Caller) -> Result<&Caller, ApiError> {
        caller.may_write()
    }
}

impl Needs for Administers {
    fn check(caller: &Caller) -> Result<&Caller, ApiError> {
        caller.may_administer()
    }
}

/// The caller of a team-scoped route (`/teams/{team_id}/...`): a member of the team the path
/// names (another team's path is 404, a malformed id 400), whose role suffices (403).
#[derive(Debug)]
pub struct Member<R: Needs = Reads>(Caller, PhantomData<R>);

/// A member who may create and edit the team's work.
pub type Writer = Member<Writes>;

/// An owner or admin.
pub type Admin = Member<Administers>;

impl<R: Needs> Member<R> {
    pub fn into_inner(self) -> Caller {
        self.0
    }
}

impl<R: Needs> Deref for Member<R> {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl<R: Needs> FromRequest for Member<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(member_of_path_team::<R>(req).map(|caller| Member(caller, PhantomData)))
    }
}

fn member_of_path_team<R: Needs>(req: &HttpRequest) -> Result<Caller, ApiError> {
    let team_id = crate::extract::path_id(req, "team_id")?;
    // Team routes were authenticated before their body was read (see `team_routes`).
    let caller = signed_in(req)?;
    Ok(R::check(caller.in_team(team_id)?)?.clone())
}

/// The token of an `Authorization: Bearer <token>` header.
pub(crate) fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("send a token: Authorization: Bearer <token>"))?;
    let value = value.to_str().unwrap_or_default();
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthorized(
            "the Authorization header must read: Bearer <token>",
        ));
    }
    Ok(token.trim().to_owned())
}

/// Looks the bearer token up: the member it belongs to, or 401.
async fn authenticate(token: &str, store: Option<&Store>) -> Result<Caller, ApiError> {
    let store = store.ok_or_else(|| ApiError::internal(anyhow::anyhow!("no store")))?;
    let owner = store
        .directory()
        .authenticate(token)
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized("the token is unknown, revoked, or its member left the team")
        })?;
    let role = Role::parse(&owner.role)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown role {}", owner.role)))?;
    Ok(Caller {
        team_id: owner.team_id,
        member_id: owner.member_id,
        token_id: owner.token_id,
        role,
        via_provider: false,
    })
}

/// Signs in a bearer JWT through the provider of the team in the path (see
/// `stride_app::sign_in`), or 401.
async fn sign_in(
    app: Option<stride_app::App>,
    request_id: String,
    team: &str,
    token: &str,
) -> Result<Caller, ApiError> {
    let app = app.ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app")))?;
    let team_id: Uuid = team
        .parse()
        .map_err(|_| ApiError::unauthorized("a provider's token signs in to a team by its id"))?;
    let signed_in = stride_app::sign_in::sign_in(&app, &request_id, team_id, token).await?;
    Ok(Caller {
        team_id,
        member_id: signed_in.member_id,
        token_id: signed_in.session_id,
        role: signed_in.role,
        via_provider: true,
    })
}

/// The team id of a team-scoped path (`/v1/teams/{team_id}...`), if it is one. The path is
/// the router's spelling of it (see [`crate::canonical`]), so an escaped letter cannot hide it.
pub(crate) fn team_in_path(path: &str) -> Option<&str> {
    path.strip_prefix("/v1/teams/")
        .map(|rest| rest.split('/').next().unwrap_or_default())
        .filter(|id| !id.is_empty())
}

/// The route that tells a member's token who it is, outside any team.
pub(crate) const WHO_AM_I: &str = "/v1/me";

/// Which team a request that takes a member's token is checked against.
enum Scope {
    /// A team route's: the id its path names.
    Team(String),
    /// `/v1/me`'s: none, unless `?team_id=` names one (a provider's token signs in to a team
    /// by its id).
    WhoAmI(Option<String>),
}

impl Scope {
    /// The scope of a request that takes a member's token; `None` for every other request.
    fn of(req: &ServiceRequest) -> Option<Scope> {
        if let Some(team) = team_in_path(req.path()) {
            return Some(Scope::Team(team.to_owned()));
        }
        (req.path() == WHO_AM_I).then(|| {
            let query = web::Query::<std::collections::HashMap<String, String>>::from_query(
                req.query_string(),
            );
            Scope::WhoAmI(query.ok().and_then(|q| q.get("team_id").cloned()))
        })
    }

    fn team(&self) -> Option<&str> {
        match self {
            Scope::Team(team) => Some(team),
            Scope::WhoAmI(team) => team.as_deref(),
        }
    }
}

/// 403 for a board contributor's token where only a member's is taken, when the route says
/// so (a team route answers 401 and tells nothing about the token).
async fn refuse_contributor(token: &str, store: Option<&Store>) -> Result<(), ApiError> {
    let Some(store) = store else { return Ok(()) };
    if store
        .directory()
        .authenticate_contributor(token)
        .await?
        .is_some()
    {
        return Err(ApiError::forbidden(
            "this is a board contributor's token: it submits ideas, votes and comments on its team's public board, and tells no member's identity",
        ));
    }
    Ok(())
}

/// Every member manages their own tokens, whatever their role.
pub(crate) fn own_tokens(path: &str) -> bool {
    path.split('/').nth(4) == Some("tokens")
}

/// Authenticates team-scoped routes (and `/v1/me`) before anything else reads the request:
/// no valid token is 401, another team's path is 404, and a viewer's write is 403, whatever
/// the body or query holds, and before an idempotent replay could answer.
pub async fn team_routes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(scope) = Scope::of(&req) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if req.method() == Method::OPTIONS {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let store = req
        .app_data::<web::Data<Store>>()
        .map(|s| s.get_ref().clone());
    let token = match bearer(req.request()) {
        Ok(token) => token,
        Err(error) => return Ok(req.error_response(error)),
    };
    let signed_in = match scope.team() {
        team if stride_app::sign_in::looks_like_jwt(&token) => {
            let app = req
                .app_data::<web::Data<stride_app::App>>()
                .map(|a| a.get_ref().clone());
            let request_id = req
                .extensions()
                .get::<crate::extract::RequestId>()
                .map(|r| r.0.clone())
                .unwrap_or_default();
            match team {
                Some(team) => sign_in(app, request_id, team, &token).await,
                None => Err(ApiError::unauthorized(
                    "a provider's token signs in to one team: name it with ?team_id=",
                )),
            }
        }
        _ => authenticate(&token, store.as_ref()).await,
    };
    let caller = match (signed_in, &scope) {
        (Ok(caller), _) => caller,
        (Err(error), Scope::WhoAmI(_)) if error.code == Code::Unauthorized => {
            let refused = refuse_contributor(&token, store.as_ref()).await.err();
            return Ok(req.error_response(refused.unwrap_or(error)));
        }
        (Err(error), _) => return Ok(req.error_response(error)),
    };
    // A malformed id is left for the path extractor to refuse with a 400; `/v1/me` checks
    // the team its query names itself, after the method is known to be served.
    if let Scope::Team(team) = &scope
        && let Ok(team_id) = team.parse::<Uuid>()
        && let Err(error) = caller.in_team(team_id)
    {
        return Ok(req.error_response(error));
    }
    let reads = matches!(*req.method(), Method::GET | Method::HEAD);
    if !reads
        && matches!(scope, Scope::Team(_))
        && !own_tokens(req.path())
        && let Err(error) = caller.may_write()
    {
        return Ok(req.error_response(error));
    }
    req.extensions_mut().insert(caller);
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// A community contributor, authenticated by their board token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contributor {
    pub team_id: Uuid,
    pub contributor_id: Uuid,
}

impl Contributor {
    /// The contributor, if their token is for this team's board; 403 otherwise.
    pub fn on_board(self, team_id: Uuid) -> Result<Contributor, ApiError> {
        if self.team_id == team_id {
            Ok(self)
        } else {
            Err(ApiError::forbidden(
                "this contributor token is for another board",
            ))
        }
    }
}

impl FromRequest for Contributor {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let store = req
            .app_data::<web::Data<Store>>()
            .map(|s| s.get_ref().clone());
        Box::pin(async move {
            let token = token?;
            let store = store.ok_or_else(|| ApiError::internal(anyhow::anyhow!("no store")))?;
            if let Some(found) = store.directory().authenticate_contributor(&token).await? {
                return Ok(Contributor {
                    team_id: found.team_id,
                    contributor_id: found.contributor_id,
                });
            }
            if store.directory().authenticate(&token).await?.is_some() {
                return Err(ApiError::forbidden(
                    "board writes take a contributor token: get one with POST /v1/boards/{slug}/contributors",
                ));
            }
            Err(ApiError::unauthorized("the contributor token is unknown"))
        })
    }
}
