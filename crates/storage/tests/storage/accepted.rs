//! The law behind "an accepted event is kept forever": whatever the domain accepts, from
//! input as hostile as can be offered (numbers near `f64::MAX`, NaN, dates in year -262143,
//! NUL characters), storage writes and reads back unchanged, and every projection applies
//! without a failure, with the same rows as a rebuild.

use std::collections::BTreeSet;

use proptest::prelude::*;
use stride_domain::arbitrary::{extreme_goal, extreme_instant, extreme_number, now, text};
use stride_domain::channel::Platform;
use stride_domain::goal::{self, GoalCommand, GoalContext, GoalEvent, NewGoal};
use stride_domain::idea::{self, Author, IdeaCommand, IdeaContext, IdeaEvent, NewIdea};
use stride_domain::metric::{self, Metric, Observation};
use stride_domain::post::{self, NewPost, PostCommand, PostContext, PostEvent};
use stride_domain::target::TargetContext;
use stride_domain::{Actor, EventPayload};
use stride_storage::{Metadata, Store, StoredEvent};
use uuid::Uuid;

use super::fixture::{
    add_channel, append, block_on, catch_up_all, rebuild_all, settle, snapshot, store,
};

/// One command as a client could send it, with hostile values.
#[derive(Debug, Clone)]
enum Offer {
    Goal(NewGoal),
    Post {
        title: String,
        body: Option<String>,
        published_at: Option<chrono::DateTime<chrono::Utc>>,
        url: Option<String>,
    },
    Observations(Vec<(f64, chrono::DateTime<chrono::Utc>)>),
    Idea {
        title: String,
        body: Option<String>,
        tags: Vec<String>,
    },
}

fn offer(channel: Uuid) -> impl Strategy<Value = Offer> {
    prop_oneof![
        extreme_goal(channel).prop_map(Offer::Goal),
        (
            text(),
            prop::option::of(text()),
            prop::option::of(extreme_instant()),
            prop::option::of(prop_oneof![
                text(),
                text().prop_map(|t| format!("https://example.com/{t}"))
            ]),
        )
            .prop_map(|(title, body, published_at, url)| Offer::Post {
                title,
                body,
                published_at,
                url,
            }),
        prop::collection::vec((extreme_number(), extreme_instant()), 1..4)
            .prop_map(Offer::Observations),
        (
            text(),
            prop::option::of(text()),
            prop::collection::vec(text(), 0..3)
        )
            .prop_map(|(title, body, tags)| Offer::Idea { title, body, tags }),
    ]
}

/// Appends what the domain accepted to a stream of its own, and keeps it, encoded, in
/// `accepted`.
async fn keep<E: EventPayload>(
    store: &Store,
    (team, stream): (Uuid, Uuid),
    events: &[E],
    accepted: &mut Vec<serde_json::Value>,
) {
    append(store, team, stream, events).await;
    accepted.extend(events.iter().map(|e| serde_json::to_value(e).unwrap()));
}

/// Decides each offer as the domain would; appends what it accepts. Returns the accepted
/// events of goals, posts and ideas, encoded, in order.
async fn offer_all(
    store: &Store,
    team: Uuid,
    channel: Uuid,
    offers: Vec<Offer>,
) -> Vec<serde_json::Value> {
    let mut accepted = Vec::new();
    let channels = BTreeSet::from([channel]);
    for offer in offers {
        match offer {
            Offer::Goal(new) => {
                let context = GoalContext {
                    parent_horizon: None,
                    target: TargetContext {
                        channels: channels.clone(),
                        ..TargetContext::default()
                    },
                    members: BTreeSet::new(),
                };
                let id = new.goal_id;
                if let Ok(events) = goal::decide(None, GoalCommand::SetGoal(new), &context) {
                    keep(store, (team, id), &events, &mut accepted).await;
                }
            }
            Offer::Post {
                title,
                body,
                published_at,
                url,
            } => {
                let context = PostContext {
                    now: now(),
                    require_approval: false,
                    may_approve: true,
                    channels: channels.clone(),
                    goals: BTreeSet::new(),
                    members: BTreeSet::new(),
                };
                let new = NewPost {
                    post_id: Uuid::now_v7(),
                    channel_id: channel,
                    title,
                    body,
                    idea_id: None,
                    goal_ids: vec![],
                    scheduled_for: None,
                    assignee_id: None,
                };
                let id = new.post_id;
                let Ok(mut events) = post::decide(None, PostCommand::DraftPost(new), &context)
                else {
                    continue;
                };
                let draft = events.iter().fold(None, post::apply);
                let publish = PostCommand::Publish { published_at, url };
                if let Ok(more) = post::decide(draft.as_ref(), publish, &context) {
                    events.extend(more);
                }
                keep(store, (team, id), &events, &mut accepted).await;
            }
            Offer::Observations(rows) => {
                let rows: Vec<Observation> = rows
                    .into_iter()
                    .map(|(value, observed_at)| Observation {
                        channel_id: channel,
                        metric: Metric::Followers,
                        value,
                        observed_at,
                        post_id: None,
                    })
                    .collect();
                if metric::check_batch(&rows, now(), |c| c == channel, |_| false).is_ok() {
                    let metadata = Metadata::new(Actor::System);
                    store
                        .observations()
                        .record(team, &rows, &metadata)
                        .await
                        .unwrap();
                }
            }
            Offer::Idea { title, body, tags } => {
                let context = IdeaContext {
                    channels: channels.clone(),
                    accepting_ideas: true,
                    target: None,
                };
                let new = NewIdea {
                    idea_id: Uuid::now_v7(),
                    title,
                    body,
                    tags,
                    channel_ids: vec![],
                    author: Author::Member {
                        member_id: Uuid::from_u128(6),
                    },
                };
                let id = new.idea_id;
                if let Ok(events) = idea::decide(None, IdeaCommand::Submit(new), &context) {
                    keep(store, (team, id), &events, &mut accepted).await;
                }
            }
        }
    }
    accepted
}

/// A stored event decoded as `E`, and encoded again.
fn reencoded<E: EventPayload>(stored: &StoredEvent) -> serde_json::Value {
    serde_json::to_value(stored.decode::<E>().unwrap().event).unwrap()
}

/// The team's goal, post and idea events as read back, encoded; every other event decodes.
async fn read_back(store: &Store, team: Uuid) -> Vec<serde_json::Value> {
    let mut read = Vec::new();
    for stored in store
        .events()
        .read_team_after(team, 0, 10_000)
        .await
        .unwrap()
    {
        let value = match stored.stream_type.as_str() {
            t if t == GoalEvent::STREAM_TYPE => Some(reencoded::<GoalEvent>(&stored)),
            t if t == PostEvent::STREAM_TYPE => Some(reencoded::<PostEvent>(&stored)),
            t if t == IdeaEvent::STREAM_TYPE => Some(reencoded::<IdeaEvent>(&stored)),
            t if t == metric::MetricEvent::STREAM_TYPE => {
                stored.decode::<metric::MetricEvent>().unwrap();
                None
            }
            _ => None,
        };
        read.extend(value);
    }
    read
}

async fn run(offers: Vec<Offer>, team: Uuid, channel: Uuid) {
    let (db, store) = store().await;
    add_channel(&store, team, channel, Platform::Instagram, "@acme").await;
    let accepted = offer_all(&store, team, channel, offers).await;
    settle(&store).await;
    assert_eq!(
        read_back(&store, team).await,
        accepted,
        "read back unchanged"
    );
    catch_up_all(&store).await;
    let projections = store.projections();
    assert_eq!(
        projections.failure_counts().await.unwrap(),
        vec![],
        "every projection applied every accepted event"
    );
    let live = snapshot(&db).await;
    rebuild_all(&store).await;
    assert_eq!(snapshot(&db).await, live, "a rebuild gives the live rows");
    assert!(projections.failure_counts().await.unwrap().is_empty());
}

const TEAM: Uuid = Uuid::from_u128(0x7ea3);
const CHANNEL: Uuid = Uuid::from_u128(0xc4a);

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn whatever_the_domain_accepts_is_stored_read_back_and_projected_as_a_rebuild_would(
        offers in prop::collection::vec(offer(CHANNEL), 1..24),
    ) {
        block_on(run(offers, TEAM, CHANNEL));
    }
}
