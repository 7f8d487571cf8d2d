//! The shapes of text the API takes, stated once with the bounds the domain enforces, and
//! referenced by every field that takes them (`#[schema(value_type = Title)]`): a client
//! generated from the document refuses what the server would.

use stride_domain::text::{
    EMAIL_MAX, EMAIL_PATTERN, LONG_TEXT_PATTERN, OPTIONAL_TITLE_PATTERN,
    REQUIRED_LONG_TEXT_PATTERN, TITLE_PATTERN, URL_PATTERN,
};
use stride_domain::{channel, idea, post, team, webhook};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

fn text(description: &str, max: usize, pattern: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .max_length(Some(max))
        .pattern(Some(pattern))
        .into()
}

macro_rules! text_schema {
    ($(#[doc = $doc:literal])* $name:ident, $max:expr, $pattern:expr) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                text(concat!($($doc),*).trim(), $max, $pattern)
            }
        }

        impl ToSchema for $name {}
    };
}

text_schema!(
    /// One line, 1 to 200 characters, something besides whitespace, no control characters; trimmed.
    Title, post::TITLE_MAX, TITLE_PATTERN
);
text_schema!(
    /// One line, 1 to 100 characters, something besides whitespace, no control characters; trimmed.
    Name, channel::NAME_MAX, TITLE_PATTERN
);
text_schema!(
    /// One line of at most 100 characters, no control characters; trimmed, and blank is none.
    OptionalName, channel::NAME_MAX, OPTIONAL_TITLE_PATTERN
);
text_schema!(
    /// One line of at most 1,000 characters, no control characters; trimmed, and blank is none.
    Reason, channel::REASON_MAX, OPTIONAL_TITLE_PATTERN
);
text_schema!(
    /// One line, 1 to 255 characters, something besides whitespace, no control characters; trimmed.
    Audience, team::AUDIENCE_MAX, TITLE_PATTERN
);
text_schema!(
    /// Text of many lines, at most 10,000 characters, no control characters but line breaks and tabs; trimmed, and empty is none.
    LongText, idea::BODY_MAX, LONG_TEXT_PATTERN
);
text_schema!(
    /// Text of many lines, at most 10,000 characters, something besides whitespace, no control characters but line breaks and tabs; trimmed.
    RequiredText, post::BODY_MAX, REQUIRED_LONG_TEXT_PATTERN
);
text_schema!(
    /// An `http` or `https` URL of at most 2,048 characters, without spaces or control characters.
    Url, post::URL_MAX, URL_PATTERN
);
text_schema!(
    /// One line of at most 500 characters, no control characters; trimmed, and blank is none.
    OptionalWebhookDescription, webhook::DESCRIPTION_MAX, OPTIONAL_TITLE_PATTERN
);
text_schema!(
    /// A tag: one line of 1 to 30 characters, something besides whitespace, no control characters.
    Tag, idea::TAG_MAX, TITLE_PATTERN
);

// No `format`: addresses may be internationalized (RFC 6531), which `email` refuses, and
// validators read `idn-email` each their own way; the pattern is the rule the server applies.
text_schema!(
    /// An e-mail address: a local part, `@`, and a domain with a dot inside it; at most 254 characters.
    Email, EMAIL_MAX, EMAIL_PATTERN
);

/// A URL slug: 3 to 40 lowercase letters, digits or hyphens, starting with a letter or digit.
pub struct Slug;

impl PartialSchema for Slug {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "3 to 40 lowercase letters, digits or hyphens, starting with a letter or digit.",
            ))
            .min_length(Some(3))
            .max_length(Some(40))
            .pattern(Some("^[a-z0-9][a-z0-9-]{2,39}$"))
            .into()
    }
}

impl ToSchema for Slug {}

/// What a webhook endpoint may hear: an event's name, a signal, or `*` for all.
pub struct WebhookEventType;

impl PartialSchema for WebhookEventType {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "An event's name (`IdeaSubmitted`, `PostPublished`, ...), a signal (`goal.status_changed`, `cadence.period_at_risk`, `post.review_requested`, `idea.trending`), or `*` for all.",
            ))
            .enum_values(Some(webhook::event_types()))
            .into()
    }
}

impl ToSchema for WebhookEventType {}
