//! The goal target as the document states it: a union discriminated by `kind`, a metric
//! target or a cadence target, each with exactly its own fields. The wire format is the flat
//! object `TargetBody` reads and `TargetView` writes; these schemas describe it exactly, so a
//! generated client gets one type per kind.

use std::borrow::Cow;

use serde_json::{Value, json};
use stride_domain::bounds::{PERCENT_MAX, QUANTITY_MAX};
use stride_domain::metric::Metric;
use stride_domain::target::{Aggregation, CADENCE_MAX, Period};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

#[allow(
    clippy::expect_used,
    reason = "the schemas are written in this file; every test that builds the document reads each one"
)]
fn schema(value: Value) -> RefOr<Schema> {
    serde_json::from_value(value).expect("a valid schema")
}

fn quantity(description: &str) -> Value {
    json!({"type": "number", "minimum": 0, "maximum": QUANTITY_MAX, "description": description})
}

fn kind(name: &str) -> Value {
    json!({"type": "string", "enum": [name]})
}

fn uuid(description: &str) -> Value {
    json!({"type": "string", "format": "uuid", "description": description})
}

fn refer(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn union(metric: &str, cadence: &str, description: &str) -> RefOr<Schema> {
    schema(json!({
        "description": description,
        "oneOf": [refer(metric), refer(cadence)],
        "discriminator": {"propertyName": "kind", "mapping": {
            "metric": format!("#/components/schemas/{metric}"),
            "cadence": format!("#/components/schemas/{cadence}"),
        }}
    }))
}

/// Registers a union's parts and the enums they refer to.
fn register(schemas: &mut Vec<(String, RefOr<Schema>)>, parts: [(&str, RefOr<Schema>); 2]) {
    for (name, part) in parts {
        schemas.push((name.to_owned(), part));
    }
    schemas.push((Metric::name().into(), Metric::schema()));
    schemas.push((Aggregation::name().into(), Aggregation::schema()));
    schemas.push((Period::name().into(), Period::schema()));
}

/// A goal's target, as sent.
pub struct TargetInput;

impl PartialSchema for TargetInput {
    fn schema() -> RefOr<Schema> {
        union(
            "MetricTargetInput",
            "CadenceTargetInput",
            "A goal's target: a metric to move (`kind: metric`) or a posting cadence (`kind: cadence`).",
        )
    }
}

impl ToSchema for TargetInput {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("TargetInput")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        // Exactly one aim: one variant per aim, each refusing the others.
        let aims = [
            ("reach", quantity("The value to reach.")),
            (
                "increase_by",
                json!({"type": "number", "minimum": -QUANTITY_MAX, "maximum": QUANTITY_MAX,
                "description": "How much to add to the baseline (negative to lower it); the target value it leads to must be 0 to 1e15."}),
            ),
            (
                "increase_by_percent",
                json!({"type": "number", "minimum": -100, "maximum": PERCENT_MAX,
                "description": "How many percent to add to the baseline (`10` for +10%)."}),
            ),
        ];
        let variants: Vec<Value> = aims
            .into_iter()
            .map(|(aim, bounds)| {
                json!({
                    "type": "object",
                    "title": format!("metric target by {aim}"),
                    "required": ["kind", "channel_id", "metric", aim],
                    "additionalProperties": false,
                    "properties": {
                        "kind": kind("metric"),
                        "channel_id": uuid("The channel measured."),
                        "metric": refer("Metric"),
                        "aggregation": refer("Aggregation"),
                        "baseline": quantity("Where the goal starts from. Default: the latest observation of the metric on the channel before `starts_on` (0 for a `sum` target without observations); a `latest` target without either is refused."),
                        aim: bounds,
                    },
                })
            })
            .collect();
        let metric = schema(json!({
            "description": "Move a channel's metric, aiming by exactly one of `reach`, `increase_by` and `increase_by_percent`.",
            "oneOf": variants,
        }));
        let cadence = schema(json!({
            "type": "object",
            "description": "Publish a number of posts every period.",
            "required": ["kind", "count", "period"],
            "additionalProperties": false,
            "properties": {
                "kind": kind("cadence"),
                "count": {"type": "integer", "minimum": 1, "maximum": CADENCE_MAX, "description": "Published posts per period."},
                "period": refer("Period"),
                "channel_id": {"type": ["string", "null"], "format": "uuid",
                    "description": "Count only posts published on this channel; omitted or null counts posts on any channel."},
            }
        }));
        register(
            schemas,
            [
                ("MetricTargetInput", metric),
                ("CadenceTargetInput", cadence),
            ],
        );
    }
}

/// A goal's target, as stored.
pub struct Target;

impl PartialSchema for Target {
    fn schema() -> RefOr<Schema> {
        union(
            "MetricTarget",
            "CadenceTarget",
            "A goal's target as stored: a metric target carries its `baseline` and `target_value` and the one of `reach`, `increase_by` and `increase_by_percent` it was stated with.",
        )
    }
}

impl ToSchema for Target {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Target")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        let metric = schema(json!({
            "type": "object",
            "description": "A metric target.",
            "required": ["kind", "channel_id", "metric", "aggregation", "baseline", "target_value"],
            "properties": {
                "kind": kind("metric"),
                "channel_id": uuid("The channel measured."),
                "metric": refer("Metric"),
                "aggregation": refer("Aggregation"),
                "baseline": {"type": "number", "description": "Where the metric stood when the goal started."},
                "target_value": {"type": "number", "description": "The value the goal aims at, however the target was stated."},
                "reach": {"type": "number", "description": "The value to reach, when the target was stated so."},
                "increase_by": {"type": "number", "description": "The increase over the baseline, when the target was stated so."},
                "increase_by_percent": {"type": "number", "description": "The increase in percent, when the target was stated so."},
            }
        }));
        let cadence = schema(json!({
            "type": "object",
            "description": "A cadence target.",
            "required": ["kind", "count", "period"],
            "properties": {
                "kind": kind("cadence"),
                "count": {"type": "integer", "minimum": 1, "maximum": CADENCE_MAX, "description": "Published posts per period."},
                "period": refer("Period"),
                "channel_id": uuid("Only this channel's posts count, when set."),
            }
        }));
        register(
            schemas,
            [("MetricTarget", metric), ("CadenceTarget", cadence)],
        );
    }
}
