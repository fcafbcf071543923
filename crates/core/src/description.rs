//! The rule for a certificate's description. AWS documents none; certgate refuses the NUL
//! character, which PostgreSQL's text cannot hold: without the rule the same request succeeded on
//! SQLite and failed with a 500 on PostgreSQL (after a key had been made), and a SQLite store
//! holding such a row could not be copied onto PostgreSQL. One answer on every engine, given
//! before any work is done.
//!
//! It also bounds the length, at [`MAX_CHARS`] characters: certgate's choice, as AWS documents no
//! limit. Without one a description was bounded only by the 1 MiB body limit, and every page of
//! certificates (the console, `certgate certs`) carried whatever the rows held.

use crate::error::Error;

/// The longest description, in characters (Unicode scalar values, as AWS counts string lengths).
pub const MAX_CHARS: usize = 1024;

pub fn validate(description: Option<&str>) -> Result<(), Error> {
    match description {
        Some(text) if text.contains('\0') => Err(Error::bad_request(
            "Invalid description: it must not contain the NUL character (U+0000)",
        )),
        // Bytes first: a text of at most MAX_CHARS bytes has at most MAX_CHARS characters, so
        // the count runs only on the longer ones.
        Some(text) if text.len() > MAX_CHARS && text.chars().count() > MAX_CHARS => {
            Err(Error::bad_request(format!(
                "Invalid description: it must be at most {MAX_CHARS} characters long"
            )))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_at_most_1024_characters() {
        assert!(validate(Some(&"a".repeat(MAX_CHARS))).is_ok());
        // Four bytes a character: 4096 bytes, still 1024 characters.
        assert!(validate(Some(&"😀".repeat(MAX_CHARS))).is_ok());
        for bad in ["a".repeat(MAX_CHARS + 1), "é".repeat(MAX_CHARS + 1)] {
            let Err(Error::BadRequest(message)) = validate(Some(&bad)) else {
                panic!("{} characters accepted", bad.chars().count());
            };
            assert!(message.contains("at most 1024 characters"), "{message}");
        }
    }

    #[test]
    fn only_the_nul_character_is_refused() {
        assert!(validate(None).is_ok());
        assert!(validate(Some("")).is_ok());
        assert!(validate(Some("tab\t, newline\n, \u{7f}, é, 😀")).is_ok());
        for bad in ["\0", "a\0b", "end\0"] {
            let Err(Error::BadRequest(message)) = validate(Some(bad)) else {
                panic!("{bad:?} accepted");
            };
            assert!(message.contains("NUL"), "{message}");
        }
    }
}
