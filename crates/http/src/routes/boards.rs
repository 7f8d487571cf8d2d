//! The public community board of a team, at its slug: contributors get a token, submit
//! ideas, vote once per idea and comment. Only public boards exist to the public.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use stride_app::Origin;
use stride_app::board::{self, BoardView};
use stride_app::idea_views::{IdeaDetail, IdeaView, Sort};
use stride_app::votes::{self, VoteView};
use stride_domain::Actor;
use stride_domain::idea::{Author, NewIdea};
use stride_storage::board::ContributorToken;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::ideas::{answered, page_of};
use super::written;
use crate::auth::Contributor;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Ctx};
use crate::page::{self, Page};

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(get_board)
        .service(join)
        .service(list)
        .service(submit)
        .service(similar)
        .service(one)
        .service(vote)
        .service(unvote)
        .service(comment);
}

/// The origin of what `contributor` asks, and who their token speaks for.
fn visitor(ctx: &Ctx, contributor: Contributor) -> (Origin, ContributorToken) {
    let actor = Actor::Contributor {
        contributor_id: contributor.contributor_id,
    };
    let token = ContributorToken {
        team_id: contributor.team_id,
        contributor_id: contributor.contributor_id,
    };
    (ctx.origin(actor), token)
}

/// The board's name and whether it takes ideas.
#[utoipa::path(tag = "board", responses((status = 200, body = BoardView),))]
#[get("/boards/{slug}")]
async fn get_board(ctx: Ctx, slug: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(board::about(&ctx.app, &slug).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    /// Shown with your ideas; kept out of the event log and erasable.
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContributorView {
    pub id: Uuid,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Joined {
    pub contributor: ContributorView,
    pub token: super::teams::TokenView,
}

/// A contributor token for this board, shown once.
///
/// `Idempotency-Key` is ignored here: joining carries no token, so a key could be anyone's
/// and its replay would hand one caller another's contributor token. A repeated join makes
/// another contributor.
#[utoipa::path(tag = "board", request_body = JoinBody, responses(
    (status = 201, body = Joined),
))]
#[post("/boards/{slug}/contributors")]
async fn join(
    ctx: Ctx,
    slug: web::Path<String>,
    body: ApiJson<JoinBody>,
) -> Result<HttpResponse, ApiError> {
    let JoinBody { name, email } = body.0;
    let (record, token, position) =
        board::join(&ctx.app, &slug, name.as_deref(), email.as_deref()).await?;
    let joined = Joined {
        contributor: ContributorView {
            id: record.contributor_id,
            name: record.name,
        },
        token: super::teams::TokenView::new(token, record.contributor_id),
    };
    Ok(written(StatusCode::CREATED, &joined, None, position))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    #[serde(default)]
    pub sort: Sort,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub min_position: Option<i64>,
}

/// Public ideas (not declined, not merged), `trending`, `top` or `new`.
#[utoipa::path(tag = "board", params(BoardQuery), responses(
    (status = 200, body = Page<IdeaView>),
))]
#[get("/boards/{slug}/ideas")]
async fn list(
    ctx: Ctx,
    slug: web::Path<String>,
    query: ApiQuery<BoardQuery>,
) -> Result<HttpResponse, ApiError> {
    let listed = board::list(&ctx.app, &slug, query.sort).await?;
    let limit = page::limit(query.limit)?;
    Ok(page_of(listed, limit, query.cursor.as_deref()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdeaBody {
    pub title: String,
    pub body: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Submits an idea (contributor token); it starts `open`.
#[utoipa::path(tag = "board", security(("bearer" = [])), request_body = IdeaBody, responses(
    (status = 201, body = IdeaView),
))]
#[post("/boards/{slug}/ideas")]
async fn submit(
    ctx: Ctx,
    contributor: Contributor,
    slug: web::Path<String>,
    body: ApiJson<IdeaBody>,
) -> Result<HttpResponse, ApiError> {
    let (origin, token) = visitor(&ctx, contributor);
    let body = body.0;
    let new = NewIdea {
        idea_id: Uuid::now_v7(),
        title: body.title,
        body: body.body,
        tags: body.tags,
        channel_ids: Vec::new(),
        author: Author::Contributor {
            contributor_id: token.contributor_id,
        },
    };
    let answer = board::submit(&ctx.app, &origin, &slug, token, new).await?;
    Ok(answered(StatusCode::CREATED, answer))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarQuery {
    /// The title a fan is about to submit.
    pub title: String,
}

/// Up to 5 open ideas like this title (trigram similarity), so a fan votes instead of
/// posting a duplicate.
#[utoipa::path(tag = "board", params(SimilarQuery), responses(
    (status = 200, body = Vec<IdeaView>),
))]
#[get("/boards/{slug}/ideas/similar")]
async fn similar(
    ctx: Ctx,
    slug: web::Path<String>,
    query: ApiQuery<SimilarQuery>,
) -> Result<HttpResponse, ApiError> {
    let views = board::similar(&ctx.app, &slug, &query.title).await?;
    Ok(HttpResponse::Ok().json(views))
}

/// One idea with its comments (its duplicates' too).
#[utoipa::path(tag = "board", responses((status = 200, body = IdeaDetail),))]
#[get("/boards/{slug}/ideas/{idea_id}")]
async fn one(ctx: Ctx, path: web::Path<(String, Uuid)>) -> Result<HttpResponse, ApiError> {
    let (slug, idea_id) = path.into_inner();
    let detail = board::idea(&ctx.app, &slug, idea_id).await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// A vote (`up`) or its withdrawal, answered with the idea's votes.
async fn cast(
    ctx: Ctx,
    contributor: Contributor,
    (slug, idea_id): (String, Uuid),
    up: bool,
) -> Result<HttpResponse, ApiError> {
    let (origin, token) = visitor(&ctx, contributor);
    let (answer, position) = votes::cast(&ctx.app, &origin, &slug, token, idea_id, up).await?;
    Ok(written(StatusCode::OK, &answer, None, position))
}

/// Votes for an idea: once per contributor; voting again changes nothing.
#[utoipa::path(tag = "board", security(("bearer" = [])), responses(
    (status = 200, body = VoteView),
))]
#[put("/boards/{slug}/ideas/{idea_id}/vote")]
async fn vote(
    ctx: Ctx,
    contributor: Contributor,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    cast(ctx, contributor, path.into_inner(), true).await
}

/// Withdraws the caller's vote; withdrawing again changes nothing.
#[utoipa::path(tag = "board", security(("bearer" = [])), responses(
    (status = 200, body = VoteView),
))]
#[delete("/boards/{slug}/ideas/{idea_id}/vote")]
async fn unvote(
    ctx: Ctx,
    contributor: Contributor,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    cast(ctx, contributor, path.into_inner(), false).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub body: String,
}

/// Comments on an idea (contributor token).
#[utoipa::path(tag = "board", security(("bearer" = [])), request_body = CommentBody, responses(
    (status = 201, body = IdeaView),
))]
#[post("/boards/{slug}/ideas/{idea_id}/comments")]
async fn comment(
    ctx: Ctx,
    contributor: Contributor,
    path: web::Path<(String, Uuid)>,
    body: ApiJson<CommentBody>,
) -> Result<HttpResponse, ApiError> {
    let (slug, idea_id) = path.into_inner();
    let (origin, token) = visitor(&ctx, contributor);
    let body = body.0.body;
    let answer = board::comment(&ctx.app, &origin, &slug, token, idea_id, body).await?;
    Ok(answered(StatusCode::CREATED, answer))
}
