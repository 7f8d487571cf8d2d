//! Votes on ideas: one per contributor per idea, withdrawn at will. A vote is a fact that
//! needs no decision against the idea's state, so it lives on a stream of its own and never
//! conflicts with the idea's version; the storage keeps the current votes to count each
//! voter once.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::EventPayload;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum VoteEvent {
    IdeaVoted { idea_id: Uuid, contributor_id: Uuid },
    IdeaVoteWithdrawn { idea_id: Uuid, contributor_id: Uuid },
}

impl EventPayload for VoteEvent {
    const STREAM_TYPE: &'static str = "idea_votes";

    fn event_type(&self) -> &'static str {
        match self {
            VoteEvent::IdeaVoted { .. } => "IdeaVoted",
            VoteEvent::IdeaVoteWithdrawn { .. } => "IdeaVoteWithdrawn",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
