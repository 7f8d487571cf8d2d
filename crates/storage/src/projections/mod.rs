//! The projections Stride keeps.

pub mod activity;
pub mod aggregates;
pub mod scores;

pub use activity::Activity;
pub use aggregates::Aggregates;
pub use scores::IdeaScores;
