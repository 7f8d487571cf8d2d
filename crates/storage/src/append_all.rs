//! Appends to several streams that commit together or not at all: one workflow that changes
//! more than one aggregate (a post published and the idea it was made from marked used).
//!
//! Each stream is still checked against its own expected version, but unlike group commit,
//! where each command stands or falls alone, one stale version refuses them all. Such
//! workflows are rare, so they take a transaction of their own instead of a seat in a
//! shared batch.

use std::collections::BTreeSet;

use crate::append;
use crate::events::MAX_EVENTS_PER_TRANSACTION;
use crate::events::{AppendRequest, Appended, EventLog};
use crate::{AppendError, StoreError};

impl EventLog<'_> {
    /// Appends every request in one transaction, each checked against its stream's expected
    /// version: all are written, or none is. Answers each stream's [`Appended`] in the order
    /// asked; the first refusal (a stale version, say) when any is refused. Each stream may
    /// appear once, and unique claims are taken by [`EventLog::append`] alone.
    pub async fn append_all(
        self,
        requests: Vec<AppendRequest>,
    ) -> Result<Vec<Appended>, AppendError> {
        check(&requests)?;
        let mut client = self.store.pool().get().await?;
        let tx = client.transaction().await.map_err(append::failed)?;
        let outcomes = append::append_in(&tx, &requests)
            .await
            .map_err(append::failed)?;
        let appended = match outcomes.into_iter().collect::<Result<Vec<_>, _>>() {
            Ok(appended) => appended,
            Err(refused) => {
                tx.rollback().await.map_err(append::failed)?;
                return Err(refused);
            }
        };
        tx.commit().await.map_err(append::failed)?;
        self.store.notify_appended();
        Ok(appended)
    }
}

fn check(requests: &[AppendRequest]) -> Result<(), AppendError> {
    let refuse = |why: String| {
        Err(AppendError::Store(StoreError::Internal(anyhow::anyhow!(
            why
        ))))
    };
    let events: usize = requests.iter().map(|r| r.events.len()).sum();
    if requests.is_empty()
        || requests.iter().any(|r| r.events.is_empty())
        || events > MAX_EVENTS_PER_TRANSACTION / 2
    {
        return refuse(format!(
            "an append holds 1 to {} events in each stream, not {events} in {} streams",
            MAX_EVENTS_PER_TRANSACTION / 2,
            requests.len()
        ));
    }
    let streams: BTreeSet<_> = requests.iter().map(|r| (r.team_id, r.stream_id)).collect();
    if streams.len() < requests.len() {
        return refuse("each stream may appear once in an append to several".to_owned());
    }
    if requests.iter().any(AppendRequest::has_claims) {
        return refuse("unique claims are taken by single appends".to_owned());
    }
    Ok(())
}
