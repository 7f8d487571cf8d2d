//! Workload: a team sport, without burnout. Who does the work, week by week, and the rules
//! that read it: a member's pace against their own recent weeks, and whether one member
//! carries the team. Pure functions over weekly counts; the tests work them by hand.

use serde::Serialize;

/// Weeks a workload shows unless asked otherwise, and the most it shows.
pub const WEEKS_DEFAULT: u32 = 8;
pub const WEEKS_MAX: u32 = 52;
/// Weeks before the current one that a member's pace is measured against.
pub const BASELINE_WEEKS: usize = 8;
/// Above this many times their baseline median, a member is sprinting.
pub const SPRINT_FACTOR: f64 = 1.5;
/// Weeks without any work, the current one included, that make a member stalled.
pub const STALLED_WEEKS: usize = 2;
/// Above this share of the team's published posts, with at least
/// [`CARRYING_MIN_MEMBERS`] members who are not viewers, one member carries the team.
pub const CARRYING_SHARE: f64 = 0.6;
pub const CARRYING_MIN_MEMBERS: usize = 3;

/// A member's pace this week against their own recent weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemberPace {
    /// This week's work is above 1.5 times the median of the 8 weeks before it (a median
    /// above 0).
    Sprinting,
    /// No work this week nor the week before.
    Stalled,
    Steady,
}

/// The median of `values` (0 for none).
pub fn median(values: &[u32]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => f64::from(sorted[n / 2]),
        n => (f64::from(sorted[n / 2 - 1]) + f64::from(sorted[n / 2])) / 2.0,
    }
}

/// The pace of a member whose work per week, oldest first, ends with the current week.
pub fn pace(weeks: &[u32]) -> MemberPace {
    let Some((current, before)) = weeks.split_last() else {
        return MemberPace::Steady;
    };
    if weeks.len() >= STALLED_WEEKS && weeks.iter().rev().take(STALLED_WEEKS).all(|w| *w == 0) {
        return MemberPace::Stalled;
    }
    let baseline = median(&before[before.len().saturating_sub(BASELINE_WEEKS)..]);
    if baseline > 0.0 && f64::from(*current) > SPRINT_FACTOR * baseline {
        MemberPace::Sprinting
    } else {
        MemberPace::Steady
    }
}

/// Whether a member with `share` of the team's published posts carries a team of
/// `members` who are not viewers.
pub fn carrying(share: Option<f64>, members: usize) -> bool {
    members >= CARRYING_MIN_MEMBERS && share.is_some_and(|s| s > CARRYING_SHARE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_even_and_no_weeks() {
        assert_eq!(median(&[5, 1, 3]), 3.0);
        assert_eq!(median(&[4, 1, 3, 2]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn paces_worked_by_hand() {
        // Median of [2, 2, 3, 2, 4, 2, 3, 2] is 2, and 1.5 times that is 3: 3 is not above
        // it, 4 is.
        let before = [2, 2, 3, 2, 4, 2, 3, 2];
        let with = |current: u32| {
            let mut weeks = before.to_vec();
            weeks.push(current);
            pace(&weeks)
        };
        assert_eq!(with(3), MemberPace::Steady);
        assert_eq!(with(4), MemberPace::Sprinting);
        // Only the 8 weeks before count: a busy ninth week back is forgotten.
        let mut old = vec![40];
        old.extend(before);
        old.push(4);
        assert_eq!(pace(&old), MemberPace::Sprinting);
        // Nothing this week nor last: stalled, however busy before.
        assert_eq!(pace(&[9, 9, 9, 0, 0]), MemberPace::Stalled);
        assert_eq!(pace(&[9, 9, 9, 0, 1]), MemberPace::Steady);
        // A member with no baseline is never sprinting.
        assert_eq!(pace(&[0, 0, 0, 1, 6]), MemberPace::Steady);
        assert_eq!(pace(&[]), MemberPace::Steady);
    }

    #[test]
    fn one_member_carries_a_team_of_three_with_over_60_percent_of_its_posts() {
        assert!(carrying(Some(0.61), 3));
        assert!(!carrying(Some(0.6), 3));
        assert!(!carrying(Some(0.9), 2));
        assert!(!carrying(None, 5));
    }
}
