//! `stride seed --demo`: a believable team in an empty database, so that a dashboard shows
//! real shapes on first run: Northwind Coffee, its people and channels, four months of
//! metrics and posts ending today, goals with steps, a community board with votes, and a
//! strategy experiment.
//!
//! Everything goes through the application layer, as requests do: every change is an event,
//! checked like any request. History comes in where the API takes a past instant (an
//! observation's `observed_at`, a post's `published_at`, goals' and experiments' dates); the
//! events themselves are recorded now. Values come from a fixed-seed generator and dates
//! count back from today, so every run shows the same shapes, ending on the day it ran.

mod board;
mod goals;
mod plan;
mod posts;

use std::fmt::Display;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use secrecy::ExposeSecret;
use stride_app::people::Person;
use stride_app::{App, AppError, Origin, channels, members, observations, teams};
use stride_domain::Actor;
use stride_domain::metric::{BATCH_MAX, Metric, Observation};
use stride_domain::team::Role;
use stride_storage::db::DbConfig;
use stride_storage::{AppendError, Store};
use uuid::Uuid;

use crate::DbArgs;
use plan::{CHANNELS, INSTAGRAM, LINKEDIN, MEMBERS, OWNER, PRIYA};

#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Seed the demo team, Northwind Coffee (the one data set there is).
    #[arg(long)]
    demo: bool,
    /// The demo team's slug; its public board is at /b/<slug>. A slug that is taken is refused.
    #[arg(long, default_value = "northwind")]
    slug: String,
    /// Where `stride serve` listens, for the links printed at the end.
    #[arg(long, env = "STRIDE_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
}

/// Days of history, ending today.
const DAYS: i64 = 120;
/// TikTok was paused this many days ago; nothing went out on it since.
const TIKTOK_PAUSED: i64 = 20;
/// The Instagram experiment (evening reels) ran from this many days ago...
const EXPERIMENT_FROM: i64 = 42;
/// ... to this many.
const EXPERIMENT_TO: i64 = 14;

pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    if !args.demo {
        anyhow::bail!("stride seed needs --demo: the demo team is the one data set it knows");
    }
    let (url, cluster) = crate::database(&args.db).await?;
    let result = seed(&args, url.expose_secret()).await;
    if let Some(cluster) = cluster {
        cluster.stop().await?;
    }
    result
}

#[allow(clippy::print_stdout)]
fn say(line: impl Display) {
    println!("{line}");
}

fn taken(slug: &str) -> anyhow::Error {
    anyhow::anyhow!("the slug {slug:?} is taken: nothing was seeded; choose another with --slug")
}

async fn seed(args: &SeedArgs, url: &str) -> anyhow::Result<()> {
    let store = Store::connect(&DbConfig {
        pool_size: 4,
        ..DbConfig::new(url)
    })?;
    crate::connect_and_migrate(&store).await?;
    let app = App::new(store);
    let slug = args.slug.as_str();
    // Refused before anything is written; the claim in the sign-up covers a race.
    if app.store.directory().team_by_slug(slug).await?.is_some() {
        return Err(taken(slug));
    }
    let (mut demo, secret) = Demo::sign_up(&app, slug).await?;
    say(format_args!(
        "team {slug} ({}): owner and {} members",
        plan::TEAM,
        MEMBERS.len()
    ));
    demo.channels().await.context("adding the channels")?;
    let recorded = demo.channel_metrics().await.context("recording metrics")?;
    say(format_args!(
        "{} days of metrics: {recorded} observations",
        DAYS + 1
    ));
    let goals = demo.goals().await.context("setting the goals")?;
    let published = demo.history(&goals).await.context("publishing the posts")?;
    say(format_args!(
        "{published} posts published over {DAYS} days, with their likes, shares, comments and clicks"
    ));
    demo.close_goals(&goals).await.context("closing goals")?;
    say(
        "goals: +10% Instagram followers with 3 steps, 3 blog posts a week, LinkedIn clicks; one achieved, one abandoned",
    );
    let board = board::fill(&mut demo).await.context("filling the board")?;
    say(board);
    let upcoming = demo.upcoming(&goals).await.context("planning posts")?;
    say(upcoming);
    demo.experiments()
        .await
        .context("running the experiments")?;
    say("experiments: evening reels on Instagram (adopted), LinkedIn carousels (running)");
    let addr = &args.addr;
    say(format_args!(
        "\nThe demo team is ready.\n  team:        {} ({slug})\n  team id:     {}\n  owner:       {} <{}>\n  owner token: {secret}\n                (shown once: it signs you in as the owner)\n\nRun `stride serve`, then open\n  the team's dashboard: http://{addr}/app/ (sign in with the token)\n  the public board:     http://{addr}/b/{slug}",
        plan::TEAM,
        demo.team_id,
        OWNER.0,
        OWNER.1,
    ));
    Ok(())
}

/// A small xorshift64* generator: the same numbers on every run and every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// In `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The team being seeded, and who acts for it.
struct Demo<'a> {
    app: &'a App,
    slug: &'a str,
    rng: Rng,
    request_id: String,
    now: DateTime<Utc>,
    today: NaiveDate,
    team_id: Uuid,
    /// The owner, then [`MEMBERS`], with their roles.
    people: Vec<(Uuid, Role)>,
    /// By [`CHANNELS`] index.
    channel_ids: Vec<Uuid>,
}

impl<'a> Demo<'a> {
    async fn sign_up(app: &'a App, slug: &'a str) -> anyhow::Result<(Demo<'a>, String)> {
        let now = Utc::now();
        let request_id = format!("seed-{}", Uuid::now_v7());
        let origin = Origin {
            actor: Actor::Anonymous,
            request_id: request_id.clone(),
        };
        let owner = Person {
            name: OWNER.0,
            email: OWNER.1,
        };
        let registered =
            match teams::sign_up(app, &origin, plan::TEAM.into(), slug.into(), owner).await {
                Err(AppError::Append(AppendError::Claimed { .. })) => return Err(taken(slug)),
                other => other.context("signing up the team")?,
            };
        let team_id = registered.team.team.state.id;
        let mut demo = Demo {
            app,
            slug,
            rng: Rng(0x5EED_C0FF_EE00_2026),
            request_id,
            now,
            today: now.date_naive(),
            team_id,
            people: vec![(registered.owner.member_id, Role::Owner)],
            channel_ids: Vec::new(),
        };
        let by_owner = demo.origin(0);
        for (name, email, role) in MEMBERS {
            let person = Person { name, email };
            let added = members::add(app, &by_owner, team_id, None, person, (role, false))
                .await
                .context("adding a member")?;
            demo.people.push((added.member.member_id, role));
        }
        Ok((demo, registered.token.secret))
    }

    /// What person `who` (an index into the owner and [`MEMBERS`]) does.
    fn origin(&self, who: usize) -> Origin {
        Origin {
            actor: Actor::Member {
                member_id: self.member(who),
            },
            request_id: self.request_id.clone(),
        }
    }

    fn member(&self, who: usize) -> Uuid {
        self.people.get(who).map_or(Uuid::nil(), |p| p.0)
    }

    fn role(&self, who: usize) -> Role {
        self.people.get(who).map_or(Role::Viewer, |p| p.1)
    }

    fn channel(&self, index: usize) -> Uuid {
        self.channel_ids.get(index).copied().unwrap_or_default()
    }

    /// Midnight (UTC) `days_ago` days before today.
    fn midnight(&self, days_ago: i64) -> DateTime<Utc> {
        (self.today - Duration::days(days_ago))
            .and_time(NaiveTime::MIN)
            .and_utc()
    }

    fn day(&self, days_from_today: i64) -> NaiveDate {
        self.today + Duration::days(days_from_today)
    }

    async fn channels(&mut self) -> anyhow::Result<()> {
        let by_owner = self.origin(0);
        for plan in &CHANNELS {
            let name = Some(plan.name.to_owned());
            let added = channels::add(
                self.app,
                &by_owner,
                self.team_id,
                plan.platform,
                plan.handle.into(),
                name,
            )
            .await?;
            self.channel_ids.push(added.state.id);
        }
        say(format_args!(
            "{} channels: instagram, blog, linkedin, tiktok",
            CHANNELS.len()
        ));
        Ok(())
    }

    /// Each channel's followers (or subscribers) and daily flows, one observation a day at
    /// midnight: steady growth with a little noise, quieter weekends on LinkedIn, and more
    /// likes on Instagram once the evening reels started.
    async fn channel_metrics(&mut self) -> anyhow::Result<usize> {
        let mut rows = Vec::new();
        for (index, plan) in CHANNELS.iter().enumerate() {
            let channel_id = self.channel(index);
            for i in 0..=DAYS {
                let days_ago = DAYS - i;
                let observed_at = self.midnight(days_ago);
                let days = i as f64;
                let noise = (self.rng.unit() - 0.5) * plan.growth * 3.0;
                let level = plan.start + plan.growth * days + noise;
                rows.push(observation(channel_id, plan.level, level, observed_at));
                let weekend = observed_at.weekday().number_from_monday() >= 6;
                for &(metric, base) in plan.flows {
                    let mut value = base * (1.0 + 0.0015 * days) * (0.85 + 0.3 * self.rng.unit());
                    if weekend && index == LINKEDIN {
                        value *= 0.5;
                    }
                    if index == INSTAGRAM && metric == Metric::Likes && days_ago <= EXPERIMENT_FROM
                    {
                        value *= 1.2;
                    }
                    rows.push(observation(channel_id, metric, value, observed_at));
                }
            }
        }
        self.record(&rows).await
    }

    async fn record(&self, rows: &[Observation]) -> anyhow::Result<usize> {
        let origin = self.origin(PRIYA);
        for batch in rows.chunks(BATCH_MAX) {
            observations::record(self.app, &origin, self.team_id, batch, self.now).await?;
        }
        Ok(rows.len())
    }
}

fn observation(
    channel_id: Uuid,
    metric: Metric,
    value: f64,
    observed_at: DateTime<Utc>,
) -> Observation {
    Observation {
        channel_id,
        metric,
        value: value.round().max(0.0),
        observed_at,
        post_id: None,
    }
}
