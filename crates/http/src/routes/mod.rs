//! The routes, registered through utoipa-actix-web so that the served OpenAPI document is
//! generated from exactly the handlers that exist.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName};
use utoipa_actix_web::service_config::ServiceConfig;

pub mod activity;
pub mod boards;
pub mod channels;
pub mod events;
pub mod experiments;
pub mod exports;
pub mod goals;
pub mod ideas;
pub mod imports;
pub mod insights;
pub mod invitations;
pub mod lineage;
pub mod me;
pub mod members;
pub mod observations;
pub mod ops;
pub mod posts;
pub mod progress;
pub mod sign_in;
pub mod teams;
pub mod tokens;
pub mod webhooks;
pub mod workload;

/// What a handler answers: a response, or a problem.
pub type Reply = Result<HttpResponse, crate::error::ApiError>;

pub const STRIDE_POSITION: HeaderName = HeaderName::from_static("stride-position");

/// The routes under `/v1`, in a scope per team and per board: the router matches the scope's
/// pattern once, then only that scope's routes, each after the overlapping templates it must
/// come before (`/channels/assessment` before `/channels/{channel_id}`, `/ideas/similar`
/// before `/ideas/{idea_id}`).
pub fn configure(config: &mut ServiceConfig) {
    config.configure(ops::configure);
    config.service(
        utoipa_actix_web::scope("/v1")
            .configure(teams::configure_sign_up)
            .configure(invitations::configure_accept)
            .configure(me::configure)
            .configure(sign_in::configure)
            .service(
                utoipa_actix_web::scope("/teams/{team_id}")
                    .configure(teams::configure)
                    .configure(members::configure)
                    .configure(invitations::configure)
                    .configure(tokens::configure)
                    .configure(progress::configure)
                    .configure(insights::configure)
                    .configure(lineage::configure)
                    .configure(channels::configure)
                    .configure(goals::configure)
                    .configure(observations::configure)
                    .configure(posts::configure)
                    .configure(ideas::configure)
                    .configure(events::configure)
                    .configure(experiments::configure)
                    .configure(exports::configure)
                    .configure(imports::configure)
                    .configure(activity::configure)
                    .configure(webhooks::configure)
                    .configure(workload::configure),
            )
            .service(utoipa_actix_web::scope("/boards/{slug}").configure(boards::configure)),
    );
}

/// A write's response: its status and body, the resource's ETag, and `Stride-Position`.
pub fn written(
    status: StatusCode,
    body: &impl serde::Serialize,
    version: Option<i64>,
    position: i64,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if let Some(version) = version {
        response.insert_header((header::ETAG, etag(version)));
    }
    response.insert_header((STRIDE_POSITION, position.to_string()));
    response.json(body)
}

/// A read's answer: 200 with the body and the resource's ETag, to send back as `If-Match`.
pub fn read(body: &impl serde::Serialize, version: i64) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// A write's answer without a body (204): the resource's ETag when it still has one, and
/// `Stride-Position`.
pub fn no_content(version: Option<i64>, position: i64) -> HttpResponse {
    let mut response = HttpResponse::NoContent();
    if let Some(version) = version {
        response.insert_header((header::ETAG, etag(version)));
    }
    response.insert_header((STRIDE_POSITION, position.to_string()));
    response.finish()
}

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}
