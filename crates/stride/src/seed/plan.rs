//! Who Northwind Coffee are and how each of its channels behaves: the numbers the demo's
//! history is drawn from.

use chrono::Weekday;
use stride_domain::channel::Platform;
use stride_domain::metric::Metric;
use stride_domain::team::Role;

pub const TEAM: &str = "Northwind Coffee";
pub const OWNER: (&str, &str) = ("Maya Lindqvist", "maya@northwind.example.com");
/// After the owner (person 0), in this order.
pub const MEMBERS: [(&str, &str, Role); 4] = [
    ("Jonas Berg", "jonas@northwind.example.com", Role::Admin),
    (
        "Priya Natarajan",
        "priya@northwind.example.com",
        Role::Member,
    ),
    ("Tomás Ruiz", "tomas@northwind.example.com", Role::Member),
    ("Elena Park", "elena@northwind.example.com", Role::Viewer),
];
pub const JONAS: usize = 1;
pub const PRIYA: usize = 2;
pub const TOMAS: usize = 3;

/// How a channel grows, what it measures every day, when it publishes and how its posts do.
pub struct Plan {
    pub platform: Platform,
    pub handle: &'static str,
    pub name: &'static str,
    /// Where its posts live; a post's URL adds its id.
    pub url: &'static str,
    /// The level it grows: followers, or a blog's subscribers.
    pub level: Metric,
    pub start: f64,
    /// Per day.
    pub growth: f64,
    /// Measured once a day for the whole channel.
    pub flows: &'static [(Metric, f64)],
    pub days: &'static [Weekday],
    /// The chance that a usual day goes without a post.
    pub skip: f64,
    /// The hour (UTC) posts go out.
    pub hour: i64,
    /// Likes and clicks of a typical post, a week after it went out.
    pub likes: f64,
    pub clicks: f64,
    /// Who usually writes for it (an index into the people).
    pub assignee: usize,
    /// Title templates; `{}` is a topic.
    pub titles: &'static [&'static str],
}

pub const INSTAGRAM: usize = 0;
pub const BLOG: usize = 1;
pub const LINKEDIN: usize = 2;
pub const TIKTOK: usize = 3;

use Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};

pub const CHANNELS: [Plan; 4] = [
    Plan {
        platform: Platform::Instagram,
        handle: "@northwindcoffee",
        name: "Instagram",
        url: "https://www.instagram.com/p",
        level: Metric::Followers,
        start: 11_800.0,
        growth: 6.2,
        flows: &[(Metric::Likes, 420.0), (Metric::Shares, 35.0)],
        days: &[Tue, Thu, Sat, Sun],
        skip: 0.12,
        hour: 12,
        likes: 240.0,
        clicks: 6.0,
        assignee: PRIYA,
        titles: &[
            "Reel: {}",
            "Carousel: {}",
            "Behind the bar: {}",
            "Photo of the week: {}",
        ],
    },
    Plan {
        platform: Platform::Blog,
        handle: "northwind.coffee/journal",
        name: "The Journal",
        url: "https://northwind.example.com/journal",
        level: Metric::Subscribers,
        start: 2_150.0,
        growth: 1.6,
        flows: &[(Metric::Traffic, 900.0)],
        days: &[Mon, Wed, Fri],
        skip: 0.05,
        hour: 8,
        likes: 10.0,
        clicks: 150.0,
        assignee: TOMAS,
        titles: &[
            "Brew guide: {}",
            "From the roastery: {}",
            "Field notes: {}",
            "Ask a barista: {}",
        ],
    },
    Plan {
        platform: Platform::Linkedin,
        handle: "northwind-coffee",
        name: "LinkedIn",
        url: "https://www.linkedin.com/feed/update",
        level: Metric::Followers,
        start: 3_400.0,
        growth: 3.1,
        flows: &[(Metric::Clicks, 140.0)],
        days: &[Tue, Thu],
        skip: 0.1,
        hour: 9,
        likes: 85.0,
        clicks: 45.0,
        assignee: JONAS,
        titles: &[
            "What we learned from {}",
            "Team spotlight: {}",
            "Wholesale update: {}",
        ],
    },
    Plan {
        platform: Platform::Tiktok,
        handle: "@northwind.coffee",
        name: "TikTok",
        url: "https://www.tiktok.com/@northwind.coffee/video",
        level: Metric::Followers,
        start: 1_900.0,
        growth: 0.4,
        flows: &[(Metric::Views, 1_200.0), (Metric::Likes, 60.0)],
        days: &[Mon, Fri],
        skip: 0.15,
        hour: 17,
        likes: 30.0,
        clicks: 1.0,
        assignee: TOMAS,
        titles: &[
            "15 seconds of {}",
            "POV: {}",
            "Trying {} so you don't have to",
        ],
    },
];

pub const TOPICS: [&str; 14] = [
    "Ethiopian Guji on pour-over",
    "the oat flat white",
    "cold brew at home",
    "latte art basics",
    "roast day",
    "our Huila harvest",
    "the autumn menu",
    "home espresso",
    "decaf done right",
    "compostable cups",
    "the Sunday market stall",
    "grinder settings",
    "water for coffee",
    "the new Kalita dripper",
];
