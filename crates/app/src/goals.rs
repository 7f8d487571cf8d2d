//! Goals: long ones and the short steps under them, set, revised (each revision an event of
//! its own) and closed as achieved or abandoned with a reason. A goal command is decided
//! against what the store knows besides the goal: the parent's horizon, whether a target's
//! channel is the team's, and the baseline a metric target starts from.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveTime};
use stride_domain::EventPayload;
use stride_domain::channel::ChannelEvent;
use stride_domain::goal::{Goal, GoalCommand, GoalContext, GoalState, Horizon, NewGoal, Revision};
use stride_domain::target::{TargetContext, TargetSpec};
use stride_storage::Store;
use uuid::Uuid;

use crate::execute::{self, Outcome};
use crate::versioned::{self, Versioned};
use crate::{App, AppError, Origin};

/// One of the team's goals, or no state (reads of one stream keep to its type, so a
/// channel's id is no goal).
async fn load(store: &Store, team_id: Uuid, goal_id: Uuid) -> Result<Outcome<Goal>, AppError> {
    execute::load_aggregate::<Goal>(store, team_id, goal_id).await
}

/// What a target is checked against: whether its channel is the team's and, for a metric
/// target stated without a baseline, the latest observation before the goal starts.
async fn target_context(
    store: &Store,
    team_id: Uuid,
    spec: Option<&TargetSpec>,
    starts_on: NaiveDate,
) -> Result<TargetContext, AppError> {
    let channel_id = match spec {
        Some(TargetSpec::Metric { channel_id, .. }) => Some(*channel_id),
        Some(TargetSpec::Cadence { channel_id, .. }) => *channel_id,
        None => None,
    };
    let channels = match channel_id {
        Some(id) => {
            store
                .events()
                .existing_streams(team_id, ChannelEvent::STREAM_TYPE, &[id])
                .await?
        }
        None => BTreeSet::new(),
    };
    let observed_baseline = match spec {
        Some(TargetSpec::Metric {
            channel_id,
            metric,
            baseline: None,
            ..
        }) if channels.contains(channel_id) => {
            let before = starts_on.and_time(NaiveTime::MIN).and_utc();
            store
                .observations()
                .latest_observation_before(team_id, *channel_id, metric.as_str(), before)
                .await?
        }
        _ => None,
    };
    Ok(TargetContext {
        channels,
        observed_baseline,
        previous: None,
    })
}

/// The horizon of the named parent, when it is one of the team's goals.
async fn parent_horizon(
    store: &Store,
    team_id: Uuid,
    parent_goal_id: Option<Uuid>,
) -> Result<Option<Horizon>, AppError> {
    let Some(parent_id) = parent_goal_id else {
        return Ok(None);
    };
    let parent = load(store, team_id, parent_id).await?;
    Ok(parent.state.map(|p| p.horizon))
}

/// The team's members, when a command names an owner (they are checked against them).
async fn members(store: &Store, team_id: Uuid, named: bool) -> Result<BTreeSet<Uuid>, AppError> {
    if !named {
        return Ok(BTreeSet::new());
    }
    let team = crate::teams::load(store, team_id).await?.state;
    Ok(team.members.into_keys().collect())
}

/// Runs one goal command against the goal's stream, answering the goal as it is after.
async fn run(
    app: &App,
    origin: &Origin,
    ids: (Uuid, Uuid),
    if_match: Option<i64>,
    command: GoalCommand,
    context: &GoalContext,
) -> Result<Versioned<Goal>, AppError> {
    let outcome = execute::run::<Goal>(app, origin, ids, if_match, command, context).await?;
    Versioned::found(outcome, "goal")
}

/// Sets a goal: a long goal, or a short step toward one, with a metric or a cadence target.
#[tracing::instrument(skip_all, fields(team_id = %team_id, goal_id = %new.goal_id))]
pub async fn set(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    new: NewGoal,
) -> Result<Versioned<Goal>, AppError> {
    let store = &app.store;
    let context = GoalContext {
        parent_horizon: parent_horizon(store, team_id, new.parent_goal_id).await?,
        target: target_context(store, team_id, new.target.as_ref(), new.starts_on).await?,
        members: members(store, team_id, new.owner_id.is_some()).await?,
    };
    let ids = (team_id, new.goal_id);
    run(app, origin, ids, None, GoalCommand::SetGoal(new), &context).await
}

/// The team's goals as currently defined, oldest first; only those with `status` and
/// `horizon` when given.
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn list(
    app: &App,
    team_id: Uuid,
    status: Option<GoalState>,
    horizon: Option<Horizon>,
) -> Result<Vec<Versioned<Goal>>, AppError> {
    let mut goals = versioned::in_team::<Goal>(&app.store, team_id).await?;
    goals.retain(|g| {
        status.is_none_or(|s| g.state.state == s) && horizon.is_none_or(|h| g.state.horizon == h)
    });
    Ok(goals)
}

/// One of the team's goals as currently defined.
#[tracing::instrument(skip_all, fields(team_id = %team_id, goal_id = %goal_id))]
pub async fn get(app: &App, team_id: Uuid, goal_id: Uuid) -> Result<Versioned<Goal>, AppError> {
    Versioned::found(load(&app.store, team_id, goal_id).await?, "goal")
}

/// Revises a goal's title, description, due date or target; a revision that changes
/// nothing records nothing.
#[tracing::instrument(skip_all, fields(team_id = %team_id, goal_id = %goal_id))]
pub async fn revise(
    app: &App,
    origin: &Origin,
    (team_id, goal_id): (Uuid, Uuid),
    if_match: Option<i64>,
    revision: Revision,
) -> Result<Versioned<Goal>, AppError> {
    let goal = get(app, team_id, goal_id).await?.state;
    // A goal's window never starts later, so its baseline is looked up once, before deciding.
    let target = target_context(
        &app.store,
        team_id,
        revision.target.as_ref(),
        goal.starts_on,
    )
    .await?;
    let named = matches!(revision.owner_id, Some(Some(_)));
    let context = GoalContext {
        parent_horizon: None,
        target,
        members: members(&app.store, team_id, named).await?,
    };
    let command = GoalCommand::ReviseGoal(revision);
    run(app, origin, (team_id, goal_id), if_match, command, &context).await
}

/// Marks a goal achieved, with the reason.
#[tracing::instrument(skip_all, fields(team_id = %team_id, goal_id = %goal_id))]
pub async fn achieve(
    app: &App,
    origin: &Origin,
    (team_id, goal_id): (Uuid, Uuid),
    if_match: Option<i64>,
    reason: Option<String>,
) -> Result<Versioned<Goal>, AppError> {
    let command = GoalCommand::AchieveGoal { reason };
    close(app, origin, (team_id, goal_id), if_match, command).await
}

/// Abandons a goal, with the reason.
#[tracing::instrument(skip_all, fields(team_id = %team_id, goal_id = %goal_id))]
pub async fn abandon(
    app: &App,
    origin: &Origin,
    (team_id, goal_id): (Uuid, Uuid),
    if_match: Option<i64>,
    reason: Option<String>,
) -> Result<Versioned<Goal>, AppError> {
    let command = GoalCommand::AbandonGoal { reason };
    close(app, origin, (team_id, goal_id), if_match, command).await
}

/// Closes a goal, once it is known to be one of the team's: a goal that is not answers
/// `NotFound` before any `If-Match` is compared.
async fn close(
    app: &App,
    origin: &Origin,
    ids: (Uuid, Uuid),
    if_match: Option<i64>,
    command: GoalCommand,
) -> Result<Versioned<Goal>, AppError> {
    get(app, ids.0, ids.1).await?;
    run(app, origin, ids, if_match, command, &GoalContext::default()).await
}
