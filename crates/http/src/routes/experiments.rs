//! Strategy experiments: did the change help?

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use stride_app::experiments::{self, ExperimentResult, WithResult};
use stride_app::time_travel::When;
use stride_domain::experiment::{
    Decision, ExperimentError, ExperimentRevision, ExperimentStatus, NewExperiment,
};
use stride_domain::metric::Metric;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::{Reply, read, written};
use crate::auth::{Member, Writer};
use crate::error::{ApiError, Code};
use crate::extract::{ApiJson, ApiQuery, Ctx, IfMatch, PathId};
use crate::page::Page;
use crate::schema::{LongText, RequiredText, Title};

/// When to read an experiment's result.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Business time to evaluate at (RFC 3339, years 2000 to 2100, default now):
    /// observations and posts up to it count, even those recorded later.
    #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
    pub as_of: Option<stride_domain::bounds::Moment>,
}

impl AsOfQuery {
    fn when(&self) -> When {
        When {
            as_of: self.as_of,
            known_at: None,
        }
    }
}

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(start_experiment)
        .service(list_experiments)
        .service(get_experiment)
        .service(revise_experiment)
        .service(conclude_experiment);
}

impl From<ExperimentError> for ApiError {
    fn from(error: ExperimentError) -> Self {
        match error {
            ExperimentError::AlreadyExists => {
                ApiError::conflict(Code::AlreadyExists, error.to_string())
            }
            ExperimentError::NotFound => ApiError::not_found("experiment"),
            ExperimentError::Concluded(_) => {
                ApiError::conflict(Code::InvalidTransition, error.to_string())
            }
            ExperimentError::Invalid(invalid) => invalid.into(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExperimentBody {
    #[schema(value_type = Title)]
    pub title: String,
    /// What the team expects, and why.
    #[schema(value_type = RequiredText)]
    pub hypothesis: String,
    /// What the team does differently from `starts_on`.
    #[schema(value_type = RequiredText)]
    pub change: String,
    /// 1 to 20 of the team's channels; the metric must have been recorded on at least one.
    #[schema(min_items = 1, max_items = 20)]
    pub channel_ids: Vec<Uuid>,
    /// The metric that should show the change: a level (followers, subscribers) is compared
    /// by its daily growth, a flow (likes, clicks, ...) by its daily sum.
    pub metric: Metric,
    /// The first day of the change (`YYYY-MM-DD`, UTC); its baseline must not start before
    /// 2000-01-01.
    #[schema(pattern = "^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    pub starts_on: NaiveDate,
    /// Its last day, included: not before `starts_on`, at most 366 days with it. Open while
    /// null.
    #[schema(pattern = "^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    pub ends_on: Option<NaiveDate>,
    /// Days before `starts_on` compared with the experiment, 7 to 365 (default 28).
    #[schema(minimum = 7, maximum = 365)]
    pub baseline_days: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExperimentRevisionBody {
    #[schema(value_type = Option<Title>)]
    pub title: Option<String>,
    #[schema(value_type = Option<RequiredText>)]
    pub hypothesis: Option<String>,
    #[schema(value_type = Option<RequiredText>)]
    pub change: Option<String>,
    /// A new last day; null leaves the end open. Omitted keeps it.
    #[serde(default, deserialize_with = "stride_domain::event::double_option")]
    #[schema(value_type = Option<String>, format = Date, pattern = "^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    pub ends_on: Option<Option<NaiveDate>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcludeBody {
    pub decision: Decision,
    /// What the team learnt.
    #[schema(value_type = Option<LongText>)]
    pub note: Option<String>,
}

/// An experiment, with what it shows so far.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExperimentView {
    pub id: Uuid,
    pub title: String,
    pub hypothesis: String,
    pub change: String,
    pub channel_ids: Vec<Uuid>,
    pub metric: Metric,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub baseline_days: u32,
    pub status: ExperimentStatus,
    pub decision: Option<Decision>,
    pub note: Option<String>,
    pub version: i64,
    pub result: ExperimentResult,
}

impl From<WithResult> for ExperimentView {
    fn from(with: WithResult) -> ExperimentView {
        let e = with.experiment.state;
        ExperimentView {
            id: e.id,
            title: e.title,
            hypothesis: e.hypothesis,
            change: e.change,
            channel_ids: e.channel_ids,
            metric: e.metric,
            starts_on: e.starts_on,
            ends_on: e.ends_on,
            baseline_days: e.baseline_days,
            status: e.status,
            decision: e.decision,
            note: e.note,
            version: with.experiment.version,
            result: with.result,
        }
    }
}

fn answered(status: StatusCode, with: WithResult) -> HttpResponse {
    let (version, position) = (with.experiment.version, with.experiment.position);
    written(status, &ExperimentView::from(with), Some(version), position)
}

/// Starts a strategy experiment
///
/// "If the first strategy is not working, try another": what the team changes, on which
/// channels, from which day, and the metric that should show it. Its result compares the
/// metric's daily values in the `baseline_days` before the start with those since.
#[utoipa::path(tag = "experiments", request_body = NewExperimentBody, responses(
    (status = 201, description = "The experiment, with its result so far.", body = ExperimentView,
        headers(("ETag" = String))),
))]
#[post("/experiments")]
async fn start_experiment(ctx: Ctx, caller: Writer, body: ApiJson<NewExperimentBody>) -> Reply {
    let origin = ctx.origin(caller.actor());
    let b = body.0;
    let new = NewExperiment {
        experiment_id: Uuid::now_v7(),
        title: b.title,
        hypothesis: b.hypothesis,
        change: b.change,
        channel_ids: b.channel_ids,
        metric: b.metric,
        starts_on: b.starts_on,
        ends_on: b.ends_on,
        baseline_days: b.baseline_days,
    };
    let started = experiments::start(&ctx.app, &origin, caller.team_id, new).await?;
    Ok(answered(StatusCode::CREATED, started))
}

/// Lists the team's experiments
///
/// Oldest first, each with its result at `as_of`: per channel and overall, the daily values
/// of both windows, their means, the change in percent, a 95% bootstrap confidence interval
/// of the difference of the means (seeded: the same data always answers the same), the
/// posting cadence in each window, and a `verdict`: `not_enough_data` with fewer than 7 days
/// of values in a window, `no_clear_change` when the interval spans 0, else `better` or
/// `worse`. `confounded_with` names experiments overlapping on a channel.
#[utoipa::path(tag = "experiments", params(AsOfQuery), responses(
    (status = 200, description = "Every experiment, oldest first.", body = Page<ExperimentView>),
))]
#[get("/experiments")]
async fn list_experiments(ctx: Ctx, caller: Member, query: ApiQuery<AsOfQuery>) -> Reply {
    let experiments = experiments::list(&ctx.app, caller.team_id, query.when()).await?;
    let items: Vec<ExperimentView> = experiments.into_iter().map(ExperimentView::from).collect();
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
    }))
}

/// Reads one experiment with its result
///
/// Any member reads an experiment and its result at `as_of` (default now): the metric's
/// daily values before and during it, per channel and overall, the change, its 95% interval
/// and the verdict.
#[utoipa::path(tag = "experiments", params(AsOfQuery), responses(
    (status = 200, description = "The experiment.", body = ExperimentView, headers(("ETag" = String))),
))]
#[get("/experiments/{experiment_id}")]
async fn get_experiment(
    ctx: Ctx,
    caller: Member,
    PathId(experiment_id): PathId,
    query: ApiQuery<AsOfQuery>,
) -> Reply {
    let with = experiments::get(&ctx.app, caller.team_id, experiment_id, query.when()).await?;
    let version = with.experiment.version;
    Ok(read(&ExperimentView::from(with), version))
}

/// Revises an experiment
///
/// Its title, hypothesis, change or end, while it runs.
#[utoipa::path(tag = "experiments", request_body = ExperimentRevisionBody, params(IfMatch),
    responses((status = 200, description = "The experiment, revised.", body = ExperimentView,
        headers(("ETag" = String)))),
)]
#[patch("/experiments/{experiment_id}")]
async fn revise_experiment(
    ctx: Ctx,
    caller: Writer,
    IfMatch(expected): IfMatch,
    PathId(experiment_id): PathId,
    body: ApiJson<ExperimentRevisionBody>,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let b = body.0;
    let revision = ExperimentRevision {
        title: b.title,
        hypothesis: b.hypothesis,
        change: b.change,
        ends_on: b.ends_on,
    };
    let ids = (caller.team_id, experiment_id);
    let revised = experiments::revise(&ctx.app, &origin, ids, expected, revision).await?;
    Ok(answered(StatusCode::OK, revised))
}

/// Concludes an experiment
///
/// With the team's decision, `adopt` (keep the change) or `drop`, and a note.
#[utoipa::path(tag = "experiments", request_body = ConcludeBody, responses(
    (status = 200, description = "The experiment, concluded.", body = ExperimentView,
        headers(("ETag" = String))),
))]
#[post("/experiments/{experiment_id}/conclude")]
async fn conclude_experiment(
    ctx: Ctx,
    caller: Writer,
    PathId(experiment_id): PathId,
    body: ApiJson<ConcludeBody>,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let ConcludeBody { decision, note } = body.0;
    let ids = (caller.team_id, experiment_id);
    let concluded = experiments::conclude(&ctx.app, &origin, ids, decision, note).await?;
    Ok(answered(StatusCode::OK, concluded))
}
