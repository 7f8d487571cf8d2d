//! The `stride` binary as separate processes: serving with its own PostgreSQL, and surviving
//! faults (kill -9 under load, several servers on one database), and reading from
//! streaming replicas.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod drain;
mod faults;
mod limits;
mod nginx;
mod replicas;
mod seed;
mod serve;
mod server;
mod tokens;
mod webhooks;
