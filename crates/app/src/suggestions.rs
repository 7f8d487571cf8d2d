//! Ranked content suggestions: the ideas the team could turn into posts next, by a
//! documented, deterministic score, with the reasons for it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use stride_domain::channel::Channel;
use stride_domain::idea::{self, IdeaStatus};
use stride_domain::progress::Status;
use stride_domain::progress::report::{GoalProgress, aims_at};
use stride_domain::suggestion;
use stride_domain::vote::distinct_voters;
use uuid::Uuid;

use crate::time_travel::{Inputs, Need, When};
use crate::{App, AppError};

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggestion {
    pub idea_id: Uuid,
    pub title: String,
    /// Decayed votes (each halving every 7 days) plus 2 when an active goal on a channel
    /// the idea is aimed at is `behind`, 1 when the worst such goal is `at_risk`.
    pub score: f64,
    /// Distinct voters, across merged duplicates.
    pub vote_count: u32,
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggestions {
    pub as_of: DateTime<Utc>,
    /// Best first; ties go to more votes, then to the older idea.
    pub items: Vec<Suggestion>,
}

fn channel_label(channel: &Channel) -> String {
    format!("{} {}", channel.platform.display(), channel.handle)
}

fn flatten(goals: Vec<GoalProgress>, into: &mut BTreeMap<Uuid, Status>) {
    for goal in goals {
        into.insert(goal.goal_id, goal.status);
        flatten(goal.children, into);
    }
}

/// Whether an idea may be suggested: open, under review or planned.
fn candidate(status: IdeaStatus) -> bool {
    matches!(
        status,
        IdeaStatus::Open | IdeaStatus::UnderReview | IdeaStatus::Planned
    )
}

/// The best `limit` of the ideas the team could turn into posts next (open, under review or
/// planned).
///
/// Votes are counted here rather than by [`crate::votes::Ballots`]: a suggestion at `as_of`
/// leaves out the votes cast after it, which a tally does not.
#[tracing::instrument(skip_all, fields(team_id = %team_id, limit = limit))]
pub async fn rank(
    app: &App,
    team_id: Uuid,
    limit: usize,
    when: When,
) -> Result<Suggestions, AppError> {
    let need = Need {
        ideas: true,
        votes: true,
        ..Need::default()
    };
    let inputs = Inputs::load(app, team_id, when, need).await?;
    let t = inputs.t;
    let facts = inputs.facts(app, team_id).await?;
    let mut statuses = BTreeMap::new();
    flatten(facts.report(t), &mut statuses);
    let ideas = &inputs.plans.ideas;
    // Votes are read for candidates and the duplicates merged into them only.
    let ids: Vec<Uuid> = ideas
        .iter()
        .filter(|(i, _)| i.merged_into.is_some() || candidate(i.status))
        .map(|(i, _)| i.id)
        .collect();
    let votes = inputs.votes(app, team_id, &ids).await?;
    let duplicates = idea::duplicates(ideas.iter().map(|(i, _)| i));
    let channels: BTreeMap<Uuid, &Channel> =
        inputs.plans.channels.iter().map(|c| (c.id, c)).collect();
    let known_at = when.known_at.map(stride_domain::bounds::Moment::get);
    let experiments = crate::experiments::running_at(app, team_id, t, known_at).await?;
    let label_of = |id: &Uuid| {
        channels
            .get(id)
            .map_or_else(|| "its channel".to_owned(), |c| channel_label(c))
    };
    let mut ranked: Vec<(Suggestion, DateTime<Utc>)> = Vec::new();
    for (idea, submitted_at) in ideas {
        if !candidate(idea.status) || idea.merged_into.is_some() || *submitted_at > t {
            continue;
        }
        // Each voter once, with their earliest vote, across the duplicates merged in; votes
        // cast after `t` do not count yet.
        let group = std::iter::once(&idea.id).chain(duplicates.get(&idea.id).into_iter().flatten());
        let voters = distinct_voters(group.filter_map(|id| votes.get(id)));
        let times: Vec<DateTime<Utc>> = voters.into_values().filter(|at| *at <= t).collect();
        let mut needs = Vec::new();
        let mut reasons = vec![match times.len() {
            0 => "no votes yet".to_owned(),
            n => format!(
                "{n} votes, worth {:.2} after halving each week",
                suggestion::vote_score(&times, t)
            ),
        }];
        for channel_id in &idea.channel_ids {
            for goal in inputs
                .plans
                .goals
                .iter()
                .filter(|g| aims_at(g, *channel_id))
            {
                let Some(status) = statuses.get(&goal.id).copied().filter(|s| s.needs_help())
                else {
                    continue;
                };
                needs.push(status);
                let label = label_of(channel_id);
                let state = if status == Status::Behind {
                    "behind"
                } else {
                    "at risk"
                };
                reasons.push(format!(
                    "aimed at {label}, where goal '{}' is {state}",
                    goal.title
                ));
            }
            for experiment in experiments
                .iter()
                .filter(|e| e.channel_ids.contains(channel_id))
            {
                let label = label_of(channel_id);
                reasons.push(format!(
                    "fits experiment '{}', running on {label}: {}",
                    experiment.title, experiment.change
                ));
            }
        }
        ranked.push((
            Suggestion {
                idea_id: idea.id,
                title: idea.title.clone(),
                score: suggestion::score(&times, &needs, t),
                vote_count: times.len() as u32,
                reasons,
            },
            *submitted_at,
        ));
    }
    ranked.sort_by(|(a, at_a), (b, at_b)| {
        b.score
            .total_cmp(&a.score)
            .then(b.vote_count.cmp(&a.vote_count))
            .then(at_a.cmp(at_b))
            .then(a.idea_id.cmp(&b.idea_id))
    });
    let items = ranked.into_iter().take(limit).map(|(s, _)| s).collect();
    Ok(Suggestions { as_of: t, items })
}
