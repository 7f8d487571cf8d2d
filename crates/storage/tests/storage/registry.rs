//! The projection registry: every projection listed once, each with its own name and
//! checkpoint, and a read waits for the projections it reads alone.

use std::time::Duration;

use stride_domain::channel::{ChannelEvent, Platform};
use stride_storage::Store;
use stride_storage::db::DbConfig;
use stride_storage::registry::Registered;
use stride_testkit::TestDatabase;
use uuid::Uuid;

use super::projector::{append, settle};

#[test]
fn every_projection_is_listed_once_under_its_own_name() {
    let names: Vec<&str> = Registered::ALL.map(Registered::name).to_vec();
    assert_eq!(names, vec!["activity", "aggregates", "idea_scores"]);
    for projection in Registered::ALL {
        assert_eq!(Registered::named(projection.name()), Some(projection));
    }
    assert_eq!(Registered::named("webhooks"), None);
}

#[tokio::test]
async fn a_read_waits_only_for_the_projections_it_reads() {
    let db = TestDatabase::new().await.unwrap();
    let store = Store::connect(&DbConfig::new(db.url())).unwrap();
    let (team, channel) = (Uuid::now_v7(), Uuid::now_v7());
    append(
        &store,
        team,
        channel,
        &[ChannelEvent::ChannelAdded {
            channel_id: channel,
            platform: Platform::Blog,
            handle: "news".into(),
            name: None,
        }],
        Uuid::now_v7(),
    )
    .await;
    settle(&store).await;
    let head = store.events().committed_head().await.unwrap();
    // Every projection but the feed catches up.
    for projection in [Registered::Aggregates, Registered::IdeaScores] {
        projection.rebuild(&store, |_, _| {}).await.unwrap();
    }
    let read = [Registered::Aggregates, Registered::IdeaScores];
    assert!(
        store
            .projections()
            .wait_projected_by(head, &read, Duration::ZERO)
            .await
            .unwrap()
    );
    assert!(
        !store
            .projections()
            .wait_projected(head, Duration::ZERO)
            .await
            .unwrap(),
        "the feed has not applied the channel yet"
    );
    Registered::Activity
        .rebuild(&store, |_, _| {})
        .await
        .unwrap();
    assert!(
        store
            .projections()
            .wait_projected(head, Duration::ZERO)
            .await
            .unwrap()
    );
}
