//! `known_at` reads equal a replay of the team's whole log up to the instant: the plans and
//! votes replayed by kind, and the observations read from the current-state tables as they
//! stood then, corrections included, at every instant where something was recorded.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use stride_domain::metric::{Metric, MetricEvent, Observation};
use stride_domain::progress::Point;
use stride_domain::vote::VoteEvent;
use stride_domain::{Actor, EventPayload};
use stride_storage::facts::{Need, Plans};
use stride_storage::projections::aggregates::Fold;
use stride_storage::votes::{Votes, tally};
use stride_storage::{Metadata, StoredEvent};
use uuid::Uuid;

use super::fixture::{Change, World, block_on, change, slot, store};

#[derive(Debug, Clone)]
enum Op {
    Change(Change),
    /// Observations of (channel, post or none, metric, slot) with a value out of three: few
    /// enough keys that values are often repeated and corrected.
    Observe(Vec<(bool, Option<u8>, bool, u8, u8)>),
}

fn op() -> impl Strategy<Value = Op> {
    let observation = (
        any::<bool>(),
        prop::option::of(any::<u8>()),
        any::<bool>(),
        0u8..5,
        0u8..3,
    );
    prop_oneof![
        7 => change().prop_map(Op::Change),
        2 => prop::collection::vec(observation, 1..4).prop_map(Op::Observe),
        1 => prop::collection::vec(
            (any::<bool>(), Just(None), Just(false), 0u8..5, 0u8..3),
            1..3
        )
        .prop_map(Op::Observe),
    ]
}

const METRICS: [Metric; 2] = [Metric::Followers, Metric::Likes];

type Observed = BTreeMap<(Uuid, Metric, Option<Uuid>, DateTime<Utc>), f64>;

/// What a replay of every event of the team recorded by `k` knows.
fn replay(events: &[StoredEvent], k: DateTime<Utc>) -> (Plans, Votes, Observed) {
    let mut fold = Fold::default();
    let (mut votes, mut observed) = (Votes::new(), Observed::new());
    for event in events.iter().filter(|e| e.recorded_at <= k) {
        match event.stream_type.as_str() {
            t if t == VoteEvent::STREAM_TYPE => tally(&mut votes, event).unwrap(),
            t if t == MetricEvent::STREAM_TYPE => {
                let MetricEvent::MetricsRecorded {
                    channel_id,
                    observations,
                } = event.decode::<MetricEvent>().unwrap().event;
                for o in observations {
                    observed.insert((channel_id, o.metric, o.post_id, o.observed_at), o.value);
                }
            }
            _ => fold.apply(event).unwrap(),
        }
    }
    (Plans::from(fold), votes, observed)
}

/// Channel-wide series in `[since, t]` with the latest point before `since`, from a replay.
fn replayed_series(
    observed: &Observed,
    wanted: &[(Uuid, Metric)],
    since: DateTime<Utc>,
    t: DateTime<Utc>,
) -> BTreeMap<(Uuid, Metric), Vec<Point>> {
    let mut series: BTreeMap<(Uuid, Metric), Vec<Point>> = BTreeMap::new();
    for &(channel, metric) in wanted {
        let points: Vec<Point> = observed
            .iter()
            .filter(|((c, m, p, at), _)| *c == channel && *m == metric && p.is_none() && *at <= t)
            .map(|((.., at), value)| Point {
                at: *at,
                value: *value,
            })
            .collect();
        let before = points.iter().filter(|p| p.at < since).max_by_key(|p| p.at);
        let mut kept: Vec<Point> = before.into_iter().copied().collect();
        kept.extend(points.iter().filter(|p| p.at >= since));
        kept.sort_by_key(|p| p.at);
        if !kept.is_empty() {
            series.insert((channel, metric), kept);
        }
    }
    series
}

/// The latest value at or before `t` of each metric on each post, from a replay.
fn replayed_totals(
    observed: &Observed,
    posts: &[Uuid],
    t: DateTime<Utc>,
) -> Vec<(Uuid, Metric, f64)> {
    let mut latest: BTreeMap<(Uuid, Metric), (DateTime<Utc>, f64)> = BTreeMap::new();
    for ((_, metric, post, at), value) in observed {
        let Some(post) = post.filter(|p| posts.contains(p)) else {
            continue;
        };
        if *at <= t {
            let entry = latest.entry((post, *metric)).or_insert((*at, *value));
            if *at >= entry.0 {
                *entry = (*at, *value);
            }
        }
    }
    latest
        .into_iter()
        .map(|((p, m), (_, v))| (p, m, v))
        .collect()
}

async fn run(ops: Vec<Op>) {
    let (_db, store) = store().await;
    let team = Uuid::now_v7();
    let mut world = World::new(&store, team, Uuid::now_v7()).await;
    let channels = world.channels;
    for op in ops {
        match op {
            Op::Change(change) => world.apply(change).await,
            Op::Observe(rows) => {
                let posts = &world.posts;
                let rows: Vec<Observation> = rows
                    .into_iter()
                    .map(|(first, post, likes, at, value)| Observation {
                        channel_id: channels[usize::from(!first)],
                        metric: METRICS[usize::from(likes)],
                        value: f64::from(value),
                        observed_at: slot(at),
                        post_id: post
                            .filter(|_| !posts.is_empty())
                            .map(|n| posts[usize::from(n) % posts.len()]),
                    })
                    .collect();
                store
                    .observations()
                    .record(team, &rows, &Metadata::new(Actor::System))
                    .await
                    .unwrap();
            }
        }
    }
    let posts = world.posts;

    let events = store
        .events()
        .read_team_after(team, 0, 1_000_000)
        .await
        .unwrap();
    let need = Need {
        ideas: true,
        all_posts: true,
        idea_counts: true,
        votes: true,
    };
    // Two goals may ask for one series: it still comes once.
    let mut wanted: Vec<(Uuid, Metric)> = channels
        .iter()
        .flat_map(|c| METRICS.map(|m| (*c, m)))
        .collect();
    wanted.push(wanted[0]);
    let (since, t) = (slot(1), slot(3));
    // Every instant something was recorded at, and the moment before it.
    let mut instants: Vec<DateTime<Utc>> = events
        .iter()
        .flat_map(|e| [e.recorded_at - TimeDelta::microseconds(1), e.recorded_at])
        .collect();
    instants.sort();
    instants.dedup();
    let read = store.read_models();
    for k in instants {
        let (plans, votes, observed) = replay(&events, k);
        let (known_plans, known) = read.known_at(team, k, need).await.unwrap();
        assert_eq!(known_plans.channels, plans.channels, "channels at {k}");
        assert_eq!(known_plans.goals, plans.goals, "goals at {k}");
        assert_eq!(known_plans.posts, plans.posts, "posts at {k}");
        assert_eq!(known_plans.ideas, plans.ideas, "ideas at {k}");
        assert_eq!(known.votes.as_ref(), Some(&votes), "votes at {k}");
        let series = read.series(team, &wanted, since, t, Some(k)).await;
        assert_eq!(
            series.unwrap(),
            replayed_series(&observed, &wanted, since, t),
            "series at {k}"
        );
        let totals = read.post_totals(team, &channels, &posts, &METRICS, t, Some(k));
        let mut totals = totals.await.unwrap();
        totals.sort_by_key(|a| (a.0, a.1));
        assert_eq!(
            totals,
            replayed_totals(&observed, &posts, t),
            "post totals at {k}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn a_known_at_read_equals_a_replay_of_the_whole_log(ops in prop::collection::vec(op(), 1..30)) {
        block_on(run(ops));
    }
}
