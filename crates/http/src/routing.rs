//! What an unknown route answers: 405 with `Allow` when the path is one of the API's under
//! another method, else 404. The paths come from the OpenAPI document, so a new route is
//! known here without anyone remembering to add it.

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::error::ApiError;

/// Every path template of the API with the methods it serves.
#[derive(Debug, Default)]
pub struct Routes {
    templates: Vec<(Vec<String>, Vec<Method>)>,
}

fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

impl Routes {
    pub fn new(spec: &utoipa::openapi::OpenApi) -> Routes {
        let mut templates: Vec<(Vec<String>, Vec<Method>)> = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, served)| served.then_some(method))
                .collect();
                (segments(path), methods)
            })
            .collect();
        // Served beside the documented API.
        for path in ["/openapi.json", "/docs"] {
            templates.push((segments(path), vec![Method::GET]));
        }
        Routes { templates }
    }

    /// The methods served at `path`, when some route has its shape.
    fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let asked = segments(path);
        let mut methods: Vec<Method> = self
            .templates
            .iter()
            .filter(|(template, _)| {
                template.len() == asked.len()
                    && template.iter().zip(&asked).all(|(t, a)| {
                        (t.starts_with('{') && t.ends_with('}') && !a.is_empty()) || t == a
                    })
            })
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
    let Some(methods) = routes.allowed(req.path()) else {
        return ApiError::not_found("route").error_response();
    };
    let allow = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} is not served here; this path takes {allow}",
            req.method()
        ),
    )
    .error_response();
    if let Ok(value) = header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}
