//! The projections Stride keeps, listed once in [`Registered`]: the server runs every one,
//! `stride projections rebuild` and the benchmark rebuild every one, and a read names the
//! ones it reads so that it waits for those alone.

pub mod activity;
pub mod aggregates;
pub mod scores;

pub use activity::Activity;
pub use aggregates::Aggregates;
pub use scores::IdeaScores;

use crate::projector::Projection;
use crate::{Store, StoreError};

/// A projection of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    Activity,
    Aggregates,
    IdeaScores,
}

impl Registered {
    /// Every projection Stride keeps.
    pub const ALL: [Registered; 3] = [
        Registered::Activity,
        Registered::Aggregates,
        Registered::IdeaScores,
    ];

    /// Its name: the key of its checkpoint, and what `projections rebuild` takes.
    pub fn name(self) -> &'static str {
        match self {
            Registered::Activity => Activity::NAME,
            Registered::Aggregates => Aggregates::NAME,
            Registered::IdeaScores => IdeaScores::NAME,
        }
    }

    /// The projection named `name`.
    pub fn named(name: &str) -> Option<Registered> {
        Registered::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Keeps the projection current in this process for as long as the task runs (see
    /// [`Store::spawn_projection`]).
    pub fn spawn(self, store: &Store) -> tokio::task::JoinHandle<()> {
        match self {
            Registered::Activity => store.spawn_projection(Activity),
            Registered::Aggregates => store.spawn_projection(Aggregates),
            Registered::IdeaScores => store.spawn_projection(IdeaScores),
        }
    }

    /// Empties the projection and replays the whole log into it (see [`Store::rebuild`]).
    pub async fn rebuild(
        self,
        store: &Store,
        progress: impl Fn(usize, usize),
    ) -> Result<usize, StoreError> {
        match self {
            Registered::Activity => store.rebuild(&Activity, progress).await,
            Registered::Aggregates => store.rebuild(&Aggregates, progress).await,
            Registered::IdeaScores => store.rebuild(&IdeaScores, progress).await,
        }
    }
}
