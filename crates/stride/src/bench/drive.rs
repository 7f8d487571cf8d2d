//! Driving load: workers that repeat an operation until a deadline, and what they measured.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

/// What one scenario measured.
#[derive(Debug, Default)]
pub struct Samples {
    /// Latency of each operation that succeeded.
    pub latencies: Vec<Duration>,
    pub errors: u64,
    /// Units of work done (requests, or observations for metric batches).
    pub units: u64,
    pub elapsed: Duration,
}

/// The summary a report prints.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub operations: usize,
    /// Units of work done: requests, or observations for metric batches.
    pub units: u64,
    pub errors: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// CPU per unit, by side, while the scenario ran.
    pub cpu: Option<super::cpu::CpuPerUnit>,
}

impl Samples {
    fn percentile(sorted: &[Duration], q: f64) -> f64 {
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1].as_secs_f64() * 1000.0
    }

    pub fn summary(mut self) -> Summary {
        self.latencies.sort_unstable();
        Summary {
            operations: self.latencies.len(),
            units: self.units,
            errors: self.errors,
            per_second: self.units as f64 / self.elapsed.as_secs_f64().max(1e-9),
            p50_ms: Self::percentile(&self.latencies, 0.50),
            p99_ms: Self::percentile(&self.latencies, 0.99),
            cpu: None,
        }
    }
}

/// Runs `concurrency` workers for `duration`, each calling `op(worker, iteration)` in a loop;
/// an `Ok(units)` is timed and counted, an `Err` counted as an error.
pub async fn drive<F, Fut>(concurrency: usize, duration: Duration, op: F) -> Samples
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<u64>> + Send,
{
    let op = Arc::new(op);
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let op = op.clone();
            tokio::spawn(async move {
                let mut samples = Samples::default();
                let mut iteration = 0;
                while Instant::now() < deadline {
                    let begun = Instant::now();
                    match op(worker, iteration).await {
                        Ok(units) => {
                            samples.latencies.push(begun.elapsed());
                            samples.units += units;
                        }
                        Err(error) => {
                            if samples.errors == 0 {
                                eprintln!("  worker {worker}: {error:#}");
                            }
                            samples.errors += 1;
                        }
                    }
                    iteration += 1;
                }
                samples
            })
        })
        .collect();
    let mut all = Samples::default();
    for worker in workers {
        if let Ok(samples) = worker.await {
            all.latencies.extend(samples.latencies);
            all.errors += samples.errors;
            all.units += samples.units;
        }
    }
    all.elapsed = started.elapsed();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples = Samples {
            latencies: (1..=100).rev().map(Duration::from_millis).collect(),
            errors: 0,
            units: 200,
            elapsed: Duration::from_secs(2),
        };
        let summary = samples.summary();
        assert_eq!(summary.operations, 100);
        assert!((summary.p50_ms - 50.0).abs() < 1e-9);
        assert!((summary.p99_ms - 99.0).abs() < 1e-9);
        assert!((summary.per_second - 100.0).abs() < 1e-9);
    }
}
