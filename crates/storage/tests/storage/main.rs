//! The storage crate against a real PostgreSQL: the event store's guarantees and the
//! projector's laws.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod event_store;
mod known_at;
mod projector;
mod seed;
mod votes;
