//! Public boards by slug, and the ideas votes may go to with the duplicates merged into
//! them, kept in memory for a moment: board traffic comes in bursts, and each request would
//! otherwise look the slug up, fold the team's events and fold the idea's again. A team
//! changed (or an idea merged or unmerged) through this process is read afresh at once;
//! through another server process, within [`FRESH`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use stride_domain::idea;
use stride_domain::team::Team;
use stride_storage::Store;
use stride_storage::board::ContributorToken;
use uuid::Uuid;

use crate::{App, AppError, execute, teams};

/// How long a team read for its board is used before it is read again.
pub const FRESH: Duration = Duration::from_secs(1);
/// Boards kept.
const CAPACITY: usize = 10_000;

/// The duplicates merged into an idea found votable, and when it was read.
type Votable = (Arc<[Uuid]>, Instant);

pub struct PublicBoards {
    teams: Cache<String, (Arc<Team>, Instant)>,
    /// Ideas found votable (they exist and are not merged away), by team and idea, with
    /// the duplicates merged into them.
    votable: Cache<(Uuid, Uuid), Votable>,
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
        let Some(team_id) = store.directory().team_by_slug(slug).await? else {
            return Ok(None);
        };
        let read = Instant::now();
        let team = Arc::new(teams::load(store, team_id).await?.state);
        self.teams.insert(slug.to_owned(), (team.clone(), read));
        Ok(Some(team))
    }

    /// Forgets every team read, after this process changed one.
    pub fn forget(&self) {
        self.teams.clear();
    }

    /// Whether votes may go to the idea: it exists and is not merged into another. Answers
    /// the duplicates merged into it, whose voters count with its own. A vote that reaches
    /// a duplicate merged meanwhile through another server (within [`FRESH`]) still counts,
    /// for the idea it was merged into, as every vote on a duplicate does.
    pub async fn votable(
        &self,
        store: &Store,
        team_id: Uuid,
        idea_id: Uuid,
    ) -> Result<Arc<[Uuid]>, AppError> {
        if let Some((merged, read)) = self.votable.get(&(team_id, idea_id))
            && read.elapsed() < FRESH
        {
            return Ok(merged);
        }
        let read = Instant::now();
        let state = execute::load(store, team_id, idea_id, &idea::apply)
            .await?
            .state
            .ok_or(AppError::NotFound("idea"))?;
        if let Some(into) = state.merged_into {
            return Err(idea::IdeaError::Merged(into).into());
        }
        let merged: Arc<[Uuid]> = merged_into(store, team_id, idea_id).await?.into();
        self.votable
            .insert((team_id, idea_id), (merged.clone(), read));
        Ok(merged)
    }

    /// Forgets which of the team's ideas are votable and what was merged into them, once
    /// this process merged or unmerged one of them.
    pub fn forget_ideas(&self, team_id: Uuid) {
        self.votable.retain(|(team, _), _| *team != team_id);
    }
}

/// The duplicates merged into `idea_id` now.
async fn merged_into(store: &Store, team_id: Uuid, idea_id: Uuid) -> Result<Vec<Uuid>, AppError> {
    let ever = store
        .read_models()
        .ever_merged_into(team_id, &[idea_id])
        .await?;
    if ever.is_empty() {
        return Ok(ever);
    }
    let streams = store
        .events()
        .read_streams::<idea::IdeaEvent>(team_id, &ever)
        .await?;
    Ok(streams
        .values()
        .filter_map(|s| s.events.iter().fold(None, |i, e| idea::apply(i, &e.event)))
        .filter(|i| i.merged_into == Some(idea_id))
        .map(|i| i.id)
        .collect())
}

/// The team whose public board is at `slug`: `NotFound` when there is none or it is not
/// public.
pub(crate) async fn open(app: &App, slug: &str) -> Result<Arc<Team>, AppError> {
    match app.boards.team(&app.store, slug).await? {
        Some(team) if team.board.public => Ok(team),
        _ => Err(AppError::NotFound("board")),
    }
}

/// The public board at `slug` and the contributor `token` speaks for, who must be one of
/// its own.
pub(crate) async fn open_to(
    app: &App,
    slug: &str,
    token: ContributorToken,
) -> Result<Arc<Team>, AppError> {
    let team = open(app, slug).await?;
    if token.team_id != team.id {
        return Err(AppError::Forbidden(
            "this contributor token is for another board",
        ));
    }
    Ok(team)
}
