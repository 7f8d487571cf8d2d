//! The query parameters of a read at another time: `as_of` (business time) and `known_at`
//! (system time), parsed into the application's [`When`].

use serde::Deserialize;
use stride_app::time_travel::When;
use stride_domain::bounds::Moment;
use utoipa::IntoParams;

/// When to evaluate, and with what knowledge.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WhenQuery {
    /// Business time to evaluate at (RFC 3339, years 2000 to 2100, default now):
    /// observations and posts up to it count, even those recorded later.
    #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
    pub as_of: Option<Moment>,
    /// System time: ignore every event recorded after it ("what did the dashboard say last
    /// Tuesday"), years 2000 to 2100 (a time after now is now). Costs what a plain read costs
    /// plus a replay of the team's channel, goal, post and idea events (and, for suggestions,
    /// its votes), some 5 us each; metric observations are not replayed but read by index as
    /// they stood then. A team with more than 50,000 events of the kinds a read replays gets
    /// 422 `known_at_too_costly`.
    #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
    pub known_at: Option<Moment>,
    /// Wait until the projections include this position (see `Stride-Min-Position`).
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

impl From<WhenQuery> for When {
    fn from(query: WhenQuery) -> When {
        When {
            as_of: query.as_of,
            known_at: query.known_at,
        }
    }
}
