//! What the API's routes are, read from its OpenAPI document, so that a new route is known
//! here without anyone remembering to add it: which methods a path takes (an unknown route
//! answers 405 with `Allow` when the path is served under another method, else 404), and
//! which operations authenticate their caller with a token.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::error::{ApiError, Code};

/// Every path template of the API with the methods it serves.
#[derive(Debug, Default)]
pub struct Routes {
    templates: Vec<(Vec<String>, Vec<Method>)>,
    /// Operations that declare a bearer token (`security`), by path template.
    secured: Vec<(Vec<String>, Method)>,
}

fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

fn is_param(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// A requested path's segments, borrowed (this runs on every request), as the router sees
/// them: a trailing slash is one more, empty, segment, which no template has.
fn asked(path: &str) -> Vec<&str> {
    path.strip_prefix('/').unwrap_or(path).split('/').collect()
}

/// Whether a path's segments have a template's shape.
fn fits(template: &[String], asked: &[&str]) -> bool {
    template.len() == asked.len()
        && template
            .iter()
            .zip(asked)
            .all(|(t, a)| (is_param(t) && !a.is_empty()) || t == a)
}

impl Routes {
    pub fn new(spec: &utoipa::openapi::OpenApi) -> Routes {
        let secured = spec
            .paths
            .paths
            .iter()
            .flat_map(|(path, item)| {
                crate::contract::operations(item)
                    .filter(|(_, operation)| {
                        operation.security.as_ref().is_some_and(|s| !s.is_empty())
                    })
                    .map(|(method, _)| (segments(path), method))
            })
            .collect();
        let mut templates: Vec<(Vec<String>, Vec<Method>)> = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = crate::contract::operations(item)
                    .map(|(method, _)| method)
                    .collect();
                (segments(path), methods)
            })
            .collect();
        // Served beside the documented API.
        for path in ["/openapi.json", "/docs"] {
            templates.push((segments(path), vec![Method::GET]));
        }
        Routes { templates, secured }
    }

    /// Whether the operation serving `method` at `path` takes a token. Where templates
    /// overlap (`/ideas/similar` and `/ideas/{idea_id}`), the one with the most literal
    /// segments is the one served.
    pub fn authenticates(&self, method: &Method, path: &str) -> bool {
        let asked = asked(path);
        let literal = |template: &[String]| template.iter().filter(|t| !is_param(t)).count();
        let best = self
            .templates
            .iter()
            .filter(|(template, methods)| fits(template, &asked) && methods.contains(method))
            .max_by_key(|(template, _)| literal(template));
        best.is_some_and(|(template, _)| {
            self.secured
                .iter()
                .any(|(secured, m)| m == method && secured == template)
        })
    }

    /// The methods served at `path`, when some route has its shape. Where templates overlap
    /// (`/channels/assessment` and `/channels/{channel_id}`), the path is the one with the
    /// most literal segments, and takes its methods alone.
    fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let asked = asked(path);
        let literal = |template: &[String]| template.iter().filter(|t| !is_param(t)).count();
        let fitting = || {
            self.templates
                .iter()
                .filter(|(template, _)| fits(template, &asked))
        };
        let most = fitting().map(|(t, _)| literal(t)).max()?;
        let mut methods: Vec<Method> = fitting()
            .filter(|(template, _)| literal(template) == most)
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        if methods.is_empty() {
            return None;
        }
        methods.sort_by_key(|m| m.to_string());
        methods.dedup();
        Some(methods)
    }
}

pub async fn no_route(req: HttpRequest, routes: web::Data<Routes>) -> HttpResponse {
    match routes.allowed(req.path()) {
        Some(methods) => method_not_allowed(req.method(), &methods),
        None => ApiError::not_found("route").error_response(),
    }
}

/// Answers 405 for a method the path's own route does not serve, before the router could
/// hand the request to an overlapping template: `PATCH .../channels/assessment` is not a
/// change to a channel whose id is `assessment`.
pub async fn served_methods(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let refused = req
        .app_data::<web::Data<Routes>>()
        .filter(|_| !matches!(*req.method(), Method::OPTIONS | Method::HEAD))
        .and_then(|routes| routes.allowed(req.path()))
        .filter(|methods| !methods.contains(req.method()));
    if let Some(methods) = refused {
        let response = method_not_allowed(req.method(), &methods);
        return Ok(req.into_response(response));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn method_not_allowed(method: &Method, methods: &[Method]) -> HttpResponse {
    let allow = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        Code::MethodNotAllowed,
        format!("{method} is not served here; this path takes {allow}"),
    )
    .error_response();
    if let Ok(value) = header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use actix_web::http::Method;

    use super::Routes;

    #[test]
    fn operations_that_take_a_token_are_told_from_those_that_do_not() {
        let routes = Routes::new(&crate::openapi());
        let authenticates = |method: Method, path: &str| routes.authenticates(&method, path);
        assert!(!authenticates(Method::POST, "/v1/teams"));
        assert!(!authenticates(Method::POST, "/v1/boards/acme/contributors"));
        assert!(authenticates(Method::POST, "/v1/boards/acme/ideas"));
        assert!(authenticates(
            Method::POST,
            "/v1/boards/acme/ideas/x/comments"
        ));
        assert!(authenticates(Method::POST, "/v1/teams/x/channels"));
        assert!(!authenticates(Method::GET, "/v1/boards/acme/ideas/similar"));
        assert!(!authenticates(Method::POST, "/v1/nowhere"));
    }

    #[test]
    fn a_path_allows_the_methods_of_the_template_it_is_served_by() {
        let routes = Routes::new(&crate::openapi());
        assert_eq!(
            routes.allowed("/v1/teams/x/channels/assessment"),
            Some(vec![Method::GET])
        );
        assert_eq!(
            routes.allowed("/v1/teams/x/channels/y"),
            Some(vec![Method::GET, Method::PATCH])
        );
        assert_eq!(routes.allowed("/v1/nowhere"), None);
    }
}
