//! Credit and lineage: which community contributors brought the ideas that got used, and
//! what became of an idea (idea -> posts -> metrics -> goals).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stride_domain::idea::{Author, IdeaStatus};
use stride_domain::metric::Metric;
use stride_domain::post::PostStatus;
use stride_domain::progress::Status;
use stride_domain::vote::distinct_voters;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, Ctx};
use crate::insights::{Inputs, Instant, Need};
use crate::page::{self, Page};
use crate::routes::progress::StatusName;

pub fn configure(config: &mut ServiceConfig) {
    config.service(contributors).service(impact);
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CreditQuery {
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub min_position: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
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
/// then ideas submitted: credit where it is due.
#[utoipa::path(tag = "board", security(("bearer" = [])), params(CreditQuery), responses(
    (status = 200, body = Page<Credit>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/teams/{team_id}/contributors")]
async fn contributors(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<Uuid>,
    query: ApiQuery<CreditQuery>,
) -> Result<HttpResponse, ApiError> {
    let team_id = caller.in_team(path.into_inner())?.team_id;
    let limit = page::limit(query.limit)?;
    let need = Need {
        ideas: true,
        votes: true,
        ..Need::default()
    };
    let inputs = Inputs::load(&ctx, team_id, Instant::default(), need).await?;
    let ideas = &inputs.plans.ideas;
    let ids: Vec<Uuid> = ideas.iter().map(|(i, _)| i.id).collect();
    let votes = inputs.votes(&ctx, team_id, &ids).await?;
    let duplicates = stride_domain::idea::duplicates(ideas.iter().map(|(i, _)| i));
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
            let group =
                std::iter::once(&idea.id).chain(duplicates.get(&idea.id).into_iter().flatten());
            entry.votes_drawn += distinct_voters(group.filter_map(|id| votes.get(id))).len() as u32;
        }
    }
    let names: BTreeMap<Uuid, Option<String>> =
        ctx.store.names(team_id).await?.into_iter().collect();
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
    // The cursor is the rank: the list is read in the order it is served.
    let ranked: Vec<(String, Credit)> = ranked
        .into_iter()
        .enumerate()
        .map(|(rank, c)| (format!("{rank:08}"), c))
        .collect();
    let page = page::paginate(ranked, |(k, _)| k.clone(), limit, query.cursor.as_deref());
    Ok(HttpResponse::Ok().json(Page {
        items: page.items.into_iter().map(|(_, c)| c).collect::<Vec<_>>(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostImpact {
    pub post_id: Uuid,
    pub title: String,
    pub channel_id: Uuid,
    /// `draft`, `in_review`, `approved`, `scheduled`, `published` or `archived`.
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    /// Each metric's latest value recorded on the post.
    #[schema(value_type = BTreeMap<String, f64>)]
    pub metrics: BTreeMap<Metric, f64>,
    pub goal_ids: Vec<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GoalMovement {
    pub goal_id: Uuid,
    pub title: String,
    #[schema(value_type = StatusName)]
    pub status: Status,
    /// When the first of the idea's posts serving it went live.
    pub live_since: DateTime<Utc>,
    /// Progress then, and at `as_of`; null while there was nothing to measure.
    pub progress_at_publication: Option<f64>,
    pub progress_now: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
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
#[utoipa::path(tag = "ideas", security(("bearer" = [])), params(Instant), responses(
    (status = 200, body = Impact),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "`known_at_too_costly`: more events to replay than a `known_at` read may", body = Problem, content_type = "application/problem+json"),
))]
#[get("/teams/{team_id}/ideas/{idea_id}/impact")]
async fn impact(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    query: ApiQuery<Instant>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, idea_id) = path.into_inner();
    let team_id = caller.in_team(team_id)?.team_id;
    let need = Need {
        ideas: true,
        all_posts: true,
        ..Need::default()
    };
    let inputs = Inputs::load(&ctx, team_id, *query, need).await?;
    let (idea, _) = inputs
        .plans
        .ideas
        .iter()
        .find(|(i, _)| i.id == idea_id)
        .ok_or_else(|| ApiError::not_found("idea"))?;
    let mut made: Vec<_> = inputs
        .plans
        .posts
        .iter()
        .filter(|p| p.idea_id == Some(idea_id))
        .collect();
    made.sort_by_key(|p| p.id);
    let ids: Vec<Uuid> = made.iter().map(|p| p.id).collect();
    let mut metrics: BTreeMap<Uuid, BTreeMap<Metric, f64>> = BTreeMap::new();
    for (post, metric, value) in inputs
        .post_totals(&ctx, team_id, &ids, &Metric::ALL)
        .await?
    {
        metrics.entry(post).or_default().insert(metric, value);
    }
    let facts = inputs.facts(&ctx, team_id).await?;
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
            status: p.status.as_str().to_owned(),
            published_at: p.published_at,
            metrics: metrics.remove(&p.id).unwrap_or_default(),
            goal_ids: p.goal_ids.clone(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Impact {
        idea_id,
        title: idea.title.clone(),
        as_of: inputs.t,
        posts,
        goals,
    }))
}
