//! Posts: drafted, edited, scheduled, reviewed, published (also after the fact, to log what
//! went out), archived. Publishing a post made from an idea marks the idea used in the same
//! transaction: both are written, or neither.

use std::collections::BTreeSet;
use stride_domain::Invalid;

use chrono::{DateTime, Utc};
use serde::Serialize;
use stride_domain::channel::{self, ChannelEvent, ChannelStatus};
use stride_domain::goal::GoalEvent;
use stride_domain::idea::{Idea, IdeaCommand, IdeaContext, IdeaEvent};
use stride_domain::post::{NewPost, Post, PostCommand, PostContext, PostEvent, PostStatus};
use stride_domain::team::Role;
use stride_domain::{Aggregate, EventPayload};
use stride_storage::{AppendError, AppendRequest, ExpectedVersion};
use uuid::Uuid;

use crate::execute::{self, Outcome};
use crate::{App, AppError, Origin, idea_views, teams};

/// How often a command is decided again on fresh state after losing a race.
const ATTEMPTS: usize = 3;

/// A post as it is now, with its version.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostView {
    #[serde(flatten)]
    pub post: Post,
    /// The post's version, as in its ETag.
    pub version: i64,
}

impl PostView {
    fn new(post: &Post, version: i64) -> PostView {
        PostView {
            post: post.clone(),
            version,
        }
    }
}

/// Drafts a post, or schedules it when it has a time, for a member with `role`. Answers the
/// post and the position of the write.
#[tracing::instrument(skip_all, fields(team_id = %team_id, post_id = %new.post_id))]
pub async fn draft(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    role: Role,
    if_match: Option<i64>,
    new: NewPost,
) -> Result<(PostView, i64), AppError> {
    let ids = (team_id, new.post_id);
    change(
        app,
        origin,
        ids,
        role,
        if_match,
        PostCommand::DraftPost(new),
    )
    .await
}

/// Publishes a post (approved first, on teams that require approval). A post made from an
/// idea marks the idea used (or, for a duplicate merged into another, the idea it was merged
/// into) in the same transaction. Answers the post and the position of the write.
#[tracing::instrument(skip_all, fields(team_id = %team_id, post_id = %post_id))]
pub async fn publish(
    app: &App,
    origin: &Origin,
    (team_id, post_id): (Uuid, Uuid),
    role: Role,
    if_match: Option<i64>,
    published_at: Option<DateTime<Utc>>,
    url: Option<String>,
) -> Result<(PostView, i64), AppError> {
    let command = PostCommand::Publish { published_at, url };
    change(app, origin, (team_id, post_id), role, if_match, command).await
}

/// One post.
#[tracing::instrument(skip_all, fields(team_id = %team_id, post_id = %post_id))]
pub async fn get(app: &App, team_id: Uuid, post_id: Uuid) -> Result<PostView, AppError> {
    let outcome = execute::load_aggregate::<Post>(&app.store, team_id, post_id).await?;
    let post = outcome.state.ok_or(AppError::NotFound("post"))?;
    Ok(PostView::new(&post, outcome.version))
}

/// Which posts a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostFilter {
    pub status: Option<PostStatus>,
    pub channel_id: Option<Uuid>,
    /// Posts published (or, if not yet, scheduled) at or after this instant...
    pub from: Option<DateTime<Utc>>,
    /// ... and before this one.
    pub to: Option<DateTime<Utc>>,
}

/// The team's posts that `filter` keeps.
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn list(app: &App, team_id: Uuid, filter: PostFilter) -> Result<Vec<PostView>, AppError> {
    let timed = filter.from.is_some() || filter.to.is_some();
    Ok(app
        .store
        .events()
        .read_team_streams::<PostEvent>(team_id)
        .await?
        .values()
        .filter_map(|stream| {
            Post::fold(stream.events.iter().map(|e| &e.event)).map(|p| (p, stream.version))
        })
        .filter(|(p, _)| filter.status.is_none_or(|s| p.status == s))
        .filter(|(p, _)| filter.channel_id.is_none_or(|c| p.channel_id == c))
        .filter(|(p, _)| {
            let when = p.published_at.or(p.scheduled_for);
            !timed
                || when.is_some_and(|w| {
                    filter.from.is_none_or(|f| w >= f) && filter.to.is_none_or(|t| w < t)
                })
        })
        .map(|(p, version)| PostView::new(&p, version))
        .collect())
}

/// The team's posts among `ids`.
pub async fn team_posts(
    app: &App,
    team_id: Uuid,
    ids: &[Uuid],
) -> Result<BTreeSet<Uuid>, AppError> {
    Ok(app
        .store
        .events()
        .existing_streams(team_id, PostEvent::STREAM_TYPE, ids)
        .await?)
}

/// What a post command is decided against: the clock, the team's review setting, the
/// member's right to approve, the channels that take posts and the team's goals.
async fn context(app: &App, team_id: Uuid, role: Role) -> Result<PostContext, AppError> {
    let team = teams::load(&app.store, team_id).await?.state;
    let channels = app
        .store
        .events()
        .read_team_streams::<ChannelEvent>(team_id)
        .await?
        .into_iter()
        .filter_map(|(id, stream)| {
            let state = stream
                .events
                .iter()
                .fold(None, |s, e| channel::apply(s, &e.event));
            state
                .filter(|c| c.status != ChannelStatus::Retired)
                .map(|_| id)
        })
        .collect();
    let goals = app.store.events().stream_ids::<GoalEvent>(team_id).await?;
    Ok(PostContext {
        now: Utc::now(),
        require_approval: team.require_approval,
        may_approve: role.can_administer(),
        channels,
        goals,
        members: team.members.keys().copied().collect(),
    })
}

/// Drafts, edits, reschedules, submits for review, approves, sends back for changes,
/// publishes or archives a post, for a member with `role`. Answers the post and the
/// position of the write.
///
/// Runs the command with the idea a publication marks used: loads the post, decides,
/// appends what was decided with the version it was decided on. Without an expected version
/// (`If-Match`) a lost race (on the post or its idea) is decided again on fresh state; with
/// one, a stale post is [`AppError::PreconditionFailed`]. A draft names its own post, and
/// only an idea of the team.
#[tracing::instrument(skip_all, fields(team_id = %team_id, post_id = %post_id))]
pub async fn change(
    app: &App,
    origin: &Origin,
    (team_id, post_id): (Uuid, Uuid),
    role: Role,
    if_match: Option<i64>,
    command: PostCommand,
) -> Result<(PostView, i64), AppError> {
    let post_id = match &command {
        PostCommand::DraftPost(new) => {
            if let Some(idea_id) = new.idea_id
                && !idea_views::exists(&app.store, team_id, idea_id).await?
            {
                return Err(Invalid::new("idea_id", "is not an idea of this team").into());
            }
            new.post_id
        }
        _ => post_id,
    };
    let context = context(app, team_id, role).await?;
    for _ in 0..ATTEMPTS {
        let current = execute::load_aggregate::<Post>(&app.store, team_id, post_id).await?;
        if let Some(expected) = if_match
            && expected != current.version
        {
            return Err(AppError::PreconditionFailed {
                current: current.version,
            });
        }
        if current.state.is_none() && !matches!(command, PostCommand::DraftPost(_)) {
            return Err(AppError::NotFound("post"));
        }
        let events = Post::decide(current.state.as_ref(), command.clone(), &context)?;
        if events.is_empty() {
            let post = current.state.ok_or(AppError::NotFound("post"))?;
            return Ok((PostView::new(&post, current.version), current.position));
        }
        let post = events
            .iter()
            .fold(current.state, Post::apply)
            .ok_or(AppError::NotFound("post"))?;
        let mut requests = vec![append_request(
            origin,
            (team_id, post_id),
            current.version,
            &events,
        )?];
        if let (PostCommand::Publish { .. }, Some(idea_id)) = (&command, post.idea_id)
            && let Some((used, outcome, events)) = idea_used(app, team_id, idea_id, post_id).await?
        {
            requests.push(append_request(
                origin,
                (team_id, used),
                outcome.version,
                &events,
            )?);
        }
        match append(app, requests).await {
            Ok((version, position)) => return Ok((PostView::new(&post, version), position)),
            Err(AppendError::Conflict {
                stream_id, actual, ..
            }) if if_match.is_some() && stream_id == post_id => {
                return Err(AppError::PreconditionFailed {
                    current: actual.unwrap_or(0),
                });
            }
            Err(AppendError::Conflict { .. }) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(AppError::KeptChanging)
}

fn append_request<E: EventPayload>(
    origin: &Origin,
    (team_id, stream_id): (Uuid, Uuid),
    version: i64,
    events: &[E],
) -> Result<AppendRequest, AppError> {
    let expected = ExpectedVersion::Exactly(version);
    Ok(AppendRequest::new(
        team_id,
        stream_id,
        expected,
        events,
        origin.metadata(),
    )?)
}

/// Appends the post's events, and the idea's with them when there are some, in one
/// transaction: the post's version after, and the position of the last event.
async fn append(app: &App, mut requests: Vec<AppendRequest>) -> Result<(i64, i64), AppendError> {
    if requests.len() == 1
        && let Some(request) = requests.pop()
    {
        let appended = app.store.events().append(request).await?;
        return Ok((appended.stream_version, appended.position));
    }
    let appended = app.store.events().append_all(requests).await?;
    let version = appended.first().map_or(0, |a| a.stream_version);
    let position = appended.iter().map(|a| a.position).max().unwrap_or(0);
    Ok((version, position))
}

/// The idea a post made from `idea_id` is a use of (the idea itself, or the idea a merged
/// duplicate was merged into), as loaded, with the events that mark it used by `post_id`;
/// `None` when there is nothing to mark.
async fn idea_used(
    app: &App,
    team_id: Uuid,
    idea_id: Uuid,
    post_id: Uuid,
) -> Result<Option<(Uuid, Outcome<Idea>, Vec<IdeaEvent>)>, AppError> {
    let mut seen = BTreeSet::new();
    let mut id = idea_id;
    // Merges never form a circle, but ideas merged concurrently could: it would mark none.
    while seen.insert(id) {
        let outcome = execute::load_aggregate::<Idea>(&app.store, team_id, id).await?;
        let Some(idea) = &outcome.state else {
            return Ok(None);
        };
        if let Some(into) = idea.merged_into {
            // A merged duplicate's use counts for the idea it was merged into.
            id = into;
            continue;
        }
        let command = IdeaCommand::MarkUsed { post_id };
        let events = Idea::decide(Some(idea), command, &IdeaContext::default())?;
        return Ok((!events.is_empty()).then_some((id, outcome, events)));
    }
    Ok(None)
}
