//! The reference web app, served from assets built into the binary: the team dashboard under
//! `/app/`, a team's public board at `/b/{slug}`, and their scripts and stylesheet under
//! `/assets/`. The pages call the API on the same origin, so they need no CORS setting.
//!
//! The assets are `web/dist/` as committed (built from `web/src/` by `npm run build` in
//! `web/`), so building and running Stride needs no Node.js.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

/// One file of the app.
struct Asset {
    body: &'static [u8],
    content_type: &'static str,
    /// A strong validator of the body, made when the binary is built.
    etag: &'static str,
}

macro_rules! asset {
    ($file:literal, $content_type:literal) => {{
        const BODY: &[u8] = include_bytes!(concat!("../../../web/dist/", $file));
        const ETAG: [u8; 18] = etag(BODY);
        Asset {
            body: BODY,
            content_type: $content_type,
            etag: match std::str::from_utf8(&ETAG) {
                Ok(etag) => etag,
                Err(_) => panic!("an ETag is ASCII"),
            },
        }
    }};
}

const DASHBOARD: Asset = asset!("dashboard.html", "text/html; charset=utf-8");
const BOARD: Asset = asset!("board.html", "text/html; charset=utf-8");
const SCRIPTS_AND_STYLES: [(&str, Asset); 3] = [
    (
        "dashboard.js",
        asset!("dashboard.js", "text/javascript; charset=utf-8"),
    ),
    (
        "board.js",
        asset!("board.js", "text/javascript; charset=utf-8"),
    ),
    ("app.css", asset!("app.css", "text/css; charset=utf-8")),
];

/// What the pages may load and call: scripts and styles of this origin only, nothing inline,
/// no framing. Beside this origin the dashboard calls one other: the team's sign-in
/// provider (its discovery document and token endpoint), which is `https`, or `http` on
/// this machine, as a team's issuer must be.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self' https: http://127.0.0.1:* http://localhost:*; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// `"` + 16 hex digits of the body's FNV-1a hash + `"`, computed at compile time.
const fn etag(body: &[u8]) -> [u8; 18] {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < body.len() {
        hash ^= body[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    let digits = b"0123456789abcdef";
    let mut out = [b'"'; 18];
    let mut n = 0;
    while n < 16 {
        out[1 + n] = digits[((hash >> (60 - 4 * n)) & 0xf) as usize];
        n += 1;
    }
    out
}

/// The app's routes.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route(
            "/app",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header((header::LOCATION, "/app/"))
                    .finish()
            }),
        )
        .route("/app/{_:.*}", web::get().to(dashboard))
        .route("/b/{slug}", web::get().to(board))
        .route("/b/{slug}/{_:.*}", web::get().to(board))
        .route("/assets/{file}", web::get().to(asset));
}

async fn dashboard(req: HttpRequest) -> HttpResponse {
    serve(&req, &DASHBOARD)
}

async fn board(req: HttpRequest) -> HttpResponse {
    serve(&req, &BOARD)
}

async fn asset(req: HttpRequest, file: web::Path<String>) -> HttpResponse {
    match SCRIPTS_AND_STYLES
        .iter()
        .find(|(name, _)| *name == file.as_str())
    {
        Some((_, asset)) => serve(&req, asset),
        None => crate::error::ApiError::not_found("asset").error_response(),
    }
}

/// The asset, or 304 when the client holds this very version. Browsers revalidate each time
/// (`no-cache`), so a new binary's app is picked up on the next load.
fn serve(req: &HttpRequest, asset: &Asset) -> HttpResponse {
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == asset.etag));
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, asset.etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    if asset.content_type.starts_with("text/html") {
        response.insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ));
    }
    if fresh {
        response.finish()
    } else {
        response.content_type(asset.content_type).body(asset.body)
    }
}
