//! Events a projection could not apply, and the guard that keeps a team's reads of a broken
//! projection from answering with what it holds. The projector records a failure in the same
//! transaction as its checkpoint (see `projector.rs`); every read of a projection's tables
//! asks [`Projector::check`] first, from a copy of the table each process keeps for
//! at most [`FRESH`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::StoreError;
use crate::db::pair;
use crate::projector::Projector;

/// How long a process answers from its copy of the failures before reading them again.
const FRESH: Duration = Duration::from_secs(1);

const ALL: &str = "SELECT team_id, projection, position FROM projection_failures";
const COUNTS: &str =
    "SELECT projection, count(*) FROM projection_failures GROUP BY projection ORDER BY projection";
const FORGET: &str = "DELETE FROM projection_failures WHERE projection = $1";

/// A team's projection stopped at an event it could not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub projection: String,
    pub position: i64,
}

/// The failures by team, as last read.
#[derive(Debug, Default)]
pub(crate) struct FailureCopy {
    read: Option<Instant>,
    by_team: HashMap<Uuid, Vec<Failure>>,
}

impl FailureCopy {
    fn fresh(&self) -> bool {
        self.read.is_some_and(|at| at.elapsed() < FRESH)
    }

    fn failed(&self, team_id: Uuid, projections: &[&str]) -> Option<Failure> {
        self.by_team
            .get(&team_id)?
            .iter()
            .find(|f| projections.contains(&f.projection.as_str()))
            .cloned()
    }
}

impl Projector<'_> {
    /// Fails with [`StoreError::ProjectionFailed`] when one of `projections` stopped on an
    /// event of the team: what it holds for the team is not what the log says.
    pub async fn check(self, team_id: Uuid, projections: &[&str]) -> Result<(), StoreError> {
        let cached = {
            let copy = self.store.failure_copy().lock().map_err(poisoned)?;
            copy.fresh().then(|| copy.failed(team_id, projections))
        };
        let failed = match cached {
            Some(failed) => failed,
            None => {
                let by_team = self.read_failures().await?;
                let mut copy = self.store.failure_copy().lock().map_err(poisoned)?;
                copy.by_team = by_team;
                copy.read = Some(Instant::now());
                copy.failed(team_id, projections)
            }
        };
        match failed {
            Some(Failure {
                projection,
                position,
            }) => Err(StoreError::ProjectionFailed {
                projection,
                position,
            }),
            None => Ok(()),
        }
    }

    /// Makes the next check read the failures again: this process just recorded or cleared
    /// one.
    pub(crate) fn forget_failure_copy(self) {
        if let Ok(mut copy) = self.store.failure_copy().lock() {
            copy.read = None;
        }
    }

    async fn read_failures(self) -> Result<HashMap<Uuid, Vec<Failure>>, StoreError> {
        let client = self.store.pool().get().await?;
        let statement = client.prepare_cached(ALL).await?;
        let mut by_team: HashMap<Uuid, Vec<Failure>> = HashMap::new();
        for row in client.query(&statement, &[]).await? {
            by_team.entry(row.try_get(0)?).or_default().push(Failure {
                projection: row.try_get(1)?,
                position: row.try_get(2)?,
            });
        }
        Ok(by_team)
    }

    /// How many teams each projection has stopped for.
    pub async fn failure_counts(self) -> Result<Vec<(String, i64)>, StoreError> {
        self.store.query_rows(COUNTS, &[], pair).await
    }
}

/// Forgets a projection's failures within a rebuild's transaction.
pub(crate) async fn forget(
    tx: &deadpool_postgres::Transaction<'_>,
    projection: &str,
) -> Result<(), StoreError> {
    tx.execute(FORGET, &[&projection]).await?;
    Ok(())
}

fn poisoned<T>(_: std::sync::PoisonError<T>) -> StoreError {
    StoreError::Internal(anyhow::anyhow!(
        "the copy of projection failures is poisoned"
    ))
}

pub(crate) type SharedFailureCopy = Mutex<FailureCopy>;
