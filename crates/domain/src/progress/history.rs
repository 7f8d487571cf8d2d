//! How a goal got where it stands: a metric goal's burn-up (its `current` value day by day)
//! and a cadence goal's periods (each one's count, whether it met the goal's, whether it is
//! over). The walk over a cadence's periods lives here alone: `cadence()` folds it into
//! streaks and adherence, a goal's detail shows it period by period.
//!
//! Both stay cheap however long a goal's window is (2000 to 2100 at most): a burn-up is
//! sampled to at most [`BURN_UP_POINTS`] days and reads the observations once, in time
//! order; a period's count is two binary searches in the sorted publication instants.

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

use super::{Point, end_of, next_period, period_start, start_of};
use crate::target::{Aggregation, Period};

/// The most days a burn-up holds; a longer window is sampled evenly.
pub const BURN_UP_POINTS: usize = 400;
/// The most periods a goal's detail shows: the latest ones.
pub const PERIODS_SHOWN: usize = 400;

/// A metric goal's `current` value at the end of a day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BurnUpPoint {
    pub on: NaiveDate,
    /// The goal's `current` at the end of `on` (or at `as_of`, on its day): null while a
    /// `latest` goal has no observation to go on.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub value: Option<f64>,
}

/// One period of a cadence goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CadencePeriod {
    /// Its first day: a Monday, or the first of a month.
    pub starts_on: NaiveDate,
    /// Its last day: a Sunday, or the last of a month.
    pub ends_on: NaiveDate,
    /// Posts published in it; in the current period, those published by `as_of`.
    pub count: u32,
    /// `count` reached the goal's count.
    pub met: bool,
    /// The period was over by `as_of`; only the current one is not.
    pub complete: bool,
}

/// The periods of a cadence of `count` posts per `period` over `[starts_on, due_on]` at
/// `t`, from the first (the ISO week or month that holds `starts_on`) to the current one:
/// the first not over at `t`, or past the window the last, then complete. Posts count in the
/// period they were published in, the current one's up to `t` itself; `published` may come
/// in any order.
pub fn periods(
    count: u32,
    period: Period,
    starts_on: NaiveDate,
    due_on: NaiveDate,
    published: &[DateTime<Utc>],
    t: DateTime<Utc>,
) -> Vec<CadencePeriod> {
    let count = count.max(1);
    let last_day = due_on.max(starts_on);
    let mut sorted = published.to_vec();
    sorted.sort_unstable();
    let before = |at: DateTime<Utc>| sorted.partition_point(|p| *p < at);
    let mut walked = Vec::new();
    let mut start = period_start(period, starts_on);
    while start <= last_day {
        let next = next_period(period, start);
        let complete = start_of(next) <= t;
        let until = if complete {
            before(start_of(next))
        } else {
            sorted.partition_point(|p| *p <= t)
        };
        let in_period = until.saturating_sub(before(start_of(start)));
        let in_period = u32::try_from(in_period).unwrap_or(u32::MAX);
        walked.push(CadencePeriod {
            starts_on: start,
            ends_on: next - Days::new(1),
            count: in_period,
            met: in_period >= count,
            complete,
        });
        if !complete {
            break;
        }
        start = next;
    }
    walked
}

/// A metric goal's burn-up: its `current` value (see [`super::current`]) at the end of each
/// day from `starts_on` to the earlier of `t`'s day and `due_on`, the last of them taken at
/// `t` when it is `t`'s day. A window of more than [`BURN_UP_POINTS`] days is sampled evenly,
/// its first and last day always kept. Empty before the goal starts.
///
/// The values are those `current()` gives at each instant, to the last bit for `points` in
/// time order (as storage reads them): a running fold in the same order as its sum.
pub fn burn_up(
    aggregation: Aggregation,
    points: &[Point],
    starts_on: NaiveDate,
    due_on: NaiveDate,
    t: DateTime<Utc>,
) -> Vec<BurnUpPoint> {
    let days = sample_days(starts_on, t.date_naive().min(due_on), BURN_UP_POINTS);
    let mut sorted = points.to_vec();
    // Stable, so that of two observations at one instant the later one given stays the later,
    // as `current()`'s `max_by_key` keeps it.
    sorted.sort_by_key(|p| p.at);
    let from = start_of(starts_on);
    let mut taken = 0;
    // The same start as `Iterator::sum`'s fold, so that a total is the sum `current()` makes.
    let mut total: f64 = std::iter::empty::<f64>().sum();
    let mut sampled = Vec::with_capacity(days.len());
    for on in days {
        // The last instant of the day: an observation at midnight is the next day's.
        let at = (end_of(on) - TimeDelta::nanoseconds(1)).min(t);
        while let Some(point) = sorted.get(taken).filter(|p| p.at <= at) {
            if point.at >= from {
                total += point.value;
            }
            taken += 1;
        }
        let value = match aggregation {
            Aggregation::Latest => taken
                .checked_sub(1)
                .and_then(|last| sorted.get(last))
                .map(|p| p.value),
            Aggregation::Sum => Some(total),
        };
        sampled.push(BurnUpPoint { on, value });
    }
    sampled
}

/// The days from `first` to `last`, every one when they are at most `most`, else `most` of
/// them spread evenly (each the nearest day to its even share), `first` and `last` kept.
/// Empty when `last` is before `first`.
pub fn sample_days(first: NaiveDate, last: NaiveDate, most: usize) -> Vec<NaiveDate> {
    let Ok(span) = u64::try_from((last - first).num_days()) else {
        return Vec::new();
    };
    let days = span.saturating_add(1);
    let most = most.max(2) as u64;
    let offsets: Vec<u64> = if days <= most {
        (0..days).collect()
    } else {
        let steps = most - 1;
        (0..most).map(|i| (i * span + steps / 2) / steps).collect()
    };
    offsets
        .into_iter()
        .filter_map(|offset| first.checked_add_days(Days::new(offset)))
        .collect()
}

#[cfg(test)]
mod tests;
