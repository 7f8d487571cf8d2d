//! What the storage tests share: a store on a fresh database, appends of counter and domain
//! events, waiting until the log is visible, the projections caught up and rebuilt, their
//! rows read back, and a small team's world that the property tests grow change by change.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use serde_json::json;
use stride_domain::channel::{ChannelEvent, Platform};
use stride_domain::goal::{GoalEvent, Horizon};
use stride_domain::idea::{Author, IdeaEvent, IdeaStatus};
use stride_domain::metric::Metric;
use stride_domain::post::PostEvent;
use stride_domain::target::{Aggregation, Aim, Period, Target};
use stride_domain::vote::VoteEvent;
use stride_domain::{Actor, EventPayload};
use stride_storage::db::DbConfig;
use stride_storage::projections::{Activity, Aggregates, IdeaScores, Workload};
use stride_storage::registry::Registered;
use stride_storage::{AppendRequest, ExpectedVersion, Metadata, NewEvent, Store};
use stride_testkit::TestDatabase;
use uuid::Uuid;

/// Runs one case of a property test to its end on a runtime of its own, with the two
/// worker threads a `#[tokio::test]` of these suites runs on.
pub(super) fn block_on<F: Future>(case: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(case)
}

/// A store with the default pool on a fresh database.
pub(super) async fn store() -> (TestDatabase, Store) {
    let db = TestDatabase::new().await.expect("a test database");
    let store = Store::connect(&DbConfig::new(db.url())).expect("a store");
    (db, store)
}

/// A store with `pool_size` connections on a fresh database.
pub(super) async fn store_with(pool_size: usize) -> (TestDatabase, Store) {
    let db = TestDatabase::new().await.expect("a test database");
    let config = DbConfig {
        pool_size,
        ..DbConfig::new(db.url())
    };
    (db, Store::connect(&config).expect("a store"))
}

/// A request to append `Counted` events numbered `ns` to a counter stream: events that no
/// projection reads, for the event store's own guarantees.
pub(super) fn counted(
    team: Uuid,
    stream: Uuid,
    expected: ExpectedVersion,
    ns: impl IntoIterator<Item = u64>,
) -> AppendRequest {
    AppendRequest {
        team_id: team,
        stream_id: stream,
        stream_type: "counter".into(),
        expected,
        events: ns
            .into_iter()
            .map(|n| NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "Counted".into(),
                schema_version: 1,
                data: json!({ "n": n }),
            })
            .collect(),
        metadata: Metadata::new(Actor::System),
        side_writes: Vec::new(),
    }
}

/// Appends domain `events` to `stream`, unversioned, by the system; answers the position
/// of the last.
pub(super) async fn append<E: EventPayload>(
    store: &Store,
    team: Uuid,
    stream: Uuid,
    events: &[E],
) -> i64 {
    append_as(store, team, stream, events, Actor::System).await
}

/// Appends domain `events` to `stream`, unversioned, by `actor`; answers the position of
/// the last.
pub(super) async fn append_as<E: EventPayload>(
    store: &Store,
    team: Uuid,
    stream: Uuid,
    events: &[E],
    actor: Actor,
) -> i64 {
    let metadata = Metadata::new(actor);
    let request = AppendRequest::new(team, stream, ExpectedVersion::Any, events, metadata);
    store
        .events()
        .append(request.unwrap())
        .await
        .unwrap()
        .position
}

/// Adds the channel `channel` on `platform` under `handle`; answers its id.
pub(super) async fn add_channel(
    store: &Store,
    team: Uuid,
    channel: Uuid,
    platform: Platform,
    handle: &str,
) -> Uuid {
    let added = ChannelEvent::ChannelAdded {
        channel_id: channel,
        platform,
        handle: handle.into(),
        name: None,
    };
    append(store, team, channel, &[added]).await;
    channel
}

/// Waits until every transaction begun before this call is visible to readers of the log.
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
    let log = store.events();
    let visible = log.wait_visible(newest - 1, Duration::from_secs(10)).await;
    assert!(visible.unwrap(), "the log became visible");
}

/// Brings every projection up to the end of the log.
pub(super) async fn catch_up_all(store: &Store) {
    let projections = store.projections();
    projections.catch_up(&Activity).await.unwrap();
    projections.catch_up(&Aggregates).await.unwrap();
    projections.catch_up(&IdeaScores).await.unwrap();
    projections.catch_up(&Workload).await.unwrap();
}

/// Rebuilds every projection from the whole log; answers how many events each replayed, in
/// the order of [`Registered::ALL`].
pub(super) async fn rebuild_all(store: &Store) -> Vec<usize> {
    let mut replayed = Vec::new();
    for projection in Registered::ALL {
        replayed.push(projection.rebuild(store, |_, _| {}).await.unwrap());
    }
    replayed
}

/// Every projection's rows, as text, in a stable order.
pub(super) type Rows = (
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
);

/// The rows of the feed, its subjects, the folded aggregates, the idea scores with their
/// voters, the idea counts, and the members' work by day.
pub(super) async fn snapshot(db: &TestDatabase) -> Rows {
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
        rows("SELECT w::text FROM workload_events w ORDER BY team_id, position").await,
    )
}

/// One change a property test makes to its [`World`].
#[derive(Debug, Clone)]
pub(super) enum Change {
    /// A post drafted on the first channel, or the second.
    Draft(bool),
    Publish(u8),
    /// A cadence goal, or a metric one.
    SetGoal(bool),
    AchieveGoal(u8),
    SubmitIdea,
    PlanIdea(u8),
    /// A vote, or its withdrawal, by one of three contributors.
    Vote(u8, u8, bool),
}

/// Changes to a world, votes twice as often as the others.
pub(super) fn change() -> impl Strategy<Value = Change> {
    let vote = (any::<u8>(), 0u8..3, any::<bool>()).prop_map(|(n, c, up)| Change::Vote(n, c, up));
    prop_oneof![
        1 => any::<bool>().prop_map(Change::Draft),
        1 => any::<u8>().prop_map(Change::Publish),
        1 => any::<bool>().prop_map(Change::SetGoal),
        1 => any::<u8>().prop_map(Change::AchieveGoal),
        1 => Just(Change::SubmitIdea),
        1 => any::<u8>().prop_map(Change::PlanIdea),
        2 => vote,
    ]
}

/// Day `n` of November 2026, the month the world's goals run.
pub(super) fn slot(n: u8) -> DateTime<Utc> {
    "2026-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::days(i64::from(n))
}

/// A small team's world that a property test grows one change at a time: an Instagram and
/// a blog channel, and the posts, goals and ideas made so far, all by one member. A change
/// that names the n-th post, goal or idea when there is none yet does nothing.
pub(super) struct World<'a> {
    store: &'a Store,
    pub team: Uuid,
    pub member: Uuid,
    pub channels: [Uuid; 2],
    pub posts: Vec<Uuid>,
    pub goals: Vec<Uuid>,
    pub ideas: Vec<Uuid>,
}

/// The n-th of `ids`, counted round, if there are any.
fn nth(ids: &[Uuid], n: u8) -> Option<Uuid> {
    (!ids.is_empty()).then(|| ids[usize::from(n) % ids.len()])
}

impl<'a> World<'a> {
    /// The team's two channels, added.
    pub async fn new(store: &'a Store, team: Uuid, member: Uuid) -> World<'a> {
        let channels = [Uuid::now_v7(), Uuid::now_v7()];
        for (channel, platform) in channels
            .into_iter()
            .zip([Platform::Instagram, Platform::Blog])
        {
            add_channel(store, team, channel, platform, "@acme").await;
        }
        World {
            store,
            team,
            member,
            channels,
            posts: Vec::new(),
            goals: Vec::new(),
            ideas: Vec::new(),
        }
    }

    /// Makes `change`, by the member.
    pub async fn apply(&mut self, change: Change) {
        match change {
            Change::Draft(first) => self.draft(first).await,
            Change::Publish(n) => self.publish(n).await,
            Change::SetGoal(cadence) => self.set_goal(cadence).await,
            Change::AchieveGoal(n) => self.achieve_goal(n).await,
            Change::SubmitIdea => self.submit_idea().await,
            Change::PlanIdea(n) => self.plan_idea(n).await,
            Change::Vote(n, c, up) => self.vote(n, c, up).await,
        }
    }

    async fn append<E: EventPayload>(&self, stream: Uuid, event: E) {
        let actor = Actor::Member {
            member_id: self.member,
        };
        append_as(self.store, self.team, stream, &[event], actor).await;
    }

    async fn draft(&mut self, first: bool) {
        let post = Uuid::now_v7();
        let drafted = PostEvent::PostDrafted {
            post_id: post,
            channel_id: self.channels[usize::from(!first)],
            title: format!("Post {}", self.posts.len()),
            body: None,
            idea_id: None,
            goal_ids: vec![],
        };
        self.append(post, drafted).await;
        self.posts.push(post);
    }

    /// Publishes the n-th post on one of the first five days of the month.
    async fn publish(&self, n: u8) {
        if let Some(post) = nth(&self.posts, n) {
            let published = PostEvent::PostPublished {
                published_at: slot(n % 5),
                url: None,
            };
            self.append(post, published).await;
        }
    }

    /// Sets a short goal for the month: three posts a week, or 1,100 followers on
    /// Instagram from 1,000.
    async fn set_goal(&mut self, cadence: bool) {
        let target = if cadence {
            Target::Cadence {
                count: 3,
                period: Period::Week,
                channel_id: None,
            }
        } else {
            Target::Metric {
                channel_id: self.channels[0],
                metric: Metric::Followers,
                aggregation: Aggregation::Latest,
                baseline: 1000.0,
                target_value: 1100.0,
                aim: Aim::Reach(1100.0),
            }
        };
        let goal = Uuid::now_v7();
        let set = GoalEvent::GoalSet {
            goal_id: goal,
            title: format!("Goal {}", self.goals.len()),
            description: None,
            horizon: Horizon::Short,
            parent_goal_id: None,
            starts_on: "2026-11-01".parse().unwrap(),
            due_on: "2026-11-30".parse().unwrap(),
            target: Some(target),
        };
        self.append(goal, set).await;
        self.goals.push(goal);
    }

    async fn achieve_goal(&self, n: u8) {
        if let Some(goal) = nth(&self.goals, n) {
            self.append(goal, GoalEvent::GoalAchieved { reason: None })
                .await;
        }
    }

    /// Submits an idea aimed at the first channel.
    async fn submit_idea(&mut self) {
        let idea = Uuid::now_v7();
        let submitted = IdeaEvent::IdeaSubmitted {
            idea_id: idea,
            title: format!("Idea {}", self.ideas.len()),
            body: None,
            tags: vec![],
            channel_ids: vec![self.channels[0]],
            author: Author::Member {
                member_id: self.member,
            },
        };
        self.append(idea, submitted).await;
        self.ideas.push(idea);
    }

    async fn plan_idea(&self, n: u8) {
        if let Some(idea) = nth(&self.ideas, n) {
            let planned = IdeaEvent::IdeaStatusChanged {
                from: IdeaStatus::Open,
                to: IdeaStatus::Planned,
                reason: None,
                by: self.member,
            };
            self.append(idea, planned).await;
        }
    }

    async fn vote(&self, n: u8, c: u8, up: bool) {
        if let Some(idea_id) = nth(&self.ideas, n) {
            let contributor_id = Uuid::from_u128(100 + u128::from(c));
            let stream = stride_storage::votes::votes_stream(idea_id, contributor_id);
            self.append(stream, VoteEvent::cast(idea_id, contributor_id, up))
                .await;
        }
    }
}
