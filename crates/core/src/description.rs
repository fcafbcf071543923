//! The rule for a certificate's description. AWS documents none; certgate refuses the NUL
//! character, which PostgreSQL's text cannot hold: without the rule the same request succeeded on
//! SQLite and failed with a 500 on PostgreSQL (after a key had been made), and a SQLite store
//! holding such a row could not be copied onto PostgreSQL. One answer on every engine, given
//! before any work is done.

use crate::error::Error;

pub fn validate(description: Option<&str>) -> Result<(), Error> {
    match description {
        Some(text) if text.contains('\0') => Err(Error::bad_request(
            "Invalid description: it must not contain the NUL character (U+0000)",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
