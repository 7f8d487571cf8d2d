//! The goal aggregate: long goals and the short steps under them, each with a metric or a
//! cadence target. Revisions are events of their own, so the history of moved goalposts
//! stays; a goal ends achieved or abandoned, with a reason. A goal may have an owner, one of
//! the team's members; handing it to another is not a revision (the goalposts stay put).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Invalid;
use crate::event;
use crate::invalid::revised;
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
    /// The member who owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
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
    pub owner_id: Option<Uuid>,
}

/// Fields to revise; `None` keeps a field as it is. A description or owner of `Some(None)`
/// clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Revision {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub due_on: Option<NaiveDate>,
    pub target: Option<TargetSpec>,
    pub owner_id: Option<Option<Uuid>>,
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
    /// The team's members, who may own a goal.
    pub members: BTreeSet<Uuid>,
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
    /// The goal has a new owner, or (null) none.
    GoalOwnerChanged {
        #[serde(default)]
        owner_id: Option<Uuid>,
    },
}

event::event_payload!(
    GoalEvent,
    "goal",
    [
        GoalSet,
        GoalRevised,
        GoalAchieved,
        GoalAbandoned,
        GoalOwnerChanged
    ]
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoalError {
    #[error("the goal already exists")]
    AlreadyExists,
    #[error("no such goal")]
    NotFound,
    #[error("the goal is {0} and can no longer change")]
    Closed(&'static str),
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

fn title(raw: &str) -> Result<String, Invalid> {
    text::title(raw, TITLE_MAX).map_err(|e| Invalid::new("title", e))
}

fn description(raw: Option<String>) -> Result<Option<String>, Invalid> {
    text::optional_long_text(raw.as_deref(), DESCRIPTION_MAX)
        .map_err(|e| Invalid::new("description", e))
}

/// A goal's owner: one of the team's members. Another team's member is refused the same
/// way as an id that names no one.
pub(crate) fn member(
    field: &'static str,
    id: Uuid,
    members: &BTreeSet<Uuid>,
) -> Result<Uuid, Invalid> {
    if members.contains(&id) {
        Ok(id)
    } else {
        Err(Invalid::new(field, "is not a member of this team"))
    }
}

fn normalize(spec: TargetSpec, context: &TargetContext) -> Result<Target, Invalid> {
    target::normalize(spec, context).map_err(|(field, message)| Invalid::new(field, message))
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
            reason: channel::reason(reason).map_err(|e| Invalid::new("reason", e))?,
        }]),
        (Some(_), GoalCommand::AbandonGoal { reason }) => Ok(vec![GoalEvent::GoalAbandoned {
            reason: channel::reason(reason).map_err(|e| Invalid::new("reason", e))?,
        }]),
    }
}

fn set(new: NewGoal, context: &GoalContext) -> Result<Vec<GoalEvent>, GoalError> {
    let title = title(&new.title)?;
    let description = description(new.description)?;
    bounds::day(new.starts_on).map_err(|e| Invalid::new("starts_on", e))?;
    bounds::day(new.due_on).map_err(|e| Invalid::new("due_on", e))?;
    if new.due_on < new.starts_on {
        return Err(Invalid::new("due_on", "must not be before starts_on").into());
    }
    let owner_id = new
        .owner_id
        .map(|id| member("owner_id", id, &context.members))
        .transpose()?;
    match (new.horizon, new.parent_goal_id, context.parent_horizon) {
        (Horizon::Long, Some(_), _) => {
            return Err(Invalid::new(
                "parent_goal_id",
                "only a short goal hangs under another goal",
            )
            .into());
        }
        (Horizon::Short, Some(_), None) => {
            return Err(Invalid::new("parent_goal_id", "is not a goal of this team").into());
        }
        (Horizon::Short, Some(_), Some(Horizon::Short)) => {
            return Err(Invalid::new("parent_goal_id", "must be a long goal").into());
        }
        _ => {}
    }
    let target = match new.target {
        Some(spec) => Some(normalize(spec, &context.target)?),
        None if new.horizon == Horizon::Short => {
            return Err(Invalid::new("target", "is required for a short goal").into());
        }
        None => None,
    };
    let mut events = vec![GoalEvent::GoalSet {
        goal_id: new.goal_id,
        title,
        description,
        horizon: new.horizon,
        parent_goal_id: new.parent_goal_id,
        starts_on: new.starts_on,
        due_on: new.due_on,
        target,
    }];
    if owner_id.is_some() {
        events.push(GoalEvent::GoalOwnerChanged { owner_id });
    }
    Ok(events)
}

fn revise(
    goal: &Goal,
    revision: Revision,
    context: &GoalContext,
) -> Result<Vec<GoalEvent>, GoalError> {
    let title = revised(revision.title, &goal.title, |t| title(&t))?;
    let description = revised(revision.description, &goal.description, description)?;
    let due_on = revision.due_on.filter(|d| *d != goal.due_on);
    if let Some(due_on) = due_on {
        bounds::day(due_on).map_err(|e| Invalid::new("due_on", e))?;
    }
    if let Some(due_on) = due_on
        && due_on < goal.starts_on
    {
        return Err(Invalid::new("due_on", "must not be before starts_on").into());
    }
    let target_context = TargetContext {
        previous: goal.target.clone(),
        ..context.target.clone()
    };
    let target = revised(revision.target, &goal.target, |spec| {
        normalize(spec, &target_context).map(Some)
    })?
    .flatten();
    // An owner kept as it is is not checked again: they may have left the team since.
    let unchanged = revision.owner_id.filter(|owner| *owner != goal.owner_id);
    let owner = revised(unchanged, &goal.owner_id, |owner| {
        owner
            .map(|id| member("owner_id", id, &context.members))
            .transpose()
    })?;
    let mut events = Vec::new();
    if title.is_some() || description.is_some() || due_on.is_some() || target.is_some() {
        events.push(GoalEvent::GoalRevised {
            title,
            description,
            due_on,
            target,
        });
    }
    if let Some(owner_id) = owner {
        events.push(GoalEvent::GoalOwnerChanged { owner_id });
    }
    Ok(events)
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
            owner_id: None,
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
        (Some(mut goal), GoalEvent::GoalOwnerChanged { owner_id }) => {
            goal.owner_id = *owner_id;
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
