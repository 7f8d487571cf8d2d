//! Rate limits on public board writes, per client address and per contributor token: a
//! burst is allowed, then a steady rate; past it, 429 with `Retry-After`. Kept in PostgreSQL
//! for every server together (see `stride_storage::limits`), after a first check in this
//! server's memory; or, when configured so, per server only. The client address
//! is the peer's, or behind trusted proxies the one they forward (see
//! [`crate::client_address`]).

use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use governor::RateLimiter;
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use sha2::{Digest, Sha256};
use stride_storage::Store;
use stride_storage::limits::Quota;

use crate::client_address::TrustedProxies;
use crate::error::{ApiError, Code};

/// How many board writes a client may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardRate {
    pub per_minute: u32,
    pub burst: u32,
}

impl Default for BoardRate {
    fn default() -> Self {
        BoardRate {
            per_minute: 30,
            burst: 10,
        }
    }
}

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

/// Keys forgotten once this many are held, keeping memory bounded under many clients.
const RETAIN_AT: usize = 100_000;

#[derive(Clone)]
pub struct BoardLimiter {
    limiter: Arc<Keyed>,
    /// The same limits kept in PostgreSQL for every server together; `None`: per server.
    shared: Option<Quota>,
}

/// Where the board's limits are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LimitScope {
    /// In PostgreSQL, for every server together: N servers allow what one would.
    #[default]
    Shared,
    /// In each server's memory: N servers allow N times the rate.
    PerServer,
}

impl std::fmt::Debug for BoardLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoardLimiter").finish_non_exhaustive()
    }
}

impl BoardLimiter {
    pub fn new(rate: BoardRate, scope: LimitScope) -> BoardLimiter {
        let per_minute = NonZeroU32::new(rate.per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(rate.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let shared = Quota {
            interval: std::time::Duration::from_secs(60) / per_minute.get(),
            burst: burst.get(),
        };
        BoardLimiter {
            limiter: Arc::new(RateLimiter::keyed(
                governor::Quota::per_minute(per_minute).allow_burst(burst),
            )),
            shared: (scope == LimitScope::Shared).then_some(shared),
        }
    }

    /// Whether the limits are kept in PostgreSQL for every server.
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// `Err(seconds to wait)` when `key` is over its rate.
    fn check(&self, key: String) -> Result<(), u64> {
        if self.limiter.len() > RETAIN_AT {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// Reads the router's spelling of the path (see [`crate::canonical`]): `/v1/%62oards/...` is a
/// board write like any other.
fn is_board_write(req: &ServiceRequest) -> bool {
    limits(req.method(), req.path())
}

/// Whether a request to `path` with `method` counts against the board write limits: board
/// writes, and accepting an invitation (which, like them, needs no token).
pub(crate) fn limits(method: &Method, path: &str) -> bool {
    (path.starts_with("/v1/boards/") || path == "/v1/invitations/accept")
        && !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub async fn limit_board_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if let (true, Some(limiter)) = (
        is_board_write(&req),
        req.app_data::<web::Data<BoardLimiter>>().cloned(),
    ) {
        let address = match req.peer_addr() {
            Some(peer) => match req.app_data::<web::Data<TrustedProxies>>() {
                Some(proxies) => proxies.client(peer.ip(), req.headers()).to_string(),
                None => peer.ip().to_string(),
            },
            None => String::new(),
        };
        let mut keys = vec![format!("ip:{address}")];
        if let Some(auth) = req.headers().get(header::AUTHORIZATION) {
            keys.push(format!("token:{:x}", Sha256::digest(auth.as_bytes())));
        }
        // This server's own count first: a client over the limit here is over it everywhere,
        // and is refused without a round trip. Then the count of every server, in one.
        let mut refused = keys.iter().find_map(|key| limiter.check(key.clone()).err());
        if let (None, Some(quota), Some(store)) =
            (refused, limiter.shared, req.app_data::<web::Data<Store>>())
        {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            match store.shared_limits().take(&keys, quota).await {
                Ok(wait) => {
                    refused = wait.map(|w| w.as_secs() + u64::from(w.subsec_nanos() > 0));
                }
                Err(error) => return Ok(req.error_response(ApiError::from(error))),
            }
        }
        if let Some(seconds) = refused {
            let mut error = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                Code::RateLimited,
                format!("too many board writes: retry in {seconds} s"),
            );
            error.retry_after = Some(seconds.max(1));
            return Ok(req.error_response(error));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// How often the shared limits forget the clients that went quiet.
const FORGET_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Forgets, every minute, the shared limits' keys whose requests are all paid off.
pub fn spawn_forgetting(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(FORGET_EVERY);
        loop {
            ticks.tick().await;
            if let Err(error) = store.shared_limits().forget_idle().await {
                tracing::debug!(%error, "board limits not forgotten this time");
            }
        }
    })
}
