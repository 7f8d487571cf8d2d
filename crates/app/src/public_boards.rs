//! Public boards by slug, and the ideas votes may go to, kept in memory for a moment: board
//! traffic comes in bursts, and each request would otherwise look the slug up, fold the
//! team's events and fold the idea's again. A team changed (or an idea merged) through this
//! process is read afresh at once; through another server process, within [`FRESH`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use stride_domain::idea;
use stride_domain::team::Team;
use stride_storage::Store;
use uuid::Uuid;

use crate::{AppError, execute, teams};

/// How long a team read for its board is used before it is read again.
pub const FRESH: Duration = Duration::from_secs(1);
/// Boards kept.
const CAPACITY: usize = 10_000;

pub struct PublicBoards {
    teams: Cache<String, (Arc<Team>, Instant)>,
    /// Ideas found votable (they exist and are not merged away), by team and idea.
    votable: Cache<(Uuid, Uuid), Instant>,
}

impl std::fmt::Debug for PublicBoards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicBoards").finish_non_exhaustive()
    }
}

impl Default for PublicBoards {
    fn default() -> Self {
        PublicBoards {
            teams: Cache::new(CAPACITY),
            votable: Cache::new(CAPACITY),
        }
    }
}

impl PublicBoards {
    /// The team whose board is at `slug`, public or not; `None` when there is none.
    pub async fn team(&self, store: &Store, slug: &str) -> Result<Option<Arc<Team>>, AppError> {
        // What is not a slug names no board: it never reaches the database or the cache.
        if stride_domain::text::slug(slug).is_err() {
            return Ok(None);
        }
        if let Some((team, read)) = self.teams.get(slug)
            && read.elapsed() < FRESH
        {
            return Ok(Some(team));
        }
        let Some(team_id) = store.team_by_slug(slug).await? else {
            return Ok(None);
        };
        let read = Instant::now();
        let team = Arc::new(teams::load(store, team_id).await?.0);
        self.teams.insert(slug.to_owned(), (team.clone(), read));
        Ok(Some(team))
    }

    /// Forgets every team read, after this process changed one.
    pub fn forget(&self) {
        self.teams.clear();
    }

    /// Whether votes may go to the idea: it exists and is not merged into another. A vote
    /// that reaches a duplicate merged meanwhile through another server (within [`FRESH`])
    /// still counts, for the idea it was merged into, as every vote on a duplicate does.
    pub async fn check_votable(
        &self,
        store: &Store,
        team_id: Uuid,
        idea_id: Uuid,
    ) -> Result<(), AppError> {
        if self
            .votable
            .get(&(team_id, idea_id))
            .is_some_and(|read| read.elapsed() < FRESH)
        {
            return Ok(());
        }
        let read = Instant::now();
        let state = execute::load(store, team_id, idea_id, &idea::apply)
            .await?
            .state
            .ok_or(AppError::NotFound("idea"))?;
        if let Some(into) = state.merged_into {
            return Err(idea::IdeaError::Merged(into).into());
        }
        self.votable.insert((team_id, idea_id), read);
        Ok(())
    }

    /// Forgets that an idea was votable, once this process merged it into another.
    pub fn forget_idea(&self, team_id: Uuid, idea_id: Uuid) {
        self.votable.remove(&(team_id, idea_id));
    }
}
