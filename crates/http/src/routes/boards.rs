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

use super::Reply;
use super::ideas::{IdeaSubmitted, answered};
use super::written;
use crate::auth::Contributor;
use crate::extract::{ApiJson, ApiQuery, Ctx};
use crate::page::{Page, page_query};
use crate::schema::{Email, LongText, OptionalName, Tag, Title};

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(get_board)
        .service(join_board)
        .service(list_board_ideas)
        .service(submit_board_idea)
        .service(find_similar_board_ideas)
        .service(get_board_idea)
        .service(vote_on_board_idea)
        .service(withdraw_board_vote)
        .service(comment_on_board_idea);
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

/// Reads a team's public board
///
/// Anyone may read a public board, without a token: its team's name and whether it takes
/// new ideas now. A board that is not public does not exist to the public (404).
#[utoipa::path(tag = "board", responses(
    (status = 200, description = "The board.", body = BoardView),
))]
#[get("")]
async fn get_board(ctx: Ctx, slug: web::Path<String>) -> Reply {
    Ok(HttpResponse::Ok().json(board::about(&ctx.app, &slug).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardJoinBody {
    /// Shown with your ideas; kept out of the event log and erasable.
    #[schema(value_type = Option<OptionalName>)]
    pub name: Option<String>,
    /// For the team to reach you; never shown on the board, kept out of the event log and
    /// erasable.
    #[schema(value_type = Option<Email>)]
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
    /// The contributor's token for this board's writes (its `member_id` is the
    /// contributor's id).
    pub token: super::teams::TokenView,
}

/// Joins a public board as a contributor
///
/// Anyone may join a public board, without a token, with a name and an e-mail address if
/// they like (both kept out of the event log and erasable); the answer holds a contributor
/// token for the board's writes, shown once. `Idempotency-Key` is ignored here: joining
/// carries no token, so a key could be anyone's and its replay would hand one caller
/// another's contributor token. A repeated join makes another contributor.
#[utoipa::path(tag = "board", request_body = BoardJoinBody, responses(
    (status = 201, description = "The new contributor and their token, shown once.", body = Joined),
))]
#[post("/contributors")]
async fn join_board(ctx: Ctx, slug: web::Path<String>, body: ApiJson<BoardJoinBody>) -> Reply {
    let BoardJoinBody { name, email } = body.0;
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

page_query! {
    pub struct BoardQuery {
        /// The order: `trending` (votes weighted by age, the default), `top` (most votes) or
        /// `new` (newest first).
        #[serde(default)]
        pub sort: Sort,
        ..page,
    }
}

/// Lists a public board's ideas
///
/// Anyone may read a public board's ideas, without a token: those neither declined nor
/// merged into another, `trending`, `top` or `new` first. Votes on duplicates merged into
/// an idea count for it, each voter once.
#[utoipa::path(tag = "board", params(BoardQuery), responses(
    (status = 200, description = "A page of the board's ideas.", body = Page<IdeaView>),
))]
#[get("/ideas")]
async fn list_board_ideas(ctx: Ctx, slug: web::Path<String>, query: ApiQuery<BoardQuery>) -> Reply {
    let listed = board::list(&ctx.app, &slug, query.sort).await?;
    Ok(query.answer_keyed(listed))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardIdeaBody {
    #[schema(value_type = Title)]
    pub title: String,
    #[schema(value_type = Option<LongText>)]
    pub body: Option<String>,
    /// Lowercased, duplicates dropped; at most 10 distinct tags.
    #[serde(default)]
    #[schema(value_type = Vec<Tag>, max_items = 10)]
    pub tags: Vec<String>,
}

/// Submits an idea to a public board
///
/// A contributor of this board (with the token joining it gave) submits an idea while the
/// board takes ideas; it starts `open`, voted on by nobody yet. A member's token is 403:
/// members submit on the team's side.
#[utoipa::path(tag = "board", security(("bearer" = [])), request_body = BoardIdeaBody, responses(IdeaSubmitted),
    extensions(("x-problems" = json!(["board_closed"]))),
)]
#[post("/ideas")]
async fn submit_board_idea(
    ctx: Ctx,
    contributor: Contributor,
    slug: web::Path<String>,
    body: ApiJson<BoardIdeaBody>,
) -> Reply {
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
    #[param(value_type = Title)]
    pub title: String,
}

/// Finds a public board's ideas like a title
///
/// Anyone may ask, without a token: up to 5 open ideas whose titles are like this one
/// (trigram similarity), most alike first, so that a fan votes for an idea instead of
/// submitting it again.
#[utoipa::path(tag = "board", params(SimilarQuery), responses(
    (status = 200, description = "Up to 5 open ideas, most alike first.", body = Vec<IdeaView>),
))]
#[get("/ideas/similar")]
async fn find_similar_board_ideas(
    ctx: Ctx,
    slug: web::Path<String>,
    query: ApiQuery<SimilarQuery>,
) -> Reply {
    let views = board::similar(&ctx.app, &slug, &query.title).await?;
    Ok(HttpResponse::Ok().json(views))
}

/// Reads one idea of a public board
///
/// Anyone may read an idea of a public board, without a token: the idea with its status
/// history and its comments, those on the duplicates merged into it included.
#[utoipa::path(tag = "board", responses(
    (status = 200, description = "The idea with its history and comments.", body = IdeaDetail),
))]
#[get("/ideas/{idea_id}")]
async fn get_board_idea(ctx: Ctx, path: web::Path<(String, Uuid)>) -> Reply {
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
) -> Reply {
    let (origin, token) = visitor(&ctx, contributor);
    let (answer, position) = votes::cast(&ctx.app, &origin, &slug, token, idea_id, up).await?;
    Ok(written(StatusCode::OK, &answer, None, position))
}

/// Votes for an idea on a public board
///
/// A contributor of this board votes for an idea: once per contributor, so voting again
/// changes nothing. An idea merged into another takes no votes (409 `idea_merged`): vote
/// for the one it was merged into.
#[utoipa::path(tag = "board", security(("bearer" = [])), responses(
    (status = 200, description = "The idea's votes, the caller's among them.", body = VoteView),
    ),
    extensions(("x-problems" = json!(["idea_merged"]))),
)]
#[put("/ideas/{idea_id}/vote")]
async fn vote_on_board_idea(
    ctx: Ctx,
    contributor: Contributor,
    path: web::Path<(String, Uuid)>,
) -> Reply {
    cast(ctx, contributor, path.into_inner(), true).await
}

/// Withdraws a vote on a public board
///
/// A contributor of this board withdraws their vote for an idea; withdrawing a vote that
/// is not there changes nothing. An idea merged into another is answered with 409
/// `idea_merged`.
#[utoipa::path(tag = "board", security(("bearer" = [])), responses(
    (status = 200, description = "The idea's votes, without the caller's.", body = VoteView),
    ),
    extensions(("x-problems" = json!(["idea_merged"]))),
)]
#[delete("/ideas/{idea_id}/vote")]
async fn withdraw_board_vote(
    ctx: Ctx,
    contributor: Contributor,
    path: web::Path<(String, Uuid)>,
) -> Reply {
    cast(ctx, contributor, path.into_inner(), false).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardCommentBody {
    /// The comment; something besides whitespace.
    #[schema(value_type = LongText)]
    pub body: String,
}

/// Comments on an idea of a public board
///
/// A contributor of this board comments on an idea; the comment shows on the idea (and,
/// once the idea is merged into another, there). An idea merged into another takes no
/// comments (409 `idea_merged`).
#[utoipa::path(tag = "board", security(("bearer" = [])), request_body = BoardCommentBody, responses(
    (status = 201, description = "The idea, commented on.", body = IdeaView,
        headers(("ETag" = String)))),
    extensions(("x-problems" = json!(["idea_merged"]))),
)]
#[post("/ideas/{idea_id}/comments")]
async fn comment_on_board_idea(
    ctx: Ctx,
    contributor: Contributor,
    path: web::Path<(String, Uuid)>,
    body: ApiJson<BoardCommentBody>,
) -> Reply {
    let (slug, idea_id) = path.into_inner();
    let (origin, token) = visitor(&ctx, contributor);
    let body = body.0.body;
    let answer = board::comment(&ctx.app, &origin, &slug, token, idea_id, body).await?;
    Ok(answered(StatusCode::CREATED, answer))
}
