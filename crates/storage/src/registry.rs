//! The projection registry: every projection Stride keeps, listed once in [`Registered`].
//! The server runs every one, `stride projections rebuild` and the benchmark rebuild every
//! one, and a read names the ones it reads so that it waits for those alone.

use std::time::Duration;

use crate::projections::{Activity, Aggregates, IdeaScores, WebhookOutbox, Workload};
use crate::projector::{Projection, Projector};
use crate::{Store, StoreError};

/// A projection of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    Activity,
    Aggregates,
    IdeaScores,
    WebhookOutbox,
    Workload,
}

impl Registered {
    /// Every projection Stride keeps.
    pub const ALL: [Registered; 5] = [
        Registered::Activity,
        Registered::Aggregates,
        Registered::IdeaScores,
        Registered::WebhookOutbox,
        Registered::Workload,
    ];

    /// What reads are answered from: all but the webhook outbox, which no read waits for, so
    /// that a slow receiver slows nothing else.
    pub const READ: [Registered; 4] = [
        Registered::Activity,
        Registered::Aggregates,
        Registered::IdeaScores,
        Registered::Workload,
    ];

    /// What the read models other than the feed are built from: folded aggregates and idea
    /// scores.
    pub const FOLDED: [Registered; 2] = [Registered::Aggregates, Registered::IdeaScores];

    /// Its name: the key of its checkpoint, and what `projections rebuild` takes.
    pub fn name(self) -> &'static str {
        match self {
            Registered::Activity => Activity::NAME,
            Registered::Aggregates => Aggregates::NAME,
            Registered::IdeaScores => IdeaScores::NAME,
            Registered::WebhookOutbox => WebhookOutbox::NAME,
            Registered::Workload => Workload::NAME,
        }
    }

    /// The projection named `name`.
    pub fn named(name: &str) -> Option<Registered> {
        Registered::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Keeps the projection current in this process for as long as the task runs (see
    /// [`Projector::spawn`]).
    pub fn spawn(self, store: &Store) -> tokio::task::JoinHandle<()> {
        match self {
            Registered::Activity => store.projections().spawn(Activity),
            Registered::Aggregates => store.projections().spawn(Aggregates),
            Registered::IdeaScores => store.projections().spawn(IdeaScores),
            Registered::WebhookOutbox => store.projections().spawn(WebhookOutbox),
            Registered::Workload => store.projections().spawn(Workload),
        }
    }

    /// Empties the projection and replays the whole log into it (see [`Projector::rebuild`]).
    pub async fn rebuild(
        self,
        store: &Store,
        progress: impl Fn(usize, usize),
    ) -> Result<usize, StoreError> {
        match self {
            Registered::Activity => store.projections().rebuild(&Activity, progress).await,
            Registered::Aggregates => store.projections().rebuild(&Aggregates, progress).await,
            Registered::IdeaScores => store.projections().rebuild(&IdeaScores, progress).await,
            Registered::WebhookOutbox => {
                store.projections().rebuild(&WebhookOutbox, progress).await
            }
            Registered::Workload => store.projections().rebuild(&Workload, progress).await,
        }
    }
}

impl Projector<'_> {
    /// Waits until every projection reads are answered from ([`Registered::READ`]) has
    /// applied `position`, at most `timeout`.
    pub async fn wait_projected(
        self,
        position: i64,
        timeout: Duration,
    ) -> Result<bool, StoreError> {
        self.wait_projected_by(position, &Registered::READ, timeout)
            .await
    }

    /// Waits until each of `projections` has applied `position`, at most `timeout`: a read
    /// waits for the projections it reads, never for the others.
    pub async fn wait_projected_by(
        self,
        position: i64,
        projections: &[Registered],
        timeout: Duration,
    ) -> Result<bool, StoreError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut pause = Duration::from_millis(1);
        loop {
            // Listen before looking, so a batch committed in between still wakes us; batches
            // committed by other processes are seen by looking again after `pause`.
            let projected = self.store.projected().notified();
            tokio::pin!(projected);
            projected.as_mut().enable();
            let positions = self.positions().await?;
            let applied = projections.iter().all(|wanted| {
                positions
                    .iter()
                    .any(|(name, p)| name == wanted.name() && *p >= position)
            });
            if applied {
                return Ok(true);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            let _ = tokio::time::timeout(pause.min(deadline - now), projected).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}
