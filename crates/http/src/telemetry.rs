//! Telemetry, as Prometheus metrics: requests by route and status, latency histograms, the database pool,
//! each projection's position and lag, and the reads each database served with each standby's
//! health and lag, rendered as text on `/metrics`.

use std::time::Duration;

use prometheus::core::Collector;
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// A metric, registered as it is made, so that none is made and then left out of `/metrics`.
fn registered<M: Collector + Clone + 'static>(
    registry: &Registry,
    metric: M,
) -> prometheus::Result<M> {
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

#[derive(Clone)]
pub struct Telemetry {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    projection_position: IntGaugeVec,
    projection_lag: GaugeVec,
    projection_failures: IntGaugeVec,
    webhook_attempts: IntCounterVec,
    webhook_queue: prometheus::IntGauge,
    webhook_oldest: prometheus::Gauge,
    reads: IntCounterVec,
    replica_up: IntGaugeVec,
    replica_lag: GaugeVec,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry").finish_non_exhaustive()
    }
}

impl Telemetry {
    pub fn new() -> anyhow::Result<Telemetry> {
        let registry = Registry::new();
        let requests = registered(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "stride_http_requests_total",
                    "HTTP requests answered, by route and status",
                ),
                &["method", "route", "status"],
            )?,
        )?;
        let latency = registered(
            &registry,
            HistogramVec::new(
                HistogramOpts::new(
                    "stride_http_request_duration_seconds",
                    "Time to answer an HTTP request",
                )
                .buckets(vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ]),
                &["method", "route"],
            )?,
        )?;
        let pool = registered(
            &registry,
            IntGaugeVec::new(
                Opts::new(
                    "stride_db_pool_connections",
                    "Database pool connections by state",
                ),
                &["state"],
            )?,
        )?;
        let projection_position = registered(
            &registry,
            IntGaugeVec::new(
                Opts::new(
                    "stride_projection_position",
                    "The last position each projection applied",
                ),
                &["projection"],
            )?,
        )?;
        let projection_lag = registered(
            &registry,
            GaugeVec::new(
                Opts::new(
                    "stride_projection_lag_seconds",
                    "How long the oldest event a projection has not applied has waited",
                ),
                &["projection"],
            )?,
        )?;
        let projection_failures = registered(
            &registry,
            IntGaugeVec::new(
                Opts::new(
                    "stride_projection_failures",
                    "Teams a projection stopped for, on an event it could not apply",
                ),
                &["projection"],
            )?,
        )?;
        let webhook_attempts = registered(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "stride_webhook_attempts_total",
                    "Webhook delivery attempts this process made, by outcome (delivered, failed and to be retried, dead)",
                ),
                &["outcome"],
            )?,
        )?;
        let webhook_queue = registered(
            &registry,
            prometheus::IntGauge::with_opts(Opts::new(
                "stride_webhook_queue_depth",
                "Webhook messages not delivered yet (pending or failed), all servers",
            ))?,
        )?;
        let webhook_oldest = registered(
            &registry,
            prometheus::Gauge::with_opts(Opts::new(
                "stride_webhook_oldest_pending_seconds",
                "How long the oldest webhook message not delivered yet has waited",
            ))?,
        )?;
        let reads = registered(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "stride_db_reads_total",
                    "Reads of the projections this process made, by where they went (primary or replica)",
                ),
                &["target"],
            )?,
        )?;
        let replica_up = registered(
            &registry,
            IntGaugeVec::new(
                Opts::new(
                    "stride_replica_up",
                    "1 while a standby answers as a standby of the primary and serves reads, else 0",
                ),
                &["replica"],
            )?,
        )?;
        let replica_lag = registered(
            &registry,
            GaugeVec::new(
                Opts::new(
                    "stride_replica_lag_seconds",
                    "How long the oldest change a standby has not replayed has been on the primary; -1 while unknown",
                ),
                &["replica"],
            )?,
        )?;
        Ok(Telemetry {
            registry,
            reads,
            replica_up,
            replica_lag,
            webhook_attempts,
            webhook_queue,
            webhook_oldest,
            requests,
            latency,
            pool,
            projection_position,
            projection_lag,
            projection_failures,
        })
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(elapsed.as_secs_f64());
    }

    /// The text exposition, with the pool, the projections and the webhook queue read at
    /// scrape time.
    pub async fn render(&self, app: &stride_app::App) -> anyhow::Result<String> {
        let store = &app.store;
        let stats = &app.delivery_stats;
        for (outcome, count) in [
            ("delivered", &stats.delivered),
            ("failed", &stats.failed),
            ("dead", &stats.dead),
        ] {
            // The worker counts; the counter catches up with it at each scrape.
            let counter = self.webhook_attempts.with_label_values(&[outcome]);
            let count = count.load(std::sync::atomic::Ordering::Relaxed);
            counter.inc_by(count.saturating_sub(counter.get()));
        }
        let (depth, oldest) = store.deliveries().queue().await?;
        self.webhook_queue.set(depth);
        self.webhook_oldest.set(oldest);
        for (name, position) in store.projections().positions().await? {
            self.projection_position
                .with_label_values(&[name.as_str()])
                .set(position);
            self.projection_lag
                .with_label_values(&[name.as_str()])
                .set(store.projections().lag_seconds(position).await?);
            self.projection_failures
                .with_label_values(&[name.as_str()])
                .set(0);
        }
        for (name, teams) in store.projections().failure_counts().await? {
            self.projection_failures
                .with_label_values(&[name.as_str()])
                .set(teams);
        }
        let (primary_reads, replica_reads) = store.reads_served();
        for (target, count) in [("primary", primary_reads), ("replica", replica_reads)] {
            let counter = self.reads.with_label_values(&[target]);
            counter.inc_by(count.saturating_sub(counter.get()));
        }
        for (name, health) in store.replica_health() {
            self.replica_up
                .with_label_values(&[name.as_str()])
                .set(i64::from(health.up));
            self.replica_lag
                .with_label_values(&[name.as_str()])
                .set(health.lag.map_or(-1.0, |lag| lag.as_secs_f64()));
        }
        let status = store.pool_status();
        let gauge = |state: &str, value: usize| {
            self.pool
                .with_label_values(&[state])
                .set(i64::try_from(value).unwrap_or(i64::MAX));
        };
        gauge("max", status.max_size);
        gauge("open", status.size);
        gauge("idle", status.available);
        gauge("waiting", status.waiting);
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        Ok(String::from_utf8(buffer)?)
    }
}
