//! The OpenAPI document made exact in one pass over what the routes declare, by the same rules
//! the server applies: every problem status an operation can answer (with its `code`s), the
//! convention headers, descriptive operation ids, and explicit security.
//!
//! A route declares only what is its own: its success responses (each with a description),
//! its parameters, and in `x-problems` the problem codes only it answers (a domain conflict,
//! a role check the middleware does not make). Everything that follows from the route's shape
//! (a token, a path id, a body, a board write, `If-Match`, `known_at`) is added here, so a new
//! route is documented as exactly as the old ones without anyone listing 401s by hand.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use utoipa::openapi::path::{Operation, Parameter, ParameterIn, PathItem};
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr};

use crate::error::Code;
use crate::extract::MIN_POSITION_PARAMETER;
use crate::{auth, rate_limit};

/// The extension in which a route names the problem codes only it answers.
pub const PROBLEMS: &str = "x-problems";

/// The status each code is answered with. `version_conflict` is 409 when a write raced
/// another and 412 when `If-Match` names a version that is no longer current (added by rule).
fn status(code: Code) -> StatusCode {
    match code {
        Code::ValidationFailed | Code::MalformedJson | Code::BadRequest => StatusCode::BAD_REQUEST,
        Code::Unauthorized => StatusCode::UNAUTHORIZED,
        Code::Forbidden => StatusCode::FORBIDDEN,
        Code::NotFound | Code::InvitationInvalid => StatusCode::NOT_FOUND,
        Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Code::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        Code::VersionConflict
        | Code::AlreadyExists
        | Code::AlreadyTaken
        | Code::AlreadyMember
        | Code::LastOwner
        | Code::MemberActive
        | Code::GoalClosed
        | Code::InvalidTransition
        | Code::ApprovalRequired
        | Code::BoardClosed
        | Code::IdeaMerged
        | Code::NotMerged
        | Code::IdeaUsed
        | Code::TooManyInvitations
        | Code::IdempotencyInProgress => StatusCode::CONFLICT,
        Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Code::UriTooLong => StatusCode::URI_TOO_LONG,
        Code::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Code::IdempotencyKeyReused
        | Code::KnownAtTooCostly
        | Code::WebhookUrlForbidden
        | Code::ImportRejected => StatusCode::UNPROCESSABLE_ENTITY,
        Code::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Code::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        Code::Unavailable | Code::ProjectionLagging | Code::ProjectionFailed => {
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// What a code tells the client, as the document says it.
fn meaning(code: Code) -> &'static str {
    match code {
        Code::ValidationFailed => {
            "a parameter or field is invalid; `errors` names each one (400: its shape is not the documented one; 422: it has the documented shape, but cannot be done as asked)"
        }
        Code::MalformedJson => "the body is not JSON of the documented shape",
        Code::BadRequest => "a header is malformed (such as `Idempotency-Key`)",
        Code::Unauthorized => "no valid token",
        Code::Forbidden => "the caller's role (or board) may not do this",
        Code::NotFound => "no such resource, or it belongs to another team",
        Code::MethodNotAllowed => "the path does not take this method",
        Code::RequestTimeout => "the body did not arrive within the server's body timeout",
        Code::VersionConflict => {
            "the resource changed meanwhile; read it again (412: `If-Match` is stale)"
        }
        Code::AlreadyExists => "it exists already",
        Code::AlreadyTaken => "a unique value (a slug, an email, a handle) is taken",
        Code::AlreadyMember => "the person is a member already",
        Code::LastOwner => "the team would be left without an owner",
        Code::MemberActive => "the member is still in the team; remove them first",
        Code::GoalClosed => "the goal is achieved or abandoned",
        Code::InvalidTransition => "the resource's status does not allow this",
        Code::ApprovalRequired => "the team reviews posts: it must be approved first",
        Code::BoardClosed => "the team's board takes no ideas",
        Code::IdeaMerged => "the idea was merged into another",
        Code::NotMerged => "the idea is not merged",
        Code::IdeaUsed => "the idea was used in a post already",
        Code::IdempotencyInProgress => {
            "a request with this `Idempotency-Key` is still being handled"
        }
        Code::PayloadTooLarge => "the body is larger than the operation takes",
        Code::UriTooLong => "the path and query exceed 8 KiB",
        Code::UnsupportedMediaType => {
            "the body is not of the documented media type (`application/json`, or `text/csv` for imports)"
        }
        Code::IdempotencyKeyReused => "this `Idempotency-Key` was used with another body",
        Code::KnownAtTooCostly => "`known_at` would replay more than 50,000 events",
        Code::WebhookUrlForbidden => {
            "a webhook may send only to an `https` URL whose host resolves to public addresses"
        }
        Code::ImportRejected => {
            "an imported file has lines that cannot be taken, each listed in `rejected` with its line and field; nothing was imported"
        }
        Code::InvitationInvalid => {
            "the invitation code is unknown, used, revoked or expired (which, is not told)"
        }
        Code::TooManyInvitations => "the team has 500 invitations waiting; revoke some first",
        Code::RateLimited => {
            "too many board writes (or invitation acceptances); retry after `Retry-After` seconds"
        }
        Code::HeadersTooLarge => "the headers exceed 32 KiB",
        Code::Internal => "something went wrong on the server",
        Code::Unavailable => {
            "the database is unavailable, or this server is shutting down; retry after `Retry-After` seconds"
        }
        Code::ProjectionLagging => {
            "`Stride-Min-Position` was not reached within the server's wait (2 s unless configured otherwise); retry"
        }
        Code::ProjectionFailed => {
            "a read model stopped on an event for this team; it answers again once rebuilt"
        }
    }
}

/// The OpenAPI document completed by the rules above.
pub fn complete(mut api: OpenApi) -> OpenApi {
    api.servers = Some(vec![from_json(json!({
        "url": "/",
        "description": "The server that serves this document (`stride serve` listens on http://127.0.0.1:8080)."
    }))]);
    api.info.license = Some(from_json(
        json!({"name": "Apache-2.0", "identifier": "Apache-2.0"}),
    ));
    for (path, item) in api.paths.paths.iter_mut() {
        let operations = [
            (Method::GET, &mut item.get),
            (Method::POST, &mut item.post),
            (Method::PUT, &mut item.put),
            (Method::PATCH, &mut item.patch),
            (Method::DELETE, &mut item.delete),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                complete_operation(path, &method, operation);
            }
        }
    }
    link_created_resources(&mut api);
    api
}

/// The operations of a path, with their methods.
pub(crate) fn operations(item: &PathItem) -> impl Iterator<Item = (Method, &Operation)> {
    [
        (Method::GET, &item.get),
        (Method::POST, &item.post),
        (Method::PUT, &item.put),
        (Method::PATCH, &item.patch),
        (Method::DELETE, &item.delete),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_ref().map(|op| (method, op)))
}

/// OpenAPI links from each write that creates a resource (a token's `POST .../channels`
/// answering 201) to every operation on that resource (`.../channels/{channel_id}...`),
/// so that a client, or a stateful test, can follow the id it was handed.
fn link_created_resources(api: &mut OpenApi) {
    let components = serde_json::to_value(&api.components).unwrap_or_default();
    let mut links: Vec<(String, String, Value)> = Vec::new();
    for (path, item) in &api.paths.paths {
        let Some(create) = &item.post else { continue };
        let secured = create.security.as_ref().is_some_and(|s| !s.is_empty());
        let Some(RefOr::T(created)) = create.responses.responses.get("201") else {
            continue;
        };
        let Some(collection) = path.rsplit('/').next().filter(|s| !s.starts_with('{')) else {
            continue;
        };
        let singular = collection.trim_end_matches('s');
        let param = format!("{singular}_id");
        let prefix = format!("{path}/{{{param}}}");
        let created = serde_json::to_value(created).unwrap_or_default();
        let schema = &created["content"]["application/json"]["schema"];
        let Some(pointer) = id_pointer(schema, singular, &components) else {
            continue;
        };
        for (target_path, target) in &api.paths.paths {
            if !secured || !target_path.starts_with(&prefix) {
                continue;
            }
            // Every other id the target's path names must be one the creating request had:
            // a delivery of a webhook is not found through the webhook's creation.
            let known = |name: &str| name == param || path.contains(&format!("{{{name}}}"));
            let names = target_path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')));
            if !names.clone().all(known) {
                continue;
            }
            for (_, op) in operations(target) {
                let Some(id) = &op.operation_id else { continue };
                let parameters: serde_json::Map<String, Value> = target_path
                    .split('/')
                    .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                    .map(|name| {
                        let value = if name == param {
                            format!("$response.body#{pointer}")
                        } else {
                            format!("$request.path.{name}")
                        };
                        (name.to_owned(), Value::from(value))
                    })
                    .collect();
                links.push((
                    path.clone(),
                    id.clone(),
                    json!({
                        "operationId": id,
                        "parameters": parameters,
                        "description": format!("The {singular} just created."),
                    }),
                ));
            }
        }
    }
    for (path, name, link) in links {
        if let Some(RefOr::T(created)) = api
            .paths
            .paths
            .get_mut(&path)
            .and_then(|item| item.post.as_mut())
            .and_then(|op| op.responses.responses.get_mut("201"))
        {
            created.links.insert(name, from_json(link));
        }
    }
}

/// Where a created resource's id is in the answer: `/id`, or `/<resource>/id` when the
/// answer holds it beside other things (a member with their first token).
fn id_pointer(schema: &Value, singular: &str, components: &Value) -> Option<String> {
    let resolve = |schema: &Value| -> Value {
        match schema["$ref"].as_str() {
            Some(reference) => {
                components["schemas"][reference.trim_start_matches("#/components/schemas/")].clone()
            }
            None => schema.clone(),
        }
    };
    let has_id = |schema: &Value| {
        let schema = resolve(schema);
        schema["properties"].get("id").is_some()
            || schema["allOf"].as_array().is_some_and(|parts| {
                parts
                    .iter()
                    .any(|p| resolve(p)["properties"].get("id").is_some())
            })
    };
    let schema = resolve(schema);
    if has_id(&schema) {
        Some("/id".to_owned())
    } else if has_id(&schema["properties"][singular]) {
        Some(format!("/{singular}/id"))
    } else {
        None
    }
}

/// A piece of the document written as JSON, read into utoipa's types.
#[allow(
    clippy::expect_used,
    reason = "the pieces are written in this file; every test that builds the document reads each one"
)]
fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a valid piece of an OpenAPI document")
}

/// Each `{segment}` of the path as a parameter, whatever extractor reads it: ids are UUIDs
/// (a malformed one is 400 naming it), a board is named by its slug.
fn declare_path_parameters(path: &str, parameters: &mut Vec<RefOr<Parameter>>) {
    parameters.retain(|p| !matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
    let segments = path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'));
    let declared = segments.map(|name| {
        let (description, schema) = match name.strip_suffix("_id") {
            Some(resource) => (
                format!("The {resource}'s id."),
                json!({"type": "string", "format": "uuid"}),
            ),
            None => (
                format!("The board's {name}: its team's, as the team chose it."),
                json!({"type": "string"}),
            ),
        };
        from_json(json!({
            "name": name, "in": "path", "required": true,
            "description": description, "schema": schema,
        }))
    });
    let declared: Vec<RefOr<Parameter>> = declared.collect();
    parameters.splice(0..0, declared);
}

fn complete_operation(path: &str, method: &Method, op: &mut Operation) {
    let name = op
        .operation_id
        .as_deref()
        .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
    op.operation_id = Some(camel_case(name));
    // Team routes take a member's token, as the middleware that authenticates them decides.
    if auth::team_in_path(path).is_some() {
        op.security = Some(vec![from_json(json!({"bearer": []}))]);
    }
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    if !secured {
        op.security = Some(Vec::new());
    }
    let reads = *method == Method::GET;
    let api = path.starts_with("/v1/");
    let parameters = op.parameters.get_or_insert_with(Vec::new);
    declare_path_parameters(path, parameters);
    if api && reads {
        parameters.push(from_json(json!({
            "name": MIN_POSITION_PARAMETER,
            "in": "query",
            "required": false,
            "description": "Read-your-writes, as a query parameter (see `Stride-Min-Position`).",
            "schema": {"type": "integer", "format": "int64", "minimum": 0}
        })));
        parameters.push(from_json(json!({
            "name": "Stride-Min-Position",
            "in": "header",
            "required": false,
            "description": "Read-your-writes: wait (at most 2 s) until the read models include this position, a `Stride-Position` an earlier write answered. A position no write has reached yet is read as the newest.",
            "schema": {"type": "integer", "format": "int64", "minimum": 0}
        })));
    }
    if secured && *method == Method::POST {
        parameters.push(from_json(json!({
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "Makes the POST safe to retry: a repeat with the same key and body within 24 hours, with the same token, answers the first response (with `Idempotent-Replayed: true`) and writes nothing.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}
        })));
    }
    // A header is text or absent, never null.
    for parameter in parameters.iter_mut() {
        if let RefOr::T(parameter) = parameter
            && parameter.parameter_in == ParameterIn::Header
            && let Some(RefOr::T(Schema::Object(schema))) = &mut parameter.schema
            && let SchemaType::Array(types) = &schema.schema_type
        {
            let kept: Vec<Type> = types
                .iter()
                .filter(|t| **t != Type::Null)
                .cloned()
                .collect();
            schema.schema_type = match kept.as_slice() {
                [one] => SchemaType::Type(one.clone()),
                _ => SchemaType::Array(kept),
            };
        }
    }
    let names: Vec<String> = parameters
        .iter()
        .filter_map(|p| match p {
            RefOr::T(p) => Some(p.name.clone()),
            RefOr::Ref(_) => None,
        })
        .collect();
    let has_if_match = names.iter().any(|n| n == "If-Match");
    let has_known_at = names.iter().any(|n| n == "known_at");
    let has_params = !names.is_empty();
    if names.is_empty() {
        op.parameters = None;
    }
    let has_body = op.request_body.is_some();

    let mut problems: BTreeMap<u16, BTreeSet<Code>> = BTreeMap::new();
    let mut add = |status: StatusCode, code: Code| {
        problems.entry(status.as_u16()).or_default().insert(code);
    };
    add(StatusCode::URI_TOO_LONG, Code::UriTooLong);
    add(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        Code::HeadersTooLarge,
    );
    if has_params || has_body {
        add(StatusCode::BAD_REQUEST, Code::ValidationFailed);
        add(StatusCode::UNPROCESSABLE_ENTITY, Code::ValidationFailed);
    }
    if has_body {
        add(StatusCode::BAD_REQUEST, Code::MalformedJson);
        add(StatusCode::REQUEST_TIMEOUT, Code::RequestTimeout);
        add(StatusCode::PAYLOAD_TOO_LARGE, Code::PayloadTooLarge);
        add(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::UnsupportedMediaType,
        );
    }
    if secured {
        add(StatusCode::UNAUTHORIZED, Code::Unauthorized);
    }
    if path.contains('{') {
        add(StatusCode::NOT_FOUND, Code::NotFound);
    }
    let team_route = path.starts_with("/v1/teams/{team_id}");
    if secured && !reads && !(team_route && auth::own_tokens(path)) {
        add(StatusCode::FORBIDDEN, Code::Forbidden);
    }
    if secured && !reads {
        add(StatusCode::CONFLICT, Code::VersionConflict);
    }
    if secured && *method == Method::POST {
        add(StatusCode::BAD_REQUEST, Code::BadRequest);
        add(StatusCode::CONFLICT, Code::IdempotencyInProgress);
        add(StatusCode::UNPROCESSABLE_ENTITY, Code::IdempotencyKeyReused);
    }
    if has_if_match {
        add(StatusCode::PRECONDITION_FAILED, Code::VersionConflict);
    }
    if has_known_at {
        add(StatusCode::UNPROCESSABLE_ENTITY, Code::KnownAtTooCostly);
    }
    if rate_limit::limits(method, path) {
        add(StatusCode::TOO_MANY_REQUESTS, Code::RateLimited);
    }
    if api || path == "/readyz" {
        add(StatusCode::SERVICE_UNAVAILABLE, Code::Unavailable);
    }
    if api && reads {
        add(StatusCode::BAD_REQUEST, Code::ValidationFailed);
        add(StatusCode::SERVICE_UNAVAILABLE, Code::ProjectionLagging);
        add(StatusCode::SERVICE_UNAVAILABLE, Code::ProjectionFailed);
    }
    if let Some(own) = op.extensions.as_mut().and_then(|e| e.remove(PROBLEMS)) {
        let own: Vec<Code> = serde_json::from_value(own)
            .unwrap_or_else(|e| panic!("{method} {path}: {PROBLEMS} names an unknown code: {e}"));
        for code in own {
            add(status(code), code);
        }
    }
    if op.extensions.as_ref().is_some_and(|e| e.is_empty()) {
        op.extensions = None;
    }

    let responses = &mut op.responses.responses;
    assert!(
        !responses.is_empty(),
        "{method} {path} declares no responses"
    );
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        // Every write that succeeds answers its position in the log (see `routes::written`).
        if api && !reads && status.starts_with('2') {
            response.headers.insert(
                "Stride-Position".to_owned(),
                from_json(json!({"schema": {"type": "integer", "format": "int64"}})),
            );
        }
        for (name, header) in response.headers.iter_mut() {
            if let RefOr::T(header) = header
                && header.description.is_none()
            {
                header.description =
                    Some(header_meaning(name, &format!("{method} {path} {status}")));
            }
        }
        assert!(
            !response.description.is_empty(),
            "{method} {path}: response {status} has no description"
        );
        assert!(
            status.starts_with('2') || status.starts_with('3'),
            "{method} {path}: response {status} is a problem; name its code in {PROBLEMS} instead"
        );
    }
    for (status, codes) in problems {
        responses.insert(
            status.to_string(),
            from_json(problem_response(status, &codes)),
        );
    }
}

/// What a convention's response header means, said once: a route declares it bare.
fn header_meaning(name: &str, at: &str) -> String {
    match name {
        "ETag" => "The resource's version, quoted: send it back as `If-Match` to change it safely.",
        "Stride-Position" => {
            "The write's position in the log: send it as `Stride-Min-Position` to read your own write."
        }
        "Location" => "Where the created resource is read.",
        other => panic!("{at}: header {other} has no description"),
    }
    .to_owned()
}

/// A problem response: which codes it carries and what each means, with a schema that
/// holds `code` to exactly those.
fn problem_response(status: u16, codes: &BTreeSet<Code>) -> Value {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Problem");
    let lines: Vec<String> = codes
        .iter()
        .map(|code| format!("`{code}`: {}", meaning(*code)))
        .collect();
    let mut response = json!({
        "description": format!("{reason}. {}.", lines.join("; ")),
        "content": {"application/problem+json": {"schema": {
            "allOf": [
                {"$ref": "#/components/schemas/Problem"},
                {"type": "object", "properties": {"code": {"type": "string", "enum": codes.iter().map(|c| c.as_str()).collect::<Vec<_>>()}}}
            ]
        }}}
    });
    if status == 429 || status == 503 {
        response["headers"] = json!({"Retry-After": {
            "description": "Seconds to wait before retrying.",
            "schema": {"type": "integer", "minimum": 0}
        }});
    }
    response
}

/// `submit_board_idea` as `submitBoardIdea`.
fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn operation_ids_are_unique_and_descriptive() {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        let mut seen = BTreeMap::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap().to_owned();
                assert!(
                    id.chars().filter(|c| c.is_ascii_uppercase()).count() >= 1,
                    "{method} {path}: operationId {id} is one word; say what it does to what"
                );
                if let Some(other) = seen.insert(id.clone(), format!("{method} {path}")) {
                    panic!("operationId {id} is used by {other} and {method} {path}");
                }
            }
        }
    }

    #[test]
    fn every_problem_code_has_its_status_and_meaning() {
        let codes: Vec<Code> = serde_json::from_value(
            serde_json::to_value(crate::openapi()).unwrap()["components"]["schemas"]["ProblemCode"]
                ["enum"]
                .clone(),
        )
        .unwrap();
        assert!(codes.len() > 30);
        for code in codes {
            assert!(status(code).as_u16() >= 400, "{code}");
            assert!(!meaning(code).is_empty(), "{code}");
        }
    }

    /// utoipa names a schema after its Rust type and keeps the last of two with one name, so
    /// two types sharing a name would silently document one as the other. Every type that
    /// derives or implements a schema in the crates that make the document has a name of
    /// its own.
    #[test]
    fn no_two_types_share_a_schema_name() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        let mut files = Vec::new();
        for krate in ["domain", "app", "http"] {
            collect_rust_files(&root.join(krate).join("src"), &mut files);
        }
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for name in schema_names(&text) {
                let at = file.display().to_string();
                if let Some(other) = names.insert(name.clone(), at.clone()) {
                    panic!(
                        "two types are named {name} in the OpenAPI document: in {other} and {at}"
                    );
                }
            }
        }
        assert!(names.contains_key("ProblemCode") && names.contains_key("PostView"));
    }

    fn collect_rust_files(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                collect_rust_files(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }

    /// The schema names a file defines: each type deriving `ToSchema` (by its `as = ` name
    /// when it has one) and each type implementing it by hand (by the name it returns).
    fn schema_names(text: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut deriving = false;
        let mut renamed: Option<String> = None;
        let mut attribute = String::new();
        for line in text.lines().map(str::trim) {
            if !attribute.is_empty() || line.starts_with("#[") {
                attribute.push_str(line);
                let depth =
                    attribute.matches('[').count() as i64 - attribute.matches(']').count() as i64;
                if depth > 0 {
                    continue;
                }
                if attribute.contains("derive") && attribute.contains("ToSchema") {
                    deriving = true;
                }
                if let Some((_, rest)) = attribute.split_once("schema(as = ") {
                    renamed = rest.split(')').next().map(str::to_owned);
                }
                attribute.clear();
                continue;
            }
            let item = ["pub struct ", "pub enum ", "struct ", "enum "]
                .iter()
                .find_map(|kw| line.strip_prefix(kw));
            if let Some(rest) = item {
                let ident: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if deriving {
                    names.push(renamed.take().unwrap_or(ident));
                }
                deriving = false;
                renamed = None;
            } else if let Some(rest) = line.strip_prefix("impl ToSchema for ") {
                let ident = rest.trim_end_matches(" {}").trim_end_matches(" {");
                names.push(ident.to_owned());
            } else if let Some(rest) = line.strip_prefix("Cow::Borrowed(\"") {
                // A hand-written name replaces the type's own, just pushed.
                if let (Some(last), Some(name)) = (names.last_mut(), rest.split('"').next()) {
                    *last = name.to_owned();
                }
            }
        }
        names
    }

    #[test]
    fn a_created_resource_links_to_the_operations_on_it() {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        let links =
            &doc["paths"]["/v1/teams/{team_id}/channels"]["post"]["responses"]["201"]["links"];
        assert_eq!(
            links["changeChannelStatus"]["parameters"],
            json!({"team_id": "$request.path.team_id", "channel_id": "$response.body#/id"})
        );
        let member = &doc["paths"]["/v1/teams/{team_id}/members"]["post"]["responses"]["201"]["links"]
            ["removeMember"]["parameters"]["member_id"];
        assert_eq!(member, "$response.body#/member/id");
        let post = &doc["paths"]["/v1/teams/{team_id}/posts"]["post"]["responses"]["201"]["links"]
            ["publishPost"]["parameters"]["post_id"];
        assert_eq!(post, "$response.body#/id");
    }

    #[test]
    fn camel_case_joins_words() {
        assert_eq!(camel_case("submit_board_idea"), "submitBoardIdea");
        assert_eq!(camel_case("healthz"), "healthz");
    }
}
