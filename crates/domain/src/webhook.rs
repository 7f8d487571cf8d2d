//! The webhook endpoint aggregate: where a team's other tools hear what happens in Stride.
//! An endpoint names a URL and the event types it wants (event names such as
//! `IdeaSubmitted`, signals such as `goal.status_changed`, or `*` for all); it is active or
//! paused, its secret can be rotated, and it can be deleted. The secret itself never enters
//! an event: it lives in a table beside the log, like token hashes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::channel::ChannelEvent;
use crate::event::{self, EventPayload};
use crate::experiment::ExperimentEvent;
use crate::goal::GoalEvent;
use crate::idea::IdeaEvent;
use crate::metric::MetricEvent;
use crate::post::PostEvent;
use crate::team::TeamEvent;
use crate::vote::VoteEvent;
use crate::{Invalid, text};

/// Longest URL, in characters.
pub const URL_MAX: usize = 2048;
/// Longest description, in characters.
pub const DESCRIPTION_MAX: usize = 500;
/// Most event types one endpoint names.
pub const EVENT_TYPES_MAX: usize = 64;
/// Every event type.
pub const ALL: &str = "*";
/// A goal moved between on_track, at_risk, behind, achieved and missed: by an event, or by
/// time passing.
pub const GOAL_STATUS_CHANGED: &str = "goal.status_changed";
/// A cadence goal's current period ends within [`AT_RISK_HOURS`] with its count not met.
pub const PERIOD_AT_RISK: &str = "cadence.period_at_risk";
/// A post was submitted for review.
pub const REVIEW_REQUESTED: &str = "post.review_requested";
/// An idea entered the board's top [`TRENDING_TOP`].
pub const TRENDING: &str = "idea.trending";
/// What the projections notice beside the events themselves.
pub const SIGNALS: [&str; 4] = [
    GOAL_STATUS_CHANGED,
    PERIOD_AT_RISK,
    REVIEW_REQUESTED,
    TRENDING,
];
/// How long before its period ends a cadence short of its count is at risk.
pub const AT_RISK_HOURS: i64 = 48;
/// How many of the board's trending ideas `idea.trending` watches.
pub const TRENDING_TOP: usize = 10;

/// Every event type an endpoint may name: each event's own name, the signals, and `*`.
pub fn event_types() -> impl Iterator<Item = &'static str> {
    [
        TeamEvent::EVENT_TYPES,
        ChannelEvent::EVENT_TYPES,
        GoalEvent::EVENT_TYPES,
        PostEvent::EVENT_TYPES,
        IdeaEvent::EVENT_TYPES,
        VoteEvent::EVENT_TYPES,
        MetricEvent::EVENT_TYPES,
        ExperimentEvent::EVENT_TYPES,
        WebhookEvent::EVENT_TYPES,
        &SIGNALS,
        &[ALL],
    ]
    .into_iter()
    .flatten()
    .copied()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WebhookStatus {
    Active,
    Paused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub description: Option<String>,
    /// Sorted, each once.
    pub event_types: Vec<String>,
    pub status: WebhookStatus,
    /// Why Stride paused it, when it did: every delivery failed for [`FAILING_MAX`] hours.
    pub paused_reason: Option<String>,
}

/// Hours an endpoint may fail every delivery before it is paused.
pub const FAILING_MAX: i64 = 24;

impl Webhook {
    /// Whether a message of `event_type` goes to this endpoint.
    pub fn wants(&self, event_type: &str) -> bool {
        self.status == WebhookStatus::Active && names(&self.event_types, event_type)
    }
}

/// Whether an endpoint's `event_types` name `event_type`, itself or by `*`.
pub fn names(event_types: &[String], event_type: &str) -> bool {
    event_types.iter().any(|t| t == ALL || t == event_type)
}

/// A change of an endpoint: what is given is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookChange {
    pub url: Option<String>,
    /// `Some(None)` clears it.
    pub description: Option<Option<String>>,
    pub event_types: Option<Vec<String>>,
    pub status: Option<WebhookStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookCommand {
    Create {
        webhook_id: Uuid,
        url: String,
        description: Option<String>,
        event_types: Vec<String>,
    },
    Change(WebhookChange),
    /// Pauses an endpoint that has failed every delivery since `failing_since`, saying so.
    PauseFailing {
        failing_since: DateTime<Utc>,
    },
    RotateSecret,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum WebhookEvent {
    WebhookCreated {
        webhook_id: Uuid,
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        event_types: Vec<String>,
    },
    /// The endpoint as it is after the change.
    WebhookChanged {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        event_types: Vec<String>,
        status: WebhookStatus,
        /// Set when Stride paused it: why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        paused_reason: Option<String>,
    },
    /// A new secret signs from now on; the one before still signs beside it for 24 h.
    WebhookSecretRotated {},
    WebhookDeleted {},
}

event::event_payload!(
    WebhookEvent,
    "webhook",
    [
        WebhookCreated,
        WebhookChanged,
        WebhookSecretRotated,
        WebhookDeleted
    ]
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the webhook already exists")]
    AlreadyExists,
    #[error("no such webhook")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

/// A URL as sent: `http(s)://`, at most [`URL_MAX`] characters, no spaces or control
/// characters. Which destinations are allowed is the server's policy, checked beside this.
pub fn url(raw: &str) -> Result<String, Invalid> {
    text::url(raw, URL_MAX).map_err(|e| Invalid::new("url", e))
}

/// Event types as sent: 1 to [`EVENT_TYPES_MAX`] known names, kept sorted and once each.
pub fn checked_event_types(raw: Vec<String>) -> Result<Vec<String>, Invalid> {
    if raw.is_empty() || raw.len() > EVENT_TYPES_MAX {
        return Err(Invalid::new(
            "event_types",
            format!("names 1 to {EVENT_TYPES_MAX} event types, or \"*\" for all"),
        ));
    }
    if let Some(unknown) = raw.iter().find(|t| !event_types().any(|k| k == t.as_str())) {
        let shown: String = unknown.chars().take(60).collect();
        return Err(Invalid::new(
            "event_types",
            format!(
                "{shown:?} is not an event type: name events such as \"IdeaSubmitted\", signals such as \"goal.status_changed\", or \"*\""
            ),
        ));
    }
    let mut types = raw;
    types.sort_unstable();
    types.dedup();
    Ok(types)
}

fn description(raw: Option<String>) -> Result<Option<String>, Invalid> {
    text::optional_title(raw.as_deref(), DESCRIPTION_MAX)
        .map_err(|e| Invalid::new("description", e))
}

pub fn decide(
    state: Option<&Webhook>,
    command: WebhookCommand,
) -> Result<Vec<WebhookEvent>, WebhookError> {
    match (state, command) {
        (
            None,
            WebhookCommand::Create {
                webhook_id,
                url: raw_url,
                description: raw_description,
                event_types,
            },
        ) => Ok(vec![WebhookEvent::WebhookCreated {
            webhook_id,
            url: url(&raw_url)?,
            description: description(raw_description)?,
            event_types: checked_event_types(event_types)?,
        }]),
        (Some(_), WebhookCommand::Create { .. }) => Err(WebhookError::AlreadyExists),
        (None, _) => Err(WebhookError::NotFound),
        (Some(webhook), WebhookCommand::Change(change)) => {
            let url = change.url.as_deref().map(url).transpose()?;
            let description = change.description.map(description).transpose()?;
            let event_types = change.event_types.map(checked_event_types).transpose()?;
            let changed = WebhookEvent::WebhookChanged {
                url: url.unwrap_or_else(|| webhook.url.clone()),
                description: description.unwrap_or_else(|| webhook.description.clone()),
                event_types: event_types.unwrap_or_else(|| webhook.event_types.clone()),
                status: change.status.unwrap_or(webhook.status),
                // A change by a person keeps the reason only while the endpoint stays paused.
                paused_reason: match change.status {
                    None => webhook.paused_reason.clone(),
                    Some(_) => None,
                },
            };
            if apply(Some(webhook.clone()), &changed).as_ref() == Some(webhook) {
                return Ok(vec![]);
            }
            Ok(vec![changed])
        }
        (Some(webhook), WebhookCommand::PauseFailing { failing_since }) => {
            if webhook.status == WebhookStatus::Paused {
                return Ok(vec![]);
            }
            Ok(vec![WebhookEvent::WebhookChanged {
                url: webhook.url.clone(),
                description: webhook.description.clone(),
                event_types: webhook.event_types.clone(),
                status: WebhookStatus::Paused,
                paused_reason: Some(format!(
                    "paused by Stride: every delivery has failed since {}, for over {FAILING_MAX} hours; \
                     set the status to active to resume",
                    failing_since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                )),
            }])
        }
        (Some(_), WebhookCommand::RotateSecret) => Ok(vec![WebhookEvent::WebhookSecretRotated {}]),
        (Some(_), WebhookCommand::Delete) => Ok(vec![WebhookEvent::WebhookDeleted {}]),
    }
}

/// Folds one event into the state; a deleted endpoint is gone.
pub fn apply(state: Option<Webhook>, event: &WebhookEvent) -> Option<Webhook> {
    match (state, event) {
        (
            None,
            WebhookEvent::WebhookCreated {
                webhook_id,
                url,
                description,
                event_types,
            },
        ) => Some(Webhook {
            id: *webhook_id,
            url: url.clone(),
            description: description.clone(),
            event_types: event_types.clone(),
            status: WebhookStatus::Active,
            paused_reason: None,
        }),
        (
            Some(webhook),
            WebhookEvent::WebhookChanged {
                url,
                description,
                event_types,
                status,
                paused_reason,
            },
        ) => Some(Webhook {
            url: url.clone(),
            description: description.clone(),
            event_types: event_types.clone(),
            status: *status,
            paused_reason: paused_reason.clone(),
            ..webhook
        }),
        (Some(webhook), WebhookEvent::WebhookSecretRotated {}) => Some(webhook),
        (_, WebhookEvent::WebhookDeleted {}) => None,
        (state, _) => state,
    }
}

impl crate::Aggregate for Webhook {
    type Command = WebhookCommand;
    type Event = WebhookEvent;
    type Error = WebhookError;
    type Context = ();

    fn decide(
        state: Option<&Webhook>,
        command: WebhookCommand,
        _: &(),
    ) -> Result<Vec<WebhookEvent>, WebhookError> {
        decide(state, command)
    }

    fn apply(state: Option<Webhook>, event: &WebhookEvent) -> Option<Webhook> {
        apply(state, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Aggregate;

    const ID: Uuid = Uuid::from_u128(7);

    fn created() -> Webhook {
        let events = decide(
            None,
            WebhookCommand::Create {
                webhook_id: ID,
                url: "https://hooks.example.com/stride".into(),
                description: Some("  CRM  ".into()),
                event_types: vec![
                    "PostPublished".into(),
                    "IdeaSubmitted".into(),
                    "PostPublished".into(),
                ],
            },
        )
        .unwrap();
        Webhook::fold(&events).unwrap()
    }

    #[test]
    fn an_endpoint_keeps_its_event_types_sorted_once_and_wants_only_those_while_active() {
        let webhook = created();
        assert_eq!(webhook.event_types, vec!["IdeaSubmitted", "PostPublished"]);
        assert_eq!(webhook.description.as_deref(), Some("CRM"));
        assert!(webhook.wants("IdeaSubmitted"));
        assert!(!webhook.wants("IdeaVoted"));
        let paused = decide(
            Some(&webhook),
            WebhookCommand::Change(WebhookChange {
                status: Some(WebhookStatus::Paused),
                ..WebhookChange::default()
            }),
        )
        .unwrap();
        let paused = apply(Some(webhook.clone()), &paused[0]).unwrap();
        assert!(!paused.wants("IdeaSubmitted"));
        let all = Webhook {
            event_types: vec![ALL.into()],
            ..webhook
        };
        assert!(all.wants("goal.status_changed") && all.wants("MetricsRecorded"));
    }

    #[test]
    fn unknown_or_too_many_event_types_and_bad_urls_are_refused_by_field() {
        for (types, url) in [
            (vec![], "https://a.example"),
            (vec!["IdeaSubmited".to_owned()], "https://a.example"),
            (
                vec!["x".to_owned(); EVENT_TYPES_MAX + 1],
                "https://a.example",
            ),
            (vec![ALL.to_owned()], "ftp://a.example"),
            (vec![ALL.to_owned()], "https://a.example/ space"),
        ] {
            let field = if url.starts_with("https://a.example") && !url.contains(' ') {
                "event_types"
            } else {
                "url"
            };
            let refused = decide(
                None,
                WebhookCommand::Create {
                    webhook_id: ID,
                    url: url.into(),
                    description: None,
                    event_types: types,
                },
            );
            match refused {
                Err(WebhookError::Invalid(invalid)) => assert_eq!(invalid.field, field),
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    #[test]
    fn every_event_of_every_aggregate_and_every_signal_can_be_named() {
        let known: Vec<&str> = event_types().collect();
        for name in [
            "TeamCreated",
            "IdeaVoted",
            "MetricsRecorded",
            "WebhookCreated",
            "goal.status_changed",
            "*",
        ] {
            assert!(known.contains(&name), "{name}");
        }
    }

    #[test]
    fn an_endpoint_failing_a_day_is_paused_once_saying_since_when_until_a_person_resumes_it() {
        let webhook = created();
        let since = DateTime::parse_from_rfc3339("2026-11-28T09:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let events = decide(
            Some(&webhook),
            WebhookCommand::PauseFailing {
                failing_since: since,
            },
        )
        .unwrap();
        let paused = apply(Some(webhook), &events[0]).unwrap();
        assert_eq!(paused.status, WebhookStatus::Paused);
        let reason = paused.paused_reason.clone().unwrap();
        assert!(reason.contains("since 2026-11-28T09:30:00Z"), "{reason}");
        // Pausing what is paused records nothing.
        let again = WebhookCommand::PauseFailing {
            failing_since: since,
        };
        assert_eq!(decide(Some(&paused), again), Ok(vec![]));
        // A change of its description keeps the reason; resuming clears it.
        let described = decide(
            Some(&paused),
            WebhookCommand::Change(WebhookChange {
                description: Some(Some("CRM and mail".into())),
                ..WebhookChange::default()
            }),
        )
        .unwrap();
        let described = apply(Some(paused.clone()), &described[0]).unwrap();
        assert_eq!(described.paused_reason.as_deref(), Some(reason.as_str()));
        let resumed = decide(
            Some(&described),
            WebhookCommand::Change(WebhookChange {
                status: Some(WebhookStatus::Active),
                ..WebhookChange::default()
            }),
        )
        .unwrap();
        let resumed = apply(Some(described), &resumed[0]).unwrap();
        assert_eq!(resumed.status, WebhookStatus::Active);
        assert_eq!(resumed.paused_reason, None);
    }

    #[test]
    fn a_change_to_what_it_is_records_nothing_and_a_deleted_endpoint_is_gone() {
        let webhook = created();
        let same = WebhookChange {
            url: Some(webhook.url.clone()),
            ..WebhookChange::default()
        };
        assert_eq!(
            decide(Some(&webhook), WebhookCommand::Change(same)),
            Ok(vec![])
        );
        let deleted = decide(Some(&webhook), WebhookCommand::Delete).unwrap();
        assert_eq!(apply(Some(webhook), &deleted[0]), None);
        assert_eq!(
            decide(None, WebhookCommand::RotateSecret),
            Err(WebhookError::NotFound)
        );
    }
}
