//! `stride seed --demo` on a fresh database: the team it makes reads as a dashboard expects
//! (goals with statuses and progress, suggestions, every channel assessed, a board with
//! votes), and a second seed under the same slug is refused without writing anything.

use std::collections::BTreeSet;
use std::process::{Command, Output};

use serde_json::Value;
use stride_testkit::TestDatabase;

use crate::server::{Server, answer};

fn seed(db: &TestDatabase, slug: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stride"))
        .args(["seed", "--demo", "--slug", slug])
        .env("DATABASE_URL", db.url())
        .env("STRIDE_ADDR", "127.0.0.1:9999")
        .output()
        .expect("stride runs")
}

/// The value printed after `label` on a line of `stdout`.
fn printed<'a>(stdout: &'a str, label: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix(label))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {label:?} in:\n{stdout}"))
}

/// How many events the log holds, and the position of the newest.
async fn log(db: &TestDatabase) -> (i64, i64) {
    let client = db.connect().await.unwrap();
    let row = client
        .query_one(
            "SELECT count(*), coalesce(max(position), 0) FROM events",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

/// Every goal of a progress report, the steps under a goal included.
fn every_goal(goals: &Value, into: &mut Vec<Value>) {
    for goal in goals.as_array().unwrap() {
        into.push(goal.clone());
        every_goal(&goal["children"], into);
    }
}

#[tokio::test]
async fn a_demo_seed_fills_a_dashboard_and_a_second_under_the_same_slug_is_refused() {
    let db = TestDatabase::new().await.unwrap();
    let first = seed(&db, "northwind");
    let stdout = String::from_utf8_lossy(&first.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stdout}\n{stderr}");
    let team_id = printed(&stdout, "team id:").to_owned();
    let token = printed(&stdout, "owner token:").to_owned();
    assert!(stdout.contains("http://127.0.0.1:9999/app/"), "{stdout}");
    assert!(
        stdout.contains("http://127.0.0.1:9999/b/northwind"),
        "{stdout}"
    );

    let written = log(&db).await;
    let again = seed(&db, "northwind");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success(), "{stderr}");
    let refusals: Vec<&str> = stderr.lines().filter(|l| l.contains("taken")).collect();
    assert_eq!(refusals.len(), 1, "{stderr}");
    assert!(refusals[0].starts_with("stride: "), "{stderr}");
    assert!(refusals[0].contains("\"northwind\""), "{stderr}");
    assert!(!String::from_utf8_lossy(&again.stdout).contains("owner token"));
    assert_eq!(log(&db).await, written, "the refused seed wrote nothing");

    let log = std::env::temp_dir().join(format!("stride-seed-{}.log", uuid::Uuid::now_v7()));
    let env = [
        ("DATABASE_URL", db.url()),
        // Reads wait for the projectors to take in the whole seed, however busy the machine.
        ("STRIDE_MIN_POSITION_WAIT_MS", "60000"),
    ];
    let mut server = Server::start(&env, log.clone());
    let http = reqwest::Client::new();
    server.wait_ready(&http).await;
    let team = format!("{}/v1/teams/{team_id}", server.base);
    // Every read names the seed's last position: it waits until the projectors have it.
    let head = written.1.to_string();
    let read = |path: &str| {
        answer(
            http.get(format!("{team}{path}"))
                .bearer_auth(&token)
                .header("Stride-Min-Position", &head),
        )
    };

    let progress = read("/progress").await;
    let mut goals = Vec::new();
    every_goal(&progress["goals"], &mut goals);
    assert!(goals.len() >= 5, "{progress:#}");
    let statuses: BTreeSet<&str> = goals
        .iter()
        .map(|g| g["status"].as_str().unwrap())
        .collect();
    for goal in &goals {
        assert!(goal["progress"].is_number(), "{goal:#}");
    }
    assert!(statuses.contains("achieved"), "{statuses:?}");
    assert!(statuses.contains("abandoned"), "{statuses:?}");
    assert!(
        statuses
            .iter()
            .any(|s| ["on_track", "at_risk", "behind"].contains(s)),
        "{statuses:?}"
    );
    let big = goals
        .iter()
        .find(|g| g["title"] == "+10% Instagram followers")
        .unwrap();
    assert_eq!(big["children"].as_array().unwrap().len(), 3, "{big:#}");
    assert!(
        goals.iter().any(|g| g["streak"].as_u64() > Some(0)),
        "{progress:#}"
    );

    let suggestions = read("/suggestions").await;
    let items = suggestions["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{suggestions:#}");
    assert!(items[0]["vote_count"].as_u64() > Some(0), "{suggestions:#}");

    let assessment = read("/channels/assessment").await;
    let channels = assessment["channels"].as_array().unwrap();
    let platforms: BTreeSet<&str> = channels
        .iter()
        .map(|c| c["platform"].as_str().unwrap())
        .collect();
    let expected = BTreeSet::from(["blog", "instagram", "linkedin", "tiktok"]);
    assert_eq!(platforms, expected, "{assessment:#}");
    let paused: Vec<&Value> = channels
        .iter()
        .filter(|c| c["status"] == "paused")
        .collect();
    assert_eq!(paused.len(), 1, "{assessment:#}");
    assert_eq!(paused[0]["platform"], "tiktok");

    let board = answer(
        http.get(format!(
            "{}/v1/boards/northwind/ideas?sort=top",
            server.base
        ))
        .header("Stride-Min-Position", &head),
    )
    .await;
    let ideas = board["items"].as_array().unwrap();
    assert!((15..=25).contains(&ideas.len()), "{board:#}");
    assert!(ideas[0]["vote_count"].as_u64() > Some(1), "{board:#}");
    let statuses: BTreeSet<&str> = ideas
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    for status in ["open", "planned", "used"] {
        assert!(statuses.contains(status), "{status}: {statuses:?}");
    }
    assert!(!statuses.contains("declined"), "{statuses:?}");

    server.stop();
    let _ = std::fs::remove_file(log);
}
