//! Laws of the aggregates under arbitrary input (proptest): whatever the commands and their
//! text, deciding never panics; every decided event is storable (it encodes and decodes to
//! itself) and folds onto the state it was decided against; the review rule holds: with
//! `require_approval`, nothing is scheduled or published before an approval; and whatever goals,
//! observations and publications are accepted, however extreme the numbers and dates offered,
//! every report at every instant a client may name is computed with finite numbers.

use std::collections::BTreeSet;

use std::collections::BTreeMap;

use proptest::prelude::*;
use uuid::Uuid;

use crate::EventPayload;
use crate::arbitrary::{extreme_goal, extreme_instant, extreme_number, instant, now, text};
use crate::bounds;
use crate::goal::{self, GoalCommand, GoalContext, NewGoal};
use crate::idea::{self, Author, IdeaCommand, IdeaContext, IdeaStatus, NewIdea};
use crate::metric::{self, Metric, Observation};
use crate::post::{self, NewPost, PostCommand, PostContext, PostEdit, PostEvent};
use crate::progress::Point;
use crate::progress::report::{Facts, GoalProgress};
use crate::target::TargetContext;

const CHANNEL: Uuid = Uuid::from_u128(1);
const GOAL: Uuid = Uuid::from_u128(2);
const MEMBER: Uuid = Uuid::from_u128(3);

/// A member of the team, or an id that is not one.
fn someone() -> impl Strategy<Value = Option<Uuid>> {
    prop::option::of(prop_oneof![Just(MEMBER), Just(Uuid::from_u128(9))])
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
            prop::option::of(instant()),
            someone(),
        )
            .prop_map(|(title, body, goal_ids, scheduled_for, assignee_id)| {
                PostCommand::DraftPost(NewPost {
                    post_id: Uuid::from_u128(7),
                    channel_id: CHANNEL,
                    title,
                    body,
                    idea_id: None,
                    goal_ids,
                    scheduled_for,
                    assignee_id,
                })
            }),
        (
            prop::option::of(text()),
            prop::option::of(prop::option::of(instant())),
            prop::option::of(someone()),
        )
            .prop_map(|(title, scheduled_for, assignee_id)| PostCommand::EditPost(
                PostEdit {
                    title,
                    scheduled_for,
                    assignee_id,
                    ..PostEdit::default()
                }
            )),
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

fn goal_command() -> impl Strategy<Value = NewGoal> {
    // A title the domain takes, so that the edges tried are the target's and the days'.
    extreme_goal(CHANNEL).prop_map(|goal| NewGoal {
        title: "Edge".into(),
        ..goal
    })
}

/// Every number of a report and its steps is finite.
fn finite(report: &GoalProgress) -> Result<(), TestCaseError> {
    let mut numbers = vec![Some(report.expected), report.progress, report.current];
    numbers.extend([report.target_value, report.baseline]);
    if let Some(forecast) = &report.forecast {
        numbers.push(Some(forecast.projected_value));
    }
    if let Some(cadence) = &report.cadence {
        numbers.extend([
            Some(cadence.progress),
            Some(cadence.expected),
            cadence.adherence,
        ]);
    }
    for number in numbers.into_iter().flatten() {
        prop_assert!(number.is_finite(), "{number} in {report:?}");
    }
    report.children.iter().try_for_each(finite)
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
                members: BTreeSet::from([MEMBER]),
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
            if let Some(post) = &state {
                prop_assert!(post.assignee_id.is_none_or(|a| a == MEMBER), "assigned to a stranger");
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

    #[test]
    fn whatever_is_accepted_is_reported_at_every_bounded_instant_with_finite_numbers(
        goals in prop::collection::vec((goal_command(), prop::option::of(extreme_number())), 1..5),
        observations in prop::collection::vec((extreme_number(), extreme_instant()), 0..8),
        published in prop::collection::vec(extreme_instant(), 0..5),
        instants in prop::collection::vec(extreme_instant(), 1..5),
    ) {
        let mut facts = Facts::default();
        for (new, observed_baseline) in goals {
            let context = GoalContext {
                parent_horizon: None,
                target: TargetContext {
                    channels: BTreeSet::from([CHANNEL]),
                    observed_baseline,
                    previous: None,
                },
                members: BTreeSet::from([MEMBER]),
            };
            let Ok(events) = goal::decide(None, GoalCommand::SetGoal(new), &context) else {
                continue;
            };
            storable(&events)?;
            let state = events.iter().fold(None, goal::apply);
            prop_assert!(state.is_some());
            facts.goals.extend(state);
        }
        let mut series: Vec<Point> = Vec::new();
        for (value, observed_at) in observations {
            let row = Observation {
                channel_id: CHANNEL,
                metric: Metric::Followers,
                value,
                observed_at,
                post_id: None,
            };
            if metric::check_batch(std::slice::from_ref(&row), now(), |c| c == CHANNEL, |_| false).is_ok() {
                series.push(Point { at: observed_at, value });
            }
        }
        series.sort_by_key(|p| p.at);
        facts.series = BTreeMap::from([((CHANNEL, Metric::Followers), series)]);
        let draft = post::Post {
            id: Uuid::from_u128(7),
            channel_id: CHANNEL,
            title: "Edge".into(),
            body: None,
            idea_id: None,
            goal_ids: vec![],
            status: post::PostStatus::Draft,
            approved: false,
            scheduled_for: None,
            published_at: None,
            url: None,
            assignee_id: None,
        };
        let context = PostContext {
            now: now(),
            require_approval: false,
            may_approve: true,
            channels: BTreeSet::from([CHANNEL]),
            goals: BTreeSet::new(),
            members: BTreeSet::new(),
        };
        for at in published {
            let command = PostCommand::Publish { published_at: Some(at), url: None };
            if let Ok(events) = post::decide(Some(&draft), command, &context) {
                storable(&events)?;
                if let Some(PostEvent::PostPublished { published_at, .. }) = events.first() {
                    facts.published.push((CHANNEL, *published_at));
                }
            }
        }
        for t in instants.into_iter().filter(|t| bounds::instant(*t).is_ok()) {
            for report in facts.report(t) {
                finite(&report)?;
            }
        }
    }
}
