//! The idea read model, as both sides of the board read it: ideas folded from their
//! streams, their votes counted by the one reader ([`crate::votes::Ballots`]), comments
//! gathered from the duplicates merged into them, and the three orders of api.md
//! (`trending`, `top`, `new`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stride_domain::idea::{self, Author, Idea, IdeaEvent, IdeaStatus};
use stride_domain::{EventPayload, RecordedEvent};
use stride_storage::Store;
use stride_storage::board::Names;
use stride_storage::registry::Registered;
use uuid::Uuid;

use crate::AppError;
use crate::votes::Ballots;

pub use stride_domain::suggestion::{HALF_LIFE_DAYS, decayed};

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Votes weighted by age, each halving every 7 days.
    #[default]
    Trending,
    /// Most votes.
    Top,
    /// Newest first.
    New,
}

/// Who wrote an idea or a comment: a contributor from the public board or a team member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Contributor,
    Member,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorView {
    pub kind: AuthorKind,
    pub id: Uuid,
    /// Their display name, unless they gave none or had it erased.
    pub name: Option<String>,
}

fn author_view(author: Author, names: &Names) -> AuthorView {
    let (kind, id) = match author {
        Author::Contributor { .. } => (AuthorKind::Contributor, author.id()),
        Author::Member { .. } => (AuthorKind::Member, author.id()),
    };
    AuthorView {
        kind,
        id,
        name: names.get(&id).cloned().flatten(),
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusChange {
    pub status: IdeaStatus,
    pub reason: Option<String>,
    /// The member who changed it.
    pub by: Uuid,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommentView {
    pub id: Uuid,
    pub body: String,
    pub author: AuthorView,
    pub at: DateTime<Utc>,
    /// The idea it was written on (a duplicate merged into this one, or this one).
    pub idea_id: Uuid,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdeaView {
    pub id: Uuid,
    pub title: String,
    pub body: Option<String>,
    pub tags: Vec<String>,
    /// Channels a member aimed the idea at.
    pub channel_ids: Vec<Uuid>,
    pub status: IdeaStatus,
    pub author: AuthorView,
    /// Distinct voters, across the duplicates merged into it.
    pub vote_count: i64,
    pub comment_count: usize,
    /// Set when this idea is a duplicate merged into another.
    pub merged_into: Option<Uuid>,
    /// Duplicates merged into this idea.
    pub merged: Vec<Uuid>,
    pub submitted_at: DateTime<Utc>,
    /// The decayed vote score `trending` sorts by.
    pub score: f64,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdeaDetail {
    #[serde(flatten)]
    pub idea: IdeaView,
    /// Every status change, oldest first.
    pub history: Vec<StatusChange>,
    pub comments: Vec<CommentView>,
}

/// One idea with everything its detail views show.
#[derive(Debug, Clone)]
pub struct Folded {
    pub idea: Idea,
    pub version: i64,
    pub submitted_at: DateTime<Utc>,
    pub history: Vec<StatusChange>,
    pub comments: Vec<CommentView>,
}

impl Folded {
    /// An idea as its projection keeps it, without the history and comments only a detail
    /// view reads from its events.
    fn bare(idea: Idea, version: i64, submitted_at: DateTime<Utc>) -> Folded {
        Folded {
            idea,
            version,
            submitted_at,
            history: Vec::new(),
            comments: Vec::new(),
        }
    }
}

fn fold(events: &[RecordedEvent<IdeaEvent>], version: i64, names: &Names) -> Option<Folded> {
    let idea = events.iter().fold(None, |s, e| idea::apply(s, &e.event))?;
    let mut history = Vec::new();
    let mut comments = Vec::new();
    for recorded in events {
        match &recorded.event {
            IdeaEvent::IdeaStatusChanged { to, reason, by, .. } => history.push(StatusChange {
                status: *to,
                reason: reason.clone(),
                by: *by,
                at: recorded.recorded_at,
            }),
            IdeaEvent::IdeaUsed { .. } => history.push(StatusChange {
                status: IdeaStatus::Used,
                reason: None,
                by: Uuid::nil(),
                at: recorded.recorded_at,
            }),
            IdeaEvent::IdeaCommented {
                comment_id,
                body,
                author,
            } => comments.push(CommentView {
                id: *comment_id,
                body: body.clone(),
                author: author_view(*author, names),
                at: recorded.recorded_at,
                idea_id: idea.id,
            }),
            _ => {}
        }
    }
    let submitted_at = events.first().map(|e| e.recorded_at)?;
    Some(Folded {
        idea,
        version,
        submitted_at,
        history,
        comments,
    })
}

/// Some of a team's ideas with what their views need: authors' names, the ballots their
/// votes are counted from, and which duplicates were merged into which.
pub struct IdeaSet {
    pub ideas: BTreeMap<Uuid, Folded>,
    names: Names,
    ballots: Ballots,
    /// Duplicates by the idea they were merged into.
    duplicates: BTreeMap<Uuid, Vec<Uuid>>,
}

fn duplicates(ideas: &BTreeMap<Uuid, Folded>) -> BTreeMap<Uuid, Vec<Uuid>> {
    idea::duplicates(ideas.values().map(|f| &f.idea))
}

impl IdeaSet {
    /// Every idea of the team for a list, from the projections: the cost grows with the
    /// number of ideas, not with the votes and comments on them. Votes are read only for
    /// ideas with duplicates merged in, where each voter must count once across the group.
    pub async fn load_listing(app: &crate::App, team_id: Uuid) -> Result<IdeaSet, AppError> {
        // A list shows every write acknowledged before it was asked for, from the two
        // projections it reads.
        crate::caught_up(app, &Registered::FOLDED).await?;
        let store = &app.store;
        let names: Names = store.directory().names(team_id).await?;
        let ideas: BTreeMap<Uuid, Folded> = store
            .read_models()
            .listed_ideas(team_id)
            .await?
            .into_iter()
            .map(|(idea, submitted_at, version)| {
                (idea.id, Folded::bare(idea, version, submitted_at))
            })
            .collect();
        let duplicates = duplicates(&ideas);
        let grouped: Vec<Uuid> = duplicates
            .iter()
            .flat_map(|(root, dups)| std::iter::once(*root).chain(dups.iter().copied()))
            .collect();
        let votes = if grouped.is_empty() {
            BTreeMap::new()
        } else {
            store.votes().votes_on(team_id, &grouped).await?
        };
        Ok(IdeaSet {
            ballots: Ballots::kept(store.read_models().idea_scores(team_id).await?, votes),
            ideas,
            names,
            duplicates,
        })
    }

    /// A just-submitted idea as every reader sees it: nothing can have been merged into
    /// it, voted for or commented on before its id was known, so only its author's name is
    /// read.
    pub async fn fresh(
        store: &Store,
        team_id: Uuid,
        idea: Idea,
        version: i64,
        submitted_at: DateTime<Utc>,
    ) -> Result<IdeaSet, AppError> {
        let names: Names = store
            .directory()
            .names_of(team_id, &[idea.author.id()])
            .await?;
        Ok(IdeaSet {
            ideas: BTreeMap::from([(idea.id, Folded::bare(idea, version, submitted_at))]),
            names,
            ballots: Ballots::default(),
            duplicates: BTreeMap::new(),
        })
    }

    /// Only `ideas` and the duplicates merged into them, with their votes: what views of
    /// a few ideas need, at a cost that does not grow with the team's other ideas.
    pub async fn load_some(
        store: &Store,
        team_id: Uuid,
        ideas: &[Uuid],
    ) -> Result<IdeaSet, AppError> {
        let mut ids = ideas.to_vec();
        ids.extend(store.read_models().ever_merged_into(team_id, ideas).await?);
        ids.sort_unstable();
        ids.dedup();
        let streams = store
            .events()
            .read_streams::<IdeaEvent>(team_id, &ids)
            .await?;
        let authors: Vec<Uuid> = streams
            .values()
            .flat_map(|s| &s.events)
            .filter_map(|e| match &e.event {
                IdeaEvent::IdeaSubmitted { author, .. }
                | IdeaEvent::IdeaCommented { author, .. } => Some(author.id()),
                _ => None,
            })
            .collect();
        let names: Names = store.directory().names_of(team_id, &authors).await?;
        let ideas = streams
            .iter()
            .filter_map(|(id, s)| fold(&s.events, s.version, &names).map(|f| (*id, f)))
            .collect();
        let votes = store.votes().votes_on(team_id, &ids).await?;
        Ok(IdeaSet {
            duplicates: duplicates(&ideas),
            ideas,
            names,
            ballots: Ballots::each(votes),
        })
    }

    /// The duplicates merged into `id`.
    fn merged_into(&self, id: Uuid) -> Vec<Uuid> {
        self.duplicates.get(&id).cloned().unwrap_or_default()
    }

    /// The view of one idea at `now`: votes and comments of its duplicates count for it.
    pub fn view(&self, id: Uuid, now: DateTime<Utc>) -> Option<IdeaView> {
        let folded = self.ideas.get(&id)?;
        let merged = self.merged_into(id);
        let tally = self.ballots.tally(id, &merged, now);
        let comments = |f: &Folded| f.idea.comments as usize;
        let comment_count = comments(folded)
            + merged
                .iter()
                .filter_map(|m| self.ideas.get(m))
                .map(comments)
                .sum::<usize>();
        let idea = &folded.idea;
        Some(IdeaView {
            id,
            title: idea.title.clone(),
            body: idea.body.clone(),
            tags: idea.tags.clone(),
            channel_ids: idea.channel_ids.clone(),
            status: idea.status,
            author: author_view(idea.author, &self.names),
            vote_count: tally.count,
            comment_count,
            merged_into: idea.merged_into,
            merged,
            submitted_at: folded.submitted_at,
            score: tally.score,
            version: folded.version,
        })
    }

    /// The detail of one idea at `now`: its view, its status history and its comments.
    pub fn detail(&self, id: Uuid, now: DateTime<Utc>) -> Option<IdeaDetail> {
        Some(IdeaDetail {
            idea: self.view(id, now)?,
            history: self.ideas.get(&id)?.history.clone(),
            comments: self.comments(id),
        })
    }

    /// The comments shown on `id`: its own and its duplicates', oldest first.
    pub fn comments(&self, id: Uuid) -> Vec<CommentView> {
        let mut comments: Vec<CommentView> = std::iter::once(id)
            .chain(self.merged_into(id))
            .filter_map(|i| self.ideas.get(&i))
            .flat_map(|f| {
                f.comments.iter().cloned().map(move |mut c| {
                    c.idea_id = f.idea.id;
                    c
                })
            })
            .collect();
        comments.sort_by_key(|c| c.at);
        comments
    }

    /// Views of the ideas `keep` selects, in `sort` order, as `(cursor key, view)` pairs.
    pub fn listed(
        &self,
        now: DateTime<Utc>,
        sort: Sort,
        keep: impl Fn(&Idea) -> bool,
    ) -> Vec<(String, IdeaView)> {
        let mut views: Vec<IdeaView> = self
            .ideas
            .values()
            .filter(|f| keep(&f.idea))
            .filter_map(|f| self.view(f.idea.id, now))
            .collect();
        match sort {
            Sort::New => views.sort_by_key(|v| std::cmp::Reverse(v.id)),
            Sort::Top => {
                views.sort_by(|a, b| b.vote_count.cmp(&a.vote_count).then(b.id.cmp(&a.id)))
            }
            Sort::Trending => {
                views.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.id.cmp(&a.id)))
            }
        }
        // The cursor is the rank: lists are read in the order they are served.
        views
            .into_iter()
            .enumerate()
            .map(|(rank, v)| (format!("{rank:08}"), v))
            .collect()
    }
}

/// Whether `stream_id` is one of the team's ideas.
pub async fn exists(store: &Store, team_id: Uuid, idea_id: Uuid) -> Result<bool, AppError> {
    Ok(!store
        .events()
        .existing_streams(team_id, IdeaEvent::STREAM_TYPE, &[idea_id])
        .await?
        .is_empty())
}

/// The tag filter of lists: ideas with every given tag.
pub fn has_tags(idea: &Idea, tags: &BTreeSet<String>) -> bool {
    tags.iter().all(|t| idea.tags.contains(t))
}
