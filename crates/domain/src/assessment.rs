//! The channel assessment: an honest look at each platform over a window, ending in one of
//! `grow`, `keep`, `review` or `cut`, with the reasons.
//!
//! The rule, first match wins:
//! 1. a retired channel: `cut` (it has been cut loose already);
//! 2. at least [`MIN_POSTS`] posts, and both its engagement per post and its follower growth
//!    are the lowest of the team's channels measured (ties included): `cut` when another
//!    channel does better on either, else `review` (nothing better to move the effort to);
//! 3. a paused channel: `review`;
//! 4. nothing published in the window: `review`;
//! 5. engagement per post and follower growth both known and both at or above the median of
//!    the team's channels measured: `grow`;
//! 6. either below half that median: `review`;
//! 7. otherwise `keep`.
//!
//! So a channel that is the team's lowest on both measures with at least four posts is
//! never `grow` or `keep`, as api.md requires.

use serde::Serialize;

use crate::channel::ChannelStatus;

/// Posts in the window before a channel can be judged the weakest.
pub const MIN_POSTS: u32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    Grow,
    Keep,
    Review,
    Cut,
}

/// What was measured of one channel over the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub status: ChannelStatus,
    pub posts_published: u32,
    /// Likes, shares, comments and clicks on its posts, per post; `None` without posts.
    pub engagement_per_post: Option<f64>,
    /// Follower change over the window in percent; `None` without two observations.
    pub follower_growth_pct: Option<f64>,
}

/// The change from `start` to `end` in percent: `None` from zero, or where the ratio leaves
/// what an `f64` holds (a start of 1e-300 followers, say).
pub fn growth_pct(start: f64, end: f64) -> Option<f64> {
    Some((end - start) / start * 100.0).filter(|pct| start > 0.0 && pct.is_finite())
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

fn min(values: impl Iterator<Item = f64>) -> Option<f64> {
    values.min_by(f64::total_cmp)
}

fn pct(value: f64) -> String {
    format!("{value:.1}%")
}

/// Recommendations with reasons for every channel, in the order given.
pub fn assess(channels: &[Measured], window_days: u32) -> Vec<(Recommendation, Vec<String>)> {
    // Retired channels are not the yardstick for the ones still in play.
    let live: Vec<&Measured> = channels
        .iter()
        .filter(|c| c.status != ChannelStatus::Retired)
        .collect();
    let engagements = || live.iter().filter_map(|c| c.engagement_per_post);
    let growths = || live.iter().filter_map(|c| c.follower_growth_pct);
    let (lowest_engagement, lowest_growth) = (min(engagements()), min(growths()));
    let (median_engagement, median_growth) =
        (median(engagements().collect()), median(growths().collect()));
    channels
        .iter()
        .map(|c| {
            judge(
                c,
                window_days,
                (lowest_engagement, lowest_growth),
                (median_engagement, median_growth),
                &live,
            )
        })
        .collect()
}

fn judge(
    c: &Measured,
    window_days: u32,
    (lowest_engagement, lowest_growth): (Option<f64>, Option<f64>),
    (median_engagement, median_growth): (Option<f64>, Option<f64>),
    live: &[&Measured],
) -> (Recommendation, Vec<String>) {
    use Recommendation::*;
    if c.status == ChannelStatus::Retired {
        return (Cut, vec!["retired: the team has cut it loose".into()]);
    }
    let mut reasons = vec![format!(
        "{} posts published in the last {window_days} days",
        c.posts_published
    )];
    if let Some(e) = c.engagement_per_post {
        reasons.push(format!("{e:.1} engagements per post"));
    }
    if let Some(g) = c.follower_growth_pct {
        reasons.push(format!("follower growth {}", pct(g)));
    }
    let weakest = c.posts_published >= MIN_POSTS
        && c.engagement_per_post.is_some()
        && c.engagement_per_post == lowest_engagement
        && c.follower_growth_pct.is_some()
        && c.follower_growth_pct == lowest_growth;
    if weakest {
        let beaten = live.iter().any(|o| {
            o.engagement_per_post
                .zip(c.engagement_per_post)
                .is_some_and(|(o, c)| o > c)
                || o.follower_growth_pct
                    .zip(c.follower_growth_pct)
                    .is_some_and(|(o, c)| o > c)
        });
        reasons.push("the team's lowest engagement per post and follower growth".into());
        if beaten {
            reasons.push("other channels return more for the same effort".into());
            return (Cut, reasons);
        }
        reasons.push("no other channel does better to move the effort to".into());
        return (Review, reasons);
    }
    if c.status == ChannelStatus::Paused {
        reasons.push("paused".into());
        return (Review, reasons);
    }
    if c.posts_published == 0 {
        reasons.push("nothing published in the window".into());
        return (Review, reasons);
    }
    let at_or_above =
        |value: Option<f64>, median: Option<f64>| value.zip(median).is_some_and(|(v, m)| v >= m);
    let below_half = |value: Option<f64>, median: Option<f64>| {
        value.zip(median).is_some_and(|(v, m)| v < m / 2.0)
    };
    if at_or_above(c.engagement_per_post, median_engagement)
        && at_or_above(c.follower_growth_pct, median_growth)
    {
        reasons.push("at or above the team's median on engagement and growth".into());
        return (Grow, reasons);
    }
    if below_half(c.engagement_per_post, median_engagement)
        || below_half(c.follower_growth_pct, median_growth)
    {
        reasons.push("below half the team's median on engagement or growth".into());
        return (Review, reasons);
    }
    reasons.push("holding its own".into());
    (Keep, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_a_finite_percentage_or_none() {
        assert_eq!(growth_pct(1000.0, 1100.0), Some(10.0));
        assert_eq!(growth_pct(1000.0, 900.0), Some(-10.0));
        assert_eq!(growth_pct(0.0, 900.0), None);
        assert_eq!(growth_pct(1e-300, 1e15), None);
    }
    use ChannelStatus::*;
    use Recommendation::*;

    fn measured(
        status: ChannelStatus,
        posts: u32,
        engagement: Option<f64>,
        growth: Option<f64>,
    ) -> Measured {
        Measured {
            status,
            posts_published: posts,
            engagement_per_post: engagement,
            follower_growth_pct: growth,
        }
    }

    fn recommendations(channels: &[Measured]) -> Vec<Recommendation> {
        assess(channels, 30).into_iter().map(|(r, _)| r).collect()
    }

    #[test]
    fn each_rule_in_order() {
        let cases = [
            (
                vec![
                    measured(Active, 8, Some(40.0), Some(5.0)),
                    measured(Active, 6, Some(20.0), Some(2.0)),
                    measured(Active, 5, Some(2.0), Some(0.1)),
                ],
                vec![Grow, Grow, Cut],
            ),
            (
                vec![
                    measured(Retired, 0, None, None),
                    measured(Paused, 1, Some(30.0), Some(3.0)),
                    measured(Active, 0, None, Some(4.0)),
                    measured(Active, 3, Some(10.0), Some(3.0)),
                ],
                // Medians: engagement 20 (of 30, 10), growth 3 (of 3, 4, 3).
                vec![Cut, Review, Review, Keep],
            ),
            (
                vec![
                    measured(Active, 4, Some(30.0), Some(3.0)),
                    measured(Active, 4, Some(9.0), Some(2.0)),
                    measured(Active, 2, Some(1.0), Some(1.0)),
                    measured(Active, 4, Some(20.0), Some(4.0)),
                ],
                // The third is lowest on both but has too few posts to be judged so; it is
                // below half the medians (14.5, 2.5) all the same.
                vec![Grow, Keep, Review, Grow],
            ),
            // One channel is the lowest of one: nothing better to move to.
            (
                vec![measured(Active, 6, Some(1.0), Some(0.0))],
                vec![Review],
            ),
            // Everyone equal: all are lowest, none is beaten.
            (
                vec![
                    measured(Active, 5, Some(3.0), Some(1.0)),
                    measured(Active, 5, Some(3.0), Some(1.0)),
                ],
                vec![Review, Review],
            ),
        ];
        for (channels, want) in cases {
            assert_eq!(recommendations(&channels), want, "{channels:?}");
        }
    }

    #[test]
    fn the_weakest_channel_with_four_posts_is_never_grow_or_keep() {
        // Every mix of three channels on a small grid, the first made the weakest.
        let grid = [0.0, 1.0, 5.0];
        for posts in [4, 10] {
            for &e1 in &grid {
                for &g1 in &grid {
                    for &e2 in &grid {
                        for &g2 in &grid {
                            let channels = [
                                measured(Active, posts, Some(0.0), Some(-1.0)),
                                measured(Active, 5, Some(e1), Some(g1)),
                                measured(Paused, 5, Some(e2), Some(g2)),
                            ];
                            let first = recommendations(&channels)[0];
                            assert!(matches!(first, Cut | Review), "{channels:?}: {first:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn reasons_say_what_was_measured() {
        let got = assess(
            &[
                measured(Active, 8, Some(40.0), Some(5.0)),
                measured(Active, 5, Some(2.0), Some(0.1)),
            ],
            30,
        );
        assert_eq!(got[1].0, Cut);
        assert!(
            got[1]
                .1
                .contains(&"5 posts published in the last 30 days".to_string())
        );
        assert!(got[1].1.contains(&"follower growth 0.1%".to_string()));
    }
}
