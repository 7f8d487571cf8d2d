//! Board write limits with two servers on one database: shared, they allow what one server
//! would; per server, each allows the rate on its own.

use serde_json::json;
use stride_testkit::TestDatabase;

use crate::server::{Server, sign_up};

/// Two servers on a fresh database allowing a burst of 2 board writes, then 1 a minute, with
/// their limits kept as `scope` says.
async fn two_servers(scope: &str, http: &reqwest::Client) -> (TestDatabase, [Server; 2]) {
    let db = TestDatabase::new().await.unwrap();
    let env = [
        ("DATABASE_URL", db.url()),
        ("STRIDE_BOARD_RATE_PER_MINUTE", "1"),
        ("STRIDE_BOARD_BURST", "2"),
        ("STRIDE_BOARD_LIMITS", scope),
    ];
    let log = |name: &str| {
        std::env::temp_dir().join(format!("stride-{}-limits-{scope}-{name}.log", db.name()))
    };
    let mut first = Server::start(&env, log("first"));
    let mut second = Server::start(&env, log("second"));
    first.wait_ready(http).await;
    second.wait_ready(http).await;
    (db, [first, second])
}

/// `count` joins of the board `acme`, alternately on each server; their statuses.
async fn joins(http: &reqwest::Client, servers: &[Server; 2], count: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for i in 0..count {
        let response = http
            .post(format!(
                "{}/v1/boards/acme/contributors",
                servers[i % 2].base
            ))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_board_limits_hold_across_two_servers_and_per_server_ones_do_not() {
    let http = reqwest::Client::new();
    let (_db, servers) = two_servers("shared", &http).await;
    sign_up(&http, &servers[0].base).await;
    assert_eq!(joins(&http, &servers, 4).await, [201, 201, 429, 429]);
    for server in servers {
        server.stop();
    }

    let (_db, servers) = two_servers("per-server", &http).await;
    sign_up(&http, &servers[0].base).await;
    assert_eq!(
        joins(&http, &servers, 6).await,
        [201, 201, 201, 201, 429, 429]
    );
    for server in servers {
        server.stop();
    }
}
