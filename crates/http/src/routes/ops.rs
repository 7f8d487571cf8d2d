//! Operations: liveness, readiness and Prometheus metrics.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::drain::Drain;
use crate::error::ApiError;
use crate::extract::Ctx;
use crate::telemetry::Telemetry;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(check_health)
        .service(check_readiness)
        .service(get_prometheus_metrics);
}

/// `ok` when the process is up, `ready` when it can serve requests.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Ok,
    Ready,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: HealthStatus,
}

/// Checks the process is up
///
/// Liveness: the process answers. Says nothing about the database.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The process is up.", body = Health)))]
#[get("/healthz")]
async fn check_health() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: HealthStatus::Ok,
    })
}

/// Checks the server can serve requests
///
/// Readiness: the database answers and every migration of this build is applied, and the
/// server is not draining (after SIGTERM it answers 503 `unavailable` at once, so that a
/// load balancer sends its traffic elsewhere).
#[utoipa::path(tag = "operations", responses(
    (status = 200, description = "Ready to serve.", body = Health),
))]
#[get("/readyz")]
async fn check_readiness(ctx: Ctx, drain: web::Data<Drain>) -> Result<HttpResponse, ApiError> {
    if drain.is_draining() {
        return Err(ApiError::unavailable(
            "this server is shutting down: send requests to another",
        ));
    }
    ctx.store.ready().await?;
    Ok(HttpResponse::Ok().json(Health {
        status: HealthStatus::Ready,
    }))
}

/// Reads the server's Prometheus metrics
///
/// Request counts and latencies, pool use, projection positions and lag, projection
/// failures, and webhook delivery attempts by outcome, queue depth and oldest waiting
/// message, in Prometheus' text exposition format.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The metrics, as text.", body = String, content_type = "text/plain")))]
#[get("/metrics")]
async fn get_prometheus_metrics(
    ctx: Ctx,
    telemetry: web::Data<Telemetry>,
) -> Result<HttpResponse, ApiError> {
    let text = telemetry
        .render(&ctx.app)
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
