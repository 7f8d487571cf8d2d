//! The workload projection: who does the work. Each event that is a member's work is kept
//! with the member whose request made it and the day it counts for: a post published (on
//! the day of its publication, so imported history lands where it happened), a review done
//! (a post approved or sent back for changes), an idea handled (a status changed, a
//! duplicate merged or unmerged). Reads count a window's rows by member and day: their cost
//! is the window's work, not the log.

use chrono::NaiveDate;
use deadpool_postgres::{GenericClient, Transaction};
use stride_domain::idea::IdeaEvent;
use stride_domain::post::PostEvent;
use stride_domain::{Actor, EventPayload};
use uuid::Uuid;

use crate::StoreError;
use crate::events::StoredEvent;
use crate::projector::Projection;

#[derive(Debug, Clone, Copy, Default)]
pub struct Workload;

const ADD: &str = "INSERT INTO workload_events (team_id, position, member_id, day, kind) \
     SELECT * FROM unnest($1::uuid[], $2::int8[], $3::uuid[], $4::date[], $5::text[]) \
     ON CONFLICT DO NOTHING";
const DAYS: &str = "SELECT member_id, day, \
       (count(*) FILTER (WHERE kind = 'published'))::int4 AS published, \
       (count(*) FILTER (WHERE kind = 'review'))::int4 AS reviews, \
       (count(*) FILTER (WHERE kind = 'idea'))::int4 AS ideas \
     FROM workload_events WHERE team_id = $1 AND day >= $2 AND day <= $3 \
     GROUP BY day, member_id ORDER BY day, member_id";

/// One member's work on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkDay {
    pub member_id: Uuid,
    pub day: NaiveDate,
    pub published: i32,
    pub reviews: i32,
    pub ideas: i32,
}

crate::rows::from_columns!(WorkDay {
    member_id,
    day,
    published,
    reviews,
    ideas,
});

/// What an event counts as, if anything, and on which day.
fn counts(event: &StoredEvent) -> Result<Option<(NaiveDate, &'static str)>, StoreError> {
    let day = event.recorded_at.date_naive();
    Ok(if event.stream_type == PostEvent::STREAM_TYPE {
        match event.decode::<PostEvent>()?.event {
            PostEvent::PostPublished { published_at, .. } => {
                Some((published_at.date_naive(), "published"))
            }
            PostEvent::PostApproved {} | PostEvent::PostChangesRequested { .. } => {
                Some((day, "review"))
            }
            _ => None,
        }
    } else if event.stream_type == IdeaEvent::STREAM_TYPE {
        match event.decode::<IdeaEvent>()?.event {
            IdeaEvent::IdeaStatusChanged { .. }
            | IdeaEvent::IdeaMerged { .. }
            | IdeaEvent::IdeaUnmerged { .. } => Some((day, "idea")),
            _ => None,
        }
    } else {
        None
    })
}

/// The member whose request made the event.
fn member(event: &StoredEvent) -> Option<Uuid> {
    let actor: Actor = serde_json::from_value(event.metadata.get("actor")?.clone()).ok()?;
    match actor {
        Actor::Member { member_id } => Some(member_id),
        _ => None,
    }
}

impl Projection for Workload {
    const NAME: &'static str = "workload";
    const TABLES: &'static [&'static str] = &["workload_events"];
    const STREAM_TYPES: &'static [&'static str] = &[PostEvent::STREAM_TYPE, IdeaEvent::STREAM_TYPE];

    async fn apply<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        events: &'a [StoredEvent],
    ) -> Result<(), StoreError> {
        let mut rows = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for event in events {
            // Events of other streams count for nothing, and come without their metadata.
            let Some((day, kind)) = counts(event)? else {
                continue;
            };
            let Some(member_id) = member(event) else {
                continue;
            };
            rows.0.push(event.team_id);
            rows.1.push(event.position);
            rows.2.push(member_id);
            rows.3.push(day);
            rows.4.push(kind);
        }
        if !rows.0.is_empty() {
            tx.execute(ADD, &[&rows.0, &rows.1, &rows.2, &rows.3, &rows.4])
                .await?;
        }
        Ok(())
    }
}

impl crate::facts::ReadModels<'_> {
    /// Every member's work on each day from `from` to `to`, both included.
    pub async fn work_days(
        self,
        team_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<WorkDay>, StoreError> {
        self.store
            .projections()
            .check(team_id, &[Workload::NAME])
            .await?;
        self.query_rows(DAYS, &[&team_id, &from, &to], WorkDay::from_row)
            .await
    }
}
