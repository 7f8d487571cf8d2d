//! Burn-ups, periods and sampling, each case worked by hand.

use super::*;
use crate::progress::tests::{at, day, point, weekly_posts};
use crate::progress::{cadence, current};

/// Observations of a goal over Sunday Nov 1 to Saturday Nov 7, 2026, in time order.
fn observed() -> Vec<Point> {
    vec![
        // Before the window: the latest counts, the sum does not.
        point("2026-10-30T12:00:00Z", 1000.0),
        point("2026-11-02T09:00:00Z", 1010.0),
        point("2026-11-02T18:00:00Z", 1015.0),
        // Midnight belongs to the day it begins.
        point("2026-11-04T00:00:00Z", 1030.0),
        point("2026-11-05T23:59:59Z", 1040.0),
        // After `t`: not yet.
        point("2026-11-06T15:00:00Z", 1100.0),
    ]
}

fn values(points: &[BurnUpPoint]) -> Vec<(NaiveDate, Option<f64>)> {
    points.iter().map(|p| (p.on, p.value)).collect()
}

#[test]
fn a_latest_burn_up_is_the_latest_observation_at_the_end_of_each_day_to_as_of() {
    let t = at("2026-11-06T12:00:00Z");
    let got = burn_up(
        Aggregation::Latest,
        &observed(),
        day("2026-11-01"),
        day("2026-11-07"),
        t,
    );
    let want = [
        ("2026-11-01", 1000.0),
        ("2026-11-02", 1015.0),
        ("2026-11-03", 1015.0),
        ("2026-11-04", 1030.0),
        ("2026-11-05", 1040.0),
        // At noon, not at the end of the day: the 15:00 observation is after `as_of`.
        ("2026-11-06", 1040.0),
    ];
    let want: Vec<_> = want.iter().map(|(d, v)| (day(d), Some(*v))).collect();
    assert_eq!(values(&got), want);
}

#[test]
fn a_sum_burn_up_is_the_running_total_from_the_start() {
    let t = at("2026-11-06T12:00:00Z");
    let got = burn_up(
        Aggregation::Sum,
        &observed(),
        day("2026-11-01"),
        day("2026-11-07"),
        t,
    );
    let want = [
        ("2026-11-01", 0.0),
        ("2026-11-02", 2025.0),
        ("2026-11-03", 2025.0),
        ("2026-11-04", 3055.0),
        ("2026-11-05", 4095.0),
        ("2026-11-06", 4095.0),
    ];
    let want: Vec<_> = want.iter().map(|(d, v)| (day(d), Some(*v))).collect();
    assert_eq!(values(&got), want);
}

#[test]
fn a_burn_up_stops_at_the_due_day_and_is_empty_before_the_start() {
    let late = at("2026-12-20T00:00:00Z");
    let got = burn_up(
        Aggregation::Latest,
        &observed(),
        day("2026-11-01"),
        day("2026-11-03"),
        late,
    );
    let want: Vec<_> = [
        ("2026-11-01", 1000.0),
        ("2026-11-02", 1015.0),
        ("2026-11-03", 1015.0),
    ]
    .iter()
    .map(|(d, v)| (day(d), Some(*v)))
    .collect();
    assert_eq!(values(&got), want);

    let early = at("2026-10-31T23:00:00Z");
    let got = burn_up(
        Aggregation::Latest,
        &observed(),
        day("2026-11-01"),
        day("2026-11-07"),
        early,
    );
    assert!(got.is_empty());
}

#[test]
fn a_latest_burn_up_is_null_until_the_first_observation() {
    let got = burn_up(
        Aggregation::Latest,
        &observed()[1..],
        day("2026-11-01"),
        day("2026-11-07"),
        at("2026-11-02T12:00:00Z"),
    );
    assert_eq!(
        values(&got),
        vec![(day("2026-11-01"), None), (day("2026-11-02"), Some(1010.0))]
    );
}

#[test]
fn every_burn_up_value_is_what_current_gives_at_that_instant() {
    // Fractions, so that a sum in another order could differ in its last bits.
    let points: Vec<Point> = (0..500)
        .map(|i| Point {
            at: at("2026-10-25T00:00:00Z") + TimeDelta::minutes(97 * i),
            value: 0.1 + f64::from(i as u32) / 7.0,
        })
        .collect();
    let (start, due) = (day("2026-11-01"), day("2026-12-31"));
    let t = at("2026-11-20T07:30:00Z");
    for aggregation in [Aggregation::Latest, Aggregation::Sum] {
        let got = burn_up(aggregation, &points, start, due, t);
        assert_eq!(got.len(), 20);
        for p in &got {
            let instant = (end_of(p.on) - TimeDelta::nanoseconds(1)).min(t);
            let want = current(aggregation, &points, start, instant);
            assert_eq!(
                p.value.map(f64::to_bits),
                want.map(f64::to_bits),
                "{aggregation:?} on {}",
                p.on
            );
        }
        let last = got.last().unwrap();
        assert_eq!(last.value, current(aggregation, &points, start, t));
    }
}

fn period(starts: &str, ends: &str, count: u32, met: bool, complete: bool) -> CadencePeriod {
    CadencePeriod {
        starts_on: day(starts),
        ends_on: day(ends),
        count,
        met,
        complete,
    }
}

#[test]
fn weekly_periods_count_each_iso_week_to_the_current_one_which_is_not_complete() {
    let (start, due) = (day("2026-11-02"), day("2026-11-29"));
    let t = at("2026-11-25T12:00:00Z");
    // In any order.
    let mut published = weekly_posts();
    published.reverse();
    let got = periods(3, Period::Week, start, due, &published, t);
    assert_eq!(
        got,
        vec![
            period("2026-11-02", "2026-11-08", 3, true, true),
            period("2026-11-09", "2026-11-15", 1, false, true),
            period("2026-11-16", "2026-11-22", 3, true, true),
            period("2026-11-23", "2026-11-29", 2, false, false),
        ]
    );
    // The same walk, folded, is the goal's cadence.
    let kept = cadence(3, Period::Week, start, due, &published, t);
    assert_eq!((kept.period_count, kept.completed, kept.met), (2, 3, 2));

    // Past the window every period is over, the last one too.
    let after = at("2026-12-05T00:00:00Z");
    let got = periods(3, Period::Week, start, due, &published, after);
    assert_eq!(got.len(), 4);
    assert_eq!(got[3], period("2026-11-23", "2026-11-29", 3, true, true));
}

#[test]
fn monthly_periods_are_calendar_months_from_the_one_that_holds_the_start() {
    let published = [at("2026-01-31T23:00:00Z"), at("2026-02-10T09:00:00Z")];
    let got = periods(
        1,
        Period::Month,
        day("2026-01-15"),
        day("2026-04-30"),
        &published,
        at("2026-03-01T00:00:00Z"),
    );
    assert_eq!(
        got,
        vec![
            period("2026-01-01", "2026-01-31", 1, true, true),
            period("2026-02-01", "2026-02-28", 1, true, true),
            // March began at `t` itself: nothing yet.
            period("2026-03-01", "2026-03-31", 0, false, false),
        ]
    );
}

#[test]
fn a_short_window_keeps_every_day() {
    let got = sample_days(day("2026-01-30"), day("2026-02-02"), 400);
    let want: Vec<_> = ["2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02"]
        .iter()
        .map(|d| day(d))
        .collect();
    assert_eq!(got, want);
    assert!(sample_days(day("2026-02-02"), day("2026-01-30"), 400).is_empty());
    assert_eq!(
        sample_days(day("2026-02-02"), day("2026-02-02"), 400),
        vec![day("2026-02-02")]
    );
}

#[test]
fn a_long_window_is_sampled_evenly_keeping_its_first_and_last_day() {
    // 799 days, 400 points: every other day, 2i from the first.
    let first = day("2000-01-01");
    let got = sample_days(first, first + Days::new(798), 400);
    assert_eq!(got.len(), 400);
    for (i, on) in got.iter().enumerate() {
        assert_eq!(*on, first + Days::new(2 * i as u64));
    }

    // 401 days, 400 points: the nearest day to each of 400 even shares; one day goes.
    let got = sample_days(first, first + Days::new(400), 400);
    assert_eq!(got.len(), 400);
    assert_eq!(got[1], first + Days::new(1));
    assert_eq!(got[200], first + Days::new(201));
    assert_eq!(got[399], first + Days::new(400));

    // A century: 36,890 days, each step 92 or 93 days.
    let last = day("2100-12-31");
    let got = sample_days(first, last, 400);
    assert_eq!((got.len(), got[0], got[399]), (400, first, last));
    for pair in got.windows(2) {
        let step = (pair[1] - pair[0]).num_days();
        assert!((92..=93).contains(&step), "{step}");
    }
}

#[test]
fn a_century_long_goal_stays_cheap() {
    // The longest window there is, with an observation every four hours and a post every
    // other day: the burn-up reads each observation once and keeps 400 days; the periods
    // are two binary searches each. Timed for the record, not asserted.
    let (first, last) = (day("2000-01-01"), day("2100-12-31"));
    let t = at("2100-12-31T12:00:00Z");
    let points: Vec<Point> = (0..221_000)
        .map(|i| Point {
            at: start_of(first) + TimeDelta::hours(4 * i),
            value: 1.0,
        })
        .collect();
    let published: Vec<DateTime<Utc>> = (0..18_445)
        .map(|i| start_of(first) + TimeDelta::days(2 * i))
        .collect();
    let started = std::time::Instant::now();
    let sums = burn_up(Aggregation::Sum, &points, first, last, t);
    let walked = periods(3, Period::Week, first, last, &published, t);
    eprintln!(
        "a century: {} burn-up points and {} weeks in {:?}",
        sums.len(),
        walked.len(),
        started.elapsed()
    );
    assert_eq!(sums.len(), BURN_UP_POINTS);
    assert_eq!((sums[0].on, sums[399].on), (first, last));
    assert_eq!(
        sums[399].value,
        current(Aggregation::Sum, &points, first, t)
    );
    // Monday Dec 27, 1999 to Sunday Jan 2, 2101.
    assert_eq!(walked.len(), 5271);
    assert!(!walked[5270].complete && walked[..5270].iter().all(|p| p.complete));
}
