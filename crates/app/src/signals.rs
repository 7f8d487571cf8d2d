//! The signal watcher: webhook signals that no single event makes, found by looking at the
//! projections. `goal.status_changed` (also when time alone moves a goal: a goal falls
//! behind, or its due date passes, with no event at all), `cadence.period_at_risk` and
//! `idea.trending`. One server at a time watches (a leadership, like a projector's); the
//! others wait to take over.
//!
//! Only teams with an active endpoint that names one of these signals (or `*`) are looked
//! at, and only for the signals their endpoints name: within a second of their events, and
//! every minute for what time alone changes. What was seen of each subject is kept, and a
//! change is queued as a message in the transaction that records it
//! ([`stride_storage::signals`]), so that it is announced once, even across a take-over.
//!
//! A team is first seen without announcing its goals' statuses (nothing moved yet); ideas
//! already trending then, and periods already at risk, are announced.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use stride_domain::goal::GoalState;
use stride_domain::progress::{self, report::GoalProgress};
use stride_domain::target::Target;
use stride_domain::webhook::{
    AT_RISK_HOURS, GOAL_STATUS_CHANGED, PERIOD_AT_RISK, TRENDING, TRENDING_TOP, names,
};
use stride_storage::signals::{Endpoints, Message, Observed};
use uuid::Uuid;

use crate::idea_views::{IdeaSet, Sort};
use crate::time_travel::{Inputs, Need, When};
use crate::{App, AppError};

/// The signals the watcher raises.
pub const RAISED: [&str; 3] = [GOAL_STATUS_CHANGED, PERIOD_AT_RISK, TRENDING];
/// The leadership the watchers of every server compete for.
const LEADERSHIP: &str = "webhook_signals";
/// How long the watcher lets events gather before it looks at the teams they moved.
const SETTLE: Duration = Duration::from_secs(1);
/// How often every watched team is looked at, for what time alone changes.
const SWEEP: Duration = Duration::from_secs(60);
/// How long a look waits for the projections to apply the events it looks after.
const PROJECTED: Duration = Duration::from_secs(5);

/// Runs the watcher for as long as the task lives (watching while this server leads).
pub fn spawn(app: App) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(error) = watch(&app).await {
                tracing::warn!(error = %error, "the webhook signal watcher stopped; retrying");
            }
            tokio::time::sleep(SETTLE).await;
        }
    })
}

async fn watch(app: &App) -> Result<(), AppError> {
    let holder = app.store.leadership(LEADERSHIP).await?;
    tracing::info!("webhook signal watcher active");
    let signals = app.store.signals();
    let mut seen = app.store.events().visible_head().await?;
    let mut next_sweep = tokio::time::Instant::now();
    loop {
        if holder.is_closed() {
            return Err(stride_storage::StoreError::Unavailable(anyhow::anyhow!(
                "lost the signal watcher's lock connection"
            ))
            .into());
        }
        let appended = app.store.events().watch_appends();
        let head = app.store.events().visible_head().await?;
        let watched = signals.watched(&RAISED).await?;
        let teams: Vec<Uuid> = watched.keys().copied().collect();
        let due = if tokio::time::Instant::now() >= next_sweep {
            next_sweep = tokio::time::Instant::now() + SWEEP;
            signals.forget_others(&teams).await?;
            teams
        } else if head > seen {
            signals.moved(&teams, seen, head).await?
        } else {
            Vec::new()
        };
        if !due.is_empty() {
            // What the events up to `head` changed is read from the projections.
            app.store
                .projections()
                .wait_projected(head, PROJECTED)
                .await?;
            for team_id in due {
                if let Err(error) = look(app, team_id, &watched[&team_id], head, Utc::now()).await {
                    tracing::warn!(team_id = %team_id, error = %error, "a team's webhook signals could not be looked at");
                }
            }
        }
        seen = head;
        appended
            .or(next_sweep.saturating_duration_since(tokio::time::Instant::now()))
            .await;
        tokio::time::sleep(SETTLE).await;
    }
}

/// Looks at one team at `now` for the signals its `endpoints` name, records what it sees
/// and queues the messages of what changed (`position`: the log's head they follow). The
/// number of messages queued.
pub async fn look(
    app: &App,
    team_id: Uuid,
    endpoints: &Endpoints,
    position: i64,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let wanted = |signal: &str| endpoints.iter().any(|(_, types)| names(types, signal));
    let mut seen = Seen::default();
    if wanted(GOAL_STATUS_CHANGED) || wanted(PERIOD_AT_RISK) {
        let mut inputs = Inputs::load(app, team_id, When::default(), Need::default()).await?;
        inputs.t = now;
        if wanted(GOAL_STATUS_CHANGED) {
            let facts = inputs.facts(app, team_id).await?;
            for goal in facts.report(now) {
                seen.goal(&goal);
            }
        }
        if wanted(PERIOD_AT_RISK) {
            seen.periods(&inputs, now);
        }
    }
    if wanted(TRENDING) {
        let ideas = IdeaSet::load_listing(app, team_id).await?;
        let listed = ideas.listed(now, Sort::Trending, crate::board::on_board);
        for (rank, (_, idea)) in listed.into_iter().take(TRENDING_TOP).enumerate() {
            seen.add(
                TRENDING,
                idea.id,
                "trending".to_owned(),
                json!({
                    "idea_id": idea.id,
                    "title": idea.title,
                    "rank": rank + 1,
                    "vote_count": idea.vote_count,
                    "score": idea.score,
                }),
            );
        }
    }
    let queued = app
        .store
        .signals()
        .record(team_id, &seen.observed, endpoints, position, |o, before| {
            seen.announce(o, before, position, now)
        })
        .await?;
    Ok(queued)
}

/// What a look saw: each subject's state, and what its message would say.
#[derive(Default)]
struct Seen {
    observed: Vec<Observed>,
    data: BTreeMap<(&'static str, Uuid), Value>,
}

impl Seen {
    fn add(&mut self, signal: &'static str, subject_id: Uuid, state: String, data: Value) {
        self.observed.push(Observed {
            signal,
            subject_id,
            state,
        });
        self.data.insert((signal, subject_id), data);
    }

    /// A goal's status, and its steps'.
    fn goal(&mut self, goal: &GoalProgress) {
        let status = json!(goal.status);
        self.add(
            GOAL_STATUS_CHANGED,
            goal.goal_id,
            status.as_str().unwrap_or_default().to_owned(),
            json!({
                "goal_id": goal.goal_id,
                "title": goal.title,
                "horizon": goal.horizon,
                "progress": goal.progress,
                "expected": goal.expected,
            }),
        );
        for step in &goal.children {
            self.goal(step);
        }
    }

    /// The active cadence goals whose current period is at risk.
    fn periods(&mut self, inputs: &Inputs, now: DateTime<Utc>) {
        let published = inputs.published();
        for goal in &inputs.plans.goals {
            let Some(Target::Cadence {
                count,
                period,
                channel_id,
            }) = goal.target
            else {
                continue;
            };
            if goal.state != GoalState::Active {
                continue;
            }
            let counted: Vec<DateTime<Utc>> = published
                .iter()
                .filter(|(c, _)| channel_id.is_none_or(|want| *c == want))
                .map(|(_, at)| *at)
                .collect();
            let window = (goal.starts_on, goal.due_on);
            let within = TimeDelta::hours(AT_RISK_HOURS);
            if let Some(risk) =
                progress::period_at_risk(count, period, window, &counted, now, within)
            {
                self.add(
                    PERIOD_AT_RISK,
                    goal.id,
                    risk.period_start.to_string(),
                    json!({
                        "goal_id": goal.id,
                        "title": goal.title,
                        "period_start": risk.period_start,
                        "period_ends_at": risk.ends_at,
                        "period_count": risk.period_count,
                        "count": count,
                    }),
                );
            }
        }
    }

    /// The message a change makes, if it makes one: a goal's status moved from what was
    /// seen before (a goal seen for the first time moved nothing); an idea entered the
    /// trending top; a period came to be at risk.
    fn announce(
        &self,
        observed: &Observed,
        before: Option<&str>,
        position: i64,
        now: DateTime<Utc>,
    ) -> Option<Message> {
        let mut data = self
            .data
            .get(&(observed.signal, observed.subject_id))?
            .clone();
        if observed.signal == GOAL_STATUS_CHANGED {
            data["from"] = json!(before?);
            data["to"] = json!(observed.state);
        }
        data["position"] = json!(position);
        let body = json!({ "type": observed.signal, "timestamp": now, "data": data });
        Some((observed.signal, body))
    }
}
