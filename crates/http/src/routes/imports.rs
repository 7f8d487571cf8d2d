//! Imports: a team's history brought in from CSV, all or nothing.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, post, web};
use chrono::Utc;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use stride_app::imports::{self, BODY_MAX, ImportDataset, Imported};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{Reply, written};
use crate::auth::Admin;
use crate::error::{ApiError, Code};
use crate::extract::{ApiQuery, Ctx, check_declared_length, read_limited};

pub fn configure(config: &mut ServiceConfig) {
    config.service(import_dataset);
}

/// A `text/csv` body of at most [`BODY_MAX`] bytes, read whole before anything is done with
/// it: a body cut off on the way writes nothing.
pub struct CsvBody(pub web::Bytes);

impl FromRequest for CsvBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let csv = req
            .mime_type()
            .ok()
            .flatten()
            .is_some_and(|mime| mime.essence_str() == "text/csv");
        let declared = check_declared_length(req, BODY_MAX);
        let payload = payload.take();
        Box::pin(async move {
            if !csv {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    Code::UnsupportedMediaType,
                    "send the file as CSV with Content-Type: text/csv",
                ));
            }
            declared?;
            let body = read_limited(payload, BODY_MAX, |e| {
                format!("the file did not arrive whole, and nothing was imported: {e}")
            })
            .await?;
            Ok(CsvBody(body))
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check the file and answer what it would import, writing nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Imports a team's history from CSV
///
/// Owners and admins bring in `metrics` (`channel,metric,value,observed_at[,post_id]`) or
/// published `posts` (`channel,title,url,published_at[,body]`): `text/csv` with a header
/// row, UTF-8 (a byte-order mark and CRLF line ends are fine), at most 50 MB and 200,000
/// rows. `channel` is a channel's id or its handle. Instants are RFC 3339,
/// `2026-11-02 10:00` (UTC) or a day. Every line is checked against the same bounds as the
/// API first: any problem refuses the whole file (422 `import_rejected`, each problem in
/// `rejected` with its line, the header being line 1) and nothing is written. Importing the
/// same file again changes nothing: observations are the same by channel, metric, post and
/// instant, posts by channel and URL. Imported history is recorded as events marked with
/// the import's id (`metadata.import_id`): observations count by when they were observed,
/// and `known_at` sees them from the import on. Imported posts are published history: they
/// wait for no review.
#[utoipa::path(tag = "imports",
    params(("dataset" = ImportDataset, Path, description = "What the file holds."), ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "The file, a header row first."),
    responses((status = 200, description = "What was imported (or, with `dry_run`, would be).", body = Imported)),
    extensions(("x-problems" = json!(["import_rejected"]))),
)]
#[post("/imports/{dataset}")]
async fn import_dataset(
    ctx: Ctx,
    caller: Admin,
    path: web::Path<(String, String)>,
    query: ApiQuery<ImportQuery>,
    body: CsvBody,
) -> Reply {
    let (_, dataset) = path.into_inner();
    let dataset = ImportDataset::parse(&dataset).ok_or_else(|| ApiError::not_found("import"))?;
    let origin = ctx.origin(caller.actor());
    let imported = imports::import(
        &ctx.app,
        &origin,
        caller.team_id,
        dataset,
        &body.0,
        query.dry_run,
        Utc::now(),
    )
    .await?;
    let position = imported.position;
    Ok(written(StatusCode::OK, &imported, None, position))
}
