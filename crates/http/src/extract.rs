//! Request extractors that answer every malformed input with a problem+json 4xx: JSON bodies
//! (content type, size, syntax, unknown or missing fields, each named by its path), paths,
//! query strings, `If-Match`, and the request context (store and request id).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use stride_storage::Store;

use crate::error::ApiError;

/// Largest JSON body a route accepts unless it says otherwise.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// A JSON request body, validated on the way in, at most `LIMIT` bytes.
#[derive(Debug)]
pub struct ApiJson<T, const LIMIT: usize = DEFAULT_BODY_LIMIT>(pub T);

impl<T: DeserializeOwned + 'static, const LIMIT: usize> FromRequest for ApiJson<T, LIMIT> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = LIMIT;
        let checked = check_content_type(req).and_then(|()| check_declared_length(req, limit));
        let mut payload = payload.take();
        Box::pin(async move {
            checked?;
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "bad_request",
                        format!("reading the body failed: {e}"),
                    )
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            parse(&body).map(ApiJson)
        })
    }
}

fn check_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let json = req.mime_type().ok().flatten().is_some_and(|mime| {
        mime.type_() == "application"
            && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
    });
    if json {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        ))
    }
}

fn check_declared_length(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(length) if length > limit => Err(too_large(limit)),
        _ => Ok(()),
    }
}

pub fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the body is larger than this route's limit of {limit} bytes"),
    )
}

/// Parses JSON, naming the offending field by its path when the shape is wrong.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => deserializer
            .end()
            .map(|()| value)
            .map_err(|e| (".".to_owned(), e)),
        Err(error) => Err((error.path().to_string(), error.into_inner())),
    };
    value.map_err(|(path, inner)| {
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = strip_position(&inner.to_string());
                let field = named_field(&message)
                    .map(|name| {
                        // serde reports an unknown field at its own path, a missing one at
                        // its parent's.
                        if path == "." {
                            name.to_owned()
                        } else if path.rsplit('.').next() == Some(name) {
                            path.clone()
                        } else {
                            format!("{path}.{name}")
                        }
                    })
                    .unwrap_or_else(|| if path == "." { "body".to_owned() } else { path });
                let message = if message.starts_with("unknown field") {
                    "is not a known field".to_owned()
                } else if message.starts_with("missing field") {
                    "is required".to_owned()
                } else {
                    message
                };
                ApiError::validation(field, message)
            }
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {inner}"),
            ),
        }
    })
}

/// serde names the field itself in "unknown field `x`" and "missing field `x`".
fn named_field(message: &str) -> Option<&str> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))?;
    rest.split('`').next()
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Problem+json for a path segment that does not parse (a malformed UUID, say).
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|error, _| ApiError::validation("path", format!("{error}")).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _| {
        let message = strip_position(&error.to_string());
        let message = message
            .trim_start_matches("Query deserialize error: ")
            .to_owned();
        ApiError::validation("query", message).into()
    })
}

/// `If-Match: "<version>"`: the version the client last read, or `None` when absent or `*`.
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = value.to_str().unwrap_or_default().trim();
    if raw == "*" {
        return Ok(None);
    }
    raw.trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .map(Some)
        .map_err(|_| ApiError::validation("If-Match", "must be an ETag this API sent, like \"3\""))
}

/// The request id given to this request by the observing middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// What every handler needs: the store and the request's id.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub store: Store,
    pub boards: web::Data<crate::boards::Boards>,
    pub request_id: String,
}

impl FromRequest for Ctx {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let store = req
            .app_data::<web::Data<Store>>()
            .map(|s| s.get_ref().clone());
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        let boards = req.app_data::<web::Data<crate::boards::Boards>>().cloned();
        ready(match (store, boards) {
            (Some(store), Some(boards)) => Ok(Ctx {
                store,
                boards,
                request_id,
            }),
            _ => Err(ApiError::internal(anyhow::anyhow!(
                "the store is not configured"
            ))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Owner {
        name: String,
        email: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct SignUp {
        name: String,
        owner: Owner,
    }

    fn field_of(body: &str) -> (String, String) {
        let error = parse::<SignUp>(body.as_bytes()).unwrap_err();
        (
            error.code.to_owned(),
            error
                .errors
                .first()
                .map(|e| e.field.clone())
                .unwrap_or_default(),
        )
    }

    #[test]
    fn json_errors_name_the_field_by_its_path() {
        assert_eq!(
            field_of(r#"{"name": "A", "owner": {"name": "B", "email": "c", "age": 3}}"#),
            ("validation_failed".into(), "owner.age".into())
        );
        assert_eq!(
            field_of(r#"{"name": "A", "owner": {"name": "B"}}"#),
            ("validation_failed".into(), "owner.email".into())
        );
        assert_eq!(
            field_of(r#"{"name": 5, "owner": {"name": "B", "email": "c"}}"#),
            ("validation_failed".into(), "name".into())
        );
        assert_eq!(
            field_of(r#"{"name": "A", "extra": 1}"#),
            ("validation_failed".into(), "extra".into())
        );
        assert_eq!(field_of(r#"{"name": "A""#).0, "malformed_json");
        assert_eq!(field_of("").0, "malformed_json");
        assert_eq!(
            field_of(r#"{"name": "A", "owner": {"name": "B", "email": "c"}} trailing"#).0,
            "malformed_json"
        );
    }
}
