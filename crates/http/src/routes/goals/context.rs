//! What goal commands are decided against, looked up in the store: the goal itself, the
//! parent's horizon, whether a target's channel is the team's, and a default baseline.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveTime};
use stride_domain::EventPayload;
use stride_domain::channel::ChannelEvent;
use stride_domain::goal::{self, Goal, Horizon};
use stride_domain::target::{TargetContext, TargetSpec};
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::Ctx;
use stride_app::execute::{self, Outcome};

/// One of the team's goals, or no state (reads of one stream keep to its type, so a
/// channel's id is no goal).
pub async fn load_goal(ctx: &Ctx, team_id: Uuid, goal_id: Uuid) -> Result<Outcome<Goal>, ApiError> {
    Ok(execute::load(&ctx.store, team_id, goal_id, &goal::apply).await?)
}

/// What a target is checked against: whether its channel is the team's and, for a metric
/// target stated without a baseline, the latest observation before the goal starts.
pub async fn target_context(
    ctx: &Ctx,
    team_id: Uuid,
    spec: Option<&TargetSpec>,
    starts_on: NaiveDate,
) -> Result<TargetContext, ApiError> {
    let channel_id = match spec {
        Some(TargetSpec::Metric { channel_id, .. }) => Some(*channel_id),
        Some(TargetSpec::Cadence { channel_id, .. }) => *channel_id,
        None => None,
    };
    let channels = match channel_id {
        Some(id) => {
            ctx.store
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
            ctx.store
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
pub async fn parent_horizon(
    ctx: &Ctx,
    team_id: Uuid,
    parent_goal_id: Option<Uuid>,
) -> Result<Option<Horizon>, ApiError> {
    let Some(parent_id) = parent_goal_id else {
        return Ok(None);
    };
    let parent = load_goal(ctx, team_id, parent_id).await?;
    Ok(parent.state.map(|p| p.horizon))
}
