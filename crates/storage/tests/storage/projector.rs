//! The projector's laws: a projection kept live, batch by batch while events arrive, equals
//! one rebuilt from scratch; delivering events again changes nothing.

use std::time::Duration;

use proptest::prelude::*;
use stride_domain::Actor;
use stride_domain::channel::{ChannelEvent, Platform};
use stride_domain::goal::{GoalEvent, Horizon};
use stride_domain::idea::{Author, IdeaEvent, IdeaStatus};
use stride_domain::metric::Metric;
use stride_domain::post::PostEvent;
use stride_domain::target::{Aggregation, Aim, Period, Target};
use stride_domain::team::{Role, TeamEvent};
use stride_domain::vote::VoteEvent;
use stride_storage::db::DbConfig;
use stride_storage::projections::{Activity, Aggregates, IdeaScores};
use stride_storage::projector::Projection;
use stride_storage::registry::Registered;
use stride_storage::{AppendRequest, ExpectedVersion, Metadata, Store};
use stride_testkit::TestDatabase;
use uuid::Uuid;

/// One change to make, in a small world of one team, two channels and a few posts.
#[derive(Debug, Clone)]
enum Op {
    Rename(u8),
    AddMember,
    PauseChannel(bool),
    Draft(bool),
    Publish(u8),
    SetGoal(bool),
    AchieveGoal(u8),
    SubmitIdea,
    PlanIdea(u8),
    /// A vote, or its withdrawal, by one of three contributors.
    Vote(u8, u8, bool),
    /// Let the projector take whatever is there now.
    Project,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<u8>().prop_map(Op::Rename),
        Just(Op::AddMember),
        any::<bool>().prop_map(Op::PauseChannel),
        any::<bool>().prop_map(Op::Draft),
        any::<u8>().prop_map(Op::Publish),
        any::<bool>().prop_map(Op::SetGoal),
        any::<u8>().prop_map(Op::AchieveGoal),
        Just(Op::SubmitIdea),
        any::<u8>().prop_map(Op::PlanIdea),
        (any::<u8>(), 0u8..3, any::<bool>()).prop_map(|(n, c, up)| Op::Vote(n, c, up)),
        (any::<u8>(), 0u8..3, any::<bool>()).prop_map(|(n, c, up)| Op::Vote(n, c, up)),
        Just(Op::Project),
    ]
}

pub(super) async fn snapshot(
    db: &TestDatabase,
) -> (
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
) {
    let client = db.connect().await.unwrap();
    let rows = |sql: &'static str| {
        let client = &client;
        async move {
            client
                .query(sql, &[])
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect::<Vec<_>>()
        }
    };
    (
        rows("SELECT a::text FROM activity a ORDER BY team_id, position").await,
        rows("SELECT s::text FROM activity_subjects s ORDER BY team_id, subject_id").await,
        rows("SELECT a::text FROM aggregates a ORDER BY team_id, stream_id").await,
        rows(
            "SELECT s::text || coalesce((SELECT string_agg(v::text, ',' ORDER BY v.contributor_id) \
             FROM idea_voters v WHERE v.team_id = s.team_id AND v.idea_id = s.idea_id), '') \
             FROM idea_scores s ORDER BY team_id, idea_id",
        )
        .await,
        rows("SELECT c::text FROM idea_counts c WHERE ideas <> 0 ORDER BY team_id, status").await,
    )
}

/// Waits until every transaction begun before this call is visible to the projector.
pub(super) async fn settle(store: &Store) {
    let client = store.pool().get().await.unwrap();
    let newest: i64 = client
        .query_one(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint << 16",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        store
            .events()
            .wait_visible(newest - 1, Duration::from_secs(10))
            .await
            .unwrap()
    );
}

pub(super) async fn append<E: stride_domain::EventPayload>(
    store: &Store,
    team: Uuid,
    stream: Uuid,
    events: &[E],
    actor: Uuid,
) {
    let request = AppendRequest::new(
        team,
        stream,
        ExpectedVersion::Any,
        events,
        Metadata::new(Actor::Member { member_id: actor }),
    )
    .unwrap();
    store.events().append(request).await.unwrap();
}

async fn run(ops: Vec<Op>) {
    let db = TestDatabase::new().await.unwrap();
    let store = Store::connect(&DbConfig::new(db.url())).unwrap();
    let (team, owner) = (Uuid::now_v7(), Uuid::now_v7());
    append(
        &store,
        team,
        team,
        &[
            TeamEvent::TeamCreated {
                team_id: team,
                name: "Acme".into(),
                slug: "acme".into(),
            },
            TeamEvent::MemberAdded {
                member_id: owner,
                role: Role::Owner,
            },
        ],
        owner,
    )
    .await;
    let channels = [Uuid::now_v7(), Uuid::now_v7()];
    for (channel, platform) in channels.iter().zip([Platform::Instagram, Platform::Blog]) {
        append(
            &store,
            team,
            *channel,
            &[ChannelEvent::ChannelAdded {
                channel_id: *channel,
                platform,
                handle: "@acme".into(),
                name: None,
            }],
            owner,
        )
        .await;
    }
    let mut posts = Vec::new();
    let (mut goals, mut ideas) = (Vec::new(), Vec::new());
    for op in ops {
        match op {
            Op::Rename(n) => {
                append(
                    &store,
                    team,
                    team,
                    &[TeamEvent::TeamRenamed {
                        name: format!("Acme {n}"),
                    }],
                    owner,
                )
                .await
            }
            Op::AddMember => {
                append(
                    &store,
                    team,
                    team,
                    &[TeamEvent::MemberAdded {
                        member_id: Uuid::now_v7(),
                        role: Role::Member,
                    }],
                    owner,
                )
                .await
            }
            Op::PauseChannel(first) => {
                let event = ChannelEvent::ChannelStatusChanged {
                    from: stride_domain::channel::ChannelStatus::Active,
                    to: stride_domain::channel::ChannelStatus::Paused,
                    reason: Some("rest".into()),
                };
                append(&store, team, channels[usize::from(!first)], &[event], owner).await;
            }
            Op::Draft(first) => {
                let post = Uuid::now_v7();
                let event = PostEvent::PostDrafted {
                    post_id: post,
                    channel_id: channels[usize::from(!first)],
                    title: format!("Post {}", posts.len()),
                    body: None,
                    idea_id: None,
                    goal_ids: vec![],
                };
                append(&store, team, post, &[event], owner).await;
                posts.push(post);
            }
            Op::Publish(n) if !posts.is_empty() => {
                let post = posts[usize::from(n) % posts.len()];
                append(
                    &store,
                    team,
                    post,
                    &[PostEvent::PostPublished {
                        published_at: chrono::Utc::now(),
                        url: None,
                    }],
                    owner,
                )
                .await;
            }
            Op::Publish(_) => {}
            Op::SetGoal(cadence) => {
                let goal = Uuid::now_v7();
                let target = if cadence {
                    Target::Cadence {
                        count: 3,
                        period: Period::Week,
                        channel_id: None,
                    }
                } else {
                    Target::Metric {
                        channel_id: channels[0],
                        metric: Metric::Followers,
                        aggregation: Aggregation::Latest,
                        baseline: 1000.0,
                        target_value: 1100.0,
                        aim: Aim::Reach(1100.0),
                    }
                };
                let event = GoalEvent::GoalSet {
                    goal_id: goal,
                    title: format!("Goal {}", goals.len()),
                    description: None,
                    horizon: Horizon::Short,
                    parent_goal_id: None,
                    starts_on: "2026-11-01".parse().unwrap(),
                    due_on: "2026-11-30".parse().unwrap(),
                    target: Some(target),
                };
                append(&store, team, goal, &[event], owner).await;
                goals.push(goal);
            }
            Op::AchieveGoal(n) if !goals.is_empty() => {
                let goal = goals[usize::from(n) % goals.len()];
                append(
                    &store,
                    team,
                    goal,
                    &[GoalEvent::GoalAchieved { reason: None }],
                    owner,
                )
                .await;
            }
            Op::AchieveGoal(_) => {}
            Op::SubmitIdea => {
                let idea = Uuid::now_v7();
                let event = IdeaEvent::IdeaSubmitted {
                    idea_id: idea,
                    title: format!("Idea {}", ideas.len()),
                    body: None,
                    tags: vec![],
                    channel_ids: vec![channels[0]],
                    author: Author::Member { member_id: owner },
                };
                append(&store, team, idea, &[event], owner).await;
                ideas.push(idea);
            }
            Op::PlanIdea(n) if !ideas.is_empty() => {
                let idea = ideas[usize::from(n) % ideas.len()];
                let event = IdeaEvent::IdeaStatusChanged {
                    from: IdeaStatus::Open,
                    to: IdeaStatus::Planned,
                    reason: None,
                    by: owner,
                };
                append(&store, team, idea, &[event], owner).await;
            }
            Op::PlanIdea(_) => {}
            Op::Vote(n, c, up) if !ideas.is_empty() => {
                let idea_id = ideas[usize::from(n) % ideas.len()];
                let contributor_id = Uuid::from_u128(100 + u128::from(c));
                let event = VoteEvent::cast(idea_id, contributor_id, up);
                let stream = stride_storage::votes::votes_stream(idea_id, contributor_id);
                append(&store, team, stream, &[event], owner).await;
            }
            Op::Vote(..) => {}
            Op::Project => {
                store.projections().project_batch(&Activity).await.unwrap();
                store
                    .projections()
                    .project_batch(&Aggregates)
                    .await
                    .unwrap();
                store
                    .projections()
                    .project_batch(&IdeaScores)
                    .await
                    .unwrap();
            }
        }
    }
    settle(&store).await;
    store.projections().catch_up(&Activity).await.unwrap();
    store.projections().catch_up(&Aggregates).await.unwrap();
    store.projections().catch_up(&IdeaScores).await.unwrap();
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
    assert_eq!(counted.is_empty(), ideas.is_empty(), "ideas are counted");
    assert_eq!(kept, counted, "the kept counts agree with the ideas");
    assert!(!live.2.is_empty(), "the channels are folded");

    let rebuilt_events = store
        .projections()
        .rebuild(&Activity, |_, _| {})
        .await
        .unwrap();
    let logged = store
        .events()
        .read_all_after(0, 1_000_000)
        .await
        .unwrap()
        .len();
    assert_eq!(rebuilt_events, logged, "a rebuild replays each event once");
    store
        .projections()
        .rebuild(&Aggregates, |_, _| {})
        .await
        .unwrap();
    store
        .projections()
        .rebuild(&IdeaScores, |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        snapshot(&db).await,
        live,
        "a rebuild gives exactly the live rows"
    );

    // Delivering every event again changes nothing.
    let all = store.events().read_all_after(0, 1_000_000).await.unwrap();
    let mut client = store.pool().get().await.unwrap();
    let tx = client.transaction().await.unwrap();
    Activity.apply(&tx, &all).await.unwrap();
    Aggregates.apply(&tx, &all).await.unwrap();
    IdeaScores.apply(&tx, &all).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        snapshot(&db).await,
        live,
        "re-delivered events change nothing"
    );
    assert_eq!(
        store.projections().project_batch(&Activity).await.unwrap(),
        0,
        "and the checkpoint holds them applied"
    );
    assert_eq!(
        store
            .projections()
            .project_batch(&Aggregates)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .projections()
            .project_batch(&IdeaScores)
            .await
            .unwrap(),
        0
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_live_projection_equals_a_rebuild_and_redelivery_changes_nothing(ops in prop::collection::vec(op(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run(ops));
    }
}

async fn rename(store: &Store, team: Uuid, n: u32) -> i64 {
    let request = AppendRequest::new(
        team,
        team,
        ExpectedVersion::Any,
        &[TeamEvent::TeamRenamed {
            name: format!("Acme {n}"),
        }],
        Metadata::new(Actor::System),
    )
    .unwrap();
    store.events().append(request).await.unwrap().position
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
