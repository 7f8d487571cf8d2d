//! The webhook scenario: `count` ideas submitted on a team of their own, each fanned out to
//! three receivers on this machine, one of which fails its first two requests. What a team's
//! tools see: how many messages a second arrive, and how long after its write was
//! acknowledged each first attempt on a healthy receiver arrives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// What the scenario measured.
#[derive(Debug, Clone, Serialize)]
pub struct HookReport {
    pub events: usize,
    pub receivers: usize,
    /// Messages delivered (a 2xx answered), retries included.
    pub delivered: usize,
    /// Delivered messages per second, from the first write to the last first-time delivery.
    pub per_second: f64,
    /// Acknowledged write to arrival, first attempts on healthy receivers.
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// When the failing receiver's two refused messages arrived again, after their writes.
    pub retried_after_s: Vec<f64>,
    pub cpu: Option<super::cpu::CpuPerUnit>,
}

/// Arrivals by receiver: (idea id, when, answered with).
type Arrivals = Arc<Mutex<Vec<(usize, String, Instant, u16)>>>;

/// A receiver that answers 500 to its first `refuse` requests, then 204.
async fn receiver(index: usize, refuse: usize, arrivals: Arrivals) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let refused = Arc::new(Mutex::new(0usize));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (arrivals, refused) = (arrivals.clone(), refused.clone());
            tokio::spawn(async move {
                let mut stream = BufReader::new(stream);
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if stream.read_line(&mut line).await.unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.trim_end().split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                if stream.read_exact(&mut body).await.is_err() {
                    return;
                }
                let arrived = Instant::now();
                let status = match refused.lock() {
                    Ok(mut refused) if *refused < refuse => {
                        *refused += 1;
                        500
                    }
                    _ => 204,
                };
                let idea = serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|b| b["data"]["stream_id"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                if let Ok(mut arrivals) = arrivals.lock() {
                    arrivals.push((index, idea, arrived, status));
                }
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = stream.get_mut().write_all(answer.as_bytes()).await;
            });
        }
    });
    Ok(url)
}

/// Runs the scenario against the server at `base`, which must let webhooks send to local
/// receivers (`STRIDE_WEBHOOK_ALLOW_PRIVATE=true`).
pub async fn run(
    http: &reqwest::Client,
    base: &str,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<HookReport> {
    let (_, team, token) = super::scenarios::sign_up(http, base, ("Hooks", "hooks")).await?;
    let arrivals: Arrivals = Arc::default();
    let mut endpoints = Vec::new();
    for (index, refuse) in [(0, 0), (1, 0), (2, 2)] {
        let url = receiver(index, refuse, arrivals.clone()).await?;
        let created = super::scenarios::post(
            http,
            format!("{base}/v1/teams/{team}/webhooks"),
            Some(&token),
            json!({ "url": url, "event_types": ["IdeaSubmitted"] }),
        )
        .await
        .context("creating a webhook (the server must allow local receivers: STRIDE_WEBHOOK_ALLOW_PRIVATE=true)")?;
        endpoints.push(created["id"].as_str().context("webhook id")?.to_owned());
    }

    let started = Instant::now();
    let acknowledged: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writers = (0..concurrency.max(1)).map(|_| {
        let (http, acknowledged, next) = (http.clone(), acknowledged.clone(), next.clone());
        let (url, token) = (format!("{base}/v1/teams/{team}/ideas"), token.clone());
        async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if n >= count {
                    return Ok::<_, anyhow::Error>(());
                }
                let idea = super::scenarios::post(
                    &http,
                    url.clone(),
                    Some(&token),
                    json!({ "title": format!("Idea {n}") }),
                )
                .await?;
                let id = idea["id"].as_str().context("idea id")?.to_owned();
                if let Ok(mut acknowledged) = acknowledged.lock() {
                    acknowledged.insert(id, Instant::now());
                }
            }
        }
    });
    futures_util::future::try_join_all(writers).await?;

    // Every idea delivered to every receiver, the refused ones once retried.
    let deadline = Instant::now() + Duration::from_secs(120);
    let delivered = loop {
        let got = arrivals.lock().map(|a| a.clone()).unwrap_or_default();
        let ok: Vec<_> = got.iter().filter(|a| a.3 < 300).cloned().collect();
        let mut per_receiver = [0usize; 3];
        let mut seen = std::collections::HashSet::new();
        for (index, idea, _, _) in &ok {
            if seen.insert((*index, idea.clone())) {
                per_receiver[*index] += 1;
            }
        }
        if per_receiver.iter().all(|&n| n >= count) {
            break got;
        }
        if Instant::now() > deadline {
            bail!("webhook messages missing after 120 s: {per_receiver:?} of {count} each");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for webhook in &endpoints {
        let _ = http
            .delete(format!("{base}/v1/teams/{team}/webhooks/{webhook}"))
            .bearer_auth(&token)
            .send()
            .await;
    }

    let acknowledged = acknowledged.lock().map(|a| a.clone()).unwrap_or_default();
    let refused: Vec<&String> = delivered
        .iter()
        .filter(|a| a.3 >= 300)
        .map(|a| &a.1)
        .collect();
    let mut latencies = Vec::new();
    let mut retried_after_s = Vec::new();
    let mut last_first_time = started;
    let mut first_seen = std::collections::HashSet::new();
    for (index, idea, arrived, status) in &delivered {
        let Some(acked) = acknowledged.get(idea) else {
            continue;
        };
        if *status >= 300 || !first_seen.insert((*index, idea.clone())) {
            continue;
        }
        if *index == 2 && refused.contains(&idea) {
            retried_after_s.push(arrived.saturating_duration_since(*acked).as_secs_f64());
            continue;
        }
        last_first_time = last_first_time.max(*arrived);
        if *index < 2 {
            latencies.push(arrived.saturating_duration_since(*acked));
        }
    }
    latencies.sort_unstable();
    let percentile = |q: f64| {
        let rank = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len().max(1));
        latencies
            .get(rank - 1)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    let delivered_count = delivered.iter().filter(|a| a.3 < 300).count();
    Ok(HookReport {
        events: count,
        receivers: 3,
        delivered: delivered_count,
        per_second: (delivered_count - retried_after_s.len()) as f64
            / last_first_time
                .duration_since(started)
                .as_secs_f64()
                .max(1e-9),
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
        retried_after_s,
        cpu: None,
    })
}
