//! Votes arriving together share a transaction; one contributor's votes and withdrawals on
//! one idea still take effect one after another, and reach the log (by position, as the
//! projections read it) in that order.

use stride_domain::Actor;
use stride_storage::Metadata;
use stride_storage::votes::Vote;
use uuid::Uuid;

use super::fixture::store_with;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_contributors_votes_and_withdrawals_at_once_alternate_and_end_where_the_row_is() {
    let (db, store) = store_with(8).await;
    let (team_id, idea_id) = (Uuid::now_v7(), Uuid::now_v7());
    let client = db.connect().await.unwrap();
    for round in 0..20u128 {
        let contributor_id = Uuid::from_u128(1000 + round);
        let vote = |up: bool| Vote {
            team_id,
            idea_id,
            contributor_id,
            up,
            metadata: Metadata::new(Actor::Contributor { contributor_id }),
        };
        let outcomes = futures_util::future::join_all(
            [true, false, true, false, true, true, false]
                .into_iter()
                .map(|up| store.votes().vote(vote(up))),
        )
        .await;
        let changed = outcomes
            .into_iter()
            .map(|o| o.unwrap().changed)
            .filter(|c| *c)
            .count();
        let events: Vec<String> = client
            .query(
                "SELECT event_type FROM events WHERE team_id = $1 AND data->>'contributor_id' = $2 \
                 ORDER BY position",
                &[&team_id, &contributor_id.to_string()],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(
            events.len(),
            changed,
            "an event for each change, none for a repeat"
        );
        for (i, event) in events.iter().enumerate() {
            let expected = if i % 2 == 0 {
                "IdeaVoted"
            } else {
                "IdeaVoteWithdrawn"
            };
            assert_eq!(event, expected, "{events:?}");
        }
        let stands: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM idea_votes WHERE team_id = $1 AND idea_id = $2 \
                 AND contributor_id = $3)",
                &[&team_id, &idea_id, &contributor_id],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(stands, events.len() % 2 == 1, "{events:?}");
    }
}
