//! The trending projection: each idea's current voters and the log2 of its decayed vote
//! weight, kept up to date vote by vote (see the V10 migration), so that lists sort by
//! trending without reading votes. A vote adds its weight; a withdrawal recomputes the
//! idea's weight from its remaining voters, exactly.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use stride_domain::EventPayload;
use stride_domain::suggestion::{half_lives, log2_add, log2_sum};
use stride_domain::vote::VoteEvent;

use crate::StoreError;
use crate::events::StoredEvent;
use crate::projector::Projection;
use crate::votes::voter_columns;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, Default)]
pub struct IdeaScores;

const VOTERS: &str = "SELECT v.team_id, v.idea_id, v.contributor_id, v.voted, v.voted_at, v.position \
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS k(team_id, idea_id, contributor_id) \
     JOIN idea_voters v USING (team_id, idea_id, contributor_id)";
const WEIGHTS: &str = "SELECT s.team_id, s.idea_id, s.voters, s.log2_weight \
     FROM unnest($1::uuid[], $2::uuid[]) AS k(team_id, idea_id) JOIN idea_scores s USING (team_id, idea_id)";
const STANDING: &str = "SELECT v.team_id, v.idea_id, v.contributor_id, v.voted_at \
     FROM unnest($1::uuid[], $2::uuid[]) AS k(team_id, idea_id) JOIN idea_voters v USING (team_id, idea_id) \
     WHERE v.voted";
const SET_VOTERS: &str = "INSERT INTO idea_voters (team_id, idea_id, contributor_id, voted, voted_at, position) \
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bool[], $5::timestamptz[], $6::int8[]) \
     ON CONFLICT (team_id, idea_id, contributor_id) DO UPDATE \
     SET voted = excluded.voted, voted_at = excluded.voted_at, position = excluded.position";
const STORE: &str = "INSERT INTO idea_scores (team_id, idea_id, voters, log2_weight) \
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int4[], $4::float8[]) \
     ON CONFLICT (team_id, idea_id) DO UPDATE SET voters = excluded.voters, log2_weight = excluded.log2_weight";

type Idea = (Uuid, Uuid);
type Voter = (Uuid, Uuid, Uuid);

/// One voter's row: whether their vote stands, when it was cast, the last event applied.
#[derive(Debug, Clone, Copy)]
struct Ballot {
    voted: bool,
    voted_at: DateTime<Utc>,
    position: i64,
}

/// A batch's votes applied in memory, one event after another exactly as if each were
/// written before the next is read, then written in two statements.
#[derive(Default)]
struct Tally {
    ballots: HashMap<Voter, Ballot>,
    weights: HashMap<Idea, (i32, Option<f64>)>,
    /// For ideas with a withdrawal in the batch: the standing votes, in the order the exact
    /// recomputation sums them.
    standing: HashMap<Idea, BTreeSet<(DateTime<Utc>, Uuid)>>,
    changed_ballots: BTreeSet<Voter>,
    changed_weights: BTreeSet<Idea>,
}

struct Cast {
    voter: Voter,
    up: bool,
    at: DateTime<Utc>,
    position: i64,
}

impl Tally {
    fn apply(&mut self, cast: &Cast) {
        let (team, idea, contributor) = cast.voter;
        let before = self.ballots.get(&cast.voter).copied();
        if before.is_some_and(|b| b.position >= cast.position) {
            return;
        }
        let was_voted = before.is_some_and(|b| b.voted);
        let voted_at = match before {
            Some(b) if !cast.up => b.voted_at,
            _ => cast.at,
        };
        self.ballots.insert(
            cast.voter,
            Ballot {
                voted: cast.up,
                voted_at,
                position: cast.position,
            },
        );
        self.changed_ballots.insert(cast.voter);
        let key = (team, idea);
        if was_voted == cast.up {
            // A repeated vote moves its row's time, which a later recomputation reads.
            if let (Some(b), true) = (before, cast.up)
                && let Some(standing) = self.standing.get_mut(&key)
            {
                standing.remove(&(b.voted_at, contributor));
                standing.insert((cast.at, contributor));
            }
            return;
        }
        if let Some(standing) = self.standing.get_mut(&key) {
            if cast.up {
                standing.insert((cast.at, contributor));
            } else if let Some(b) = before {
                standing.remove(&(b.voted_at, contributor));
            }
        }
        let weight = if cast.up {
            // A new vote adds its weight.
            let (voters, weight) = self.weights.get(&key).copied().unwrap_or((0, None));
            (voters + 1, Some(log2_add(weight, half_lives(cast.at))))
        } else {
            // A withdrawal recomputes from the votes that stand, exactly.
            let xs: Vec<f64> = self
                .standing
                .get(&key)
                .map(|s| s.iter().map(|(at, _)| half_lives(*at)).collect())
                .unwrap_or_default();
            (xs.len() as i32, log2_sum(&xs))
        };
        self.weights.insert(key, weight);
        self.changed_weights.insert(key);
    }
}

fn casts(events: &[StoredEvent]) -> Result<Vec<Cast>, StoreError> {
    events
        .iter()
        .filter(|e| e.stream_type == VoteEvent::STREAM_TYPE)
        .map(|event| {
            let (idea_id, contributor_id, up) = event.decode::<VoteEvent>()?.event.parts();
            Ok(Cast {
                voter: (event.team_id, idea_id, contributor_id),
                up,
                at: event.recorded_at,
                position: event.position,
            })
        })
        .collect()
}

/// What the tables hold for the batch's voters and ideas before it.
async fn load(tx: &Transaction<'_>, casts: &[Cast]) -> Result<Tally, StoreError> {
    let voters: BTreeSet<Voter> = casts.iter().map(|c| c.voter).collect();
    let ideas: BTreeSet<Idea> = voters.iter().map(|(t, i, _)| (*t, *i)).collect();
    let withdrawn: BTreeSet<Idea> = casts
        .iter()
        .filter(|c| !c.up)
        .map(|c| (c.voter.0, c.voter.1))
        .collect();
    let (teams, ids, contributors) = voter_columns(voters.iter().copied());
    let (idea_teams, idea_ids): (Vec<Uuid>, Vec<Uuid>) = ideas.iter().copied().unzip();
    let (w_teams, w_ids): (Vec<Uuid>, Vec<Uuid>) = withdrawn.iter().copied().unzip();
    let (ballots, weights, standing) = futures_util::future::try_join3(
        tx.query(VOTERS, &[&teams, &ids, &contributors]),
        tx.query(WEIGHTS, &[&idea_teams, &idea_ids]),
        tx.query(STANDING, &[&w_teams, &w_ids]),
    )
    .await?;
    let mut tally = Tally::default();
    for row in &ballots {
        tally.ballots.insert(
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?),
            Ballot {
                voted: row.try_get(3)?,
                voted_at: row.try_get(4)?,
                position: row.try_get(5)?,
            },
        );
    }
    for row in &weights {
        tally.weights.insert(
            (row.try_get(0)?, row.try_get(1)?),
            (row.try_get(2)?, row.try_get(3)?),
        );
    }
    for idea in withdrawn {
        tally.standing.insert(idea, BTreeSet::new());
    }
    for row in &standing {
        let idea = (row.try_get(0)?, row.try_get(1)?);
        if let Some(set) = tally.standing.get_mut(&idea) {
            set.insert((row.try_get(3)?, row.try_get(2)?));
        }
    }
    Ok(tally)
}

async fn store(tx: &Transaction<'_>, tally: &Tally) -> Result<(), StoreError> {
    let (teams, ids, contributors) = voter_columns(tally.changed_ballots.iter().copied());
    let ballots: Vec<Ballot> = tally
        .changed_ballots
        .iter()
        .filter_map(|v| tally.ballots.get(v).copied())
        .collect();
    let voted: Vec<bool> = ballots.iter().map(|b| b.voted).collect();
    let voted_at: Vec<DateTime<Utc>> = ballots.iter().map(|b| b.voted_at).collect();
    let positions: Vec<i64> = ballots.iter().map(|b| b.position).collect();
    let (w_teams, w_ids): (Vec<Uuid>, Vec<Uuid>) = tally.changed_weights.iter().copied().unzip();
    let (voters, log2): (Vec<i32>, Vec<Option<f64>>) = tally
        .changed_weights
        .iter()
        .map(|idea| tally.weights.get(idea).copied().unwrap_or((0, None)))
        .unzip();
    futures_util::future::try_join(
        tx.execute(
            SET_VOTERS,
            &[&teams, &ids, &contributors, &voted, &voted_at, &positions],
        ),
        tx.execute(STORE, &[&w_teams, &w_ids, &voters, &log2]),
    )
    .await?;
    Ok(())
}

impl Projection for IdeaScores {
    const NAME: &'static str = "idea_scores";
    const TABLES: &'static [&'static str] = &["idea_voters", "idea_scores"];
    const STREAM_TYPES: &'static [&'static str] = &[VoteEvent::STREAM_TYPE];

    async fn apply<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        events: &'a [StoredEvent],
    ) -> Result<(), StoreError> {
        let casts = casts(events)?;
        if casts.is_empty() {
            return Ok(());
        }
        let mut tally = load(tx, &casts).await?;
        for cast in &casts {
            tally.apply(cast);
        }
        store(tx, &tally).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast(contributor: u128, up: bool, seconds: i64) -> Cast {
        Cast {
            voter: (
                Uuid::nil(),
                Uuid::from_u128(1),
                Uuid::from_u128(contributor),
            ),
            up,
            at: DateTime::<Utc>::from_timestamp(1_767_225_600 + seconds, 0).unwrap(),
            position: seconds,
        }
    }

    /// A batch applied at once must leave what the same events leave one by one.
    #[test]
    fn a_repeated_vote_withdrawn_in_the_same_batch_leaves_only_the_votes_that_stand() {
        let idea = (Uuid::nil(), Uuid::from_u128(1));
        let mut tally = Tally::default();
        // As `load` prepares a batch with a withdrawal in it.
        tally.standing.insert(idea, BTreeSet::new());
        for c in [
            cast(7, true, 1),
            cast(7, true, 2),
            cast(8, true, 3),
            cast(7, false, 4),
        ] {
            tally.apply(&c);
        }
        let (voters, log2) = tally.weights[&idea];
        assert_eq!(voters, 1);
        assert_eq!(log2, Some(half_lives(cast(8, true, 3).at)));
    }
}
