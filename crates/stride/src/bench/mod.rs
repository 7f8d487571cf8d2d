//! `stride bench`: numbers a user can reproduce. Starts a server on a fresh database (or
//! targets `STRIDE_URL`), then runs each scenario for a fixed time at a fixed concurrency:
//! the raw INSERT baseline, single-event appends with the projection lag meanwhile, metric
//! batches, progress reads over a seeded log of a million events, and a rebuild. Prints a
//! table (or JSON with `--json`) with each target beside what was reached.
// The report on stdout is the command's output; progress goes to stderr.
#![allow(clippy::print_stdout)]

mod cpu;
mod drive;
mod failover;
mod hooks;
mod scenarios;
mod transfer;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use stride_storage::Store;
use stride_storage::db::DbConfig;
use stride_storage::registry::Registered;
use uuid::Uuid;

use cpu::Ticks;
use drive::Summary;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub db: crate::DbArgs,
    /// Benchmark a running server instead of starting one. DATABASE_URL must then name the
    /// database it uses: seeding, the baseline and the rebuild run there.
    #[arg(long, env = "STRIDE_URL")]
    pub url: Option<String>,
    /// Concurrent clients in every scenario.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Seconds each scenario runs.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Events seeded before the progress reads and the rebuild.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: i64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    concurrency: usize,
    seconds: u64,
    baseline_insert: Summary,
    http_appends: Summary,
    appends_to_baseline: f64,
    /// Machine CPU per acknowledged append (the projectors' share included) over machine CPU
    /// per raw INSERT transaction.
    append_cpu_to_baseline: Option<f64>,
    projection_lag: Summary,
    metric_ingest: Summary,
    /// Shared board limit checks, one statement each (a board write makes two).
    shared_limit_checks: Summary,
    seeded_events: i64,
    seed_seconds: f64,
    catch_up_seconds: f64,
    progress_reads: Summary,
    /// Events in the log, each replayed into every projection.
    rebuild_log_events: i64,
    rebuild_seconds: f64,
    /// Log events per second through a full rebuild of every projection.
    rebuild_events_per_second: f64,
    peak_rss_mb: Option<f64>,
    /// None when the server would not send to local receivers.
    webhooks: Option<hooks::HookReport>,
    /// The metric history exported as CSV, and a CSV file imported.
    transfer: Option<transfer::TransferReport>,
    /// The leader of two servers killed, and how long the other took to lead; None when the
    /// bench targets a running server.
    failover: Option<failover::FailoverReport>,
}

/// The server under test, when the bench started it.
struct Server {
    child: Child,
}

impl Server {
    fn start(database_url: &str, port: u16) -> anyhow::Result<Server> {
        let child = Command::new(std::env::current_exe()?)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("STRIDE_ADDR", format!("127.0.0.1:{port}"))
            // The load comes from one address: the board's abuse limits are not under test.
            .env("STRIDE_BOARD_RATE_PER_MINUTE", "100000000")
            .env("STRIDE_BOARD_BURST", "100000000")
            .env("STRIDE_LOG", "warn")
            .env("STRIDE_SHUTDOWN_NOTICE_SECS", "0")
            // The webhook scenario's receivers run on this machine.
            .env("STRIDE_WEBHOOK_ALLOW_PRIVATE", "true")
            .stdin(Stdio::null())
            .spawn()
            .context("starting the server")?;
        Ok(Server { child })
    }

    /// Peak resident set size (VmHWM), in MB.
    fn peak_rss_mb(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    }

    fn stop(mut self) -> anyhow::Result<()> {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM)?;
        self.child.wait()?;
        Ok(())
    }
}

/// Events the webhook scenario writes, each sent to three receivers.
const WEBHOOK_EVENTS: usize = 1000;

/// `summary` with the CPU its scenario used since `before`, per unit.
fn with_cpu(summary: Summary, before: Ticks, server: Option<u32>) -> Summary {
    let cpu = Ticks::now(server).per_unit_since(before, summary.units);
    Summary {
        cpu: Some(cpu),
        ..summary
    }
}

async fn wait_ready(http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the server at {base} did not become ready")
}

/// A fresh database on the server `url` points at; its URL.
async fn fresh_database(url: &str) -> anyhow::Result<String> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let name = format!("stride_bench_{}", Uuid::now_v7().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await?;
    let mut config: tokio_postgres::Config = url.parse()?;
    config.dbname(&name);
    Ok(stride_storage::db::config_url(&config))
}

fn step(json: bool, what: &str) {
    if !json {
        eprintln!("==> {what}");
    }
}

pub async fn run(args: &BenchArgs, url: &str) -> anyhow::Result<()> {
    let (c, duration) = (
        args.concurrency.max(1),
        Duration::from_secs(args.seconds.max(1)),
    );
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(c * 2)
        .timeout(Duration::from_secs(30))
        .build()?;
    let (database, server, base) = match &args.url {
        Some(base) => (url.to_owned(), None, base.trim_end_matches('/').to_owned()),
        None => {
            let database = fresh_database(url).await?;
            let port = std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port();
            let server = Server::start(&database, port)?;
            (database, Some(server), format!("http://127.0.0.1:{port}"))
        }
    };
    wait_ready(&http, &base).await?;
    let store = Store::connect(&DbConfig {
        pool_size: 6,
        ..DbConfig::new(&database)
    })?;

    step(args.json, "setting up a team with its contributors");
    let team = Arc::new(scenarios::set_up(&http, &base, c).await?);
    step(
        args.json,
        &format!("raw INSERT baseline: {} s at {c} connections", args.seconds),
    );
    let pid = server.as_ref().map(|s| s.child.id());
    let before = Ticks::now(pid);
    let baseline = scenarios::baseline(&database, c, duration).await?.summary();
    let baseline = with_cpu(baseline, before, pid);
    step(
        args.json,
        &format!(
            "single-event appends over HTTP: {} s at {c} clients",
            args.seconds
        ),
    );
    let before = Ticks::now(pid);
    let (appends, lag) = scenarios::appends(&http, &team, c, duration).await;
    let (appends, lag) = (with_cpu(appends.summary(), before, pid), lag.summary());
    step(
        args.json,
        &format!(
            "metric batches of {}: {} s at {c} clients",
            scenarios::BATCH,
            args.seconds
        ),
    );
    let before = Ticks::now(pid);
    let metrics = scenarios::metric_batches(&http, &team, c, duration)
        .await
        .summary();
    let metrics = with_cpu(metrics, before, pid);

    step(
        args.json,
        &format!(
            "shared board limit checks: {} s at {c} connections",
            args.seconds
        ),
    );
    let checker = Store::connect(&DbConfig {
        pool_size: c,
        ..DbConfig::new(&database)
    })?;
    let before = Ticks::now(None);
    let limit_checks = scenarios::shared_limit_checks(&checker, c, duration)
        .await
        .summary();
    let limit_checks = with_cpu(limit_checks, before, None);
    drop(checker);

    step(args.json, &format!("seeding {} events", args.events));
    let bar = indicatif::ProgressBar::new(args.events.max(0) as u64);
    if args.json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let seeding = Instant::now();
    let team_id: Uuid = team.id.parse()?;
    store
        .observations()
        .seed_metric_events(
            team_id,
            Uuid::now_v7(),
            Uuid::now_v7(),
            args.events,
            chrono::Utc::now(),
            |n| bar.set_position(n as u64),
        )
        .await?;
    bar.finish_and_clear();
    let seed_seconds = seeding.elapsed().as_secs_f64();
    // Fresh statistics, as autovacuum keeps them on a database in service.
    let client = store.pool().get().await?;
    client.batch_execute("ANALYZE").await?;
    drop(client);
    step(args.json, "waiting for the projections to catch up");
    let head = store.events().visible_head().await?;
    let catch_up = scenarios::wait_projected(&http, &team, head).await?;
    step(
        args.json,
        &format!("GET progress: {} s at {c} clients", args.seconds),
    );
    let before = Ticks::now(pid);
    let progress = scenarios::progress_reads(&http, &team, c, duration)
        .await
        .summary();
    let progress = with_cpu(progress, before, pid);

    step(
        args.json,
        &format!(
            "exporting the team's metric history as CSV, then importing {} rows",
            transfer::IMPORT_ROWS
        ),
    );
    let transfer = match transfer::run(&http, &team, pid).await {
        Ok(report) => Some(report),
        Err(error) => {
            eprintln!("the exports and imports scenario did not run: {error:#}");
            None
        }
    };

    step(
        args.json,
        &format!("webhooks: {WEBHOOK_EVENTS} events to 3 receivers, one failing twice"),
    );
    let before = Ticks::now(pid);
    let webhooks = match hooks::run(&http, &base, WEBHOOK_EVENTS, c).await {
        Ok(report) => {
            let units = report.delivered as u64;
            Some(hooks::HookReport {
                cpu: Some(Ticks::now(pid).per_unit_since(before, units)),
                ..report
            })
        }
        Err(error) => {
            eprintln!("the webhook scenario did not run: {error:#}");
            None
        }
    };

    let peak_rss_mb = server.as_ref().and_then(Server::peak_rss_mb);
    if let Some(server) = server {
        server.stop()?;
    }
    let failover = match &args.url {
        Some(_) => None,
        None => {
            step(
                args.json,
                &format!(
                    "projector fail-over: the leader of two servers killed {} times",
                    failover::ROUNDS
                ),
            );
            Some(failover::run(&http, &database).await?)
        }
    };
    let client = store.pool().get().await?;
    let log_events: i64 = client
        .query_one("SELECT count(*) FROM events", &[])
        .await?
        .get(0);
    drop(client);
    step(args.json, "rebuilding every projection");
    let rebuilding = Instant::now();
    // As `stride projections rebuild` does: side by side.
    let rebuilt = futures_util::future::try_join_all(
        Registered::ALL.map(|projection| projection.rebuild(&store, |_, _| {})),
    )
    .await?;
    for applied in rebuilt {
        anyhow::ensure!(
            applied as i64 == log_events,
            "a rebuild replayed {applied} events of {log_events}"
        );
    }
    let rebuild_seconds = rebuilding.elapsed().as_secs_f64();

    let report = Report {
        concurrency: c,
        seconds: args.seconds,
        appends_to_baseline: appends.per_second / baseline.per_second.max(1e-9),
        append_cpu_to_baseline: appends
            .cpu
            .zip(baseline.cpu)
            .map(|(append, raw)| append.machine_us / raw.machine_us.max(1e-9)),
        baseline_insert: baseline,
        http_appends: appends,
        projection_lag: lag,
        metric_ingest: metrics,
        shared_limit_checks: limit_checks,
        seeded_events: args.events,
        seed_seconds,
        catch_up_seconds: catch_up.as_secs_f64(),
        progress_reads: progress,
        rebuild_log_events: log_events,
        rebuild_seconds,
        rebuild_events_per_second: log_events as f64 / rebuild_seconds.max(1e-9),
        peak_rss_mb,
        webhooks,
        transfer,
        failover,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    if args.url.is_none() {
        drop(store);
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        let name = database.rsplit('/').next().unwrap_or_default().to_owned();
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
    }
    Ok(())
}

fn line(name: &str, s: &Summary, unit: &str, target: &str) {
    println!(
        "{name:<28} {:>9} {:>14} {:>9.2} {:>9.2}  {target}",
        s.operations,
        format!("{:.0} {unit}", s.per_second),
        s.p50_ms,
        s.p99_ms
    );
}

fn print_table(r: &Report) {
    println!(
        "\nStride bench: {} clients, {} s per scenario\n",
        r.concurrency, r.seconds
    );
    println!(
        "{:<28} {:>9} {:>14} {:>9} {:>9}  target",
        "scenario", "ops", "throughput", "p50 ms", "p99 ms"
    );
    line("raw INSERT baseline", &r.baseline_insert, "/s", "");
    line(
        "HTTP single-event appends",
        &r.http_appends,
        "/s",
        &format!("{:.2}x baseline (target >= 1.0x)", r.appends_to_baseline),
    );
    line(
        "projection lag (ack→visible)",
        &r.projection_lag,
        "probes/s",
        "p99 < 50 ms",
    );
    line(
        "metric ingest",
        &r.metric_ingest,
        "obs/s",
        ">= 100000 obs/s",
    );
    line(
        "shared board limit check",
        &r.shared_limit_checks,
        "/s",
        "two per board write",
    );
    line(
        &format!("GET progress ({} events)", r.seeded_events),
        &r.progress_reads,
        "/s",
        "p99 < 10 ms",
    );
    match &r.webhooks {
        Some(w) => println!(
            "{:<28} {:>9} {:>14} {:>9.2} {:>9.2}  p99 < 1000 ms (first attempts); {} retried after {}",
            "webhook deliveries",
            w.delivered,
            format!("{:.0} /s", w.per_second),
            w.p50_ms,
            w.p99_ms,
            w.retried_after_s.len(),
            w.retried_after_s
                .iter()
                .map(|s| format!("{s:.1} s"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => println!("{:<28} not measured", "webhook deliveries"),
    }
    println!(
        "\n{:<28} {:>9} {:>11} {:>9} {:>11}",
        "CPU per unit (us)", "server", "PostgreSQL", "bench", "machine"
    );
    for (name, summary) in [
        ("raw INSERT transaction", &r.baseline_insert),
        ("HTTP append", &r.http_appends),
        ("metric observation", &r.metric_ingest),
        ("shared board limit check", &r.shared_limit_checks),
        ("GET progress", &r.progress_reads),
    ] {
        if let Some(cpu) = summary.cpu {
            let server = cpu
                .server_us
                .map_or("-".to_owned(), |us| format!("{us:.0}"));
            println!(
                "{name:<28} {server:>9} {:>11.0} {:>9.0} {:>11.0}",
                cpu.postgres_us, cpu.bench_us, cpu.machine_us
            );
        }
    }
    if let Some(cpu) = r.webhooks.as_ref().and_then(|w| w.cpu) {
        let server = cpu
            .server_us
            .map_or("-".to_owned(), |us| format!("{us:.0}"));
        println!(
            "{:<28} {server:>9} {:>11.0} {:>9.0} {:>11.0}",
            "webhook delivery (+ write)", cpu.postgres_us, cpu.bench_us, cpu.machine_us
        );
    }
    if let Some(ratio) = r.append_cpu_to_baseline {
        println!(
            "machine CPU per append / per raw INSERT transaction: {ratio:.2}x (target <= 1.0x)"
        );
    }
    if let Some(f) = &r.failover {
        println!(
            "projector fail-over: {} leaderships taken over in {} s after kill -9 (worst {:.2} s; target < 5 s)",
            f.leaderships,
            f.takeover_s
                .iter()
                .map(|s| format!("{s:.2}"))
                .collect::<Vec<_>>()
                .join(", "),
            f.worst_s()
        );
    }
    println!(
        "\nseeded {} events in {:.1} s; projections caught up in {:.1} s",
        r.seeded_events, r.seed_seconds, r.catch_up_seconds
    );
    println!(
        "rebuild of every projection: {} events in {:.1} s, {:.0} events/s (target >= 50000)",
        r.rebuild_log_events, r.rebuild_seconds, r.rebuild_events_per_second
    );
    if let Some(t) = &r.transfer {
        println!(
            "export of the metric history: {} rows ({:.1} MB of CSV) in {:.1} s, {:.0} rows/s; first byte after {:.0} ms (target < 200 ms)",
            t.export_rows,
            t.export_megabytes,
            t.export_seconds,
            t.export_rows_per_second,
            t.export_first_byte_ms
        );
        if let Some(mb) = t.export_server_rss_mb {
            println!("server RSS while it streamed: at most {mb:.1} MB (target < 100 MB)");
        }
        println!(
            "import of {} observations from CSV in {:.2} s: {:.0} rows/s (target >= 50000)",
            t.import_rows, t.import_seconds, t.import_rows_per_second
        );
    }
    match r.peak_rss_mb {
        Some(mb) => println!("server peak RSS: {mb:.1} MB (target < 100 MB)"),
        None => println!("server peak RSS: not measured (a server started elsewhere)"),
    }
}
