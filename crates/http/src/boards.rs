//! Public boards by slug, kept in memory for a moment: board traffic comes in bursts, and
//! each request would otherwise look the slug up and fold the team's events again. A team
//! changed through this process is read afresh at once; one changed through another server
//! process, within [`FRESH`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use stride_domain::team::Team;
use stride_storage::Store;

use crate::error::ApiError;
use crate::team_service;

/// How long a team read for its board is used before it is read again.
pub const FRESH: Duration = Duration::from_secs(1);
/// Boards kept.
const CAPACITY: usize = 10_000;

pub struct Boards {
    teams: Cache<String, (Arc<Team>, Instant)>,
}

impl std::fmt::Debug for Boards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Boards").finish_non_exhaustive()
    }
}

impl Default for Boards {
    fn default() -> Self {
        Boards {
            teams: Cache::new(CAPACITY),
        }
    }
}

impl Boards {
    /// The team whose board is at `slug`, public or not; `None` when there is none.
    pub async fn team(&self, store: &Store, slug: &str) -> Result<Option<Arc<Team>>, ApiError> {
        if let Some((team, read)) = self.teams.get(slug)
            && read.elapsed() < FRESH
        {
            return Ok(Some(team));
        }
        let Some(team_id) = store.team_by_slug(slug).await? else {
            return Ok(None);
        };
        let read = Instant::now();
        let team = Arc::new(team_service::load(store, team_id).await?.0);
        self.teams.insert(slug.to_owned(), (team.clone(), read));
        Ok(Some(team))
    }

    /// Forgets every team read, after this process changed one.
    pub fn forget(&self) {
        self.teams.clear();
    }
}
