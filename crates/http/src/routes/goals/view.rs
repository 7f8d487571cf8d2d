//! How a goal reads in the API. Domain enums serialize as the API names them (snake_case),
//! so the views hold them directly and only borrow the API enums for the schema.

use chrono::NaiveDate;
use serde::Serialize;
use stride_app::versioned::Versioned;
use stride_domain::goal::{Goal, GoalState, Horizon};
use stride_domain::metric::Metric;
use stride_domain::target::{Aggregation, Aim, Period, Target};
use utoipa::ToSchema;
use uuid::Uuid;

use super::body::TargetKind;
use super::target_schemas::Target as TargetSchema;

/// A goal's target as stored: a metric target always carries its `baseline` and
/// `target_value`, plus the one of `reach`, `increase_by` and `increase_by_percent` it was
/// stated with; a cadence target carries `count`, `period` and, when it counts one
/// channel's posts only, `channel_id`. Fields that do not apply are left out.
///
/// Its schema is [`TargetSchema`]: a union by `kind`.
#[derive(Debug, Serialize)]
pub struct TargetView {
    /// `metric` or `cadence`.
    pub kind: TargetKind,
    /// The channel measured (metric) or whose posts count (cadence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// What is measured.
    pub metric: Option<Metric>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// `latest` for levels, `sum` for flows.
    pub aggregation: Option<Aggregation>,
    /// Where the metric stood when the goal started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// The value the goal aims at, however the target was stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_value: Option<f64>,
    /// The value to reach, when the target was stated so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reach: Option<f64>,
    /// The increase over the baseline, when the target was stated so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub increase_by: Option<f64>,
    /// The increase over the baseline in percent, when the target was stated so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub increase_by_percent: Option<f64>,
    /// Published posts per period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// `week` (ISO weeks) or `month` (calendar months).
    pub period: Option<Period>,
}

impl TargetView {
    pub fn new(target: &Target) -> TargetView {
        let none = TargetView {
            kind: TargetKind::Metric,
            channel_id: None,
            metric: None,
            aggregation: None,
            baseline: None,
            target_value: None,
            reach: None,
            increase_by: None,
            increase_by_percent: None,
            count: None,
            period: None,
        };
        match target {
            Target::Metric {
                channel_id,
                metric,
                aggregation,
                baseline,
                target_value,
                aim,
            } => {
                let (reach, increase_by, increase_by_percent) = match *aim {
                    Aim::Reach(value) => (Some(value), None, None),
                    Aim::IncreaseBy(value) => (None, Some(value), None),
                    Aim::IncreaseByPercent(value) => (None, None, Some(value)),
                };
                TargetView {
                    channel_id: Some(*channel_id),
                    metric: Some(*metric),
                    aggregation: Some(*aggregation),
                    baseline: Some(*baseline),
                    target_value: Some(*target_value),
                    reach,
                    increase_by,
                    increase_by_percent,
                    ..none
                }
            }
            Target::Cadence {
                count,
                period,
                channel_id,
            } => TargetView {
                kind: TargetKind::Cadence,
                channel_id: *channel_id,
                count: Some(*count),
                period: Some(*period),
                ..none
            },
        }
    }
}

/// A goal as currently defined (its progress is a projection of its own).
#[derive(Debug, Serialize, ToSchema)]
pub struct GoalView {
    /// The goal's id, a UUIDv7 given by the server.
    pub id: Uuid,
    /// What the goal is, in a line.
    pub title: String,
    /// The longer story: why the goal matters, how the team means to get there.
    pub description: Option<String>,
    /// `long` for the big ones, `short` for the steps toward them.
    #[schema(value_type = Horizon)]
    pub horizon: Horizon,
    /// The long goal this short goal is a step toward.
    pub parent_goal_id: Option<Uuid>,
    /// The first day of the goal's window.
    pub starts_on: NaiveDate,
    /// The last day of the window, included.
    pub due_on: NaiveDate,
    /// Null for a long goal measured by its short goals.
    #[schema(value_type = Option<TargetSchema>)]
    pub target: Option<TargetView>,
    /// Whether the goal was closed: `active` until it is marked achieved or abandoned.
    #[schema(value_type = GoalState)]
    pub status: GoalState,
    /// The reason given when it was achieved or abandoned.
    pub status_reason: Option<String>,
    /// How many times the goal was revised; each revision is an event in its history.
    pub revisions: u32,
    /// The member who owns the goal.
    pub owner_id: Option<Uuid>,
    /// The goal's version, as in its ETag.
    pub version: i64,
}

impl From<&Versioned<Goal>> for GoalView {
    fn from(goal: &Versioned<Goal>) -> GoalView {
        let Versioned { state, version, .. } = goal;
        GoalView {
            id: state.id,
            title: state.title.clone(),
            description: state.description.clone(),
            horizon: state.horizon,
            parent_goal_id: state.parent_goal_id,
            starts_on: state.starts_on,
            due_on: state.due_on,
            target: state.target.as_ref().map(TargetView::new),
            status: state.state,
            status_reason: state.reason.clone(),
            revisions: state.revisions,
            owner_id: state.owner_id,
            version: *version,
        }
    }
}
