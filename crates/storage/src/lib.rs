//! Stride's PostgreSQL side: the event store with its guarantees, the tables that must stay
//! outside the event log (members' personal data, token hashes, idempotency records), the
//! migrations, and a private PostgreSQL cluster for machines that run none.

mod append;
mod append_all;
mod batcher;
pub mod board;
pub mod cluster;
mod committer;
pub mod db;
mod error;
pub mod events;
pub mod facts;
pub mod failures;
pub mod idempotency;
pub mod known;
pub mod members;
pub mod migrate;
pub mod observations;
pub mod projections;
pub mod projector;
pub mod registry;
pub mod seed;
pub mod tokens;
pub mod votes;
mod wakeup;

pub use db::{AppendWatch, Store};
pub use error::{AppendError, StoreError};
pub use events::{
    AppendRequest, Appended, ExpectedVersion, Metadata, NewEvent, SideWrite, StoredEvent, Stream,
};
