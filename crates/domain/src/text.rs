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

/// Checks and trims a one-line title or name: at most `max` characters as sent, something
/// besides whitespace, no control characters.
pub fn title(raw: &str, max: usize) -> Result<String, TextError> {
    if raw.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    if raw.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter);
    }
    match raw.trim() {
        "" => Err(TextError::Empty),
        trimmed => Ok(trimmed.to_owned()),
    }
}

/// [`title`] as a JSON Schema (ECMA-262) pattern: no control character, and at least one
/// character that is neither whitespace (as Rust trims it) nor control.
pub const TITLE_PATTERN: &str = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$";

/// [`long_text`] as a JSON Schema pattern: no control character but line breaks and tabs.
pub const LONG_TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$";

/// [`long_text`] that must hold something, as a JSON Schema pattern: a character besides
/// whitespace, and no control character but line breaks and tabs.
pub const REQUIRED_LONG_TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$";

/// Checks and trims free text of many lines: at most `max` characters as sent, no control
/// characters but line breaks and tabs. Empty (after trimming) is none. Text is stored as
/// text: nothing here or anywhere else interprets HTML.
pub fn long_text(raw: &str, max: usize) -> Result<Option<String>, TextError> {
    if raw.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    if raw
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(TextError::ControlCharacter);
    }
    match raw.trim() {
        "" => Ok(None),
        trimmed => Ok(Some(trimmed.to_owned())),
    }
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
    match raw.map(|raw| title(raw, max)) {
        None | Some(Err(TextError::Empty)) => Ok(None),
        Some(checked) => checked.map(Some),
    }
}

/// [`optional_title`] as a JSON Schema pattern: no control character (blank is none).
pub const OPTIONAL_TITLE_PATTERN: &str = r"^[^\u0000-\u001f\u007f-\u009f]*$";

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

/// Whitespace as Rust's `char::is_whitespace` knows it, for the patterns below.
macro_rules! whitespace {
    () => {
        r"\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}

/// Control characters as Rust's `char::is_control` knows them.
macro_rules! control {
    () => {
        r"\u0000-\u001f\u007f-\u009f"
    };
}

/// [`email`] as a JSON Schema pattern.
pub const EMAIL_PATTERN: &str = concat!(
    "^[^@",
    whitespace!(),
    control!(),
    "]+@[^.",
    whitespace!(),
    control!(),
    "][^",
    whitespace!(),
    control!(),
    "]*\\.[^",
    whitespace!(),
    control!(),
    "]*[^.",
    whitespace!(),
    control!(),
    "]$"
);

/// Longest e-mail address, in characters.
pub const EMAIL_MAX: usize = 254;

/// A deliberately small e-mail check: one `@` with text on both sides and a dot inside the
/// domain, no spaces or control characters, at most 254 characters. Deliverability is the
/// mail server's business, not ours.
pub fn email(raw: &str) -> Result<String, &'static str> {
    let valid = raw.chars().count() <= EMAIL_MAX
        && !raw.chars().any(|c| c.is_control() || c.is_whitespace())
        && raw.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(raw.to_owned())
    } else {
        Err("must be an e-mail address like ada@example.com")
    }
}

/// [`url`] as a JSON Schema pattern.
pub const URL_PATTERN: &str = concat!("^https?://[^", whitespace!(), control!(), "]*$");

/// Checks a link: `http://` or `https://`, no spaces or control characters, at most `max`
/// characters.
pub fn url(raw: &str, max: usize) -> Result<String, &'static str> {
    let valid = raw.chars().count() <= max
        && (raw.starts_with("https://") || raw.starts_with("http://"))
        && !raw.chars().any(|c| c.is_control() || c.is_whitespace());
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(
            "must be an http or https URL of at most 2048 characters, without spaces or control characters",
        )
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

    /// Every string of up to `longest` characters from `alphabet`.
    fn every_string(alphabet: &[char], longest: usize) -> Vec<String> {
        let mut strings = vec![String::new()];
        let mut last = strings.clone();
        for _ in 0..longest {
            last = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            strings.extend(last.iter().cloned());
        }
        strings
    }

    /// The patterns the OpenAPI document states accept exactly what the checks accept.
    #[test]
    fn the_documented_patterns_agree_with_the_checks() {
        let title_re = regex::Regex::new(TITLE_PATTERN).unwrap();
        let long_re = regex::Regex::new(LONG_TEXT_PATTERN).unwrap();
        let required_re = regex::Regex::new(REQUIRED_LONG_TEXT_PATTERN).unwrap();
        let optional_re = regex::Regex::new(OPTIONAL_TITLE_PATTERN).unwrap();
        let alphabet = [
            'a', ' ', '\t', '\n', '\r', '\u{0}', '\u{7}', '\u{7f}', '\u{85}', '\u{a0}', '\u{2003}',
            '\u{3000}', '\u{feff}', 'é', '\u{1680}', '\u{180e}',
        ];
        for s in &every_string(&alphabet, 3) {
            assert_eq!(title_re.is_match(s), title(s, 10).is_ok(), "title {s:?}");
            assert_eq!(
                long_re.is_match(s),
                long_text(s, 10).is_ok(),
                "long text {s:?}"
            );
            assert_eq!(
                required_re.is_match(s),
                long_text(s, 10).is_ok_and(|t| t.is_some()),
                "required long text {s:?}"
            );
            assert_eq!(
                optional_re.is_match(s),
                optional_title(Some(s), 10).is_ok(),
                "optional title {s:?}"
            );
        }
    }

    #[test]
    fn the_documented_email_and_url_patterns_agree_with_the_checks() {
        let email_re = regex::Regex::new(EMAIL_PATTERN).unwrap();
        let url_re = regex::Regex::new(URL_PATTERN).unwrap();
        let alphabet = ['a', '@', '.', ' ', '\u{85}', '\u{feff}', '\u{7}'];
        for s in &every_string(&alphabet, 5) {
            assert_eq!(email_re.is_match(s), email(s).is_ok(), "email {s:?}");
            for link in [format!("https://{s}"), format!("http:/{s}"), s.clone()] {
                assert_eq!(
                    url_re.is_match(&link),
                    url(&link, 100).is_ok(),
                    "url {link:?}"
                );
            }
        }
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
            (
                Some(&" ".repeat(11)),
                10,
                Err(TextError::TooLong { max: 10 }),
            ),
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
        assert_eq!(email("ada@example.com"), Ok("ada@example.com".to_owned()));
        for bad in [
            " ada@example.com ",
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
