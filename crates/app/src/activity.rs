//! The activity feed's sentences: "Olivia published 'Poll time' on Instagram". Names of
//! people are looked up when the feed is read, so an erased name is gone from it too.

use chrono::{DateTime, Utc};
pub use stride_storage::board::Names;
use stride_storage::projections::activity::ActivityRow;
use uuid::Uuid;

use crate::{App, AppError};

/// One line of the feed and its sentence.
#[derive(Debug, Clone)]
pub struct Line {
    pub row: ActivityRow,
    pub text: String,
}

/// The team's feed, newest first, `limit` lines before position `before` when given.
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn feed(
    app: &App,
    team_id: Uuid,
    before: Option<i64>,
    known_at: Option<DateTime<Utc>>,
    limit: usize,
) -> Result<Vec<Line>, AppError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = app
        .store
        .read_models()
        .activity(team_id, before, known_at, limit)
        .await?;
    let names: Names = app.store.directory().names(team_id).await?;
    Ok(rows
        .into_iter()
        .map(|row| Line {
            text: sentence(&row, &names),
            row,
        })
        .collect())
}

fn who(names: &Names, id: Option<Uuid>) -> String {
    id.and_then(|id| names.get(&id).cloned().flatten())
        .unwrap_or_else(|| "Someone".to_owned())
}

/// The member a line's details name, by name ("Someone" once erased); `None` for no one.
fn named(names: &Names, details: &serde_json::Value) -> Option<String> {
    let id = text(details, "member_id")?.parse().ok()?;
    Some(who(names, Some(id)))
}

fn text(details: &serde_json::Value, key: &str) -> Option<String> {
    details.get(key).and_then(|v| v.as_str()).map(str::to_owned)
}

fn with_reason(sentence: String, details: &serde_json::Value) -> String {
    match text(details, "reason") {
        Some(reason) => format!("{sentence}: {reason}"),
        None => sentence,
    }
}

/// The sentence for one line of the feed.
pub fn sentence(row: &ActivityRow, names: &Names) -> String {
    let actor = who(names, row.actor_id);
    let subject = who(names, Some(row.subject_id));
    let label = row.label.clone().unwrap_or_else(|| "something".to_owned());
    let quoted = format!("'{label}'");
    let channel = row
        .channel_label
        .clone()
        .unwrap_or_else(|| "a channel".to_owned());
    let d = &row.details;
    match row.kind.as_str() {
        "TeamCreated" => format!("The team {label} was created"),
        "TeamRenamed" => format!("{actor} renamed the team to {label}"),
        "TeamSettingsChanged" => format!("{actor} changed the team's settings"),
        "MemberAdded" if row.actor_id.is_none() => format!(
            "{subject} joined as {}",
            text(d, "role").unwrap_or_default()
        ),
        "MemberAdded" => format!(
            "{actor} added {subject} as {}",
            text(d, "role").unwrap_or_default()
        ),
        "MemberRoleChanged" => format!(
            "{actor} made {subject} {}",
            text(d, "role").unwrap_or_default()
        ),
        "MemberRemoved" => format!("{actor} removed {subject} from the team"),
        "MemberInvited" => format!(
            "{actor} invited someone to join as {}",
            text(d, "role").unwrap_or_default()
        ),
        "InvitationRevoked" => format!("{actor} revoked an invitation"),
        "TeamSsoChanged" => match text(d, "issuer") {
            Some(issuer) => format!("{actor} set up sign-in through {issuer}"),
            None => format!("{actor} turned off sign-in through a provider"),
        },
        "ChannelAdded" => format!(
            "{actor} added {label} ({})",
            text(d, "handle").unwrap_or_default()
        ),
        "ChannelStatusChanged" => {
            let verb = match text(d, "status").as_deref() {
                Some("paused") => "paused",
                Some("retired") => "retired",
                _ => "reactivated",
            };
            with_reason(format!("{actor} {verb} {label}"), d)
        }
        "GoalSet" => format!("{actor} set the goal {quoted}"),
        "GoalRevised" => format!("{actor} revised the goal {quoted}"),
        "GoalAchieved" => with_reason(format!("{actor} marked the goal {quoted} achieved"), d),
        "GoalAbandoned" => with_reason(format!("{actor} abandoned the goal {quoted}"), d),
        "GoalOwnerChanged" => match named(names, d) {
            Some(owner) => format!("{actor} gave the goal {quoted} to {owner}"),
            None => format!("{actor} left the goal {quoted} without an owner"),
        },
        "PostDrafted" => format!("{actor} drafted {quoted} for {channel}"),
        "PostEdited" => format!("{actor} edited {quoted}"),
        "PostScheduled" if d.get("scheduled_for").is_none_or(|v| v.is_null()) => {
            format!("{actor} took {quoted} off the schedule")
        }
        "PostScheduled" => format!("{actor} scheduled {quoted} on {channel}"),
        "PostSubmittedForReview" => format!("{actor} submitted {quoted} for review"),
        "PostApproved" => format!("{actor} approved {quoted}"),
        "PostChangesRequested" => format!("{actor} asked for changes to {quoted}"),
        "PostPublished" => format!("{actor} published {quoted} on {channel}"),
        "PostArchived" => format!("{actor} archived {quoted}"),
        "PostAssigneeChanged" => match named(names, d) {
            Some(assignee) => format!("{actor} assigned {quoted} to {assignee}"),
            None => format!("{actor} left {quoted} unassigned"),
        },
        "IdeaSubmitted" => format!("{actor} suggested {quoted}"),
        "IdeaCommented" => format!("{actor} commented on {quoted}"),
        "IdeaStatusChanged" => with_reason(
            format!(
                "{actor} moved {quoted} to {}",
                text(d, "status").unwrap_or_default().replace('_', " ")
            ),
            d,
        ),
        "IdeaMerged" => format!("{actor} merged {quoted} into a similar idea"),
        "IdeaUnmerged" => format!("{actor} split {quoted} from the idea it was merged into"),
        "IdeaUsed" => format!("{quoted} was turned into a published post"),
        "ExperimentStarted" => format!("{actor} started the experiment {quoted}"),
        "ExperimentRevised" => format!("{actor} revised the experiment {quoted}"),
        "ExperimentConcluded" => {
            let verdict = match text(d, "decision").as_deref() {
                Some("adopt") => "adopting the change",
                _ => "dropping the change",
            };
            with_reason(
                format!("{actor} concluded the experiment {quoted}, {verdict}"),
                d,
            )
        }
        other => format!("{actor}: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(
        kind: &str,
        actor: Option<u128>,
        label: Option<&str>,
        channel: Option<&str>,
        details: serde_json::Value,
    ) -> ActivityRow {
        ActivityRow {
            position: 1,
            kind: kind.into(),
            actor_id: actor.map(Uuid::from_u128),
            subject_id: Uuid::from_u128(9),
            details,
            at: chrono::DateTime::UNIX_EPOCH,
            label: label.map(Into::into),
            channel_label: channel.map(Into::into),
        }
    }

    #[test]
    fn lines_read_as_sentences() {
        let names: Names = [
            (Uuid::from_u128(1), Some("Olivia".to_owned())),
            (Uuid::from_u128(9), Some("Ben".to_owned())),
            (Uuid::from_u128(2), None),
        ]
        .into();
        let cases = [
            (
                row(
                    "PostPublished",
                    Some(1),
                    Some("Poll time"),
                    Some("Instagram"),
                    json!({}),
                ),
                "Olivia published 'Poll time' on Instagram",
            ),
            (
                row(
                    "MemberAdded",
                    Some(1),
                    None,
                    None,
                    json!({ "role": "member" }),
                ),
                "Olivia added Ben as member",
            ),
            (
                row("MemberAdded", None, None, None, json!({ "role": "owner" })),
                "Ben joined as owner",
            ),
            (
                row(
                    "ChannelStatusChanged",
                    Some(1),
                    Some("TikTok"),
                    None,
                    json!({ "status": "retired", "reason": "no traction" }),
                ),
                "Olivia retired TikTok: no traction",
            ),
            (
                row("IdeaSubmitted", Some(2), Some("Latte art"), None, json!({})),
                "Someone suggested 'Latte art'",
            ),
            (
                row(
                    "PostScheduled",
                    Some(1),
                    Some("Poll"),
                    Some("the blog"),
                    json!({ "scheduled_for": null }),
                ),
                "Olivia took 'Poll' off the schedule",
            ),
            (
                row(
                    "IdeaStatusChanged",
                    Some(1),
                    Some("Latte art"),
                    None,
                    json!({ "status": "under_review" }),
                ),
                "Olivia moved 'Latte art' to under review",
            ),
        ];
        for (row, expected) in cases {
            assert_eq!(sentence(&row, &names), expected);
        }
    }
}
