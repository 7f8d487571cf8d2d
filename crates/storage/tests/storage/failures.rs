//! One event a projection cannot apply stops that projection for its team only: the failure
//! is recorded, every other team's events go on, and the team's reads answer
//! `ProjectionFailed` until a rebuild.

use serde_json::json;
use stride_domain::Actor;
use stride_domain::channel::{ChannelEvent, Platform};
use stride_storage::db::DbConfig;
use stride_storage::facts::Need;
use stride_storage::projections::{Activity, Aggregates, IdeaScores};
use stride_storage::projector::Projection;
use stride_storage::{AppendRequest, ExpectedVersion, Metadata, NewEvent, Store, StoreError};
use stride_testkit::TestDatabase;
use uuid::Uuid;

use super::projector::{append, settle};

async fn add_channel(store: &Store, team: Uuid, handle: &str) -> Uuid {
    let channel = Uuid::now_v7();
    append(
        store,
        team,
        channel,
        &[ChannelEvent::ChannelAdded {
            channel_id: channel,
            platform: Platform::Blog,
            handle: handle.into(),
            name: None,
        }],
        Uuid::now_v7(),
    )
    .await;
    channel
}

/// A goal event no version of the domain wrote: the projections cannot fold it.
async fn append_poison(store: &Store, team: Uuid) -> i64 {
    let request = AppendRequest {
        team_id: team,
        stream_id: Uuid::now_v7(),
        stream_type: "goal".into(),
        expected: ExpectedVersion::Any,
        events: vec![NewEvent {
            event_id: Uuid::now_v7(),
            event_type: "GoalSet".into(),
            schema_version: 1,
            data: json!({ "title": 42 }),
        }],
        metadata: Metadata::new(Actor::System),
        side_writes: vec![],
    };
    store.events().append(request).await.unwrap().position
}

fn stopped_at(result: Result<(), StoreError>) -> Option<(String, i64)> {
    match result {
        Err(StoreError::ProjectionFailed {
            projection,
            position,
        }) => Some((projection, position)),
        Ok(()) => None,
        Err(other) => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_event_a_projection_cannot_apply_stops_it_for_its_team_only() {
    let db = TestDatabase::new().await.unwrap();
    let store = Store::connect(&DbConfig::new(db.url())).unwrap();
    let (poisoned, healthy) = (Uuid::now_v7(), Uuid::now_v7());
    add_channel(&store, poisoned, "before").await;
    add_channel(&store, healthy, "before").await;
    let poison = append_poison(&store, poisoned).await;
    add_channel(&store, poisoned, "after").await;
    let later = add_channel(&store, healthy, "after").await;
    settle(&store).await;

    store.projections().catch_up(&Aggregates).await.unwrap();
    store.projections().catch_up(&Activity).await.unwrap();
    store.projections().catch_up(&IdeaScores).await.unwrap();

    let plans = store
        .read_models()
        .plans(healthy, Need::default())
        .await
        .unwrap();
    assert_eq!(
        plans.channels.len(),
        2,
        "the healthy team's later events applied"
    );
    assert!(plans.channels.iter().any(|c| c.id == later));
    assert_eq!(
        store
            .read_models()
            .activity(healthy, None, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        stopped_at(
            store
                .projections()
                .check(poisoned, &[Aggregates::NAME])
                .await
        ),
        Some((Aggregates::NAME.to_owned(), poison))
    );
    assert!(matches!(
        store.read_models().plans(poisoned, Need::default()).await,
        Err(StoreError::ProjectionFailed { .. })
    ));
    // The feed names a goal by its title when it has one, and the trending projection reads
    // no goal events: neither stopped.
    for projection in [Activity::NAME, IdeaScores::NAME] {
        assert_eq!(
            stopped_at(store.projections().check(poisoned, &[projection]).await),
            None
        );
    }
    assert!(
        store
            .read_models()
            .activity(poisoned, None, 10)
            .await
            .is_ok()
    );
    assert!(store.read_models().idea_scores(poisoned).await.is_ok());
    let counts = store.projections().failure_counts().await.unwrap();
    assert_eq!(counts, vec![(Aggregates::NAME.to_owned(), 1)]);
    // Every checkpoint is past the poison: reads waiting for a position are not held up.
    assert!(
        store
            .projections()
            .wait_projected(poison, std::time::Duration::ZERO)
            .await
            .unwrap()
    );

    // A rebuild replays the log from the start: the poison stops the team again, and only it.
    store
        .projections()
        .rebuild(&Aggregates, |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        stopped_at(
            store
                .projections()
                .check(poisoned, &[Aggregates::NAME])
                .await
        ),
        Some((Aggregates::NAME.to_owned(), poison))
    );
    assert_eq!(
        store
            .read_models()
            .plans(healthy, Need::default())
            .await
            .unwrap()
            .channels
            .len(),
        2
    );
}

#[tokio::test]
async fn a_rebuild_clears_a_projections_failures_once_its_events_apply() {
    let db = TestDatabase::new().await.unwrap();
    let store = Store::connect(&DbConfig::new(db.url())).unwrap();
    let team = Uuid::now_v7();
    add_channel(&store, team, "fine").await;
    settle(&store).await;
    store.projections().catch_up(&Aggregates).await.unwrap();
    // A failure recorded by an earlier version whose bug is fixed now.
    let client = db.connect().await.unwrap();
    client
        .execute(
            "INSERT INTO projection_failures (team_id, projection, position, error) \
             VALUES ($1, 'aggregates', 1, 'a bug since fixed')",
            &[&team],
        )
        .await
        .unwrap();
    assert!(matches!(
        store.read_models().plans(team, Need::default()).await,
        Err(StoreError::ProjectionFailed { .. })
    ));
    store
        .projections()
        .rebuild(&Aggregates, |_, _| {})
        .await
        .unwrap();
    let plans = store
        .read_models()
        .plans(team, Need::default())
        .await
        .unwrap();
    assert_eq!(plans.channels.len(), 1);
    assert!(
        store
            .projections()
            .failure_counts()
            .await
            .unwrap()
            .is_empty()
    );
}
