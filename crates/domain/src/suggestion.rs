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

/// Half-lives between the trending epoch (2026-01-01) and `t`: a vote cast at `t` weighs
/// `2^(half_lives(t) - half_lives(now))` now.
pub fn half_lives(t: DateTime<Utc>) -> f64 {
    let epoch = DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap_or_default();
    (t - epoch).num_milliseconds() as f64 / 86_400_000.0 / HALF_LIFE_DAYS
}

/// The decayed vote score at `t` of votes whose `log2(sum of 2^half_lives(voted_at))` is
/// `log2_weight` (none: no votes).
pub fn score_from_log2(log2_weight: Option<f64>, t: DateTime<Utc>) -> f64 {
    log2_weight.map_or(0.0, |w| (w - half_lives(t)).exp2())
}

/// `log2(2^a + 2^x)`, without overflow: a vote at `x` half-lives added to a weight `a`.
pub fn log2_add(a: Option<f64>, x: f64) -> f64 {
    match a {
        None => x,
        Some(a) => {
            let (high, low) = if a >= x { (a, x) } else { (x, a) };
            high + (low - high).exp2().ln_1p() / std::f64::consts::LN_2
        }
    }
}

/// `log2(sum of 2^x)` over votes at `xs` half-lives; `None` without votes.
pub fn log2_sum(xs: &[f64]) -> Option<f64> {
    xs.iter().fold(None, |acc, x| Some(log2_add(acc, *x)))
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
    fn a_log2_weight_kept_vote_by_vote_gives_the_decayed_sum() {
        let votes = days_ago(&[0, 7, 14, 30]);
        let xs: Vec<f64> = votes.iter().map(|v| half_lives(*v)).collect();
        let log2_weight = xs.iter().map(|x| x.exp2()).sum::<f64>().log2();
        assert!((log2_sum(&xs).unwrap() - log2_weight).abs() < 1e-9);
        assert_eq!(log2_sum(&[]), None);
        // Far in the future the plain sum would overflow; the log-space one does not.
        assert!((log2_add(Some(5000.0), 5000.0) - 5001.0).abs() < 1e-9);
        let direct = vote_score(&votes, t());
        assert!((score_from_log2(Some(log2_weight), t()) - direct).abs() < 1e-9);
        assert_eq!(score_from_log2(None, t()), 0.0);
        // The epoch itself counts zero half-lives; a week later, one.
        let epoch: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(half_lives(epoch), 0.0);
        assert!((half_lives(epoch + TimeDelta::days(7)) - 1.0).abs() < 1e-12);
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
