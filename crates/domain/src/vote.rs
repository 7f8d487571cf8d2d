//! Votes on ideas: one per contributor per idea, withdrawn at will. A vote is a fact that
//! needs no decision against the idea's state, so it lives on a stream of its own and never
//! conflicts with the idea's version; the storage keeps the current votes to count each
//! voter once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum VoteEvent {
    IdeaVoted { idea_id: Uuid, contributor_id: Uuid },
    IdeaVoteWithdrawn { idea_id: Uuid, contributor_id: Uuid },
}

impl VoteEvent {
    /// A vote for the idea (`up`), or its withdrawal.
    pub fn cast(idea_id: Uuid, contributor_id: Uuid, up: bool) -> VoteEvent {
        if up {
            VoteEvent::IdeaVoted {
                idea_id,
                contributor_id,
            }
        } else {
            VoteEvent::IdeaVoteWithdrawn {
                idea_id,
                contributor_id,
            }
        }
    }

    /// The idea, the contributor, and whether it is a vote (not a withdrawal).
    pub fn parts(self) -> (Uuid, Uuid, bool) {
        match self {
            VoteEvent::IdeaVoted {
                idea_id,
                contributor_id,
            } => (idea_id, contributor_id, true),
            VoteEvent::IdeaVoteWithdrawn {
                idea_id,
                contributor_id,
            } => (idea_id, contributor_id, false),
        }
    }
}

event::event_payload!(VoteEvent, "idea_votes", [IdeaVoted, IdeaVoteWithdrawn]);

/// Voters by idea: contributor -> when they voted.
pub type Voters = BTreeMap<Uuid, DateTime<Utc>>;

/// The voters of an idea and the duplicates merged into it (`groups`, one per idea): each
/// counts once, with their earliest vote.
pub fn distinct_voters<'a>(groups: impl IntoIterator<Item = &'a Voters>) -> Voters {
    let mut voters = Voters::new();
    for (contributor, at) in groups.into_iter().flatten() {
        voters
            .entry(*contributor)
            .and_modify(|t| *t = (*t).min(*at))
            .or_insert(*at);
    }
    voters
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventPayload;

    #[test]
    fn a_voter_on_an_idea_and_its_duplicate_counts_once_with_the_earliest_vote() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let idea = Voters::from([(a, at("2026-11-02T00:00:00Z"))]);
        let duplicate = Voters::from([
            (a, at("2026-11-01T00:00:00Z")),
            (b, at("2026-11-03T00:00:00Z")),
        ]);
        let voters = distinct_voters([&idea, &duplicate]);
        assert_eq!(voters.len(), 2);
        assert_eq!(voters[&a], at("2026-11-01T00:00:00Z"));
    }

    #[test]
    fn votes_round_trip_under_their_api_names() {
        let vote = VoteEvent::IdeaVoted {
            idea_id: Uuid::from_u128(1),
            contributor_id: Uuid::from_u128(2),
        };
        assert_eq!(vote.event_type(), "IdeaVoted");
        assert_eq!(
            VoteEvent::decode("IdeaVoted", 1, vote.encode().unwrap()).unwrap(),
            vote
        );
    }
}
