//! The storage crate against a real PostgreSQL: the event store's guarantees and the
//! projector's laws.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accepted;
mod append_all;
mod event_store;
mod failures;
mod fixture;
mod known_at;
mod limits;
mod projector;
mod registry;
mod seed;
mod votes;
