//! The projections Stride keeps.

pub mod activity;

pub use activity::Activity;
