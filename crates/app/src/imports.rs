//! Imports: a team's history brought in from a CSV file (RFC 4180 with a header row, UTF-8,
//! a byte-order mark and CRLF line ends allowed, quoted fields may hold newlines), all or
//! nothing. Every line is checked against the same bounds as the API before anything is
//! written; any rejected line refuses the file with every problem listed (up to
//! [`REJECTED_MAX`]). Importing the same file again changes nothing: observations are
//! deduplicated by (channel, metric, post, observed_at), posts by (channel, url).
//!
//! Imported history is recorded as events like any other, marked with the import's id in
//! their metadata: observations as one `MetricsRecorded` per channel (of at most
//! `metric::EVENT_MAX` each), in one transaction; a post as `PostDrafted` and a backdated
//! `PostPublished`. So `as_of` counts imported history by when it happened, and `known_at`
//! sees it only from the import on.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use stride_domain::EventPayload;
use stride_domain::channel::{Channel, ChannelStatus};
use stride_domain::metric::{self, Metric, Observation};
use stride_domain::post::{self, NewPost, PostCommand, PostContext, PostError, PostEvent};
use stride_domain::{Aggregate, bounds};
use stride_storage::registry::Registered;
use stride_storage::{AppendRequest, ExpectedVersion};
use uuid::Uuid;

use crate::time_travel::Need;
use crate::{App, AppError, Origin};

/// The largest file, in bytes.
pub const BODY_MAX: usize = 50 * 1024 * 1024;
/// The most data rows in one file.
pub const ROWS_MAX: usize = 200_000;
/// The most rejected lines listed.
pub const REJECTED_MAX: usize = 1000;
/// Posts written per transaction: two events each, within what one transaction may hold.
const POSTS_PER_TRANSACTION: usize = 16_000;

/// What can be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImportDataset {
    /// `channel,metric,value,observed_at[,post_id]`
    Metrics,
    /// Published history: `channel,title,url,published_at[,body]`
    Posts,
}

impl ImportDataset {
    pub fn parse(raw: &str) -> Option<ImportDataset> {
        match raw {
            "metrics" => Some(ImportDataset::Metrics),
            "posts" => Some(ImportDataset::Posts),
            _ => None,
        }
    }

    /// The columns a file must have, then those it may have.
    fn columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            ImportDataset::Metrics => {
                (&["channel", "metric", "value", "observed_at"], &["post_id"])
            }
            ImportDataset::Posts => (&["channel", "title", "url", "published_at"], &["body"]),
        }
    }
}

/// One problem with one line of a file (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rejected {
    pub line: u64,
    /// The column, or `header`, `row` or `encoding`.
    pub field: String,
    pub message: String,
}

/// What an import did, or would do (`dry_run`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Imported {
    /// Rows written (or that would be): new, or changed values of observations.
    pub accepted: usize,
    /// Rows already there (or repeated within the file): nothing written for them.
    pub duplicates: usize,
    /// Always empty here: a file with a rejected line is refused whole.
    pub rejected: Vec<Rejected>,
    /// The position of the last event written, 0 when nothing was.
    #[serde(skip)]
    pub position: i64,
}

/// Why a file was refused: its rejected lines (the first [`REJECTED_MAX`]) and how many
/// problems there were in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedFile {
    pub rejected: Vec<Rejected>,
    pub total: usize,
}

/// Problems found while reading a file, at most [`REJECTED_MAX`] kept.
#[derive(Default)]
struct Problems {
    kept: Vec<Rejected>,
    total: usize,
}

impl Problems {
    fn add(&mut self, line: u64, field: &str, message: impl Into<String>) {
        self.total += 1;
        if self.kept.len() < REJECTED_MAX {
            self.kept.push(Rejected {
                line,
                field: field.to_owned(),
                message: message.into(),
            });
        }
    }

    /// The file's refusal, once any problem was found.
    fn check(&mut self) -> Result<(), AppError> {
        if self.total == 0 {
            return Ok(());
        }
        let mut problems = std::mem::take(self);
        // Lines in order, each line's problems in the order of its columns.
        problems.kept.sort_by_key(|r| r.line);
        Err(AppError::ImportRejected(RejectedFile {
            rejected: problems.kept,
            total: problems.total,
        }))
    }
}

/// A data row as it is read: its line and its cells, found by column through the file's
/// header. Rows are handled one at a time and never kept: an import's memory is that of
/// what it makes of them.
struct Row<'a> {
    line: u64,
    record: &'a csv::StringRecord,
    header: &'a BTreeMap<String, usize>,
}

impl Row<'_> {
    fn cell(&self, column: &str) -> &str {
        self.header
            .get(column)
            .and_then(|i| self.record.get(*i))
            .map_or("", str::trim)
    }
}

/// Line numbers of a file by byte offset, counted forward (offsets only grow).
struct Lines<'a> {
    body: &'a [u8],
    at: usize,
    line: u64,
}

impl Lines<'_> {
    /// The line of the record that the reader places at `byte`. The reader places a record
    /// after a CRLF at the CRLF's `\n`: the record starts past any line end there.
    fn of(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.body.len());
        while start < self.body.len() && matches!(self.body[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > self.at {
            self.line += self.body[self.at..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.at = start;
        }
        self.line
    }
}

/// Reads a file, checking its encoding, header and shape, and hands each row that can be
/// read to `each` with the file's problems so far; answers them all.
fn read(
    body: &[u8],
    dataset: ImportDataset,
    mut each: impl FnMut(Row<'_>, &mut Problems),
) -> Result<Problems, AppError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut problems = Problems::default();
    if let Err(error) = std::str::from_utf8(body) {
        let before = &body[..error.valid_up_to()];
        let line = 1 + before.iter().filter(|b| **b == b'\n').count() as u64;
        problems.add(
            line,
            "encoding",
            "is not UTF-8: save the file as UTF-8 (\"CSV UTF-8\" in a spreadsheet)",
        );
        problems.check()?;
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        problems.add(
            1,
            "header",
            "the file is empty: it needs a header row and data rows",
        );
        problems.check()?;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(body);
    let header: Vec<String> = match reader.headers() {
        Ok(header) => header.iter().map(|c| c.trim().to_lowercase()).collect(),
        Err(error) => {
            problems.add(1, "header", format!("could not be read: {error}"));
            problems.check()?;
            return Ok(problems);
        }
    };
    let (required, optional) = dataset.columns();
    let expected = format!(
        "the columns are {}{}",
        required.join(", "),
        optional
            .iter()
            .map(|c| format!(" and optionally {c}"))
            .collect::<String>()
    );
    let mut seen = BTreeSet::new();
    for column in &header {
        if !required.contains(&column.as_str()) && !optional.contains(&column.as_str()) {
            problems.add(
                1,
                column,
                format!("is not a column of this import: {expected}"),
            );
        } else if !seen.insert(column.clone()) {
            problems.add(1, column, "appears twice");
        }
    }
    for column in required {
        if !header.iter().any(|c| c == column) {
            problems.add(1, column, format!("is missing: {expected}"));
        }
    }
    problems.check()?;
    let columns: BTreeMap<String, usize> = header
        .iter()
        .enumerate()
        .map(|(i, c)| (c.clone(), i))
        .collect();
    let mut lines = Lines {
        body,
        at: 0,
        line: 1,
    };
    let mut count = 0;
    let mut record = csv::StringRecord::new();
    loop {
        let read = reader.read_record(&mut record);
        let record = match read {
            Ok(true) => &record,
            Ok(false) => break,
            Err(error) => {
                let line = lines.of(error.position().map_or(0, |p| p.byte()));
                problems.add(line, "row", format!("could not be read: {error}"));
                continue;
            }
        };
        count += 1;
        if count > ROWS_MAX {
            return Err(AppError::ImportTooLarge(format!(
                "a file holds at most {ROWS_MAX} rows; split it"
            )));
        }
        let line = lines.of(record.position().map_or(0, |p| p.byte()));
        if record.len() != header.len() {
            problems.add(
                line,
                "row",
                format!(
                    "has {} fields where the header has {}",
                    record.len(),
                    header.len()
                ),
            );
            continue;
        }
        if record.iter().any(|c| c.contains('\0')) {
            problems.add(line, "row", "holds a NUL character");
            continue;
        }
        each(
            Row {
                line,
                record,
                header: &columns,
            },
            &mut problems,
        );
    }
    if count == 0 {
        problems.add(1, "header", "the file has a header and no rows");
    }
    Ok(problems)
}

/// An instant as a file may give it: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` (UTC), or a day
/// (its start, UTC).
fn instant(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(at.and_utc());
        }
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .map(stride_domain::progress::start_of)
}

const INSTANT_FORMATS: &str =
    "is not an instant: write 2026-11-02T10:00:00Z, 2026-11-02 10:00 (UTC) or 2026-11-02";

/// A cell as a problem quotes it: at most 60 characters, so that a huge cell is not sent
/// back whole in every answer.
fn shown(cell: &str) -> String {
    let kept: String = cell.chars().take(60).collect();
    if kept.len() < cell.len() {
        format!("{kept:?}...")
    } else {
        format!("{kept:?}")
    }
}

/// The team's channels, found by id or by handle.
struct Channels(Vec<Channel>);

impl Channels {
    fn find(&self, raw: &str) -> Result<&Channel, String> {
        if let Ok(id) = Uuid::parse_str(raw) {
            return self
                .0
                .iter()
                .find(|c| c.id == id)
                .ok_or_else(|| "is not a channel of this team".to_owned());
        }
        let bare = |h: &str| h.trim_start_matches('@').to_lowercase();
        let wanted = bare(raw);
        if wanted.is_empty() {
            return Err("is required: a channel's id or handle".to_owned());
        }
        let found: Vec<&Channel> = self
            .0
            .iter()
            .filter(|c| bare(&c.handle) == wanted)
            .collect();
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(format!(
                "{} is not a channel of this team: name it by its id or handle",
                shown(raw)
            )),
            _ => Err(format!(
                "{} is the handle of {} channels: name it by its id",
                shown(raw),
                found.len()
            )),
        }
    }
}

/// Imports a file of `dataset` into the team; with `dry_run`, checks it and writes nothing.
#[tracing::instrument(skip_all, fields(team_id = %team_id, bytes = body.len(), dry_run))]
pub async fn import(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    dataset: ImportDataset,
    body: &[u8],
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<Imported, AppError> {
    // The channels and posts written before the import are in the plans read here.
    crate::caught_up(app, &[Registered::Aggregates]).await?;
    let plans = app
        .store
        .read_models()
        .plans(
            team_id,
            Need {
                all_posts: true,
                ..Need::default()
            },
        )
        .await?;
    let channels = Channels(plans.channels);
    let mut metadata = origin.metadata();
    metadata.import_id = Some(Uuid::now_v7());
    match dataset {
        ImportDataset::Metrics => {
            let mut parsed = MetricRows::new(&channels, now);
            let problems = read(body, dataset, |row, problems| parsed.row(&row, problems))?;
            let observations = parsed.finish(app, team_id, problems).await?;
            let store = app.store.observations();
            if dry_run {
                let duplicates = store.unchanged(team_id, &observations).await?;
                return Ok(outcome(observations.len() - duplicates, duplicates, 0));
            }
            let recorded = store.record(team_id, &observations, &metadata).await?;
            Ok(outcome(
                recorded.recorded + recorded.corrected,
                recorded.unchanged,
                recorded.position,
            ))
        }
        ImportDataset::Posts => {
            let existing: BTreeSet<(Uuid, String)> = plans
                .posts
                .iter()
                .filter_map(|p| p.url.clone().map(|url| (p.channel_id, url)))
                .collect();
            let mut parsed = PostRows::new(&channels, &existing, now);
            let mut problems = read(body, dataset, |row, problems| parsed.row(&row, problems))?;
            problems.check()?;
            let (new, duplicates) = (parsed.new, parsed.duplicates);
            if dry_run || new.is_empty() {
                return Ok(outcome(new.len(), duplicates, 0));
            }
            let mut position = 0;
            for chunk in new.chunks(POSTS_PER_TRANSACTION) {
                let requests = chunk
                    .iter()
                    .map(|(post_id, events)| {
                        AppendRequest::new(
                            team_id,
                            *post_id,
                            ExpectedVersion::NoStream,
                            events,
                            metadata.clone(),
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                for appended in app.store.events().append_all(requests).await? {
                    position = position.max(appended.position);
                }
            }
            Ok(outcome(new.len(), duplicates, position))
        }
    }
}

fn outcome(accepted: usize, duplicates: usize, position: i64) -> Imported {
    Imported {
        accepted,
        duplicates,
        rejected: Vec::new(),
        position,
    }
}

/// A file's observations as they are read, every line checked as the API checks a batch.
struct MetricRows<'a> {
    channels: &'a Channels,
    now: DateTime<Utc>,
    observations: Vec<Observation>,
    /// The lines naming a post, to check once every post named is known.
    named: Vec<(u64, Uuid)>,
}

impl<'a> MetricRows<'a> {
    fn new(channels: &'a Channels, now: DateTime<Utc>) -> MetricRows<'a> {
        MetricRows {
            channels,
            now,
            observations: Vec::new(),
            named: Vec::new(),
        }
    }

    fn row(&mut self, row: &Row<'_>, problems: &mut Problems) {
        let before = problems.total;
        let channel = self
            .channels
            .find(row.cell("channel"))
            .map_err(|message| problems.add(row.line, "channel", message))
            .ok();
        let metric = Metric::parse(&row.cell("metric").to_lowercase());
        if metric.is_none() {
            let known: Vec<&str> = Metric::ALL.iter().map(|m| m.as_str()).collect();
            problems.add(
                row.line,
                "metric",
                format!(
                    "{} is not a metric: one of {}",
                    shown(row.cell("metric")),
                    known.join(", ")
                ),
            );
        }
        let value = match row.cell("value").parse::<f64>() {
            Ok(value) => bounds::quantity(value)
                .map_err(|message| problems.add(row.line, "value", message))
                .ok(),
            Err(_) => {
                problems.add(
                    row.line,
                    "value",
                    format!(
                        "{} is not a number: write it like 1234 or 1234.5, without separators",
                        shown(row.cell("value"))
                    ),
                );
                None
            }
        };
        let observed_at = match instant(row.cell("observed_at")) {
            Some(at) => bounds::instant(at)
                .map_err(|message| problems.add(row.line, "observed_at", message))
                .ok()
                .filter(|at| {
                    let ahead = *at > self.now + chrono::Duration::days(1);
                    if ahead {
                        problems.add(row.line, "observed_at", "is more than a day in the future");
                    }
                    !ahead
                }),
            None => {
                problems.add(row.line, "observed_at", INSTANT_FORMATS);
                None
            }
        };
        let post_id = match row.cell("post_id") {
            "" => None,
            raw => match Uuid::parse_str(raw) {
                Ok(id) => Some(id),
                Err(_) => {
                    problems.add(row.line, "post_id", "is not a post id");
                    None
                }
            },
        };
        if problems.total > before {
            return;
        }
        if let (Some(channel), Some(metric), Some(value), Some(observed_at)) =
            (channel, metric, value, observed_at)
        {
            if let Some(post_id) = post_id {
                self.named.push((row.line, post_id));
            }
            self.observations.push(Observation {
                channel_id: channel.id,
                metric,
                value,
                observed_at,
                post_id,
            });
        }
    }

    /// The observations, once every post they name is found to be the team's.
    async fn finish(
        self,
        app: &App,
        team_id: Uuid,
        mut problems: Problems,
    ) -> Result<Vec<Observation>, AppError> {
        let mut ids: Vec<Uuid> = self.named.iter().map(|(_, id)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        let posts = app
            .store
            .events()
            .existing_streams(team_id, PostEvent::STREAM_TYPE, &ids)
            .await?;
        for (line, id) in &self.named {
            if !posts.contains(id) {
                problems.add(*line, "post_id", "is not a post of this team");
            }
        }
        problems.check()?;
        // The API's own rule for a batch, row by row, as a last word.
        for chunk in self.observations.chunks(metric::BATCH_MAX) {
            metric::check_batch(chunk, self.now, |_| true, |_| true)?;
        }
        Ok(self.observations)
    }
}

/// A post to write: its id and its events.
type NewPostEvents = (Uuid, Vec<PostEvent>);

/// A file's posts as they are read: those not already there, each decided as the API
/// decides a draft and its publication (backdated); and how many were there already (or
/// repeated in the file).
struct PostRows<'a> {
    channels: &'a Channels,
    existing: &'a BTreeSet<(Uuid, String)>,
    context: PostContext,
    seen: BTreeSet<(Uuid, String)>,
    new: Vec<NewPostEvents>,
    duplicates: usize,
}

impl<'a> PostRows<'a> {
    fn new(
        channels: &'a Channels,
        existing: &'a BTreeSet<(Uuid, String)>,
        now: DateTime<Utc>,
    ) -> PostRows<'a> {
        let context = PostContext {
            now,
            // Imported history went out already: it waits for no approval.
            require_approval: false,
            may_approve: true,
            channels: channels
                .0
                .iter()
                .filter(|c| c.status != ChannelStatus::Retired)
                .map(|c| c.id)
                .collect(),
            goals: BTreeSet::new(),
            members: BTreeSet::new(),
        };
        PostRows {
            channels,
            existing,
            context,
            seen: BTreeSet::new(),
            new: Vec::new(),
            duplicates: 0,
        }
    }

    fn row(&mut self, row: &Row<'_>, problems: &mut Problems) {
        let channel = match self.channels.find(row.cell("channel")) {
            Ok(channel) => channel,
            Err(message) => {
                problems.add(row.line, "channel", message);
                return;
            }
        };
        let url = row.cell("url");
        if url.is_empty() {
            problems.add(
                row.line,
                "url",
                "is required: a published post's address tells it from the others",
            );
            return;
        }
        let Some(published_at) = instant(row.cell("published_at")) else {
            problems.add(row.line, "published_at", INSTANT_FORMATS);
            return;
        };
        let post_id = Uuid::new_v5(&channel.id, url.as_bytes());
        let body = Some(row.cell("body").to_owned()).filter(|b| !b.is_empty());
        let draft = PostCommand::DraftPost(NewPost {
            post_id,
            channel_id: channel.id,
            title: row.cell("title").to_owned(),
            body,
            idea_id: None,
            goal_ids: Vec::new(),
            scheduled_for: None,
            assignee_id: None,
        });
        let context = &self.context;
        let decided = post::decide(None, draft, context).and_then(|mut events| {
            let drafted = post::Post::fold(&events);
            let publish = PostCommand::Publish {
                published_at: Some(published_at),
                url: Some(url.to_owned()),
            };
            events.extend(post::decide(drafted.as_ref(), publish, context)?);
            Ok(events)
        });
        let events = match decided {
            Ok(events) => events,
            Err(PostError::Invalid(invalid)) => {
                let field = match invalid.field {
                    "channel_id" => "channel",
                    other => other,
                };
                problems.add(row.line, field, invalid.message);
                return;
            }
            Err(other) => {
                problems.add(row.line, "row", other.to_string());
                return;
            }
        };
        // The stored URL is the checked one.
        let stored_url = events.iter().find_map(|e| match e {
            PostEvent::PostPublished { url, .. } => url.clone(),
            _ => None,
        });
        let key = (channel.id, stored_url.unwrap_or_else(|| url.to_owned()));
        if self.existing.contains(&key) || !self.seen.insert(key) {
            self.duplicates += 1;
            return;
        }
        self.new.push((post_id, events));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(body: &str, dataset: ImportDataset) -> Result<Vec<u64>, Vec<Rejected>> {
        let mut lines = Vec::new();
        match read(body.as_bytes(), dataset, |row, _| lines.push(row.line)) {
            Ok(mut problems) => {
                problems.check().map_err(|e| match e {
                    AppError::ImportRejected(file) => file.rejected,
                    other => panic!("{other}"),
                })?;
                Ok(lines)
            }
            Err(AppError::ImportRejected(file)) => Err(file.rejected),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn a_bom_crlf_and_quoted_newlines_are_read_with_each_row_at_its_line() {
        let body = "\u{feff}channel,metric,value,observed_at\r\n@acme,likes,1,2026-11-02\r\n\"@ac\nme\",likes,2,2026-11-02\r\n@acme,likes,3,2026-11-02\r\n";
        assert_eq!(lines(body, ImportDataset::Metrics), Ok(vec![2, 3, 5]));
    }

    #[test]
    fn a_bad_header_names_every_unknown_missing_or_repeated_column() {
        let rejected = lines(
            "Channel,value,colour,value\n@a,1,red,2\n",
            ImportDataset::Metrics,
        )
        .unwrap_err();
        let fields: Vec<(u64, &str)> = rejected
            .iter()
            .map(|r| (r.line, r.field.as_str()))
            .collect();
        assert_eq!(
            fields,
            vec![
                (1, "colour"),
                (1, "value"),
                (1, "metric"),
                (1, "observed_at")
            ]
        );
    }

    #[test]
    fn another_encoding_an_empty_file_and_a_short_row_are_refused_at_their_line() {
        let latin1 = b"channel,metric,value,observed_at\n@caf\xe9,likes,1,2026-11-02\n";
        match read(latin1, ImportDataset::Metrics, |_, _| {}) {
            Err(AppError::ImportRejected(file)) => {
                assert_eq!(
                    (file.rejected[0].line, file.rejected[0].field.as_str()),
                    (2, "encoding")
                );
            }
            _ => panic!("a Latin-1 file was read"),
        }
        assert_eq!(
            lines("", ImportDataset::Posts).unwrap_err()[0].field,
            "header"
        );
        let short = lines(
            "channel,metric,value,observed_at\n@a,likes,1\n",
            ImportDataset::Metrics,
        );
        assert_eq!(
            short.unwrap_err()[0],
            Rejected {
                line: 2,
                field: "row".into(),
                message: "has 3 fields where the header has 4".into()
            }
        );
    }

    #[test]
    fn a_problem_quotes_at_most_60_characters_of_a_cell() {
        assert_eq!(shown("1,000"), "\"1,000\"");
        let long = shown(&"x".repeat(10_000));
        assert_eq!(long, format!("{:?}...", "x".repeat(60)));
    }

    #[test]
    fn instants_come_as_rfc_3339_a_utc_date_and_time_or_a_day() {
        let at = |raw: &str| instant(raw).map(|t| t.to_rfc3339());
        assert_eq!(
            at("2026-11-02T10:00:00+01:00").as_deref(),
            Some("2026-11-02T09:00:00+00:00")
        );
        assert_eq!(
            at("2026-11-02 10:00").as_deref(),
            Some("2026-11-02T10:00:00+00:00")
        );
        assert_eq!(
            at("2026-11-02").as_deref(),
            Some("2026-11-02T00:00:00+00:00")
        );
        assert_eq!(at("02/11/2026"), None);
        assert_eq!(at("yesterday"), None);
    }
}
