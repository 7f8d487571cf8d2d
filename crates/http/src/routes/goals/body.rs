//! What clients send to set, revise and close goals, checked into domain commands.
//!
//! The target is one flat object with a `kind` rather than a serde-tagged enum: serde buffers
//! a tagged enum's content, which loses the path of a bad field (an unknown metric would be
//! reported on `target`, not `target.metric`). Which fields a kind takes is checked here.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use stride_domain::goal::{Horizon, NewGoal, Revision};
use stride_domain::target::{Aggregation, Aim, CADENCE_MAX, Period, TargetSpec};
use utoipa::ToSchema;
use uuid::Uuid;

use super::target_schemas::TargetInput;
use crate::error::ApiError;
use crate::schema::{LongText, Reason, Title};
use stride_domain::metric::Metric;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// Move a channel's metric.
    Metric,
    /// Publish a number of posts every period.
    Cadence,
}

/// A goal's target. A metric target (`kind: metric`) takes `channel_id`, `metric`,
/// `aggregation`, `baseline` and exactly one of `reach`, `increase_by` and
/// `increase_by_percent`; a cadence target (`kind: cadence`) takes `count`, `period` and
/// optionally `channel_id`. A field of the other kind is refused.
/// Its schema is [`TargetInput`]: a union by `kind`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetBody {
    /// `metric` or `cadence`.
    pub kind: TargetKind,
    /// Metric: the channel measured (required). Cadence: count only posts published on this
    /// channel; omitted or null counts posts on any channel.
    pub channel_id: Option<Uuid>,
    /// Metric: what is measured (required).
    pub metric: Option<Metric>,
    /// Metric: `latest` (default) for levels such as followers, `sum` for flows such as
    /// clicks.
    pub aggregation: Option<Aggregation>,
    /// Metric: where the goal starts from. Default: the latest observation of the metric on
    /// the channel before `starts_on` (0 for a `sum` target without observations); a
    /// `latest` target without either is refused. 0 to 1e15.
    pub baseline: Option<f64>,
    /// Metric: the value to reach, 0 to 1e15.
    pub reach: Option<f64>,
    /// Metric: how much to add to the baseline (negative to lower it); the target value it
    /// leads to must be 0 to 1e15.
    pub increase_by: Option<f64>,
    /// Metric: how many percent to add to the baseline (`10` for +10%), -100 to 1e6.
    pub increase_by_percent: Option<f64>,
    /// Cadence: published posts per period, 1 to 1000 (required).
    pub count: Option<i64>,
    /// Cadence: `week` or `month` (required).
    pub period: Option<Period>,
}

fn target_field(field: &str) -> String {
    format!("target.{field}")
}

/// Refuses a field that the target's kind does not take.
fn absent<T>(value: &Option<T>, field: &str, kind: &str) -> Result<(), ApiError> {
    match value {
        Some(_) => Err(ApiError::validation(
            target_field(field),
            format!("does not apply to a {kind} target"),
        )),
        None => Ok(()),
    }
}

fn required<T>(value: Option<T>, field: &str, kind: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| {
        ApiError::validation(
            target_field(field),
            format!("is required for a {kind} target"),
        )
    })
}

impl TargetBody {
    /// The target as the domain takes it, once each field fits the kind.
    pub fn into_spec(self) -> Result<TargetSpec, ApiError> {
        match self.kind {
            TargetKind::Metric => self.metric_spec(),
            TargetKind::Cadence => self.cadence_spec(),
        }
    }

    fn metric_spec(self) -> Result<TargetSpec, ApiError> {
        const KIND: &str = "metric";
        absent(&self.count, "count", KIND)?;
        absent(&self.period, "period", KIND)?;
        let channel_id = required(self.channel_id, "channel_id", KIND)?;
        let metric = required(self.metric, "metric", KIND)?;
        let aims = [
            self.reach.map(Aim::Reach),
            self.increase_by.map(Aim::IncreaseBy),
            self.increase_by_percent.map(Aim::IncreaseByPercent),
        ];
        let mut given = aims.into_iter().flatten();
        let aim = match (given.next(), given.next()) {
            (Some(aim), None) => aim,
            _ => {
                return Err(ApiError::validation(
                    "target.reach",
                    "give exactly one of reach, increase_by or increase_by_percent",
                ));
            }
        };
        Ok(TargetSpec::Metric {
            channel_id,
            metric,
            aggregation: self.aggregation.map_or(Aggregation::Latest, Into::into),
            baseline: self.baseline,
            aim,
        })
    }

    fn cadence_spec(self) -> Result<TargetSpec, ApiError> {
        const KIND: &str = "cadence";
        absent(&self.metric, "metric", KIND)?;
        absent(&self.aggregation, "aggregation", KIND)?;
        absent(&self.baseline, "baseline", KIND)?;
        absent(&self.reach, "reach", KIND)?;
        absent(&self.increase_by, "increase_by", KIND)?;
        absent(&self.increase_by_percent, "increase_by_percent", KIND)?;
        let count = required(self.count, "count", KIND)?;
        // Out-of-range counts that still fit a u32 are the domain's to refuse.
        let count = u32::try_from(count).map_err(|_| {
            ApiError::validation(
                "target.count",
                format!("must be between 1 and {CADENCE_MAX}"),
            )
        })?;
        Ok(TargetSpec::Cadence {
            count,
            period: required(self.period, "period", KIND)?,
            channel_id: self.channel_id,
        })
    }
}

/// A goal to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGoalBody {
    /// What the goal is, in a line.
    #[schema(value_type = Title)]
    pub title: String,
    /// Why the goal matters, how the team means to get there.
    #[schema(value_type = Option<LongText>)]
    pub description: Option<String>,
    /// `long` for the big ones, `short` for the steps toward them.
    pub horizon: Horizon,
    /// A long goal of this team that this short goal is a step toward.
    pub parent_goal_id: Option<Uuid>,
    /// The first day of the goal's window (`YYYY-MM-DD`, UTC), 2000-01-01 to 2100-12-31.
    #[schema(pattern = "^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    pub starts_on: NaiveDate,
    /// The last day of the window, included; not before `starts_on`; at most 2100-12-31.
    #[schema(pattern = "^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    pub due_on: NaiveDate,
    /// What the goal measures. Required for a short goal; a long goal may have none (null),
    /// its progress is then the mean of its short goals'.
    #[schema(value_type = Option<TargetInput>)]
    pub target: Option<TargetBody>,
    /// The member who owns the goal: one of the team's.
    pub owner_id: Option<Uuid>,
}

impl NewGoalBody {
    pub fn into_new_goal(self, goal_id: Uuid) -> Result<NewGoal, ApiError> {
        Ok(NewGoal {
            goal_id,
            title: self.title,
            description: self.description,
            horizon: self.horizon,
            parent_goal_id: self.parent_goal_id,
            starts_on: self.starts_on,
            due_on: self.due_on,
            target: self.target.map(TargetBody::into_spec).transpose()?,
            owner_id: self.owner_id,
        })
    }
}

/// A revision: only the fields given change. Every revision is kept in the goal's history.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalPatch {
    /// A new title.
    #[schema(value_type = Option<Title>)]
    pub title: Option<String>,
    /// A new description; null clears it.
    #[serde(default, deserialize_with = "stride_domain::event::double_option")]
    #[schema(value_type = Option<LongText>)]
    pub description: Option<Option<String>>,
    /// The new last day of the window; not before `starts_on`; at most 2100-12-31.
    #[schema(pattern = "^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    pub due_on: Option<NaiveDate>,
    /// A new target. A metric target on the same channel and metric keeps the goal's
    /// baseline unless it gives one; a target cannot be removed (null is refused).
    #[serde(default, deserialize_with = "stride_domain::event::double_option")]
    #[schema(value_type = TargetInput)]
    pub target: Option<Option<TargetBody>>,
    /// A new owner, one of the team's members; null leaves the goal without one. Handing a
    /// goal over is not counted as a revision.
    #[serde(default, deserialize_with = "stride_domain::event::double_option")]
    pub owner_id: Option<Option<Uuid>>,
}

impl GoalPatch {
    pub fn into_revision(self) -> Result<Revision, ApiError> {
        let target = match self.target {
            Some(None) => {
                return Err(ApiError::validation(
                    "target",
                    "cannot be removed: give a new target or leave the field out",
                ));
            }
            Some(Some(target)) => Some(target.into_spec()?),
            None => None,
        };
        Ok(Revision {
            title: self.title,
            description: self.description,
            due_on: self.due_on,
            target,
            owner_id: self.owner_id,
        })
    }
}

/// Why a goal was achieved or abandoned.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Closing {
    /// Why: kept with the goal and in its history.
    #[schema(value_type = Option<Reason>)]
    pub reason: Option<String>,
}
