//! Laws of the aggregates under arbitrary input (proptest): whatever the commands and their
//! text, deciding never panics; every decided event is storable (it encodes and decodes to
//! itself) and folds onto the state it was decided against; and the review rule holds: with
//! `require_approval`, nothing is scheduled or published before an approval.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use uuid::Uuid;

use crate::EventPayload;
use crate::idea::{self, Author, IdeaCommand, IdeaContext, IdeaStatus, NewIdea};
use crate::post::{self, NewPost, PostCommand, PostContext, PostEdit, PostEvent};

const CHANNEL: Uuid = Uuid::from_u128(1);
const GOAL: Uuid = Uuid::from_u128(2);

/// Text as clients send it: empty, padded, long, with control characters and any script.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ a-zA-Z]{0,12}",
        "\\PC{0,40}",
        ".{0,40}",
        "[a-z]{195,205}",
    ]
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (-400i64..400).prop_map(|days| now() + TimeDelta::hours(days * 6))
}

fn now() -> DateTime<Utc> {
    "2026-11-23T12:00:00Z".parse().unwrap_or_default()
}

fn some_ids() -> impl Strategy<Value = Vec<Uuid>> {
    prop::collection::vec(
        prop_oneof![Just(CHANNEL), Just(GOAL), Just(Uuid::from_u128(9))],
        0..3,
    )
}

fn post_command() -> impl Strategy<Value = PostCommand> {
    prop_oneof![
        (
            text(),
            prop::option::of(text()),
            some_ids(),
            prop::option::of(instant())
        )
            .prop_map(
                |(title, body, goal_ids, scheduled_for)| PostCommand::DraftPost(NewPost {
                    post_id: Uuid::from_u128(7),
                    channel_id: CHANNEL,
                    title,
                    body,
                    idea_id: None,
                    goal_ids,
                    scheduled_for,
                })
            ),
        (
            prop::option::of(text()),
            prop::option::of(prop::option::of(instant()))
        )
            .prop_map(|(title, scheduled_for)| PostCommand::EditPost(PostEdit {
                title,
                scheduled_for,
                ..PostEdit::default()
            })),
        Just(PostCommand::SubmitForReview),
        Just(PostCommand::Approve),
        text().prop_map(|comment| PostCommand::RequestChanges { comment }),
        (prop::option::of(instant()), prop::option::of(text()))
            .prop_map(|(published_at, url)| PostCommand::Publish { published_at, url }),
        Just(PostCommand::Archive),
    ]
}

fn idea_command() -> impl Strategy<Value = IdeaCommand> {
    let author = prop_oneof![
        Just(Author::Contributor {
            contributor_id: Uuid::from_u128(5)
        }),
        Just(Author::Member {
            member_id: Uuid::from_u128(6)
        }),
    ];
    let status = prop_oneof![
        Just(IdeaStatus::Open),
        Just(IdeaStatus::UnderReview),
        Just(IdeaStatus::Planned),
        Just(IdeaStatus::Declined),
        Just(IdeaStatus::Used),
    ];
    prop_oneof![
        (
            text(),
            prop::option::of(text()),
            prop::collection::vec(text(), 0..4),
            some_ids(),
            author.clone()
        )
            .prop_map(
                |(title, body, tags, channel_ids, author)| IdeaCommand::Submit(NewIdea {
                    idea_id: Uuid::from_u128(8),
                    title,
                    body,
                    tags,
                    channel_ids,
                    author,
                })
            ),
        (text(), author).prop_map(|(body, author)| IdeaCommand::Comment {
            comment_id: Uuid::now_v7(),
            body,
            author
        }),
        (status, prop::option::of(text())).prop_map(|(status, reason)| IdeaCommand::ChangeStatus {
            status,
            reason,
            by: Uuid::from_u128(6)
        }),
        Just(IdeaCommand::MergeInto {
            target: Uuid::from_u128(9)
        }),
        Just(IdeaCommand::Unmerge),
        Just(IdeaCommand::MarkUsed {
            post_id: Uuid::from_u128(7)
        }),
    ]
}

/// Encodes and decodes every event, and checks it comes back the same.
fn storable<E: EventPayload + PartialEq + std::fmt::Debug>(
    events: &[E],
) -> Result<(), TestCaseError> {
    for event in events {
        let data = event
            .encode()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = E::decode(event.event_type(), 1, data)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, event);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn posts_decide_storable_events_and_nothing_goes_out_unapproved(
        commands in prop::collection::vec((post_command(), any::<bool>()), 1..12),
    ) {
        let mut state = None;
        for (command, may_approve) in commands {
            let context = PostContext {
                now: now(),
                require_approval: true,
                may_approve,
                channels: BTreeSet::from([CHANNEL]),
                goals: BTreeSet::from([GOAL]),
            };
            let Ok(events) = post::decide(state.as_ref(), command, &context) else { continue };
            storable(&events)?;
            for event in &events {
                if matches!(event, PostEvent::PostPublished { .. } | PostEvent::PostScheduled { .. }) {
                    prop_assert!(
                        state.as_ref().is_some_and(|p: &post::Post| p.approved)
                            || events.iter().any(|e| matches!(e, PostEvent::PostApproved {})),
                        "{event:?} on an unapproved post"
                    );
                }
                state = post::apply(state, event);
                prop_assert!(state.is_some(), "{event:?} folded to nothing");
            }
        }
    }

    #[test]
    fn ideas_decide_storable_events_that_fold(
        commands in prop::collection::vec((idea_command(), any::<bool>()), 1..12),
    ) {
        let mut state = None;
        for (command, accepting_ideas) in commands {
            let target = idea::Idea {
                id: Uuid::from_u128(9),
                title: "Target".into(),
                body: None,
                tags: vec![],
                channel_ids: vec![],
                author: Author::Member { member_id: Uuid::from_u128(6) },
                status: IdeaStatus::Open,
                merged_into: None,
                comments: 0,
                used_in: vec![],
            };
            let context = IdeaContext {
                channels: BTreeSet::from([CHANNEL]),
                accepting_ideas,
                target: Some(target),
            };
            let Ok(events) = idea::decide(state.as_ref(), command, &context) else { continue };
            storable(&events)?;
            for event in &events {
                state = idea::apply(state, event);
                prop_assert!(state.is_some(), "{event:?} folded to nothing");
            }
            if let Some(idea) = &state {
                prop_assert!(!idea.title.is_empty() && idea.title.chars().count() <= idea::TITLE_MAX);
                prop_assert!(idea.title.trim() == idea.title, "titles are trimmed");
                prop_assert!(!idea.title.chars().any(char::is_control), "no control characters");
            }
        }
    }
}
