//! The channel assessment: each channel over a window (posts, engagement per post, follower
//! growth), measured here and judged by the rule in the domain's assessment module.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use stride_domain::assessment::{self, Measured, Recommendation};
use stride_domain::channel::{ChannelStatus, Platform};
use stride_domain::metric::Metric;
use stride_domain::post::PostStatus;
use stride_domain::progress::Point;
use uuid::Uuid;

use crate::time_travel::{ENGAGEMENT, Inputs, Need, When};
use crate::{App, AppError};

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelAssessment {
    pub channel_id: Uuid,
    pub platform: Platform,
    pub status: ChannelStatus,
    /// Posts published on it in the window.
    pub posts_published: u32,
    /// Likes, shares, comments and clicks on those posts (each post's latest count), per
    /// post; null without posts.
    pub engagement_per_post: Option<f64>,
    /// Followers (or subscribers) at the end of the window over its start, in percent;
    /// null without an observation at or before each end.
    pub follower_growth_pct: Option<f64>,
    pub recommendation: Recommendation,
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assessment {
    pub as_of: DateTime<Utc>,
    pub window_days: u32,
    pub channels: Vec<ChannelAssessment>,
}

fn growth(points: &[Point], from: DateTime<Utc>, to: DateTime<Utc>) -> Option<f64> {
    let at = |t: DateTime<Utc>| {
        points
            .iter()
            .filter(|p| p.at <= t)
            .max_by_key(|p| p.at)
            .map(|p| p.value)
    };
    assessment::growth_pct(at(from)?, at(to)?)
}

/// Each channel over the `window_days` before `as_of`, with a recommendation.
#[tracing::instrument(skip_all, fields(team_id = %team_id, window_days = window_days))]
pub async fn assess(
    app: &App,
    team_id: Uuid,
    window_days: u32,
    when: When,
) -> Result<Assessment, AppError> {
    let inputs = Inputs::load(app, team_id, when, Need::default()).await?;
    let (t, from) = (inputs.t, inputs.t - TimeDelta::days(i64::from(window_days)));
    let mut channels = inputs.plans.channels.clone();
    channels.sort_by_key(|c| c.id);
    let posts: Vec<(Uuid, Uuid)> = inputs
        .plans
        .posts
        .iter()
        .filter(|p| {
            p.status == PostStatus::Published
                && p.published_at.is_some_and(|at| at > from && at <= t)
        })
        .map(|p| (p.id, p.channel_id))
        .collect();
    let post_ids: Vec<Uuid> = posts.iter().map(|(p, _)| *p).collect();
    let totals = inputs
        .post_totals(app, team_id, &post_ids, &ENGAGEMENT)
        .await?;
    let mut engagement: BTreeMap<Uuid, f64> = BTreeMap::new();
    for (post, _, value) in totals {
        *engagement.entry(post).or_default() += value;
    }
    let audience: Vec<(Uuid, Metric)> = channels
        .iter()
        .flat_map(|c| [(c.id, Metric::Followers), (c.id, Metric::Subscribers)])
        .collect();
    let series = inputs.series(app, team_id, &audience, from).await?;
    let measured: Vec<Measured> = channels
        .iter()
        .map(|c| {
            let mine: Vec<Uuid> = posts
                .iter()
                .filter(|(_, ch)| *ch == c.id)
                .map(|(p, _)| *p)
                .collect();
            let total: f64 = mine.iter().filter_map(|p| engagement.get(p)).sum();
            let points = series
                .get(&(c.id, Metric::Followers))
                .or_else(|| series.get(&(c.id, Metric::Subscribers)))
                .map_or(&[][..], Vec::as_slice);
            Measured {
                status: c.status,
                posts_published: mine.len() as u32,
                engagement_per_post: (!mine.is_empty()).then(|| total / mine.len() as f64),
                follower_growth_pct: growth(points, from, t),
            }
        })
        .collect();
    let verdicts = assessment::assess(&measured, window_days);
    let channels = channels
        .iter()
        .zip(measured)
        .zip(verdicts)
        .map(|((c, m), (recommendation, reasons))| ChannelAssessment {
            channel_id: c.id,
            platform: c.platform,
            status: c.status,
            posts_published: m.posts_published,
            engagement_per_post: m.engagement_per_post,
            follower_growth_pct: m.follower_growth_pct,
            recommendation,
            reasons,
        })
        .collect();
    Ok(Assessment {
        as_of: t,
        window_days,
        channels,
    })
}
