//! Votes on ideas: a contributor's vote (or its withdrawal) from the public board, and the
//! one reader of what votes add up to. The domain's rule is that each voter counts once
//! across an idea and the duplicates merged into it ([`distinct_voters`]); every view of an
//! idea's votes (the answer to a vote, an idea's detail, every list) reads its count and
//! score from [`Ballots::tally`], so no two of them can disagree.
//!
//! A vote's path: the board's route, [`cast`], the vote batcher that stores it
//! (`stride_storage::votes`), the `idea_scores` projection that keeps each idea's weight,
//! and [`crate::idea_views`], whose lists read that weight through [`Ballots`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use stride_domain::suggestion::{decayed, score_from_log2};
use stride_domain::vote::{Voters, distinct_voters};
use stride_storage::board::ContributorToken;
use stride_storage::votes::Vote;
use uuid::Uuid;

use crate::{App, AppError, Origin, public_boards};

/// What an idea's votes add up to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tally {
    /// Distinct voters across the idea and the duplicates merged into it.
    pub count: i64,
    /// Their votes' decayed weight, each halving every 7 days: what `trending` sorts by.
    pub score: f64,
}

/// What tallies are read from: every vote on some ideas and, for others, the count and
/// weight the `idea_scores` projection keeps vote by vote (so that a list need not read
/// every vote of the team).
#[derive(Debug, Default)]
pub struct Ballots {
    /// Each voter by idea, with when they voted.
    voters: BTreeMap<Uuid, Voters>,
    /// Each idea's own voters and the log2 of their decayed weight, as kept.
    kept: BTreeMap<Uuid, (i64, Option<f64>)>,
}

impl Ballots {
    /// Every vote on some ideas.
    pub fn each(voters: BTreeMap<Uuid, Voters>) -> Ballots {
        Ballots {
            voters,
            kept: BTreeMap::new(),
        }
    }

    /// Each idea's own voters and weight as kept, and every vote on the ideas whose
    /// duplicates count with them.
    pub fn kept(
        kept: BTreeMap<Uuid, (i32, Option<f64>)>,
        voters: BTreeMap<Uuid, Voters>,
    ) -> Ballots {
        Ballots {
            voters,
            kept: kept
                .into_iter()
                .map(|(id, (count, weight))| (id, (i64::from(count), weight)))
                .collect(),
        }
    }

    /// The voters of one idea as counted where they were just written.
    fn counted(idea_id: Uuid, voters: i64) -> Ballots {
        Ballots {
            voters: BTreeMap::new(),
            kept: BTreeMap::from([(idea_id, (voters, None))]),
        }
    }

    /// The tally of `id`, with the duplicates `merged` into it, at `now`.
    pub fn tally(&self, id: Uuid, merged: &[Uuid], now: DateTime<Utc>) -> Tally {
        match self.kept.get(&id) {
            // Nothing merged in: the idea's own voters are all its voters.
            Some((count, log2_weight)) if merged.is_empty() => Tally {
                count: *count,
                score: score_from_log2(*log2_weight, now),
            },
            _ => {
                let voters = distinct_voters(
                    std::iter::once(&id)
                        .chain(merged)
                        .filter_map(|i| self.voters.get(i)),
                );
                // Folded from +0.0: an empty sum of floats is -0.0.
                let score = voters.values().fold(0.0, |sum, at| sum + decayed(*at, now));
                Tally {
                    count: voters.len() as i64,
                    score,
                }
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoteView {
    pub idea_id: Uuid,
    /// Whether the caller's vote is on the idea now.
    pub voted: bool,
    pub vote_count: i64,
}

/// A contributor's vote for an idea on the board at `slug` (`up`), or its withdrawal; a
/// repeat changes nothing. Answers the idea's votes once it committed, and its position.
#[tracing::instrument(skip_all, fields(slug = %slug, team_id = %token.team_id, idea_id = %idea_id, up))]
pub async fn cast(
    app: &App,
    origin: &Origin,
    slug: &str,
    token: ContributorToken,
    idea_id: Uuid,
    up: bool,
) -> Result<(VoteView, i64), AppError> {
    let team = public_boards::open_to(app, slug, token).await?;
    let merged = app.boards.votable(&app.store, team.id, idea_id).await?;
    let outcome = app
        .store
        .votes()
        .vote(Vote {
            team_id: team.id,
            idea_id,
            contributor_id: token.contributor_id,
            up,
            metadata: origin.metadata(),
        })
        .await?;
    // The vote's transaction counted the idea's own voters: all of them, unless duplicates
    // were merged into it, whose voters are read once the vote committed.
    let ballots = if merged.is_empty() {
        Ballots::counted(idea_id, outcome.voters)
    } else {
        let group: Vec<Uuid> = std::iter::once(idea_id)
            .chain(merged.iter().copied())
            .collect();
        Ballots::each(app.store.votes().votes_on(team.id, &group).await?)
    };
    let tally = ballots.tally(idea_id, &merged, Utc::now());
    let view = VoteView {
        idea_id,
        voted: up,
        vote_count: tally.count,
    };
    Ok((view, outcome.position))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_voter_on_an_idea_and_its_duplicate_is_tallied_once_whatever_was_kept() {
        let (idea, duplicate) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let (x, y, z) = (
            Uuid::from_u128(10),
            Uuid::from_u128(11),
            Uuid::from_u128(12),
        );
        let voted = at("2026-11-01T00:00:00Z");
        let voters = BTreeMap::from([
            (idea, Voters::from([(x, voted), (y, voted)])),
            (duplicate, Voters::from([(y, voted), (z, voted)])),
        ]);
        let kept = BTreeMap::from([(idea, (2, Some(1.0)))]);
        let now = at("2026-11-08T00:00:00Z");
        for ballots in [Ballots::each(voters.clone()), Ballots::kept(kept, voters)] {
            let tally = ballots.tally(idea, &[duplicate], now);
            assert_eq!(tally.count, 3, "x, y once, z");
            assert!(
                (tally.score - 1.5).abs() < 1e-9,
                "three votes a half-life old"
            );
        }
    }

    #[test]
    fn an_idea_nothing_was_merged_into_is_tallied_from_its_own_voters() {
        let idea = Uuid::from_u128(1);
        let now = at("2026-11-08T00:00:00Z");
        assert_eq!(Ballots::counted(idea, 4).tally(idea, &[], now).count, 4);
        let kept = Ballots::kept(BTreeMap::from([(idea, (2, None))]), BTreeMap::new());
        assert_eq!(kept.tally(idea, &[], now).count, 2);
        let none = Ballots::default().tally(idea, &[], now);
        assert_eq!(none.count, 0);
        assert!(none.score.is_sign_positive(), "no votes score +0.0");
    }
}
