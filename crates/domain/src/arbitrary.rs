//! Generators of hostile input for property tests (proptest): text with every kind of
//! character, dates and instants at and beyond every edge (chrono's own limits, the years that
//! once overflowed date arithmetic), numbers at and beyond every bound (`f64::MAX`, NaN,
//! -0.0). Shared by the domain's laws and by the storage and HTTP crates' tests, which enable
//! the `arbitrary` feature.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use proptest::prelude::*;

use crate::bounds;
use crate::goal::{Horizon, NewGoal};
use crate::metric::Metric;
use crate::target::{Aggregation, Aim, Period, TargetSpec};

/// Text as clients send it: empty, padded, long, with control characters and any script.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ a-zA-Z]{0,12}",
        "\\PC{0,40}",
        ".{0,40}",
        "[a-z]{195,205}",
        "[a-z]{0,3}\\x00[a-z]{0,3}",
    ]
}

pub fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (-400i64..400).prop_map(|days| now() + TimeDelta::hours(days * 6))
}

pub fn now() -> DateTime<Utc> {
    "2026-11-23T12:00:00Z".parse().unwrap_or_default()
}

/// Dates at and beyond every edge: chrono's own limits, the years that once panicked or
/// burned a core, the edges of the accepted range, and ordinary days around it.
pub fn extreme_day() -> impl Strategy<Value = NaiveDate> {
    let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    prop_oneof![
        Just(NaiveDate::MIN),
        Just(NaiveDate::MAX),
        Just(ymd(-262_000, 1, 1)),
        Just(ymd(-262_143, 1, 2)),
        Just(ymd(262_142, 12, 1)),
        Just(ymd(-5000, 1, 1)),
        Just(ymd(1999, 12, 31)),
        Just(bounds::FIRST_DAY),
        Just(bounds::LAST_DAY),
        Just(ymd(2101, 1, 1)),
        (1995i32..2106, 1u32..=12, 1u32..=28).prop_map(move |(y, m, d)| ymd(y, m, d)),
        (-400i64..400).prop_map(|days| now().date_naive() + TimeDelta::days(days)),
    ]
}

pub fn extreme_instant() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        Just(DateTime::<Utc>::MIN_UTC),
        Just(DateTime::<Utc>::MAX_UTC),
        (extreme_day(), 0i64..86_400).prop_map(|(day, secs)| {
            day.and_time(chrono::NaiveTime::MIN).and_utc() + TimeDelta::seconds(secs)
        }),
        instant(),
    ]
}

/// Numbers at and beyond every edge, and ordinary ones.
pub fn extreme_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(-0.0),
        Just(1.0),
        Just(bounds::QUANTITY_MAX),
        Just(bounds::QUANTITY_MAX + 1.0),
        Just(1e308),
        Just(f64::MAX),
        Just(f64::MIN),
        Just(f64::MIN_POSITIVE),
        Just(1e-300),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(-1.0),
        Just(-100.0),
        0.0..1e6f64,
        any::<f64>(),
    ]
}

/// A short goal toward a target at and beyond every edge (metric targets with extreme
/// baselines and aims, cadence targets of any count, on `channel` or on none), over extreme
/// days, with any title.
pub fn extreme_goal(channel: uuid::Uuid) -> impl Strategy<Value = NewGoal> {
    let aim = prop_oneof![
        extreme_number().prop_map(Aim::Reach),
        extreme_number().prop_map(Aim::IncreaseBy),
        extreme_number().prop_map(Aim::IncreaseByPercent),
    ];
    let aggregation = prop_oneof![Just(Aggregation::Latest), Just(Aggregation::Sum)];
    let period = prop_oneof![Just(Period::Week), Just(Period::Month)];
    let target = prop_oneof![
        (aggregation, prop::option::of(extreme_number()), aim).prop_map(
            move |(aggregation, baseline, aim)| TargetSpec::Metric {
                channel_id: channel,
                metric: Metric::Followers,
                aggregation,
                baseline,
                aim,
            }
        ),
        (0u32..1002, period, any::<bool>()).prop_map(move |(count, period, on_channel)| {
            TargetSpec::Cadence {
                count,
                period,
                channel_id: on_channel.then_some(channel),
            }
        }),
    ];
    (text(), extreme_day(), extreme_day(), target).prop_map(|(title, starts_on, due_on, target)| {
        NewGoal {
            goal_id: uuid::Uuid::now_v7(),
            title,
            description: None,
            horizon: Horizon::Short,
            parent_goal_id: None,
            starts_on,
            due_on,
            target: Some(target),
            owner_id: None,
        }
    })
}
