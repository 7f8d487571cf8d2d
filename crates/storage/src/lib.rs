//! Stride's PostgreSQL side: the event store with its guarantees, the tables that must stay
//! outside the event log (members' personal data, token hashes, idempotency records), the
//! migrations, and a private PostgreSQL cluster for machines that run none.
//!
//! Callers hold one [`Store`] and reach each part of storage through a handle borrowed from
//! it, so that a use case shows what it touches:
//!
//! - [`Store::events`] ([`EventLog`]): appends, reads of streams and of the log, visibility,
//!   wake-ups after appends.
//! - [`Store::votes`] ([`Voting`]): contributors' votes, cast and read.
//! - [`Store::observations`] ([`Observations`]): metric observations, recorded and read as
//!   series; bulk seeding for the benchmark.
//! - [`Store::projections`] ([`Projector`]): applying, rebuilding, spawning and waiting for
//!   projections, their positions and lag, the failures that stop them for a team.
//! - [`Store::directory`] ([`Directory`]): members' and contributors' personal data, their
//!   tokens, display names, a board's team by its slug.
//! - [`Store::idempotency`] ([`IdempotencyKeys`]): Idempotency-Key records.
//! - [`Store::read_models`] ([`ReadModels`]): what read models are computed from (folded
//!   plans, idea lists and scores, observation series and post totals, the feed), now or as
//!   known at an earlier instant.

mod append;
mod append_all;
mod batcher;
pub mod board;
pub mod cluster;
mod committer;
pub mod db;
mod error;
pub mod events;
pub mod exports;
pub mod facts;
pub mod failures;
pub mod idempotency;
pub mod invitations;
pub mod known;
pub mod limits;
pub mod members;
pub mod migrate;
pub mod observations;
pub mod projections;
pub mod projector;
pub mod registry;
pub mod replicas;
mod rows;
pub mod seed;
mod shared;
pub mod signals;
pub mod tokens;
pub mod votes;
mod wakeup;
pub mod webhooks;

pub use db::Store;
pub use error::{AppendError, StoreError, one_line};
pub use events::{
    AppendRequest, Appended, EventLog, ExpectedVersion, Metadata, NewEvent, SideWrite, StoredEvent,
    Stream,
};
pub use facts::ReadModels;
pub use idempotency::IdempotencyKeys;
pub use members::Directory;
pub use observations::Observations;
pub use projector::Projector;
pub use votes::Voting;
pub use wakeup::AppendWatch;
