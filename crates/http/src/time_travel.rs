//! The query parameters of a read at another time: `as_of` (business time) and `known_at`
//! (system time), parsed into the application's [`When`].

/// A read's query at another time: its own parameters first, then `as_of` and `known_at`
/// (stated once here, with their bounds), read as a [`When`] by `when()`.
macro_rules! when_query {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$field_meta:meta])* pub $field:ident: $ty:ty,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, ::serde::Deserialize, ::utoipa::IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
            /// Business time to evaluate at (RFC 3339, years 2000 to 2100, default now):
            /// observations and posts up to it count, even those recorded later.
            #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
            pub as_of: Option<::stride_domain::bounds::Moment>,
            /// System time: ignore every event recorded after it ("what did the dashboard say
            /// last Tuesday"), years 2000 to 2100 (a time after now is now). Costs what a plain
            /// read costs plus a replay of the team's channel, goal, post and idea events (and,
            /// for suggestions, its votes), some 5 us each; metric observations are not
            /// replayed but read by index as they stood then. A team with more than 50,000
            /// events of the kinds a read replays gets 422 `known_at_too_costly`.
            #[param(value_type = Option<String>, format = DateTime, pattern = "^(20[0-9]{2}|2100)-")]
            pub known_at: Option<::stride_domain::bounds::Moment>,
        }

        impl $name {
            /// When to evaluate, and with what knowledge.
            pub fn when(&self) -> ::stride_app::time_travel::When {
                ::stride_app::time_travel::When {
                    as_of: self.as_of,
                    known_at: self.known_at,
                }
            }
        }
    };
}
pub(crate) use when_query;

when_query! {
    /// When to evaluate, and with what knowledge.
    pub struct WhenQuery {}
}
