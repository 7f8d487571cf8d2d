//! Metrics: observations recorded in batches, read back as time series.

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(_config: &mut ServiceConfig) {}
