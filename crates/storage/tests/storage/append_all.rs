//! Appends to several streams: one transaction, all or nothing.

use stride_storage::{AppendError, AppendRequest, ExpectedVersion};
use stride_testkit::TestDatabase;
use uuid::Uuid;

use super::fixture::{counted, store};

/// A request to append `n` events to `stream`.
fn request(team: Uuid, stream: Uuid, expected: ExpectedVersion, n: u64) -> AppendRequest {
    counted(team, stream, expected, 0..n)
}

/// Each stream's version and number of events, as the database holds them.
async fn versions(db: &TestDatabase, team: Uuid, streams: &[Uuid]) -> Vec<(i64, i64)> {
    let client = db.connect().await.expect("connect");
    let mut found = Vec::new();
    for stream in streams {
        let row = client
            .query_one(
                "SELECT (SELECT coalesce(max(version), 0) FROM streams WHERE team_id = $1 AND stream_id = $2), \
                        (SELECT count(*) FROM events WHERE team_id = $1 AND stream_id = $2)",
                &[&team, stream],
            )
            .await
            .expect("versions");
        found.push((row.get(0), row.get(1)));
    }
    found
}

#[tokio::test]
async fn one_stale_version_refuses_the_appends_to_every_stream() {
    let (db, store) = store().await;
    let (team, post, idea) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    store
        .events()
        .append(request(team, post, ExpectedVersion::NoStream, 1))
        .await
        .expect("post");
    store
        .events()
        .append(request(team, idea, ExpectedVersion::NoStream, 2))
        .await
        .expect("idea");

    let refused = store
        .events()
        .append_all(vec![
            request(team, post, ExpectedVersion::Exactly(1), 1),
            request(team, idea, ExpectedVersion::Exactly(1), 1),
        ])
        .await;
    match refused {
        Err(AppendError::Conflict {
            stream_id,
            expected,
            actual,
        }) => assert_eq!((stream_id, expected, actual), (idea, Some(1), Some(2))),
        other => panic!("expected a conflict on the idea's stream, got {other:?}"),
    }
    assert_eq!(
        versions(&db, team, &[post, idea]).await,
        [(1, 1), (2, 2)],
        "neither stream moved"
    );

    let appended = store
        .events()
        .append_all(vec![
            request(team, post, ExpectedVersion::Exactly(1), 1),
            request(team, idea, ExpectedVersion::Exactly(2), 2),
            request(team, Uuid::now_v7(), ExpectedVersion::NoStream, 1),
        ])
        .await
        .expect("appended");
    let answered: Vec<i64> = appended.iter().map(|a| a.stream_version).collect();
    assert_eq!(answered, [2, 4, 1]);
    assert_eq!(versions(&db, team, &[post, idea]).await, [(2, 2), (4, 4)]);
    // A position is its transaction's id shifted left 16 bits, plus the event's index.
    let transactions: Vec<i64> = appended.iter().map(|a| a.position >> 16).collect();
    assert!(
        transactions.windows(2).all(|w| w[0] == w[1]),
        "{appended:?}"
    );
    assert!(appended.windows(2).all(|w| w[0].position < w[1].position));
}

#[tokio::test]
async fn an_append_to_several_streams_names_each_stream_once() {
    let (db, store) = store().await;
    let (team, stream) = (Uuid::now_v7(), Uuid::now_v7());
    let twice = store
        .events()
        .append_all(vec![
            request(team, stream, ExpectedVersion::NoStream, 1),
            request(team, stream, ExpectedVersion::Exactly(1), 1),
        ])
        .await;
    assert!(matches!(twice, Err(AppendError::Store(_))), "{twice:?}");
    assert!(store.events().append_all(Vec::new()).await.is_err());
    assert_eq!(versions(&db, team, &[stream]).await, [(0, 0)]);
}
