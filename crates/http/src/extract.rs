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
use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};
use uuid::Uuid;

use crate::error::{ApiError, Code};

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
        let payload = payload.take();
        Box::pin(async move {
            checked?;
            let body =
                read_limited(payload, limit, |e| format!("reading the body failed: {e}")).await?;
            parse(&body).map(ApiJson)
        })
    }
}

/// Reads a body whole, refusing it (413) once it passes `limit` bytes; a body that does not
/// arrive whole is 400, `broken` saying so.
pub async fn read_limited<S>(
    mut payload: S,
    limit: usize,
    broken: impl Fn(&actix_web::error::PayloadError) -> String,
) -> Result<web::Bytes, ApiError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, Code::BadRequest, broken(&e)))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
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
            Code::UnsupportedMediaType,
            "send the body as JSON with Content-Type: application/json",
        ))
    }
}

pub fn check_declared_length(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
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
        Code::PayloadTooLarge,
        format!("the body is larger than this route's limit of {limit} bytes"),
    )
}

/// Parses JSON, naming the offending field by its path when the shape is wrong or a string
/// holds a NUL character (which PostgreSQL's text and JSON columns cannot hold).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value = parse_shape(body)?;
    // Every body is an object; serde would also read a struct from an array of its fields.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::validation("body", "must be a JSON object"));
    }
    if has_nul_escape(body) {
        let field = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|json| nul_path(&json, String::new()))
            .unwrap_or_else(|| "body".to_owned());
        return Err(ApiError::validation(
            field,
            "must not contain NUL characters",
        ));
    }
    Ok(value)
}

/// Whether a JSON text holds the escape `\u0000`: backslashes only occur inside strings, each
/// starting an escape, so an escaped backslash is stepped over whole.
fn has_nul_escape(body: &[u8]) -> bool {
    let mut rest = body;
    while let Some(at) = rest.iter().position(|b| *b == b'\\') {
        if rest[at + 1..].starts_with(b"u0000") {
            return true;
        }
        rest = rest.get(at + 2..).unwrap_or_default();
    }
    false
}

/// The path (`owner.name`, `tags[2]`) of the first string or key holding a NUL character.
fn nul_path(value: &serde_json::Value, path: String) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(s) => s.contains('\0').then_some(path.clone()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                Some(join(&key.replace('\0', "")))
            } else {
                nul_path(item, join(key))
            }
        }),
        _ => None,
    }
    .map(|p| if p.is_empty() { "body".to_owned() } else { p })
}

fn parse_shape<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
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
                Code::MalformedJson,
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

/// The id in the path segment `name`, or 400 naming it.
pub fn path_id(req: &HttpRequest, name: &str) -> Result<Uuid, ApiError> {
    parse_id(name, req.match_info().get(name).unwrap_or_default())
}

/// `raw`, the path segment `name`, as an id; 400 naming the segment otherwise.
fn parse_id(name: &str, raw: &str) -> Result<Uuid, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::validation(
            name,
            "must be a UUID, such as 0190a3c2-7e1f-7c3d-9a4b-2f1e0d3c4b5a",
        )
    })
}

/// The id of the resource a path names: its last `{..._id}` segment other than `{team_id}`
/// (`/teams/{team_id}/goals/{goal_id}/achieve` names the goal), 400 naming the segment when
/// it is no UUID.
#[derive(Debug, Clone, Copy)]
pub struct PathId(pub Uuid);

impl FromRequest for PathId {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match resource_ids(req).last() {
            Some((name, raw)) => parse_id(name, raw).map(PathId),
            None => Err(ApiError::internal(anyhow::anyhow!(
                "the route {} names no resource id",
                req.match_info().as_str()
            ))),
        })
    }
}

/// The path's `{..._id}` segments other than `{team_id}`, in order: (name, raw value).
fn resource_ids(req: &HttpRequest) -> impl Iterator<Item = (&str, &str)> {
    req.match_info()
        .iter()
        .filter(|(name, _)| name.ends_with("_id") && *name != "team_id")
}

/// The two resources a nested path names: its last two `{..._id}` segments other than
/// `{team_id}` (`/webhooks/{webhook_id}/deliveries/{delivery_id}` names the webhook and the
/// delivery), 400 naming the segment that is no UUID.
#[derive(Debug, Clone, Copy)]
pub struct PathIds(pub Uuid, pub Uuid);

impl FromRequest for PathIds {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let named: Vec<(&str, &str)> = resource_ids(req).collect();
        ready(match named[..] {
            [.., (parent, parent_raw), (child, child_raw)] => parse_id(parent, parent_raw)
                .and_then(|p| parse_id(child, child_raw).map(|c| PathIds(p, c))),
            _ => Err(ApiError::internal(anyhow::anyhow!(
                "the route {} names fewer than two resource ids",
                req.match_info().as_str()
            ))),
        })
    }
}

/// Problem+json for a path segment that does not parse (a board route's segments, read
/// with `web::Path`).
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|error, _| ApiError::validation("path", format!("{error}")).into())
}

/// A whole number a query parameter takes: `MIN` to `MAX`, `DEFAULT` when the parameter is
/// absent (with `#[serde(default)]`); anything else is refused, the parser naming the
/// parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounded<const MIN: u32, const MAX: u32, const DEFAULT: u32>(u32);

impl<const MIN: u32, const MAX: u32, const DEFAULT: u32> Bounded<MIN, MAX, DEFAULT> {
    pub fn get(self) -> u32 {
        self.0
    }
}

impl<const MIN: u32, const MAX: u32, const DEFAULT: u32> Default for Bounded<MIN, MAX, DEFAULT> {
    fn default() -> Self {
        Bounded(DEFAULT)
    }
}

impl<'de, const MIN: u32, const MAX: u32, const DEFAULT: u32> serde::Deserialize<'de>
    for Bounded<MIN, MAX, DEFAULT>
{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = u32::deserialize(deserializer)?;
        if (MIN..=MAX).contains(&value) {
            Ok(Bounded(value))
        } else {
            Err(serde::de::Error::custom(format!(
                "must be between {MIN} and {MAX}"
            )))
        }
    }
}

/// A query string, parsed with every problem named by its parameter: an unknown parameter, a
/// value of the wrong shape or out of its bounds, a NUL character (which no text column can
/// hold).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T> ApiQuery<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for ApiQuery<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(ApiQuery))
    }
}

/// The query parameter every read takes for read-your-writes, as `Stride-Min-Position`: the
/// middleware that waits for it reads it, so no route's own query holds it.
pub const MIN_POSITION_PARAMETER: &str = "min_position";

/// Parses a query string into `T`, naming the offending parameter (`min_position` is the
/// middleware's, and left out).
pub fn parse_query<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    let mut pairs = form_urlencoded::parse(raw.as_bytes());
    let own: String;
    if pairs.clone().any(|(k, _)| k == MIN_POSITION_PARAMETER) {
        let kept = pairs.filter(|(k, _)| k != MIN_POSITION_PARAMETER);
        own = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish();
        pairs = form_urlencoded::parse(own.as_bytes());
    }
    if let Some((name, _)) = pairs
        .clone()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(ApiError::validation(
            name.replace('\0', ""),
            "must not contain NUL characters",
        ));
    }
    let deserializer = serde_urlencoded::Deserializer::new(pairs);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = strip_position(&error.into_inner().to_string());
        match named_field(&message) {
            Some(name) if message.starts_with("unknown field") => {
                ApiError::validation(name, "is not a known parameter")
            }
            Some(name) => ApiError::validation(name, "is required"),
            None if path == "." => ApiError::validation("query", message),
            None => ApiError::validation(path, message),
        }
    })
}

/// `If-Match: "<version>"`: the version the client last read, or `None` when absent or `*`.
/// A value that is no ETag this API sent matches no version, as RFC 9110 has it: the write
/// is refused with 412, like one with a stale ETag.
fn if_match(req: &HttpRequest) -> Option<i64> {
    let value = req.headers().get(header::IF_MATCH)?;
    let raw = value.to_str().unwrap_or_default().trim();
    if raw == "*" {
        return None;
    }
    let version = raw.strip_prefix("W/").unwrap_or(raw);
    let sent = version
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|v| (1..=18).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<i64>().ok());
    Some(sent.unwrap_or(NO_VERSION))
}

/// The version an ETag this API never sent stands for: no resource ever has it.
const NO_VERSION: i64 = -1;

/// The `If-Match` header, read by [`if_match`]: the version the client last read, or
/// `None` for any. A route lists it in the document as `params(IfMatch)`, so every versioned
/// write takes it and documents it the same way.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i64>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(IfMatch(if_match(req))))
    }
}

impl IntoParams for IfMatch {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name("If-Match")
                .parameter_in(ParameterIn::Header)
                .description(Some(
                    "The `ETag` last read (`\"3\"`): the write is refused with 412 `version_conflict` when the resource changed since, or when the value is no ETag this API sent. `*` matches any version.",
                ))
                .required(Required::False)
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        ]
    }
}

/// The request id given to this request by the observing middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// What every handler needs: the application, its store, and the request's id.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub app: stride_app::App,
    pub store: Store,
    pub request_id: String,
}

impl Ctx {
    /// The origin of what `actor` asks in this request.
    pub fn origin(&self, actor: stride_domain::Actor) -> stride_app::Origin {
        stride_app::Origin {
            actor,
            request_id: self.request_id.clone(),
        }
    }

    /// The metadata of the events `actor` causes in this request.
    pub fn metadata(&self, actor: stride_domain::Actor) -> stride_storage::Metadata {
        self.origin(actor).metadata()
    }
}

impl FromRequest for Ctx {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let app = req
            .app_data::<web::Data<stride_app::App>>()
            .map(|a| a.get_ref().clone());
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        ready(match app {
            Some(app) => Ok(Ctx {
                store: app.store.clone(),
                app,
                request_id,
            }),
            None => Err(ApiError::internal(anyhow::anyhow!(
                "the application is not configured"
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
    struct When {
        as_of: Option<stride_domain::bounds::Moment>,
        limit: Option<u32>,
        tag: Option<String>,
    }

    fn query_field_of(raw: &str) -> String {
        let error = parse_query::<When>(raw).unwrap_err();
        assert_eq!(error.code, "validation_failed");
        error.errors[0].field.clone()
    }

    #[test]
    fn a_body_is_an_object_never_its_fields_in_a_row() {
        #[derive(Debug, serde::Deserialize)]
        struct Two {
            _a: Option<String>,
            _b: Option<String>,
        }
        let error = parse::<Two>(b"[null, null]").unwrap_err();
        assert_eq!(
            (error.code, error.errors[0].field.as_str()),
            (Code::ValidationFailed, "body")
        );
        assert!(parse::<Two>(b" {}").is_ok());
    }

    #[test]
    fn query_errors_name_the_parameter() {
        assert_eq!(query_field_of("as_of=-262143-01-05T00:00:00Z"), "as_of");
        assert_eq!(query_field_of("as_of=2101-06-01T00:00:00Z"), "as_of");
        assert_eq!(query_field_of("limit=-1"), "limit");
        assert_eq!(query_field_of("limit=1&colour=red"), "colour");
        assert_eq!(query_field_of("tag=a%00b"), "tag");
        let parsed = parse_query::<When>("as_of=2026-11-30T10:00:00Z&tag=x").unwrap();
        assert_eq!(parsed.tag.as_deref(), Some("x"));
        assert!(parsed.as_of.is_some());
    }

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
            error.code.to_string(),
            error
                .errors
                .first()
                .map(|e| e.field.clone())
                .unwrap_or_default(),
        )
    }

    #[test]
    fn nul_characters_in_strings_are_refused_by_field() {
        let nul = |body: &str| {
            let error = parse::<SignUp>(body.as_bytes()).unwrap_err();
            (error.code, error.errors[0].field.clone())
        };
        assert_eq!(
            nul(r#"{"name": "A\u0000", "owner": {"name": "B", "email": "c"}}"#),
            (Code::ValidationFailed, "name".to_owned())
        );
        assert_eq!(
            nul(r#"{"name": "A", "owner": {"name": "B", "email": "x\u0000y"}}"#),
            (Code::ValidationFailed, "owner.email".to_owned())
        );
        // An escaped backslash followed by the letters u0000 is text, not a NUL.
        let text = r#"{"name": "A\\u0000", "owner": {"name": "B", "email": "c"}}"#;
        assert!(parse::<SignUp>(text.as_bytes()).is_ok());
        assert!(!has_nul_escape(br#""\\\\u0000""#));
        assert!(has_nul_escape(br#""\\\u0000""#));
        assert!(has_nul_escape(br#"["x", "\u0000"]"#));
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
