//! Workload: who does the work, week by week (ISO weeks, the current one included), from the
//! workload projection: per member, posts published, reviews done and ideas handled; their
//! pace against their own 8 weeks before; their share of the team's published posts and
//! whether they carry the team; and the open goals and posts they own. Members who left stay
//! in the weeks they worked (and while they still own open work), under their name until it
//! is erased.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;
use stride_domain::post::PostStatus;
use stride_domain::progress::period_start;
use stride_domain::target::Period;
use stride_domain::team::Role;
use stride_domain::workload::{self, BASELINE_WEEKS, MemberPace};
use stride_storage::projections::aggregates::State;
use uuid::Uuid;

use crate::{App, AppError};

/// One member's work in one ISO week.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeekWork {
    /// The week's Monday.
    pub week: NaiveDate,
    pub published: u32,
    pub reviews: u32,
    pub ideas: u32,
}

impl WeekWork {
    fn total(&self) -> u32 {
        self.published + self.reviews + self.ideas
    }
}

/// One member's workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberWorkload {
    pub member_id: Uuid,
    /// Null once erased (or never given).
    pub name: Option<String>,
    /// Null for a member who has left the team.
    pub role: Option<Role>,
    /// The weeks asked for, oldest first.
    pub weeks: Vec<WeekWork>,
    pub pace: MemberPace,
    /// Their share of the posts the team published in the weeks shown; null when it
    /// published none.
    pub share_of_posts: Option<f64>,
    /// Over 60% of those posts, in a team of 3 or more members who are not viewers.
    pub carrying_team: bool,
    /// The open goals they own and the open posts assigned to them, as they stand now.
    pub owned: OwnedWork,
}

/// How many of the listed open goals and posts are shown at most; the counts count them all.
pub const OWNED_SHOWN: usize = 50;

/// A member's open goals (active) and open posts (neither published nor archived).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnedWork {
    pub goal_count: u32,
    /// The first 50, soonest due first.
    pub goals: Vec<OwnedGoal>,
    pub post_count: u32,
    /// The first 50: scheduled ones soonest first, then the rest oldest first.
    pub posts: Vec<OwnedPost>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnedGoal {
    pub id: Uuid,
    pub title: String,
    pub due_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnedPost {
    pub id: Uuid,
    pub title: String,
    pub status: PostStatus,
    pub scheduled_for: Option<DateTime<Utc>>,
}

impl OwnedWork {
    /// The team's owned open work by member, each list in its order and cut to
    /// [`OWNED_SHOWN`].
    fn by_member(states: Vec<State>) -> BTreeMap<Uuid, OwnedWork> {
        let mut owned: BTreeMap<Uuid, OwnedWork> = BTreeMap::new();
        for state in states {
            match state {
                State::Goal(goal) => {
                    if let Some(owner) = goal.owner_id {
                        owned.entry(owner).or_default().goals.push(OwnedGoal {
                            id: goal.id,
                            title: goal.title,
                            due_on: goal.due_on,
                        });
                    }
                }
                State::Post(post) => {
                    if let Some(assignee) = post.assignee_id {
                        owned.entry(assignee).or_default().posts.push(OwnedPost {
                            id: post.id,
                            title: post.title,
                            status: post.status,
                            scheduled_for: post.scheduled_for,
                        });
                    }
                }
                State::Channel(_) | State::Idea(_) => {}
            }
        }
        for work in owned.values_mut() {
            work.goals.sort_by_key(|g| (g.due_on, g.id));
            // Ids are UUIDv7: their order is the order posts were drafted in.
            work.posts
                .sort_by_key(|p| (p.scheduled_for.is_none(), p.scheduled_for, p.id));
            work.goal_count = u32::try_from(work.goals.len()).unwrap_or(u32::MAX);
            work.post_count = u32::try_from(work.posts.len()).unwrap_or(u32::MAX);
            work.goals.truncate(OWNED_SHOWN);
            work.posts.truncate(OWNED_SHOWN);
        }
        owned
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamWorkload {
    pub as_of: DateTime<Utc>,
    pub members: Vec<MemberWorkload>,
}

/// The Monday `weeks` weeks before the week of `day`.
fn monday(day: NaiveDate, weeks_before: u64) -> NaiveDate {
    let this = period_start(Period::Week, day);
    this.checked_sub_days(Days::new(7 * weeks_before))
        .unwrap_or(this)
}

/// The team's workload over the `weeks` ISO weeks up to the one holding `as_of` (counted to
/// its day).
#[tracing::instrument(skip_all, fields(team_id = %team_id, weeks))]
pub async fn read(
    app: &App,
    team_id: Uuid,
    weeks: u32,
    as_of: Option<DateTime<Utc>>,
) -> Result<TeamWorkload, AppError> {
    let t = as_of.unwrap_or_else(Utc::now);
    let today = t.date_naive();
    let weeks = weeks.clamp(1, workload::WEEKS_MAX) as usize;
    // Enough weeks for the pace's baseline too.
    let loaded = weeks.max(BASELINE_WEEKS + 1);
    let first = monday(today, loaded as u64 - 1);
    let team = crate::teams::load(&app.store, team_id).await?.state;
    let days = app
        .store
        .read_models()
        .work_days(team_id, first, today)
        .await?;
    let mondays: Vec<NaiveDate> = (0..loaded)
        .rev()
        .map(|back| monday(today, back as u64))
        .collect();
    let shown_from = mondays[loaded - weeks];
    let mut work: BTreeMap<Uuid, Vec<WeekWork>> = BTreeMap::new();
    let blank = || {
        mondays
            .iter()
            .map(|week| WeekWork {
                week: *week,
                ..WeekWork::default()
            })
            .collect::<Vec<_>>()
    };
    let mut owned = OwnedWork::by_member(app.store.read_models().owned(team_id).await?);
    for member_id in team.members.keys().chain(owned.keys()) {
        work.entry(*member_id).or_insert_with(blank);
    }
    for day in &days {
        let week = period_start(Period::Week, day.day);
        let Some(index) = mondays.iter().position(|m| *m == week) else {
            continue;
        };
        // A member who has left shows only if they worked in the weeks shown.
        if !team.members.contains_key(&day.member_id) && week < shown_from {
            continue;
        }
        let row = work.entry(day.member_id).or_insert_with(blank);
        let cell = &mut row[index];
        cell.published += u32::try_from(day.published).unwrap_or(0);
        cell.reviews += u32::try_from(day.reviews).unwrap_or(0);
        cell.ideas += u32::try_from(day.ideas).unwrap_or(0);
    }
    let ids: Vec<Uuid> = work.keys().copied().collect();
    let names = app.store.directory().names_of(team_id, &ids).await?;
    let team_published: u32 = work
        .values()
        .flat_map(|w| w[loaded - weeks..].iter())
        .map(|w| w.published)
        .sum();
    let workers: BTreeSet<Uuid> = team
        .members
        .iter()
        .filter(|(_, role)| **role != Role::Viewer)
        .map(|(id, _)| *id)
        .collect();
    let members = work
        .into_iter()
        .map(|(member_id, all)| {
            let published: u32 = all[loaded - weeks..].iter().map(|w| w.published).sum();
            let share =
                (team_published > 0).then(|| f64::from(published) / f64::from(team_published));
            let totals: Vec<u32> = all.iter().map(WeekWork::total).collect();
            MemberWorkload {
                member_id,
                name: names.get(&member_id).cloned().flatten(),
                role: team.members.get(&member_id).copied(),
                weeks: all[loaded - weeks..].to_vec(),
                pace: workload::pace(&totals),
                share_of_posts: share,
                carrying_team: workload::carrying(share, workers.len()),
                owned: owned.remove(&member_id).unwrap_or_default(),
            }
        })
        .collect();
    Ok(TeamWorkload { as_of: t, members })
}
