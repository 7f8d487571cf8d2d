//! The idea aggregate: a content idea from the community (or a member), its comments, the
//! team's moderation with reasons, merges of duplicates (undone exactly by an unmerge), and
//! its use in a published post. Votes are facts of their own (see [`crate::vote`]): they do
//! not need the idea's version, so a hot idea never refuses one.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Invalid;
use crate::event;
use crate::{ids, text};

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 10_000;
pub const TAGS_MAX: usize = 10;
pub const TAG_MAX: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IdeaStatus {
    Open,
    UnderReview,
    Planned,
    Declined,
    Used,
}

impl IdeaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IdeaStatus::Open => "open",
            IdeaStatus::UnderReview => "under_review",
            IdeaStatus::Planned => "planned",
            IdeaStatus::Declined => "declined",
            IdeaStatus::Used => "used",
        }
    }
}

/// Who wrote an idea or a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Author {
    Contributor { contributor_id: Uuid },
    Member { member_id: Uuid },
}

impl Author {
    /// The contributor's or the member's id.
    pub fn id(self) -> Uuid {
        match self {
            Author::Contributor { contributor_id } => contributor_id,
            Author::Member { member_id } => member_id,
        }
    }
}

/// Serialized as a projection keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Idea {
    pub id: Uuid,
    pub title: String,
    pub body: Option<String>,
    pub tags: Vec<String>,
    pub channel_ids: Vec<Uuid>,
    pub author: Author,
    pub status: IdeaStatus,
    pub merged_into: Option<Uuid>,
    pub comments: u32,
    pub used_in: Vec<Uuid>,
}

/// The duplicates merged into each idea, by the idea they were merged into.
pub fn duplicates<'a>(ideas: impl IntoIterator<Item = &'a Idea>) -> BTreeMap<Uuid, Vec<Uuid>> {
    let mut duplicates: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for idea in ideas {
        if let Some(into) = idea.merged_into {
            duplicates.entry(into).or_default().push(idea.id);
        }
    }
    duplicates
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewIdea {
    pub idea_id: Uuid,
    pub title: String,
    pub body: Option<String>,
    pub tags: Vec<String>,
    pub channel_ids: Vec<Uuid>,
    pub author: Author,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IdeaCommand {
    Submit(NewIdea),
    Comment {
        comment_id: Uuid,
        body: String,
        author: Author,
    },
    ChangeStatus {
        status: IdeaStatus,
        reason: Option<String>,
        by: Uuid,
    },
    MergeInto {
        target: Uuid,
    },
    Unmerge,
    MarkUsed {
        post_id: Uuid,
    },
}

/// What an idea is decided against besides its own events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdeaContext {
    /// The team's channels, for ideas aimed at some.
    pub channels: BTreeSet<Uuid>,
    /// Whether the board takes new ideas from the community.
    pub accepting_ideas: bool,
    /// For a merge: the target idea, if it is one of the team's.
    pub target: Option<Idea>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum IdeaEvent {
    IdeaSubmitted {
        idea_id: Uuid,
        title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tags: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        channel_ids: Vec<Uuid>,
        author: Author,
    },
    IdeaCommented {
        comment_id: Uuid,
        body: String,
        author: Author,
    },
    IdeaStatusChanged {
        from: IdeaStatus,
        to: IdeaStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        by: Uuid,
    },
    IdeaMerged {
        into: Uuid,
    },
    IdeaUnmerged {
        from: Uuid,
    },
    IdeaUsed {
        post_id: Uuid,
    },
}

event::event_payload!(
    IdeaEvent,
    "idea",
    [
        IdeaSubmitted,
        IdeaCommented,
        IdeaStatusChanged,
        IdeaMerged,
        IdeaUnmerged,
        IdeaUsed
    ]
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdeaError {
    #[error("the idea already exists")]
    AlreadyExists,
    #[error("no such idea")]
    NotFound,
    #[error("the board is not taking new ideas right now")]
    BoardClosed,
    #[error("the idea was merged into {0}: vote and comment there")]
    Merged(Uuid),
    #[error("the idea is not merged")]
    NotMerged,
    #[error("a used idea keeps its status")]
    AlreadyUsed,
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

fn tags(raw: Vec<String>) -> Result<Vec<String>, IdeaError> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw {
        let tag = tag.trim().to_lowercase();
        let ok = (1..=TAG_MAX).contains(&tag.chars().count())
            && tag.chars().all(|c| c.is_alphanumeric() || c == '-');
        if !ok {
            return Err(Invalid::new(
                "tags",
                format!("each tag is 1 to {TAG_MAX} letters, digits or hyphens"),
            )
            .into());
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > TAGS_MAX {
        return Err(Invalid::new("tags", format!("at most {TAGS_MAX} tags")).into());
    }
    Ok(tags)
}

pub fn decide(
    state: Option<&Idea>,
    command: IdeaCommand,
    context: &IdeaContext,
) -> Result<Vec<IdeaEvent>, IdeaError> {
    let (idea, command) = match (state, command) {
        (None, IdeaCommand::Submit(new)) => return submit(new, context),
        (Some(_), IdeaCommand::Submit(_)) => return Err(IdeaError::AlreadyExists),
        (None, _) => return Err(IdeaError::NotFound),
        (Some(idea), command) => (idea, command),
    };
    match (idea.merged_into, command) {
        (Some(target), IdeaCommand::Unmerge) => Ok(vec![IdeaEvent::IdeaUnmerged { from: target }]),
        (None, IdeaCommand::Unmerge) => Err(IdeaError::NotMerged),
        (Some(target), _) => Err(IdeaError::Merged(target)),
        (None, IdeaCommand::Submit(_)) => Err(IdeaError::AlreadyExists),
        (
            None,
            IdeaCommand::Comment {
                comment_id,
                body,
                author,
            },
        ) => Ok(vec![IdeaEvent::IdeaCommented {
            comment_id,
            body: text::required_long_text(&body, BODY_MAX).map_err(|e| Invalid::new("body", e))?,
            author,
        }]),
        (None, IdeaCommand::ChangeStatus { status, reason, by }) => {
            if idea.status == IdeaStatus::Used {
                return Err(IdeaError::AlreadyUsed);
            }
            if status == IdeaStatus::Used {
                return Err(Invalid::new(
                    "status",
                    "an idea becomes used when a post made from it is published",
                )
                .into());
            }
            let reason = crate::channel::reason(reason).map_err(|e| Invalid::new("reason", e))?;
            if status == idea.status {
                return Ok(vec![]);
            }
            Ok(vec![IdeaEvent::IdeaStatusChanged {
                from: idea.status,
                to: status,
                reason,
                by,
            }])
        }
        (None, IdeaCommand::MergeInto { target }) => {
            if target == idea.id {
                return Err(Invalid::new("into", "an idea cannot be merged into itself").into());
            }
            match &context.target {
                None => Err(Invalid::new("into", "is not an idea of this team").into()),
                Some(t) if t.merged_into.is_some() => Err(Invalid::new(
                    "into",
                    "is itself merged: merge into the idea it was merged into",
                )
                .into()),
                Some(_) => Ok(vec![IdeaEvent::IdeaMerged { into: target }]),
            }
        }
        (None, IdeaCommand::MarkUsed { post_id }) => {
            if idea.used_in.contains(&post_id) {
                return Ok(vec![]);
            }
            Ok(vec![IdeaEvent::IdeaUsed { post_id }])
        }
    }
}

fn submit(new: NewIdea, context: &IdeaContext) -> Result<Vec<IdeaEvent>, IdeaError> {
    if matches!(new.author, Author::Contributor { .. }) && !context.accepting_ideas {
        return Err(IdeaError::BoardClosed);
    }
    let title = text::title(&new.title, TITLE_MAX).map_err(|e| Invalid::new("title", e))?;
    let body = text::optional_long_text(new.body.as_deref(), BODY_MAX)
        .map_err(|e| Invalid::new("body", e))?;
    let channel_ids = ids::of_team(new.channel_ids, &context.channels)
        .map_err(|id| Invalid::new("channel_ids", format!("{id} is not a channel of this team")))?;
    Ok(vec![IdeaEvent::IdeaSubmitted {
        idea_id: new.idea_id,
        title,
        body,
        tags: tags(new.tags)?,
        channel_ids,
        author: new.author,
    }])
}

pub fn apply(state: Option<Idea>, event: &IdeaEvent) -> Option<Idea> {
    let Some(mut idea) = state else {
        return match event {
            IdeaEvent::IdeaSubmitted {
                idea_id,
                title,
                body,
                tags,
                channel_ids,
                author,
            } => Some(Idea {
                id: *idea_id,
                title: title.clone(),
                body: body.clone(),
                tags: tags.clone(),
                channel_ids: channel_ids.clone(),
                author: *author,
                status: IdeaStatus::Open,
                merged_into: None,
                comments: 0,
                used_in: Vec::new(),
            }),
            _ => None,
        };
    };
    match event {
        IdeaEvent::IdeaSubmitted { .. } => {}
        IdeaEvent::IdeaCommented { .. } => idea.comments += 1,
        IdeaEvent::IdeaStatusChanged { to, .. } => idea.status = *to,
        IdeaEvent::IdeaMerged { into } => idea.merged_into = Some(*into),
        IdeaEvent::IdeaUnmerged { .. } => idea.merged_into = None,
        IdeaEvent::IdeaUsed { post_id } => {
            idea.status = IdeaStatus::Used;
            idea.used_in.push(*post_id);
        }
    }
    Some(idea)
}

crate::aggregate::impl_aggregate!(Idea {
    command: IdeaCommand,
    event: IdeaEvent,
    error: IdeaError,
    context: IdeaContext,
});

#[cfg(test)]
mod tests;
