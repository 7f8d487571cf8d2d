//! Goal targets: a metric to move ("+10% Instagram followers") or a cadence to keep ("3 blog
//! posts a week"), normalized when set so that every metric target has a baseline and a
//! `target_value` however it was stated.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::bounds;
use crate::metric::Metric;

/// The most posts a cadence can ask for in one period.
pub const CADENCE_MAX: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Levels, like followers: the latest observation counts.
    Latest,
    /// Flows, like clicks: observations in the window add up.
    Sum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// ISO weeks, Monday 00:00 UTC.
    Week,
    /// Calendar months.
    Month,
}

/// How a metric target was stated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aim {
    Reach(f64),
    IncreaseBy(f64),
    IncreaseByPercent(f64),
}

/// A target as a client states it.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetSpec {
    Metric {
        channel_id: Uuid,
        metric: Metric,
        aggregation: Aggregation,
        baseline: Option<f64>,
        aim: Aim,
    },
    Cadence {
        count: u32,
        period: Period,
        channel_id: Option<Uuid>,
    },
}

/// A target as stored: metric targets carry their baseline and target value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    Metric {
        channel_id: Uuid,
        metric: Metric,
        aggregation: Aggregation,
        baseline: f64,
        target_value: f64,
        aim: Aim,
    },
    Cadence {
        count: u32,
        period: Period,
        #[serde(default)]
        channel_id: Option<Uuid>,
    },
}

impl Target {
    pub fn channel_id(&self) -> Option<Uuid> {
        match self {
            Target::Metric { channel_id, .. } => Some(*channel_id),
            Target::Cadence { channel_id, .. } => *channel_id,
        }
    }
}

/// What the team knows that a target is checked against.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetContext {
    /// The team's channels.
    pub channels: BTreeSet<Uuid>,
    /// The latest observation of the target's metric before the goal starts, if any.
    pub observed_baseline: Option<f64>,
    /// The baseline of the target being revised, kept when channel and metric stay.
    pub previous: Option<Target>,
}

/// A field of the target and what is wrong with it.
pub type TargetError = (&'static str, String);

/// Checks and normalizes a target.
pub fn normalize(spec: TargetSpec, context: &TargetContext) -> Result<Target, TargetError> {
    match spec {
        TargetSpec::Cadence {
            count,
            period,
            channel_id,
        } => {
            if !(1..=CADENCE_MAX).contains(&count) {
                return Err((
                    "target.count",
                    format!("must be between 1 and {CADENCE_MAX}"),
                ));
            }
            if let Some(channel_id) = channel_id
                && !context.channels.contains(&channel_id)
            {
                return Err(("target.channel_id", "is not a channel of this team".into()));
            }
            Ok(Target::Cadence {
                count,
                period,
                channel_id,
            })
        }
        TargetSpec::Metric {
            channel_id,
            metric,
            aggregation,
            baseline,
            aim,
        } => {
            if !context.channels.contains(&channel_id) {
                return Err(("target.channel_id", "is not a channel of this team".into()));
            }
            let kept = match &context.previous {
                Some(Target::Metric {
                    channel_id: c,
                    metric: m,
                    baseline: b,
                    ..
                }) if *c == channel_id && *m == metric => Some(*b),
                _ => None,
            };
            let fallback = match aggregation {
                Aggregation::Sum => Some(0.0),
                Aggregation::Latest => None,
            };
            let baseline = baseline
                .or(kept)
                .or(context.observed_baseline)
                .or(fallback)
                .ok_or((
                    "target.baseline",
                    format!(
                        "no {} observation on this channel before the goal starts: give a baseline",
                        metric.as_str()
                    ),
                ))?;
            let baseline =
                bounds::quantity(baseline).map_err(|e| ("target.baseline", e.to_owned()))?;
            let (field, target_value) = match aim {
                Aim::Reach(value) => ("target.reach", value),
                Aim::IncreaseBy(by) => ("target.increase_by", baseline + by),
                Aim::IncreaseByPercent(pct) => {
                    if !(-100.0..=bounds::PERCENT_MAX).contains(&pct) {
                        return Err((
                            "target.increase_by_percent",
                            "must be a number from -100 to 1e6".into(),
                        ));
                    }
                    ("target.increase_by_percent", baseline * (1.0 + pct / 100.0))
                }
            };
            let target_value = bounds::quantity(target_value).map_err(|_| {
                (
                    field,
                    "must lead to a target value from 0 to 1e15".to_owned(),
                )
            })?;
            // A move smaller than this would make progress, the distance covered over the
            // distance to go, larger than an f64 holds.
            if (target_value - baseline).abs() < bounds::QUANTITY_STEP {
                return Err((
                    field,
                    format!(
                        "must move the metric at least {} away from its baseline of {baseline}",
                        bounds::QUANTITY_STEP
                    ),
                ));
            }
            Ok(Target::Metric {
                channel_id,
                metric,
                aggregation,
                baseline,
                target_value,
                aim,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANNEL: Uuid = Uuid::from_u128(1);

    fn context(observed: Option<f64>) -> TargetContext {
        TargetContext {
            channels: BTreeSet::from([CHANNEL]),
            observed_baseline: observed,
            previous: None,
        }
    }

    fn metric(baseline: Option<f64>, aim: Aim, aggregation: Aggregation) -> TargetSpec {
        TargetSpec::Metric {
            channel_id: CHANNEL,
            metric: Metric::Followers,
            aggregation,
            baseline,
            aim,
        }
    }

    fn target_value(result: Result<Target, TargetError>) -> (f64, f64) {
        match result {
            Ok(Target::Metric {
                baseline,
                target_value,
                ..
            }) => (baseline, target_value),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_way_of_stating_a_metric_target_normalizes_to_a_target_value() {
        let cases = [
            (
                metric(Some(1000.0), Aim::Reach(1100.0), Aggregation::Latest),
                None,
                (1000.0, 1100.0),
            ),
            (
                metric(Some(1000.0), Aim::IncreaseBy(100.0), Aggregation::Latest),
                None,
                (1000.0, 1100.0),
            ),
            (
                metric(
                    Some(1000.0),
                    Aim::IncreaseByPercent(10.0),
                    Aggregation::Latest,
                ),
                None,
                (1000.0, 1100.0),
            ),
            (
                metric(None, Aim::IncreaseByPercent(10.0), Aggregation::Latest),
                Some(2000.0),
                (2000.0, 2200.0),
            ),
            (
                metric(Some(500.0), Aim::Reach(400.0), Aggregation::Latest),
                Some(2000.0),
                (500.0, 400.0),
            ),
            (
                metric(None, Aim::Reach(300.0), Aggregation::Sum),
                None,
                (0.0, 300.0),
            ),
        ];
        for (spec, observed, expected) in cases {
            let (baseline, value) = target_value(normalize(spec.clone(), &context(observed)));
            assert!(
                (baseline - expected.0).abs() < 1e-9 && (value - expected.1).abs() < 1e-9,
                "{spec:?}: {baseline} {value}"
            );
        }
    }

    #[test]
    fn a_revised_target_keeps_its_baseline_while_channel_and_metric_stay() {
        let previous = normalize(
            metric(Some(1000.0), Aim::Reach(1100.0), Aggregation::Latest),
            &context(None),
        )
        .unwrap();
        let revising = TargetContext {
            previous: Some(previous),
            ..context(Some(1500.0))
        };
        assert_eq!(
            target_value(normalize(
                metric(None, Aim::IncreaseBy(50.0), Aggregation::Latest),
                &revising
            )),
            (1000.0, 1050.0)
        );
    }

    #[test]
    fn metric_targets_are_refused_by_field() {
        let refused = |spec: TargetSpec, observed: Option<f64>| {
            normalize(spec, &context(observed)).unwrap_err().0
        };
        assert_eq!(
            refused(metric(None, Aim::Reach(1100.0), Aggregation::Latest), None),
            "target.baseline"
        );
        assert_eq!(
            refused(
                metric(Some(1000.0), Aim::Reach(1000.0), Aggregation::Latest),
                None
            ),
            "target.reach"
        );
        assert_eq!(
            refused(
                metric(Some(1000.0), Aim::IncreaseBy(0.0), Aggregation::Latest),
                None
            ),
            "target.increase_by"
        );
        assert_eq!(
            refused(
                metric(Some(0.0), Aim::IncreaseByPercent(10.0), Aggregation::Latest),
                None
            ),
            "target.increase_by_percent"
        );
        assert_eq!(
            refused(
                metric(Some(1.0), Aim::Reach(f64::INFINITY), Aggregation::Latest),
                None
            ),
            "target.reach"
        );
        for (spec, field) in [
            (
                metric(Some(f64::MAX), Aim::Reach(1.0), Aggregation::Latest),
                "target.baseline",
            ),
            (
                metric(Some(-1.0), Aim::Reach(1.0), Aggregation::Latest),
                "target.baseline",
            ),
            (
                metric(Some(1.0), Aim::Reach(1e16), Aggregation::Latest),
                "target.reach",
            ),
            (
                metric(Some(1e15), Aim::IncreaseBy(1.0), Aggregation::Latest),
                "target.increase_by",
            ),
            (
                metric(Some(10.0), Aim::IncreaseBy(-11.0), Aggregation::Latest),
                "target.increase_by",
            ),
            (
                metric(
                    Some(1.0),
                    Aim::IncreaseByPercent(1e300),
                    Aggregation::Latest,
                ),
                "target.increase_by_percent",
            ),
            (
                metric(
                    Some(1.0),
                    Aim::IncreaseByPercent(-101.0),
                    Aggregation::Latest,
                ),
                "target.increase_by_percent",
            ),
        ] {
            assert_eq!(refused(spec.clone(), None), field, "{spec:?}");
        }
        let foreign = TargetSpec::Metric {
            channel_id: Uuid::from_u128(9),
            metric: Metric::Likes,
            aggregation: Aggregation::Sum,
            baseline: None,
            aim: Aim::Reach(3.0),
        };
        assert_eq!(refused(foreign, None), "target.channel_id");
    }

    #[test]
    fn cadence_targets_need_a_positive_count_and_a_team_channel() {
        let cadence = |count, channel_id| TargetSpec::Cadence {
            count,
            period: Period::Week,
            channel_id,
        };
        assert!(normalize(cadence(3, None), &context(None)).is_ok());
        assert!(normalize(cadence(3, Some(CHANNEL)), &context(None)).is_ok());
        assert_eq!(
            normalize(cadence(0, None), &context(None)).unwrap_err().0,
            "target.count"
        );
        assert_eq!(
            normalize(cadence(CADENCE_MAX + 1, None), &context(None))
                .unwrap_err()
                .0,
            "target.count"
        );
        assert_eq!(
            normalize(cadence(3, Some(Uuid::from_u128(9))), &context(None))
                .unwrap_err()
                .0,
            "target.channel_id"
        );
    }
}
