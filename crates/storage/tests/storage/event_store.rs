//! The event store's guarantees, each proven against a real PostgreSQL.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;
use stride_domain::Actor;
use stride_storage::ExpectedVersion::{Any, Exactly, NoStream};
use stride_storage::db::DbConfig;
use stride_storage::{AppendError, Metadata, SideWrite, Store, StoreError};
use uuid::Uuid;

use super::fixture::{counted, settle};

/// A store with a pool large enough for the concurrent appends below, on a fresh database.
async fn store() -> (stride_testkit::TestDatabase, Store) {
    super::fixture::store_with(12).await
}

/// The whole log, once every transaction that committed before this call is visible.
async fn all_events(store: &Store) -> Vec<stride_storage::StoredEvent> {
    settle(store).await;
    store
        .events()
        .read_all_after(0, 1_000_000)
        .await
        .expect("read the log")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_following_the_log_never_skips_an_event_that_commits_late() {
    let (db, store) = store().await;
    let team = Uuid::now_v7();
    let writing = Arc::new(AtomicBool::new(true));

    // Fast writers append through the store, many streams at once.
    let mut writers = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            let stream = Uuid::now_v7();
            for n in 0..60 {
                let expected = if n == 0 { NoStream } else { Exactly(n) };
                store
                    .events()
                    .append(counted(team, stream, expected, [n as u64]))
                    .await
                    .expect("append");
            }
        }));
    }
    // Slow writers take their transaction id (and so their position) early and commit late,
    // while faster transactions with later positions commit before them: exactly the
    // interleaving that makes a reader that goes by position alone skip events.
    for _ in 0..2 {
        let client = db.connect().await.expect("connect");
        writers.push(tokio::spawn(async move {
            let mut client = client;
            for n in 0..15 {
                let tx = client.transaction().await.expect("begin");
                tx.execute("SELECT pg_current_xact_id()", &[]).await.expect("xid");
                tokio::time::sleep(Duration::from_millis(20)).await;
                tx.execute(
                    "INSERT INTO events (team_id, position, event_id, stream_id, stream_type, stream_version, event_type, schema_version, data, metadata) \
                     VALUES ($1, pg_current_xact_id()::text::bigint << 16, $2, $3, 'slow', 1, 'Slow', 1, $4, '{}')",
                    &[&team, &Uuid::now_v7(), &Uuid::now_v7(), &json!({ "n": n })],
                )
                .await
                .expect("slow insert");
                tx.commit().await.expect("commit");
            }
        }));
    }

    let reader = {
        let store = store.clone();
        let writing = writing.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut after = 0;
            loop {
                let done = !writing.load(Ordering::SeqCst);
                let batch = store.events().read_all_after(after, 7).await.expect("read");
                if let Some(last) = batch.last() {
                    after = last.position;
                }
                let empty = batch.is_empty();
                seen.extend(batch);
                if done && empty {
                    return seen;
                }
            }
        })
    };
    for writer in writers {
        writer.await.expect("writer");
    }
    // Every write has committed; once it is all visible the reader may stop at an empty read.
    let log = all_events(&store).await;
    writing.store(false, Ordering::SeqCst);
    let seen = reader.await.expect("reader");
    assert_eq!(log.len(), 8 * 60 + 2 * 15, "every event is in the log");
    let seen_ids: Vec<Uuid> = seen.iter().map(|e| e.event_id).collect();
    let log_ids: Vec<Uuid> = log.iter().map(|e| e.event_id).collect();
    let first_difference = seen_ids.iter().zip(&log_ids).position(|(a, b)| a != b);
    assert!(
        seen_ids == log_ids,
        "the follower saw {} of {} events, first difference at {first_difference:?}: it skipped or reordered",
        seen_ids.len(),
        log_ids.len()
    );
    assert!(log.windows(2).all(|w| w[0].position < w[1].position));
}

/// One group-commit batch as `bump_streams` decides it: commands on one stream follow each
/// other in the order given, each against the head the one before left; a stale or taken
/// version is refused without failing its neighbours; a stored first event is a duplicate.
#[tokio::test]
async fn one_batch_decides_each_command_against_the_head_the_one_before_left() {
    let (db, store) = store().await;
    let (team, a, b) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let stored = store
        .events()
        .append(counted(team, b, NoStream, [1]))
        .await
        .expect("b exists at version 1");
    let first_of_b = all_events(&store).await[0].event_id;
    let client = db.connect().await.unwrap();
    // (stream, expected, events, first event id)
    let commands: [(Uuid, Option<i64>, i64, Uuid); 6] = [
        (a, Some(0), 2, Uuid::now_v7()), // creates a at 2
        (b, Some(1), 1, Uuid::now_v7()), // b 1 -> 2
        (a, Some(2), 1, Uuid::now_v7()), // a 2 -> 3, after the first
        (a, Some(2), 1, Uuid::now_v7()), // stale now: a is at 3
        (a, None, 3, Uuid::now_v7()),    // a 3 -> 6
        (b, None, 1, first_of_b),        // already stored
    ];
    let rows = client
        .query(
            "SELECT n, new_version, duplicate, previous_version FROM bump_streams($1, $2, $3, $4, $5, $6) ORDER BY n",
            &[
                &vec![team; commands.len()],
                &commands.iter().map(|c| c.0).collect::<Vec<_>>(),
                &commands.iter().map(|c| c.1).collect::<Vec<_>>(),
                &commands.iter().map(|c| c.2).collect::<Vec<_>>(),
                &commands.iter().map(|c| c.3).collect::<Vec<_>>(),
                &vec!["counter".to_owned(); commands.len()],
            ],
        )
        .await
        .unwrap();
    let decided: Vec<(i32, Option<i64>, bool, Option<i64>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        decided,
        vec![
            (1, Some(2), false, None),
            (2, Some(2), false, Some(1)),
            (3, Some(3), false, Some(2)),
            (4, None, false, Some(3)),
            (5, Some(6), false, Some(3)),
            (6, None, true, None),
        ]
    );
    assert_eq!(stored.stream_version, 1);
}

#[tokio::test]
async fn a_stale_expected_version_is_a_typed_conflict_and_writes_nothing() {
    let (_db, store) = store().await;
    let log = store.events();
    let (team, stream) = (Uuid::now_v7(), Uuid::now_v7());
    log.append(counted(team, stream, NoStream, [1, 2]))
        .await
        .expect("first");
    let stale = log.append(counted(team, stream, Exactly(1), [3])).await;
    match stale {
        Err(AppendError::Conflict {
            expected, actual, ..
        }) => assert_eq!((expected, actual), (Some(1), Some(2))),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let again = log.append(counted(team, stream, NoStream, [4])).await;
    assert!(
        matches!(again, Err(AppendError::Conflict { .. })),
        "a stream is created once"
    );
    assert_eq!(all_events(&store).await.len(), 2, "nothing was written");

    // The lost races took no stream version: the next append continues without a hole.
    let next = log
        .append(counted(team, stream, Exactly(2), [5]))
        .await
        .expect("next");
    assert_eq!(next.stream_version, 3);
    let versions: Vec<i64> = all_events(&store)
        .await
        .iter()
        .map(|e| e.stream_version)
        .collect();
    assert_eq!(versions, vec![1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_many_concurrent_appends_at_one_version_exactly_one_wins() {
    let (_db, store) = store().await;
    let (team, stream) = (Uuid::now_v7(), Uuid::now_v7());
    store
        .events()
        .append(counted(team, stream, NoStream, [0]))
        .await
        .expect("create");
    let racers: Vec<_> = (0..20)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .events()
                    .append(counted(team, stream, Exactly(1), [n]))
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for racer in racers {
        match racer.await.expect("task") {
            Ok(appended) => {
                won += 1;
                assert_eq!(appended.stream_version, 2);
            }
            Err(AppendError::Conflict { .. }) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(all_events(&store).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_without_a_version_check_never_conflict() {
    let (_db, store) = store().await;
    let (team, stream) = (Uuid::now_v7(), Uuid::now_v7());
    let voters: Vec<_> = (0..100)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(
                async move { store.events().append(counted(team, stream, Any, [n])).await },
            )
        })
        .collect();
    for voter in voters {
        voter
            .await
            .expect("task")
            .expect("an unversioned append succeeds");
    }
    let versions: HashSet<i64> = all_events(&store)
        .await
        .iter()
        .map(|e| e.stream_version)
        .collect();
    assert_eq!(versions, (1..=100).collect::<HashSet<i64>>());
}

#[tokio::test]
async fn the_same_event_id_is_stored_once() {
    let (_db, store) = store().await;
    let log = store.events();
    let request = counted(Uuid::now_v7(), Uuid::now_v7(), Any, [1]);
    let original = request.events[0].clone();
    let first = log.append(request.clone()).await.expect("first");
    let second = log.append(request).await.expect("second");
    assert!(!first.duplicate);
    assert!(second.duplicate, "the repeat is recognized");
    assert_eq!(
        second.position, first.position,
        "and answered with the original position"
    );
    let stored = all_events(&store).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].event_id, original.event_id);
}

#[tokio::test]
async fn the_database_refuses_to_update_delete_or_truncate_events() {
    let (db, store) = store().await;
    let team = Uuid::now_v7();
    store
        .events()
        .append(counted(team, Uuid::now_v7(), NoStream, [1]))
        .await
        .expect("append");
    let client = db.connect().await.expect("connect");
    for statement in [
        "UPDATE events SET data = '{\"n\": 2}'",
        "DELETE FROM events",
        "TRUNCATE events",
    ] {
        let error = client.execute(statement, &[]).await.expect_err(statement);
        assert!(
            error.to_string().contains("immutable") || format!("{error:?}").contains("immutable"),
            "{statement}: {error:?}"
        );
    }
    let log = all_events(&store).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].data, json!({ "n": 1 }));
}

#[tokio::test]
async fn a_command_commits_all_of_its_events_and_side_writes_or_none() {
    let (_db, store) = store().await;
    let team = Uuid::now_v7();
    let member = Uuid::now_v7();
    let member_row = SideWrite::Member {
        member_id: member,
        name: "Ada".into(),
        email: "ada@example.com".into(),
        role: "owner".into(),
    };
    let token = |hash: &[u8]| SideWrite::Token {
        token_id: Uuid::now_v7(),
        member_id: member,
        hash: hash.to_vec(),
    };
    let ok = counted(team, Uuid::now_v7(), NoStream, [1, 2])
        .with_side_write(member_row.clone())
        .with_side_write(token(b"first"));
    store.events().append(ok).await.expect("first command");

    // Its third write fails (a token hash that exists): its two events must not be stored.
    let stream = Uuid::now_v7();
    let failing = counted(team, stream, NoStream, [3, 4])
        .with_side_write(member_row)
        .with_side_write(token(b"first"));
    let result = store.events().append(failing).await;
    assert!(
        matches!(result, Err(AppendError::Store(StoreError::Internal(_)))),
        "{result:?}"
    );
    let log = all_events(&store).await;
    assert_eq!(
        log.len(),
        2,
        "none of the failed command's events were stored"
    );
    assert!(log.iter().all(|e| e.stream_id != stream));
    // And its stream was not created: the same command without the bad write goes through.
    store
        .events()
        .append(counted(team, stream, NoStream, [3]))
        .await
        .expect("retry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_failing_command_does_not_fail_the_commands_committed_with_it() {
    let (_db, store) = store().await;
    let team = Uuid::now_v7();
    let member = Uuid::now_v7();
    let seed = counted(team, Uuid::now_v7(), NoStream, [0])
        .with_side_write(SideWrite::Member {
            member_id: member,
            name: "Ada".into(),
            email: "ada@example.com".into(),
            role: "owner".into(),
        })
        .with_side_write(SideWrite::Token {
            token_id: Uuid::now_v7(),
            member_id: member,
            hash: b"taken".to_vec(),
        });
    store.events().append(seed).await.expect("seed");
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut r = counted(team, Uuid::now_v7(), NoStream, [n]);
                if n % 10 == 0 {
                    r = r.with_side_write(SideWrite::Token {
                        token_id: Uuid::now_v7(),
                        member_id: member,
                        hash: b"taken".to_vec(),
                    });
                }
                (n, store.events().append(r).await)
            })
        })
        .collect();
    for task in tasks {
        let (n, result) = task.await.expect("task");
        assert_eq!(result.is_ok(), n % 10 != 0, "command {n}: {result:?}");
    }
    assert_eq!(all_events(&store).await.len(), 1 + 36);
}

#[tokio::test]
async fn a_taken_claim_refuses_the_command() {
    let (_db, store) = store().await;
    let claim = || SideWrite::Claim {
        scope: "slug".into(),
        value: "acme".into(),
    };
    let first = counted(Uuid::now_v7(), Uuid::now_v7(), NoStream, [1]).with_side_write(claim());
    store.events().append(first).await.expect("first claim");
    let second = counted(Uuid::now_v7(), Uuid::now_v7(), NoStream, [2]).with_side_write(claim());
    assert!(matches!(
        store.events().append(second).await,
        Err(AppendError::Claimed { .. })
    ));
    assert_eq!(all_events(&store).await.len(), 1);
}

#[tokio::test]
async fn events_carry_their_type_version_metadata_and_database_time() {
    let (_db, store) = store().await;
    let (team, stream) = (Uuid::now_v7(), Uuid::now_v7());
    let member_id = Uuid::now_v7();
    let mut r = counted(team, stream, NoStream, [1]);
    r.metadata = Metadata {
        request_id: Some("req-1".into()),
        correlation_id: Some("corr-1".into()),
        causation_id: None,
        import_id: None,
        actor: Actor::Member { member_id },
    };
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    let appended = store.events().append(r).await.expect("append");
    assert!(
        store
            .events()
            .wait_visible(appended.position, Duration::from_secs(10))
            .await
            .expect("wait")
    );
    let log = store
        .events()
        .read_team_after(team, 0, 10)
        .await
        .expect("team log");
    assert_eq!(log.len(), 1);
    let stored = &log[0];
    assert_eq!(
        (
            stored.event_type.as_str(),
            stored.schema_version,
            stored.position
        ),
        ("Counted", 1, appended.position)
    );
    assert_eq!(
        stored.metadata["actor"],
        json!({ "kind": "member", "member_id": member_id })
    );
    assert_eq!(stored.metadata["request_id"], json!("req-1"));
    assert!(stored.recorded_at > before);
    assert!(
        store
            .events()
            .read_team_after(Uuid::now_v7(), 0, 10)
            .await
            .expect("other team")
            .is_empty(),
        "reads are tenant-scoped"
    );
}

#[tokio::test]
async fn another_process_appending_wakes_this_one_through_notify() {
    let (db, writer) = store().await;
    let reader = Store::connect(&DbConfig {
        pool_size: 2,
        ..DbConfig::new(db.url())
    })
    .unwrap();
    // Two stores, two pools: the reader hears of the writer's appends only through
    // PostgreSQL, since each store's in-process wake-up is its own.
    writer.spawn_wakeups(db.url().parse().unwrap());
    reader.spawn_wakeups(db.url().parse().unwrap());
    let woke = Arc::new(AtomicBool::new(false));
    let waiting = {
        let (reader, woke) = (reader.clone(), woke.clone());
        tokio::spawn(async move {
            reader.events().appended_or(Duration::from_secs(3600)).await;
            woke.store(true, Ordering::SeqCst);
        })
    };
    let team = Uuid::now_v7();
    // Append until the reader wakes: no guess at when its listener is connected.
    for n in 0..200 {
        if woke.load(Ordering::SeqCst) {
            break;
        }
        writer
            .events()
            .append(counted(team, Uuid::now_v7(), Any, [n]))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        woke.load(Ordering::SeqCst),
        "the reader was woken by the writer's NOTIFY"
    );
    waiting.await.unwrap();
}
