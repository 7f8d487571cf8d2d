//! People as a team knows them: a name and an e-mail address, checked the same way wherever
//! one is given (a sign-up's owner, a member added, a fan joining a board).

use stride_domain::Invalid;
use stride_domain::text;

use crate::AppError;

/// Longest name of a person, in characters.
pub const PERSON_NAME_MAX: usize = 100;

/// A person's name and e-mail address as given, before they are checked.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub name: &'a str,
    pub email: &'a str,
}

/// The names by which errors refer to a person's name and e-mail address.
pub(crate) type PersonFields = (&'static str, &'static str);

/// The person's name and e-mail address, checked and trimmed.
pub(crate) fn person(
    (name_field, email_field): PersonFields,
    person: Person<'_>,
) -> Result<(String, String), AppError> {
    let name =
        text::title(person.name, PERSON_NAME_MAX).map_err(|e| Invalid::new(name_field, e))?;
    let email = text::email(person.email).map_err(|e| Invalid::new(email_field, e))?;
    Ok((name, email))
}
