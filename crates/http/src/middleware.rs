//! Middleware that every request passes: a request id (taken from `X-Request-Id` when sane,
//! else made) on the response and on every log line; metrics; a last guard that turns any
//! error response not yet in problem+json (actix's own plain-text ones) into problem+json;
//! and read-your-writes waiting for `Stride-Min-Position`.

use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError, web};
use stride_storage::Store;
use stride_storage::registry::Registered;
use stride_storage::replicas::ReadFrom;
use tracing::Instrument;

use crate::error::ApiError;
use crate::extract::{MIN_POSITION_PARAMETER, RequestId};
use crate::telemetry::Telemetry;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub const MIN_POSITION: HeaderName = HeaderName::from_static("stride-min-position");

fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let telemetry = req.app_data::<web::Data<Telemetry>>().cloned();
    let method = req.method().to_string();
    let span =
        tracing::info_span!("request", request_id = %id, method = %method, path = %req.path());
    let response = next.call(req).instrument(span.clone()).await?;
    let mut response = as_problem(response.map_into_boxed_body());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    // A draining server closes each connection after its answer, so that the client's next
    // request opens a new one (through the balancer, to another server) rather than racing
    // the close on this one.
    if response
        .request()
        .app_data::<web::Data<crate::drain::Drain>>()
        .is_some_and(|drain| drain.is_draining())
    {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    let status = response.status().as_u16();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let elapsed = started.elapsed();
    if let Some(telemetry) = telemetry {
        telemetry.observe(&method, &route, status, elapsed);
    }
    span.in_scope(|| {
        tracing::info!(status, route = %route, elapsed_ms = elapsed.as_secs_f64() * 1000.0, "answered");
    });
    Ok(response)
}

/// Error responses that did not come from [`ApiError`] get its problem+json body.
fn as_problem(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if status.as_u16() < 400 || is_problem {
        return response;
    }
    let (request, old) = response.into_parts();
    let mut replacement = ApiError::for_status(status).error_response();
    for (name, value) in old.headers() {
        if name == header::ALLOW || name == header::RETRY_AFTER || name == header::WWW_AUTHENTICATE
        {
            replacement
                .headers_mut()
                .insert(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(request, replacement)
}

/// Sends reads to a standby that has what they need, when standbys are configured (see
/// `stride_storage::replicas`). Reads carrying `Stride-Min-Position: N` (or
/// `?min_position=N`) that no standby serves wait until the primary's projections they read
/// have applied position N (or the newest write, when N is past it), at most the
/// configured wait (two seconds unless configured otherwise).
pub async fn min_position(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let wanted = match wanted_position(&req) {
        Ok(wanted) => wanted,
        Err(error) => return Ok(req.error_response(error)),
    };
    // The app's own wait for acknowledged writes, as its exports and lists use it.
    let wait = req
        .app_data::<web::Data<stride_app::App>>()
        .map_or(stride_app::CATCH_UP_WAIT, |app| app.catch_up_wait);
    let store = req.app_data::<web::Data<Store>>().cloned();
    let projections = projections_read(req.path());
    // Reads may be served by a standby that has what they need; writes, and whatever they
    // read on the way, stay on the primary.
    let from = match &store {
        Some(store) if store.has_replicas() && is_read(req.method()) => {
            let names: Vec<&str> = projections.iter().map(|p| p.name()).collect();
            store.read_from(wanted, &names).await
        }
        _ => ReadFrom::Primary,
    };
    let on_primary = (!from.is_replica()).then_some(store).flatten();
    if let (Some(wanted), Some(store)) = (wanted, on_primary) {
        // A position no write has reached yet asks for every write so far: the caller can
        // only have been handed positions of writes that committed.
        let ready = store
            .projections()
            .wait_projected_by(wanted, projections, Duration::ZERO)
            .await;
        let wanted = match ready {
            Ok(false) => match store.events().committed_head().await {
                Ok(head) => wanted.min(head),
                Err(error) => return Ok(req.error_response(ApiError::from(error))),
            },
            _ => wanted,
        };
        match store
            .projections()
            .wait_projected_by(wanted, projections, wait)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                return Ok(req.error_response(ApiError::projection_lagging(format!(
                    "position {wanted} is not visible yet; retry shortly"
                ))));
            }
            Err(error) => return Ok(req.error_response(ApiError::from(error))),
        }
    }
    Ok(from.scope(next.call(req)).await?.map_into_boxed_body())
}

fn is_read(method: &actix_web::http::Method) -> bool {
    *method == actix_web::http::Method::GET || *method == actix_web::http::Method::HEAD
}

/// The projections a route reads: the feed reads the activity projection alone, the workload
/// the workload projection and the folded aggregates (what members own); every other read
/// model is folded aggregates and idea scores. A read waits for these only, so a projection
/// that falls behind delays no read that does not use it.
fn projections_read(path: &str) -> &'static [Registered] {
    if path.ends_with("/activity") {
        &[Registered::Activity]
    } else if path.ends_with("/workload") {
        &[Registered::Workload, Registered::Aggregates]
    } else {
        &Registered::FOLDED
    }
}

/// The position a read asks for, by header or query parameter (the later of the two when it
/// gives both); each must be a position, a whole number from 0.
fn wanted_position(req: &ServiceRequest) -> Result<Option<i64>, ApiError> {
    let from_header = req
        .headers()
        .get(&MIN_POSITION)
        .map(|v| ("Stride-Min-Position", v.to_str().unwrap_or("x").to_owned()));
    let from_query =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| {
                let raw = q.get(MIN_POSITION_PARAMETER)?;
                Some((MIN_POSITION_PARAMETER, raw.clone()))
            });
    let mut wanted = None;
    for (field, raw) in from_header.into_iter().chain(from_query) {
        let position = raw
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 0)
            .ok_or_else(|| {
                ApiError::validation(
                    field,
                    "must be a position this API returned in Stride-Position",
                )
            })?;
        wanted = wanted.max(Some(position));
    }
    Ok(wanted)
}
