//! Strategy experiments: started, revised and concluded by a team's writers; read with their
//! result at `as_of` (see `stride_domain::experiment::result`), each flagged with the
//! running experiments it overlaps on a channel, since their effects cannot be told apart.

use std::collections::BTreeSet;

use chrono::{DateTime, Days, Utc};
use serde::Serialize;
use stride_domain::Aggregate;
use stride_domain::channel::ChannelEvent;
use stride_domain::experiment::result::{self, Comparison, DayValue, Window};
use stride_domain::experiment::{
    Decision, Experiment, ExperimentCommand, ExperimentContext, ExperimentEvent,
    ExperimentRevision, ExperimentStatus, NewExperiment,
};
use uuid::Uuid;

use crate::execute;
use crate::time_travel::{Inputs, Need, When};
use crate::versioned::{self, Versioned};
use crate::{App, AppError, Origin};

/// One channel's comparison.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelComparison {
    pub channel_id: Uuid,
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// What an experiment shows so far, at `as_of`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExperimentResult {
    pub as_of: DateTime<Utc>,
    /// Every channel together: on each day each channel has a value for, their sum.
    pub overall: Comparison,
    pub channels: Vec<ChannelComparison>,
    /// Other experiments whose windows overlap this one's on a channel they share.
    pub confounded_with: Vec<Uuid>,
}

/// An experiment with its result.
#[derive(Debug, Clone)]
pub struct WithResult {
    pub experiment: Versioned<Experiment>,
    pub result: ExperimentResult,
}

async fn run(
    app: &App,
    origin: &Origin,
    ids: (Uuid, Uuid),
    if_match: Option<i64>,
    command: ExperimentCommand,
    context: &ExperimentContext,
) -> Result<Versioned<Experiment>, AppError> {
    let outcome = execute::run::<Experiment>(app, origin, ids, if_match, command, context).await?;
    Versioned::found(outcome, "experiment")
}

/// Starts an experiment on some of the team's channels.
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn start(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    new: NewExperiment,
) -> Result<WithResult, AppError> {
    let channels = app
        .store
        .events()
        .stream_ids::<ChannelEvent>(team_id)
        .await?;
    let named: Vec<Uuid> = new
        .channel_ids
        .iter()
        .filter(|c| channels.contains(c))
        .copied()
        .collect();
    let recording = app
        .store
        .observations()
        .channels_recording(team_id, new.metric, &named)
        .await?;
    let context = ExperimentContext {
        channels,
        recording: recording.into_iter().collect(),
    };
    let ids = (team_id, new.experiment_id);
    let experiment = run(
        app,
        origin,
        ids,
        None,
        ExperimentCommand::Start(new),
        &context,
    )
    .await?;
    with_result(app, team_id, experiment, When::default()).await
}

/// Revises an experiment's wording or end.
pub async fn revise(
    app: &App,
    origin: &Origin,
    ids: (Uuid, Uuid),
    if_match: Option<i64>,
    revision: ExperimentRevision,
) -> Result<WithResult, AppError> {
    let command = ExperimentCommand::Revise(revision);
    let context = ExperimentContext::default();
    let experiment = run(app, origin, ids, if_match, command, &context).await?;
    with_result(app, ids.0, experiment, When::default()).await
}

/// Concludes an experiment with a decision.
pub async fn conclude(
    app: &App,
    origin: &Origin,
    ids: (Uuid, Uuid),
    decision: Decision,
    note: Option<String>,
) -> Result<WithResult, AppError> {
    let command = ExperimentCommand::Conclude { decision, note };
    let context = ExperimentContext::default();
    let experiment = run(app, origin, ids, None, command, &context).await?;
    with_result(app, ids.0, experiment, When::default()).await
}

/// The team's experiments, oldest first, each with its result at `when`.
pub async fn list(app: &App, team_id: Uuid, when: When) -> Result<Vec<WithResult>, AppError> {
    let experiments = versioned::in_team::<Experiment>(&app.store, team_id).await?;
    let inputs = Inputs::load(app, team_id, when, Need::default()).await?;
    let mut results = Vec::with_capacity(experiments.len());
    for experiment in &experiments {
        let result = result_of(app, team_id, &inputs, &experiment.state, &experiments).await?;
        results.push(WithResult {
            experiment: experiment.clone(),
            result,
        });
    }
    Ok(results)
}

/// One experiment with its result at `when`.
pub async fn get(
    app: &App,
    team_id: Uuid,
    experiment_id: Uuid,
    when: When,
) -> Result<WithResult, AppError> {
    // The team's experiments are read once: this one, and those it may overlap.
    let all = versioned::in_team::<Experiment>(&app.store, team_id).await?;
    let experiment = all
        .iter()
        .find(|e| e.state.id == experiment_id)
        .cloned()
        .ok_or(AppError::NotFound("experiment"))?;
    let inputs = Inputs::load(app, team_id, when, Need::default()).await?;
    let result = result_of(app, team_id, &inputs, &experiment.state, &all).await?;
    Ok(WithResult { experiment, result })
}

async fn with_result(
    app: &App,
    team_id: Uuid,
    experiment: Versioned<Experiment>,
    when: When,
) -> Result<WithResult, AppError> {
    let all = versioned::in_team::<Experiment>(&app.store, team_id).await?;
    let inputs = Inputs::load(app, team_id, when, Need::default()).await?;
    let result = result_of(app, team_id, &inputs, &experiment.state, &all).await?;
    Ok(WithResult { experiment, result })
}

/// The experiments running at `when` (business time `t`): started by then and not ended, as
/// known at `known_at` when one is given (events recorded later are left out).
pub async fn running_at(
    app: &App,
    team_id: Uuid,
    t: DateTime<Utc>,
    known_at: Option<DateTime<Utc>>,
) -> Result<Vec<Experiment>, AppError> {
    let streams = app
        .store
        .events()
        .read_team_streams::<ExperimentEvent>(team_id)
        .await?;
    let today = t.date_naive();
    Ok(streams
        .into_values()
        .filter_map(|stream| {
            let known = stream
                .events
                .iter()
                .filter(|e| known_at.is_none_or(|k| e.recorded_at <= k))
                .map(|e| &e.event);
            Experiment::fold(known)
        })
        .filter(|e| {
            e.status == ExperimentStatus::Running
                && e.starts_on <= today
                && e.ends_on.is_none_or(|end| end >= today)
        })
        .collect())
}

/// The experiment's windows at `t`: its baseline, and its own days so far.
fn windows(experiment: &Experiment, t: DateTime<Utc>) -> (Window, Window) {
    let today = t.date_naive();
    let day_before = |d: chrono::NaiveDate| d.checked_sub_days(Days::new(1)).unwrap_or(d);
    let baseline = Window {
        from: experiment.baseline_from(),
        to: day_before(experiment.starts_on).min(today),
    };
    let experiment_window = Window {
        from: experiment.starts_on,
        to: experiment.ends_on.map_or(today, |end| end.min(today)),
    };
    (baseline, experiment_window)
}

async fn result_of(
    app: &App,
    team_id: Uuid,
    inputs: &Inputs,
    experiment: &Experiment,
    all: &[Versioned<Experiment>],
) -> Result<ExperimentResult, AppError> {
    let t = inputs.t;
    let (baseline, window) = windows(experiment, t);
    let wanted: Vec<(Uuid, stride_domain::metric::Metric)> = experiment
        .channel_ids
        .iter()
        .map(|c| (*c, experiment.metric))
        .collect();
    let since = stride_domain::progress::start_of(baseline.from);
    let series = inputs.series(app, team_id, &wanted, since).await?;
    let level = experiment.metric.is_level();
    let published = inputs.published();
    let posts_in = |window: Window, channels: &[Uuid]| -> u32 {
        published
            .iter()
            .filter(|(c, at)| {
                channels.contains(c)
                    && at.date_naive() >= window.from
                    && at.date_naive() <= window.to
            })
            .count() as u32
    };
    let mut channels = Vec::new();
    let mut before_all: Vec<Vec<DayValue>> = Vec::new();
    let mut after_all: Vec<Vec<DayValue>> = Vec::new();
    for channel_id in &experiment.channel_ids {
        let points = series
            .get(&(*channel_id, experiment.metric))
            .map_or(&[][..], Vec::as_slice);
        let before = result::daily_values(points, level, baseline);
        let after = result::daily_values(points, level, window);
        before_all.push(before.clone());
        after_all.push(after.clone());
        let one = [*channel_id];
        channels.push(ChannelComparison {
            channel_id: *channel_id,
            comparison: result::compare(
                (baseline, before, posts_in(baseline, &one)),
                (window, after, posts_in(window, &one)),
            ),
        });
    }
    let overall = result::compare(
        (
            baseline,
            result::combined(&before_all),
            posts_in(baseline, &experiment.channel_ids),
        ),
        (
            window,
            result::combined(&after_all),
            posts_in(window, &experiment.channel_ids),
        ),
    );
    let confounded_with: Vec<Uuid> = all
        .iter()
        .filter(|other| experiment.overlaps(&other.state))
        .map(|other| other.state.id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(ExperimentResult {
        as_of: t,
        overall,
        channels,
        confounded_with,
    })
}
