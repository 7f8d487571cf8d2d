//! Metrics: observations recorded in batches (idempotent per channel, metric, post and
//! instant; a changed value is a correction), read back as bucketed time series.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stride_domain::bounds::Moment;
use stride_domain::channel::ChannelEvent;
use stride_domain::metric::{self, Metric, MetricError, Observation};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::written;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Ctx};

/// Metric batches may be larger than other bodies: 5,000 observations.
pub const BATCH_BODY_LIMIT: usize = 1024 * 1024;

pub fn configure(config: &mut ServiceConfig) {
    config.service(record).service(series);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MetricName {
    Followers,
    Subscribers,
    Likes,
    Shares,
    Comments,
    Clicks,
    Traffic,
    Views,
}

impl From<MetricName> for Metric {
    fn from(name: MetricName) -> Metric {
        match name {
            MetricName::Followers => Metric::Followers,
            MetricName::Subscribers => Metric::Subscribers,
            MetricName::Likes => Metric::Likes,
            MetricName::Shares => Metric::Shares,
            MetricName::Comments => Metric::Comments,
            MetricName::Clicks => Metric::Clicks,
            MetricName::Traffic => Metric::Traffic,
            MetricName::Views => Metric::Views,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationIn {
    pub channel_id: Uuid,
    pub metric: MetricName,
    /// A count or total: 0 to 1e15.
    #[schema(minimum = 0, maximum = 1e15)]
    pub value: f64,
    /// When it was measured: years 2000 to 2100, at most one day ahead.
    #[schema(pattern = "^(20[0-9]{2}|2100)-")]
    pub observed_at: DateTime<Utc>,
    /// The post measured, when the metric is a post's rather than the channel's.
    pub post_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricBatch {
    /// 1 to 5,000 observations; one bad row rejects the batch, named by its index.
    pub observations: Vec<ObservationIn>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchRecorded {
    /// New observations.
    pub recorded: usize,
    /// Changed values, recorded as corrections (the originals stay in the log).
    pub corrected: usize,
    /// Repeats of what was already recorded: nothing written.
    pub unchanged: usize,
}

fn field_error(error: MetricError) -> ApiError {
    match error {
        MetricError::BatchSize(_) => ApiError::validation("observations", error.to_string()),
        MetricError::Row {
            index,
            field,
            message,
        } => ApiError::validation(format!("observations[{index}].{field}"), message),
    }
}

async fn channel_ids(
    ctx: &Ctx,
    team_id: Uuid,
) -> Result<std::collections::BTreeSet<Uuid>, ApiError> {
    Ok(ctx
        .store
        .read_team_streams::<ChannelEvent>(team_id)
        .await?
        .into_keys()
        .collect())
}

/// Records a batch of observations (members and up). The same (channel, metric, post,
/// observed_at) with the same value is not recorded twice; with another value it is a
/// correction.
#[utoipa::path(tag = "metrics", security(("bearer" = [])), request_body = MetricBatch, responses(
    (status = 200, body = BatchRecorded, headers(("Stride-Position" = i64))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 413, body = Problem, content_type = "application/problem+json"),
))]
#[post("/teams/{team_id}/metrics")]
async fn record(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<Uuid>,
    body: ApiJson<MetricBatch, BATCH_BODY_LIMIT>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.in_team(path.into_inner())?.may_write()?.clone();
    let rows: Vec<Observation> = body
        .0
        .observations
        .into_iter()
        .map(|o| Observation {
            channel_id: o.channel_id,
            metric: o.metric.into(),
            value: o.value,
            observed_at: o.observed_at,
            post_id: o.post_id,
        })
        .collect();
    let channels = channel_ids(&ctx, caller.team_id).await?;
    let mut named: Vec<Uuid> = rows.iter().filter_map(|r| r.post_id).collect();
    named.sort_unstable();
    named.dedup();
    let posts = super::posts::team_posts(&ctx, caller.team_id, &named).await?;
    metric::check_batch(
        &rows,
        Utc::now(),
        |c| channels.contains(&c),
        |p| posts.contains(&p),
    )
    .map_err(field_error)?;
    let recorded = ctx
        .store
        .record_observations(caller.team_id, &rows, &ctx.metadata(caller.actor()))
        .await?;
    let body = BatchRecorded {
        recorded: recorded.recorded,
        corrected: recorded.corrected,
        unchanged: recorded.unchanged,
    };
    Ok(written(StatusCode::OK, &body, None, recorded.position))
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BucketSize {
    #[default]
    Day,
    /// ISO weeks, from Monday 00:00 UTC.
    Week,
    Month,
}

impl BucketSize {
    fn as_str(self) -> &'static str {
        match self {
            BucketSize::Day => "day",
            BucketSize::Week => "week",
            BucketSize::Month => "month",
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    pub channel_id: Uuid,
    pub metric: MetricName,
    /// Only this post's observations; without it, the channel's own.
    pub post_id: Option<Uuid>,
    /// Inclusive start, RFC 3339, years 2000 to 2100.
    #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
    pub from: Option<Moment>,
    /// Exclusive end, RFC 3339, years 2000 to 2100.
    #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
    pub to: Option<Moment>,
    #[serde(default)]
    pub bucket: BucketSize,
    pub min_position: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Point {
    /// The bucket's first instant.
    pub start: DateTime<Utc>,
    pub count: i64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    /// The latest observation in the bucket: the level, for metrics like followers.
    pub last: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Series {
    pub channel_id: Uuid,
    pub metric: MetricName,
    pub post_id: Option<Uuid>,
    pub bucket: BucketSize,
    pub points: Vec<Point>,
}

/// A metric's time series on one channel (or one post), in day, week or month buckets.
#[utoipa::path(tag = "metrics", security(("bearer" = [])), params(SeriesQuery), responses(
    (status = 200, body = Series),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/teams/{team_id}/metrics")]
async fn series(
    ctx: Ctx,
    caller: Caller,
    path: web::Path<Uuid>,
    query: ApiQuery<SeriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let team_id = caller.in_team(path.into_inner())?.team_id;
    let query = query.into_inner();
    if let (Some(from), Some(to)) = (query.from, query.to)
        && to <= from
    {
        return Err(ApiError::validation("to", "must be after from"));
    }
    if !channel_ids(&ctx, team_id)
        .await?
        .contains(&query.channel_id)
    {
        return Err(ApiError::not_found("channel"));
    }
    let buckets = ctx
        .store
        .metric_series(
            team_id,
            query.channel_id,
            query.metric.into(),
            query.post_id,
            (query.from.map(Moment::get), query.to.map(Moment::get)),
            query.bucket.as_str(),
        )
        .await?;
    let points = buckets
        .into_iter()
        .map(|b| Point {
            start: b.start,
            count: b.count,
            sum: b.sum,
            min: b.min,
            max: b.max,
            last: b.last,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Series {
        channel_id: query.channel_id,
        metric: query.metric,
        post_id: query.post_id,
        bucket: query.bucket,
        points,
    }))
}
