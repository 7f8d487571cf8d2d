//! Tables of worked cases for the progress math, each computed by hand.

use super::*;

pub(super) fn at(raw: &str) -> DateTime<Utc> {
    raw.parse().unwrap()
}

pub(super) fn day(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

pub(super) fn point(raw: &str, value: f64) -> Point {
    Point { at: at(raw), value }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn expected_is_the_elapsed_fraction_of_the_window_to_the_end_of_the_due_day() {
    // November 2026 has 30 days: the window is [Nov 1 00:00, Dec 1 00:00).
    let cases = [
        ("2026-10-20T00:00:00Z", 0.0),
        ("2026-11-01T00:00:00Z", 0.0),
        ("2026-11-16T00:00:00Z", 0.5),
        ("2026-11-04T00:00:00Z", 0.1),
        ("2026-11-30T12:00:00Z", 29.5 / 30.0),
        ("2026-12-01T00:00:00Z", 1.0),
        ("2027-01-01T00:00:00Z", 1.0),
    ];
    for (t, want) in cases {
        let got = expected(at(t), day("2026-11-01"), day("2026-11-30"));
        assert!(close(got, want), "at {t}: {got} != {want}");
    }
}

#[test]
fn progress_is_the_share_of_the_way_from_baseline_to_target_unclamped() {
    let cases = [
        (1000.0, 1000.0, 1100.0, 0.0),
        (1050.0, 1000.0, 1100.0, 0.5),
        (1100.0, 1000.0, 1100.0, 1.0),
        (1150.0, 1000.0, 1100.0, 1.5),
        (950.0, 1000.0, 1100.0, -0.5),
        // A goal to bring a number down: from 40 to 20, now 30.
        (30.0, 40.0, 20.0, 0.5),
    ];
    for (current, baseline, target, want) in cases {
        assert!(close(progress(current, baseline, target), want));
    }
}

#[test]
fn current_is_the_latest_observation_or_the_sum_in_the_window() {
    let points = [
        point("2026-10-31T12:00:00Z", 990.0),
        point("2026-11-05T00:00:00Z", 1010.0),
        point("2026-11-03T00:00:00Z", 1005.0),
        point("2026-11-20T00:00:00Z", 1080.0),
    ];
    let start = day("2026-11-01");
    let cases = [
        (Aggregation::Latest, "2026-10-01T00:00:00Z", None),
        (Aggregation::Latest, "2026-11-01T00:00:00Z", Some(990.0)),
        (Aggregation::Latest, "2026-11-05T00:00:00Z", Some(1010.0)),
        (Aggregation::Latest, "2026-11-19T00:00:00Z", Some(1010.0)),
        (Aggregation::Latest, "2026-12-31T00:00:00Z", Some(1080.0)),
        // The observation before starts_on is not in a sum's window.
        (Aggregation::Sum, "2026-11-01T00:00:00Z", Some(0.0)),
        (Aggregation::Sum, "2026-11-04T00:00:00Z", Some(1005.0)),
        (Aggregation::Sum, "2026-11-05T00:00:00Z", Some(2015.0)),
        (Aggregation::Sum, "2026-12-31T00:00:00Z", Some(3095.0)),
    ];
    for (aggregation, t, want) in cases {
        assert_eq!(
            current(aggregation, &points, start, at(t)),
            want,
            "{aggregation:?} at {t}"
        );
    }
}

#[test]
fn status_follows_progress_against_expected_then_the_due_date() {
    let due = day("2026-11-30");
    let during = at("2026-11-16T00:00:00Z");
    let after = at("2026-12-01T00:00:00Z");
    let cases = [
        (GoalState::Active, Some(0.5), 0.5, during, Status::OnTrack),
        (GoalState::Active, Some(0.6), 0.5, during, Status::OnTrack),
        (GoalState::Active, Some(0.4), 0.5, during, Status::AtRisk),
        (GoalState::Active, Some(0.39), 0.5, during, Status::Behind),
        (GoalState::Active, Some(-0.2), 0.5, during, Status::Behind),
        (GoalState::Active, None, 0.0, during, Status::OnTrack),
        (GoalState::Active, None, 0.5, during, Status::Behind),
        (GoalState::Active, Some(1.0), 0.2, during, Status::Achieved),
        (GoalState::Active, Some(1.3), 1.0, after, Status::Achieved),
        (GoalState::Active, Some(0.99), 1.0, after, Status::Missed),
        (
            GoalState::Achieved,
            Some(0.1),
            0.5,
            during,
            Status::Achieved,
        ),
        (
            GoalState::Abandoned,
            Some(2.0),
            0.5,
            during,
            Status::Abandoned,
        ),
    ];
    for (state, progress, expected, t, want) in cases {
        assert_eq!(
            status(state, progress, expected, t, due),
            want,
            "{state:?} {progress:?} vs {expected} at {t}"
        );
    }
}

#[test]
fn the_forecast_is_a_least_squares_line_to_the_end_of_the_due_day() {
    // Two a day from 1000 from Nov 1: 1060 at Dec 1 00:00 (day 30).
    let rising = [
        point("2026-11-01T00:00:00Z", 1000.0),
        point("2026-11-11T00:00:00Z", 1020.0),
        point("2026-11-21T00:00:00Z", 1040.0),
        // Outside the window: before the start, and after t.
        point("2026-10-01T00:00:00Z", 5000.0),
        point("2026-11-25T00:00:00Z", 0.0),
    ];
    let (start, due, t) = (
        day("2026-11-01"),
        day("2026-11-30"),
        at("2026-11-22T00:00:00Z"),
    );
    let cases = [
        // (target, projected completion): day 50 is Dec 21, day 25 is Nov 26.
        (1100.0, Some(day("2026-12-21"))),
        (1050.0, Some(day("2026-11-26"))),
        // Falling target from a baseline above: the rising line never gets there.
        (900.0, None),
    ];
    for (target, completion) in cases {
        let baseline = if target > 1000.0 { 1000.0 } else { 1010.0 };
        let got = forecast(
            Aggregation::Latest,
            &rising,
            start,
            due,
            t,
            baseline,
            target,
        )
        .unwrap();
        assert!(close(got.projected_value, 1060.0), "{got:?}");
        assert_eq!(got.projected_completion_on, completion, "target {target}");
    }
}

#[test]
fn a_sum_forecast_runs_through_the_running_total() {
    let clicks = [
        point("2026-11-01T00:00:00Z", 10.0),
        point("2026-11-02T00:00:00Z", 10.0),
        point("2026-11-03T00:00:00Z", 10.0),
    ];
    let got = forecast(
        Aggregation::Sum,
        &clicks,
        day("2026-11-01"),
        day("2026-11-30"),
        at("2026-11-04T00:00:00Z"),
        0.0,
        200.0,
    )
    .unwrap();
    // Totals 10, 20, 30 on days 0, 1, 2: ten a day from 10, so 310 on day 30 and 200 on day 19.
    assert!(close(got.projected_value, 310.0), "{got:?}");
    assert_eq!(got.projected_completion_on, Some(day("2026-11-20")));
}

#[test]
fn a_forecast_needs_two_distinct_instants_and_a_moving_line() {
    let (start, due, t) = (
        day("2026-11-01"),
        day("2026-11-30"),
        at("2026-11-22T00:00:00Z"),
    );
    let one = [point("2026-11-02T00:00:00Z", 1000.0)];
    assert_eq!(
        forecast(Aggregation::Latest, &one, start, due, t, 1000.0, 1100.0),
        None
    );
    let same_instant = [
        point("2026-11-02T00:00:00Z", 1000.0),
        point("2026-11-02T00:00:00Z", 1010.0),
    ];
    assert_eq!(
        forecast(
            Aggregation::Latest,
            &same_instant,
            start,
            due,
            t,
            1000.0,
            1100.0
        ),
        None
    );
    let flat = [
        point("2026-11-02T00:00:00Z", 1000.0),
        point("2026-11-09T00:00:00Z", 1000.0),
    ];
    let got = forecast(Aggregation::Latest, &flat, start, due, t, 1000.0, 1100.0).unwrap();
    assert!(close(got.projected_value, 1000.0));
    assert_eq!(got.projected_completion_on, None);
}

fn posts(raw: &[&str]) -> Vec<DateTime<Utc>> {
    raw.iter().map(|r| at(r)).collect()
}

/// Three a week over the four ISO weeks from Monday Nov 2 to Sunday Nov 29, 2026.
pub(super) fn weekly_posts() -> Vec<DateTime<Utc>> {
    posts(&[
        // Week 1: met.
        "2026-11-02T09:00:00Z",
        "2026-11-04T09:00:00Z",
        "2026-11-08T23:59:59Z",
        // Week 2: one.
        "2026-11-09T00:00:00Z",
        // Week 3: met.
        "2026-11-16T09:00:00Z",
        "2026-11-17T09:00:00Z",
        "2026-11-18T09:00:00Z",
        // Week 4: two by Wednesday noon, the second at that very instant; one after.
        "2026-11-23T09:00:00Z",
        "2026-11-25T12:00:00Z",
        "2026-11-26T09:00:00Z",
    ])
}

#[test]
fn weekly_cadence_counts_iso_weeks_streaks_and_adherence() {
    let published = weekly_posts();
    let t = at("2026-11-25T12:00:00Z");
    let got = cadence(
        3,
        Period::Week,
        day("2026-11-02"),
        day("2026-11-29"),
        &published,
        t,
    );
    assert_eq!(got.period_count, 2);
    assert!(close(got.progress, 2.0 / 3.0));
    // Wednesday noon: two and a half days of seven.
    assert!(close(got.expected, 2.5 / 7.0));
    assert_eq!(
        (got.completed, got.met, got.streak, got.best_streak),
        (3, 2, 1, 1)
    );
    assert!(close(got.adherence.unwrap(), 2.0 / 3.0));
    assert_eq!(
        cadence_status(GoalState::Active, &got, t, day("2026-11-29")),
        Status::OnTrack
    );
}

#[test]
fn a_missed_period_breaks_the_streak_but_not_the_best() {
    let published = posts(&[
        "2026-11-02T09:00:00Z",
        "2026-11-09T09:00:00Z",
        "2026-11-24T09:00:00Z",
    ]);
    let cases = [
        // (t, completed, met, streak, best)
        ("2026-11-01T00:00:00Z", 0, 0, 0, 0),
        ("2026-11-09T00:00:00Z", 1, 1, 1, 1),
        ("2026-11-16T00:00:00Z", 2, 2, 2, 2),
        ("2026-11-23T00:00:00Z", 3, 2, 0, 2),
        ("2026-11-30T00:00:00Z", 4, 3, 1, 2),
    ];
    for (t, completed, met, streak, best) in cases {
        let got = cadence(
            1,
            Period::Week,
            day("2026-11-02"),
            day("2026-12-31"),
            &published,
            at(t),
        );
        assert_eq!(
            (got.completed, got.met, got.streak, got.best_streak),
            (completed, met, streak, best),
            "at {t}"
        );
    }
    let before = cadence(
        1,
        Period::Week,
        day("2026-11-02"),
        day("2026-12-31"),
        &published,
        at("2026-11-01T00:00:00Z"),
    );
    assert_eq!(before.adherence, None);
    assert_eq!(before.period_count, 0);
}

#[test]
fn monthly_cadence_counts_calendar_months_and_judges_the_window_when_it_ends() {
    let published = posts(&[
        "2026-09-02T09:00:00Z",
        "2026-09-20T09:00:00Z",
        "2026-10-02T09:00:00Z",
        "2026-10-31T23:00:00Z",
        "2026-11-01T09:00:00Z",
    ]);
    let (start, due) = (day("2026-09-01"), day("2026-12-31"));
    let got = cadence(
        2,
        Period::Month,
        start,
        due,
        &published,
        at("2026-12-10T00:00:00Z"),
    );
    assert_eq!(
        (got.completed, got.met, got.streak, got.best_streak),
        (3, 2, 0, 2)
    );
    assert_eq!(got.period_count, 0);
    assert!(close(got.expected, 9.0 / 31.0));
    assert_eq!(
        cadence_status(GoalState::Active, &got, at("2026-12-10T00:00:00Z"), due),
        Status::Behind
    );

    let after = at("2027-01-05T00:00:00Z");
    let missed = cadence(2, Period::Month, start, due, &published, after);
    assert_eq!((missed.completed, missed.met), (4, 2));
    assert_eq!(
        cadence_status(GoalState::Active, &missed, after, due),
        Status::Missed
    );

    let all = posts(&[
        "2026-09-02T09:00:00Z",
        "2026-10-02T09:00:00Z",
        "2026-11-02T09:00:00Z",
        "2026-12-02T09:00:00Z",
        "2026-12-03T09:00:00Z",
    ]);
    let kept = cadence(1, Period::Month, start, due, &all, after);
    assert_eq!((kept.completed, kept.met, kept.period_count), (4, 4, 2));
    assert_eq!(
        cadence_status(GoalState::Active, &kept, after, due),
        Status::Achieved
    );
}

#[test]
fn a_week_that_began_before_the_goal_is_its_first_period() {
    // Sunday Nov 1 lies in the ISO week of Monday Oct 26.
    assert_eq!(
        period_start(Period::Week, day("2026-11-01")),
        day("2026-10-26")
    );
    assert_eq!(
        period_start(Period::Month, day("2026-11-23")),
        day("2026-11-01")
    );
    assert_eq!(
        next_period(Period::Month, day("2026-12-01")),
        day("2027-01-01")
    );
    let got = cadence(
        1,
        Period::Week,
        day("2026-11-01"),
        day("2026-11-30"),
        &posts(&["2026-10-27T09:00:00Z"]),
        at("2026-11-03T00:00:00Z"),
    );
    assert_eq!((got.completed, got.met), (1, 1));
}

#[test]
fn pace_compares_the_last_week_with_the_median_of_the_eight_before() {
    let t = at("2026-11-23T12:00:00Z");
    // `per_week[i]` posts in the week ending i weeks before the last seven days.
    let history = |recent: usize, per_week: [usize; 8]| -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        for _ in 0..recent {
            out.push(t - TimeDelta::days(1));
        }
        for (i, n) in per_week.iter().enumerate() {
            for _ in 0..*n {
                out.push(t - TimeDelta::days(7 * (i as i64 + 1) + 3));
            }
        }
        out
    };
    let cases = [
        (5, [2; 8], Pace::Sprinting),
        (4, [2; 8], Pace::Steady),
        // Median of 0,0,0,1,1,1,1,1 is 1: three is more than twice that.
        (3, [0, 0, 0, 1, 1, 1, 1, 1], Pace::Sprinting),
        // Median 0.5 is below 1: no sprint, however busy the week.
        (9, [0, 0, 0, 0, 1, 1, 1, 1], Pace::Steady),
        (0, [2; 8], Pace::Steady),
        (0, [0, 2, 2, 2, 2, 2, 2, 2], Pace::Stalled),
        (0, [0; 8], Pace::Stalled),
    ];
    for (recent, per_week, want) in cases {
        assert_eq!(
            pace(&history(recent, per_week), t),
            want,
            "{recent} after {per_week:?}"
        );
    }
    // The seven days are (t - 7d, t]: a post exactly a week ago belongs to the week before.
    assert_eq!(pace(&[t - TimeDelta::days(7)], t), Pace::Steady);
    assert_eq!(pace(&[t - TimeDelta::days(14)], t), Pace::Stalled);
}

#[test]
fn a_long_goal_is_the_mean_of_its_steps_each_clamped() {
    assert_eq!(mean_of_children(&[]), None);
    assert!(close(mean_of_children(&[0.5, 1.0]).unwrap(), 0.75));
    assert!(close(mean_of_children(&[3.0, 0.0]).unwrap(), 0.5));
    assert!(close(mean_of_children(&[-1.0, 0.5]).unwrap(), 0.25));
}

#[test]
fn least_squares_fits_an_exact_line_exactly() {
    let (a, b) = least_squares(&[0.0, 1.0, 2.0, 3.0], &[1.0, 3.0, 5.0, 7.0]).unwrap();
    assert!(close(a, 1.0) && close(b, 2.0));
    // Scattered: y = 2/3 + x best fits (0,1), (1,1), (2,3).
    let (a, b) = least_squares(&[0.0, 1.0, 2.0], &[1.0, 1.0, 3.0]).unwrap();
    assert!(close(a, 2.0 / 3.0) && close(b, 1.0), "{a} {b}");
}

#[test]
fn a_cadence_period_is_at_risk_in_its_last_48_hours_while_short_of_its_count() {
    // 3 posts a week from Mon 2026-11-02 to Sun 2026-11-29; the week of Nov 23 ends at
    // Mon Nov 30 00:00, so it is at risk from Sat Nov 28 00:00 while fewer than 3 were
    // published in it. Two posts that week: Tue Nov 24 and Fri Nov 27 10:00.
    let window = (day("2026-11-02"), day("2026-11-29"));
    let published = [
        at("2026-11-20T09:00:00Z"),
        at("2026-11-24T09:00:00Z"),
        at("2026-11-27T10:00:00Z"),
    ];
    let within = TimeDelta::hours(48);
    let risk = |t: &str, posts: &[DateTime<Utc>]| {
        period_at_risk(3, Period::Week, window, posts, at(t), within)
    };
    // 49 hours before the end: not yet.
    assert_eq!(risk("2026-11-27T23:00:00Z", &published), None);
    assert_eq!(
        risk("2026-11-28T00:00:00Z", &published),
        Some(PeriodAtRisk {
            period_start: day("2026-11-23"),
            ends_at: at("2026-11-30T00:00:00Z"),
            period_count: 2,
        })
    );
    // A third post that week meets the count.
    let mut three = published.to_vec();
    three.push(at("2026-11-28T08:00:00Z"));
    assert_eq!(risk("2026-11-28T09:00:00Z", &three), None);
    // A post published after t does not count yet.
    assert_eq!(
        risk("2026-11-28T07:00:00Z", &three).map(|r| r.period_count),
        Some(2)
    );
    // Before the goal starts and after its due day, no period is at risk.
    assert_eq!(risk("2026-11-01T12:00:00Z", &[]), None);
    assert_eq!(risk("2026-11-30T00:00:00Z", &[]), None);
    // A monthly cadence of 1 in December 2026: at risk from Dec 30 00:00 with none posted.
    let monthly = |t: &str| {
        period_at_risk(
            1,
            Period::Month,
            (day("2026-12-01"), day("2027-03-31")),
            &[],
            at(t),
            within,
        )
    };
    assert_eq!(monthly("2026-12-29T23:59:59Z"), None);
    assert_eq!(
        monthly("2026-12-30T00:00:00Z").map(|r| (r.period_start, r.ends_at)),
        Some((day("2026-12-01"), at("2027-01-01T00:00:00Z")))
    );
}
