//! A team's public community board, at its slug: contributors join it, submit ideas, comment,
//! and read the ideas (a list, one idea, those like a title). Only public boards exist to
//! the public. Votes are in [`crate::votes`]; the team's own side in [`crate::ideas`].

use chrono::Utc;
use serde::Serialize;
use stride_domain::Invalid;
use stride_domain::idea::{self, Author, Idea, IdeaCommand, IdeaContext, IdeaStatus, NewIdea};
use stride_storage::board::{ContributorRecord, ContributorToken};
use stride_storage::tokens::NewToken;
use uuid::Uuid;

use crate::idea_views::{IdeaDetail, IdeaSet, IdeaView, Sort};
use crate::public_boards::{open, open_to};
use crate::{App, AppError, Origin, ideas, people};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardView {
    pub slug: String,
    pub name: String,
    pub accepting_ideas: bool,
}

/// The board's name and whether it takes ideas.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn about(app: &App, slug: &str) -> Result<BoardView, AppError> {
    let team = open(app, slug).await?;
    Ok(BoardView {
        slug: team.slug.clone(),
        name: team.name.clone(),
        accepting_ideas: team.board.accepting_ideas,
    })
}

/// A new contributor on the board, with a first token (shown once), and the position after:
/// their name and e-mail address are optional, kept out of the event log and erasable.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn join(
    app: &App,
    slug: &str,
    name: Option<&str>,
    email: Option<&str>,
) -> Result<(ContributorRecord, NewToken, i64), AppError> {
    let team = open(app, slug).await?;
    let name = stride_domain::text::optional_title(name, people::PERSON_NAME_MAX)
        .map_err(|e| Invalid::new("name", e))?;
    let email = email
        .map(stride_domain::text::email)
        .transpose()
        .map_err(|e| Invalid::new("email", e))?;
    let (record, token) = app
        .store
        .directory()
        .add_contributor(team.id, name.as_deref(), email.as_deref())
        .await?;
    let position = app.store.events().visible_head().await?;
    Ok((record, token, position))
}

/// Whether an idea is listed on its board: not declined, not merged into another.
pub fn on_board(idea: &Idea) -> bool {
    idea.status != IdeaStatus::Declined && idea.merged_into.is_none()
}

/// Public ideas (see [`on_board`]) in `sort` order, as `(cursor key, view)` pairs.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn list(app: &App, slug: &str, sort: Sort) -> Result<Vec<(String, IdeaView)>, AppError> {
    let team = open(app, slug).await?;
    let ideas = IdeaSet::load_listing(app, team.id).await?;
    Ok(ideas.listed(Utc::now(), sort, on_board))
}

/// A contributor's idea; it starts `open`. Answers the idea and the position after.
#[tracing::instrument(skip_all, fields(slug = %slug, team_id = %token.team_id, idea_id = %new.idea_id))]
pub async fn submit(
    app: &App,
    origin: &Origin,
    slug: &str,
    token: ContributorToken,
    new: NewIdea,
) -> Result<(IdeaView, i64), AppError> {
    let team = open_to(app, slug, token).await?;
    let context = IdeaContext {
        accepting_ideas: team.board.accepting_ideas,
        ..IdeaContext::default()
    };
    let ids = (team.id, new.idea_id);
    ideas::run(app, origin, ids, None, IdeaCommand::Submit(new), context).await
}

/// Up to 5 open ideas like `title` (trigram similarity), so a fan votes instead of posting a
/// duplicate.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn similar(app: &App, slug: &str, title: &str) -> Result<Vec<IdeaView>, AppError> {
    let team = open(app, slug).await?;
    let title =
        stride_domain::text::title(title, idea::TITLE_MAX).map_err(|e| Invalid::new("title", e))?;
    let candidates = app
        .store
        .read_models()
        .similar_titles(team.id, &title, 50)
        .await?;
    let ids: Vec<Uuid> = candidates.iter().map(|(id, _)| *id).collect();
    let ideas = IdeaSet::load_some(&app.store, team.id, &ids).await?;
    let now = Utc::now();
    Ok(candidates
        .into_iter()
        .filter_map(|(id, _)| ideas.view(id, now))
        .filter(|v| v.status == IdeaStatus::Open && v.merged_into.is_none())
        .take(5)
        .collect())
}

/// One idea with its history and comments (its duplicates' too).
#[tracing::instrument(skip_all, fields(slug = %slug, idea_id = %idea_id))]
pub async fn idea(app: &App, slug: &str, idea_id: Uuid) -> Result<IdeaDetail, AppError> {
    let team = open(app, slug).await?;
    IdeaSet::load_some(&app.store, team.id, &[idea_id])
        .await?
        .detail(idea_id, Utc::now())
        .ok_or(AppError::NotFound("idea"))
}

/// A contributor's comment on an idea. Answers the idea and the position after.
#[tracing::instrument(skip_all, fields(slug = %slug, team_id = %token.team_id, idea_id = %idea_id))]
pub async fn comment(
    app: &App,
    origin: &Origin,
    slug: &str,
    token: ContributorToken,
    idea_id: Uuid,
    body: String,
) -> Result<(IdeaView, i64), AppError> {
    let team = open_to(app, slug, token).await?;
    let command = IdeaCommand::Comment {
        comment_id: Uuid::now_v7(),
        body,
        author: Author::Contributor {
            contributor_id: token.contributor_id,
        },
    };
    let context = IdeaContext::default();
    ideas::run(app, origin, (team.id, idea_id), None, command, context).await
}
