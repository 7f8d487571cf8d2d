//! The projections Stride keeps.

pub mod activity;
pub mod aggregates;

pub use activity::Activity;
pub use aggregates::Aggregates;
