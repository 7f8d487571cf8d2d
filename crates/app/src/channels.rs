//! Channels: the platforms a team publishes on, added, paused or retired with a reason, and
//! read one at a time or as the team's list.

use stride_domain::channel::{Channel, ChannelCommand, ChannelStatus, Platform};
use uuid::Uuid;

use crate::execute;
use crate::versioned::{self, Versioned};
use crate::{App, AppError, Origin};

/// Adds a channel the team publishes on, under a new id.
#[tracing::instrument(skip_all, fields(team_id = %team_id, channel_id = tracing::field::Empty))]
pub async fn add(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    platform: Platform,
    handle: String,
    name: Option<String>,
) -> Result<Versioned<Channel>, AppError> {
    let channel_id = Uuid::now_v7();
    tracing::Span::current().record("channel_id", tracing::field::display(channel_id));
    let command = ChannelCommand::AddChannel {
        channel_id,
        platform,
        handle,
        name,
    };
    let ids = (team_id, channel_id);
    let outcome = execute::run::<Channel>(app, origin, ids, None, command, &()).await?;
    Versioned::found(outcome, "channel")
}

/// The team's channels, oldest first; only those with `status` when one is given.
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn list(
    app: &App,
    team_id: Uuid,
    status: Option<ChannelStatus>,
) -> Result<Vec<Versioned<Channel>>, AppError> {
    let mut channels = versioned::in_team::<Channel>(&app.store, team_id).await?;
    channels.retain(|c| status.is_none_or(|s| c.state.status == s));
    Ok(channels)
}

/// One of the team's channels.
#[tracing::instrument(skip_all, fields(team_id = %team_id, channel_id = %channel_id))]
pub async fn get(
    app: &App,
    team_id: Uuid,
    channel_id: Uuid,
) -> Result<Versioned<Channel>, AppError> {
    let outcome = execute::load_aggregate::<Channel>(&app.store, team_id, channel_id).await?;
    Versioned::found(outcome, "channel")
}

/// Keeps, pauses or retires a channel, with the reason. The status it already has changes
/// nothing.
#[tracing::instrument(skip_all, fields(team_id = %team_id, channel_id = %channel_id))]
pub async fn change_status(
    app: &App,
    origin: &Origin,
    (team_id, channel_id): (Uuid, Uuid),
    if_match: Option<i64>,
    status: ChannelStatus,
    reason: Option<String>,
) -> Result<Versioned<Channel>, AppError> {
    let command = ChannelCommand::ChangeStatus { status, reason };
    let ids = (team_id, channel_id);
    let outcome = execute::run::<Channel>(app, origin, ids, if_match, command, &()).await?;
    Versioned::found(outcome, "channel")
}
