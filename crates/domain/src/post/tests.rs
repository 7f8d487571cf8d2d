//! Given/when/then tests of the post aggregate.

use super::*;
use crate::EventPayload;

const POST: Uuid = Uuid::from_u128(1);
const CHANNEL: Uuid = Uuid::from_u128(2);
const GOAL: Uuid = Uuid::from_u128(3);
const MEMBER: Uuid = Uuid::from_u128(4);

fn now() -> DateTime<Utc> {
    "2026-11-22T10:00:00Z".parse().unwrap()
}

fn context(require_approval: bool, may_approve: bool) -> PostContext {
    PostContext {
        now: now(),
        require_approval,
        may_approve,
        channels: BTreeSet::from([CHANNEL]),
        goals: BTreeSet::from([GOAL]),
        members: BTreeSet::from([MEMBER]),
    }
}

fn new_post(scheduled_for: Option<DateTime<Utc>>) -> NewPost {
    NewPost {
        post_id: POST,
        channel_id: CHANNEL,
        title: " Poll time ".into(),
        body: Some("Which roast?".into()),
        idea_id: None,
        goal_ids: vec![GOAL, GOAL],
        scheduled_for,
        assignee_id: None,
    }
}

fn given(events: &[PostEvent]) -> Post {
    events.iter().fold(None, apply).unwrap()
}

fn when(post: &Post, command: PostCommand, context: &PostContext) -> Result<Post, PostError> {
    let events = decide(Some(post), command, context)?;
    Ok(events.iter().fold(Some(post.clone()), apply).unwrap())
}

fn draft(context: &PostContext) -> Post {
    given(&decide(None, PostCommand::DraftPost(new_post(None)), context).unwrap())
}

fn tomorrow() -> DateTime<Utc> {
    now() + Duration::days(1)
}

fn publish() -> PostCommand {
    PostCommand::Publish {
        published_at: None,
        url: None,
    }
}

fn schedule(at: Option<DateTime<Utc>>) -> PostCommand {
    PostCommand::EditPost(PostEdit {
        scheduled_for: Some(at),
        ..Default::default()
    })
}

#[test]
fn a_draft_is_trimmed_and_its_goals_counted_once() {
    let post = draft(&context(false, false));
    assert_eq!(
        (post.status, post.title.as_str(), post.goal_ids.clone()),
        (PostStatus::Draft, "Poll time", vec![GOAL])
    );
}

#[test]
fn a_post_with_a_time_is_scheduled_at_once() {
    let events = decide(
        None,
        PostCommand::DraftPost(new_post(Some(tomorrow()))),
        &context(false, false),
    )
    .unwrap();
    let post = given(&events);
    assert_eq!(
        (post.status, post.scheduled_for),
        (PostStatus::Scheduled, Some(tomorrow()))
    );
    let past = decide(
        None,
        PostCommand::DraftPost(new_post(Some(now() - Duration::hours(1)))),
        &context(false, false),
    );
    assert!(matches!(
        past,
        Err(PostError::Invalid(Invalid {
            field: "scheduled_for",
            ..
        }))
    ));
}

#[test]
fn drafts_are_checked_by_field() {
    let field =
        |new: NewPost| match decide(None, PostCommand::DraftPost(new), &context(false, false)) {
            Err(PostError::Invalid(Invalid { field, .. })) => field,
            other => panic!("{other:?}"),
        };
    assert_eq!(
        field(NewPost {
            title: "".into(),
            ..new_post(None)
        }),
        "title"
    );
    assert_eq!(
        field(NewPost {
            title: "t".repeat(TITLE_MAX + 1),
            ..new_post(None)
        }),
        "title"
    );
    assert_eq!(
        field(NewPost {
            body: Some("b".repeat(BODY_MAX + 1)),
            ..new_post(None)
        }),
        "body"
    );
    assert_eq!(
        field(NewPost {
            channel_id: Uuid::from_u128(9),
            ..new_post(None)
        }),
        "channel_id"
    );
    assert_eq!(
        field(NewPost {
            goal_ids: vec![Uuid::from_u128(9)],
            ..new_post(None)
        }),
        "goal_ids"
    );
}

#[test]
fn without_approval_a_draft_is_scheduled_and_published_directly() {
    let ctx = context(false, false);
    let scheduled = when(&draft(&ctx), schedule(Some(tomorrow())), &ctx).unwrap();
    assert_eq!(scheduled.status, PostStatus::Scheduled);
    let unscheduled = when(&scheduled, schedule(None), &ctx).unwrap();
    assert_eq!(
        (unscheduled.status, unscheduled.scheduled_for),
        (PostStatus::Draft, None)
    );
    let published = when(
        &scheduled,
        PostCommand::Publish {
            published_at: Some(now() - Duration::days(30)),
            url: Some("https://instagram.com/p/1".into()),
        },
        &ctx,
    )
    .unwrap();
    assert_eq!(
        (published.status, published.published_at),
        (PostStatus::Published, Some(now() - Duration::days(30))),
        "teams log what they already posted"
    );
}

#[test]
fn with_approval_nothing_unapproved_is_scheduled_or_published() {
    let ctx = context(true, false);
    assert_eq!(
        decide(
            None,
            PostCommand::DraftPost(new_post(Some(tomorrow()))),
            &ctx
        ),
        Err(PostError::ApprovalRequired)
    );
    let post = draft(&ctx);
    assert_eq!(
        when(&post, publish(), &ctx),
        Err(PostError::ApprovalRequired)
    );
    assert_eq!(
        when(&post, schedule(Some(tomorrow())), &ctx),
        Err(PostError::ApprovalRequired)
    );
    let in_review = when(&post, PostCommand::SubmitForReview, &ctx).unwrap();
    assert_eq!(in_review.status, PostStatus::InReview);
    assert_eq!(
        when(&in_review, publish(), &ctx),
        Err(PostError::InvalidTransition {
            action: "published",
            status: "in_review"
        })
    );
    assert_eq!(
        when(&in_review, PostCommand::Approve, &ctx),
        Err(PostError::Forbidden),
        "a member cannot approve"
    );

    let admin = context(true, true);
    let approved = when(&in_review, PostCommand::Approve, &admin).unwrap();
    assert_eq!(
        (approved.status, approved.approved),
        (PostStatus::Approved, true)
    );
    let scheduled = when(&approved, schedule(Some(tomorrow())), &ctx).unwrap();
    assert_eq!(scheduled.status, PostStatus::Scheduled);
    assert_eq!(
        when(&scheduled, publish(), &ctx).unwrap().status,
        PostStatus::Published
    );
}

#[test]
fn changed_content_needs_approval_again_and_leaves_the_schedule() {
    let (ctx, admin) = (context(true, false), context(true, true));
    let post = draft(&ctx);
    let in_review = when(&post, PostCommand::SubmitForReview, &ctx).unwrap();
    let approved = when(&in_review, PostCommand::Approve, &admin).unwrap();
    let scheduled = when(&approved, schedule(Some(tomorrow())), &ctx).unwrap();
    let edit = PostCommand::EditPost(PostEdit {
        title: Some("Poll time!".into()),
        ..Default::default()
    });
    let edited = when(&scheduled, edit.clone(), &ctx).unwrap();
    assert_eq!(
        (edited.status, edited.approved, edited.scheduled_for),
        (PostStatus::Draft, false, None)
    );
    assert_eq!(
        when(&edited, publish(), &ctx),
        Err(PostError::ApprovalRequired)
    );
    let goals_only = PostCommand::EditPost(PostEdit {
        goal_ids: Some(vec![]),
        ..Default::default()
    });
    assert_eq!(
        when(&scheduled, goals_only, &ctx).unwrap().status,
        PostStatus::Scheduled,
        "linking goals is not content"
    );
    let edit_and_reschedule = PostCommand::EditPost(PostEdit {
        title: Some("New".into()),
        scheduled_for: Some(Some(tomorrow() + Duration::days(1))),
        ..Default::default()
    });
    assert_eq!(
        when(&scheduled, edit_and_reschedule, &ctx),
        Err(PostError::ApprovalRequired)
    );
}

#[test]
fn review_can_send_a_post_back_with_a_comment() {
    let (ctx, admin) = (context(true, false), context(true, true));
    let in_review = when(&draft(&ctx), PostCommand::SubmitForReview, &ctx).unwrap();
    assert_eq!(
        when(
            &in_review,
            PostCommand::RequestChanges {
                comment: "Add a photo".into()
            },
            &ctx
        ),
        Err(PostError::Forbidden)
    );
    let back = when(
        &in_review,
        PostCommand::RequestChanges {
            comment: "Add a photo".into(),
        },
        &admin,
    )
    .unwrap();
    assert_eq!(back.status, PostStatus::Draft);
    assert!(matches!(
        when(
            &in_review,
            PostCommand::RequestChanges {
                comment: " ".into()
            },
            &admin
        ),
        Err(PostError::Invalid(Invalid {
            field: "comment",
            ..
        }))
    ));
    assert_eq!(
        when(&back, PostCommand::Approve, &admin),
        Err(PostError::InvalidTransition {
            action: "approved",
            status: "draft"
        })
    );
}

#[test]
fn published_and_archived_posts_refuse_what_no_longer_applies() {
    let ctx = context(false, true);
    let published = when(&draft(&ctx), publish(), &ctx).unwrap();
    let edit = PostCommand::EditPost(PostEdit {
        title: Some("x".into()),
        ..Default::default()
    });
    let archived = when(&published, PostCommand::Archive, &ctx).unwrap();
    assert_eq!(archived.status, PostStatus::Archived);
    for (post, command, action, status) in [
        (&published, edit.clone(), "edited", "published"),
        (&published, publish(), "published", "published"),
        (
            &published,
            PostCommand::SubmitForReview,
            "submitted for review",
            "published",
        ),
        (&archived, PostCommand::Archive, "archived", "archived"),
        (&archived, edit, "edited", "archived"),
    ] {
        assert_eq!(
            when(post, command, &ctx),
            Err(PostError::InvalidTransition { action, status }),
            "{action} when {status}"
        );
    }
}

#[test]
fn publishing_checks_its_time_and_url() {
    let ctx = context(false, false);
    let post = draft(&ctx);
    let future = PostCommand::Publish {
        published_at: Some(now() + Duration::hours(1)),
        url: None,
    };
    assert!(matches!(
        when(&post, future, &ctx),
        Err(PostError::Invalid(Invalid {
            field: "published_at",
            ..
        }))
    ));
    let bad_url = PostCommand::Publish {
        published_at: None,
        url: Some("javascript:alert(1)".into()),
    };
    assert!(matches!(
        when(&post, bad_url, &ctx),
        Err(PostError::Invalid(Invalid { field: "url", .. }))
    ));
    assert_eq!(
        when(&post, publish(), &ctx).unwrap().published_at,
        Some(now())
    );
}

#[test]
fn post_events_round_trip() {
    let events = vec![
        PostEvent::PostEdited {
            title: None,
            body: Some(None),
            goal_ids: Some(vec![GOAL]),
        },
        PostEvent::PostScheduled {
            scheduled_for: None,
        },
        PostEvent::PostSubmittedForReview {},
        PostEvent::PostPublished {
            published_at: now(),
            url: Some("https://x.test/1".into()),
        },
    ];
    for event in events {
        assert_eq!(
            PostEvent::decode(event.event_type(), 1, event.encode().unwrap()).unwrap(),
            event
        );
    }
}

#[test]
fn an_assignee_is_one_of_the_team_and_assigning_keeps_the_approval() {
    let context = context(true, true);
    let mut new = new_post(None);
    new.assignee_id = Some(MEMBER);
    let events = decide(None, PostCommand::DraftPost(new.clone()), &context).unwrap();
    assert_eq!(
        events.last(),
        Some(&PostEvent::PostAssigneeChanged {
            assignee_id: Some(MEMBER)
        })
    );
    new.assignee_id = Some(Uuid::from_u128(99));
    assert!(matches!(
        decide(None, PostCommand::DraftPost(new), &context),
        Err(PostError::Invalid(Invalid {
            field: "assignee_id",
            ..
        }))
    ));

    let reviewed = when(&draft(&context), PostCommand::SubmitForReview, &context).unwrap();
    let approved = when(&reviewed, PostCommand::Approve, &context).unwrap();
    let assign = |assignee_id| {
        PostCommand::EditPost(PostEdit {
            assignee_id: Some(assignee_id),
            ..PostEdit::default()
        })
    };
    let assigned = when(&approved, assign(Some(MEMBER)), &context).unwrap();
    assert_eq!(
        (assigned.assignee_id, assigned.status, assigned.approved),
        (Some(MEMBER), PostStatus::Approved, true)
    );
    let unassigned = when(&assigned, assign(None), &context).unwrap();
    assert_eq!(unassigned.assignee_id, None);

    let published = when(&assigned, publish(), &context).unwrap();
    assert!(matches!(
        decide(Some(&published), assign(None), &context),
        Err(PostError::InvalidTransition { .. })
    ));
}
