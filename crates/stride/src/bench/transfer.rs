//! The exports and imports scenario: the team's whole metric history (the seeded million
//! observations and what the other scenarios recorded) exported as CSV, with the time to
//! its first byte and the server's resident memory sampled while it streams; then a CSV
//! file of 100,000 observations imported in one request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use serde::Serialize;

use super::scenarios::Team;

/// Rows of the imported file.
pub const IMPORT_ROWS: usize = 100_000;
/// How often the server's memory is sampled during the export.
const SAMPLE: Duration = Duration::from_millis(20);

/// What the scenario measured.
#[derive(Debug, Clone, Serialize)]
pub struct TransferReport {
    pub export_rows: u64,
    pub export_megabytes: f64,
    /// From the request to the first byte of the file.
    pub export_first_byte_ms: f64,
    pub export_seconds: f64,
    pub export_rows_per_second: f64,
    /// The server's largest resident set sampled while the file streamed.
    pub export_server_rss_mb: Option<f64>,
    pub import_rows: usize,
    pub import_seconds: f64,
    pub import_rows_per_second: f64,
}

/// The resident set of process `pid` now (VmRSS), in MB.
fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub async fn run(
    http: &reqwest::Client,
    team: &Team,
    server: Option<u32>,
) -> anyhow::Result<TransferReport> {
    // The export, read as a client would save it, while the server's memory is sampled.
    let peak_kb = Arc::new(AtomicU64::new(0));
    let sampling = server.map(|pid| {
        let peak_kb = peak_kb.clone();
        tokio::spawn(async move {
            loop {
                if let Some(mb) = rss_mb(pid) {
                    peak_kb.fetch_max((mb * 1024.0) as u64, Ordering::Relaxed);
                }
                tokio::time::sleep(SAMPLE).await;
            }
        })
    });
    let asked = Instant::now();
    let response = http
        .get(format!(
            "{}/v1/teams/{}/exports/metrics",
            team.base, team.id
        ))
        .bearer_auth(&team.token)
        .timeout(Duration::from_secs(600))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("the export answered {}", response.status());
    }
    let mut body = response.bytes_stream();
    let (mut first_byte, mut bytes, mut lines) = (None, 0usize, 0u64);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.context("reading the export")?;
        first_byte.get_or_insert_with(|| asked.elapsed());
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
    }
    let export_seconds = asked.elapsed().as_secs_f64();
    let export_server_rss_mb = sampling.map(|task| {
        task.abort();
        peak_kb.load(Ordering::Relaxed) as f64 / 1024.0
    });
    let export_rows = lines.saturating_sub(1);

    // The import: a file of past observations on the team's channel, by its id.
    let epoch = chrono::Utc::now() - chrono::Duration::days(4 * 365);
    let mut file = String::with_capacity(IMPORT_ROWS * 80);
    file.push_str("channel,metric,value,observed_at\r\n");
    for i in 0..IMPORT_ROWS as i64 {
        let at = (epoch + chrono::Duration::seconds(i))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        file.push_str(&format!("{},likes,{},{at}\r\n", team.channel, i % 5000));
    }
    let started = Instant::now();
    let response = http
        .post(format!(
            "{}/v1/teams/{}/imports/metrics",
            team.base, team.id
        ))
        .bearer_auth(&team.token)
        .header("content-type", "text/csv")
        .timeout(Duration::from_secs(600))
        .body(file)
        .send()
        .await?;
    let status = response.status();
    let answer: serde_json::Value = response.json().await.unwrap_or_default();
    if !status.is_success() || answer["accepted"].as_u64() != Some(IMPORT_ROWS as u64) {
        bail!("the import answered {status}: {answer}");
    }
    let import_seconds = started.elapsed().as_secs_f64();
    Ok(TransferReport {
        export_rows,
        export_megabytes: bytes as f64 / 1e6,
        export_first_byte_ms: first_byte.unwrap_or_default().as_secs_f64() * 1000.0,
        export_seconds,
        export_rows_per_second: export_rows as f64 / export_seconds.max(1e-9),
        export_server_rss_mb,
        import_rows: IMPORT_ROWS,
        import_seconds,
        import_rows_per_second: IMPORT_ROWS as f64 / import_seconds.max(1e-9),
    })
}
