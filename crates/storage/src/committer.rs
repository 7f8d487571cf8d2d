//! Group commit: appends that arrive at the same moment share one transaction and one disk
//! flush (see [`crate::batcher`]), while each command keeps its own version check and its
//! own outcome.

use deadpool_postgres::Pool;
use tokio::sync::oneshot;

use crate::append::{self, Outcome};
use crate::batcher::Batcher;
use crate::events::MAX_EVENTS_PER_TRANSACTION;
use crate::events::{AppendRequest, ExpectedVersion};
use crate::{AppendError, StoreError};

/// How many transactions may be in flight at once.
const WORKERS: usize = 4;

struct Job {
    request: AppendRequest,
    reply: oneshot::Sender<Outcome>,
}

#[derive(Clone)]
pub(crate) struct Committer {
    batcher: Batcher<Job>,
}

/// What a caller hears when the workers are gone.
pub(crate) fn stopped() -> AppendError {
    AppendError::Store(StoreError::Unavailable(anyhow::anyhow!(
        "the event store is shutting down"
    )))
}

impl Committer {
    pub(crate) fn start(pool: Pool) -> Committer {
        let batcher = Batcher::start(
            WORKERS,
            |job: &Job| job.request.events.len(),
            MAX_EVENTS_PER_TRANSACTION / 2,
            move |jobs| work(pool.clone(), jobs),
        );
        Committer { batcher }
    }

    pub(crate) async fn append(&self, request: AppendRequest) -> Outcome {
        let (reply, answer) = oneshot::channel();
        self.batcher
            .submit(Job { request, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn work(pool: Pool, jobs: Vec<Job>) {
    let (solo, shared): (Vec<Job>, Vec<Job>) =
        jobs.into_iter().partition(|job| job.request.has_claims());
    if !shared.is_empty() {
        run_batch(&pool, shared).await;
    }
    for job in solo {
        run_batch(&pool, vec![job]).await;
    }
}

async fn run_batch(pool: &Pool, jobs: Vec<Job>) {
    let (requests, replies): (Vec<AppendRequest>, Vec<oneshot::Sender<Outcome>>) =
        jobs.into_iter().map(|job| (job.request, job.reply)).unzip();
    let outcomes = commit(pool, &requests).await;
    match outcomes {
        Ok(outcomes) => {
            for ((request, reply), outcome) in requests.iter().zip(replies).zip(outcomes) {
                let outcome = match outcome {
                    // An append without a version check only loses when a concurrent
                    // transaction creates the same stream; once that commits it succeeds.
                    Err(AppendError::Conflict { .. })
                        if request.expected == ExpectedVersion::Any =>
                    {
                        solo(pool, request).await
                    }
                    other => other,
                };
                let _ = reply.send(outcome);
            }
        }
        Err(error) if requests.len() == 1 => {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(error));
            }
        }
        Err(error) => {
            // One command must not fail its neighbours: retry each alone.
            tracing::warn!(error = %anyhow::Error::from(error), size = requests.len(), "batch append failed; retrying each command alone");
            for (request, reply) in requests.iter().zip(replies) {
                let _ = reply.send(solo(pool, request).await);
            }
        }
    }
}

async fn solo(pool: &Pool, request: &AppendRequest) -> Outcome {
    commit(pool, std::slice::from_ref(request))
        .await
        .and_then(|mut outcomes| {
            outcomes.pop().ok_or_else(|| {
                AppendError::Store(StoreError::Internal(anyhow::anyhow!("no outcome")))
            })
        })
        .unwrap_or_else(Err)
}

async fn commit(pool: &Pool, requests: &[AppendRequest]) -> Result<Vec<Outcome>, AppendError> {
    let mut client = pool.get().await?;
    append::commit(&mut client, requests)
        .await
        .map_err(append::failed)
}
