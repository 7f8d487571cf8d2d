//! Given/when/then tests of the goal aggregate.

use std::collections::BTreeSet;

use super::*;
use crate::EventPayload;
use crate::metric::Metric;
use crate::target::{Aggregation, Aim, Period};

const GOAL: Uuid = Uuid::from_u128(1);
const PARENT: Uuid = Uuid::from_u128(2);
const CHANNEL: Uuid = Uuid::from_u128(3);
const MEMBER: Uuid = Uuid::from_u128(4);

fn day(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

fn context() -> GoalContext {
    GoalContext {
        parent_horizon: None,
        target: TargetContext {
            channels: BTreeSet::from([CHANNEL]),
            observed_baseline: None,
            previous: None,
        },
        members: BTreeSet::from([MEMBER]),
    }
}

fn followers(baseline: Option<f64>, aim: Aim) -> TargetSpec {
    TargetSpec::Metric {
        channel_id: CHANNEL,
        metric: Metric::Followers,
        aggregation: Aggregation::Latest,
        baseline,
        aim,
    }
}

fn new_goal(horizon: Horizon, target: Option<TargetSpec>) -> NewGoal {
    NewGoal {
        goal_id: GOAL,
        title: " Grow Instagram followers 10% this month ".into(),
        description: None,
        horizon,
        parent_goal_id: None,
        starts_on: day("2026-11-01"),
        due_on: day("2026-11-30"),
        target,
        owner_id: None,
    }
}

fn set(new: NewGoal, context: &GoalContext) -> Result<Vec<GoalEvent>, GoalError> {
    decide(None, GoalCommand::SetGoal(new), context)
}

/// The events of setting a short goal on followers, from a baseline of 1000.
fn set_followers_goal(aim: Aim) -> Vec<GoalEvent> {
    let target = followers(Some(1000.0), aim);
    set(new_goal(Horizon::Short, Some(target)), &context()).unwrap()
}

fn a_goal() -> Goal {
    set_followers_goal(Aim::IncreaseByPercent(10.0))
        .iter()
        .fold(None, apply)
        .unwrap()
}

fn field(result: Result<Vec<GoalEvent>, GoalError>) -> &'static str {
    match result {
        Err(GoalError::Invalid(Invalid { field, .. })) => field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn setting_a_goal_normalizes_its_target() {
    let goal = a_goal();
    assert_eq!(goal.title, "Grow Instagram followers 10% this month");
    assert_eq!(goal.state, GoalState::Active);
    match goal.target {
        Some(Target::Metric {
            baseline,
            target_value,
            ..
        }) => assert_eq!((baseline, target_value.round()), (1000.0, 1100.0)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_long_goal_may_have_no_target_but_a_short_one_must() {
    assert!(set(new_goal(Horizon::Long, None), &context()).is_ok());
    assert_eq!(
        field(set(new_goal(Horizon::Short, None), &context())),
        "target"
    );
}

#[test]
fn a_short_goal_hangs_only_under_a_long_goal_of_the_team() {
    let cadence = Some(TargetSpec::Cadence {
        count: 3,
        period: Period::Week,
        channel_id: None,
    });
    let under = |parent_horizon| {
        let mut new = new_goal(Horizon::Short, cadence.clone());
        new.parent_goal_id = Some(PARENT);
        set(
            new,
            &GoalContext {
                parent_horizon,
                ..context()
            },
        )
    };
    assert!(under(Some(Horizon::Long)).is_ok());
    assert_eq!(field(under(Some(Horizon::Short))), "parent_goal_id");
    assert_eq!(
        field(under(None)),
        "parent_goal_id",
        "a parent of another team is unknown here"
    );
    let mut long_under = new_goal(Horizon::Long, None);
    long_under.parent_goal_id = Some(PARENT);
    assert_eq!(
        field(set(
            long_under,
            &GoalContext {
                parent_horizon: Some(Horizon::Long),
                ..context()
            }
        )),
        "parent_goal_id"
    );
}

#[test]
fn bad_goals_are_refused_by_field() {
    let mut early = new_goal(Horizon::Long, None);
    early.due_on = day("2026-10-31");
    assert_eq!(field(set(early, &context())), "due_on");
    let mut untitled = new_goal(Horizon::Long, None);
    untitled.title = " ".into();
    assert_eq!(field(set(untitled, &context())), "title");
    let mut wordy = new_goal(Horizon::Long, None);
    wordy.description = Some("w".repeat(DESCRIPTION_MAX + 1));
    assert_eq!(field(set(wordy, &context())), "description");
    assert_eq!(
        field(set(
            new_goal(Horizon::Short, Some(followers(None, Aim::Reach(5.0)))),
            &context()
        )),
        "target.baseline"
    );
    assert_eq!(
        field(set(
            new_goal(Horizon::Short, Some(followers(Some(5.0), Aim::Reach(5.0)))),
            &context()
        )),
        "target.reach"
    );
}

#[test]
fn revisions_record_only_what_moved() {
    let goal = a_goal();
    let same = Revision {
        title: Some(goal.title.clone()),
        due_on: Some(goal.due_on),
        ..Default::default()
    };
    assert_eq!(
        decide(Some(&goal), GoalCommand::ReviseGoal(same), &context()),
        Ok(vec![])
    );

    let moved = Revision {
        due_on: Some(day("2026-12-15")),
        target: Some(followers(None, Aim::Reach(1200.0))),
        ..Default::default()
    };
    let events = decide(Some(&goal), GoalCommand::ReviseGoal(moved), &context()).unwrap();
    let goal = events.iter().fold(Some(goal), apply).unwrap();
    assert_eq!(goal.due_on, day("2026-12-15"));
    assert_eq!(goal.revisions, 1);
    match goal.target {
        Some(Target::Metric {
            baseline,
            target_value,
            ..
        }) => assert_eq!(
            (baseline, target_value),
            (1000.0, 1200.0),
            "the baseline stays"
        ),
        other => panic!("{other:?}"),
    }
    let before_start = Revision {
        due_on: Some(day("2026-10-01")),
        ..Default::default()
    };
    assert_eq!(
        field(decide(
            Some(&goal),
            GoalCommand::ReviseGoal(before_start),
            &context()
        )),
        "due_on"
    );
}

#[test]
fn a_closed_goal_stays_closed() {
    let goal = a_goal();
    let events = decide(
        Some(&goal),
        GoalCommand::AchieveGoal {
            reason: Some("hit 1,100 on the 20th".into()),
        },
        &context(),
    )
    .unwrap();
    let achieved = events.iter().fold(Some(goal.clone()), apply).unwrap();
    assert_eq!(
        (achieved.state, achieved.reason.as_deref()),
        (GoalState::Achieved, Some("hit 1,100 on the 20th"))
    );
    for command in [
        GoalCommand::AbandonGoal { reason: None },
        GoalCommand::AchieveGoal { reason: None },
        GoalCommand::ReviseGoal(Revision {
            title: Some("x".into()),
            ..Default::default()
        }),
    ] {
        assert_eq!(
            decide(Some(&achieved), command, &context()),
            Err(GoalError::Closed("achieved"))
        );
    }
    let abandoned = decide(
        Some(&goal),
        GoalCommand::AbandonGoal { reason: None },
        &context(),
    )
    .unwrap();
    assert_eq!(
        abandoned.iter().fold(Some(goal), apply).unwrap().state,
        GoalState::Abandoned
    );
}

#[test]
fn goals_exist_once() {
    let goal = a_goal();
    assert_eq!(
        decide(
            Some(&goal),
            GoalCommand::SetGoal(new_goal(Horizon::Long, None)),
            &context()
        ),
        Err(GoalError::AlreadyExists)
    );
    assert_eq!(
        decide(None, GoalCommand::AchieveGoal { reason: None }, &context()),
        Err(GoalError::NotFound)
    );
}

#[test]
fn goal_events_round_trip() {
    let events = set_followers_goal(Aim::Reach(1100.0));
    let revised = GoalEvent::GoalRevised {
        title: None,
        description: Some(None),
        due_on: Some(day("2026-12-01")),
        target: None,
    };
    for event in events.into_iter().chain([revised]) {
        let back = GoalEvent::decode(event.event_type(), 1, event.encode().unwrap()).unwrap();
        assert_eq!(back, event);
    }
}

#[test]
fn an_owner_is_one_of_the_team_and_handing_a_goal_over_is_no_revision() {
    let mut new = new_goal(Horizon::Long, None);
    new.owner_id = Some(MEMBER);
    let events = set(new.clone(), &context()).unwrap();
    assert_eq!(
        events.last(),
        Some(&GoalEvent::GoalOwnerChanged {
            owner_id: Some(MEMBER)
        })
    );
    let goal = events.iter().fold(None, apply).unwrap();
    assert_eq!((goal.owner_id, goal.revisions), (Some(MEMBER), 0));

    new.owner_id = Some(Uuid::from_u128(99));
    assert_eq!(field(set(new, &context())), "owner_id");

    let hand_over = |owner_id, context: &GoalContext| {
        decide(
            Some(&goal),
            GoalCommand::ReviseGoal(Revision {
                owner_id: Some(owner_id),
                ..Revision::default()
            }),
            context,
        )
    };
    assert_eq!(hand_over(Some(MEMBER), &context()), Ok(vec![]));
    let cleared = hand_over(None, &context()).unwrap();
    assert_eq!(
        cleared,
        vec![GoalEvent::GoalOwnerChanged { owner_id: None }]
    );
    let after = cleared.iter().fold(Some(goal.clone()), apply).unwrap();
    assert_eq!((after.owner_id, after.revisions), (None, 0));

    // The owner has left the team: a revision that keeps them passes, naming them anew does not.
    let departed = GoalContext {
        members: BTreeSet::new(),
        ..context()
    };
    let retitled = decide(
        Some(&goal),
        GoalCommand::ReviseGoal(Revision {
            title: Some("Grow".into()),
            owner_id: Some(Some(MEMBER)),
            ..Revision::default()
        }),
        &departed,
    )
    .unwrap();
    assert!(matches!(
        retitled.as_slice(),
        [GoalEvent::GoalRevised { .. }]
    ));
    let mut other = goal.clone();
    other.owner_id = None;
    assert_eq!(
        field(decide(
            Some(&other),
            GoalCommand::ReviseGoal(Revision {
                owner_id: Some(Some(MEMBER)),
                ..Revision::default()
            }),
            &departed,
        )),
        "owner_id"
    );
}
