//! Stride's domain: the aggregates a marketing team works with, the commands they accept, the
//! events they record and the rules that decide between them.
//!
//! Pure Rust: no I/O, no clock reads, no async. Storage and HTTP live in their own crates and
//! call in here; time arrives as a parameter.

pub mod aggregate;
#[cfg(any(test, feature = "arbitrary"))]
pub mod arbitrary;
pub mod assessment;
pub mod bounds;
pub mod channel;
pub mod event;
pub mod experiment;
pub mod goal;
pub mod idea;
mod ids;
pub mod invalid;
#[cfg(test)]
mod laws;
pub mod metric;
pub mod post;
pub mod progress;
pub mod suggestion;
pub mod target;
pub mod team;
pub mod text;
pub mod vote;
pub mod webhook;
pub mod workload;

pub use aggregate::Aggregate;
pub use event::{Actor, DecodeError, EventPayload, RecordedEvent};
pub use invalid::Invalid;
