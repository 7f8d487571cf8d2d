//! Cursor pagination as every list in the API does it: `?limit=` (default 50, at most 200)
//! and `?cursor=`, answered with `{items, next_cursor}`.

use std::borrow::Cow;

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr};

use crate::error::ApiError;
use crate::extract::Bounded;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// One page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

// The schema is written out rather than derived: utoipa's derive copies the schema of a
// generic argument into each page (`Page_IdeaView` holding an unnamed copy of `IdeaView`), so
// a generated client would get an anonymous item type and an item only listed would leave
// its own schema unused. A page refers to its item's schema by name instead.
impl<T: ToSchema> utoipa::__dev::ComposeSchema for Page<T> {
    fn compose(_inlined: Vec<RefOr<Schema>>) -> RefOr<Schema> {
        ObjectBuilder::new()
            .description(Some("One page of a list."))
            .property(
                "items",
                ArrayBuilder::new().items(Ref::from_schema_name(T::name())),
            )
            .required("items")
            .property(
                "next_cursor",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .description(Some(
                        "Pass as `?cursor=` for the next page; null on the last page.",
                    )),
            )
            .into()
    }
}

impl<T: ToSchema> ToSchema for Page<T> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Page")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

/// The shape of a position cursor, as the document states it: a position written plainly.
pub const POSITION_CURSOR_PATTERN: &str = "^(0|[1-9][0-9]{0,17})$";

/// A `cursor` that is a position in the log, as pages of the log and the feed hand out: digits
/// without a leading zero, at most 18 of them (see [`POSITION_CURSOR_PATTERN`]).
pub fn position_cursor(raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    raw.map(|c| {
        let plain = (1..=18).contains(&c.len())
            && c.bytes().all(|b| b.is_ascii_digit())
            && (c == "0" || !c.starts_with('0'));
        plain
            .then(|| c.parse::<i64>().ok())
            .flatten()
            .ok_or_else(|| {
                ApiError::validation("cursor", "must be a next_cursor this API returned")
            })
    })
    .transpose()
}

/// A page size the API serves: 1 to [`MAX_LIMIT`], 50 by default.
pub type Limit = Bounded<1, MAX_LIMIT, DEFAULT_LIMIT>;

/// Pages of `items` (ordered by the unique `key`) as a list query asks for them: the page
/// after `cursor`, answered 200.
pub fn answer<T: Serialize>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    limit: Limit,
    cursor: Option<&str>,
) -> HttpResponse {
    HttpResponse::Ok().json(paginate(items, key, limit.get() as usize, cursor))
}

/// [`answer`] for items listed with the key they are ordered by, which the page leaves out.
pub fn answer_keyed<T: Serialize>(
    items: Vec<(String, T)>,
    limit: Limit,
    cursor: Option<&str>,
) -> HttpResponse {
    let page = paginate(items, |(key, _)| key.clone(), limit.get() as usize, cursor);
    HttpResponse::Ok().json(Page {
        items: page
            .items
            .into_iter()
            .map(|(_, item)| item)
            .collect::<Vec<_>>(),
        next_cursor: page.next_cursor,
    })
}

/// A list's query: its own filters, then `limit` and `cursor` where `..page` stands, each
/// stated once here with its bounds. Field order is the order the
/// document lists the parameters in.
macro_rules! page_query {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$before_meta:meta])* pub $before:ident: $before_ty:ty,)*
            ..page,
            $($(#[$after_meta:meta])* pub $after:ident: $after_ty:ty,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, ::serde::Deserialize, ::utoipa::IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            $($(#[$before_meta])* pub $before: $before_ty,)*
            /// Page size, 1 to 200 (default 50).
            #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
            #[serde(default)]
            pub limit: $crate::page::Limit,
            /// The `next_cursor` of the page before.
            pub cursor: Option<String>,
            $($(#[$after_meta])* pub $after: $after_ty,)*
        }

        impl $name {
            /// The page of `items` (ordered by the unique `key`) this query asks for.
            #[allow(dead_code, reason = "not every list pages by a key of its items")]
            pub fn answer<T: ::serde::Serialize>(
                &self,
                items: Vec<T>,
                key: impl Fn(&T) -> String,
            ) -> ::actix_web::HttpResponse {
                $crate::page::answer(items, key, self.limit, self.cursor.as_deref())
            }

            /// The page of `items`, listed with the keys they are ordered by, this query
            /// asks for.
            #[allow(dead_code, reason = "not every list is keyed apart from its items")]
            pub fn answer_keyed<T: ::serde::Serialize>(
                &self,
                items: Vec<(String, T)>,
            ) -> ::actix_web::HttpResponse {
                $crate::page::answer_keyed(items, self.limit, self.cursor.as_deref())
            }
        }
    };
}
pub(crate) use page_query;

/// Pages through `items` ordered by `key` (unique and ascending): the page holds what comes
/// after `cursor`.
pub fn paginate<T>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> String,
    limit: usize,
    cursor: Option<&str>,
) -> Page<T> {
    items.sort_by_key(&key);
    let start = cursor.map_or(0, |cursor| {
        items.partition_point(|item| key(item).as_str() <= cursor)
    });
    let mut page: Vec<T> = items.into_iter().skip(start).collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let next_cursor = if more { page.last().map(&key) } else { None };
    Page {
        items: page,
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_each_other_without_gaps_or_repeats() {
        let items: Vec<u32> = (0..7).rev().collect();
        let key = |n: &u32| format!("{n:03}");
        let first = paginate(items.clone(), key, 3, None);
        assert_eq!(
            (first.items.clone(), first.next_cursor.clone()),
            (vec![0, 1, 2], Some("002".to_owned()))
        );
        let second = paginate(items.clone(), key, 3, first.next_cursor.as_deref());
        assert_eq!(second.items, vec![3, 4, 5]);
        let last = paginate(items, key, 3, second.next_cursor.as_deref());
        assert_eq!((last.items, last.next_cursor), (vec![6], None));
    }

    #[test]
    fn limits_are_bounded() {
        let limit = |raw: serde_json::Value| serde_json::from_value::<Limit>(raw).map(Limit::get);
        assert_eq!(Limit::default().get(), 50);
        assert_eq!(limit(1.into()).unwrap(), 1);
        assert_eq!(limit(200.into()).unwrap(), 200);
        for refused in [0, 201, -1] {
            let error = limit(refused.into()).unwrap_err().to_string();
            assert!(
                error.contains("between 1 and 200") || refused < 0,
                "{refused}: {error}"
            );
        }
    }
}
