//! Benchmark seeding writes events as appends would: decodable, positioned per transaction,
//! with the stream head and the observations table in step.

use stride_domain::metric::MetricEvent;
use stride_storage::seed::CHUNK;
use uuid::Uuid;

use super::fixture::store;

#[tokio::test]
async fn seeded_events_read_back_like_appended_ones() {
    let (db, store) = store().await;
    let (team, channel, post) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let count = CHUNK * 2 + 7;
    let until = "2026-11-23T12:00:00Z".parse().unwrap();
    let heard = std::sync::Mutex::new(Vec::new());
    let seeded = store
        .observations()
        .seed_metric_events(team, channel, post, count, until, |n| {
            heard.lock().unwrap().push(n)
        })
        .await
        .unwrap();
    assert_eq!(seeded, count);
    assert_eq!(*heard.lock().unwrap(), vec![CHUNK, CHUNK * 2, count]);

    // Readers see the log below the oldest transaction still open anywhere on the server.
    let head = store.events().committed_head().await.unwrap();
    assert!(
        store
            .events()
            .wait_visible(head, std::time::Duration::from_secs(30))
            .await
            .unwrap()
    );
    let events = store
        .events()
        .read_team_after(team, 0, 1_000_000)
        .await
        .unwrap();
    assert_eq!(events.len() as i64, count);
    assert!(events.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(events.last().unwrap().stream_version, count);
    let MetricEvent::MetricsRecorded {
        channel_id,
        observations,
    } = events[0].decode::<MetricEvent>().unwrap().event;
    let [observed] = &observations[..] else {
        panic!("one observation per seeded event: {observations:?}")
    };
    assert_eq!((channel_id, observed.post_id), (channel, Some(post)));
    assert_eq!(
        observed.observed_at,
        "2026-11-23T11:59:59Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    );

    let client = db.connect().await.unwrap();
    let observations: i64 = client
        .query_one(
            "SELECT count(*) FROM metric_observations WHERE team_id = $1",
            &[&team],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(observations, count);
    let version: i64 = client
        .query_one("SELECT version FROM streams WHERE team_id = $1", &[&team])
        .await
        .unwrap()
        .get(0);
    assert_eq!(version, count);
}
