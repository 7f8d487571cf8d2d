//! Black-box tests of the REST contract: a real server over HTTP, a real PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod board;
mod bounds;
mod channels;
mod conventions;
mod events;
mod experiments;
mod exports;
mod fuzz;
mod goals;
mod imports;
mod invitations;
mod known_at;
mod members;
mod metrics;
mod ops;
mod parsing;
mod posts;
mod progress;
mod security;
mod teams;
mod tokens;
mod transport_hardening;
mod webhook_signals;
mod webhooks;
mod workload;
