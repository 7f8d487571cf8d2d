//! Progress math: how far a goal has come at an instant, how far it should have come, its
//! status, its forecast, a cadence's streaks and the team's pace. Plain functions over plain
//! data, as api.md's "Progress semantics" defines them; storage loads the rows and calls in.
//!
//! Two readings of api.md are decided here and documented in the OpenAPI spec:
//! - a cadence goal's periods are the ISO weeks or calendar months that overlap its window,
//!   and every post published in such a period counts toward it;
//! - a cadence goal is a habit, not a finish line: meeting this week's count puts it
//!   `on_track`, not `achieved`; past its due date it is `achieved` when every period met
//!   its count, else `missed` (or when marked achieved, `achieved` at once).

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

use crate::goal::GoalState;
use crate::target::{Aggregation, Period};

/// A goal's status at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    OnTrack,
    AtRisk,
    Behind,
    Achieved,
    Missed,
    Abandoned,
}

impl Status {
    /// Whether a suggestion should name this goal as a need.
    pub fn needs_help(self) -> bool {
        matches!(self, Status::Behind | Status::AtRisk)
    }
}

/// One metric observation: when, and the value observed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// Midnight UTC at the start of `day`.
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// The end of `day`: midnight UTC of the next day.
pub fn end_of(day: NaiveDate) -> DateTime<Utc> {
    start_of(day) + TimeDelta::days(1)
}

fn seconds(delta: TimeDelta) -> f64 {
    delta.num_milliseconds() as f64 / 1000.0
}

/// The elapsed fraction of `[start, end)` at `t`, clamped to `[0, 1]`.
fn elapsed(t: DateTime<Utc>, start: DateTime<Utc>, end: DateTime<Utc>) -> f64 {
    let span = seconds(end - start);
    if span <= 0.0 {
        return 1.0;
    }
    (seconds(t - start) / span).clamp(0.0, 1.0)
}

/// `clamp((t - starts_on) / (due_on_end - starts_on), 0, 1)`.
pub fn expected(t: DateTime<Utc>, starts_on: NaiveDate, due_on: NaiveDate) -> f64 {
    elapsed(t, start_of(starts_on), end_of(due_on))
}

/// `(current - baseline) / (target_value - baseline)`, unclamped.
pub fn progress(current: f64, baseline: f64, target_value: f64) -> f64 {
    (current - baseline) / (target_value - baseline)
}

/// A metric goal's current value at `t`: the latest observation at or before `t`
/// (`latest`), or the sum of the observations in `[starts_on, t]` (`sum`). `None` when
/// `latest` has nothing to go on. `points` may come in any order.
pub fn current(
    aggregation: Aggregation,
    points: &[Point],
    starts_on: NaiveDate,
    t: DateTime<Utc>,
) -> Option<f64> {
    match aggregation {
        Aggregation::Latest => points
            .iter()
            .filter(|p| p.at <= t)
            .max_by_key(|p| p.at)
            .map(|p| p.value),
        Aggregation::Sum => Some(
            points
                .iter()
                .filter(|p| p.at >= start_of(starts_on) && p.at <= t)
                .map(|p| p.value)
                .sum(),
        ),
    }
}

/// The status rule of api.md for a goal with a finish line. `progress` is `None` when
/// there is nothing to measure yet, which counts as no progress.
pub fn status(
    state: GoalState,
    progress: Option<f64>,
    expected: f64,
    t: DateTime<Utc>,
    due_on: NaiveDate,
) -> Status {
    let progress = progress.unwrap_or(0.0);
    match state {
        GoalState::Abandoned => Status::Abandoned,
        GoalState::Achieved => Status::Achieved,
        GoalState::Active if progress >= 1.0 => Status::Achieved,
        GoalState::Active if t >= end_of(due_on) => Status::Missed,
        GoalState::Active => on_pace(progress, expected),
    }
}

fn on_pace(progress: f64, expected: f64) -> Status {
    if progress >= expected {
        Status::OnTrack
    } else if progress >= 0.8 * expected {
        Status::AtRisk
    } else {
        Status::Behind
    }
}

/// Where a least-squares line through a goal's observations says it ends up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Forecast {
    /// The line's value at the end of the due day.
    pub projected_value: f64,
    /// The day the line reaches the target value; `None` when the trend never gets there.
    pub projected_completion_on: Option<NaiveDate>,
}

/// The forecast from the observations in `[starts_on, min(t, due_on_end)]`; for `sum` the
/// line runs through the running total. `None` with fewer than two distinct instants. The
/// completion day is `None` when the line does not move from `baseline` toward
/// `target_value`, or would take more than a century.
pub fn forecast(
    aggregation: Aggregation,
    points: &[Point],
    starts_on: NaiveDate,
    due_on: NaiveDate,
    t: DateTime<Utc>,
    baseline: f64,
    target_value: f64,
) -> Option<Forecast> {
    let start = start_of(starts_on);
    let until = t.min(end_of(due_on));
    let mut window: Vec<Point> = points
        .iter()
        .copied()
        .filter(|p| p.at >= start && p.at <= until)
        .collect();
    window.sort_by_key(|p| p.at);
    if aggregation == Aggregation::Sum {
        let mut total = 0.0;
        for point in &mut window {
            total += point.value;
            point.value = total;
        }
    }
    // x in days since the start keeps the sums well conditioned.
    let xs: Vec<f64> = window
        .iter()
        .map(|p| seconds(p.at - start) / 86_400.0)
        .collect();
    let (intercept, slope) =
        least_squares(&xs, &window.iter().map(|p| p.value).collect::<Vec<_>>())?;
    let due_x = seconds(end_of(due_on) - start) / 86_400.0;
    let projected_value = intercept + slope * due_x;
    // The line must move the way the target lies from the baseline to ever get there.
    let towards = slope * (target_value - baseline) > 0.0;
    let crossing = (target_value - intercept) / slope;
    let projected_completion_on = (towards && crossing.is_finite() && crossing < 36_525.0)
        .then(|| starts_on.checked_add_days(Days::new(crossing.max(0.0).floor() as u64)))
        .flatten();
    Some(Forecast {
        projected_value,
        projected_completion_on,
    })
}

/// Ordinary least squares: `(intercept, slope)`, `None` without two distinct `x`.
pub fn least_squares(xs: &[f64], ys: &[f64]) -> Option<(f64, f64)> {
    let n = xs.len().min(ys.len());
    if n < 2 {
        return None;
    }
    let mean_x = xs.iter().take(n).sum::<f64>() / n as f64;
    let mean_y = ys.iter().take(n).sum::<f64>() / n as f64;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in xs.iter().zip(ys).take(n) {
        sxy += (x - mean_x) * (y - mean_y);
        sxx += (x - mean_x) * (x - mean_x);
    }
    if sxx == 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    Some((mean_y - slope * mean_x, slope))
}

/// The first day of the period that holds `day`.
pub fn period_start(period: Period, day: NaiveDate) -> NaiveDate {
    match period {
        Period::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
        Period::Month => day.with_day(1).unwrap_or(day),
    }
}

/// The first day of the period after the one starting on `start`.
pub fn next_period(period: Period, start: NaiveDate) -> NaiveDate {
    match period {
        Period::Week => start + Days::new(7),
        Period::Month => start + Months::new(1),
    }
}

/// A cadence goal at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cadence {
    /// Posts published so far in the current period.
    pub period_count: u32,
    /// `period_count / count`.
    pub progress: f64,
    /// The elapsed fraction of the current period.
    pub expected: f64,
    /// Consecutive completed periods that met the count, ending with the last completed one.
    pub streak: u32,
    pub best_streak: u32,
    /// Completed periods met / completed periods; `None` before a period has completed.
    pub adherence: Option<f64>,
    /// Completed periods, and how many met the count.
    pub completed: u32,
    pub met: u32,
}

/// A cadence of `count` posts per `period` over `[starts_on, due_on]`, evaluated at `t`
/// from the publication instants of the posts that count (any order): the walk of
/// [`history::periods`], folded.
pub fn cadence(
    count: u32,
    period: Period,
    starts_on: NaiveDate,
    due_on: NaiveDate,
    published: &[DateTime<Utc>],
    t: DateTime<Utc>,
) -> Cadence {
    let walked = history::periods(count, period, starts_on, due_on, published, t);
    let (mut streak, mut best_streak, mut completed, mut met) = (0, 0, 0, 0);
    for done in walked.iter().filter(|p| p.complete) {
        completed += 1;
        if done.met {
            met += 1;
            streak += 1;
            best_streak = best_streak.max(streak);
        } else {
            streak = 0;
        }
    }
    // The walk ends with the current period; past the window that is the last, complete.
    let (period_count, expected) = match walked.last() {
        Some(current) if !current.complete => (
            current.count,
            elapsed(t, start_of(current.starts_on), end_of(current.ends_on)),
        ),
        Some(current) => (current.count, 1.0),
        None => (0, 1.0),
    };
    Cadence {
        period_count,
        progress: f64::from(period_count) / f64::from(count.max(1)),
        expected,
        streak,
        best_streak,
        adherence: (completed > 0).then(|| f64::from(met) / f64::from(completed)),
        completed,
        met,
    }
}

/// The status of a cadence goal: a habit, judged period by period (see the module note).
pub fn cadence_status(
    state: GoalState,
    cadence: &Cadence,
    t: DateTime<Utc>,
    due_on: NaiveDate,
) -> Status {
    match state {
        GoalState::Abandoned => Status::Abandoned,
        GoalState::Achieved => Status::Achieved,
        GoalState::Active if t >= end_of(due_on) => {
            if cadence.completed > 0 && cadence.met == cadence.completed {
                Status::Achieved
            } else {
                Status::Missed
            }
        }
        GoalState::Active => on_pace(cadence.progress, cadence.expected),
    }
}

/// The current period of a cadence goal, when it is at risk: it ends within `within` of
/// `t` and fewer than `count` posts were published in it so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodAtRisk {
    pub period_start: NaiveDate,
    /// The instant the period ends (the start of the next one).
    pub ends_at: DateTime<Utc>,
    /// Posts published in it so far.
    pub period_count: u32,
}

/// Whether the period of a cadence of `count` posts per `period` over
/// `[starts_on, due_on]` that holds `t` is at risk (see [`PeriodAtRisk`]). Outside the
/// goal's window nothing is.
pub fn period_at_risk(
    count: u32,
    period: Period,
    (starts_on, due_on): (NaiveDate, NaiveDate),
    published: &[DateTime<Utc>],
    t: DateTime<Utc>,
    within: TimeDelta,
) -> Option<PeriodAtRisk> {
    if t < start_of(starts_on) || t >= end_of(due_on.max(starts_on)) {
        return None;
    }
    let period_start = period_start(period, t.date_naive());
    let ends_at = start_of(next_period(period, period_start));
    if ends_at - t > within {
        return None;
    }
    let from = start_of(period_start).max(start_of(starts_on));
    let period_count = published
        .iter()
        .filter(|at| **at >= from && **at <= t)
        .count() as u32;
    (period_count < count.max(1)).then_some(PeriodAtRisk {
        period_start,
        ends_at,
        period_count,
    })
}

/// The team's pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    /// More than twice the usual weekly posts in the last 7 days: mind burning out.
    Sprinting,
    /// Nothing published in 14 days.
    Stalled,
    Steady,
}

/// `sprinting` when the posts of the 7 days before `t` exceed twice the median weekly count
/// of the 8 weeks before those days (a median of at least 1), `stalled` when nothing was
/// published in the 14 days before `t`, else `steady`. Days are `(t - 7d, t]`.
pub fn pace(published: &[DateTime<Utc>], t: DateTime<Utc>) -> Pace {
    let week = TimeDelta::days(7);
    let between = |from: DateTime<Utc>, to: DateTime<Utc>| {
        published
            .iter()
            .filter(|at| **at > from && **at <= to)
            .count()
    };
    let recent = between(t - week, t);
    let mut weeks: Vec<usize> = (1..=8)
        .map(|i| between(t - week * (i + 1), t - week * i))
        .collect();
    weeks.sort_unstable();
    let median = (weeks[3] + weeks[4]) as f64 / 2.0;
    if median >= 1.0 && recent as f64 > 2.0 * median {
        Pace::Sprinting
    } else if between(t - week * 2, t) == 0 {
        Pace::Stalled
    } else {
        Pace::Steady
    }
}

/// A long goal's progress: the mean of its children's, each clamped to `[0, 1]` so that
/// one step overshooting cannot hide another that has not begun. `None` without children.
pub fn mean_of_children(children: &[f64]) -> Option<f64> {
    (!children.is_empty())
        .then(|| children.iter().map(|p| p.clamp(0.0, 1.0)).sum::<f64>() / children.len() as f64)
}

pub mod history;
pub mod report;

#[cfg(test)]
mod tests;
