//! Exports: a team's posts, ideas, observations, goals and events as CSV (RFC 4180, with a
//! header row) or NDJSON, streamed as they are read (see [`stride_storage::exports`]): the
//! memory of an export is that of a page or two, whatever the team's size.
//!
//! A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written
//! with a leading `'`, so that a spreadsheet shows it instead of running it as a formula
//! (OWASP's CSV injection advice). Numbers, instants and ids are written by Stride itself
//! and never start that way but for a minus sign, and stay as they are.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stride_domain::channel::Channel;
use stride_domain::idea::Author;
use stride_domain::metric::Metric;
use stride_domain::progress::report::GoalProgress;
use stride_domain::target::Target;
use stride_storage::exports::{Name, Page};
use stride_storage::registry::Registered;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::time_travel::{Inputs, Need, When};
use crate::{App, AppError};

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    Posts,
    Ideas,
    Metrics,
    Goals,
    Events,
}

impl Dataset {
    pub fn as_str(self) -> &'static str {
        match self {
            Dataset::Posts => "posts",
            Dataset::Ideas => "ideas",
            Dataset::Metrics => "metrics",
            Dataset::Goals => "goals",
            Dataset::Events => "events",
        }
    }

    pub fn parse(raw: &str) -> Option<Dataset> {
        [
            Dataset::Posts,
            Dataset::Ideas,
            Dataset::Metrics,
            Dataset::Goals,
            Dataset::Events,
        ]
        .into_iter()
        .find(|d| d.as_str() == raw)
    }
}

/// How an export is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// RFC 4180, a header row first.
    #[default]
    Csv,
    /// One JSON object per line.
    Ndjson,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Ndjson => "application/x-ndjson",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }
}

/// What to export.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    pub dataset: Dataset,
    pub format: Format,
    /// `[from, to)` on each record's own time: observed_at, published_at, submitted_at,
    /// starts_on, recorded_at.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// An export on its way: its file name and its bytes as they are read. An error part-way
/// ends the stream with it (the answer has begun: the client sees a cut-off download).
pub struct Export {
    pub filename: String,
    pub chunks: mpsc::Receiver<Result<Vec<u8>, AppError>>,
}

/// Post metrics exported as columns, each holding the post's latest value.
const POST_METRICS: [Metric; 6] = [
    Metric::Likes,
    Metric::Shares,
    Metric::Comments,
    Metric::Clicks,
    Metric::Traffic,
    Metric::Views,
];

/// Starts an export of the team's `wanted` data at `now`. The event log is for owners and
/// admins (`administers`), and NDJSON only.
#[tracing::instrument(skip_all, fields(team_id = %team_id, dataset = wanted.dataset.as_str()))]
pub async fn export(
    app: &App,
    team_id: Uuid,
    administers: bool,
    wanted: Wanted,
    now: DateTime<Utc>,
) -> Result<Export, AppError> {
    if let (Some(from), Some(to)) = (wanted.from, wanted.to)
        && to <= from
    {
        return Err(stride_domain::Invalid::new("to", "must be after from").into());
    }
    if wanted.dataset == Dataset::Events {
        if wanted.format == Format::Csv {
            return Err(stride_domain::Invalid::new(
                "format",
                "the events export is NDJSON only: ask for format=ndjson",
            )
            .into());
        }
        if !administers {
            return Err(AppError::Forbidden(
                "exports of the event log are for owners and admins",
            ));
        }
    }
    // Writes acknowledged before the export are in it.
    crate::caught_up(app, &Registered::READ).await?;
    let team = crate::teams::load(&app.store, team_id).await?;
    let filename = format!(
        "{}-{}-{}.{}",
        team.state.slug,
        wanted.dataset.as_str(),
        now.date_naive(),
        wanted.format.extension()
    );
    let (sender, chunks) = mpsc::channel(2);
    let app = app.clone();
    tokio::spawn(async move {
        let out = Out {
            sender,
            format: wanted.format,
        };
        let written = match wanted.dataset {
            Dataset::Metrics => metrics(&app, team_id, wanted, &out).await,
            Dataset::Posts => posts(&app, team_id, wanted, now, &out).await,
            Dataset::Ideas => ideas(&app, team_id, wanted, &out).await,
            Dataset::Goals => goals(&app, team_id, wanted, now, &out).await,
            Dataset::Events => events(&app, team_id, wanted, &out).await,
        };
        if let Err(error) = written {
            tracing::warn!(team_id = %team_id, error = %error, "an export ended early");
            let _ = out.sender.send(Err(error)).await;
        }
    });
    Ok(Export { filename, chunks })
}

/// One cell of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text from people: guarded against formulas in CSV.
    Text(String),
    Number(f64),
    Integer(i64),
    Time(DateTime<Utc>),
    Day(NaiveDate),
    Id(Uuid),
    Empty,
}

impl Cell {
    fn text(value: impl Into<String>) -> Cell {
        Cell::Text(value.into())
    }

    fn id(value: Option<Uuid>) -> Cell {
        value.map_or(Cell::Empty, Cell::Id)
    }

    fn time(value: Option<DateTime<Utc>>) -> Cell {
        value.map_or(Cell::Empty, Cell::Time)
    }

    fn number(value: Option<f64>) -> Cell {
        value.map_or(Cell::Empty, Cell::Number)
    }

    /// As a CSV field.
    fn csv(&self) -> String {
        match self {
            Cell::Text(text) => guarded(text),
            Cell::Number(n) => n.to_string(),
            Cell::Integer(n) => n.to_string(),
            Cell::Time(t) => t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            Cell::Day(d) => d.to_string(),
            Cell::Id(id) => id.to_string(),
            Cell::Empty => String::new(),
        }
    }

    fn json(&self) -> Value {
        match self {
            Cell::Text(text) => Value::String(text.clone()),
            Cell::Number(n) => serde_json::json!(n),
            Cell::Integer(n) => serde_json::json!(n),
            Cell::Empty => Value::Null,
            other => Value::String(other.csv()),
        }
    }
}

/// A value named as the API names it (`on_track`, `week`, ...).
fn named(value: &impl Serialize) -> Cell {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => Cell::Text(name),
        _ => Cell::Empty,
    }
}

/// A text cell as a spreadsheet must show it: one that would start a formula gets a
/// leading `'`.
pub fn guarded(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Rows written as CSV or NDJSON.
pub fn encode(format: Format, columns: &[&str], rows: &[Vec<Cell>], header: bool) -> Vec<u8> {
    match format {
        Format::Csv => {
            let mut writer = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(Vec::new());
            // Writing into memory cannot fail.
            if header {
                let _ = writer.write_record(columns);
            }
            for row in rows {
                let _ = writer.write_record(row.iter().map(Cell::csv));
            }
            writer.into_inner().unwrap_or_default()
        }
        Format::Ndjson => {
            // Written by hand to keep the columns' order (a JSON map would sort them).
            let mut out = Vec::new();
            for row in rows {
                out.push(b'{');
                for (i, (name, cell)) in columns.iter().zip(row).enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    let _ = serde_json::to_writer(&mut out, name);
                    out.push(b':');
                    let _ = serde_json::to_writer(&mut out, &cell.json());
                }
                out.extend_from_slice(b"}\n");
            }
            out
        }
    }
}

/// Where an export's bytes go.
struct Out {
    sender: mpsc::Sender<Result<Vec<u8>, AppError>>,
    format: Format,
}

/// The reader went away.
struct Gone;

impl Out {
    async fn send(&self, bytes: Vec<u8>) -> Result<(), Gone> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.sender.send(Ok(bytes)).await.map_err(|_| Gone)
    }

    /// The header row alone (CSV), sent at once: the download starts before the first page
    /// is read.
    async fn header(&self, columns: &[&str]) -> Result<(), Gone> {
        self.send(encode(self.format, columns, &[], true)).await
    }

    async fn rows(&self, columns: &[&str], rows: &[Vec<Cell>]) -> Result<(), Gone> {
        self.send(encode(self.format, columns, rows, false)).await
    }
}

/// Receives the pages of `receiver`, sending each as rows made by `rows`, until the pages
/// end or the reader goes away.
async fn each_page<T, F>(
    out: &Out,
    columns: &[&str],
    mut receiver: mpsc::Receiver<Page<T>>,
    mut rows: impl FnMut(Vec<T>) -> F,
) -> Result<(), AppError>
where
    F: std::future::Future<Output = Result<Vec<Vec<Cell>>, AppError>>,
{
    if out.header(columns).await.is_err() {
        return Ok(());
    }
    while let Some(page) = receiver.recv().await {
        let made = rows(page?).await?;
        if out.rows(columns, &made).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}

async fn channels(app: &App, team_id: Uuid) -> Result<BTreeMap<Uuid, Channel>, AppError> {
    let plans = app
        .store
        .read_models()
        .plans(team_id, Need::default())
        .await?;
    Ok(plans.channels.into_iter().map(|c| (c.id, c)).collect())
}

fn handle(channels: &BTreeMap<Uuid, Channel>, id: Uuid) -> Cell {
    channels
        .get(&id)
        .map_or(Cell::Empty, |c| Cell::text(c.handle.clone()))
}

const METRIC_COLUMNS: [&str; 8] = [
    "channel_id",
    "channel",
    "platform",
    "metric",
    "post_id",
    "observed_at",
    "value",
    "recorded_at",
];

async fn metrics(app: &App, team_id: Uuid, wanted: Wanted, out: &Out) -> Result<(), AppError> {
    let channels = channels(app, team_id).await?;
    let pages = app
        .store
        .exports()
        .observations(team_id, (wanted.from, wanted.to));
    each_page(out, &METRIC_COLUMNS, pages, |page| {
        let rows = page
            .into_iter()
            .map(|o| {
                let platform = channels
                    .get(&o.channel_id)
                    .map_or(Cell::Empty, |c| Cell::text(c.platform.as_str()));
                vec![
                    Cell::Id(o.channel_id),
                    handle(&channels, o.channel_id),
                    platform,
                    Cell::Text(o.metric),
                    Cell::id(o.post_id),
                    Cell::Time(o.observed_at),
                    Cell::Number(o.value),
                    Cell::Time(o.recorded_at),
                ]
            })
            .collect();
        std::future::ready(Ok(rows))
    })
    .await
}

fn in_window(at: DateTime<Utc>, wanted: &Wanted) -> bool {
    wanted.from.is_none_or(|from| at >= from) && wanted.to.is_none_or(|to| at < to)
}

async fn posts(
    app: &App,
    team_id: Uuid,
    wanted: Wanted,
    now: DateTime<Utc>,
    out: &Out,
) -> Result<(), AppError> {
    let channels = channels(app, team_id).await?;
    let channel_ids: Vec<Uuid> = channels.keys().copied().collect();
    let mut columns = vec![
        "id",
        "channel_id",
        "channel",
        "title",
        "status",
        "scheduled_for",
        "published_at",
        "url",
        "idea_id",
    ];
    columns.extend(POST_METRICS.iter().map(|m| m.as_str()));
    let windowed = wanted.from.is_some() || wanted.to.is_some();
    let pages = app.store.exports().posts(team_id);
    each_page(out, &columns, pages, |page| {
        let (app, channels, channel_ids) = (app, &channels, &channel_ids);
        async move {
            let page: Vec<_> = page
                .into_iter()
                .filter(|p| !windowed || p.published_at.is_some_and(|at| in_window(at, &wanted)))
                .collect();
            let ids: Vec<Uuid> = page.iter().map(|p| p.id).collect();
            let mut totals: BTreeMap<(Uuid, Metric), f64> = BTreeMap::new();
            if !ids.is_empty() {
                let found = app
                    .store
                    .read_models()
                    .post_totals(team_id, channel_ids, &ids, &POST_METRICS, now, None)
                    .await?;
                totals.extend(
                    found
                        .into_iter()
                        .map(|(post, metric, value)| ((post, metric), value)),
                );
            }
            Ok(page
                .into_iter()
                .map(|p| {
                    let mut row = vec![
                        Cell::Id(p.id),
                        Cell::Id(p.channel_id),
                        handle(channels, p.channel_id),
                        Cell::Text(p.title),
                        Cell::text(p.status.as_str()),
                        Cell::time(p.scheduled_for),
                        Cell::time(p.published_at),
                        p.url.map_or(Cell::Empty, Cell::Text),
                        Cell::id(p.idea_id),
                    ];
                    row.extend(
                        POST_METRICS
                            .iter()
                            .map(|m| Cell::number(totals.get(&(p.id, *m)).copied())),
                    );
                    row
                })
                .collect())
        }
    })
    .await
}

const IDEA_COLUMNS: [&str; 11] = [
    "id",
    "title",
    "status",
    "votes",
    "merged_into",
    "author_kind",
    "author",
    "tags",
    "channel_ids",
    "comments",
    "submitted_at",
];

async fn ideas(app: &App, team_id: Uuid, wanted: Wanted, out: &Out) -> Result<(), AppError> {
    let pages = app.store.exports().ideas(team_id, (wanted.from, wanted.to));
    each_page(out, &IDEA_COLUMNS, pages, |page| async move {
        let authors: Vec<Uuid> = page.iter().map(|i| i.idea.author.id()).collect();
        let names = app.store.exports().names(team_id, &authors).await?;
        Ok(page
            .into_iter()
            .map(|row| {
                let idea = row.idea;
                let kind = match idea.author {
                    Author::Contributor { .. } => "contributor",
                    Author::Member { .. } => "member",
                };
                let author = match names.get(&idea.author.id()) {
                    Some(Name::Given(name)) => Cell::Text(name.clone()),
                    Some(Name::Erased) => Cell::text("erased"),
                    Some(Name::None) | None => Cell::Empty,
                };
                let channel_ids: Vec<String> =
                    idea.channel_ids.iter().map(Uuid::to_string).collect();
                vec![
                    Cell::Id(idea.id),
                    Cell::Text(idea.title),
                    Cell::text(idea.status.as_str()),
                    Cell::Integer(i64::from(row.voters)),
                    Cell::id(idea.merged_into),
                    Cell::text(kind),
                    author,
                    Cell::Text(idea.tags.join(";")),
                    Cell::Text(channel_ids.join(";")),
                    Cell::Integer(i64::from(idea.comments)),
                    Cell::Time(row.submitted_at),
                ]
            })
            .collect())
    })
    .await
}

const GOAL_COLUMNS: [&str; 16] = [
    "id",
    "parent_goal_id",
    "title",
    "horizon",
    "starts_on",
    "due_on",
    "target",
    "channel_id",
    "metric",
    "target_value",
    "period",
    "status",
    "progress",
    "expected",
    "current",
    "baseline",
];

/// Goals are few: read whole, with their progress at the export's instant.
async fn goals(
    app: &App,
    team_id: Uuid,
    wanted: Wanted,
    now: DateTime<Utc>,
    out: &Out,
) -> Result<(), AppError> {
    let mut inputs = Inputs::load(app, team_id, When::default(), Need::default()).await?;
    inputs.t = now;
    let facts = inputs.facts(app, team_id).await?;
    let mut reports: BTreeMap<Uuid, GoalProgress> = BTreeMap::new();
    let mut stack = facts.report(now);
    while let Some(mut report) = stack.pop() {
        stack.append(&mut report.children);
        reports.insert(report.goal_id, report);
    }
    let mut rows = Vec::new();
    for goal in &facts.goals {
        let starts = stride_domain::progress::start_of(goal.starts_on);
        if !in_window(starts, &wanted) {
            continue;
        }
        let report = reports.get(&goal.id);
        let (kind, channel_id, metric, target_value, period) = match &goal.target {
            Some(Target::Metric {
                channel_id,
                metric,
                target_value,
                ..
            }) => (
                "metric",
                Some(*channel_id),
                Cell::text(metric.as_str()),
                Cell::Number(*target_value),
                Cell::Empty,
            ),
            Some(Target::Cadence {
                count,
                period,
                channel_id,
            }) => (
                "cadence",
                *channel_id,
                Cell::Empty,
                Cell::Integer(i64::from(*count)),
                named(period),
            ),
            None => ("steps", None, Cell::Empty, Cell::Empty, Cell::Empty),
        };
        let status = report.map_or(Cell::Empty, |r| named(&r.status));
        rows.push(vec![
            Cell::Id(goal.id),
            Cell::id(goal.parent_goal_id),
            Cell::Text(goal.title.clone()),
            named(&goal.horizon),
            Cell::Day(goal.starts_on),
            Cell::Day(goal.due_on),
            Cell::text(kind),
            Cell::id(channel_id),
            metric,
            target_value,
            period,
            status,
            Cell::number(report.and_then(|r| r.progress)),
            Cell::number(report.map(|r| r.expected)),
            Cell::number(report.and_then(|r| r.current)),
            Cell::number(report.and_then(|r| r.baseline)),
        ]);
    }
    if out.header(&GOAL_COLUMNS).await.is_ok() {
        let _ = out.rows(&GOAL_COLUMNS, &rows).await;
    }
    Ok(())
}

/// The log as `/events` serves it, a line per event.
async fn events(app: &App, team_id: Uuid, wanted: Wanted, out: &Out) -> Result<(), AppError> {
    let mut pages = app
        .store
        .exports()
        .events(team_id, (wanted.from, wanted.to));
    while let Some(page) = pages.recv().await {
        let mut bytes = Vec::new();
        for event in page? {
            serde_json::to_writer(&mut bytes, &event)
                .map_err(|e| stride_storage::StoreError::Internal(e.into()))?;
            bytes.push(b'\n');
        }
        if out.send(bytes).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_it_must_guards_formulas_and_ends_lines_with_crlf() {
        let rows = vec![vec![
            Cell::text("=HYPERLINK(\"http://x\")"),
            Cell::text("a, \"quoted\"\nline"),
            Cell::Number(-5.5),
            Cell::text("@sum"),
            Cell::Empty,
        ]];
        let written = encode(Format::Csv, &["a", "b", "c", "d", "e"], &rows, true);
        assert_eq!(
            String::from_utf8(written).unwrap(),
            "a,b,c,d,e\r\n\"'=HYPERLINK(\"\"http://x\"\")\",\"a, \"\"quoted\"\"\nline\",-5.5,'@sum,\r\n"
        );
    }

    #[test]
    fn ndjson_keeps_text_as_written_and_numbers_as_numbers() {
        let rows = vec![vec![Cell::text("-1"), Cell::Integer(3), Cell::Empty]];
        let written = encode(Format::Ndjson, &["t", "n", "e"], &rows, true);
        assert_eq!(
            String::from_utf8(written).unwrap(),
            "{\"t\":\"-1\",\"n\":3,\"e\":null}\n"
        );
    }

    #[test]
    fn only_a_formula_start_is_guarded() {
        for (raw, shown) in [
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("\tx", "'\tx"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(guarded(raw), shown);
        }
    }
}
