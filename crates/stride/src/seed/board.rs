//! The demo's community board: fans join it and bring ideas, vote and comment; the team
//! brings a few of its own, plans some, declines some with a reason, merges a duplicate and
//! turns two into posts, all as the board's and the team's requests would.

use chrono::Duration;
use stride_app::{board, ideas, votes};
use stride_domain::Actor;
use stride_domain::idea::{Author, IdeaStatus, NewIdea};
use stride_domain::post::NewPost;
use stride_storage::board::ContributorToken;
use uuid::Uuid;

use super::Demo;
use super::plan::{BLOG, INSTAGRAM, JONAS, LINKEDIN, PRIYA, TOMAS};

const CONTRIBUTORS: [&str; 10] = [
    "Sam Okafor",
    "Lea Novak",
    "Hiro Tanaka",
    "Grace Miller",
    "Omar Haddad",
    "Inês Duarte",
    "Ben Carter",
    "Zoé Laurent",
    "Kofi Mensah",
    "Mia Schulz",
];

/// An idea: who brings it (a contributor, or with channels a member), its title, body and
/// tags, and how likely each fan is to vote for it.
struct Seed {
    by: usize,
    title: &'static str,
    body: &'static str,
    tags: &'static [&'static str],
    appeal: f64,
}

const fn idea(
    by: usize,
    title: &'static str,
    body: &'static str,
    tags: &'static [&'static str],
    appeal: f64,
) -> Seed {
    Seed {
        by,
        title,
        body,
        tags,
        appeal,
    }
}

#[rustfmt::skip]
const IDEAS: [Seed; 20] = [
    idea(0, "Behind the scenes of a roast day", "From green beans to the first cup.", &["behind-the-scenes"], 0.7),
    idea(1, "Latte art battle between the baristas", "Bracket style, the customers judge.", &["video", "baristas"], 0.6),
    idea(2, "Home espresso dial-in guide", "Grind, dose, time: a cheat sheet for beginners.", &["guide"], 0.8),
    idea(3, "Cold brew recipe for summer", "The ratio you use in the shop, scaled for a jar.", &["recipe"], 0.65),
    idea(4, "Meet the farmers in Huila", "Who grows the beans we drink every morning?", &["origin", "video"], 0.55),
    idea(5, "A week of decaf: does anyone notice?", "A blind test with the regulars.", &["experiment"], 0.3),
    idea(6, "Oat vs. almond milk taste test", "Which one steams best, which one tastes best.", &["video"], 0.75),
    idea(7, "Coffee and pastry pairings", "What goes with the Guji, what goes with the Huila.", &["menu"], 0.4),
    idea(8, "Customer of the month stories", "The people behind the usual orders.", &["community"], 0.35),
    idea(9, "How the roast profile changes the taste", "Same bean, three roasts, side by side.", &["guide", "roasting"], 0.5),
    idea(0, "Compostable cups: where they actually go", "Follow a cup from the bin to the compost.", &["sustainability"], 0.45),
    idea(1, "A playlist of what the baristas listen to", "Monday-morning songs included.", &["community"], 0.25),
    idea(2, "Latte art tutorial for beginners", "Heart, tulip, rosetta, in that order.", &["guide", "video"], 0.8),
    idea(3, "Seasonal menu sneak peek", "Show the autumn drinks before they launch.", &["menu"], 0.6),
    idea(4, "Water chemistry explained simply", "Why our coffee tastes different at home.", &["guide"], 0.3),
    idea(5, "Coffee cupping at home", "How to taste like the roasters do.", &["guide"], 0.35),
    idea(6, "Refill discount for bringing your own cup", "Ten percent off with your own mug?", &["sustainability"], 0.5),
    idea(7, "Midnight opening for the night owls", "Open till midnight on Fridays.", &["shop"], 0.4),
    idea(8, "Film a full roast day, start to finish", "The whole day in one long video.", &["video"], 0.5),
    idea(9, "Grinder settings cheat sheet", "A card for every brew method.", &["guide"], 0.45),
];
/// `IDEAS[18]` repeats `IDEAS[0]`.
const DUPLICATE: (usize, usize) = (18, 0);
const PLANNED: [(usize, &str); 3] = [
    (12, "Scheduled for Instagram this week"),
    (3, "For the first warm week"),
    (13, "Once the autumn menu is final"),
];
const UNDER_REVIEW: [usize; 2] = [4, 14];
const DECLINED: [(usize, &str); 2] = [
    (
        16,
        "A pricing question rather than content: passed on to the shop team",
    ),
    (17, "We can't staff the shop that late, sorry"),
];
/// Turned into posts: the idea, the channel and how many days ago it went out.
const USED: [(usize, usize, i64); 2] = [(2, BLOG, 9), (6, INSTAGRAM, 3)];
const COMMENTS: [(usize, usize, &str); 12] = [
    (0, 3, "Yes! I'd love to see the roaster up close."),
    (
        0,
        7,
        "The smell of roast day is the best part of the street.",
    ),
    (2, 5, "Please include the grind size for a hand grinder."),
    (2, 9, "This would save me so many sink shots."),
    (6, 1, "Team oat, obviously."),
    (6, 4, "Include soy for us old-timers?"),
    (12, 0, "My hearts still look like potatoes. Please."),
    (12, 6, "A slow-motion version would help a lot."),
    (3, 8, "And a cold brew concentrate version for the fridge."),
    (13, 2, "Pumpkin-free options, I beg you."),
    (16, 7, "Would bring my own cup every day for this."),
    (4, 0, "Would love to hear how the harvest went this year."),
];

/// Members' own ideas, aimed at channels: (who, title, tags, channel).
const MEMBER_IDEAS: [(usize, &str, &[&str], usize); 3] = [
    (
        PRIYA,
        "Reels: 15-second brew timelapses",
        &["video"],
        INSTAGRAM,
    ),
    (
        JONAS,
        "What our first wholesale year taught us",
        &["wholesale"],
        LINKEDIN,
    ),
    (
        TOMAS,
        "Five ways to use leftover coffee grounds",
        &["sustainability"],
        INSTAGRAM,
    ),
];

/// Everything on the board; answers a line that says what is there.
pub async fn fill(demo: &mut Demo<'_>) -> anyhow::Result<String> {
    let (app, slug, team_id) = (demo.app, demo.slug, demo.team_id);
    let mut fans = Vec::new();
    for name in CONTRIBUTORS {
        let (record, _token, _) = board::join(app, slug, Some(name), None).await?;
        let token = ContributorToken {
            team_id,
            contributor_id: record.contributor_id,
        };
        let origin = demo.origin(0);
        let actor = Actor::Contributor {
            contributor_id: record.contributor_id,
        };
        fans.push((token, stride_app::Origin { actor, ..origin }));
    }
    let mut ids = Vec::new();
    for seed in &IDEAS {
        let (token, origin) = &fans[seed.by];
        let new = NewIdea {
            idea_id: Uuid::now_v7(),
            title: seed.title.into(),
            body: Some(seed.body.into()),
            tags: seed.tags.iter().map(|t| (*t).to_owned()).collect(),
            channel_ids: Vec::new(),
            author: Author::Contributor {
                contributor_id: token.contributor_id,
            },
        };
        ids.push(new.idea_id);
        board::submit(app, origin, slug, *token, new).await?;
    }
    for (who, title, tags, channel) in MEMBER_IDEAS {
        let new = NewIdea {
            idea_id: Uuid::now_v7(),
            title: title.into(),
            body: None,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            channel_ids: vec![demo.channel(channel)],
            author: Author::Member {
                member_id: demo.member(who),
            },
        };
        ids.push(new.idea_id);
        ideas::submit(app, &demo.origin(who), team_id, new).await?;
    }
    let mut cast = 0;
    for (index, &idea_id) in ids.iter().enumerate() {
        let (by, appeal) = IDEAS
            .get(index)
            .map_or((usize::MAX, 0.5), |s| (s.by, s.appeal));
        for (fan, (token, origin)) in fans.iter().enumerate() {
            if fan != by && demo.rng.chance(appeal) {
                votes::cast(app, origin, slug, *token, idea_id, true).await?;
                cast += 1;
            }
        }
    }
    for (index, fan, body) in COMMENTS {
        let (token, origin) = &fans[fan];
        board::comment(app, origin, slug, *token, ids[index], body.into()).await?;
    }
    moderate(demo, &ids).await?;
    Ok(format!(
        "board: {} contributors, {} ideas, {cast} votes, {} comments; {} planned (one scheduled), {} under review, {} used in posts, {} declined, 1 merged",
        fans.len(),
        ids.len(),
        COMMENTS.len(),
        PLANNED.len(),
        UNDER_REVIEW.len(),
        USED.len(),
        DECLINED.len(),
    ))
}

/// The team's side: statuses with reasons, the duplicate merged, two ideas published as
/// posts and a planned one scheduled.
async fn moderate(demo: &mut Demo<'_>, ids: &[Uuid]) -> anyhow::Result<()> {
    let (app, team_id) = (demo.app, demo.team_id);
    let by = demo.origin(JONAS);
    let statuses = PLANNED
        .iter()
        .map(|&(i, why)| (i, IdeaStatus::Planned, Some(why)))
        .chain(
            UNDER_REVIEW
                .iter()
                .map(|&i| (i, IdeaStatus::UnderReview, None)),
        )
        .chain(
            DECLINED
                .iter()
                .map(|&(i, why)| (i, IdeaStatus::Declined, Some(why))),
        );
    for (index, status, reason) in statuses {
        let reason = reason.map(str::to_owned);
        ideas::change_status(app, &by, (team_id, ids[index]), None, status, reason).await?;
    }
    let (duplicate, into) = DUPLICATE;
    ideas::merge(app, &by, team_id, ids[duplicate], ids[into]).await?;
    let mut published = Vec::new();
    for (index, channel, days_ago) in USED {
        let at = demo.now - Duration::days(days_ago);
        let draft = NewPost {
            title: IDEAS[index].title.into(),
            idea_id: Some(ids[index]),
            ..demo.draft(channel, Vec::new())
        };
        published.push((channel, demo.post(channel, draft, Some(at)).await?, at));
    }
    let rows = demo.engagement(&published);
    demo.record(&rows).await?;
    let (latte_art, _) = PLANNED[0];
    let draft = NewPost {
        title: IDEAS[latte_art].title.into(),
        idea_id: Some(ids[latte_art]),
        scheduled_for: Some(demo.midnight(-3) + Duration::hours(19)),
        ..demo.draft(INSTAGRAM, Vec::new())
    };
    demo.post(INSTAGRAM, draft, None).await?;
    Ok(())
}
