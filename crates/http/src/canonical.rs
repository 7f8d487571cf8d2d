//! One spelling per path. The router matches a path with its percent-escapes decoded (all
//! but those of `%`, `/` and `+`), so to it `/v1/%74eams/...` is `/v1/teams/...`. Everything
//! else that looks at the path (the team routes' authentication, the board rate limits,
//! idempotency, the 404/405 fallback) reads the request's own path. This
//! middleware runs before all of them and rewrites that path to the one the router matches,
//! so no check can be spelled around while the route it guards still serves the request.

use std::fmt::Write as _;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Uri;
use actix_web::http::uri::PathAndQuery;
use actix_web::middleware::Next;
use actix_web::web::Bytes;

use crate::error::ApiError;

/// `routed` (the router's view of a path) written as a valid URI path: bytes a path may not
/// hold raw are escaped again. They never occur in a route's literal segments, so a check
/// comparing segments sees exactly what the router matched. `%` stays as it is: the router
/// left the escapes it does not decode (`%25`, `%2F`, `%2B`) in place.
fn respell(routed: &str) -> String {
    let mut spelled = String::with_capacity(routed.len());
    for byte in routed.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&byte) {
            spelled.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(spelled, "%{byte:02X}");
        }
    }
    spelled
}

/// `uri` with its path replaced by the router's view of it, the query kept.
fn canonical_uri(uri: &Uri, routed: &str) -> Option<Uri> {
    let mut target = respell(routed);
    if let Some(query) = uri.query() {
        target.push('?');
        target.push_str(query);
    }
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(PathAndQuery::from_maybe_shared(Bytes::from(target)).ok()?);
    Uri::from_parts(parts).ok()
}

/// Rewrites the request's path to the one the router matches (see the module header).
pub async fn canonical_path(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let routed = req.match_info().as_str();
    if routed != req.path() {
        let Some(uri) = canonical_uri(req.uri(), routed) else {
            let error = ApiError::validation("path", "is not a valid URI path");
            return Ok(req.error_response(error));
        };
        req.match_info_mut().get_mut().update(&uri);
        req.head_mut().uri = uri;
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use actix_web::dev::ResourceDef;
    use actix_web::test::TestRequest;

    use super::*;

    /// The path the router matches for `target`, and the path after the rewrite.
    fn rewritten(target: &str) -> (String, String) {
        let req = TestRequest::with_uri(target).to_srv_request();
        let routed = req.match_info().as_str().to_owned();
        let uri = canonical_uri(req.uri(), &routed).unwrap_or_else(|| req.uri().clone());
        (routed, uri.to_string())
    }

    #[test]
    fn escaped_unreserved_characters_read_as_themselves() {
        let (routed, uri) = rewritten("/v1/%74eams/x/%67oals?limit=%35");
        assert_eq!(routed, "/v1/teams/x/goals");
        assert_eq!(
            uri, "/v1/teams/x/goals?limit=%35",
            "the query is left as sent"
        );
    }

    #[test]
    fn escapes_the_router_keeps_stay_escaped() {
        let (routed, uri) = rewritten("/v1/boards/a%2Fb/c%2Bd/e%25f");
        assert_eq!(
            (routed.as_str(), uri.as_str()),
            (
                "/v1/boards/a%2Fb/c%2Bd/e%25f",
                "/v1/boards/a%2Fb/c%2Bd/e%25f"
            )
        );
    }

    #[test]
    fn characters_a_path_cannot_hold_are_escaped_again_and_route_the_same() {
        for target in [
            "/v1/boards/a%20b%3Fc%23d",
            "/v1/boards/%C3%A9",
            "/v1/boards/%FF",
        ] {
            let (routed, uri) = rewritten(target);
            let again = TestRequest::with_uri(&uri).to_srv_request();
            assert_eq!(again.match_info().as_str(), routed, "{target} -> {uri}");
            let route = ResourceDef::new("/v1/boards/{slug}");
            assert!(route.is_match(&routed) && route.is_match(again.match_info().as_str()));
        }
    }

    #[test]
    fn stray_percent_signs_are_kept() {
        let (routed, uri) = rewritten("/v1/%zz/%4");
        assert_eq!(
            (routed.as_str(), uri.as_str()),
            ("/v1/%zz/%4", "/v1/%zz/%4")
        );
    }
}
