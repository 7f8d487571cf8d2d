//! Given/when/then tests of the idea aggregate.

use super::*;

const IDEA: Uuid = Uuid::from_u128(1);
const OTHER: Uuid = Uuid::from_u128(2);
const CHANNEL: Uuid = Uuid::from_u128(3);
const FAN: Author = Author::Contributor {
    contributor_id: Uuid::from_u128(4),
};
const MEMBER: Uuid = Uuid::from_u128(5);

fn context() -> IdeaContext {
    IdeaContext {
        channels: BTreeSet::from([CHANNEL]),
        accepting_ideas: true,
        target: None,
    }
}

fn new_idea(author: Author) -> NewIdea {
    NewIdea {
        idea_id: IDEA,
        title: "  Behind the roast  ".into(),
        body: Some("A video of the roasting day".into()),
        tags: vec!["Video".into(), "video".into(), "bts".into()],
        channel_ids: vec![],
        author,
    }
}

fn an_idea() -> Idea {
    decide(None, IdeaCommand::Submit(new_idea(FAN)), &context())
        .unwrap()
        .iter()
        .fold(None, apply)
        .unwrap()
}

fn then(idea: &Idea, command: IdeaCommand, context: &IdeaContext) -> Result<Idea, IdeaError> {
    Ok(decide(Some(idea), command, context)?
        .iter()
        .fold(Some(idea.clone()), apply)
        .unwrap())
}

fn field(result: Result<Vec<IdeaEvent>, IdeaError>) -> &'static str {
    match result {
        Err(IdeaError::Invalid(Invalid { field, .. })) => field,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_submitted_idea_is_open_with_trimmed_title_and_tags_once() {
    let idea = an_idea();
    assert_eq!(
        (idea.title.as_str(), idea.status, idea.tags.clone()),
        (
            "Behind the roast",
            IdeaStatus::Open,
            vec!["video".to_owned(), "bts".to_owned()]
        )
    );
}

#[test]
fn a_closed_board_takes_no_community_ideas_but_members_may_still_add_theirs() {
    let closed = IdeaContext {
        accepting_ideas: false,
        ..context()
    };
    assert_eq!(
        decide(None, IdeaCommand::Submit(new_idea(FAN)), &closed),
        Err(IdeaError::BoardClosed)
    );
    assert!(
        decide(
            None,
            IdeaCommand::Submit(new_idea(Author::Member { member_id: MEMBER })),
            &closed
        )
        .is_ok()
    );
}

#[test]
fn ideas_are_checked_by_field() {
    let with = |change: fn(&mut NewIdea)| {
        let mut new = new_idea(FAN);
        change(&mut new);
        field(decide(None, IdeaCommand::Submit(new), &context()))
    };
    assert_eq!(with(|n| n.title = " ".into()), "title");
    assert_eq!(with(|n| n.title = "t".repeat(TITLE_MAX + 1)), "title");
    assert_eq!(with(|n| n.title = "bell\u{7}".into()), "title");
    assert_eq!(with(|n| n.body = Some("b".repeat(BODY_MAX + 1))), "body");
    assert_eq!(with(|n| n.tags = vec!["no spaces".into()]), "tags");
    assert_eq!(
        with(|n| n.tags = (0..=TAGS_MAX).map(|i| format!("t{i}")).collect()),
        "tags"
    );
    assert_eq!(
        with(|n| n.channel_ids = vec![Uuid::from_u128(9)]),
        "channel_ids"
    );
}

#[test]
fn html_is_kept_as_text() {
    let mut new = new_idea(FAN);
    new.title = "<script>alert(1)</script>".into();
    let idea = decide(None, IdeaCommand::Submit(new), &context())
        .unwrap()
        .iter()
        .fold(None, apply)
        .unwrap();
    assert_eq!(idea.title, "<script>alert(1)</script>");
}

#[test]
fn moderation_changes_status_with_a_reason_and_repeats_nothing() {
    let idea = an_idea();
    let planned = then(
        &idea,
        IdeaCommand::ChangeStatus {
            status: IdeaStatus::Planned,
            reason: Some("for December".into()),
            by: MEMBER,
        },
        &context(),
    )
    .unwrap();
    assert_eq!(planned.status, IdeaStatus::Planned);
    assert_eq!(
        decide(
            Some(&planned),
            IdeaCommand::ChangeStatus {
                status: IdeaStatus::Planned,
                reason: None,
                by: MEMBER
            },
            &context()
        ),
        Ok(vec![])
    );
    assert_eq!(
        field(decide(
            Some(&planned),
            IdeaCommand::ChangeStatus {
                status: IdeaStatus::Used,
                reason: None,
                by: MEMBER
            },
            &context()
        )),
        "status"
    );
    let used = then(
        &planned,
        IdeaCommand::MarkUsed { post_id: OTHER },
        &context(),
    )
    .unwrap();
    assert_eq!(used.status, IdeaStatus::Used);
    assert_eq!(
        decide(
            Some(&used),
            IdeaCommand::ChangeStatus {
                status: IdeaStatus::Declined,
                reason: None,
                by: MEMBER
            },
            &context()
        ),
        Err(IdeaError::AlreadyUsed)
    );
    assert_eq!(
        decide(
            Some(&used),
            IdeaCommand::MarkUsed { post_id: OTHER },
            &context()
        ),
        Ok(vec![]),
        "the same post marks it once"
    );
}

#[test]
fn merging_needs_another_unmerged_idea_of_the_team_and_unmerging_undoes_it() {
    let idea = an_idea();
    let mut target = an_idea();
    target.id = OTHER;
    assert_eq!(
        field(decide(
            Some(&idea),
            IdeaCommand::MergeInto { target: IDEA },
            &context()
        )),
        "into"
    );
    assert_eq!(
        field(decide(
            Some(&idea),
            IdeaCommand::MergeInto { target: OTHER },
            &context()
        )),
        "into",
        "unknown target"
    );
    let merged_target = IdeaContext {
        target: Some(Idea {
            merged_into: Some(Uuid::from_u128(7)),
            ..target.clone()
        }),
        ..context()
    };
    assert_eq!(
        field(decide(
            Some(&idea),
            IdeaCommand::MergeInto { target: OTHER },
            &merged_target
        )),
        "into"
    );

    let with_target = IdeaContext {
        target: Some(target),
        ..context()
    };
    let merged = then(
        &idea,
        IdeaCommand::MergeInto { target: OTHER },
        &with_target,
    )
    .unwrap();
    assert_eq!(merged.merged_into, Some(OTHER));
    let comment = IdeaCommand::Comment {
        comment_id: Uuid::from_u128(8),
        body: "+1".into(),
        author: FAN,
    };
    assert_eq!(
        decide(Some(&merged), comment.clone(), &context()),
        Err(IdeaError::Merged(OTHER))
    );
    assert_eq!(
        decide(
            Some(&merged),
            IdeaCommand::MergeInto { target: OTHER },
            &with_target
        ),
        Err(IdeaError::Merged(OTHER))
    );
    let unmerged = then(&merged, IdeaCommand::Unmerge, &context()).unwrap();
    assert_eq!(unmerged, idea, "exactly as before the merge");
    assert_eq!(
        decide(Some(&unmerged), IdeaCommand::Unmerge, &context()),
        Err(IdeaError::NotMerged)
    );
    assert_eq!(then(&unmerged, comment, &context()).unwrap().comments, 1);
}

#[test]
fn comments_are_text_of_bounded_length() {
    let idea = an_idea();
    let comment = |body: &str| IdeaCommand::Comment {
        comment_id: Uuid::from_u128(8),
        body: body.into(),
        author: FAN,
    };
    assert_eq!(
        field(decide(Some(&idea), comment("  "), &context())),
        "body"
    );
    assert_eq!(
        field(decide(
            Some(&idea),
            comment(&"c".repeat(BODY_MAX + 1)),
            &context()
        )),
        "body"
    );
    assert_eq!(
        then(&idea, comment("Yes please\nwith music"), &context())
            .unwrap()
            .comments,
        1
    );
}
