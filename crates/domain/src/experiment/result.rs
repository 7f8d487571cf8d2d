//! Whether an experiment helped: the metric's daily values in the baseline window (the
//! `baseline_days` before the start) and in the experiment window, each window's mean, the
//! change in percent, and a 95% bootstrap confidence interval of the difference of the
//! means, drawn from a fixed seed so that the same data always answers the same. Pure
//! functions; the tests work their cases by hand.
//!
//! A day's value is what the day did: for a level such as followers, its growth (the day's
//! last observation less the last one of the latest earlier day observed, per day between
//! them); for a flow such as clicks, the sum of the day's observations. A day without
//! observations has no value: missing data is not zero.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::progress::Point;

/// Fewer days of values than this in either window is `not_enough_data`.
pub const MIN_DAYS: usize = 7;
/// Resamples drawn for the interval.
pub const ROUNDS: usize = 2000;
/// The seed of every interval.
pub const SEED: u64 = 0x5354_5249_4445_0001;

/// What the numbers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole interval is above zero.
    Better,
    /// The whole interval is below zero.
    Worse,
    /// The interval spans zero.
    NoClearChange,
    /// Fewer than 7 days of values in a window.
    NotEnoughData,
}

/// One day's value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayValue {
    pub day: NaiveDate,
    pub value: f64,
}

/// Days from `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Window {
    fn contains(&self, day: NaiveDate) -> bool {
        day >= self.from && day <= self.to
    }

    fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// The daily values of a metric in `window`, from its observations in any order (those
/// before the window give a level its starting point).
pub fn daily_values(points: &[Point], level: bool, window: Window) -> Vec<DayValue> {
    let mut days: BTreeMap<NaiveDate, (DateTime<Utc>, f64, f64)> = BTreeMap::new();
    for point in points {
        let day = point.at.date_naive();
        let entry = days.entry(day).or_insert((point.at, point.value, 0.0));
        if point.at >= entry.0 {
            (entry.0, entry.1) = (point.at, point.value);
        }
        entry.2 += point.value;
    }
    let mut values = Vec::new();
    let mut previous: Option<(NaiveDate, f64)> = None;
    for (day, (_, last, sum)) in days {
        if window.contains(day) {
            if !level {
                values.push(DayValue { day, value: sum });
            } else if let Some((before, level_before)) = previous {
                let gap = (day - before).num_days().max(1) as f64;
                values.push(DayValue {
                    day,
                    value: (last - level_before) / gap,
                });
            }
        }
        previous = Some((day, last));
    }
    values
}

/// The daily values of several channels together: on each day every channel has a value
/// for, their sum. Channels with no value in the window are left out.
pub fn combined(channels: &[Vec<DayValue>]) -> Vec<DayValue> {
    let present: Vec<&Vec<DayValue>> = channels.iter().filter(|c| !c.is_empty()).collect();
    let Some(first) = present.first() else {
        return Vec::new();
    };
    first
        .iter()
        .filter_map(|d| {
            let mut value = 0.0;
            for channel in &present {
                value += channel.iter().find(|o| o.day == d.day)?.value;
            }
            Some(DayValue { day: d.day, value })
        })
        .collect()
}

/// One window of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowResult {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub values: Vec<DayValue>,
    /// Null without values.
    pub mean: Option<f64>,
    /// Posts published in the window on the experiment's channels.
    pub posts: u32,
    pub posts_per_week: f64,
}

/// The baseline against the experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comparison {
    pub baseline: WindowResult,
    pub experiment: WindowResult,
    /// The experiment's mean less the baseline's.
    pub difference: Option<f64>,
    /// The difference against the baseline's mean, in percent; null when that mean is 0.
    pub change_pct: Option<f64>,
    /// The 95% bootstrap confidence interval of the difference, `[low, high]`; null with
    /// fewer than 7 days of values in a window.
    pub interval: Option<[f64; 2]>,
    pub verdict: Verdict,
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn window_result(window: Window, values: Vec<DayValue>, posts: u32) -> WindowResult {
    let numbers: Vec<f64> = values.iter().map(|v| v.value).collect();
    WindowResult {
        from: window.from,
        to: window.to,
        mean: mean(&numbers),
        values,
        posts,
        posts_per_week: f64::from(posts) * 7.0 / window.days().max(1) as f64,
    }
}

/// Compares the daily values of the two windows, with the posts published in each.
pub fn compare(
    (baseline, baseline_values, baseline_posts): (Window, Vec<DayValue>, u32),
    (experiment, experiment_values, experiment_posts): (Window, Vec<DayValue>, u32),
) -> Comparison {
    let before: Vec<f64> = baseline_values.iter().map(|v| v.value).collect();
    let after: Vec<f64> = experiment_values.iter().map(|v| v.value).collect();
    let difference = mean(&after).zip(mean(&before)).map(|(b, a)| b - a);
    let change_pct = mean(&before)
        .filter(|a| *a != 0.0)
        .zip(difference)
        .map(|(a, d)| d / a.abs() * 100.0);
    let (interval, verdict) = if before.len() < MIN_DAYS || after.len() < MIN_DAYS {
        (None, Verdict::NotEnoughData)
    } else {
        let [low, high] = bootstrap(&before, &after, SEED, ROUNDS);
        let verdict = if low > 0.0 {
            Verdict::Better
        } else if high < 0.0 {
            Verdict::Worse
        } else {
            Verdict::NoClearChange
        };
        (Some([low, high]), verdict)
    };
    Comparison {
        baseline: window_result(baseline, baseline_values, baseline_posts),
        experiment: window_result(experiment, experiment_values, experiment_posts),
        difference,
        change_pct,
        interval,
        verdict,
    }
}

/// The 95% percentile interval of `mean(after*) - mean(before*)` over `rounds` resamples
/// (each window resampled with replacement, its own size), drawn from `seed`. Both windows
/// must hold values.
pub fn bootstrap(before: &[f64], after: &[f64], seed: u64, rounds: usize) -> [f64; 2] {
    let mut random = SplitMix64(seed);
    let mut resampled_mean = |values: &[f64]| {
        let mut sum = 0.0;
        for _ in 0..values.len() {
            sum += values[random.below(values.len())];
        }
        sum / values.len() as f64
    };
    let mut differences: Vec<f64> = (0..rounds.max(1))
        .map(|_| {
            let a = resampled_mean(before);
            let b = resampled_mean(after);
            b - a
        })
        .collect();
    differences.sort_by(f64::total_cmp);
    let n = differences.len();
    let low = differences[n * 25 / 1000];
    let high = differences[(n * 975 / 1000).saturating_sub(1).max(n * 25 / 1000)];
    [low, high]
}

/// SplitMix64 (Steele, Lea and Flood): a small generator whose sequence for a seed never
/// changes with a library's version, so an interval computed today is computed again the
/// same way.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` at most a few thousand days: the modulo's bias is below
    /// 1e-15).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    fn point(raw: &str, value: f64) -> Point {
        Point {
            at: raw.parse().unwrap(),
            value,
        }
    }

    fn days(from: &str, values: &[f64]) -> Vec<DayValue> {
        let first = day(from);
        values
            .iter()
            .enumerate()
            .map(|(i, v)| DayValue {
                day: first + chrono::Days::new(i as u64),
                value: *v,
            })
            .collect()
    }

    fn window(from: &str, to: &str) -> Window {
        Window {
            from: day(from),
            to: day(to),
        }
    }

    #[test]
    fn a_level_grows_by_its_last_observation_of_each_day_and_a_flow_sums_its_day() {
        let followers = [
            point("2026-11-01T20:00:00Z", 104.0),
            point("2026-11-01T10:00:00Z", 100.0),
            point("2026-11-02T09:00:00Z", 110.0),
            // Nov 3 unobserved: Nov 4 grew 6 over two days.
            point("2026-11-04T09:00:00Z", 116.0),
            point("2026-11-05T09:00:00Z", 200.0),
        ];
        let nov = window("2026-11-02", "2026-11-04");
        assert_eq!(
            daily_values(&followers, true, nov),
            days("2026-11-02", &[6.0])
                .into_iter()
                .chain([DayValue {
                    day: day("2026-11-04"),
                    value: 3.0
                }])
                .collect::<Vec<_>>()
        );
        let likes = [
            point("2026-11-02T09:00:00Z", 5.0),
            point("2026-11-02T18:00:00Z", 7.0),
            point("2026-11-03T09:00:00Z", 1.0),
            point("2026-11-05T09:00:00Z", 9.0),
        ];
        assert_eq!(
            daily_values(&likes, false, nov),
            days("2026-11-02", &[12.0, 1.0])
        );
        // A level observed first inside the window has no growth that day.
        assert_eq!(
            daily_values(&followers[2..], true, nov),
            vec![DayValue {
                day: day("2026-11-04"),
                value: 3.0
            }]
        );
    }

    #[test]
    fn channels_combine_on_the_days_each_has_a_value() {
        let a = days("2026-11-02", &[1.0, 2.0, 3.0]);
        let b = days("2026-11-03", &[10.0, 20.0, 30.0]);
        assert_eq!(
            combined(&[a.clone(), b, vec![]]),
            days("2026-11-03", &[12.0, 23.0])
        );
        assert_eq!(combined(std::slice::from_ref(&a)), a);
        assert_eq!(combined(&[]), vec![]);
    }

    #[test]
    fn worked_comparisons_better_worse_spanning_zero_and_too_few_days() {
        let baseline = window("2026-10-05", "2026-11-01");
        let experiment = window("2026-11-02", "2026-11-29");
        // Ten a day before, twelve after, every day: every resample differs by exactly 2.
        let flat = compare(
            (baseline, days("2026-10-05", &[10.0; 7]), 4),
            (experiment, days("2026-11-02", &[12.0; 7]), 8),
        );
        assert_eq!(
            (flat.difference, flat.interval, flat.verdict),
            (Some(2.0), Some([2.0, 2.0]), Verdict::Better)
        );
        assert_eq!(flat.change_pct, Some(20.0));
        // 28 days each: 4 posts is one a week, 8 is two.
        assert_eq!(
            (flat.baseline.posts_per_week, flat.experiment.posts_per_week),
            (1.0, 2.0)
        );
        assert_eq!(flat.baseline.mean, Some(10.0));

        let worse = compare(
            (baseline, days("2026-10-05", &[10.0; 8]), 0),
            (experiment, days("2026-11-02", &[8.0; 7]), 0),
        );
        assert_eq!(
            (worse.interval, worse.verdict),
            (Some([-2.0, -2.0]), Verdict::Worse)
        );
        assert_eq!(worse.change_pct, Some(-20.0));

        // Alternating 1 and 7 (mean 4) against a steady 4: the means are equal, and a
        // resampled baseline's mean ranges from 1 to 7, so the interval holds 0.
        let spans = compare(
            (
                baseline,
                days("2026-10-05", &[1.0, 7.0, 1.0, 7.0, 1.0, 7.0, 1.0, 7.0]),
                0,
            ),
            (experiment, days("2026-11-02", &[4.0; 8]), 0),
        );
        let [low, high] = spans.interval.unwrap();
        assert!(
            low < 0.0 && high > 0.0 && low >= -3.0 && high <= 3.0,
            "{low} {high}"
        );
        assert_eq!(
            (spans.difference, spans.verdict),
            (Some(0.0), Verdict::NoClearChange)
        );

        // Six days after the start are not enough.
        let early = compare(
            (baseline, days("2026-10-05", &[10.0; 28]), 0),
            (experiment, days("2026-11-02", &[30.0; 6]), 0),
        );
        assert_eq!(
            (early.interval, early.verdict),
            (None, Verdict::NotEnoughData)
        );
        assert_eq!(early.difference, Some(20.0));
        // No baseline values: no mean, no change.
        let none = compare(
            (baseline, vec![], 0),
            (experiment, days("2026-11-02", &[1.0; 7]), 0),
        );
        assert_eq!(
            (none.baseline.mean, none.difference, none.change_pct),
            (None, None, None)
        );
    }

    #[test]
    fn the_same_data_always_gives_the_same_interval() {
        let before: Vec<f64> = (0..20).map(|i| f64::from(i % 7) * 1.5).collect();
        let after: Vec<f64> = (0..15).map(|i| f64::from(i % 5) * 2.0 + 1.0).collect();
        let first = bootstrap(&before, &after, SEED, ROUNDS);
        assert_eq!(bootstrap(&before, &after, SEED, ROUNDS), first);
        assert!(first[0] <= first[1]);
        assert_ne!(bootstrap(&before, &after, SEED + 1, ROUNDS), first);
    }
}
