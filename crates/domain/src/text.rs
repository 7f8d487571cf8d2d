//! Validation of the text people type: names, titles, slugs. Shared by every aggregate so
//! that limits read the same everywhere.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain control characters")]
    ControlCharacter,
    #[error(
        "must be 3 to 40 lowercase letters, digits or hyphens, starting with a letter or digit"
    )]
    BadSlug,
}

/// Trims and checks a one-line title or name: 1..=max characters, no control characters.
pub fn title(raw: &str, max: usize) -> Result<String, TextError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter);
    }
    Ok(trimmed.to_owned())
}

/// Trims and checks free text of many lines: at most `max` characters, no control characters
/// but line breaks and tabs. Empty (after trimming) is none. Text is stored as text: nothing
/// here or anywhere else interprets HTML.
pub fn long_text(raw: &str, max: usize) -> Result<Option<String>, TextError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(TextError::ControlCharacter);
    }
    Ok(Some(trimmed.to_owned()))
}

/// [`long_text`] of a field that may be left out: left out, like blank, is none.
pub fn optional_long_text(raw: Option<&str>, max: usize) -> Result<Option<String>, TextError> {
    raw.map_or(Ok(None), |raw| long_text(raw, max))
}

/// [`long_text`] that must say something: blank is [`TextError::Empty`].
pub fn required_long_text(raw: &str, max: usize) -> Result<String, TextError> {
    long_text(raw, max)?.ok_or(TextError::Empty)
}

/// [`title`] of a field that may be left out: left out, like blank, is none.
pub fn optional_title(raw: Option<&str>, max: usize) -> Result<Option<String>, TextError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => title(raw, max).map(Some),
    }
}

/// Checks a URL slug: `[a-z0-9][a-z0-9-]{2,39}`.
pub fn slug(raw: &str) -> Result<String, TextError> {
    let ok_len = (3..=40).contains(&raw.len());
    let ok_chars = raw
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ok_start = raw
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok_len && ok_chars && ok_start {
        Ok(raw.to_owned())
    } else {
        Err(TextError::BadSlug)
    }
}

/// A deliberately small e-mail check: one `@` with text on both sides and a dot in the domain.
/// Deliverability is the mail server's business, not ours.
pub fn email(raw: &str) -> Result<String, &'static str> {
    let trimmed = raw.trim();
    let valid = trimmed.len() <= 254
        && !trimmed.chars().any(|c| c.is_control() || c.is_whitespace())
        && trimmed.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(trimmed.to_owned())
    } else {
        Err("must be an e-mail address like ada@example.com")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(title("  Poll time  ", 200), Ok("Poll time".to_owned()));
        assert_eq!(title("   ", 200), Err(TextError::Empty));
        assert_eq!(
            title(&"x".repeat(201), 200),
            Err(TextError::TooLong { max: 200 })
        );
        assert_eq!(
            title(&"é".repeat(200), 200).map(|t| t.chars().count()),
            Ok(200)
        );
        assert_eq!(title("a\u{0007}b", 200), Err(TextError::ControlCharacter));
    }

    #[test]
    fn long_text_keeps_lines_and_refuses_other_control_characters() {
        assert_eq!(long_text(" a\n\tb ", 10), Ok(Some("a\n\tb".to_owned())));
        assert_eq!(long_text("  \n ", 10), Ok(None));
        assert_eq!(long_text("abc", 2), Err(TextError::TooLong { max: 2 }));
        assert_eq!(long_text("a\u{0}b", 10), Err(TextError::ControlCharacter));
    }

    #[test]
    fn optional_text_may_be_left_out_or_blank_and_required_text_may_not() {
        let some = |text: &str| Ok(Some(text.to_owned()));
        let too_long = Err(TextError::TooLong { max: 2 });
        for (raw, max, expected) in [
            (None, 10, Ok(None)),
            (Some(" \n "), 10, Ok(None)),
            (Some(" a\nb "), 10, some("a\nb")),
            (Some("abc"), 2, too_long.clone()),
        ] {
            assert_eq!(optional_long_text(raw, max), expected, "{raw:?}");
        }
        for (raw, max, expected) in [
            (None, 10, Ok(None)),
            (Some("   "), 10, Ok(None)),
            (Some(" Acme "), 10, some("Acme")),
            (Some("a\nb"), 10, Err(TextError::ControlCharacter)),
            (Some("abc"), 2, too_long),
        ] {
            assert_eq!(optional_title(raw, max), expected, "{raw:?}");
        }
        assert_eq!(required_long_text(" a\nb ", 10), Ok("a\nb".to_owned()));
        assert_eq!(required_long_text(" \n ", 10), Err(TextError::Empty));
        assert_eq!(
            required_long_text("a\u{0}b", 10),
            Err(TextError::ControlCharacter)
        );
    }

    #[test]
    fn slugs_are_lowercase_words_with_hyphens() {
        assert!(slug("acme-coffee").is_ok());
        assert!(slug("42-things").is_ok());
        for bad in [
            "ab",
            "Acme",
            "-acme",
            "acme_coffee",
            "acme coffee",
            &"a".repeat(41),
        ] {
            assert_eq!(slug(bad), Err(TextError::BadSlug), "{bad}");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_domain() {
        assert_eq!(email(" ada@example.com "), Ok("ada@example.com".to_owned()));
        for bad in [
            "ada",
            "@example.com",
            "ada@example",
            "ada@.com",
            "a da@example.com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }
}
