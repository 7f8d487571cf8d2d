//! The benchmark's scenarios: the raw INSERT baseline, single-event appends over HTTP with
//! the projection lag seen meanwhile, metric batches, and progress reads.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::drive::{Samples, drive};

/// Hot ideas every contributor votes on, to make the vote load contended.
const HOT_IDEAS: usize = 16;
/// Observations per metric batch.
pub const BATCH: usize = 1000;

/// A team set up for the load: its owner's token, a channel, contributor tokens (one per
/// worker) and the hot ideas.
pub struct Team {
    pub base: String,
    pub id: String,
    pub slug: String,
    pub token: String,
    pub channel: String,
    pub contributors: Vec<String>,
    pub ideas: Vec<String>,
}

impl Team {
    /// A read of the team's newest feed line that waits until `position` is projected:
    /// answered once the projections include it.
    fn feed_at(&self, http: &reqwest::Client, position: i64) -> reqwest::RequestBuilder {
        http.get(format!(
            "{}/v1/teams/{}/activity?limit=1",
            self.base, self.id
        ))
        .bearer_auth(&self.token)
        .header("stride-min-position", position.to_string())
    }
}

async fn json_ok(response: reqwest::Response) -> anyhow::Result<Value> {
    let status = response.status();
    if !status.is_success() {
        bail!("{status}: {}", response.text().await.unwrap_or_default());
    }
    Ok(response.json().await?)
}

pub(super) async fn post(
    http: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> anyhow::Result<Value> {
    let mut request = http.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    json_ok(request.send().await?).await
}

/// Signs up a team named `name` under a fresh slug starting with `prefix`: its slug, id and
/// owner's token.
pub(super) async fn sign_up(
    http: &reqwest::Client,
    base: &str,
    (name, prefix): (&str, &str),
) -> anyhow::Result<(String, String, String)> {
    let slug = format!("{prefix}-{}", &Uuid::now_v7().simple().to_string()[20..]);
    let signed_up = post(
        http,
        format!("{base}/v1/teams"),
        None,
        json!({
            "name": name, "slug": slug, "owner": { "name": "Olivia", "email": "olivia@example.com" }
        }),
    )
    .await
    .with_context(|| format!("signing up {name}"))?;
    let id = signed_up["team"]["id"]
        .as_str()
        .context("team id")?
        .to_owned();
    let token = signed_up["token"]["secret"]
        .as_str()
        .context("token")?
        .to_owned();
    Ok((slug, id, token))
}

/// Signs a team up and gives it a channel, goals, posts, `contributors` and the hot ideas.
pub async fn set_up(
    http: &reqwest::Client,
    base: &str,
    contributors: usize,
) -> anyhow::Result<Team> {
    let (slug, id, token) = sign_up(http, base, ("Bench", "bench")).await?;
    // The owner's writes, each to a path under the team.
    let team_url = format!("{base}/v1/teams/{id}");
    let owner = async |path: &str, body: Value| {
        post(http, format!("{team_url}{path}"), Some(&token), body).await
    };
    let added = json!({ "platform": "instagram", "handle": "@bench" });
    let added = owner("/channels", added).await?;
    let channel = added["id"].as_str().context("channel id")?.to_owned();
    let today = chrono::Utc::now().date_naive();
    let (start, due) = (today - chrono::Days::new(14), today + chrono::Days::new(14));
    owner("/goals", json!({
        "title": "Grow followers", "horizon": "short", "starts_on": start, "due_on": due,
        "target": { "kind": "metric", "channel_id": channel, "metric": "followers", "aggregation": "latest", "baseline": 1000, "increase_by_percent": 10 }
    }))
    .await?;
    owner(
        "/goals",
        json!({
            "title": "Three posts a week", "horizon": "short", "starts_on": start, "due_on": due,
            "target": { "kind": "cadence", "count": 3, "period": "week", "channel_id": channel }
        }),
    )
    .await?;
    let days: Vec<Value> = (0..14)
        .map(|d| json!({ "channel_id": channel, "metric": "followers", "value": 1000 + 5 * d, "observed_at": format!("{}T12:00:00Z", start + chrono::Days::new(d)) }))
        .collect();
    owner("/metrics", json!({ "observations": days })).await?;
    for d in 0..10 {
        let draft = owner(
            "/posts",
            json!({ "channel_id": channel, "title": format!("Post {d}") }),
        )
        .await?;
        let post_id = draft["id"].as_str().context("post id")?;
        let at = chrono::Utc::now() - chrono::Duration::days(d);
        let publish = format!("/posts/{post_id}/publish");
        owner(&publish, json!({ "published_at": at })).await?;
    }
    let mut tokens = Vec::with_capacity(contributors);
    for _ in 0..contributors {
        let joined = post(
            http,
            format!("{base}/v1/boards/{slug}/contributors"),
            None,
            json!({}),
        )
        .await?;
        tokens.push(
            joined["token"]["secret"]
                .as_str()
                .context("contributor token")?
                .to_owned(),
        );
    }
    let mut ideas = Vec::new();
    for n in 0..HOT_IDEAS {
        let idea = post(
            http,
            format!("{base}/v1/boards/{slug}/ideas"),
            Some(&tokens[n % tokens.len()]),
            json!({ "title": format!("Hot idea {n}") }),
        )
        .await?;
        ideas.push(idea["id"].as_str().context("idea id")?.to_owned());
    }
    Ok(Team {
        base: base.to_owned(),
        id,
        slug,
        token,
        channel,
        contributors: tokens,
        ideas,
    })
}

/// Single-row INSERTs of an event-sized row, each its own transaction, one connection per
/// worker: what PostgreSQL does with no event store around it.
pub async fn baseline(
    url: &str,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Samples> {
    let (setup, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    setup
        .batch_execute(
            "DROP TABLE IF EXISTS bench_baseline; \
             CREATE TABLE bench_baseline (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS, \
                 PRIMARY KEY (team_id, position), UNIQUE (team_id, event_id))",
        )
        .await?;
    let mut clients = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        clients.push(Arc::new(client));
    }
    let clients = Arc::new(clients);
    let team = Uuid::now_v7();
    let data = json!({ "idea_id": Uuid::now_v7(), "contributor_id": Uuid::now_v7() });
    let metadata = json!({ "actor": { "kind": "contributor", "contributor_id": Uuid::now_v7() }, "request_id": "0123456789abcdef" });
    let samples = drive(concurrency, duration, move |worker, i| {
        let (clients, data, metadata) = (clients.clone(), data.clone(), metadata.clone());
        async move {
            let position = ((worker as i64) << 40) | i as i64;
            clients[worker]
                .execute(
                    "INSERT INTO bench_baseline (team_id, position, event_id, stream_id, stream_type, stream_version, \
                         event_type, schema_version, data, metadata) VALUES ($1, $2, $3, $4, 'idea_votes', $5, 'IdeaVoted', 1, $6, $7)",
                    &[&team, &position, &Uuid::now_v7(), &Uuid::now_v7(), &(i as i64 + 1), &data, &metadata],
                )
                .await?;
            Ok(1)
        }
    })
    .await;
    setup.batch_execute("DROP TABLE bench_baseline").await?;
    Ok(samples)
}

/// The newest acknowledged position and when it was acknowledged.
type LastAck = Arc<Mutex<Option<(i64, Instant)>>>;

fn position(response: &reqwest::Response) -> Option<i64> {
    response
        .headers()
        .get("stride-position")?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Contributors submitting ideas and voting (and withdrawing) on hot ideas, each request one
/// event; meanwhile a probe measures how long acknowledged writes take to be projected.
pub async fn appends(
    http: &reqwest::Client,
    team: &Arc<Team>,
    concurrency: usize,
    duration: Duration,
) -> (Samples, Samples) {
    let last: LastAck = Arc::new(Mutex::new(None));
    let voted: Arc<Vec<Mutex<Vec<bool>>>> = Arc::new(
        (0..concurrency)
            .map(|_| Mutex::new(vec![false; HOT_IDEAS]))
            .collect(),
    );
    let probe = tokio::spawn(lag_probe(
        http.clone(),
        team.clone(),
        last.clone(),
        duration,
    ));
    let (http, team_for_load) = (http.clone(), team.clone());
    let load = drive(concurrency, duration, move |worker, i| {
        let (http, team, last, voted) = (
            http.clone(),
            team_for_load.clone(),
            last.clone(),
            voted.clone(),
        );
        async move {
            let token = &team.contributors[worker % team.contributors.len()];
            let board = format!("{}/v1/boards/{}/ideas", team.base, team.slug);
            let response = if i % 4 == 0 {
                http.post(&board)
                    .bearer_auth(token)
                    .json(&json!({ "title": format!("Idea {worker}-{i}") }))
                    .send()
                    .await?
            } else {
                let k = (i as usize + worker) % HOT_IDEAS;
                let mut voted = voted[worker].lock().await;
                let url = format!("{board}/{}/vote", team.ideas[k]);
                let request = if voted[k] {
                    http.delete(url)
                } else {
                    http.put(url)
                };
                let response = request.bearer_auth(token).send().await?;
                if response.status().is_success() {
                    voted[k] = !voted[k];
                }
                response
            };
            if !response.status().is_success() {
                bail!(
                    "{}: {}",
                    response.status(),
                    response.text().await.unwrap_or_default()
                );
            }
            if let Some(p) = position(&response) {
                let mut last = last.lock().await;
                if last.is_none_or(|(q, _)| p > q) {
                    *last = Some((p, Instant::now()));
                }
            }
            Ok(1)
        }
    })
    .await;
    let lag = probe.await.unwrap_or_default();
    (load, lag)
}

/// Acknowledged to visible: for the newest acknowledged write, the time until a read that
/// asks for its position (`Stride-Min-Position`) is answered.
async fn lag_probe(
    http: reqwest::Client,
    team: Arc<Team>,
    last: LastAck,
    duration: Duration,
) -> Samples {
    let mut samples = Samples::default();
    let started = Instant::now();
    let mut seen = 0;
    while started.elapsed() < duration {
        let Some((p, acked)) = *last.lock().await else {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        if p == seen {
            tokio::time::sleep(Duration::from_millis(2)).await;
            continue;
        }
        let response = team.feed_at(&http, p).send().await;
        match response {
            Ok(r) if r.status().is_success() => {
                samples.latencies.push(acked.elapsed());
                samples.units += 1;
            }
            _ => samples.errors += 1,
        }
        seen = p;
    }
    samples.elapsed = started.elapsed();
    samples
}

/// Batches of [`BATCH`] observations, each at its own instant.
pub async fn metric_batches(
    http: &reqwest::Client,
    team: &Arc<Team>,
    concurrency: usize,
    duration: Duration,
) -> Samples {
    let (http, team) = (http.clone(), team.clone());
    // Each worker owns a range of instants in the past three years, a second apart.
    let epoch = chrono::Utc::now() - chrono::Duration::days(3 * 365);
    drive(concurrency, duration, move |worker, i| {
        let (http, team) = (http.clone(), team.clone());
        async move {
            let first = (worker as i64) * 2_000_000 + (i as i64) * BATCH as i64;
            let observations: Vec<Value> = (0..BATCH as i64)
                .map(|j| json!({ "channel_id": team.channel, "metric": "views", "value": j, "observed_at": epoch + chrono::Duration::seconds(first + j) }))
                .collect();
            let response = http
                .post(format!("{}/v1/teams/{}/metrics", team.base, team.id))
                .bearer_auth(&team.token)
                .json(&json!({ "observations": observations }))
                .send()
                .await?;
            json_ok(response).await?;
            Ok(BATCH as u64)
        }
    })
    .await
}

/// `GET /progress` as a dashboard polls it.
pub async fn progress_reads(
    http: &reqwest::Client,
    team: &Arc<Team>,
    concurrency: usize,
    duration: Duration,
) -> Samples {
    let (http, team) = (http.clone(), team.clone());
    drive(concurrency, duration, move |_, _| {
        let (http, team) = (http.clone(), team.clone());
        async move {
            let response = http
                .get(format!("{}/v1/teams/{}/progress", team.base, team.id))
                .bearer_auth(&team.token)
                .send()
                .await?;
            json_ok(response).await?;
            Ok(1)
        }
    })
    .await
}

/// Waits until the server's projections include `position`; how long that took.
pub async fn wait_projected(
    http: &reqwest::Client,
    team: &Team,
    position: i64,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    loop {
        let response = team.feed_at(http, position).send().await?;
        if response.status().is_success() {
            return Ok(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!("the projections did not reach position {position} in 10 minutes");
        }
    }
}

/// Shared board limit checks as a board write makes them (its client address and its
/// contributor token, in one statement), on keys of its own worker's, always let through:
/// what every board write pays for limits that hold across servers.
pub async fn shared_limit_checks(
    store: &stride_storage::Store,
    concurrency: usize,
    duration: Duration,
) -> Samples {
    let quota = stride_storage::limits::Quota {
        interval: Duration::from_micros(1),
        burst: 1_000_000,
    };
    let store = store.clone();
    drive(concurrency, duration, move |worker, i| {
        let store = store.clone();
        async move {
            let ip = format!("ip:bench-{worker}-{}", i % 1000);
            let token = format!("token:bench-{worker}");
            let refused = store.shared_limits().take(&[&ip, &token], quota).await?;
            anyhow::ensure!(refused.is_none(), "a check in the bench was refused");
            Ok(1)
        }
    })
    .await
}
