//! The projector's laws: a projection kept live, batch by batch while events arrive, equals
//! one rebuilt from scratch; delivering events again changes nothing.

use std::time::Duration;

use proptest::prelude::*;
use stride_domain::Actor;
use stride_domain::channel::{ChannelEvent, ChannelStatus};
use stride_domain::team::{Role, TeamEvent};
use stride_storage::Store;
use stride_storage::db::DbConfig;
use stride_storage::projections::{Activity, Aggregates, IdeaScores, Workload};
use stride_storage::projector::Projection;
use stride_storage::registry::Registered;
use stride_testkit::TestDatabase;
use uuid::Uuid;

use super::fixture::{
    Change, World, append, append_as, block_on, catch_up_all, change, rebuild_all, settle,
    snapshot, store,
};

/// One change to make, in a small world of one team, two channels and a few posts.
#[derive(Debug, Clone)]
enum Op {
    Rename(u8),
    AddMember,
    PauseChannel(bool),
    Change(Change),
    /// Let the projector take whatever is there now.
    Project,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => any::<u8>().prop_map(Op::Rename),
        1 => Just(Op::AddMember),
        1 => any::<bool>().prop_map(Op::PauseChannel),
        8 => change().prop_map(Op::Change),
        1 => Just(Op::Project),
    ]
}

/// Lets every projection take one batch of whatever is there now; answers how many events
/// each applied.
async fn project_batches(store: &Store) -> [usize; 4] {
    let projections = store.projections();
    [
        projections.project_batch(&Activity).await.unwrap(),
        projections.project_batch(&Aggregates).await.unwrap(),
        projections.project_batch(&IdeaScores).await.unwrap(),
        projections.project_batch(&Workload).await.unwrap(),
    ]
}

async fn run(ops: Vec<Op>) {
    let (db, store) = store().await;
    let (team, owner) = (Uuid::now_v7(), Uuid::now_v7());
    let by_owner = Actor::Member { member_id: owner };
    let created = [
        TeamEvent::TeamCreated {
            team_id: team,
            name: "Acme".into(),
            slug: "acme".into(),
        },
        TeamEvent::MemberAdded {
            member_id: owner,
            role: Role::Owner,
        },
    ];
    append_as(&store, team, team, &created, by_owner).await;
    let mut world = World::new(&store, team, owner).await;
    for op in ops {
        match op {
            Op::Rename(n) => {
                let name = format!("Acme {n}");
                let renamed = TeamEvent::TeamRenamed { name };
                append_as(&store, team, team, &[renamed], by_owner).await;
            }
            Op::AddMember => {
                let added = TeamEvent::MemberAdded {
                    member_id: Uuid::now_v7(),
                    role: Role::Member,
                };
                append_as(&store, team, team, &[added], by_owner).await;
            }
            Op::PauseChannel(first) => {
                let event = ChannelEvent::ChannelStatusChanged {
                    from: ChannelStatus::Active,
                    to: ChannelStatus::Paused,
                    reason: Some("rest".into()),
                };
                let channel = world.channels[usize::from(!first)];
                append_as(&store, team, channel, &[event], by_owner).await;
            }
            Op::Change(change) => world.apply(change).await,
            Op::Project => {
                project_batches(&store).await;
            }
        }
    }
    settle(&store).await;
    catch_up_all(&store).await;
    let live = snapshot(&db).await;
    assert!(!live.0.is_empty(), "the feed has lines");
    let counted: Vec<String> = db
        .connect()
        .await
        .unwrap()
        .query(
            "SELECT (team_id, state->>'status', count(*))::text FROM aggregates \
             WHERE stream_type = 'idea' AND state->'merged_into' = 'null'::jsonb \
             GROUP BY team_id, state->>'status' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut kept = live.4.clone();
    kept.sort();
    assert_eq!(
        counted.is_empty(),
        world.ideas.is_empty(),
        "ideas are counted"
    );
    assert_eq!(kept, counted, "the kept counts agree with the ideas");
    assert!(!live.2.is_empty(), "the channels are folded");

    let log = store.events();
    let logged = log.read_all_after(0, 1_000_000).await.unwrap().len();
    let replayed = rebuild_all(&store).await;
    assert_eq!(replayed[0], logged, "a rebuild replays each event once");
    assert_eq!(
        snapshot(&db).await,
        live,
        "a rebuild gives exactly the live rows"
    );

    // Delivering every event again changes nothing.
    let all = log.read_all_after(0, 1_000_000).await.unwrap();
    let mut client = store.pool().get().await.unwrap();
    let tx = client.transaction().await.unwrap();
    Activity.apply(&tx, &all).await.unwrap();
    Aggregates.apply(&tx, &all).await.unwrap();
    IdeaScores.apply(&tx, &all).await.unwrap();
    Workload.apply(&tx, &all).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        snapshot(&db).await,
        live,
        "re-delivered events change nothing"
    );
    assert_eq!(
        project_batches(&store).await,
        [0; 4],
        "and the checkpoint holds them applied"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_live_projection_equals_a_rebuild_and_redelivery_changes_nothing(ops in prop::collection::vec(op(), 1..40)) {
        block_on(run(ops));
    }
}

async fn rename(store: &Store, team: Uuid, n: u32) -> i64 {
    let name = format!("Acme {n}");
    append(store, team, team, &[TeamEvent::TeamRenamed { name }]).await
}

#[tokio::test]
async fn when_the_active_projector_stops_another_process_takes_over() {
    let db = TestDatabase::new().await.unwrap();
    let connect = || {
        Store::connect(&DbConfig {
            pool_size: 4,
            ..DbConfig::new(db.url())
        })
        .unwrap()
    };
    // Two stores with their own pools stand for two server processes.
    let (first, second) = (connect(), connect());
    let team = Uuid::now_v7();
    let position = rename(&first, team, 1).await;
    let leader = first.projections().spawn(Activity);
    assert!(
        first
            .projections()
            .wait_projected_by(position, &[Registered::Activity], Duration::from_secs(20))
            .await
            .unwrap()
    );
    let standby = second.projections().spawn(Activity);

    // The leader stops while its process (and its pool) lives on.
    leader.abort();
    assert!(leader.await.unwrap_err().is_cancelled());
    let position = rename(&first, team, 2).await;
    assert!(
        second
            .projections()
            .wait_projected_by(position, &[Registered::Activity], Duration::from_secs(20))
            .await
            .unwrap(),
        "the standby took the lock and applied the new event"
    );
    standby.abort();
}
