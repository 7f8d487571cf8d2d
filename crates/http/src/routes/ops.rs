//! Operations: liveness, readiness and Prometheus metrics.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::extract::Ctx;
use crate::telemetry::Telemetry;

pub fn configure(config: &mut ServiceConfig) {
    config.service(healthz).service(readyz).service(metrics);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the process is up, `ready` when it can serve requests.
    pub status: &'static str,
}

/// The process is up. Says nothing about the database.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database answers and every migration of this build is applied.
#[utoipa::path(tag = "operations", responses(
    (status = 200, body = Health),
))]
#[get("/readyz")]
async fn readyz(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.store.ready().await?;
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(tag = "operations", responses((status = 200, body = String, content_type = "text/plain")))]
#[get("/metrics")]
async fn metrics(ctx: Ctx, telemetry: web::Data<Telemetry>) -> Result<HttpResponse, ApiError> {
    let text = telemetry
        .render(&ctx.store)
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
