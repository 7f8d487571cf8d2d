//! The demo's posts: four months published at each channel's pace with their engagement,
//! and what is coming (scheduled, in review, drafts).

use chrono::{DateTime, Datelike, Duration, Utc};
use stride_app::{channels, posts};
use stride_domain::channel::ChannelStatus;
use stride_domain::metric::{Metric, Observation};
use stride_domain::post::{NewPost, PostCommand};
use uuid::Uuid;

use super::goals::Goals;
use super::plan::{BLOG, CHANNELS, INSTAGRAM, LINKEDIN, TIKTOK, TOPICS};
use super::{DAYS, Demo, EXPERIMENT_FROM, TIKTOK_PAUSED, observation};

impl Demo<'_> {
    /// Drafts a post on `channel` for its usual assignee, who then publishes it at `at`
    /// when given; answers its id.
    pub(super) async fn post(
        &self,
        channel: usize,
        draft: NewPost,
        at: Option<DateTime<Utc>>,
    ) -> anyhow::Result<Uuid> {
        let who = CHANNELS[channel].assignee;
        let (origin, role) = (self.origin(who), self.role(who));
        let post_id = draft.post_id;
        posts::draft(self.app, &origin, self.team_id, role, None, draft).await?;
        if let Some(at) = at {
            let url = Some(format!("{}/{}", CHANNELS[channel].url, post_id.simple()));
            let ids = (self.team_id, post_id);
            posts::publish(self.app, &origin, ids, role, None, Some(at), url).await?;
        }
        Ok(post_id)
    }

    pub(super) fn draft(&mut self, channel: usize, goal_ids: Vec<Uuid>) -> NewPost {
        let plan = &CHANNELS[channel];
        let template = plan.titles[self.rng.below(plan.titles.len())];
        let topic = TOPICS[self.rng.below(TOPICS.len())];
        NewPost {
            post_id: Uuid::now_v7(),
            channel_id: self.channel(channel),
            title: template.replace("{}", topic),
            body: None,
            idea_id: None,
            goal_ids,
            scheduled_for: None,
            assignee_id: Some(self.member(plan.assignee)),
        }
    }

    /// Four months of posts at each channel's pace (a week skipped here and there; TikTok
    /// stops when it was paused), each with its engagement a day and a week after.
    pub(super) async fn history(&mut self, goals: &Goals) -> anyhow::Result<usize> {
        let mut published = Vec::new();
        for days_ago in (0..=DAYS).rev() {
            let day = self.midnight(days_ago);
            for (index, plan) in CHANNELS.iter().enumerate() {
                let usual = plan.days.contains(&day.weekday());
                let extra = index == INSTAGRAM && self.rng.chance(0.08);
                if !(usual && !self.rng.chance(plan.skip) || extra)
                    || (index == TIKTOK && days_ago <= TIKTOK_PAUSED)
                {
                    continue;
                }
                // Instagram's reels went out at noon, then in the evening from the experiment on.
                let hour = match index {
                    INSTAGRAM if days_ago <= EXPERIMENT_FROM => 19,
                    _ => plan.hour,
                };
                let at = day + Duration::minutes(hour * 60 + self.rng.below(50) as i64);
                if at > self.now {
                    continue;
                }
                let draft = self.draft(index, Self::goals_of(goals, index));
                let post_id = self.post(index, draft, Some(at)).await?;
                published.push((index, post_id, at));
            }
        }
        let rows = self.engagement(&published);
        self.record(&rows).await?;
        let pause = Some(
            "Engagement per post is a fraction of Instagram's: paused while we decide whether to keep it"
                .to_owned(),
        );
        let ids = (self.team_id, self.channel(TIKTOK));
        let paused = ChannelStatus::Paused;
        channels::change_status(self.app, &self.origin(0), ids, None, paused, pause).await?;
        Ok(published.len())
    }

    /// Each post's likes, shares, comments and clicks a day and a week after it went out
    /// (those that are past), the week's a little above the day's.
    pub(super) fn engagement(
        &mut self,
        published: &[(usize, Uuid, DateTime<Utc>)],
    ) -> Vec<Observation> {
        let mut rows = Vec::new();
        for &(index, post_id, at) in published {
            let plan = &CHANNELS[index];
            let channel_id = self.channel(index);
            let quality = 0.6 + 0.9 * self.rng.unit();
            let age = (DAYS - (self.today - at.date_naive()).num_days()) as f64;
            let likes = plan.likes * quality * (1.0 + 0.002 * age);
            let clicks = plan.clicks * quality;
            for (after, share) in [(1, 0.7), (7, 1.0)] {
                let observed_at = at + Duration::days(after);
                if observed_at > self.now {
                    continue;
                }
                for (metric, value) in [
                    (Metric::Likes, likes),
                    (Metric::Shares, likes * 0.08),
                    (Metric::Comments, likes * 0.04),
                    (Metric::Clicks, clicks),
                ] {
                    let mut row = observation(channel_id, metric, value * share, observed_at);
                    row.post_id = Some(post_id);
                    rows.push(row);
                }
            }
        }
        rows
    }

    /// What is coming: posts scheduled for the next days, two in review and a few drafts.
    pub(super) async fn upcoming(&mut self, goals: &Goals) -> anyhow::Result<String> {
        for (channel, days, hour) in [
            (BLOG, 1, 8),
            (LINKEDIN, 2, 9),
            (BLOG, 4, 8),
            (INSTAGRAM, 5, 19),
        ] {
            let when = self.midnight(-days) + Duration::hours(hour);
            let draft = NewPost {
                scheduled_for: Some(when),
                ..self.draft(channel, Self::goals_of(goals, channel))
            };
            self.post(channel, draft, None).await?;
        }
        for channel in [BLOG, LINKEDIN] {
            let draft = NewPost {
                body: Some("Copy and images are in the shared folder; happy to trim.".into()),
                ..self.draft(channel, Self::goals_of(goals, channel))
            };
            let post_id = self.post(channel, draft, None).await?;
            let who = CHANNELS[channel].assignee;
            let ids = (self.team_id, post_id);
            let submit = PostCommand::SubmitForReview;
            let (origin, role) = (self.origin(who), self.role(who));
            posts::change(self.app, &origin, ids, role, None, submit).await?;
        }
        for channel in [INSTAGRAM, BLOG, LINKEDIN] {
            let draft = self.draft(channel, Self::goals_of(goals, channel));
            self.post(channel, draft, None).await?;
        }
        Ok("upcoming: 4 posts scheduled for the coming days, 2 in review, 3 drafts".into())
    }
}
