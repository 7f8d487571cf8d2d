//! Exports: a team's data as CSV or NDJSON, streamed as it is read.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use chrono::Utc;
use futures_util::stream;
use serde::Deserialize;
use stride_app::exports::{self, Dataset, Format, Wanted};
use stride_domain::bounds::Moment;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::Reply;
use crate::auth::Member;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Ctx};

pub fn configure(config: &mut ServiceConfig) {
    config.service(export_dataset);
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (the default; RFC 4180 with a header row) or `ndjson` (one object per line).
    /// The event log is NDJSON only.
    #[serde(default)]
    pub format: Format,
    /// Inclusive start on each record's own time (observed_at, published_at,
    /// submitted_at, starts_on, recorded_at), RFC 3339, years 2000 to 2100.
    #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
    pub from: Option<Moment>,
    /// Exclusive end, RFC 3339, years 2000 to 2100.
    #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
    pub to: Option<Moment>,
}

/// Exports a dataset of the team
///
/// `posts` (every post with its status and, per metric, its latest value: `likes`,
/// `shares`, ...), `ideas` (votes, status, merged into, author: `erased` once erased),
/// `metrics` (every observation), `goals` (with their progress now) or `events` (the log,
/// NDJSON only, for owners and admins). Any member may export the others. The file is
/// streamed as it is read, whatever its size, and named
/// `<team-slug>-<dataset>-<date>.<csv|ndjson>`. A text cell that starts with `=`, `+`, `-`
/// or `@` is written with a leading `'`, so that spreadsheets never run it.
#[utoipa::path(tag = "exports",
    params(("dataset" = Dataset, Path, description = "What to export."), ExportQuery),
    responses((status = 200, description = "The file, streamed.",
        content((String = "text/csv"), (String = "application/x-ndjson")),
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"<team-slug>-<dataset>-<date>.<csv|ndjson>\"`")))),
)]
#[get("/exports/{dataset}")]
async fn export_dataset(
    ctx: Ctx,
    caller: Member,
    dataset: web::Path<(String, String)>,
    query: ApiQuery<ExportQuery>,
) -> Reply {
    let (_, dataset) = dataset.into_inner();
    let dataset = Dataset::parse(&dataset).ok_or_else(|| ApiError::not_found("export"))?;
    let query = query.into_inner();
    let wanted = Wanted {
        dataset,
        format: query.format,
        from: query.from.map(Moment::get),
        to: query.to.map(Moment::get),
    };
    let export = exports::export(
        &ctx.app,
        caller.team_id,
        caller.may_administer().is_ok(),
        wanted,
        Utc::now(),
    )
    .await?;
    let body = stream::unfold(export.chunks, |mut chunks| async move {
        let chunk = chunks.recv().await?;
        let chunk = chunk
            .map(web::Bytes::from)
            .map_err(|error| std::io::Error::other(error.to_string()));
        Some((chunk, chunks))
    });
    Ok(HttpResponse::Ok()
        .content_type(wanted.format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", export.filename),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}
