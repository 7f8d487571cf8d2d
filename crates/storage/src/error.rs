//! Storage errors, named for what the caller can do about them.

use thiserror::Error;

/// An error and its causes, as one line: `error: cause: cause`.
pub fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    std::iter::successors(Some(error), |e| e.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// A storage call failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// PostgreSQL cannot be reached right now: retrying later may work.
    #[error("the database is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// A stored event could not be decoded: a bug or a missing upcaster.
    #[error("a stored event could not be decoded")]
    Decode(#[from] stride_domain::DecodeError),
    /// A projection stopped on an event of the team it could not apply: its rows for the
    /// team are not what the log says until a rebuild.
    #[error("the {projection} projection stopped at position {position} for this team")]
    ProjectionFailed { projection: String, position: i64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        // A closed connection, a server that is shutting down or starting up, or a
        // transaction that lost a deadlock or serialization race is transient; anything
        // PostgreSQL answered with a SQLSTATE of another class is ours to fix.
        let transient = error.is_closed()
            || error.code().is_some_and(|code| {
                let class = &code.code()[..2];
                matches!(class, "08" | "40" | "57" | "53")
            })
            || (error.code().is_none()
                && std::error::Error::source(&error).is_some_and(|s| s.is::<std::io::Error>()));
        if transient {
            StoreError::Unavailable(error.into())
        } else {
            StoreError::Internal(error.into())
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        match error {
            deadpool_postgres::PoolError::Backend(error) => error.into(),
            other => StoreError::Unavailable(other.into()),
        }
    }
}

/// An append was refused, or failed.
#[derive(Debug, Error)]
pub enum AppendError {
    /// The stream is not at the version the command was decided against.
    #[error("stream {stream_id} is at version {actual:?}, not the expected {expected:?}")]
    Conflict {
        stream_id: uuid::Uuid,
        expected: Option<i64>,
        actual: Option<i64>,
    },
    /// A value that must be unique (such as a team slug) is taken.
    #[error("{scope} {value:?} is taken")]
    Claimed { scope: String, value: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Lets `?` turn PostgreSQL's and the pool's errors into `$error::Store`, classified as
/// [`StoreError`] classifies them, for an error that adds its own refusals to a store's.
macro_rules! wraps_store_error {
    ($error:ident) => {
        impl From<tokio_postgres::Error> for $error {
            fn from(error: tokio_postgres::Error) -> Self {
                $error::Store(error.into())
            }
        }

        impl From<deadpool_postgres::PoolError> for $error {
            fn from(error: deadpool_postgres::PoolError) -> Self {
                $error::Store(error.into())
            }
        }
    };
}
pub(crate) use wraps_store_error;

wraps_store_error!(AppendError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_reads_as_one_line_with_every_cause() {
        let io = std::io::Error::other("connection reset");
        let error = StoreError::Unavailable(anyhow::Error::from(io).context("reading events"));
        assert_eq!(
            one_line(&error),
            "the database is unavailable: reading events: connection reset"
        );
    }
}
