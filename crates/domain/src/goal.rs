//! The goal aggregate: long goals and the short steps under them, each with a metric or a
//! cadence target. Revisions are events of their own, so the history of moved goalposts
//! stays; a goal ends achieved or abandoned, with a reason.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event;
use crate::target::{self, Target, TargetContext, TargetSpec};
use crate::{bounds, channel, text};

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Horizon {
    /// The big ones: a season, a year.
    Long,
    /// The steps toward them: a week, a month.
    Short,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GoalState {
    Active,
    Achieved,
    Abandoned,
}

impl GoalState {
    pub fn as_str(self) -> &'static str {
        match self {
            GoalState::Active => "active",
            GoalState::Achieved => "achieved",
            GoalState::Abandoned => "abandoned",
        }
    }
}

/// Serialized as a projection keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub horizon: Horizon,
    pub parent_goal_id: Option<Uuid>,
    pub starts_on: NaiveDate,
    pub due_on: NaiveDate,
    pub target: Option<Target>,
    pub state: GoalState,
    pub reason: Option<String>,
    pub revisions: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewGoal {
    pub goal_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub horizon: Horizon,
    pub parent_goal_id: Option<Uuid>,
    pub starts_on: NaiveDate,
    pub due_on: NaiveDate,
    pub target: Option<TargetSpec>,
}

/// Fields to revise; `None` keeps a field as it is. A description of `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Revision {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub due_on: Option<NaiveDate>,
    pub target: Option<TargetSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GoalCommand {
    SetGoal(NewGoal),
    ReviseGoal(Revision),
    AchieveGoal { reason: Option<String> },
    AbandonGoal { reason: Option<String> },
}

/// What a goal is decided against besides its own events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GoalContext {
    /// The horizon of the named parent goal, when it is one of the team's goals.
    pub parent_horizon: Option<Horizon>,
    pub target: TargetContext,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum GoalEvent {
    GoalSet {
        goal_id: Uuid,
        title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        horizon: Horizon,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent_goal_id: Option<Uuid>,
        starts_on: NaiveDate,
        due_on: NaiveDate,
        #[serde(default)]
        target: Option<Target>,
    },
    GoalRevised {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        #[serde(
            default,
            deserialize_with = "crate::event::double_option",
            skip_serializing_if = "Option::is_none"
        )]
        description: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due_on: Option<NaiveDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<Target>,
    },
    GoalAchieved {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    GoalAbandoned {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

event::event_payload!(
    GoalEvent,
    "goal",
    [GoalSet, GoalRevised, GoalAchieved, GoalAbandoned]
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoalError {
    #[error("the goal already exists")]
    AlreadyExists,
    #[error("no such goal")]
    NotFound,
    #[error("the goal is {0} and can no longer change")]
    Closed(&'static str),
    #[error("{field} {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

fn invalid(field: &'static str, message: impl ToString) -> GoalError {
    GoalError::Invalid {
        field,
        message: message.to_string(),
    }
}

fn description(raw: Option<String>) -> Result<Option<String>, GoalError> {
    text::optional_long_text(raw.as_deref(), DESCRIPTION_MAX).map_err(|e| invalid("description", e))
}

fn normalize(spec: TargetSpec, context: &TargetContext) -> Result<Target, GoalError> {
    target::normalize(spec, context).map_err(|(field, message)| invalid(field, message))
}

pub fn decide(
    state: Option<&Goal>,
    command: GoalCommand,
    context: &GoalContext,
) -> Result<Vec<GoalEvent>, GoalError> {
    match (state, command) {
        (None, GoalCommand::SetGoal(new)) => set(new, context),
        (Some(_), GoalCommand::SetGoal(_)) => Err(GoalError::AlreadyExists),
        (None, _) => Err(GoalError::NotFound),
        (Some(goal), _) if goal.state != GoalState::Active => {
            Err(GoalError::Closed(goal.state.as_str()))
        }
        (Some(goal), GoalCommand::ReviseGoal(revision)) => revise(goal, revision, context),
        (Some(_), GoalCommand::AchieveGoal { reason }) => Ok(vec![GoalEvent::GoalAchieved {
            reason: channel::reason(reason).map_err(|e| invalid("reason", e))?,
        }]),
        (Some(_), GoalCommand::AbandonGoal { reason }) => Ok(vec![GoalEvent::GoalAbandoned {
            reason: channel::reason(reason).map_err(|e| invalid("reason", e))?,
        }]),
    }
}

fn set(new: NewGoal, context: &GoalContext) -> Result<Vec<GoalEvent>, GoalError> {
    let title = text::title(&new.title, TITLE_MAX).map_err(|e| invalid("title", e))?;
    let description = description(new.description)?;
    bounds::day(new.starts_on).map_err(|e| invalid("starts_on", e))?;
    bounds::day(new.due_on).map_err(|e| invalid("due_on", e))?;
    if new.due_on < new.starts_on {
        return Err(invalid("due_on", "must not be before starts_on"));
    }
    match (new.horizon, new.parent_goal_id, context.parent_horizon) {
        (Horizon::Long, Some(_), _) => {
            return Err(invalid(
                "parent_goal_id",
                "only a short goal hangs under another goal",
            ));
        }
        (Horizon::Short, Some(_), None) => {
            return Err(invalid("parent_goal_id", "is not a goal of this team"));
        }
        (Horizon::Short, Some(_), Some(Horizon::Short)) => {
            return Err(invalid("parent_goal_id", "must be a long goal"));
        }
        _ => {}
    }
    let target = match new.target {
        Some(spec) => Some(normalize(spec, &context.target)?),
        None if new.horizon == Horizon::Short => {
            return Err(invalid("target", "is required for a short goal"));
        }
        None => None,
    };
    Ok(vec![GoalEvent::GoalSet {
        goal_id: new.goal_id,
        title,
        description,
        horizon: new.horizon,
        parent_goal_id: new.parent_goal_id,
        starts_on: new.starts_on,
        due_on: new.due_on,
        target,
    }])
}

fn revise(
    goal: &Goal,
    revision: Revision,
    context: &GoalContext,
) -> Result<Vec<GoalEvent>, GoalError> {
    let title = match revision.title {
        Some(title) => Some(text::title(&title, TITLE_MAX).map_err(|e| invalid("title", e))?)
            .filter(|t| *t != goal.title),
        None => None,
    };
    let description = match revision.description {
        Some(new) => Some(description(new)?).filter(|d| *d != goal.description),
        None => None,
    };
    let due_on = revision.due_on.filter(|d| *d != goal.due_on);
    if let Some(due_on) = due_on {
        bounds::day(due_on).map_err(|e| invalid("due_on", e))?;
    }
    if let Some(due_on) = due_on
        && due_on < goal.starts_on
    {
        return Err(invalid("due_on", "must not be before starts_on"));
    }
    let target_context = TargetContext {
        previous: goal.target.clone(),
        ..context.target.clone()
    };
    let target = match revision.target {
        Some(spec) => {
            Some(normalize(spec, &target_context)?).filter(|t| Some(t) != goal.target.as_ref())
        }
        None => None,
    };
    if title.is_none() && description.is_none() && due_on.is_none() && target.is_none() {
        return Ok(vec![]);
    }
    Ok(vec![GoalEvent::GoalRevised {
        title,
        description,
        due_on,
        target,
    }])
}

pub fn apply(state: Option<Goal>, event: &GoalEvent) -> Option<Goal> {
    match (state, event) {
        (
            None,
            GoalEvent::GoalSet {
                goal_id,
                title,
                description,
                horizon,
                parent_goal_id,
                starts_on,
                due_on,
                target,
            },
        ) => Some(Goal {
            id: *goal_id,
            title: title.clone(),
            description: description.clone(),
            horizon: *horizon,
            parent_goal_id: *parent_goal_id,
            starts_on: *starts_on,
            due_on: *due_on,
            target: target.clone(),
            state: GoalState::Active,
            reason: None,
            revisions: 0,
        }),
        (
            Some(mut goal),
            GoalEvent::GoalRevised {
                title,
                description,
                due_on,
                target,
            },
        ) => {
            goal.title = title.clone().unwrap_or(goal.title);
            goal.description = description.clone().unwrap_or(goal.description);
            goal.due_on = due_on.unwrap_or(goal.due_on);
            goal.target = target.clone().or(goal.target);
            goal.revisions += 1;
            Some(goal)
        }
        (Some(mut goal), GoalEvent::GoalAchieved { reason }) => {
            goal.state = GoalState::Achieved;
            goal.reason = reason.clone();
            Some(goal)
        }
        (Some(mut goal), GoalEvent::GoalAbandoned { reason }) => {
            goal.state = GoalState::Abandoned;
            goal.reason = reason.clone();
            Some(goal)
        }
        (state, _) => state,
    }
}

crate::aggregate::impl_aggregate!(Goal {
    command: GoalCommand,
    event: GoalEvent,
    error: GoalError,
    context: GoalContext,
});

#[cfg(test)]
mod tests;
