//! Votes, recorded once per contributor per idea in the same transaction as their events.
//! Votes that arrive at the same moment share one transaction (see [`crate::batcher`]):
//! each keeps its own row, its own event and its own answer, and they pay for one statement
//! on the vote rows, one insert of events, one count of voters and one commit between them.
//! The current votes are read back from the same rows ([`Voting::votes_on`]).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool, Transaction};
use stride_domain::vote::VoteEvent;
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::append;
use crate::batcher::Batcher;
use crate::committer::stopped;
use crate::{
    AppendError, AppendRequest, ExpectedVersion, Metadata, Store, StoreError, StoredEvent,
};

// Each voter's key locked for the transaction before anything is written, in key order. A
// transaction is given its id (which orders its events' positions) at its first write, so
// one that waited here is given a later id than the one it waited for: one voter's events
// then come in the log in the order their rows changed, as the projections read them.
const LOCK_KEYS: &str = "SELECT count(pg_advisory_xact_lock(hashtextextended(k.team_id::text || k.idea_id::text || k.contributor_id::text, 0))) \
     FROM (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS k(team_id, idea_id, contributor_id) \
           ORDER BY 1, 2, 3) AS k";
// Votes and withdrawals of distinct (team, idea, contributor) keys in one statement; the
// keys it changed come back.
const CAST: &str = "WITH v AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bool[]) \
         AS v(team_id, idea_id, contributor_id, up)), \
     voted AS (INSERT INTO idea_votes (team_id, idea_id, contributor_id) \
         SELECT team_id, idea_id, contributor_id FROM v WHERE up ORDER BY team_id, idea_id, contributor_id \
         ON CONFLICT DO NOTHING RETURNING team_id, idea_id, contributor_id), \
     withdrawn AS (DELETE FROM idea_votes d USING v \
         WHERE NOT v.up AND d.team_id = v.team_id AND d.idea_id = v.idea_id AND d.contributor_id = v.contributor_id \
         RETURNING d.team_id, d.idea_id, d.contributor_id) \
     SELECT * FROM voted UNION ALL SELECT * FROM withdrawn";
const COUNT: &str = "SELECT i.team_id, i.idea_id, \
         (SELECT count(*) FROM idea_votes v WHERE v.team_id = i.team_id AND v.idea_id = i.idea_id) \
     FROM unnest($1::uuid[], $2::uuid[]) AS i(team_id, idea_id)";
const VOTES: &str = "SELECT idea_id, contributor_id, voted_at FROM idea_votes \
     WHERE team_id = $1 AND idea_id = ANY($2)";

/// The stream of one contributor's votes on one idea: apart from the idea's own, so that
/// votes never wait for or conflict with its version, and apart from other voters', so that
/// hundreds voting on a hot idea at once never queue behind each other's stream head.
pub fn votes_stream(idea_id: Uuid, contributor_id: Uuid) -> Uuid {
    Uuid::new_v5(
        &idea_id,
        &[b"votes:".as_slice(), contributor_id.as_bytes()].concat(),
    )
}

/// Votes by idea: contributor -> when they voted.
pub type Votes = BTreeMap<Uuid, BTreeMap<Uuid, DateTime<Utc>>>;

/// Replays one vote event into `votes`: a vote counts from the first time it was cast; a
/// withdrawal removes it.
pub fn tally(votes: &mut Votes, event: &StoredEvent) -> Result<(), StoreError> {
    let (idea_id, contributor_id, up) = event.decode::<VoteEvent>()?.event.parts();
    let voters = votes.entry(idea_id).or_default();
    if up {
        voters.entry(contributor_id).or_insert(event.recorded_at);
    } else {
        voters.remove(&contributor_id);
    }
    Ok(())
}

/// How many vote transactions may be in flight at once.
const WORKERS: usize = 4;
/// The most votes one transaction carries.
const MAX_BATCH: usize = 256;

/// One contributor's vote on one idea, or its withdrawal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    pub team_id: Uuid,
    pub idea_id: Uuid,
    pub contributor_id: Uuid,
    /// `true` to vote, `false` to withdraw.
    pub up: bool,
    pub metadata: Metadata,
}

impl Vote {
    fn key(&self) -> (Uuid, Uuid, Uuid) {
        (self.team_id, self.idea_id, self.contributor_id)
    }

    fn event(&self) -> VoteEvent {
        VoteEvent::cast(self.idea_id, self.contributor_id, self.up)
    }
}

/// What a vote (or its withdrawal) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteOutcome {
    /// Whether it changed anything: a repeat writes nothing.
    pub changed: bool,
    /// Its event's position, or the visible head when nothing changed.
    pub position: i64,
    /// The idea's voters once it committed.
    pub voters: i64,
}

type Answer = Result<VoteOutcome, AppendError>;

struct Job {
    vote: Vote,
    reply: oneshot::Sender<Answer>,
}

#[derive(Clone)]
pub(crate) struct Voter {
    batcher: Batcher<Job>,
}

impl Voter {
    pub(crate) fn start(pool: Pool) -> Voter {
        let batcher = Batcher::start(
            WORKERS,
            |_: &Job| 1,
            MAX_BATCH,
            move |jobs| run_batch(pool.clone(), jobs),
        );
        Voter { batcher }
    }
}

/// Contributors' votes on ideas: cast in shared transactions, read from their rows.
#[derive(Debug, Clone, Copy)]
pub struct Voting<'a> {
    pub(crate) store: &'a Store,
}

impl Store {
    /// Contributors' votes on ideas: casting them and reading them.
    pub fn votes(&self) -> Voting<'_> {
        Voting { store: self }
    }
}

impl Voting<'_> {
    /// Votes for an idea, or withdraws the vote: a repeat changes nothing and writes nothing.
    pub async fn vote(self, vote: Vote) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.store
            .voter()
            .batcher
            .submit(Job { vote, reply })
            .await
            .map_err(|_| stopped())?;
        let outcome = answer.await.map_err(|_| stopped())??;
        if outcome.changed {
            self.store.notify_appended();
        }
        Ok(outcome)
    }

    /// The current votes on `ideas`: idea -> contributor -> when they voted.
    pub async fn votes_on(self, team_id: Uuid, ideas: &[Uuid]) -> Result<Votes, StoreError> {
        let client = self.store.pool().get().await?;
        let statement = client.prepare_cached(VOTES).await?;
        let mut votes = Votes::new();
        for row in client.query(&statement, &[&team_id, &ideas]).await? {
            votes
                .entry(row.try_get(0)?)
                .or_default()
                .insert(row.try_get(1)?, row.try_get(2)?);
        }
        Ok(votes)
    }
}

async fn run_batch(pool: Pool, mut jobs: Vec<Job>) {
    // Keys in one order in every transaction, so that two batches meeting on the same rows
    // take them in the same order (a deadlock, were one to happen anyway, fails the batch,
    // which is then retried vote by vote); a stable sort keeps one contributor's vote and
    // withdrawal of an idea in their order.
    jobs.sort_by_key(|job| job.vote.key());
    let votes: Vec<Vote> = jobs.iter().map(|job| job.vote.clone()).collect();
    match commit(&pool, &votes).await {
        Ok(Some(outcomes)) => {
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
        }
        Err(error) if jobs.len() == 1 => {
            if let Some(job) = jobs.into_iter().next() {
                let _ = job.reply.send(Err(error));
            }
        }
        // A conflict (two first votes racing to create one votes stream) or a failure:
        // one vote must not fail its neighbours, so each goes again alone.
        _ => {
            for job in jobs {
                let answer = solo(&pool, &job.vote).await;
                let _ = job.reply.send(answer);
            }
        }
    }
}

/// One vote in its own transaction; a lost race to create its stream is run again, since
/// the stream exists once the winner has committed.
async fn solo(pool: &Pool, vote: &Vote) -> Answer {
    for _ in 0..2 {
        if let Some(mut outcomes) = commit(pool, std::slice::from_ref(vote)).await? {
            return outcomes.pop().ok_or_else(|| {
                AppendError::Store(StoreError::Internal(anyhow::anyhow!("no outcome")))
            });
        }
    }
    Err(AppendError::Conflict {
        stream_id: votes_stream(vote.idea_id, vote.contributor_id),
        expected: None,
        actual: None,
    })
}

/// Records `votes` in one transaction: `None` when an event could not be appended, in
/// which case nothing was written.
async fn commit(pool: &Pool, votes: &[Vote]) -> Result<Option<Vec<VoteOutcome>>, AppendError> {
    let requests = votes
        .iter()
        .map(|v| {
            AppendRequest::new(
                v.team_id,
                votes_stream(v.idea_id, v.contributor_id),
                ExpectedVersion::Any,
                &[v.event()],
                v.metadata.clone(),
            )
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let mut client = pool.get().await.map_err(StoreError::from)?;
    let tx = client.transaction().await.map_err(append::failed)?;
    let Some(mut outcomes) = record(&tx, votes, requests).await.map_err(append::failed)? else {
        return Ok(None);
    };
    tx.commit().await.map_err(append::failed)?;
    if outcomes.iter().any(|o| !o.changed) {
        let head = crate::events::visible_head_on(&client).await?;
        for outcome in outcomes.iter_mut().filter(|o| !o.changed) {
            outcome.position = head;
        }
    }
    Ok(Some(outcomes))
}

/// The votes' rows, then the events of those that changed something, then the counts.
async fn record(
    tx: &Transaction<'_>,
    votes: &[Vote],
    requests: Vec<AppendRequest>,
) -> Result<Option<Vec<VoteOutcome>>, tokio_postgres::Error> {
    let changed = cast_all(tx, votes).await?;
    let requests: Vec<AppendRequest> = requests
        .into_iter()
        .zip(&changed)
        .filter_map(|(request, changed)| changed.then_some(request))
        .collect();
    let (appended, voters) =
        futures_util::future::try_join(append::append_in(tx, &requests), count(tx, votes)).await?;
    let mut positions = Vec::with_capacity(appended.len());
    for outcome in appended {
        match outcome {
            Ok(appended) => positions.push(appended.position),
            Err(_) => return Ok(None),
        }
    }
    let mut positions = positions.into_iter();
    Ok(Some(
        votes
            .iter()
            .zip(changed)
            .map(|(v, changed)| VoteOutcome {
                changed,
                position: if changed {
                    positions.next().unwrap_or(0)
                } else {
                    0
                },
                voters: voters.get(&(v.team_id, v.idea_id)).copied().unwrap_or(0),
            })
            .collect(),
    ))
}

/// Whether each vote changed anything, in order. Keys repeated in the batch (one
/// contributor voting and withdrawing at once) go in later rounds, so that each round's
/// statement sees a key once and the rounds keep the votes' order.
async fn cast_all(
    tx: &impl GenericClient,
    votes: &[Vote],
) -> Result<Vec<bool>, tokio_postgres::Error> {
    let (lock, statement) =
        futures_util::future::try_join(tx.prepare_cached(LOCK_KEYS), tx.prepare_cached(CAST))
            .await?;
    let (teams, ideas, contributors) = voter_columns(votes.iter().map(Vote::key));
    tx.query_one(&lock, &[&teams, &ideas, &contributors])
        .await?;
    let mut changed = vec![false; votes.len()];
    let mut round_of: HashMap<(Uuid, Uuid, Uuid), usize> = HashMap::new();
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    for (i, vote) in votes.iter().enumerate() {
        let round = round_of.entry(vote.key()).or_insert(0);
        if rounds.len() <= *round {
            rounds.push(Vec::new());
        }
        rounds[*round].push(i);
        *round += 1;
    }
    for round in rounds {
        let (teams, ideas, contributors) = voter_columns(round.iter().map(|&i| votes[i].key()));
        let up: Vec<bool> = round.iter().map(|&i| votes[i].up).collect();
        let rows = tx
            .query(&statement, &[&teams, &ideas, &contributors, &up])
            .await?;
        let mut hit: HashMap<(Uuid, Uuid, Uuid), usize> =
            round.iter().map(|&i| (votes[i].key(), i)).collect();
        for row in &rows {
            let key = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            if let Some(i) = hit.remove(&key) {
                changed[i] = true;
            }
        }
    }
    Ok(changed)
}

/// Voters' (team, idea, contributor) keys as the three columns of an `unnest`.
pub(crate) fn voter_columns(
    keys: impl IntoIterator<Item = (Uuid, Uuid, Uuid)>,
) -> (Vec<Uuid>, Vec<Uuid>, Vec<Uuid>) {
    let mut columns = (Vec::new(), Vec::new(), Vec::new());
    for (team, idea, contributor) in keys {
        columns.0.push(team);
        columns.1.push(idea);
        columns.2.push(contributor);
    }
    columns
}

/// Each voted idea's voters, as this transaction sees them.
async fn count(
    tx: &impl GenericClient,
    votes: &[Vote],
) -> Result<HashMap<(Uuid, Uuid), i64>, tokio_postgres::Error> {
    let mut ideas: Vec<(Uuid, Uuid)> = votes.iter().map(|v| (v.team_id, v.idea_id)).collect();
    ideas.sort_unstable();
    ideas.dedup();
    let (teams, ids): (Vec<Uuid>, Vec<Uuid>) = ideas.into_iter().unzip();
    let statement = tx.prepare_cached(COUNT).await?;
    tx.query(&statement, &[&teams, &ids])
        .await?
        .iter()
        .map(|row| Ok(((row.try_get(0)?, row.try_get(1)?), row.try_get(2)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use stride_domain::EventPayload;

    use super::*;
    use crate::NewEvent;

    /// `event` as the log stores it, recorded at second `at`.
    fn stored(event: VoteEvent, at: i64) -> StoredEvent {
        let new = NewEvent::from_domain(&event).unwrap();
        StoredEvent {
            position: at,
            team_id: Uuid::nil(),
            event_id: new.event_id,
            stream_id: Uuid::nil(),
            stream_type: VoteEvent::STREAM_TYPE.into(),
            stream_version: 1,
            event_type: new.event_type,
            schema_version: new.schema_version,
            data: new.data,
            metadata: serde_json::Value::Null,
            recorded_at: DateTime::from_timestamp(at, 0).unwrap(),
        }
    }

    #[test]
    fn a_vote_counts_from_its_first_cast_and_a_withdrawal_removes_it() {
        let (idea, ada, ben) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let mut votes = Votes::new();
        for (event, at) in [
            (VoteEvent::cast(idea, ada, true), 10),
            (VoteEvent::cast(idea, ben, true), 20),
            (VoteEvent::cast(idea, ada, true), 30),
            (VoteEvent::cast(idea, ben, false), 40),
        ] {
            tally(&mut votes, &stored(event, at)).unwrap();
        }
        let since = DateTime::from_timestamp(10, 0).unwrap();
        assert_eq!(votes, Votes::from([(idea, BTreeMap::from([(ada, since)]))]));
    }
}
