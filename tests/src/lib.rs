//! Test harness: a real Stride server on a free port, over its own fresh database, and a
//! few helpers to speak to it as a frontend would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use stride_http::HttpConfig;
use stride_storage::Store;
use stride_storage::db::DbConfig;
use stride_testkit::TestDatabase;
use uuid::Uuid;

/// The origin the test server allows through CORS.
pub const FRONTEND: &str = "https://app.example.com";

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub store: Store,
    pub db: TestDatabase,
}

/// A team made by sign-up, with its owner's token.
#[derive(Debug, Clone)]
pub struct Team {
    pub id: Uuid,
    pub slug: String,
    pub owner_id: Uuid,
    pub owner_token: String,
}

impl TestApp {
    /// A server whose board rate limits are out of the way (one address sends everything).
    pub async fn spawn() -> TestApp {
        Self::spawn_configured(|_| {}).await
    }

    pub async fn spawn_with(board_rate: stride_http::rate_limit::BoardRate) -> TestApp {
        Self::spawn_configured(|config| config.board_rate = board_rate).await
    }

    /// A server whose HTTP settings `configure` changes from the tests' defaults (board
    /// rate limits out of the way).
    pub async fn spawn_configured(configure: impl FnOnce(&mut HttpConfig)) -> TestApp {
        let db = TestDatabase::new().await.expect("a test database");
        let mut config = Self::config(stride_http::rate_limit::BoardRate {
            per_minute: 1_000_000,
            burst: 1_000_000,
        });
        configure(&mut config);
        Self::start(db, None, config).await
    }

    /// A server whose pool points at `database_url` instead of the test database (to see
    /// how it behaves when PostgreSQL is away).
    pub async fn spawn_on(db: TestDatabase, database_url: Option<&str>) -> TestApp {
        let config = Self::config(stride_http::rate_limit::BoardRate::default());
        Self::start(db, database_url, config).await
    }

    /// The settings a test server runs with: its frontend's origin, two workers, reads that
    /// wait long for the positions they name.
    fn config(board_rate: stride_http::rate_limit::BoardRate) -> HttpConfig {
        HttpConfig {
            cors_origins: vec![FRONTEND.into()],
            workers: Some(2),
            board_rate,
            // Webhooks send to receivers the tests run on this machine.
            webhooks: stride_app::webhooks::WebhookPolicy {
                allow_private: true,
            },
            // Many servers share two cores while the tests run: a read that names its own
            // write waits for it rather than fail on a busy moment.
            min_position_wait: std::time::Duration::from_secs(20),
            ..HttpConfig::default()
        }
    }

    async fn start(
        db: TestDatabase,
        database_url: Option<&str>,
        http_config: HttpConfig,
    ) -> TestApp {
        let url = database_url.unwrap_or(db.url()).to_owned();
        let config = DbConfig {
            pool_size: 8,
            wait_timeout: Duration::from_secs(2),
            ..DbConfig::new(&url)
        };
        let store = Store::connect(&config).expect("a store");
        // As `stride serve` does: other processes' appends and token changes are heard.
        store.spawn_wakeups(url.parse().expect("a connection config"));
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let server = stride_http::serve(listener, store.clone(), http_config).expect("server");
        tokio::spawn(server);
        let app = TestApp {
            base,
            http: reqwest::Client::new(),
            store,
            db,
        };
        app.wait_until_up().await;
        app
    }

    async fn wait_until_up(&self) {
        for _ in 0..200 {
            if let Ok(response) = self.http.get(self.url("/healthz")).send().await
                && response.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the server did not come up");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let request = self.http.request(method, self.url(path));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token))
            .send()
            .await
            .expect("GET")
    }

    /// A public (no token) GET's JSON body.
    pub async fn public_json(&self, path: &str) -> Value {
        self.request(Method::GET, path, None)
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("a JSON body")
    }

    /// The sentences of the team's activity feed, newest first, once it shows `position`.
    pub async fn feed_lines(&self, team: &Team, position: &str) -> Vec<String> {
        let feed: Value = self
            .get(
                &format!("/v1/teams/{}/activity?min_position={position}", team.id),
                &team.owner_token,
            )
            .await
            .json()
            .await
            .expect("the feed");
        feed["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|l| l["text"].as_str().expect("text").to_owned())
            .collect()
    }

    /// `/metrics` as Prometheus scrapes it.
    pub async fn metrics(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("the metrics as text")
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(token))
            .json(&body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::PATCH, path, Some(token))
            .json(&body)
            .send()
            .await
            .expect("PATCH")
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, Some(token))
            .send()
            .await
            .expect("DELETE")
    }

    /// Signs up a team; `slug` also names it.
    /// A contributor token for the board at `slug`, for a fan with `name` (or none).
    pub async fn join_board(&self, slug: &str, name: Option<&str>) -> String {
        let body = match name {
            Some(name) => json!({ "name": name }),
            None => json!({}),
        };
        let response = self
            .http
            .post(self.url(&format!("/v1/boards/{slug}/contributors")))
            .json(&body)
            .send()
            .await
            .expect("POST contributors");
        assert_eq!(response.status(), StatusCode::CREATED);
        let joined: Value = response.json().await.expect("a contributor");
        joined["token"]["secret"]
            .as_str()
            .expect("a token")
            .to_owned()
    }

    /// An idea submitted on the board at `slug` with a contributor token.
    pub async fn submit_idea(&self, slug: &str, token: &str, title: &str) -> Value {
        let response = self
            .post(
                &format!("/v1/boards/{slug}/ideas"),
                token,
                json!({ "title": title }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("an idea")
    }

    /// A vote for `idea_id` on the board at `slug`; the response, checked to be 200.
    pub async fn vote_for(&self, slug: &str, idea_id: &str, token: &str) -> Response {
        let response = self
            .request(
                Method::PUT,
                &format!("/v1/boards/{slug}/ideas/{idea_id}/vote"),
                Some(token),
            )
            .send()
            .await
            .expect("PUT vote");
        assert_eq!(response.status(), StatusCode::OK);
        response
    }

    pub async fn sign_up(&self, slug: &str) -> Team {
        let body = json!({ "name": format!("Team {slug}"), "slug": slug, "owner": { "name": "Olivia", "email": "olivia@example.com" } });
        let response = self
            .http
            .post(self.url("/v1/teams"))
            .json(&body)
            .send()
            .await
            .expect("sign-up");
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("json");
        Team {
            id: id(&body["team"]["id"]),
            slug: slug.to_owned(),
            owner_id: id(&body["member"]["id"]),
            owner_token: body["token"]["secret"].as_str().expect("secret").to_owned(),
        }
    }

    /// Adds a member with `role` directly, as a service account with a token (people join
    /// by invitation, which `invitations.rs` tests); returns their id and token.
    pub async fn add_member(&self, team: &Team, role: &str) -> (Uuid, String) {
        let body = json!({ "name": format!("A {role}"), "email": format!("{role}@example.com"), "role": role, "service": true });
        let response = self
            .post(
                &format!("/v1/teams/{}/members", team.id),
                &team.owner_token,
                body,
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("json");
        (
            id(&body["member"]["id"]),
            body["token"]["secret"].as_str().expect("secret").to_owned(),
        )
    }

    /// Adds a channel (as the owner); returns its id.
    pub async fn add_channel(&self, team: &Team, platform: &str, handle: &str) -> String {
        let response = self
            .post(
                &format!("/v1/teams/{}/channels", team.id),
                &team.owner_token,
                json!({ "platform": platform, "handle": handle }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("json");
        body["id"].as_str().expect("id").to_owned()
    }

    /// How many events the team's stream holds, read straight from the database.
    pub async fn event_count(&self, team: &Team) -> i64 {
        let client = self.db.connect().await.expect("connect");
        client
            .query_one(
                "SELECT count(*) FROM events WHERE team_id = $1",
                &[&team.id],
            )
            .await
            .expect("count")
            .get(0)
    }
}

pub fn id(value: &Value) -> Uuid {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an id: {value}"))
}

/// Asserts a `validation_failed` problem, 400 or 422 (which of the two is pinned by
/// `conventions::unreadable_requests_are_400_and_refused_values_422`); returns the problem.
pub async fn assert_invalid(response: Response) -> Value {
    let status = response.status().as_u16();
    assert!(matches!(status, 400 | 422), "status {status}");
    assert_problem(response, status, "validation_failed").await
}

/// Asserts a problem+json answer with `status` and `code`; returns the problem.
pub async fn assert_problem(response: Response, status: u16, code: &str) -> Value {
    let actual = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    let body = response.text().await.expect("body");
    assert_eq!(actual, status, "status of {body}");
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type {content_type:?} of {body}"
    );
    let problem: Value = serde_json::from_str(&body).expect("problem json");
    assert_eq!(problem["code"], code, "{problem}");
    assert_eq!(problem["status"], status, "{problem}");
    for field in ["type", "title", "detail"] {
        assert!(problem[field].is_string(), "{field} in {problem}");
    }
    problem
}

/// The field names of a validation problem.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// An RFC 3339 instant `days` from now (negative: in the past), whole seconds, UTC.
pub fn in_days(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let secs = now + days * 86_400;
    // Days since the epoch to a civil date: Howard Hinnant's algorithm.
    let (z, rem) = (secs.div_euclid(86_400) + 719_468, secs.rem_euclid(86_400));
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let (d, m) = (
        doy - (153 * mp + 2) / 5 + 1,
        if mp < 10 { mp + 3 } else { mp - 9 },
    );
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
