//! Ideas, the team's side: a member's own ideas, lists and details, moderation with reasons
//! (the whole history kept and shown), merging duplicates and undoing a merge, and erasing a
//! contributor's personal data. [`run`] runs one idea command for both sides of the board.

use std::collections::BTreeSet;

use chrono::Utc;
use stride_domain::Aggregate;
use stride_domain::channel::ChannelEvent;
use stride_domain::idea::{Idea, IdeaCommand, IdeaContext, IdeaStatus, NewIdea};
use uuid::Uuid;

use crate::execute;
use crate::idea_views::{IdeaDetail, IdeaSet, IdeaView, Sort, has_tags};
use crate::{App, AppError, Origin};

/// Runs one idea command and answers the idea as every reader sees it after, and the
/// position of the write.
pub(crate) async fn run(
    app: &App,
    origin: &Origin,
    (team_id, idea_id): (Uuid, Uuid),
    if_match: Option<i64>,
    command: IdeaCommand,
    context: IdeaContext,
) -> Result<(IdeaView, i64), AppError> {
    let submitted = matches!(command, IdeaCommand::Submit(_));
    let ids = (team_id, idea_id);
    let outcome = if submitted {
        // The idea's id was generated for this request.
        let decide = |state: Option<&Idea>| {
            let events = Idea::decide(state, command.clone(), &context)?;
            Ok::<_, AppError>((events, Vec::new()))
        };
        execute::create_with(app, origin, ids, Idea::apply, decide).await?
    } else {
        execute::run::<Idea>(app, origin, ids, if_match, command, &context).await?
    };
    let ideas = match (submitted, outcome.state, outcome.recorded_at) {
        (true, Some(idea), Some(at)) => {
            IdeaSet::fresh(&app.store, team_id, idea, outcome.version, at).await?
        }
        _ => IdeaSet::load_some(&app.store, team_id, &[idea_id]).await?,
    };
    let view = ideas
        .view(idea_id, Utc::now())
        .ok_or(AppError::NotFound("idea"))?;
    Ok((view, outcome.position))
}

/// The member behind `origin`.
fn member(origin: &Origin) -> Result<Uuid, AppError> {
    origin.actor.member_id().ok_or(AppError::NotFound("member"))
}

/// A member's own idea, straight onto the team's board; its channels must be the team's.
#[tracing::instrument(skip_all, fields(team_id = %team_id, idea_id = %new.idea_id))]
pub async fn submit(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    new: NewIdea,
) -> Result<(IdeaView, i64), AppError> {
    let channels = app
        .store
        .events()
        .stream_ids::<ChannelEvent>(team_id)
        .await?;
    let context = IdeaContext {
        channels,
        accepting_ideas: true,
        target: None,
    };
    let ids = (team_id, new.idea_id);
    run(app, origin, ids, None, IdeaCommand::Submit(new), context).await
}

/// The team's ideas (merged duplicates included, marked) with `status` and `tag`, in `sort`
/// order, as `(cursor key, view)` pairs.
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn list(
    app: &App,
    team_id: Uuid,
    status: Option<IdeaStatus>,
    tag: Option<&str>,
    sort: Sort,
) -> Result<Vec<(String, IdeaView)>, AppError> {
    let tags: BTreeSet<String> = tag.iter().map(|t| t.trim().to_lowercase()).collect();
    let ideas = IdeaSet::load_listing(app, team_id).await?;
    Ok(ideas.listed(Utc::now(), sort, |i| {
        status.is_none_or(|s| i.status == s) && has_tags(i, &tags)
    }))
}

/// One idea with its full status history and its comments (its duplicates' too).
#[tracing::instrument(skip_all, fields(team_id = %team_id, idea_id = %idea_id))]
pub async fn detail(app: &App, team_id: Uuid, idea_id: Uuid) -> Result<IdeaDetail, AppError> {
    IdeaSet::load_some(&app.store, team_id, &[idea_id])
        .await?
        .detail(idea_id, Utc::now())
        .ok_or(AppError::NotFound("idea"))
}

/// Moderates an idea: a status with its reason, by the member behind `origin`.
#[tracing::instrument(skip_all, fields(team_id = %team_id, idea_id = %idea_id))]
pub async fn change_status(
    app: &App,
    origin: &Origin,
    (team_id, idea_id): (Uuid, Uuid),
    if_match: Option<i64>,
    status: IdeaStatus,
    reason: Option<String>,
) -> Result<(IdeaView, i64), AppError> {
    let command = IdeaCommand::ChangeStatus {
        status,
        reason,
        by: member(origin)?,
    };
    let context = IdeaContext::default();
    run(app, origin, (team_id, idea_id), if_match, command, context).await
}

/// Merges a duplicate into another idea: its votes count there (each voter once), its
/// comments show there, and it leaves the public lists.
#[tracing::instrument(skip_all, fields(team_id = %team_id, idea_id = %idea_id, into = %into))]
pub async fn merge(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    idea_id: Uuid,
    into: Uuid,
) -> Result<(IdeaView, i64), AppError> {
    let target = execute::load_aggregate::<Idea>(&app.store, team_id, into)
        .await?
        .state;
    let context = IdeaContext {
        target,
        ..IdeaContext::default()
    };
    let command = IdeaCommand::MergeInto { target: into };
    let merged = run(app, origin, (team_id, idea_id), None, command, context).await;
    app.boards.forget_ideas(team_id);
    merged
}

/// Undoes a merge: both ideas are as they would be had it never happened, votes cast in
/// between included.
#[tracing::instrument(skip_all, fields(team_id = %team_id, idea_id = %idea_id))]
pub async fn unmerge(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    idea_id: Uuid,
) -> Result<(IdeaView, i64), AppError> {
    let context = IdeaContext::default();
    let unmerged = run(
        app,
        origin,
        (team_id, idea_id),
        None,
        IdeaCommand::Unmerge,
        context,
    )
    .await;
    app.boards.forget_ideas(team_id);
    unmerged
}

/// Erases a contributor's name and e-mail address: their ideas and votes stay, anonymous.
/// Answers the position after.
#[tracing::instrument(skip_all, fields(team_id = %team_id, contributor_id = %contributor_id))]
pub async fn erase_contributor(
    app: &App,
    team_id: Uuid,
    contributor_id: Uuid,
) -> Result<i64, AppError> {
    if !app
        .store
        .directory()
        .erase_contributor(team_id, contributor_id)
        .await?
    {
        return Err(AppError::NotFound("contributor"));
    }
    Ok(app.store.events().visible_head().await?)
}
