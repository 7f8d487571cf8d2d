//! Credit and lineage: which community contributors brought the ideas that got used, and
//! what became of an idea (idea -> posts -> metrics -> goals).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use stride_domain::idea::{self, Author, IdeaStatus};
use stride_domain::metric::Metric;
use stride_domain::post::PostStatus;
use stride_domain::progress::Status;
use uuid::Uuid;

use crate::time_travel::{Inputs, Need, When};
use crate::votes::Ballots;
use crate::{App, AppError};

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Credit {
    pub contributor_id: Uuid,
    /// Their display name, unless they gave none or had it erased.
    pub name: Option<String>,
    pub ideas_submitted: u32,
    /// Their ideas the team turned into published posts.
    pub ideas_used: u32,
    /// Distinct voters on their ideas, duplicates merged into them included.
    pub votes_drawn: u32,
}

/// Community contributors with at least one idea, ranked by ideas used, then votes drawn,
/// then ideas submitted (then by id, so that the order is total).
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn contributors(app: &App, team_id: Uuid) -> Result<Vec<Credit>, AppError> {
    let need = Need {
        ideas: true,
        votes: true,
        ..Need::default()
    };
    let inputs = Inputs::load(app, team_id, When::default(), need).await?;
    let ideas = &inputs.plans.ideas;
    let ids: Vec<Uuid> = ideas.iter().map(|(i, _)| i.id).collect();
    let ballots = Ballots::each(inputs.votes(app, team_id, &ids).await?);
    let duplicates = idea::duplicates(ideas.iter().map(|(i, _)| i));
    let mut credit: BTreeMap<Uuid, Credit> = BTreeMap::new();
    for (idea, _) in ideas {
        let Author::Contributor { contributor_id } = idea.author else {
            continue;
        };
        let entry = credit.entry(contributor_id).or_insert(Credit {
            contributor_id,
            name: None,
            ideas_submitted: 0,
            ideas_used: 0,
            votes_drawn: 0,
        });
        entry.ideas_submitted += 1;
        entry.ideas_used += u32::from(idea.status == IdeaStatus::Used);
        if idea.merged_into.is_none() {
            let merged = duplicates.get(&idea.id).map_or(&[][..], Vec::as_slice);
            entry.votes_drawn += ballots.tally(idea.id, merged, inputs.t).count as u32;
        }
    }
    let names = app.store.directory().names(team_id).await?;
    let mut ranked: Vec<Credit> = credit.into_values().collect();
    for c in &mut ranked {
        c.name = names.get(&c.contributor_id).cloned().flatten();
    }
    ranked.sort_by(|a, b| {
        (
            b.ideas_used,
            b.votes_drawn,
            b.ideas_submitted,
            a.contributor_id,
        )
            .cmp(&(
                a.ideas_used,
                a.votes_drawn,
                a.ideas_submitted,
                b.contributor_id,
            ))
    });
    Ok(ranked)
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostImpact {
    pub post_id: Uuid,
    pub title: String,
    pub channel_id: Uuid,
    pub status: PostStatus,
    pub published_at: Option<DateTime<Utc>>,
    /// Each metric's latest value recorded on the post.
    pub metrics: BTreeMap<Metric, f64>,
    pub goal_ids: Vec<Uuid>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoalMovement {
    pub goal_id: Uuid,
    pub title: String,
    pub status: Status,
    /// When the first of the idea's posts serving it went live.
    pub live_since: DateTime<Utc>,
    /// Progress then, and at `as_of`; null while there was nothing to measure.
    pub progress_at_publication: Option<f64>,
    pub progress_now: Option<f64>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Impact {
    pub idea_id: Uuid,
    pub title: String,
    pub as_of: DateTime<Utc>,
    /// Posts made from the idea.
    pub posts: Vec<PostImpact>,
    /// The goals those posts served and how they moved while the posts were live.
    pub goals: Vec<GoalMovement>,
}

/// What became of an idea: the posts made from it, the metrics recorded on them, and the
/// goals they served with their progress when the first post went live and now.
#[tracing::instrument(skip_all, fields(team_id = %team_id, idea_id = %idea_id))]
pub async fn impact(
    app: &App,
    team_id: Uuid,
    idea_id: Uuid,
    when: When,
) -> Result<Impact, AppError> {
    let need = Need {
        ideas: true,
        all_posts: true,
        ..Need::default()
    };
    let inputs = Inputs::load(app, team_id, when, need).await?;
    let (idea, _) = inputs
        .plans
        .ideas
        .iter()
        .find(|(i, _)| i.id == idea_id)
        .ok_or(AppError::NotFound("idea"))?;
    let mut made: Vec<_> = inputs
        .plans
        .posts
        .iter()
        .filter(|p| p.idea_id == Some(idea_id))
        .collect();
    made.sort_by_key(|p| p.id);
    let ids: Vec<Uuid> = made.iter().map(|p| p.id).collect();
    let mut metrics: BTreeMap<Uuid, BTreeMap<Metric, f64>> = BTreeMap::new();
    for (post, metric, value) in inputs.post_totals(app, team_id, &ids, &Metric::ALL).await? {
        metrics.entry(post).or_default().insert(metric, value);
    }
    let facts = inputs.facts(app, team_id).await?;
    let mut live_since: BTreeMap<Uuid, DateTime<Utc>> = BTreeMap::new();
    for post in made.iter().filter(|p| p.status == PostStatus::Published) {
        let Some(at) = post.published_at.filter(|at| *at <= inputs.t) else {
            continue;
        };
        for goal in &post.goal_ids {
            live_since
                .entry(*goal)
                .and_modify(|t| *t = (*t).min(at))
                .or_insert(at);
        }
    }
    let goals = live_since
        .into_iter()
        .filter_map(|(goal_id, since)| {
            let goal = facts.goals.iter().find(|g| g.id == goal_id)?;
            let now = facts.goal(goal, inputs.t);
            Some(GoalMovement {
                goal_id,
                title: goal.title.clone(),
                status: now.status,
                live_since: since,
                progress_at_publication: facts.goal(goal, since).progress,
                progress_now: now.progress,
            })
        })
        .collect();
    let posts = made
        .into_iter()
        .map(|p| PostImpact {
            post_id: p.id,
            title: p.title.clone(),
            channel_id: p.channel_id,
            status: p.status,
            published_at: p.published_at,
            metrics: metrics.remove(&p.id).unwrap_or_default(),
            goal_ids: p.goal_ids.clone(),
        })
        .collect();
    Ok(Impact {
        idea_id,
        title: idea.title.clone(),
        as_of: inputs.t,
        posts,
        goals,
    })
}
