//! What every event has in common: a type name, a schema version, a JSON payload, and the
//! actor that caused it. Aggregates implement [`EventPayload`] for their event enums so that
//! storage can write and read them without knowing any aggregate.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who caused an event. Stored in every event's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A team member acting with one of their tokens.
    Member { member_id: Uuid },
    /// A community contributor acting with their board token.
    Contributor { contributor_id: Uuid },
    /// Someone signing up: no token exists yet.
    Anonymous,
    /// Stride itself (maintenance, projections).
    System,
}

impl Actor {
    pub fn member_id(&self) -> Option<Uuid> {
        match self {
            Actor::Member { member_id } => Some(*member_id),
            Actor::Contributor { .. } | Actor::Anonymous | Actor::System => None,
        }
    }
}

/// An event enum that can be written to and read back from the event store.
///
/// `event_type` and `schema_version` are stored in their own columns; the payload is the
/// variant's fields as JSON. Reading goes through [`EventPayload::decode`], which is where
/// old schema versions are upcast.
pub trait EventPayload: Sized + Serialize + for<'de> Deserialize<'de> {
    /// The aggregate's stream type, e.g. `team`.
    const STREAM_TYPE: &'static str;
    /// The name of every event it records, as stored in `event_type`.
    const EVENT_TYPES: &'static [&'static str];

    fn event_type(&self) -> &'static str;

    fn schema_version(&self) -> i32 {
        1
    }

    /// The payload: the variant's fields, without the type tag.
    fn encode(&self) -> Result<serde_json::Value, serde_json::Error> {
        encode_tagged(self)
    }

    /// Reads a stored payload back. Aggregates whose events changed shape override this to
    /// upcast old schema versions.
    fn decode(
        event_type: &str,
        schema_version: i32,
        data: serde_json::Value,
    ) -> Result<Self, DecodeError> {
        match schema_version {
            1 => decode_tagged(event_type, data),
            _ => Err(DecodeError::Unknown {
                event_type: event_type.to_owned(),
                schema_version,
            }),
        }
    }
}

/// Implements [`EventPayload`] for an event enum whose events are stored under their
/// variants' own names, at schema version 1: `event_payload!(GoalEvent, "goal", [GoalSet,
/// ...])`. The stored type is the variant's name itself (`stringify!`), the very name serde
/// writes as the tag, so the column and the payload cannot spell an event two ways; the match
/// is exhaustive, so a new variant does not compile until it is listed.
macro_rules! event_payload {
    ($event:ident, $stream_type:literal, [$($variant:ident),+ $(,)?]) => {
        impl $crate::event::EventPayload for $event {
            const STREAM_TYPE: &'static str = $stream_type;
            const EVENT_TYPES: &'static [&'static str] = &[$(stringify!($variant)),+];

            fn event_type(&self) -> &'static str {
                match self {
                    $($event::$variant { .. } => stringify!($variant),)+
                }
            }
        }
    };
}
pub(crate) use event_payload;

/// A stored event could not be turned back into a domain event.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type {event_type} (schema version {schema_version})")]
    Unknown {
        event_type: String,
        schema_version: i32,
    },
    #[error("malformed {event_type} payload: {source}")]
    Malformed {
        event_type: String,
        source: serde_json::Error,
    },
}

/// An event read back from the store, with its place in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent<E> {
    pub position: i64,
    pub stream_version: i64,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub event: E,
}

/// Encodes an adjacently tagged serde enum (`{"type": ..., "data": {...}}`) as its payload.
pub fn encode_tagged<T: Serialize>(value: &T) -> Result<serde_json::Value, serde_json::Error> {
    let mut tagged = serde_json::to_value(value)?;
    Ok(tagged
        .get_mut("data")
        .map(serde_json::Value::take)
        .unwrap_or(serde_json::Value::Object(Default::default())))
}

/// Decodes a payload written by [`encode_tagged`] back into its enum.
pub fn decode_tagged<T: for<'de> Deserialize<'de>>(
    event_type: &str,
    data: serde_json::Value,
) -> Result<T, DecodeError> {
    let tagged = serde_json::json!({ "type": event_type, "data": data });
    serde_json::from_value(tagged).map_err(|source| {
        if source.to_string().starts_with("unknown variant") {
            DecodeError::Unknown {
                event_type: event_type.to_owned(),
                schema_version: 1,
            }
        } else {
            DecodeError::Malformed {
                event_type: event_type.to_owned(),
                source,
            }
        }
    })
}

/// Deserializes a field that may be absent (`None`), null (`Some(None)`) or set
/// (`Some(Some(v))`): "leave as is", "clear" and "set" in one field.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
