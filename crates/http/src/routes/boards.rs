//! The public community board of a team, at its slug: contributors get a token, submit
//! ideas, vote once per idea and comment. Only public boards exist to the public.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use stride_domain::Actor;
use stride_domain::idea::{self, Author, IdeaCommand, IdeaContext, IdeaStatus, NewIdea};
use stride_domain::team::Team;
use stride_storage::votes::Vote;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::ideas::{IdeaDetail, run};
use super::written;
use crate::auth::Contributor;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Ctx};
use crate::page::{self, Page};
use stride_app::idea_views::{IdeaSet, IdeaView, Sort};

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

/// The public board at `slug`: 404 when there is none or it is not public.
async fn public_board(ctx: &Ctx, slug: &str) -> Result<Arc<Team>, ApiError> {
    match ctx.app.boards.team(&ctx.store, slug).await? {
        Some(team) if team.board.public => Ok(team),
        _ => Err(ApiError::not_found("board")),
    }
}

fn actor(contributor: Contributor) -> Actor {
    Actor::Contributor {
        contributor_id: contributor.contributor_id,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardView {
    pub slug: String,
    pub name: String,
    pub accepting_ideas: bool,
}

/// The board's name and whether it takes ideas.
#[utoipa::path(tag = "board", responses((status = 200, body = BoardView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/boards/{slug}")]
async fn get_board(ctx: Ctx, slug: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let team = public_board(&ctx, &slug).await?;
    Ok(HttpResponse::Ok().json(BoardView {
        slug: team.slug.clone(),
        name: team.name.clone(),
        accepting_ideas: team.board.accepting_ideas,
    }))
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
    (status = 201, body = Joined), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[post("/boards/{slug}/contributors")]
async fn join(
    ctx: Ctx,
    slug: web::Path<String>,
    body: ApiJson<JoinBody>,
) -> Result<HttpResponse, ApiError> {
    let team = public_board(&ctx, &slug).await?;
    let name = match body.0.name.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name) => Some(
            stride_domain::text::title(name, super::teams::PERSON_NAME_MAX)
                .map_err(|e| ApiError::validation("name", e.to_string()))?,
        ),
    };
    let email = match body.0.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(email) => {
            Some(stride_domain::text::email(email).map_err(|e| ApiError::validation("email", e))?)
        }
    };
    let (record, token) = ctx
        .store
        .add_contributor(team.id, name.as_deref(), email.as_deref())
        .await?;
    let position = ctx.store.visible_head().await?;
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
    (status = 200, body = Page<IdeaView>), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/boards/{slug}/ideas")]
async fn list(
    ctx: Ctx,
    slug: web::Path<String>,
    query: ApiQuery<BoardQuery>,
) -> Result<HttpResponse, ApiError> {
    let team = public_board(&ctx, &slug).await?;
    let limit = page::limit(query.limit)?;
    let board = IdeaSet::load_listing(&ctx.store, team.id).await?;
    let listed = board.listed(Utc::now(), query.sort, |i| {
        i.status != IdeaStatus::Declined && i.merged_into.is_none()
    });
    let page = page::paginate(
        listed,
        |(key, _)| key.clone(),
        limit,
        query.cursor.as_deref(),
    );
    Ok(HttpResponse::Ok().json(Page {
        items: page.items.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        next_cursor: page.next_cursor,
    }))
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
    (status = 201, body = IdeaView), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the board is not taking ideas", body = Problem, content_type = "application/problem+json"),
))]
#[post("/boards/{slug}/ideas")]
async fn submit(
    ctx: Ctx,
    contributor: Contributor,
    slug: web::Path<String>,
    body: ApiJson<IdeaBody>,
) -> Result<HttpResponse, ApiError> {
    let team = public_board(&ctx, &slug).await?;
    let contributor = contributor.on_board(team.id)?;
    let body = body.0;
    let new = NewIdea {
        idea_id: Uuid::now_v7(),
        title: body.title,
        body: body.body,
        tags: body.tags,
        channel_ids: Vec::new(),
        author: Author::Contributor {
            contributor_id: contributor.contributor_id,
        },
    };
    let context = IdeaContext {
        accepting_ideas: team.board.accepting_ideas,
        ..IdeaContext::default()
    };
    run(
        &ctx,
        actor(contributor),
        (team.id, new.idea_id),
        None,
        IdeaCommand::Submit(new.clone()),
        context,
        StatusCode::CREATED,
    )
    .await
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
    (status = 200, body = Vec<IdeaView>), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/boards/{slug}/ideas/similar")]
async fn similar(
    ctx: Ctx,
    slug: web::Path<String>,
    query: ApiQuery<SimilarQuery>,
) -> Result<HttpResponse, ApiError> {
    let team = public_board(&ctx, &slug).await?;
    let title = stride_domain::text::title(&query.title, idea::TITLE_MAX)
        .map_err(|e| ApiError::validation("title", e.to_string()))?;
    let candidates = ctx.store.similar_titles(team.id, &title, 50).await?;
    let ids: Vec<Uuid> = candidates.iter().map(|(id, _)| *id).collect();
    let board = IdeaSet::load_some(&ctx.store, team.id, &ids).await?;
    let now = Utc::now();
    let views: Vec<IdeaView> = candidates
        .into_iter()
        .filter_map(|(id, _)| board.view(id, now))
        .filter(|v| v.status == IdeaStatus::Open.as_str() && v.merged_into.is_none())
        .take(5)
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

/// One idea with its comments (its duplicates' too).
#[utoipa::path(tag = "board", responses((status = 200, body = IdeaDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/boards/{slug}/ideas/{idea_id}")]
async fn one(ctx: Ctx, path: web::Path<(String, Uuid)>) -> Result<HttpResponse, ApiError> {
    let (slug, idea_id) = path.into_inner();
    let team = public_board(&ctx, &slug).await?;
    let board = IdeaSet::load_some(&ctx.store, team.id, &[idea_id]).await?;
    let view = board
        .view(idea_id, Utc::now())
        .ok_or_else(|| ApiError::not_found("idea"))?;
    let history = board
        .ideas
        .get(&idea_id)
        .map(|f| f.history.clone())
        .unwrap_or_default();
    Ok(HttpResponse::Ok().json(IdeaDetail {
        idea: view,
        history,
        comments: board.comments(idea_id),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoteView {
    pub idea_id: Uuid,
    /// Whether the caller's vote is on the idea now.
    pub voted: bool,
    pub vote_count: i64,
}

async fn cast(
    ctx: Ctx,
    contributor: Contributor,
    slug: &str,
    idea_id: Uuid,
    up: bool,
) -> Result<HttpResponse, ApiError> {
    let team = public_board(&ctx, slug).await?;
    let contributor = contributor.on_board(team.id)?;
    ctx.app
        .boards
        .check_votable(&ctx.store, team.id, idea_id)
        .await?;
    let outcome = ctx
        .store
        .vote(Vote {
            team_id: team.id,
            idea_id,
            contributor_id: contributor.contributor_id,
            up,
            metadata: ctx.metadata(actor(contributor)),
        })
        .await?;
    Ok(written(
        StatusCode::OK,
        &VoteView {
            idea_id,
            voted: up,
            vote_count: outcome.voters,
        },
        None,
        outcome.position,
    ))
}

/// Votes for an idea: once per contributor; voting again changes nothing.
#[utoipa::path(tag = "board", security(("bearer" = [])), responses(
    (status = 200, body = VoteView), (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "merged into another idea", body = Problem, content_type = "application/problem+json"),
))]
#[put("/boards/{slug}/ideas/{idea_id}/vote")]
async fn vote(
    ctx: Ctx,
    contributor: Contributor,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, idea_id) = path.into_inner();
    cast(ctx, contributor, &slug, idea_id, true).await
}

/// Withdraws the caller's vote; withdrawing again changes nothing.
#[utoipa::path(tag = "board", security(("bearer" = [])), responses(
    (status = 200, body = VoteView), (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[delete("/boards/{slug}/ideas/{idea_id}/vote")]
async fn unvote(
    ctx: Ctx,
    contributor: Contributor,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, idea_id) = path.into_inner();
    cast(ctx, contributor, &slug, idea_id, false).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub body: String,
}

/// Comments on an idea (contributor token).
#[utoipa::path(tag = "board", security(("bearer" = [])), request_body = CommentBody, responses(
    (status = 201, body = IdeaView), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
#[post("/boards/{slug}/ideas/{idea_id}/comments")]
async fn comment(
    ctx: Ctx,
    contributor: Contributor,
    path: web::Path<(String, Uuid)>,
    body: ApiJson<CommentBody>,
) -> Result<HttpResponse, ApiError> {
    let (slug, idea_id) = path.into_inner();
    let team = public_board(&ctx, &slug).await?;
    let contributor = contributor.on_board(team.id)?;
    let command = IdeaCommand::Comment {
        comment_id: Uuid::now_v7(),
        body: body.0.body,
        author: Author::Contributor {
            contributor_id: contributor.contributor_id,
        },
    };
    run(
        &ctx,
        actor(contributor),
        (team.id, idea_id),
        None,
        command,
        IdeaContext::default(),
        StatusCode::CREATED,
    )
    .await
}
