//! A value a command carries that the domain refuses, named by its field: every aggregate's
//! error holds one, and the API answers it as a 422 naming that field.

/// A refused value: the field that holds it, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

/// A revised field: `new`, checked, when it is given and differs from `current`; `None` when
/// the revision leaves the field as it is, so that a revision changing nothing records nothing.
pub fn revised<R, T: PartialEq>(
    new: Option<R>,
    current: &T,
    check: impl FnOnce(R) -> Result<T, Invalid>,
) -> Result<Option<T>, Invalid> {
    Ok(new.map(check).transpose()?.filter(|new| new != current))
}

impl Invalid {
    pub fn new(field: &'static str, message: impl ToString) -> Invalid {
        Invalid {
            field,
            message: message.to_string(),
        }
    }
}
