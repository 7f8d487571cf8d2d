//! Observations of metrics, recorded in batches (idempotent per channel, metric, post and
//! instant; a changed value is a correction), read back as bucketed time series.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use stride_app::observations::{self, BucketSize, SeriesOf};
use stride_domain::bounds::Moment;
use stride_domain::metric::{Metric, Observation};
use stride_storage::observations::Bucket;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::Reply;
use super::written;
use crate::auth::{Member, Writer};
use crate::extract::{ApiJson, ApiQuery, Ctx};

/// Metric batches may be larger than other bodies: 5,000 observations.
pub const BATCH_BODY_LIMIT: usize = 1024 * 1024;

pub fn configure(config: &mut ServiceConfig) {
    config.service(record_metrics).service(get_metric_series);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricBatch {
    /// 1 to 5,000 observations; one bad row rejects the batch, named by its index.
    #[schema(min_items = 1, max_items = 5000)]
    pub observations: Vec<Observation>,
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

/// Records a batch of metric observations
///
/// Members, admins and owners record followers, likes, shares, clicks and traffic as they
/// measure them, up to 5,000 at once (a body of at most 1 MiB). The same (channel, metric,
/// post, observed_at) with the same value is not recorded twice; with another value it is a
/// correction, and the original stays in the log.
#[utoipa::path(tag = "metrics", request_body = MetricBatch, responses(
    (status = 200, description = "What the batch recorded, corrected and found unchanged.", body = BatchRecorded),
))]
#[post("/metrics")]
async fn record_metrics(
    ctx: Ctx,
    caller: Writer,
    body: ApiJson<MetricBatch, BATCH_BODY_LIMIT>,
) -> Reply {
    let rows: Vec<Observation> = body.0.observations;
    let origin = ctx.origin(caller.actor());
    let recorded =
        observations::record(&ctx.app, &origin, caller.team_id, &rows, Utc::now()).await?;
    let body = BatchRecorded {
        recorded: recorded.recorded,
        corrected: recorded.corrected,
        unchanged: recorded.unchanged,
    };
    Ok(written(StatusCode::OK, &body, None, recorded.position))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// The channel measured.
    pub channel_id: Uuid,
    /// The metric read.
    pub metric: Metric,
    /// Only this post's observations; without it, the channel's own.
    pub post_id: Option<Uuid>,
    /// Inclusive start, RFC 3339, years 2000 to 2100.
    #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
    pub from: Option<Moment>,
    /// Exclusive end, RFC 3339, years 2000 to 2100.
    #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
    pub to: Option<Moment>,
    /// The bucket size (default `day`).
    #[serde(default)]
    pub bucket: BucketSize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Series {
    pub channel_id: Uuid,
    pub metric: Metric,
    pub post_id: Option<Uuid>,
    pub bucket: BucketSize,
    pub points: Vec<Bucket>,
}

/// Reads a metric's time series
///
/// One metric on one channel (or one post), in day, week or month buckets, each with its
/// count, sum, minimum, maximum and last value. Any member may read it.
#[utoipa::path(tag = "metrics", params(SeriesQuery), responses(
    (status = 200, description = "The series.", body = Series),
))]
#[get("/metrics")]
async fn get_metric_series(ctx: Ctx, caller: Member, query: ApiQuery<SeriesQuery>) -> Reply {
    let query = query.into_inner();
    let wanted = SeriesOf {
        channel_id: query.channel_id,
        metric: query.metric,
        post_id: query.post_id,
        from: query.from.map(Moment::get),
        to: query.to.map(Moment::get),
        bucket: query.bucket,
    };
    let buckets = observations::series(&ctx.app, caller.team_id, wanted).await?;
    let points = buckets;
    Ok(HttpResponse::Ok().json(Series {
        channel_id: query.channel_id,
        metric: query.metric,
        post_id: query.post_id,
        bucket: query.bucket,
        points,
    }))
}
