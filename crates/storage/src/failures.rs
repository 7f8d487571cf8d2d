//! Events a projection could not apply, and the guard that keeps a team's reads of a broken
//! projection from answering with what it holds. The projector records a failure in the same
//! transaction as its checkpoint (see `projector.rs`); every read of a projection's tables
//! asks [`Projector::check`] first, from a copy of the table each process keeps for
//! at most [`crate::shared::FRESH`].

use std::collections::HashMap;
use std::time::Instant;

use uuid::Uuid;

use crate::StoreError;
use crate::projector::Projector;
use crate::rows::pair;

const ALL: &str = "SELECT team_id, projection, position FROM projection_failures";
const COUNTS: &str =
    "SELECT projection, count(*) FROM projection_failures GROUP BY projection ORDER BY projection";
const FORGET: &str = "DELETE FROM projection_failures WHERE projection = $1";

pub use crate::shared::Failure;

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

    /// Forgets a projection's failures within a rebuild's transaction.
    pub(crate) async fn forget_failures(
        tx: &deadpool_postgres::Transaction<'_>,
        projection: &str,
    ) -> Result<(), StoreError> {
        tx.execute(FORGET, &[&projection]).await?;
        Ok(())
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

fn poisoned<T>(_: std::sync::PoisonError<T>) -> StoreError {
    StoreError::Internal(anyhow::anyhow!(
        "the copy of projection failures is poisoned"
    ))
}
