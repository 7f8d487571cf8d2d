//! `Idempotency-Key` on POST: the first response is kept for 24 hours and replayed to a
//! repeat with the same key and body, which writes nothing; the same key with another body
//! is 422.
//!
//! A key belongs to the token that sent it, and is honoured only where that token is valid
//! and the route authenticates with it: a member's token on team routes, a contributor's on
//! the board routes that take one. Without a token (sign-up, joining a board) the header is
//! ignored: nothing an anonymous caller sends is theirs alone, so a shared key would hand
//! one caller another's answer, and those answers hold a secret shown once. Each kept
//! response is filed under its token's team, so that erasing a person forgets the kept
//! responses of their team that name them, and no other team's.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use sha2::{Digest, Sha256};
use stride_storage::Store;
use stride_storage::idempotency::Idempotency;
use uuid::Uuid;

use crate::auth::{Caller, bearer};
use crate::error::{ApiError, Code};
use crate::routing::Routes;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The largest body any route accepts (metric batches): larger ones are refused before we
/// buffer them.
const MAX_BODY: usize = 1024 * 1024;

/// Response headers worth replaying.
const KEPT_HEADERS: [&str; 5] = [
    "content-type",
    "etag",
    "location",
    "stride-position",
    "retry-after",
];

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = req.headers().get(&IDEMPOTENCY_KEY).cloned();
    let (Some(key), true) = (key, req.method() == Method::POST) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(store) = req.app_data::<web::Data<Store>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let owner = match owner(&req, &store).await {
        Ok(Some(owner)) => owner,
        Ok(None) => return Ok(next.call(req).await?.map_into_boxed_body()),
        Err(error) => return Ok(req.error_response(error)),
    };
    let visible =
        |k: &&str| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic());
    let key = match key.to_str().ok().filter(visible) {
        Some(key) => key.to_owned(),
        None => {
            let error = ApiError::validation(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            );
            return Ok(req.error_response(error));
        }
    };
    let body = match read_body(&mut req).await {
        Ok(body) => body,
        Err(error) => return Ok(req.error_response(error)),
    };
    let KeyOwner { scope, team_id } = owner;
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.uri().to_string());
    hasher.update(b"\n");
    hasher.update(&body);
    let request_hash = hasher.finalize().to_vec();

    let state = match store
        .idempotency()
        .begin(&scope, &key, &request_hash, team_id)
        .await
    {
        Ok(state) => state,
        Err(error) => return Ok(req.error_response(ApiError::from(error))),
    };
    match state {
        Idempotency::Fresh => {
            req.set_payload(Payload::from(body));
            let response = next.call(req).await?;
            finish(&store, &scope, &key, response.map_into_boxed_body()).await
        }
        Idempotency::Replay {
            status,
            headers,
            body,
        } => {
            let mut response =
                HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
            for (name, value) in headers {
                response.insert_header((name, value));
            }
            response.insert_header((REPLAYED, HeaderValue::from_static("true")));
            Ok(req.into_response(response.body(body)))
        }
        Idempotency::Mismatch => Ok(req.error_response(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::IdempotencyKeyReused,
            "this Idempotency-Key was used with a different request; use a new key",
        ))),
        Idempotency::InProgress => {
            let mut error = ApiError::conflict(
                Code::IdempotencyInProgress,
                "a request with this Idempotency-Key is still being handled",
            );
            error.retry_after = Some(1);
            Ok(req.error_response(error))
        }
    }
}

async fn read_body(req: &mut ServiceRequest) -> Result<web::Bytes, ApiError> {
    crate::extract::read_limited(req.take_payload(), MAX_BODY, ToString::to_string).await
}

/// Whose a key is: the valid token that sent it, and that token's team.
struct KeyOwner {
    /// A digest of the `Authorization` header: only the token's holder can send it.
    scope: String,
    team_id: Uuid,
}

/// The owner of a keyed request's key, or `None` when the request carries no token that its
/// route authenticates with (the key is then ignored; see the module header).
async fn owner(req: &ServiceRequest, store: &Store) -> Result<Option<KeyOwner>, ApiError> {
    let Some(authorization) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let digest = Sha256::digest(authorization.as_bytes());
    let scope: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    // Team routes authenticated their caller before this middleware (`auth::team_routes`).
    if let Some(caller) = req.extensions().get::<Caller>() {
        let team_id = caller.team_id;
        return Ok(Some(KeyOwner { scope, team_id }));
    }
    let authenticated = req
        .app_data::<web::Data<Routes>>()
        .is_some_and(|routes| routes.authenticates(req.method(), req.path()));
    let Some(token) = authenticated.then(|| bearer(req.request()).ok()).flatten() else {
        return Ok(None);
    };
    let contributor = store.directory().authenticate_contributor(&token).await?;
    Ok(contributor.map(|found| KeyOwner {
        scope,
        team_id: found.team_id,
    }))
}

/// Keeps the response for replays, or forgets the key after a server error so that a retry
/// is handled afresh.
async fn finish(
    store: &Store,
    scope: &str,
    key: &str,
    response: ServiceResponse<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if response.status().is_server_error() {
        if let Err(error) = store.idempotency().release(scope, key).await {
            tracing::warn!(error = %error, "could not release an idempotency key");
        }
        return Ok(response);
    }
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let bytes = body::to_bytes(body).await.unwrap_or_default();
    let headers: Vec<(String, String)> = head
        .headers()
        .iter()
        .filter(|(name, _)| KEPT_HEADERS.contains(&name.as_str()))
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
        .collect();
    if let Err(error) = store
        .idempotency()
        .complete(scope, key, head.status().as_u16(), &headers, &bytes)
        .await
    {
        tracing::warn!(error = %error, "could not keep a response for Idempotency-Key replays");
    }
    Ok(ServiceResponse::new(
        request,
        head.set_body(BoxBody::new(bytes)),
    ))
}
