//! Stride's application layer: every use case over an [`App`] (the store and the caches
//! kept beside it): load an aggregate, let the domain decide, append what it decided; the
//! read models frontends are shown; caches and their invalidation. It knows no transport:
//! HTTP today, a command line or a queue tomorrow, call the same functions and get an
//! [`AppError`] that names what went wrong in the user's terms.

use std::sync::Arc;

use stride_domain::Actor;
use stride_storage::{Metadata, Store};

pub mod activity;
pub mod assessment;
pub mod board;
pub mod channels;
pub mod delivery;
pub mod error;
pub mod event_log;
pub mod execute;
pub mod experiments;
pub mod exports;
pub mod goals;
pub mod idea_views;
pub mod ideas;
pub mod imports;
pub mod invitations;
pub mod lineage;
pub mod members;
pub mod observations;
pub mod people;
pub mod posts;
pub mod progress;
pub mod public_boards;
pub mod sign_in;
pub mod signals;
pub mod suggestions;
pub mod teams;
pub mod time_travel;
pub mod versioned;
pub mod votes;
pub mod webhooks;
pub mod workload;

pub use error::AppError;
pub use execute::{Decision, Outcome};

/// The application: the store and the caches every use case shares. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    pub store: Store,
    pub boards: Arc<public_boards::PublicBoards>,
    /// Where webhooks may send.
    pub webhook_policy: webhooks::WebhookPolicy,
    /// What this process's webhook delivery worker did.
    pub delivery_stats: Arc<delivery::Stats>,
    /// The keys of the teams' sign-in providers.
    pub providers: Arc<sign_in::Providers>,
    /// How long a read that must show every acknowledged write waits for the projections
    /// it reads before answering 503 `projection_lagging`.
    pub catch_up_wait: std::time::Duration,
}

/// How long a read that must show every acknowledged write waits for the projections by
/// default: the 2 s the API documents.
pub const CATCH_UP_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

impl App {
    pub fn new(store: Store) -> App {
        App {
            store,
            boards: Arc::new(public_boards::PublicBoards::default()),
            webhook_policy: webhooks::WebhookPolicy::default(),
            delivery_stats: Arc::new(delivery::Stats::default()),
            providers: Arc::new(sign_in::Providers::default()),
            catch_up_wait: CATCH_UP_WAIT,
        }
    }
}

/// Waits (up to the app's `catch_up_wait`) until `projections` have applied every write
/// acknowledged before the call, so that a read from them shows those writes.
pub(crate) async fn caught_up(
    app: &App,
    projections: &[stride_storage::registry::Registered],
) -> Result<(), AppError> {
    let head = app.store.events().committed_head().await?;
    if app
        .store
        .projections()
        .wait_projected_by(head, projections, app.catch_up_wait)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::Lagging(
            "the read models are catching up with recent writes; retry shortly".to_owned(),
        ))
    }
}

/// Who asks, and the request that carries the ask: every event records both.
#[derive(Debug, Clone)]
pub struct Origin {
    pub actor: Actor,
    pub request_id: String,
}

impl Origin {
    pub fn metadata(&self) -> Metadata {
        Metadata {
            request_id: Some(self.request_id.clone()),
            correlation_id: Some(self.request_id.clone()),
            ..Metadata::new(self.actor)
        }
    }
}
