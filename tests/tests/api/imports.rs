//! Imports: history brought in from CSV, all or nothing, deduplicated, recorded as events
//! marked with the import; bad files answered line by line, never with a 5xx.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use stride_tests::{Team, TestApp, assert_problem};

async fn import(
    app: &TestApp,
    team: &Team,
    path: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.request(
        Method::POST,
        &format!("/v1/teams/{}/imports/{path}", team.id),
        Some(&team.owner_token),
    )
    .header("content-type", "text/csv")
    .body(body)
    .send()
    .await
    .unwrap()
}

async fn imported(app: &TestApp, team: &Team, path: &str, body: &str) -> Value {
    let response = import(app, team, path, body.to_owned()).await;
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

/// The file is refused whole: 422 with its problems as (line, field), nothing written.
async fn refused(app: &TestApp, team: &Team, path: &str, body: &str) -> Vec<(u64, String)> {
    let before = app.event_count(team).await;
    let problem = assert_problem(
        import(app, team, path, body.to_owned()).await,
        422,
        "import_rejected",
    )
    .await;
    assert_eq!(app.event_count(team).await, before, "nothing was written");
    problem["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn metrics_import_by_handle_or_id_once_and_again_changes_nothing() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    app.add_channel(&team, "tiktok", "@acme_tt").await;
    let file = format!(
        "\u{feff}Channel,metric,value,observed_at\r\n\
         @acme,followers,100,2026-10-01\r\n\
         ACME,followers,110,2026-10-08T00:00:00Z\r\n\
         {channel},followers,120,2026-10-15 09:30\r\n\
         \"@acme_tt\",likes,\"5\",2026-10-15\r\n"
    );
    let before = app.event_count(&team).await;
    let dry = imported(&app, &team, "metrics?dry_run=true", &file).await;
    assert_eq!(
        (dry["accepted"].as_u64(), dry["duplicates"].as_u64()),
        (Some(4), Some(0))
    );
    assert_eq!(dry["rejected"], serde_json::json!([]));
    assert_eq!(
        app.event_count(&team).await,
        before,
        "a dry run writes nothing"
    );

    let done = imported(&app, &team, "metrics", &file).await;
    assert_eq!(
        (done["accepted"].as_u64(), done["duplicates"].as_u64()),
        (Some(4), Some(0))
    );
    // One event per channel, marked with the import.
    let client = app.db.connect().await.unwrap();
    let rows = client
        .query(
            "SELECT metadata->>'import_id', jsonb_array_length(data->'observations') FROM events \
             WHERE team_id = $1 AND event_type = 'MetricsRecorded' ORDER BY position",
            &[&team.id],
        )
        .await
        .unwrap();
    let counts: Vec<i32> = rows.iter().map(|r| r.get(1)).collect();
    let mut sorted = counts.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![1, 3]);
    let imports: std::collections::BTreeSet<Option<String>> =
        rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(imports.len(), 1);
    assert!(imports.iter().next().unwrap().is_some());

    let again = imported(&app, &team, "metrics", &file).await;
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(4))
    );
    let dry_again = imported(&app, &team, "metrics?dry_run=true", &file).await;
    assert_eq!(dry_again["duplicates"].as_u64(), Some(4));

    // The series reads what was imported, by when it was observed.
    let series: Value = app
        .get(
            &format!(
                "/v1/teams/{}/metrics?channel_id={channel}&metric=followers&from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z&bucket=month",
                team.id
            ),
            &team.owner_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(series["points"][0]["count"], 3);
    assert_eq!(series["points"][0]["last"], 120.0);
}

#[tokio::test]
async fn published_posts_import_backdated_and_once() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    app.add_channel(&team, "instagram", "@acme").await;
    let file = "channel,title,url,published_at,body\n\
                @acme,Latte art,https://instagram.com/p/1,2026-09-01T08:00:00Z,\"Two lines,\nand a comma\"\n\
                @acme,Roast day,https://instagram.com/p/2,2026-09-08,\n";
    let done = imported(&app, &team, "posts", file).await;
    assert_eq!(
        (done["accepted"].as_u64(), done["duplicates"].as_u64()),
        (Some(2), Some(0))
    );
    let again = imported(&app, &team, "posts", file).await;
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(2))
    );

    let page: Value = app
        .get(&format!("/v1/teams/{}/posts", team.id), &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    let mut posts: Vec<(String, String, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["title"].as_str().unwrap().to_owned(),
                p["status"].as_str().unwrap().to_owned(),
                p["published_at"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    posts.sort();
    assert_eq!(
        posts,
        vec![
            (
                "Latte art".into(),
                "published".into(),
                "2026-09-01T08:00:00Z".into()
            ),
            (
                "Roast day".into(),
                "published".into(),
                "2026-09-08T00:00:00Z".into()
            ),
        ]
    );
}

#[tokio::test]
async fn a_bad_file_is_refused_whole_with_every_problem_at_its_line() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    app.add_channel(&team, "instagram", "@acme").await;
    let other = app.sign_up("other").await;
    let foreign = app.add_channel(&other, "instagram", "@other").await;

    let problems = refused(
        &app,
        &team,
        "metrics",
        &format!(
            "channel,metric,value,observed_at\n\
             @acme,followers,1e16,2026-10-01\n\
             @acme,folowers,5,2026-10-01\n\
             @acme,likes,\"1,000\",2026-10-01\n\
             @nobody,likes,5,2026-10-01\n\
             {foreign},likes,5,2026-10-01\n\
             @acme,likes,5,01/10/2026\n\
             @acme,likes,5,2150-01-01\n\
             @acme,likes,5\n\
             @acme,likes,5,2026-10-01\n"
        ),
    )
    .await;
    let expected: Vec<(u64, String)> = [
        (2, "value"),
        (3, "metric"),
        (4, "value"),
        (5, "channel"),
        (6, "channel"),
        (7, "observed_at"),
        (8, "observed_at"),
        (9, "row"),
    ]
    .into_iter()
    .map(|(l, f)| (l, f.to_owned()))
    .collect();
    assert_eq!(problems, expected);

    assert_eq!(
        refused(
            &app,
            &team,
            "metrics",
            "channel,value,colour\n@acme,5,red\n"
        )
        .await,
        vec![
            (1, "colour".to_owned()),
            (1, "metric".to_owned()),
            (1, "observed_at".to_owned())
        ]
    );
    assert_eq!(
        refused(&app, &team, "posts", "channel,title,url,published_at\n@acme,,https://x.example/1,2026-10-01\n@acme,Hi,,2026-10-01\n@acme,Hi,https://x.example/2,2099-01-01\n").await,
        vec![(2, "title".to_owned()), (3, "url".to_owned()), (4, "published_at".to_owned())]
    );
    let latin1: Vec<u8> =
        b"channel,metric,value,observed_at\n@caf\xe9,likes,1,2026-10-01\n".to_vec();
    let problem = assert_problem(
        import(&app, &team, "metrics", latin1).await,
        422,
        "import_rejected",
    )
    .await;
    assert_eq!(problem["rejected"][0]["field"], "encoding");
    assert_eq!(problem["rejected"][0]["line"], 2);

    // Not CSV, too many rows, too large, an unknown dataset, a viewer.
    let json = app
        .post(
            &format!("/v1/teams/{}/imports/metrics", team.id),
            &team.owner_token,
            serde_json::json!({}),
        )
        .await;
    assert_problem(json, 415, "unsupported_media_type").await;
    let mut many = String::from("channel,metric,value,observed_at\n");
    for _ in 0..200_001 {
        many.push_str("@acme,likes,5,2026-10-01\n");
    }
    assert_problem(
        import(&app, &team, "metrics", many).await,
        413,
        "payload_too_large",
    )
    .await;
    let huge = vec![b'a'; 50 * 1024 * 1024 + 1];
    assert_problem(
        import(&app, &team, "metrics", huge).await,
        413,
        "payload_too_large",
    )
    .await;
    assert_problem(
        import(&app, &team, "secrets", "a\n1\n").await,
        404,
        "not_found",
    )
    .await;
    let (_, viewer) = app.add_member(&team, "viewer").await;
    let as_viewer = app
        .request(
            Method::POST,
            &format!("/v1/teams/{}/imports/metrics", team.id),
            Some(&viewer),
        )
        .header("content-type", "text/csv")
        .body("channel,metric,value,observed_at\n")
        .send()
        .await
        .unwrap();
    assert_problem(as_viewer, 403, "forbidden").await;
}

#[tokio::test]
async fn imported_history_counts_by_as_of_but_known_at_sees_it_only_from_the_import_on() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let channel = app.add_channel(&team, "instagram", "@acme").await;
    let goal = app
        .post(
            &format!("/v1/teams/{}/goals", team.id),
            &team.owner_token,
            serde_json::json!({
                "title": "Grow Instagram to 1100", "horizon": "short",
                "starts_on": "2026-11-01", "due_on": "2026-11-30",
                "target": { "kind": "metric", "channel_id": channel, "metric": "followers",
                            "aggregation": "latest", "baseline": 1000, "reach": 1100 }
            }),
        )
        .await;
    assert_eq!(goal.status(), StatusCode::CREATED);
    let goal: Value = goal.json().await.unwrap();
    let client = app.store.pool().get().await.unwrap();
    let before: String = client
        .query_one(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    drop(client);
    let response = import(
        &app,
        &team,
        "metrics",
        "channel,metric,value,observed_at\n@acme,followers,1050,2026-11-05T00:00:00Z\n",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let position = response.headers()["stride-position"]
        .to_str()
        .unwrap()
        .to_owned();
    let progress = |at: String| {
        let path = format!(
            "/v1/teams/{}/goals/{}/progress?as_of=2026-11-16T00:00:00Z&{at}",
            team.id,
            goal["id"].as_str().unwrap()
        );
        let app = &app;
        let token = team.owner_token.clone();
        async move {
            let response = app.get(&path, &token).await;
            assert_eq!(response.status(), StatusCode::OK);
            let body: Value = response.json().await.unwrap();
            body["current"].as_f64()
        }
    };
    assert_eq!(
        progress(format!("min_position={position}")).await,
        Some(1050.0)
    );
    assert_eq!(progress(format!("known_at={before}")).await, None);
}

#[tokio::test]
async fn an_upload_cut_off_half_way_writes_nothing() {
    use tokio::io::AsyncWriteExt;

    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    app.add_channel(&team, "instagram", "@acme").await;
    let before = app.event_count(&team).await;
    let rows =
        "channel,metric,value,observed_at\n@acme,likes,5,2026-10-01\n@acme,likes,6,2026-10-02\n";
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /v1/teams/{}/imports/metrics HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
        team.id,
        team.owner_token,
        rows.len() + 1000
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // Two whole rows arrive, and then the connection ends.
    stream.write_all(rows.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    drop(stream);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // The same file sent whole is imported: what was cut off was refused, not lost.
    assert_eq!(app.event_count(&team).await, before, "nothing was written");
    let whole = imported(&app, &team, "metrics", rows).await;
    assert_eq!(whole["accepted"].as_u64(), Some(2));
}
