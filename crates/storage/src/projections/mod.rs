//! The projections Stride keeps; [`crate::registry`] lists them.

pub mod activity;
pub mod aggregates;
pub mod outbox;
pub mod scores;
pub mod workload;

pub use activity::Activity;
pub use aggregates::Aggregates;
pub use outbox::WebhookOutbox;
pub use scores::IdeaScores;
pub use workload::Workload;
