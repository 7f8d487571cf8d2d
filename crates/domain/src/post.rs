//! The post aggregate: from draft to scheduled to published, or archived. With the team
//! setting `require_approval`, a post is submitted for review and approved by an owner or
//! admin before it can be scheduled or published; changing its content takes it back to a
//! draft. Every transition that does not apply is refused with its reason, never ignored.
//! A post may be assigned to one of the team's members; assigning it changes no content, so
//! it keeps its approval.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Invalid;
use crate::event;
use crate::invalid::revised;
use crate::{bounds, ids, text};

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 10_000;
pub const URL_MAX: usize = 2048;
/// How far ahead of the server's clock a `published_at` may be (clock skew).
pub const PUBLISH_SKEW: Duration = Duration::minutes(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    Draft,
    InReview,
    Approved,
    Scheduled,
    Published,
    Archived,
}

impl PostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::InReview => "in_review",
            PostStatus::Approved => "approved",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Published => "published",
            PostStatus::Archived => "archived",
        }
    }
}

/// Serialized as a projection keeps it, and as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Post {
    pub id: Uuid,
    /// The channel it goes out on.
    pub channel_id: Uuid,
    pub title: String,
    pub body: Option<String>,
    /// The community idea this post was made from.
    pub idea_id: Option<Uuid>,
    /// The goals this post serves.
    pub goal_ids: Vec<Uuid>,
    pub status: PostStatus,
    /// Approved content: cleared when the content changes.
    pub approved: bool,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub url: Option<String>,
    /// The member it is assigned to.
    #[serde(default)]
    pub assignee_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPost {
    pub post_id: Uuid,
    pub channel_id: Uuid,
    pub title: String,
    pub body: Option<String>,
    pub idea_id: Option<Uuid>,
    pub goal_ids: Vec<Uuid>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub assignee_id: Option<Uuid>,
}

/// An edit; `None` keeps a field. `scheduled_for: Some(None)` takes a post off the schedule,
/// `assignee_id: Some(None)` leaves it unassigned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostEdit {
    pub title: Option<String>,
    pub body: Option<Option<String>>,
    pub goal_ids: Option<Vec<Uuid>>,
    pub scheduled_for: Option<Option<DateTime<Utc>>>,
    pub assignee_id: Option<Option<Uuid>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PostCommand {
    DraftPost(NewPost),
    EditPost(PostEdit),
    SubmitForReview,
    Approve,
    RequestChanges {
        comment: String,
    },
    Publish {
        published_at: Option<DateTime<Utc>>,
        url: Option<String>,
    },
    Archive,
}

/// What a post is decided against besides its own events.
#[derive(Debug, Clone, PartialEq)]
pub struct PostContext {
    pub now: DateTime<Utc>,
    pub require_approval: bool,
    /// Whether the acting member may approve (owners and admins).
    pub may_approve: bool,
    /// The team's channels that take posts (not retired).
    pub channels: BTreeSet<Uuid>,
    pub goals: BTreeSet<Uuid>,
    /// The team's members, who may be assigned a post.
    pub members: BTreeSet<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum PostEvent {
    PostDrafted {
        post_id: Uuid,
        channel_id: Uuid,
        title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        idea_id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        goal_ids: Vec<Uuid>,
    },
    PostEdited {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        #[serde(
            default,
            deserialize_with = "crate::event::double_option",
            skip_serializing_if = "Option::is_none"
        )]
        body: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        goal_ids: Option<Vec<Uuid>>,
    },
    PostScheduled {
        /// None: taken off the schedule.
        scheduled_for: Option<DateTime<Utc>>,
    },
    PostSubmittedForReview {},
    PostApproved {},
    PostChangesRequested {
        comment: String,
    },
    PostPublished {
        published_at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    PostArchived {},
    /// The post is assigned to a member, or (null) to no one.
    PostAssigneeChanged {
        #[serde(default)]
        assignee_id: Option<Uuid>,
    },
}

event::event_payload!(
    PostEvent,
    "post",
    [
        PostDrafted,
        PostEdited,
        PostScheduled,
        PostSubmittedForReview,
        PostApproved,
        PostChangesRequested,
        PostPublished,
        PostArchived,
        PostAssigneeChanged
    ]
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    #[error("the post already exists")]
    AlreadyExists,
    #[error("no such post")]
    NotFound,
    #[error("a post that is {status} cannot be {action}")]
    InvalidTransition {
        action: &'static str,
        status: &'static str,
    },
    #[error(
        "this team requires approval: submit the post for review and have an owner or admin approve it first"
    )]
    ApprovalRequired,
    #[error("only owners and admins approve posts")]
    Forbidden,
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

fn title(raw: &str) -> Result<String, Invalid> {
    text::title(raw, TITLE_MAX).map_err(|e| Invalid::new("title", e))
}

fn body(raw: Option<String>) -> Result<Option<String>, Invalid> {
    text::optional_long_text(raw.as_deref(), BODY_MAX).map_err(|e| Invalid::new("body", e))
}

fn goal_ids(named: Vec<Uuid>, context: &PostContext) -> Result<Vec<Uuid>, Invalid> {
    ids::of_team(named, &context.goals)
        .map_err(|id| Invalid::new("goal_ids", format!("{id} is not a goal of this team")))
}

fn assignee(id: Uuid, context: &PostContext) -> Result<Uuid, Invalid> {
    crate::goal::member("assignee_id", id, &context.members)
}

fn future(when: DateTime<Utc>, context: &PostContext) -> Result<DateTime<Utc>, PostError> {
    bounds::instant(when).map_err(|e| Invalid::new("scheduled_for", e))?;
    if when <= context.now {
        return Err(Invalid::new("scheduled_for", "must be in the future").into());
    }
    Ok(when)
}

fn refuse(action: &'static str, post: &Post) -> PostError {
    PostError::InvalidTransition {
        action,
        status: post.status.as_str(),
    }
}

/// Scheduling and publishing wait for approval when the team requires it.
fn cleared(post: &Post, context: &PostContext) -> Result<(), PostError> {
    if context.require_approval && !post.approved {
        Err(PostError::ApprovalRequired)
    } else {
        Ok(())
    }
}

pub fn decide(
    state: Option<&Post>,
    command: PostCommand,
    context: &PostContext,
) -> Result<Vec<PostEvent>, PostError> {
    let (post, command) = match (state, command) {
        (None, PostCommand::DraftPost(new)) => return draft(new, context),
        (Some(_), PostCommand::DraftPost(_)) => return Err(PostError::AlreadyExists),
        (None, _) => return Err(PostError::NotFound),
        (Some(post), command) => (post, command),
    };
    use PostStatus::*;
    match command {
        PostCommand::DraftPost(_) => Err(PostError::AlreadyExists),
        PostCommand::EditPost(edit) => match post.status {
            Published | Archived => Err(refuse("edited", post)),
            _ => edit_post(post, edit, context),
        },
        PostCommand::SubmitForReview => match post.status {
            Draft => Ok(vec![PostEvent::PostSubmittedForReview {}]),
            _ => Err(refuse("submitted for review", post)),
        },
        PostCommand::Approve => match post.status {
            InReview if context.may_approve => Ok(vec![PostEvent::PostApproved {}]),
            InReview => Err(PostError::Forbidden),
            _ => Err(refuse("approved", post)),
        },
        PostCommand::RequestChanges { comment } => match post.status {
            InReview if context.may_approve => {
                let comment = text::required_long_text(&comment, BODY_MAX)
                    .map_err(|e| Invalid::new("comment", e))?;
                Ok(vec![PostEvent::PostChangesRequested { comment }])
            }
            InReview => Err(PostError::Forbidden),
            _ => Err(refuse("sent back for changes", post)),
        },
        PostCommand::Publish { published_at, url } => match post.status {
            Draft | Approved | Scheduled => {
                cleared(post, context)?;
                let published_at = bounds::instant(published_at.unwrap_or(context.now))
                    .map_err(|e| Invalid::new("published_at", e))?;
                if published_at > context.now + PUBLISH_SKEW {
                    return Err(Invalid::new(
                        "published_at",
                        "must not be in the future: schedule the post instead",
                    )
                    .into());
                }
                let url = url
                    .map(|url| text::url(&url, URL_MAX).map_err(|e| Invalid::new("url", e)))
                    .transpose()?;
                Ok(vec![PostEvent::PostPublished { published_at, url }])
            }
            _ => Err(refuse("published", post)),
        },
        PostCommand::Archive => match post.status {
            Archived => Err(refuse("archived", post)),
            _ => Ok(vec![PostEvent::PostArchived {}]),
        },
    }
}

fn draft(new: NewPost, context: &PostContext) -> Result<Vec<PostEvent>, PostError> {
    let title = title(&new.title)?;
    let body = body(new.body)?;
    if !context.channels.contains(&new.channel_id) {
        return Err(Invalid::new(
            "channel_id",
            "is not an active or paused channel of this team",
        )
        .into());
    }
    let goal_ids = goal_ids(new.goal_ids, context)?;
    let assignee_id = new
        .assignee_id
        .map(|id| assignee(id, context))
        .transpose()?;
    let mut events = vec![PostEvent::PostDrafted {
        post_id: new.post_id,
        channel_id: new.channel_id,
        title,
        body,
        idea_id: new.idea_id,
        goal_ids,
    }];
    if assignee_id.is_some() {
        events.push(PostEvent::PostAssigneeChanged { assignee_id });
    }
    if let Some(when) = new.scheduled_for {
        if context.require_approval {
            return Err(PostError::ApprovalRequired);
        }
        events.push(PostEvent::PostScheduled {
            scheduled_for: Some(future(when, context)?),
        });
    }
    Ok(events)
}

fn edit_post(
    post: &Post,
    edit: PostEdit,
    context: &PostContext,
) -> Result<Vec<PostEvent>, PostError> {
    let title = revised(edit.title, &post.title, |t| title(&t))?;
    let body = revised(edit.body, &post.body, body)?;
    let goal_ids = revised(edit.goal_ids, &post.goal_ids, |ids| goal_ids(ids, context))?;
    // An assignee kept as it is is not checked again: they may have left the team since.
    let unchanged = edit.assignee_id.filter(|a| *a != post.assignee_id);
    let assignee_id = revised(unchanged, &post.assignee_id, |a| {
        a.map(|id| assignee(id, context)).transpose()
    })?;
    let mut events = Vec::new();
    let content_changed = title.is_some() || body.is_some();
    if content_changed || goal_ids.is_some() {
        events.push(PostEvent::PostEdited {
            title,
            body,
            goal_ids,
        });
    }
    if let Some(assignee_id) = assignee_id {
        events.push(PostEvent::PostAssigneeChanged { assignee_id });
    }
    // Changed content needs approval again: apply() takes the post back to a draft.
    let approval_lost = content_changed && context.require_approval;
    if let Some(when) = edit.scheduled_for
        && when != post.scheduled_for
    {
        match when {
            Some(when) => {
                if approval_lost || post.status == PostStatus::InReview {
                    return Err(PostError::ApprovalRequired);
                }
                cleared(post, context)?;
                events.push(PostEvent::PostScheduled {
                    scheduled_for: Some(future(when, context)?),
                });
            }
            None if post.status == PostStatus::Scheduled => events.push(PostEvent::PostScheduled {
                scheduled_for: None,
            }),
            None => {}
        }
    } else if approval_lost && post.status == PostStatus::Scheduled {
        // Unapproved content must not go out on the old schedule.
        events.push(PostEvent::PostScheduled {
            scheduled_for: None,
        });
    }
    Ok(events)
}

pub fn apply(state: Option<Post>, event: &PostEvent) -> Option<Post> {
    let Some(mut post) = state else {
        return match event {
            PostEvent::PostDrafted {
                post_id,
                channel_id,
                title,
                body,
                idea_id,
                goal_ids,
            } => Some(Post {
                id: *post_id,
                channel_id: *channel_id,
                title: title.clone(),
                body: body.clone(),
                idea_id: *idea_id,
                goal_ids: goal_ids.clone(),
                status: PostStatus::Draft,
                approved: false,
                scheduled_for: None,
                published_at: None,
                url: None,
                assignee_id: None,
            }),
            _ => None,
        };
    };
    match event {
        PostEvent::PostDrafted { .. } => {}
        PostEvent::PostEdited {
            title,
            body,
            goal_ids,
        } => {
            if title.is_some() || body.is_some() {
                post.approved = false;
                if matches!(post.status, PostStatus::InReview | PostStatus::Approved) {
                    post.status = PostStatus::Draft;
                }
            }
            post.title = title.clone().unwrap_or(post.title);
            post.body = body.clone().unwrap_or(post.body);
            post.goal_ids = goal_ids.clone().unwrap_or(post.goal_ids);
        }
        PostEvent::PostScheduled { scheduled_for } => {
            post.scheduled_for = *scheduled_for;
            post.status = match (scheduled_for, post.approved) {
                (Some(_), _) => PostStatus::Scheduled,
                (None, true) => PostStatus::Approved,
                (None, false) => PostStatus::Draft,
            };
        }
        PostEvent::PostSubmittedForReview {} => post.status = PostStatus::InReview,
        PostEvent::PostApproved {} => {
            post.status = PostStatus::Approved;
            post.approved = true;
        }
        PostEvent::PostChangesRequested { .. } => post.status = PostStatus::Draft,
        PostEvent::PostPublished { published_at, url } => {
            post.status = PostStatus::Published;
            post.published_at = Some(*published_at);
            post.url = url.clone();
        }
        PostEvent::PostArchived {} => post.status = PostStatus::Archived,
        PostEvent::PostAssigneeChanged { assignee_id } => post.assignee_id = *assignee_id,
    }
    Some(post)
}

crate::aggregate::impl_aggregate!(Post {
    command: PostCommand,
    event: PostEvent,
    error: PostError,
    context: PostContext,
});

#[cfg(test)]
mod tests;
