//! The activity feed projection: a row for each event worth a line in a team's feed, plus
//! the titles and handles the lines name things by. Votes and metric observations are too
//! many to be lines of their own and are left out.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Transaction};
use serde_json::{Value, json};
use stride_domain::channel::ChannelEvent;
use stride_domain::experiment::ExperimentEvent;
use stride_domain::goal::GoalEvent;
use stride_domain::idea::{Author, IdeaEvent};
use stride_domain::post::PostEvent;
use stride_domain::team::TeamEvent;
use stride_domain::{Actor, EventPayload};
use uuid::Uuid;

use crate::events::StoredEvent;
use crate::projector::Projection;

#[derive(Debug, Clone, Copy, Default)]
pub struct Activity;

const INSERT: &str = "INSERT INTO activity (team_id, position, kind, actor_id, subject_id, details, at) \
     SELECT * FROM unnest($1::uuid[], $2::int8[], $3::text[], $4::uuid[], $5::uuid[], $6::jsonb[], $7::timestamptz[]) \
     ON CONFLICT DO NOTHING";
const LABEL: &str = "INSERT INTO activity_subjects (team_id, subject_id, label, channel_id) \
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[]) \
     ON CONFLICT (team_id, subject_id) DO UPDATE SET label = excluded.label, channel_id = coalesce(excluded.channel_id, activity_subjects.channel_id)";

/// A line: its kind, the subject it is about, details to render it, and maybe a new label.
struct Line {
    kind: &'static str,
    subject: Uuid,
    details: Value,
    label: Option<(String, Option<Uuid>)>,
}

fn line(kind: &'static str, subject: Uuid, details: Value) -> Option<Line> {
    Some(Line {
        kind,
        subject,
        details,
        label: None,
    })
}

fn labelled(
    kind: &'static str,
    subject: Uuid,
    details: Value,
    label: String,
    channel: Option<Uuid>,
) -> Option<Line> {
    Some(Line {
        kind,
        subject,
        details,
        label: Some((label, channel)),
    })
}

fn describe(event: &StoredEvent) -> Option<Line> {
    let stream = event.stream_id;
    match event.stream_type.as_str() {
        t if t == TeamEvent::STREAM_TYPE => {
            match event.decode::<TeamEvent>().map(|e| e.event).ok()? {
                TeamEvent::TeamCreated { name, .. } => {
                    labelled("TeamCreated", stream, json!({ "name": name }), name, None)
                }
                TeamEvent::TeamRenamed { name } => {
                    labelled("TeamRenamed", stream, json!({ "name": name }), name, None)
                }
                TeamEvent::TeamSettingsChanged { .. } => {
                    line("TeamSettingsChanged", stream, event.data.clone())
                }
                TeamEvent::MemberAdded { member_id, role } => {
                    line("MemberAdded", member_id, json!({ "role": role }))
                }
                TeamEvent::MemberRoleChanged { member_id, to, .. } => {
                    line("MemberRoleChanged", member_id, json!({ "role": to }))
                }
                TeamEvent::MemberRemoved { member_id } => {
                    line("MemberRemoved", member_id, json!({}))
                }
                TeamEvent::MemberInvited {
                    invitation_id,
                    role,
                    ..
                } => line("MemberInvited", invitation_id, json!({ "role": role })),
                TeamEvent::InvitationRevoked { invitation_id } => {
                    line("InvitationRevoked", invitation_id, json!({}))
                }
                // The `MemberAdded` that follows it says who joined.
                TeamEvent::InvitationAccepted { .. } => None,
                TeamEvent::TeamSsoChanged { sso } => line(
                    "TeamSsoChanged",
                    stream,
                    json!({ "issuer": sso.map(|s| s.issuer) }),
                ),
            }
        }
        t if t == ChannelEvent::STREAM_TYPE => {
            match event.decode::<ChannelEvent>().map(|e| e.event).ok()? {
                ChannelEvent::ChannelAdded {
                    platform, handle, ..
                } => labelled(
                    "ChannelAdded",
                    stream,
                    json!({ "handle": handle }),
                    platform.display().to_owned(),
                    None,
                ),
                ChannelEvent::ChannelStatusChanged { to, reason, .. } => line(
                    "ChannelStatusChanged",
                    stream,
                    json!({ "status": to, "reason": reason }),
                ),
            }
        }
        t if t == GoalEvent::STREAM_TYPE => {
            match event.decode::<GoalEvent>().map(|e| e.event).ok()? {
                GoalEvent::GoalSet { title, .. } => {
                    labelled("GoalSet", stream, json!({}), title, None)
                }
                GoalEvent::GoalRevised {
                    title: Some(title), ..
                } => labelled("GoalRevised", stream, json!({}), title, None),
                GoalEvent::GoalRevised { .. } => line("GoalRevised", stream, json!({})),
                GoalEvent::GoalAchieved { reason } => {
                    line("GoalAchieved", stream, json!({ "reason": reason }))
                }
                GoalEvent::GoalAbandoned { reason } => {
                    line("GoalAbandoned", stream, json!({ "reason": reason }))
                }
                GoalEvent::GoalOwnerChanged { owner_id } => {
                    line("GoalOwnerChanged", stream, json!({ "member_id": owner_id }))
                }
            }
        }
        t if t == PostEvent::STREAM_TYPE => {
            match event.decode::<PostEvent>().map(|e| e.event).ok()? {
                PostEvent::PostDrafted {
                    title, channel_id, ..
                } => labelled("PostDrafted", stream, json!({}), title, Some(channel_id)),
                PostEvent::PostEdited {
                    title: Some(title), ..
                } => labelled("PostEdited", stream, json!({}), title, None),
                PostEvent::PostEdited { .. } => line("PostEdited", stream, json!({})),
                PostEvent::PostScheduled { scheduled_for } => line(
                    "PostScheduled",
                    stream,
                    json!({ "scheduled_for": scheduled_for }),
                ),
                PostEvent::PostSubmittedForReview {} => {
                    line("PostSubmittedForReview", stream, json!({}))
                }
                PostEvent::PostApproved {} => line("PostApproved", stream, json!({})),
                PostEvent::PostChangesRequested { comment } => line(
                    "PostChangesRequested",
                    stream,
                    json!({ "comment": comment }),
                ),
                PostEvent::PostPublished { published_at, url } => line(
                    "PostPublished",
                    stream,
                    json!({ "published_at": published_at, "url": url }),
                ),
                PostEvent::PostArchived {} => line("PostArchived", stream, json!({})),
                PostEvent::PostAssigneeChanged { assignee_id } => line(
                    "PostAssigneeChanged",
                    stream,
                    json!({ "member_id": assignee_id }),
                ),
            }
        }
        t if t == IdeaEvent::STREAM_TYPE => {
            match event.decode::<IdeaEvent>().map(|e| e.event).ok()? {
                IdeaEvent::IdeaSubmitted { title, author, .. } => labelled(
                    "IdeaSubmitted",
                    stream,
                    json!({ "author": author_id(author) }),
                    title,
                    None,
                ),
                IdeaEvent::IdeaCommented { author, .. } => line(
                    "IdeaCommented",
                    stream,
                    json!({ "author": author_id(author) }),
                ),
                IdeaEvent::IdeaStatusChanged { to, reason, .. } => line(
                    "IdeaStatusChanged",
                    stream,
                    json!({ "status": to, "reason": reason }),
                ),
                IdeaEvent::IdeaMerged { into } => {
                    line("IdeaMerged", stream, json!({ "into": into }))
                }
                IdeaEvent::IdeaUnmerged { from } => {
                    line("IdeaUnmerged", stream, json!({ "from": from }))
                }
                IdeaEvent::IdeaUsed { post_id } => {
                    line("IdeaUsed", stream, json!({ "post_id": post_id }))
                }
            }
        }
        t if t == ExperimentEvent::STREAM_TYPE => {
            match event.decode::<ExperimentEvent>().map(|e| e.event).ok()? {
                ExperimentEvent::ExperimentStarted { title, .. } => {
                    labelled("ExperimentStarted", stream, json!({}), title, None)
                }
                ExperimentEvent::ExperimentRevised { title, .. } => {
                    labelled("ExperimentRevised", stream, json!({}), title, None)
                }
                ExperimentEvent::ExperimentConcluded { decision, note } => line(
                    "ExperimentConcluded",
                    stream,
                    json!({ "decision": decision, "reason": note }),
                ),
            }
        }
        _ => None,
    }
}

fn author_id(author: Author) -> Uuid {
    match author {
        Author::Contributor { contributor_id } => contributor_id,
        Author::Member { member_id } => member_id,
    }
}

fn actor(metadata: &Value) -> Option<Uuid> {
    let actor: Actor = serde_json::from_value(metadata.get("actor")?.clone()).ok()?;
    match actor {
        Actor::Member { member_id } => Some(member_id),
        Actor::Contributor { contributor_id } => Some(contributor_id),
        Actor::Anonymous | Actor::System => None,
    }
}

/// A batch's lines and labels, in columns for one statement each.
#[derive(Default)]
struct Lines {
    team_id: Vec<Uuid>,
    position: Vec<i64>,
    kind: Vec<&'static str>,
    actor_id: Vec<Option<Uuid>>,
    subject_id: Vec<Uuid>,
    details: Vec<Value>,
    at: Vec<DateTime<Utc>>,
    /// Each subject's last label in the batch, and its last channel given.
    labels: BTreeMap<(Uuid, Uuid), (String, Option<Uuid>)>,
}

impl Lines {
    fn push(&mut self, event: &StoredEvent, line: Line) {
        if let Some((label, channel)) = line.label {
            let entry = self
                .labels
                .entry((event.team_id, line.subject))
                .or_insert_with(|| (String::new(), None));
            entry.0 = label;
            entry.1 = channel.or(entry.1);
        }
        self.team_id.push(event.team_id);
        self.position.push(event.position);
        self.kind.push(line.kind);
        self.actor_id.push(actor(&event.metadata));
        self.subject_id.push(line.subject);
        self.details.push(line.details);
        self.at.push(event.recorded_at);
    }

    async fn write(self, tx: &impl GenericClient) -> Result<(), tokio_postgres::Error> {
        if self.position.is_empty() {
            return Ok(());
        }
        let mut label_columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for ((team, subject), (label, channel)) in self.labels {
            label_columns.0.push(team);
            label_columns.1.push(subject);
            label_columns.2.push(label);
            label_columns.3.push(channel);
        }
        futures_util::future::try_join(
            tx.execute(
                LABEL,
                &[
                    &label_columns.0,
                    &label_columns.1,
                    &label_columns.2,
                    &label_columns.3,
                ],
            ),
            tx.execute(
                INSERT,
                &[
                    &self.team_id,
                    &self.position,
                    &self.kind,
                    &self.actor_id,
                    &self.subject_id,
                    &self.details,
                    &self.at,
                ],
            ),
        )
        .await?;
        Ok(())
    }
}

impl Projection for Activity {
    const NAME: &'static str = "activity";
    const TABLES: &'static [&'static str] = &["activity", "activity_subjects"];
    const STREAM_TYPES: &'static [&'static str] = &[
        TeamEvent::STREAM_TYPE,
        ChannelEvent::STREAM_TYPE,
        GoalEvent::STREAM_TYPE,
        PostEvent::STREAM_TYPE,
        IdeaEvent::STREAM_TYPE,
        ExperimentEvent::STREAM_TYPE,
    ];

    async fn apply<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        events: &'a [StoredEvent],
    ) -> Result<(), crate::StoreError> {
        let mut lines = Lines::default();
        for event in events {
            if let Some(line) = describe(event) {
                lines.push(event, line);
            }
        }
        Ok(lines.write(tx).await?)
    }
}

/// One line of a team's feed, as stored, with the labels it names things by.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRow {
    pub position: i64,
    pub kind: String,
    pub actor_id: Option<Uuid>,
    pub subject_id: Uuid,
    pub details: Value,
    pub at: DateTime<Utc>,
    pub label: Option<String>,
    pub channel_label: Option<String>,
}

crate::rows::from_columns!(ActivityRow {
    position,
    kind,
    actor_id,
    subject_id,
    details,
    at,
    label,
    channel_label,
});

const FEED: &str = "SELECT a.position, a.kind, a.actor_id, a.subject_id, a.details, a.at, s.label, c.label \
     FROM activity a \
     LEFT JOIN activity_subjects s ON s.team_id = a.team_id AND s.subject_id = a.subject_id \
     LEFT JOIN activity_subjects c ON c.team_id = a.team_id AND c.subject_id = s.channel_id \
     WHERE a.team_id = $1 AND a.position < coalesce($2::bigint, 9223372036854775807) \
     AND a.at <= coalesce($4::timestamptz, 'infinity') \
     ORDER BY a.position DESC LIMIT $3";

/// The newest line recorded by an instant (`activity_team_at`).
const NEWEST_BY: &str = "SELECT max(position) FROM activity WHERE team_id = $1 AND at <= $2";

impl crate::facts::ReadModels<'_> {
    /// The team's feed, newest first, before `before` (a position) when given, and as it
    /// stood at `known_at` when given: the lines of events recorded by then.
    pub async fn activity(
        self,
        team_id: Uuid,
        before: Option<i64>,
        known_at: Option<DateTime<Utc>>,
        limit: i64,
    ) -> Result<Vec<ActivityRow>, crate::StoreError> {
        self.store
            .projections()
            .check(team_id, &[Activity::NAME])
            .await?;
        let mut before = before;
        if let Some(known_at) = known_at {
            // Positions and recording times nearly agree: the scan starts at the newest line
            // recorded by then, and the query's own test on `at` keeps the answer exact.
            let newest: Vec<Option<i64>> = self
                .query_rows(NEWEST_BY, &[&team_id, &known_at], |row| row.try_get(0))
                .await?;
            let newest = newest.into_iter().next().flatten();
            let Some(newest) = newest else {
                return Ok(Vec::new());
            };
            before = Some(before.map_or(newest + 1, |b| b.min(newest + 1)));
        }
        self.query_rows(
            FEED,
            &[&team_id, &before, &limit, &known_at],
            ActivityRow::from_row,
        )
        .await
    }
}
