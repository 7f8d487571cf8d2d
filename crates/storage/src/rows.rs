//! Rows to Rust values: a row type states its columns once, beside the statement that selects
//! them.

use tokio_postgres::Row;
use tokio_postgres::types::FromSql;

/// Gives a struct whose fields are a statement's columns, listed in the order it selects
/// them, a `from_row` for [`crate::Store::query_rows`] and [`crate::Store::query_opt`]: each row type
/// states its columns once, beside the statement that selects them.
macro_rules! from_columns {
    ($row:ident { $($field:ident),+ $(,)? }) => {
        impl $row {
            pub(crate) fn from_row(
                row: &tokio_postgres::Row,
            ) -> Result<$row, tokio_postgres::Error> {
                let mut column = 0;
                let mut next = || {
                    column += 1;
                    column - 1
                };
                // Fields are initialized in the order they are written: column by column.
                Ok($row { $($field: row.try_get(next())?),+ })
            }
        }
    };
}
pub(crate) use from_columns;

/// A row's first two columns, for [`crate::Store::query_rows`].
pub(crate) fn pair<A, B>(row: &Row) -> Result<(A, B), tokio_postgres::Error>
where
    A: for<'a> FromSql<'a>,
    B: for<'a> FromSql<'a>,
{
    Ok((row.try_get(0)?, row.try_get(1)?))
}
