//! One event a projection cannot apply stops that projection for its team only: the failure
//! is recorded, every other team's events go on, and the team's reads answer
//! `ProjectionFailed` until a rebuild.

use serde_json::json;
use stride_domain::Actor;
use stride_domain::channel::Platform;
use stride_storage::facts::Need;
use stride_storage::projections::{Activity, Aggregates, IdeaScores};
use stride_storage::projector::Projection;
use stride_storage::{AppendRequest, ExpectedVersion, Metadata, NewEvent, Store, StoreError};
use uuid::Uuid;

use super::fixture::{add_channel, catch_up_all, settle, store};

/// Adds a blog under `handle`.
async fn add_blog(store: &Store, team: Uuid, handle: &str) -> Uuid {
    add_channel(store, team, Uuid::now_v7(), Platform::Blog, handle).await
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

/// Where the projection `name` stopped for `team`, if it did.
async fn stopped_at(store: &Store, team: Uuid, name: &str) -> Option<(String, i64)> {
    match store.projections().check(team, &[name]).await {
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
    let (_db, store) = store().await;
    let (projections, read) = (store.projections(), store.read_models());
    let (poisoned, healthy) = (Uuid::now_v7(), Uuid::now_v7());
    add_blog(&store, poisoned, "before").await;
    add_blog(&store, healthy, "before").await;
    let poison = append_poison(&store, poisoned).await;
    add_blog(&store, poisoned, "after").await;
    let later = add_blog(&store, healthy, "after").await;
    settle(&store).await;
    catch_up_all(&store).await;

    let plans = read.plans(healthy, Need::default()).await.unwrap();
    assert_eq!(
        plans.channels.len(),
        2,
        "the healthy team's later events applied"
    );
    assert!(plans.channels.iter().any(|c| c.id == later));
    assert_eq!(
        read.activity(healthy, None, None, 10).await.unwrap().len(),
        2
    );
    let stopped_by_poison = Some((Aggregates::NAME.to_owned(), poison));
    assert_eq!(
        stopped_at(&store, poisoned, Aggregates::NAME).await,
        stopped_by_poison
    );
    assert!(matches!(
        read.plans(poisoned, Need::default()).await,
        Err(StoreError::ProjectionFailed { .. })
    ));
    // The feed names a goal by its title when it has one, and the trending projection reads
    // no goal events: neither stopped.
    for projection in [Activity::NAME, IdeaScores::NAME] {
        assert_eq!(stopped_at(&store, poisoned, projection).await, None);
    }
    assert!(read.activity(poisoned, None, None, 10).await.is_ok());
    assert!(read.idea_scores(poisoned).await.is_ok());
    let counts = projections.failure_counts().await.unwrap();
    assert_eq!(counts, vec![(Aggregates::NAME.to_owned(), 1)]);
    // Every checkpoint is past the poison: reads waiting for a position are not held up.
    let waited = projections.wait_projected(poison, std::time::Duration::ZERO);
    assert!(waited.await.unwrap());

    // A rebuild replays the log from the start: the poison stops the team again, and only it.
    projections.rebuild(&Aggregates, |_, _| {}).await.unwrap();
    assert_eq!(
        stopped_at(&store, poisoned, Aggregates::NAME).await,
        stopped_by_poison
    );
    let plans = read.plans(healthy, Need::default()).await.unwrap();
    assert_eq!(plans.channels.len(), 2);
}

#[tokio::test]
async fn a_rebuild_clears_a_projections_failures_once_its_events_apply() {
    let (db, store) = store().await;
    let (projections, read) = (store.projections(), store.read_models());
    let team = Uuid::now_v7();
    add_blog(&store, team, "fine").await;
    settle(&store).await;
    projections.catch_up(&Aggregates).await.unwrap();
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
        read.plans(team, Need::default()).await,
        Err(StoreError::ProjectionFailed { .. })
    ));
    projections.rebuild(&Aggregates, |_, _| {}).await.unwrap();
    let plans = read.plans(team, Need::default()).await.unwrap();
    assert_eq!(plans.channels.len(), 1);
    assert!(projections.failure_counts().await.unwrap().is_empty());
}
