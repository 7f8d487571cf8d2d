//! Stride's REST API over actix-web: routes, authentication, problem+json errors,
//! idempotency, metrics, and the OpenAPI document generated from the registered routes.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use stride_storage::Store;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi as _};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

pub mod auth;
pub mod canonical;
pub mod client_address;
pub mod contract;
pub mod drain;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod limits;
pub mod middleware;
pub mod page;
pub mod rate_limit;
pub mod routes;
pub mod routing;
pub mod schema;
pub mod telemetry;
pub mod time_travel;
pub mod web_app;

/// How the HTTP server behaves.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Origins allowed by CORS; `*` allows any. Empty: no cross-origin access.
    pub cors_origins: Vec<String>,
    /// Worker threads; default one per core.
    pub workers: Option<usize>,
    /// Public board writes allowed per client address and per contributor.
    pub board_rate: rate_limit::BoardRate,
    /// Whether those limits hold for every server together or for each.
    pub board_limits: rate_limit::LimitScope,
    /// How long a request's body may take to arrive once its head has: past it, 408.
    pub body_timeout: std::time::Duration,
    /// Where webhooks may send.
    pub webhooks: stride_app::webhooks::WebhookPolicy,
    /// How long a read asking for a position (`Stride-Min-Position`) waits for the projections
    /// it reads to apply it before it is answered 503 `projection_lagging`.
    pub min_position_wait: std::time::Duration,
    /// Proxies whose `Forwarded` and `X-Forwarded-For` headers name the client.
    pub trusted_proxies: client_address::TrustedProxies,
    /// How the server drains on SIGTERM.
    pub shutdown: drain::Shutdown,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            cors_origins: Vec::new(),
            workers: None,
            board_rate: rate_limit::BoardRate::default(),
            board_limits: rate_limit::LimitScope::default(),
            body_timeout: limits::BODY_TIMEOUT,
            webhooks: stride_app::webhooks::WebhookPolicy::default(),
            min_position_wait: stride_app::CATCH_UP_WAIT,
            trusted_proxies: client_address::TrustedProxies::default(),
            shutdown: drain::Shutdown::default(),
        }
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Stride",
        description = "The backend for social media teams that run their marketing as a marathon: goals and the steps toward them, a steady publishing pace, and a community board that brings the ideas. Every change is an event; every read is a projection of them.\n\nErrors are RFC 9457 `application/problem+json` with a stable `code`.\n\nA POST made with a token may carry `Idempotency-Key` (1 to 255 visible ASCII characters): a repeat with the same key and body within 24 hours, with the same token, returns the first response (with `Idempotent-Replayed: true`) and writes nothing; the same key with another body is 422 `idempotency_key_reused`, and while the first is still being handled 409 `idempotency_in_progress`. A key belongs to the token that sent it and is never replayed to another. POSTs made without a token (sign-up, joining a board) ignore the header: nothing an anonymous caller sends is theirs alone, and those answers hold a token shown once.\n\nAny request: its body must arrive within the server's body timeout (30 s unless configured otherwise), else 408 `request_timeout` and the connection is closed; its path and query may be at most 8 KiB (414 `uri_too_long`) and its headers at most 32 KiB together (431 `headers_too_large`). Far past those limits (a request target over 64 KiB, a head over 128 KiB or with more than 96 headers, a head taking over 5 s) the HTTP parser answers 400, 431 or 408 with an empty body and closes the connection.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    components(schemas(
        error::Problem,
        error::Code,
        error::FieldError,
        stride_app::idea_views::Sort,
        stride_domain::post::PostStatus,
        stride_app::exports::Dataset,
        stride_app::exports::Format,
        stride_app::imports::ImportDataset
    )),
    tags(
        (name = "teams", description = "Sign-up, the team and its settings"),
        (name = "members", description = "Who belongs to the team, with which role"),
        (name = "tokens", description = "Bearer tokens, shown once"),
        (name = "channels", description = "The platforms a team publishes on"),
        (name = "goals", description = "Long goals and the short steps toward them"),
        (name = "progress", description = "Where the team stands: progress, pace, suggestions and the channel assessment"),
        (name = "posts", description = "From draft to scheduled to published, with review when the team wants it"),
        (name = "ideas", description = "The team's side of the board: its own ideas, moderation, merges"),
        (name = "board", description = "A team's public community board: contributors, ideas, votes, comments"),
        (name = "events", description = "The raw event log and its live stream"),
        (name = "metrics", description = "Observations of followers, likes, clicks and more, over time"),
        (name = "webhooks", description = "Endpoints that hear of events, signed as Standard Webhooks 1.0 has it, delivered at least once"),
        (name = "workload", description = "Who does the work, week by week: pace, share, who carries the team"),
        (name = "experiments", description = "Strategy experiments: what a team changed, and whether it helped"),
        (name = "imports", description = "A team's history brought in from CSV, all or nothing, deduplicated"),
        (name = "exports", description = "A team's posts, ideas, metrics, goals and events as CSV or NDJSON, streamed"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
struct BaseDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The OpenAPI document of every registered route.
pub fn openapi() -> OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(BaseDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    contract::complete(api)
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            idempotency::IDEMPOTENCY_KEY,
            middleware::MIN_POSITION,
            middleware::REQUEST_ID,
            header::HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            routes::STRIDE_POSITION,
            middleware::REQUEST_ID,
            idempotency::REPLAYED,
        ])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

/// Starts serving on `listener`, with the projectors and webhook workers beside it: the
/// future ends when the server has stopped gracefully (on SIGTERM or Ctrl-C) and the
/// background work with it.
pub fn serve(
    listener: TcpListener,
    store: Store,
    config: HttpConfig,
) -> anyhow::Result<impl std::future::Future<Output = std::io::Result<()>> + Send + 'static> {
    let telemetry = web::Data::new(telemetry::Telemetry::new()?);
    let limiter = web::Data::new(rate_limit::BoardLimiter::new(
        config.board_rate,
        config.board_limits,
    ));
    let app = web::Data::new(stride_app::App {
        webhook_policy: config.webhooks,
        catch_up_wait: config.min_position_wait,
        ..stride_app::App::new(store.clone())
    });
    let store = web::Data::new(store);
    // The document is made once, kept as the bytes `/openapi.json` serves, and dropped: a
    // copy per worker (as the Swagger UI keeps it) held about 12 MB each.
    let (known, document) = {
        let spec = openapi();
        (
            web::Data::new(routing::Routes::new(&spec)),
            web::Bytes::from(serde_json::to_vec(&spec)?),
        )
    };
    let body_timeout = web::Data::new(limits::BodyTimeout(config.body_timeout));
    let trusted_proxies = web::Data::new(config.trusted_proxies.clone());
    let drain = drain::Drain::default();
    let draining = web::Data::new(drain.clone());
    // Every server process runs every projector; an advisory lock keeps one active each.
    let mut background: Vec<tokio::task::JoinHandle<()>> =
        stride_storage::registry::Registered::ALL
            .iter()
            .map(|projection| projection.spawn(&store))
            .collect();
    // And a webhook delivery worker; the outbox's rows are claimed, never sent twice at once.
    background.push(stride_app::delivery::spawn(stride_app::App::clone(&app)));
    // And a webhook signal watcher, active in one server at a time.
    background.push(stride_app::signals::spawn(stride_app::App::clone(&app)));
    // And, with shared board limits, the forgetting of clients that went quiet.
    if limiter.is_shared() {
        background.push(rate_limit::spawn_forgetting(Store::clone(&store)));
    }
    let origins = config.cors_origins.clone();
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(store.clone())
            .app_data(app.clone())
            .app_data(known.clone())
            .app_data(telemetry.clone())
            .app_data(limiter.clone())
            .app_data(body_timeout.clone())
            .app_data(trusted_proxies.clone())
            .app_data(draining.clone())
            .app_data(extract::path_config())
            .wrap(from_fn(middleware::min_position))
            .wrap(from_fn(idempotency::idempotency))
            .wrap(from_fn(rate_limit::limit_board_writes))
            // After the token is checked, so that a 405 tells nothing to a stranger.
            .wrap(from_fn(routing::served_methods))
            .wrap(from_fn(auth::team_routes))
            .wrap(from_fn(limits::body_deadline))
            .wrap(cors(&origins))
            // Every check below reads the path the router will match.
            .wrap(from_fn(canonical::canonical_path))
            .wrap(from_fn(limits::head_limits))
            .wrap(from_fn(middleware::observe))
            .into_utoipa_app()
            .configure(routes::configure)
            .into_app()
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header((header::LOCATION, "/docs/"))
                        .finish()
                }),
            )
            .route(
                "/openapi.json",
                web::get().to({
                    let document = document.clone();
                    move || {
                        let document = document.clone();
                        async move {
                            HttpResponse::Ok()
                                .content_type("application/json")
                                .body(document)
                        }
                    }
                }),
            )
            .configure(web_app::configure)
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .config(utoipa_swagger_ui::Config::from("/openapi.json")),
            )
            .default_service(web::to(routing::no_route))
    })
    .client_request_timeout(limits::HEAD_TIMEOUT)
    .shutdown_timeout(config.shutdown.grace.as_secs().max(1))
    // Signals are handled here, to drain first (see `drain`).
    .disable_signals();
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    let server = server.listen(listener)?.run();
    let signals = tokio::spawn(drain::on_signals(
        drain,
        config.shutdown,
        server.handle(),
        background.iter().map(|t| t.abort_handle()).collect(),
    ));
    // Once the last request is answered, the background work stops too (if draining has not
    // stopped it already), before the process lets go of its database: a projector's or the
    // watcher's leadership passes to another server when its connection closes.
    Ok(async move {
        let stopped = server.await;
        signals.abort();
        for task in background {
            task.abort();
        }
        stopped
    })
}
