//! The experiment aggregate: "if the first strategy is not working, try another". A team
//! records what it changes (video instead of photos, mornings instead of evenings), on
//! which channels, from which day, and the metric that should show it; revises the wording
//! or the end while it runs; and concludes it with a decision, `adopt` or `drop`. Whether
//! the change helped is computed from the metric's observations ([`result`]).

pub mod result;

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::metric::Metric;
use crate::{Invalid, bounds, event, text};

/// Longest title, in characters.
pub const TITLE_MAX: usize = 200;
/// Longest hypothesis, change or note, in characters (as a post's body).
pub const TEXT_MAX: usize = crate::post::BODY_MAX;
/// Most channels one experiment runs on.
pub const CHANNELS_MAX: usize = 20;
/// Days of baseline before the start, when none is given.
pub const BASELINE_DAYS: u32 = 28;
/// Fewest and most days of baseline.
pub const BASELINE_DAYS_MIN: u32 = 7;
pub const BASELINE_DAYS_MAX: u32 = 365;
/// Longest experiment window with an end, in days (start and end included).
pub const WINDOW_DAYS_MAX: u64 = 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Keep the change.
    Adopt,
    /// Go back, or try another.
    Drop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExperimentStatus {
    Running,
    Concluded,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Experiment {
    pub id: Uuid,
    pub title: String,
    pub hypothesis: String,
    pub change: String,
    /// Sorted, each once.
    pub channel_ids: Vec<Uuid>,
    pub metric: Metric,
    pub starts_on: NaiveDate,
    /// The last day of the experiment window; open while none.
    pub ends_on: Option<NaiveDate>,
    pub baseline_days: u32,
    pub status: ExperimentStatus,
    pub decision: Option<Decision>,
    pub note: Option<String>,
}

impl Experiment {
    /// The first day of its baseline window.
    pub fn baseline_from(&self) -> NaiveDate {
        self.starts_on
            .checked_sub_days(Days::new(u64::from(self.baseline_days)))
            .unwrap_or(bounds::FIRST_DAY)
    }

    /// Whether its window and `other`'s overlap on a channel they share.
    pub fn overlaps(&self, other: &Experiment) -> bool {
        let shares = self
            .channel_ids
            .iter()
            .any(|c| other.channel_ids.contains(c));
        let before =
            |a: &Experiment, b: &Experiment| a.ends_on.is_some_and(|end| end < b.starts_on);
        self.id != other.id && shares && !before(self, other) && !before(other, self)
    }
}

/// What a new experiment is started with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExperiment {
    pub experiment_id: Uuid,
    pub title: String,
    pub hypothesis: String,
    pub change: String,
    pub channel_ids: Vec<Uuid>,
    pub metric: Metric,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub baseline_days: Option<u32>,
}

/// A revision: what is given is set. `ends_on: Some(None)` leaves the end open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExperimentRevision {
    pub title: Option<String>,
    pub hypothesis: Option<String>,
    pub change: Option<String>,
    pub ends_on: Option<Option<NaiveDate>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExperimentCommand {
    Start(NewExperiment),
    Revise(ExperimentRevision),
    Conclude {
        decision: Decision,
        note: Option<String>,
    },
}

/// What an experiment is decided against besides its own events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExperimentContext {
    /// The team's channels.
    pub channels: BTreeSet<Uuid>,
    /// The channels (of the team) on which the metric asked for was ever recorded.
    pub recording: BTreeSet<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ExperimentEvent {
    ExperimentStarted {
        experiment_id: Uuid,
        title: String,
        hypothesis: String,
        change: String,
        channel_ids: Vec<Uuid>,
        metric: Metric,
        starts_on: NaiveDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ends_on: Option<NaiveDate>,
        baseline_days: u32,
    },
    /// The wording and end as they are after the revision.
    ExperimentRevised {
        title: String,
        hypothesis: String,
        change: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ends_on: Option<NaiveDate>,
    },
    ExperimentConcluded {
        decision: Decision,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

event::event_payload!(
    ExperimentEvent,
    "experiment",
    [ExperimentStarted, ExperimentRevised, ExperimentConcluded]
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExperimentError {
    #[error("the experiment already exists")]
    AlreadyExists,
    #[error("no such experiment")]
    NotFound,
    #[error("the experiment is concluded: it can no longer be {0}")]
    Concluded(&'static str),
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

fn title(raw: &str) -> Result<String, Invalid> {
    text::title(raw, TITLE_MAX).map_err(|e| Invalid::new("title", e))
}

fn long(field: &'static str, raw: &str) -> Result<String, Invalid> {
    text::required_long_text(raw, TEXT_MAX).map_err(|e| Invalid::new(field, e))
}

fn day(field: &'static str, value: NaiveDate) -> Result<NaiveDate, Invalid> {
    bounds::day(value).map_err(|e| Invalid::new(field, e))
}

/// An end within bounds, not before the start, at most [`WINDOW_DAYS_MAX`] days after it.
fn end(starts_on: NaiveDate, ends_on: Option<NaiveDate>) -> Result<Option<NaiveDate>, Invalid> {
    let Some(ends_on) = ends_on else {
        return Ok(None);
    };
    day("ends_on", ends_on)?;
    if ends_on < starts_on {
        return Err(Invalid::new("ends_on", "must not be before starts_on"));
    }
    let last = starts_on.checked_add_days(Days::new(WINDOW_DAYS_MAX - 1));
    if last.is_some_and(|last| ends_on > last) {
        return Err(Invalid::new(
            "ends_on",
            format!("is at most {WINDOW_DAYS_MAX} days after starts_on, the start included"),
        ));
    }
    Ok(Some(ends_on))
}

fn start(new: NewExperiment, context: &ExperimentContext) -> Result<ExperimentEvent, Invalid> {
    let title = title(&new.title)?;
    let hypothesis = long("hypothesis", &new.hypothesis)?;
    let change = long("change", &new.change)?;
    let mut channel_ids = new.channel_ids;
    channel_ids.sort_unstable();
    channel_ids.dedup();
    if channel_ids.is_empty() || channel_ids.len() > CHANNELS_MAX {
        return Err(Invalid::new(
            "channel_ids",
            format!("names 1 to {CHANNELS_MAX} of the team's channels"),
        ));
    }
    if let Some(unknown) = channel_ids.iter().find(|c| !context.channels.contains(c)) {
        return Err(Invalid::new(
            "channel_ids",
            format!("{unknown} is not a channel of this team"),
        ));
    }
    if !channel_ids.iter().any(|c| context.recording.contains(c)) {
        return Err(Invalid::new(
            "metric",
            format!(
                "{} was never recorded on these channels: record it first, or choose a metric they record",
                new.metric.as_str()
            ),
        ));
    }
    let starts_on = day("starts_on", new.starts_on)?;
    let baseline_days = new.baseline_days.unwrap_or(BASELINE_DAYS);
    if !(BASELINE_DAYS_MIN..=BASELINE_DAYS_MAX).contains(&baseline_days) {
        return Err(Invalid::new(
            "baseline_days",
            format!("is {BASELINE_DAYS_MIN} to {BASELINE_DAYS_MAX} days"),
        ));
    }
    let first = starts_on.checked_sub_days(Days::new(u64::from(baseline_days)));
    if first.is_none_or(|first| first < bounds::FIRST_DAY) {
        return Err(Invalid::new(
            "starts_on",
            "leaves its baseline before 2000-01-01: start later, or with fewer baseline_days",
        ));
    }
    let ends_on = end(starts_on, new.ends_on)?;
    Ok(ExperimentEvent::ExperimentStarted {
        experiment_id: new.experiment_id,
        title,
        hypothesis,
        change,
        channel_ids,
        metric: new.metric,
        starts_on,
        ends_on,
        baseline_days,
    })
}

pub fn decide(
    state: Option<&Experiment>,
    command: ExperimentCommand,
    context: &ExperimentContext,
) -> Result<Vec<ExperimentEvent>, ExperimentError> {
    match (state, command) {
        (None, ExperimentCommand::Start(new)) => Ok(vec![start(new, context)?]),
        (Some(_), ExperimentCommand::Start(_)) => Err(ExperimentError::AlreadyExists),
        (None, _) => Err(ExperimentError::NotFound),
        (Some(e), _) if e.status == ExperimentStatus::Concluded => {
            Err(ExperimentError::Concluded("changed"))
        }
        (Some(experiment), ExperimentCommand::Revise(revision)) => {
            let revised = ExperimentEvent::ExperimentRevised {
                title: revision
                    .title
                    .as_deref()
                    .map(title)
                    .transpose()?
                    .unwrap_or_else(|| experiment.title.clone()),
                hypothesis: revision
                    .hypothesis
                    .as_deref()
                    .map(|h| long("hypothesis", h))
                    .transpose()?
                    .unwrap_or_else(|| experiment.hypothesis.clone()),
                change: revision
                    .change
                    .as_deref()
                    .map(|c| long("change", c))
                    .transpose()?
                    .unwrap_or_else(|| experiment.change.clone()),
                ends_on: match revision.ends_on {
                    Some(ends_on) => end(experiment.starts_on, ends_on)?,
                    None => experiment.ends_on,
                },
            };
            if apply(Some(experiment.clone()), &revised).as_ref() == Some(experiment) {
                return Ok(vec![]);
            }
            Ok(vec![revised])
        }
        (Some(_), ExperimentCommand::Conclude { decision, note }) => {
            let note = text::optional_long_text(note.as_deref(), TEXT_MAX)
                .map_err(|e| Invalid::new("note", e))?;
            Ok(vec![ExperimentEvent::ExperimentConcluded {
                decision,
                note,
            }])
        }
    }
}

pub fn apply(state: Option<Experiment>, event: &ExperimentEvent) -> Option<Experiment> {
    match (state, event) {
        (
            None,
            ExperimentEvent::ExperimentStarted {
                experiment_id,
                title,
                hypothesis,
                change,
                channel_ids,
                metric,
                starts_on,
                ends_on,
                baseline_days,
            },
        ) => Some(Experiment {
            id: *experiment_id,
            title: title.clone(),
            hypothesis: hypothesis.clone(),
            change: change.clone(),
            channel_ids: channel_ids.clone(),
            metric: *metric,
            starts_on: *starts_on,
            ends_on: *ends_on,
            baseline_days: *baseline_days,
            status: ExperimentStatus::Running,
            decision: None,
            note: None,
        }),
        (
            Some(experiment),
            ExperimentEvent::ExperimentRevised {
                title,
                hypothesis,
                change,
                ends_on,
            },
        ) => Some(Experiment {
            title: title.clone(),
            hypothesis: hypothesis.clone(),
            change: change.clone(),
            ends_on: *ends_on,
            ..experiment
        }),
        (Some(experiment), ExperimentEvent::ExperimentConcluded { decision, note }) => {
            Some(Experiment {
                status: ExperimentStatus::Concluded,
                decision: Some(*decision),
                note: note.clone(),
                ..experiment
            })
        }
        (state, _) => state,
    }
}

impl crate::Aggregate for Experiment {
    type Command = ExperimentCommand;
    type Event = ExperimentEvent;
    type Error = ExperimentError;
    type Context = ExperimentContext;

    fn decide(
        state: Option<&Experiment>,
        command: ExperimentCommand,
        context: &ExperimentContext,
    ) -> Result<Vec<ExperimentEvent>, ExperimentError> {
        decide(state, command, context)
    }

    fn apply(state: Option<Experiment>, event: &ExperimentEvent) -> Option<Experiment> {
        apply(state, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Aggregate;

    const ID: Uuid = Uuid::from_u128(1);
    const INSTAGRAM: Uuid = Uuid::from_u128(10);
    const TIKTOK: Uuid = Uuid::from_u128(11);

    fn day(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    fn context() -> ExperimentContext {
        ExperimentContext {
            channels: [INSTAGRAM, TIKTOK].into(),
            recording: [INSTAGRAM].into(),
        }
    }

    fn new() -> NewExperiment {
        NewExperiment {
            experiment_id: ID,
            title: "Reels instead of photos".into(),
            hypothesis: "Short video reaches more people".into(),
            change: "Post reels, no photos".into(),
            channel_ids: vec![INSTAGRAM, INSTAGRAM],
            metric: Metric::Followers,
            starts_on: day("2026-11-02"),
            ends_on: Some(day("2026-11-29")),
            baseline_days: None,
        }
    }

    fn refused(new: NewExperiment) -> &'static str {
        match decide(None, ExperimentCommand::Start(new), &context()) {
            Err(ExperimentError::Invalid(invalid)) => invalid.field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_experiment_starts_with_a_28_day_baseline_runs_and_is_concluded_once() {
        let started = decide(None, ExperimentCommand::Start(new()), &context()).unwrap();
        let experiment = Experiment::fold(&started).unwrap();
        assert_eq!(experiment.channel_ids, vec![INSTAGRAM]);
        assert_eq!(experiment.baseline_days, 28);
        assert_eq!(experiment.baseline_from(), day("2026-10-05"));
        let concluded = decide(
            Some(&experiment),
            ExperimentCommand::Conclude {
                decision: Decision::Adopt,
                note: Some(" Reels it is ".into()),
            },
            &context(),
        )
        .unwrap();
        let done = apply(Some(experiment), &concluded[0]).unwrap();
        assert_eq!(
            (done.status, done.decision, done.note.as_deref()),
            (
                ExperimentStatus::Concluded,
                Some(Decision::Adopt),
                Some("Reels it is")
            )
        );
        let again = ExperimentCommand::Conclude {
            decision: Decision::Drop,
            note: None,
        };
        assert_eq!(
            decide(Some(&done), again, &context()),
            Err(ExperimentError::Concluded("changed"))
        );
    }

    #[test]
    fn bad_windows_channels_and_metrics_are_refused_by_field() {
        let cases: Vec<(NewExperiment, &str)> = vec![
            (
                NewExperiment {
                    ends_on: Some(day("2026-11-01")),
                    ..new()
                },
                "ends_on",
            ),
            (
                NewExperiment {
                    ends_on: Some(day("2027-11-03")),
                    ..new()
                },
                "ends_on",
            ),
            (
                NewExperiment {
                    starts_on: day("2000-01-10"),
                    ..new()
                },
                "starts_on",
            ),
            (
                NewExperiment {
                    starts_on: day("2101-01-01"),
                    ends_on: None,
                    ..new()
                },
                "starts_on",
            ),
            (
                NewExperiment {
                    baseline_days: Some(6),
                    ..new()
                },
                "baseline_days",
            ),
            (
                NewExperiment {
                    baseline_days: Some(366),
                    ..new()
                },
                "baseline_days",
            ),
            (
                NewExperiment {
                    channel_ids: vec![],
                    ..new()
                },
                "channel_ids",
            ),
            (
                NewExperiment {
                    channel_ids: vec![Uuid::from_u128(99)],
                    ..new()
                },
                "channel_ids",
            ),
            (
                NewExperiment {
                    channel_ids: vec![TIKTOK],
                    ..new()
                },
                "metric",
            ),
            (
                NewExperiment {
                    title: " ".into(),
                    ..new()
                },
                "title",
            ),
            (
                NewExperiment {
                    hypothesis: String::new(),
                    ..new()
                },
                "hypothesis",
            ),
        ];
        for (new, field) in cases {
            assert_eq!(refused(new), field);
        }
        // On the last day of a 366-day window, and with a year of baseline: accepted.
        let widest = NewExperiment {
            ends_on: Some(day("2027-11-02")),
            baseline_days: Some(365),
            ..new()
        };
        assert!(decide(None, ExperimentCommand::Start(widest), &context()).is_ok());
    }

    #[test]
    fn a_revision_to_what_it_is_records_nothing_and_experiments_overlap_on_a_shared_channel() {
        let experiment =
            Experiment::fold(&decide(None, ExperimentCommand::Start(new()), &context()).unwrap())
                .unwrap();
        let same = ExperimentRevision {
            title: Some(experiment.title.clone()),
            ..ExperimentRevision::default()
        };
        assert_eq!(
            decide(
                Some(&experiment),
                ExperimentCommand::Revise(same),
                &context()
            ),
            Ok(vec![])
        );
        let open = ExperimentRevision {
            ends_on: Some(None),
            ..ExperimentRevision::default()
        };
        let opened = decide(
            Some(&experiment),
            ExperimentCommand::Revise(open),
            &context(),
        )
        .unwrap();
        let opened = apply(Some(experiment.clone()), &opened[0]).unwrap();
        assert_eq!(opened.ends_on, None);

        let other = |id: u128, channels: Vec<Uuid>, starts: &str, ends: Option<&str>| Experiment {
            id: Uuid::from_u128(id),
            channel_ids: channels,
            starts_on: day(starts),
            ends_on: ends.map(day),
            ..experiment.clone()
        };
        // Nov 2 to Nov 29 on Instagram against:
        assert!(experiment.overlaps(&other(2, vec![INSTAGRAM], "2026-11-29", None)));
        assert!(experiment.overlaps(&other(
            3,
            vec![TIKTOK, INSTAGRAM],
            "2026-10-01",
            Some("2026-11-02")
        )));
        assert!(!experiment.overlaps(&other(4, vec![INSTAGRAM], "2026-11-30", None)));
        assert!(!experiment.overlaps(&other(5, vec![TIKTOK], "2026-11-10", None)));
        assert!(!experiment.overlaps(&other(6, vec![INSTAGRAM], "2026-10-01", Some("2026-11-01"))));
        assert!(!experiment.overlaps(&experiment));
    }
}
