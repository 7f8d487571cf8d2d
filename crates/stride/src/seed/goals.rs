//! The demo's goals: "+10% Instagram followers" with three steps under it (the first one
//! achieved), "3 blog posts a week", a quarter's LinkedIn clicks and a TikTok goal abandoned
//! with the channel; and its strategy experiments, one concluded and one running.

use stride_app::{experiments, goals};
use stride_domain::experiment::{Decision, NewExperiment};
use stride_domain::goal::{Horizon, NewGoal};
use stride_domain::metric::Metric;
use stride_domain::target::{Aggregation, Aim, Period, TargetSpec};
use uuid::Uuid;

use super::plan::{BLOG, CHANNELS, INSTAGRAM, JONAS, LINKEDIN, PRIYA, TIKTOK, TOMAS};
use super::{Demo, EXPERIMENT_FROM, EXPERIMENT_TO};

/// The goals posts are set against.
pub struct Goals {
    pub followers: Uuid,
    /// The steps under `followers`, oldest first.
    pub steps: [Uuid; 3],
    pub blog: Uuid,
    pub clicks: Uuid,
    pub tiktok: Uuid,
}

impl Demo<'_> {
    async fn goal(&self, who: usize, new: NewGoal) -> anyhow::Result<Uuid> {
        let goal_id = new.goal_id;
        goals::set(self.app, &self.origin(who), self.team_id, new).await?;
        Ok(goal_id)
    }

    /// A goal owned by `owner` over `[starts, due]` (days from today).
    fn new_goal(&self, owner: usize, title: &str, (starts, due): (i64, i64)) -> NewGoal {
        NewGoal {
            goal_id: Uuid::now_v7(),
            title: title.into(),
            description: None,
            horizon: Horizon::Long,
            parent_goal_id: None,
            starts_on: self.day(starts),
            due_on: self.day(due),
            target: None,
            owner_id: Some(self.member(owner)),
        }
    }

    fn followers_of(&self, channel: usize, aim: Aim) -> Option<TargetSpec> {
        Some(TargetSpec::Metric {
            channel_id: self.channel(channel),
            metric: Metric::Followers,
            aggregation: Aggregation::Latest,
            baseline: None,
            aim,
        })
    }

    fn cadence(&self, count: u32, channel: usize) -> Option<TargetSpec> {
        Some(TargetSpec::Cadence {
            count,
            period: Period::Week,
            channel_id: Some(self.channel(channel)),
        })
    }

    pub(super) async fn goals(&mut self) -> anyhow::Result<Goals> {
        let growth = CHANNELS[INSTAGRAM].growth;
        let followers = self
            .goal(
                PRIYA,
                NewGoal {
                    description: Some(
                        "The big one for the year: grow Instagram by a tenth, steadily.".into(),
                    ),
                    target: self.followers_of(INSTAGRAM, Aim::IncreaseByPercent(10.0)),
                    ..self.new_goal(PRIYA, "+10% Instagram followers", (-105, 75))
                },
            )
            .await?;
        let step = |title: &str, window, target| NewGoal {
            horizon: Horizon::Short,
            parent_goal_id: Some(followers),
            target,
            ..self.new_goal(PRIYA, title, window)
        };
        let first = step(
            "First 250 new Instagram followers",
            (-105, -61),
            self.followers_of(INSTAGRAM, Aim::IncreaseBy(250.0)),
        );
        let reels = step(
            "Post on Instagram 4 times a week",
            (-60, 30),
            self.cadence(4, INSTAGRAM),
        );
        let month = step(
            "Keep the monthly follower pace",
            (-30, 14),
            self.followers_of(INSTAGRAM, Aim::IncreaseBy((growth * 44.0 * 0.92).round())),
        );
        let steps = [
            self.goal(PRIYA, first).await?,
            self.goal(PRIYA, reels).await?,
            self.goal(PRIYA, month).await?,
        ];
        let blog = NewGoal {
            target: self.cadence(3, BLOG),
            ..self.new_goal(TOMAS, "3 blog posts a week", (-112, 84))
        };
        let clicks = NewGoal {
            target: Some(TargetSpec::Metric {
                channel_id: self.channel(LINKEDIN),
                metric: Metric::Clicks,
                aggregation: Aggregation::Sum,
                baseline: Some(0.0),
                aim: Aim::Reach(12_000.0),
            }),
            ..self.new_goal(JONAS, "12,000 LinkedIn clicks this quarter", (-75, 15))
        };
        let tiktok = NewGoal {
            horizon: Horizon::Short,
            target: self.followers_of(TIKTOK, Aim::Reach(2_500.0)),
            ..self.new_goal(PRIYA, "TikTok: 2,500 followers", (-90, 30))
        };
        Ok(Goals {
            followers,
            steps,
            blog: self.goal(TOMAS, blog).await?,
            clicks: self.goal(JONAS, clicks).await?,
            tiktok: self.goal(PRIYA, tiktok).await?,
        })
    }

    pub(super) fn goals_of(goals: &Goals, channel: usize) -> Vec<Uuid> {
        match channel {
            INSTAGRAM => vec![goals.followers, goals.steps[1]],
            BLOG => vec![goals.blog],
            LINKEDIN => vec![goals.clicks],
            _ => vec![goals.tiktok],
        }
    }

    /// The first step was reached and is marked so; the TikTok goal went with the channel.
    pub(super) async fn close_goals(&self, goals: &Goals) -> anyhow::Result<()> {
        let reason = Some("Reached in week six, on the back of the latte-art reels".to_owned());
        let ids = (self.team_id, goals.steps[0]);
        goals::achieve(self.app, &self.origin(PRIYA), ids, None, reason).await?;
        let reason = Some("TikTok is paused while we re-assess the channel".to_owned());
        let ids = (self.team_id, goals.tiktok);
        goals::abandon(self.app, &self.origin(0), ids, None, reason).await?;
        Ok(())
    }

    /// An experiment on one channel's `metric`, from `from` days ago (to `to` days ago, once
    /// it ended), compared with the 28 days before.
    fn experiment(
        &self,
        (title, hypothesis, change): (&str, &str, &str),
        (channel, metric): (usize, Metric),
        (from, to): (i64, Option<i64>),
    ) -> NewExperiment {
        NewExperiment {
            experiment_id: Uuid::now_v7(),
            title: title.into(),
            hypothesis: hypothesis.into(),
            change: change.into(),
            channel_ids: vec![self.channel(channel)],
            metric,
            starts_on: self.day(-from),
            ends_on: to.map(|to| self.day(-to)),
            baseline_days: Some(28),
        }
    }

    pub(super) async fn experiments(&mut self) -> anyhow::Result<()> {
        let evening = self.experiment(
            (
                "Reels at 7 pm instead of noon",
                "Our followers scroll after work: evening reels get more likes.",
                "Publish Instagram reels at 19:00 instead of 12:00.",
            ),
            (INSTAGRAM, Metric::Likes),
            (EXPERIMENT_FROM, Some(EXPERIMENT_TO)),
        );
        let (origin, ids) = (self.origin(PRIYA), (self.team_id, evening.experiment_id));
        experiments::start(self.app, &origin, self.team_id, evening).await?;
        let note = Some("Likes up by about a quarter: evening it is.".to_owned());
        experiments::conclude(self.app, &origin, ids, Decision::Adopt, note).await?;
        let carousels = self.experiment(
            (
                "Carousels on Tuesdays",
                "Carousels bring more clicks to the shop than single images.",
                "Tuesday's LinkedIn post is a carousel.",
            ),
            (LINKEDIN, Metric::Clicks),
            (10, None),
        );
        experiments::start(self.app, &self.origin(JONAS), self.team_id, carousels).await?;
        Ok(())
    }
}
