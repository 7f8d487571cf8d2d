//! The projection registry: every projection listed once, each with its own name and
//! checkpoint, and a read waits for the projections it reads alone.

use std::time::Duration;

use stride_domain::channel::Platform;
use stride_storage::registry::Registered;
use uuid::Uuid;

use super::fixture::{add_channel, settle, store};

#[test]
fn every_projection_is_listed_once_under_its_own_name() {
    let names: Vec<&str> = Registered::ALL.map(Registered::name).to_vec();
    assert_eq!(
        names,
        vec![
            "activity",
            "aggregates",
            "idea_scores",
            "webhook_outbox",
            "workload"
        ]
    );
    for projection in Registered::ALL {
        assert_eq!(Registered::named(projection.name()), Some(projection));
    }
    assert_eq!(Registered::named("webhooks"), None);
}

#[tokio::test]
async fn a_read_waits_only_for_the_projections_it_reads() {
    let (_db, store) = store().await;
    add_channel(
        &store,
        Uuid::now_v7(),
        Uuid::now_v7(),
        Platform::Blog,
        "news",
    )
    .await;
    settle(&store).await;
    let head = store.events().committed_head().await.unwrap();
    let projections = store.projections();
    // Every projection reads wait for but the feed catches up.
    for projection in Registered::READ
        .into_iter()
        .filter(|p| *p != Registered::Activity)
    {
        projection.rebuild(&store, |_, _| {}).await.unwrap();
    }
    let read = [Registered::Aggregates, Registered::IdeaScores];
    let by_read = projections.wait_projected_by(head, &read, Duration::ZERO);
    assert!(by_read.await.unwrap());
    assert!(
        !projections
            .wait_projected(head, Duration::ZERO)
            .await
            .unwrap(),
        "the feed has not applied the channel yet"
    );
    Registered::Activity
        .rebuild(&store, |_, _| {})
        .await
        .unwrap();
    let by_all = projections.wait_projected(head, Duration::ZERO);
    assert!(by_all.await.unwrap());
}
