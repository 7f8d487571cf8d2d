//! Requests that arrive at the same moment, served together: a few workers take turns
//! draining one queue; while one waits for its transaction, the next collects what arrived
//! meanwhile. Under no load a batch is a single request, so nothing waits for a timer.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Mutex, mpsc};

/// Queue length before callers wait for room.
const QUEUE: usize = 4096;

pub(crate) struct Batcher<J> {
    queue: mpsc::Sender<J>,
}

impl<J> Clone for Batcher<J> {
    fn clone(&self) -> Self {
        Batcher {
            queue: self.queue.clone(),
        }
    }
}

impl<J: Send + 'static> Batcher<J> {
    /// Starts `workers` workers on the current runtime. A batch closes once the `weight` of
    /// its jobs reaches `max_weight`; `run` serves one batch.
    pub(crate) fn start<F, Fut>(
        workers: usize,
        weight: fn(&J) -> usize,
        max_weight: usize,
        run: F,
    ) -> Batcher<J>
    where
        F: Fn(Vec<J>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        let run = Arc::new(run);
        for _ in 0..workers {
            let (receiver, run) = (receiver.clone(), run.clone());
            tokio::spawn(async move {
                while let Some(jobs) = next_batch(&receiver, weight, max_weight).await {
                    run(jobs).await;
                }
            });
        }
        Batcher { queue }
    }

    /// Queues `job`; gives it back when the workers have stopped.
    pub(crate) async fn submit(&self, job: J) -> Result<(), J> {
        self.queue.send(job).await.map_err(|e| e.0)
    }
}

async fn next_batch<J>(
    receiver: &Mutex<mpsc::Receiver<J>>,
    weight: fn(&J) -> usize,
    max_weight: usize,
) -> Option<Vec<J>> {
    let mut receiver = receiver.lock().await;
    let first = receiver.recv().await?;
    let mut total = weight(&first);
    let mut jobs = vec![first];
    while total < max_weight {
        let Ok(job) = receiver.try_recv() else {
            break;
        };
        total += weight(&job);
        jobs.push(job);
    }
    Some(jobs)
}
