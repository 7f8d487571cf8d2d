//! The team progress read model and one goal's progress, at `as_of` and `known_at`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;
use stride_domain::goal::Horizon;
use stride_domain::idea::IdeaStatus;
use stride_domain::post::PostStatus;
use stride_domain::progress::history::{BurnUpPoint, CadencePeriod};
use stride_domain::progress::report::{GoalDetail, GoalProgress};
use stride_domain::progress::{self, Forecast, Pace, Status};
use uuid::Uuid;

use crate::time_travel::{Inputs, Need, When};
use crate::{App, AppError};

// The schema of a goal's forecast, which is serialized from `Forecast` (the domain's
// type carries no schema of its own).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForecastView {
    /// Where a least-squares line through the goal's observations stands at the end of the
    /// due day.
    pub projected_value: f64,
    /// The day that line reaches the target; null when the trend never gets there.
    pub projected_completion_on: Option<NaiveDate>,
}

/// One goal's progress. `progress` is unclamped and null while there is nothing to
/// measure. A metric goal's `current` is its latest observation (`latest`) or the sum since
/// it started (`sum`); a cadence goal's is the posts of the current period, and it also
/// carries `streak`, `best_streak`, `adherence` and `period_count`. A long goal without a
/// target of its own moves by the mean of its steps' progress, each clamped to [0, 1].
/// A cadence goal is a habit: meeting this period's count makes it `on_track`; past its
/// due date it is `achieved` when every period met its count, else `missed`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoalProgressView {
    pub goal_id: Uuid,
    pub title: String,
    pub horizon: Horizon,
    pub status: Status,
    pub progress: Option<f64>,
    pub progress_pct: Option<f64>,
    /// How far along it should be by now, in [0, 1].
    pub expected: f64,
    pub current: Option<f64>,
    pub target_value: Option<f64>,
    pub baseline: Option<f64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<ForecastView>))]
    pub forecast: Option<Forecast>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streak: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_streak: Option<u32>,
    /// Completed periods that met the count / completed periods; null before one completes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adherence: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_count: Option<u32>,
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub children: Vec<GoalProgressView>,
}

impl From<GoalProgress> for GoalProgressView {
    fn from(g: GoalProgress) -> Self {
        GoalProgressView {
            goal_id: g.goal_id,
            title: g.title,
            horizon: g.horizon,
            status: g.status,
            progress: g.progress,
            progress_pct: g.progress.map(|p| p * 100.0),
            expected: g.expected,
            current: g.current,
            target_value: g.target_value,
            baseline: g.baseline,
            forecast: g.forecast,
            streak: g.cadence.map(|c| c.streak),
            best_streak: g.cadence.map(|c| c.best_streak),
            adherence: g.cadence.map(|c| c.adherence),
            period_count: g.cadence.map(|c| c.period_count),
            children: g.children.into_iter().map(Into::into).collect(),
        }
    }
}

/// One goal's progress, as in the team's progress, with what a chart of it needs: a
/// metric goal's burn-up and a cadence goal's periods. The expected line follows from
/// `baseline`, `target_value` and the goal's window, the trend from `forecast`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoalProgressDetail {
    #[serde(flatten)]
    pub progress: GoalProgressView,
    /// A metric goal's `current` at the end of each day from `starts_on` to the earlier of
    /// `as_of`'s day (taken at `as_of` itself) and `due_on`, by the same rule as `current`.
    /// A window of more than 400 days is sampled evenly, its first and last day kept. Empty
    /// for other goals and before the goal starts.
    #[cfg_attr(feature = "openapi", schema(max_items = 400))]
    pub burn_up: Vec<BurnUpPoint>,
    /// A cadence goal's periods (ISO weeks or calendar months), oldest first, from the one
    /// that holds `starts_on` to the current one (the only one not `complete`, unless
    /// `as_of` is past the window); the latest 400 when there are more. Empty for other
    /// goals.
    #[cfg_attr(feature = "openapi", schema(max_items = 400))]
    pub periods: Vec<CadencePeriod>,
}

impl From<GoalDetail> for GoalProgressDetail {
    fn from(detail: GoalDetail) -> Self {
        GoalProgressDetail {
            progress: detail.progress.into(),
            burn_up: detail.burn_up,
            periods: detail.periods,
        }
    }
}

#[derive(Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostCounts {
    /// Published in the ISO week of `as_of`, up to it.
    pub published_this_week: u32,
    /// Scheduled for the 7 days after `as_of`.
    pub scheduled_next_7_days: u32,
}

#[derive(Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdeaCounts {
    pub open: u32,
    pub under_review: u32,
    pub planned: u32,
    pub used: u32,
    pub declined: u32,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamProgress {
    pub as_of: DateTime<Utc>,
    pub pace: Pace,
    /// Goals without a parent, their steps under `children`.
    pub goals: Vec<GoalProgressView>,
    pub posts: PostCounts,
    /// Ideas by status, merged duplicates left out.
    pub ideas: IdeaCounts,
}

fn post_counts(inputs: &Inputs) -> PostCounts {
    let t = inputs.t;
    let week = progress::start_of(progress::period_start(
        stride_domain::target::Period::Week,
        t.date_naive(),
    ));
    let mut counts = PostCounts::default();
    for post in &inputs.plans.posts {
        match (post.status, post.published_at, post.scheduled_for) {
            (PostStatus::Published, Some(at), _) if at >= week && at <= t => {
                counts.published_this_week += 1;
            }
            (PostStatus::Scheduled, _, Some(at)) if at > t && at <= t + TimeDelta::days(7) => {
                counts.scheduled_next_7_days += 1;
            }
            _ => {}
        }
    }
    counts
}

fn idea_counts(counts: &BTreeMap<String, i64>) -> IdeaCounts {
    let count = |status: IdeaStatus| {
        counts
            .get(status.as_str())
            .map_or(0, |n| u32::try_from(*n).unwrap_or(u32::MAX))
    };
    IdeaCounts {
        open: count(IdeaStatus::Open),
        under_review: count(IdeaStatus::UnderReview),
        planned: count(IdeaStatus::Planned),
        used: count(IdeaStatus::Used),
        declined: count(IdeaStatus::Declined),
    }
}

/// The team's progress: pace, every goal with its steps, posts this week and ideas by
/// status.
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn team(app: &App, team_id: Uuid, when: When) -> Result<TeamProgress, AppError> {
    let need = Need {
        idea_counts: true,
        ..Need::default()
    };
    let inputs = Inputs::load(app, team_id, when, need).await?;
    let facts = inputs.facts(app, team_id).await?;
    let published: Vec<DateTime<Utc>> = facts.published.iter().map(|(_, at)| *at).collect();
    Ok(TeamProgress {
        as_of: inputs.t,
        pace: progress::pace(&published, inputs.t),
        goals: facts.report(inputs.t).into_iter().map(Into::into).collect(),
        posts: post_counts(&inputs),
        ideas: idea_counts(&inputs.idea_counts(app, team_id).await?),
    })
}

/// One goal's progress with its steps, its burn-up or its periods.
#[tracing::instrument(skip_all, fields(team_id = %team_id, goal_id = %goal_id))]
pub async fn goal(
    app: &App,
    team_id: Uuid,
    goal_id: Uuid,
    when: When,
) -> Result<GoalProgressDetail, AppError> {
    let inputs = Inputs::load(app, team_id, when, Need::default()).await?;
    let facts = inputs.facts(app, team_id).await?;
    let goal = facts
        .goals
        .iter()
        .find(|g| g.id == goal_id)
        .ok_or(AppError::NotFound("goal"))?;
    Ok(GoalProgressDetail::from(facts.detail(goal, inputs.t)))
}
