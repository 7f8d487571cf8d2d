//! A goal's progress report at an instant, put together from the progress math: what a
//! frontend shows for one goal, its steps nested under it, and for one goal alone its
//! history (a burn-up or its periods).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::history::{self, BurnUpPoint, CadencePeriod, PERIODS_SHOWN};
use super::{
    Cadence, Forecast, Point, Status, cadence, cadence_status, current, expected, forecast,
    mean_of_children, progress, status,
};
use crate::goal::{Goal, GoalState, Horizon};
use crate::metric::Metric;
use crate::target::Target;

/// What goal progress is computed from.
#[derive(Debug, Default, Clone)]
pub struct Facts {
    /// The team's goals, as currently defined.
    pub goals: Vec<Goal>,
    /// Published posts: their channel and publication instant.
    pub published: Vec<(Uuid, DateTime<Utc>)>,
    /// Channel-wide observations by channel and metric.
    pub series: BTreeMap<(Uuid, Metric), Vec<Point>>,
}

/// One goal's progress at an instant.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalProgress {
    pub goal_id: Uuid,
    pub title: String,
    pub horizon: Horizon,
    pub status: Status,
    /// Unclamped; `None` when there is nothing to measure yet.
    pub progress: Option<f64>,
    pub expected: f64,
    pub current: Option<f64>,
    pub target_value: Option<f64>,
    pub baseline: Option<f64>,
    pub forecast: Option<Forecast>,
    /// Set for cadence goals.
    pub cadence: Option<Cadence>,
    pub children: Vec<GoalProgress>,
}

/// One goal's progress with how it got there.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalDetail {
    pub progress: GoalProgress,
    /// A metric goal's `current` day by day (see [`history::burn_up`]); empty for others.
    pub burn_up: Vec<BurnUpPoint>,
    /// A cadence goal's periods to the current one, the latest [`PERIODS_SHOWN`]; empty for
    /// others.
    pub periods: Vec<CadencePeriod>,
}

impl Facts {
    /// The observations of a channel-wide series, in the order storage read them.
    fn points(&self, channel_id: Uuid, metric: Metric) -> &[Point] {
        self.series
            .get(&(channel_id, metric))
            .map_or(&[][..], Vec::as_slice)
    }

    /// The instants of the posts published by `t` on `channel_id`, or on any channel.
    fn published_on(&self, channel_id: Option<Uuid>, t: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        self.published
            .iter()
            .filter(|(c, at)| channel_id.is_none_or(|want| *c == want) && *at <= t)
            .map(|(_, at)| *at)
            .collect()
    }

    /// One goal's progress (as [`Facts::goal`] has it) with its burn-up or its periods.
    pub fn detail(&self, goal: &Goal, t: DateTime<Utc>) -> GoalDetail {
        let mut detail = GoalDetail {
            progress: self.goal(goal, t),
            burn_up: Vec::new(),
            periods: Vec::new(),
        };
        match &goal.target {
            Some(Target::Metric {
                channel_id,
                metric,
                aggregation,
                ..
            }) => {
                let points = self.points(*channel_id, *metric);
                detail.burn_up =
                    history::burn_up(*aggregation, points, goal.starts_on, goal.due_on, t);
            }
            Some(Target::Cadence {
                count,
                period,
                channel_id,
            }) => {
                let published = self.published_on(*channel_id, t);
                let mut walked =
                    history::periods(*count, *period, goal.starts_on, goal.due_on, &published, t);
                walked.drain(..walked.len().saturating_sub(PERIODS_SHOWN));
                detail.periods = walked;
            }
            None => {}
        }
        detail
    }

    /// The goals without a parent (or whose parent is not among them), each with its steps.
    pub fn report(&self, t: DateTime<Utc>) -> Vec<GoalProgress> {
        let ids: std::collections::BTreeSet<Uuid> = self.goals.iter().map(|g| g.id).collect();
        let mut roots: Vec<&Goal> = self
            .goals
            .iter()
            .filter(|g| g.parent_goal_id.is_none_or(|p| !ids.contains(&p)))
            .collect();
        roots.sort_by_key(|g| (g.due_on, g.id));
        roots.into_iter().map(|g| self.goal(g, t)).collect()
    }

    /// One goal's progress, with its steps.
    pub fn goal(&self, goal: &Goal, t: DateTime<Utc>) -> GoalProgress {
        let mut steps: Vec<&Goal> = self
            .goals
            .iter()
            .filter(|g| g.parent_goal_id == Some(goal.id) && g.id != goal.id)
            .collect();
        steps.sort_by_key(|g| (g.due_on, g.id));
        let children: Vec<GoalProgress> = steps.into_iter().map(|g| self.goal(g, t)).collect();
        let mut report = GoalProgress {
            goal_id: goal.id,
            title: goal.title.clone(),
            horizon: goal.horizon,
            status: Status::OnTrack,
            progress: None,
            expected: expected(t, goal.starts_on, goal.due_on),
            current: None,
            target_value: None,
            baseline: None,
            forecast: None,
            cadence: None,
            children,
        };
        match &goal.target {
            Some(Target::Metric {
                channel_id,
                metric,
                aggregation,
                baseline,
                target_value,
                ..
            }) => {
                let points = self.points(*channel_id, *metric);
                report.current = current(*aggregation, points, goal.starts_on, t);
                report.progress = report
                    .current
                    .map(|c| progress(c, *baseline, *target_value));
                report.baseline = Some(*baseline);
                report.target_value = Some(*target_value);
                report.forecast = forecast(
                    *aggregation,
                    points,
                    goal.starts_on,
                    goal.due_on,
                    t,
                    *baseline,
                    *target_value,
                );
                report.status =
                    status(goal.state, report.progress, report.expected, t, goal.due_on);
            }
            Some(Target::Cadence {
                count,
                period,
                channel_id,
            }) => {
                let published = self.published_on(*channel_id, t);
                let kept = cadence(*count, *period, goal.starts_on, goal.due_on, &published, t);
                report.progress = Some(kept.progress);
                report.expected = kept.expected;
                report.current = Some(f64::from(kept.period_count));
                report.target_value = Some(f64::from(*count));
                report.status = cadence_status(goal.state, &kept, t, goal.due_on);
                report.cadence = Some(kept);
            }
            None => {
                let counted: Vec<f64> = report
                    .children
                    .iter()
                    .filter(|c| c.status != Status::Abandoned)
                    .map(|c| c.progress.unwrap_or(0.0))
                    .collect();
                report.progress = mean_of_children(&counted);
                report.status =
                    status(goal.state, report.progress, report.expected, t, goal.due_on);
            }
        }
        report
    }
}

/// Whether an active goal's channel is `channel_id`.
pub fn aims_at(goal: &Goal, channel_id: Uuid) -> bool {
    goal.state == GoalState::Active
        && goal
            .target
            .as_ref()
            .is_some_and(|t| t.channel_id() == Some(channel_id))
}
