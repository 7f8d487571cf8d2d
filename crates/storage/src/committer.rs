//! Group commit: appends that arrive at the same moment share one transaction and one disk
//! flush, while each command keeps its own version check and its own outcome.
//!
//! A few workers take turns draining the queue; while one waits for its commit, the next
//! collects what arrived meanwhile. Under no load a batch is a single command, so nothing
//! waits for a timer.

use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::append::{self, MAX_EVENTS_PER_TRANSACTION, Outcome};
use crate::events::{AppendRequest, ExpectedVersion};
use crate::{AppendError, StoreError};

/// How many transactions may be in flight at once.
const WORKERS: usize = 4;
/// Queue length before callers wait for room.
const QUEUE: usize = 4096;

struct Job {
    request: AppendRequest,
    reply: oneshot::Sender<Outcome>,
}

#[derive(Clone)]
pub(crate) struct Committer {
    queue: mpsc::Sender<Job>,
}

impl Committer {
    pub(crate) fn start(pool: Pool) -> Committer {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..WORKERS {
            tokio::spawn(work(pool.clone(), receiver.clone()));
        }
        Committer { queue }
    }

    pub(crate) async fn append(&self, request: AppendRequest) -> Outcome {
        let (reply, answer) = oneshot::channel();
        let stopped = || {
            AppendError::Store(StoreError::Unavailable(anyhow::anyhow!(
                "the event store is shutting down"
            )))
        };
        self.queue
            .send(Job { request, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn work(pool: Pool, receiver: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let jobs = {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            let mut events = first.request.events.len();
            let mut jobs = vec![first];
            while let Ok(job) = receiver.try_recv() {
                events += job.request.events.len();
                jobs.push(job);
                if events >= MAX_EVENTS_PER_TRANSACTION / 2 {
                    break;
                }
            }
            jobs
        };
        let (solo, shared): (Vec<Job>, Vec<Job>) =
            jobs.into_iter().partition(|job| job.request.has_claims());
        if !shared.is_empty() {
            run_batch(&pool, shared).await;
        }
        for job in solo {
            run_batch(&pool, vec![job]).await;
        }
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
