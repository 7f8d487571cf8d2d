//! The team's raw event log, oldest first by position, and the same log live as
//! Server-Sent Events that resume after `Last-Event-ID` and miss nothing. A live stream
//! lasts only as long as the token that opened it: it ends soon after the token is revoked
//! or its member removed.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use stride_app::event_log;
use stride_storage::{Store, StoredEvent};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::Reply;
use crate::auth::{Caller, Member};
use crate::drain::Drain;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Ctx};
use crate::page::{self, Limit, Page};

/// A comment line this often keeps proxies from closing an idle stream.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// How often a live stream looks for events written by other server processes.
const POLL: Duration = Duration::from_millis(250);
/// How often a live stream checks that its token is still valid. The stream wakes at least
/// every `POLL`, so it ends within `RECHECK + POLL` (and a query) of a revocation or removal.
const RECHECK: Duration = Duration::from_millis(500);

pub fn configure(config: &mut ServiceConfig) {
    config.service(list_events).service(stream_events);
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Events after this position (default: from the start).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// The same, as the `next_cursor` of the page before; it wins over `after`.
    #[param(pattern = "^(0|[1-9][0-9]{0,17})$")]
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    #[serde(default)]
    pub limit: Limit,
}

fn start(after: Option<i64>, cursor: Option<&str>) -> Result<i64, ApiError> {
    match page::position_cursor(cursor)?.or(after) {
        Some(p) if p < 0 => Err(ApiError::validation("after", "must not be negative")),
        other => Ok(other.unwrap_or(0)),
    }
}

/// Lists the team's events
///
/// Any member may read the team's raw event log, oldest first, after a position: every
/// change ever made, as it was recorded, for exports and for systems that follow the team.
/// Each event is served in its type's current shape: a metric batch is one `MetricsRecorded`
/// per channel holding up to 1,000 observations, and the older `MetricRecorded` events (one
/// per observation) are read as a `MetricsRecorded` holding their one observation.
#[utoipa::path(tag = "events", params(LogQuery), responses(
    (status = 200, description = "A page of events, oldest first.", body = Page<StoredEvent>),
))]
#[get("/events")]
async fn list_events(ctx: Ctx, caller: Member, query: ApiQuery<LogQuery>) -> Reply {
    let limit = query.limit.get() as usize;
    let after = start(query.after, query.cursor.as_deref())?;
    let events = event_log::page(&ctx.app, caller.team_id, after, limit).await?;
    let next_cursor = (events.len() == limit)
        .then(|| events.last().map(|e| e.position.to_string()))
        .flatten();
    Ok(HttpResponse::Ok().json(Page {
        items: events,
        next_cursor,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Start after this position; `Last-Event-ID` does the same and wins.
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    pub after: Option<u64>,
}

fn frame(event: StoredEvent) -> Bytes {
    let (position, event_type) = (event.position, event.event_type.clone());
    let data = serde_json::to_string(&event).unwrap_or_default();
    Bytes::from(format!(
        "id: {position}\nevent: {event_type}\ndata: {data}\n\n"
    ))
}

struct Tail {
    store: Store,
    team_id: Uuid,
    /// The token that opened the stream: when it stops being valid, the stream ends.
    token_id: Uuid,
    /// Opened by a sign-in through the team's provider: the stream ends when its member
    /// leaves the team.
    provider_member: Option<Uuid>,
    after: i64,
    pending: VecDeque<Bytes>,
    last_sent: Instant,
    last_checked: Instant,
    /// Resolves when the server drains: the stream then ends with a reconnection hint.
    drain: Drain,
    /// Whether the last frame, after which the stream ends, was sent.
    ended: bool,
}

impl Tail {
    /// A stream of `caller`'s team after `after`, that opens with the reconnection delay.
    fn new(store: Store, caller: &Caller, after: i64, drain: Drain) -> Tail {
        // Browsers reconnect after this long when the connection drops.
        let pending = VecDeque::from([Bytes::from_static(b"retry: 2000\n\n")]);
        Tail {
            store,
            team_id: caller.team_id,
            token_id: caller.token_id,
            provider_member: caller.via_provider.then_some(caller.member_id),
            after,
            pending,
            last_sent: Instant::now(),
            last_checked: Instant::now(),
            drain,
            ended: false,
        }
    }

    /// Whether the stream may go on: its token was valid at most `RECHECK` ago.
    async fn still_authorized(&mut self) -> bool {
        if self.last_checked.elapsed() < RECHECK {
            return true;
        }
        let directory = self.store.directory();
        let still = match self.provider_member {
            Some(member_id) => directory
                .member(self.team_id, member_id)
                .await
                .map(|m| m.is_some()),
            None => {
                directory
                    .token_still_valid(self.team_id, self.token_id)
                    .await
            }
        };
        match still {
            Ok(true) => {
                self.last_checked = Instant::now();
                true
            }
            Ok(false) => false,
            Err(error) => {
                // Unverifiable is not valid; the client reconnects and is authenticated anew.
                tracing::warn!(error = %error, "event stream ended: its token could not be checked");
                false
            }
        }
    }

    /// The next chunk: an event, else a heartbeat when one is due; waits for new events.
    /// Ends the stream once its token is no longer valid.
    async fn next(mut self) -> Option<(Result<Bytes, actix_web::Error>, Tail)> {
        loop {
            if self.ended || !self.still_authorized().await {
                return None;
            }
            if self.drain.is_draining() {
                // What was read is sent; then the client is told to reconnect, elsewhere.
                if let Some(chunk) = self.pending.pop_front() {
                    return Some((Ok(chunk), self));
                }
                self.ended = true;
                let last = format!(
                    ": this server is shutting down; reconnect with Last-Event-ID\nretry: {}\n\n",
                    crate::drain::RECONNECT_MS
                );
                return Some((Ok(Bytes::from(last)), self));
            }
            if let Some(chunk) = self.pending.pop_front() {
                self.last_sent = Instant::now();
                return Some((Ok(chunk), self));
            }
            let store = self.store.clone();
            let watch = store.events().watch_appends();
            match self
                .store
                .events()
                .read_team_after(self.team_id, self.after, 200)
                .await
            {
                Ok(events) => {
                    for event in events {
                        self.after = event.position;
                        self.pending.push_back(frame(event));
                    }
                    if !self.pending.is_empty() {
                        continue;
                    }
                }
                Err(error) => {
                    // The client reconnects with Last-Event-ID and misses nothing.
                    tracing::warn!(error = %error, "event stream ended");
                    return None;
                }
            }
            if self.last_sent.elapsed() >= HEARTBEAT {
                self.last_sent = Instant::now();
                return Some((Ok(Bytes::from_static(b": heartbeat\n\n")), self));
            }
            tokio::select! {
                () = watch.or(POLL) => {}
                () = self.drain.started() => {}
            }
        }
    }
}

/// One frame of the event stream, as `text/event-stream` carries it: the first says how long
/// to wait before reconnecting; each after it is one event.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamFrame {
    /// The event's position: send it back as `Last-Event-ID` to resume after it.
    pub id: Option<String>,
    /// The event's type, such as `IdeaSubmitted`.
    pub event: Option<String>,
    /// The event as the log exports it (`EventView` in the document), as JSON text.
    pub data: Option<String>,
    /// Milliseconds to wait before reconnecting.
    pub retry: Option<u64>,
}

/// Streams the team's events live
///
/// Any member may follow the team's events as Server-Sent Events (`id` is the position,
/// `event` the event type, `data` the event as in the log). Reconnect with `Last-Event-ID`
/// to resume where it stopped; a comment line every 15 s keeps the connection alive. The
/// stream ends within a second after its token is revoked or its member removed
/// (reconnecting then answers 401), and at once when the server shuts down, with a last
/// `retry:` so that the client reconnects (to another server).
#[utoipa::path(tag = "events", params(StreamQuery,
    ("Last-Event-ID" = Option<i64>, Header, minimum = 0, description = "Resume after this position: the `id` of the last event received; it wins over `after`.")),
    responses(
    (status = 200, description = "An endless `text/event-stream` of the team's events.", content_type = "text/event-stream", body = StreamFrame),
))]
#[get("/events/stream")]
async fn stream_events(
    ctx: Ctx,
    caller: Member,
    req: HttpRequest,
    query: ApiQuery<StreamQuery>,
    drain: web::Data<Drain>,
) -> Reply {
    let after = resume_after(&req, &query)?;
    let tail = Tail::new(ctx.store.clone(), &caller, after, Drain::clone(&drain));
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        ))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(futures_util::stream::unfold(tail, Tail::next)))
}

/// The position a stream starts after: `Last-Event-ID` when a client reconnects, else
/// `?after=`, else the start of the log.
fn resume_after(req: &HttpRequest, query: &StreamQuery) -> Result<i64, ApiError> {
    let last_event_id = req
        .headers()
        .get("last-event-id")
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|position| *position >= 0)
                .ok_or_else(|| {
                    ApiError::validation("Last-Event-ID", "must be an id this stream sent")
                })
        })
        .transpose()?;
    let after = query
        .after
        .map(|after| {
            i64::try_from(after).map_err(|_| ApiError::validation("after", "must be a position"))
        })
        .transpose()?;
    start(last_event_id.or(after), None)
}
