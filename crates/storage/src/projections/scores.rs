//! The trending projection: each idea's current voters and the log2 of its decayed vote
//! weight, kept up to date vote by vote (see the V10 migration), so that lists sort by
//! trending without reading votes. A vote adds its weight; a withdrawal recomputes the
//! idea's weight from its remaining voters, exactly.

use deadpool_postgres::Transaction;
use stride_domain::EventPayload;
use stride_domain::suggestion::{half_lives, log2_add, log2_sum};
use stride_domain::vote::VoteEvent;

use crate::StoreError;
use crate::events::StoredEvent;
use crate::projector::Projection;

#[derive(Debug, Clone, Copy, Default)]
pub struct IdeaScores;

const VOTER: &str = "SELECT voted, position FROM idea_voters WHERE team_id = $1 AND idea_id = $2 AND contributor_id = $3";
const SET_VOTER: &str = "INSERT INTO idea_voters (team_id, idea_id, contributor_id, voted, voted_at, position) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (team_id, idea_id, contributor_id) DO UPDATE \
     SET voted = excluded.voted, voted_at = CASE WHEN excluded.voted THEN excluded.voted_at ELSE idea_voters.voted_at END, \
         position = excluded.position";
const WEIGHT: &str =
    "SELECT voters, log2_weight FROM idea_scores WHERE team_id = $1 AND idea_id = $2";
const STANDING: &str = "SELECT voted_at FROM idea_voters WHERE team_id = $1 AND idea_id = $2 AND voted \
     ORDER BY voted_at, contributor_id";
const STORE: &str = "INSERT INTO idea_scores (team_id, idea_id, voters, log2_weight) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (team_id, idea_id) DO UPDATE SET voters = excluded.voters, log2_weight = excluded.log2_weight";

impl IdeaScores {
    async fn apply_one(&self, tx: &Transaction<'_>, event: &StoredEvent) -> Result<(), StoreError> {
        let team = event.team_id;
        let (idea_id, contributor_id, up) = match event.decode::<VoteEvent>()?.event {
            VoteEvent::IdeaVoted {
                idea_id,
                contributor_id,
            } => (idea_id, contributor_id, true),
            VoteEvent::IdeaVoteWithdrawn {
                idea_id,
                contributor_id,
            } => (idea_id, contributor_id, false),
        };
        let voter = tx
            .query_opt(
                &tx.prepare_cached(VOTER).await?,
                &[&team, &idea_id, &contributor_id],
            )
            .await?;
        let (was_voted, applied) = match voter {
            Some(row) => (row.try_get::<_, bool>(0)?, row.try_get::<_, i64>(1)?),
            None => (false, 0),
        };
        if applied >= event.position {
            return Ok(());
        }
        tx.execute(
            &tx.prepare_cached(SET_VOTER).await?,
            &[
                &team,
                &idea_id,
                &contributor_id,
                &up,
                &event.recorded_at,
                &event.position,
            ],
        )
        .await?;
        if was_voted == up {
            return Ok(());
        }
        let (voters, log2_weight) = if up {
            // A new vote adds its weight.
            let current = tx
                .query_opt(&tx.prepare_cached(WEIGHT).await?, &[&team, &idea_id])
                .await?;
            let (voters, weight): (i32, Option<f64>) = match current {
                Some(row) => (row.try_get(0)?, row.try_get(1)?),
                None => (0, None),
            };
            (
                voters + 1,
                Some(log2_add(weight, half_lives(event.recorded_at))),
            )
        } else {
            // A withdrawal recomputes from the votes that stand, exactly.
            let rows = tx
                .query(&tx.prepare_cached(STANDING).await?, &[&team, &idea_id])
                .await?;
            let xs = rows
                .iter()
                .map(|r| r.try_get(0).map(half_lives))
                .collect::<Result<Vec<f64>, _>>()?;
            (xs.len() as i32, log2_sum(&xs))
        };
        tx.execute(
            &tx.prepare_cached(STORE).await?,
            &[&team, &idea_id, &voters, &log2_weight],
        )
        .await?;
        Ok(())
    }
}

impl Projection for IdeaScores {
    const NAME: &'static str = "idea_scores";
    const TABLES: &'static [&'static str] = &["idea_voters", "idea_scores"];

    async fn apply<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        events: &'a [StoredEvent],
    ) -> Result<(), StoreError> {
        for event in events
            .iter()
            .filter(|e| e.stream_type == VoteEvent::STREAM_TYPE)
        {
            self.apply_one(tx, event).await?;
        }
        Ok(())
    }
}
