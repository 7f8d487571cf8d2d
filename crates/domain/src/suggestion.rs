//! The suggestion score: which ideas a team could turn into posts next, and why.
//!
//! `score = Σ 0.5^(age_days / 7) + need`, over the idea's votes cast at or before the
//! evaluation instant (each voter once, across merged duplicates), where `need` is 2 when an
//! active goal on one of the channels the idea is aimed at is `behind`, 1 when the worst such
//! goal is `at_risk`, else 0. More votes always score higher, all else equal; a fresh vote
//! weighs 1 and a week-old one 0.5; a need is worth two fresh votes. Ties go to more votes,
//! then to the older idea. The board's `trending` order is the same decayed vote sum.

use chrono::{DateTime, Utc};

use crate::progress::Status;

/// A vote's weight halves every seven days.
pub const HALF_LIFE_DAYS: f64 = 7.0;
/// What a goal that is `behind` on the idea's channel adds.
pub const NEED_BEHIND: f64 = 2.0;
/// What a goal that is `at_risk` on the idea's channel adds.
pub const NEED_AT_RISK: f64 = 1.0;

/// A vote's weight at `t`: 1 when cast, halving every [`HALF_LIFE_DAYS`].
pub fn decayed(voted_at: DateTime<Utc>, t: DateTime<Utc>) -> f64 {
    let age_days = (t - voted_at).num_milliseconds().max(0) as f64 / 86_400_000.0;
    0.5f64.powf(age_days / HALF_LIFE_DAYS)
}

/// The decayed sum of the votes cast at or before `t`.
pub fn vote_score(votes: &[DateTime<Utc>], t: DateTime<Utc>) -> f64 {
    votes
        .iter()
        .filter(|v| **v <= t)
        .map(|v| decayed(*v, t))
        .sum()
}

/// What the statuses of the goals on the idea's channels add.
pub fn need(statuses: &[Status]) -> f64 {
    if statuses.contains(&Status::Behind) {
        NEED_BEHIND
    } else if statuses.contains(&Status::AtRisk) {
        NEED_AT_RISK
    } else {
        0.0
    }
}

/// The score of an idea with `votes` whose channels' active goals have `statuses`.
pub fn score(votes: &[DateTime<Utc>], statuses: &[Status], t: DateTime<Utc>) -> f64 {
    vote_score(votes, t) + need(statuses)
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn t() -> DateTime<Utc> {
        "2026-11-22T10:00:00Z".parse().unwrap()
    }

    fn days_ago(days: &[i64]) -> Vec<DateTime<Utc>> {
        days.iter().map(|d| t() - TimeDelta::days(*d)).collect()
    }

    #[test]
    fn a_vote_weighs_one_when_cast_and_halves_every_week() {
        let cases = [(0, 1.0), (7, 0.5), (14, 0.25), (21, 0.125), (-1, 1.0)];
        for (age, want) in cases {
            let got = decayed(t() - TimeDelta::days(age), t());
            assert!((got - want).abs() < 1e-12, "{age} days: {got}");
        }
    }

    #[test]
    fn the_score_adds_decayed_votes_and_the_worst_need() {
        use Status::*;
        let cases: [(&[i64], &[Status], f64); 7] = [
            (&[], &[], 0.0),
            (&[0, 0, 0], &[], 3.0),
            (&[0, 7, 14], &[], 1.75),
            (&[7], &[OnTrack], 0.5),
            (&[7], &[AtRisk, OnTrack], 1.5),
            (&[7], &[AtRisk, Behind], 2.5),
            // Votes after the evaluation instant do not count yet.
            (&[-3, 0], &[], 1.0),
        ];
        for (ages, statuses, want) in cases {
            let got = score(&days_ago(ages), statuses, t());
            assert!((got - want).abs() < 1e-12, "{ages:?} {statuses:?}: {got}");
        }
    }

    #[test]
    fn more_votes_score_higher_all_else_equal() {
        for n in 0..20 {
            let fewer = days_ago(&vec![3; n]);
            let more = days_ago(&vec![3; n + 1]);
            assert!(score(&more, &[], t()) > score(&fewer, &[], t()));
        }
    }
}
