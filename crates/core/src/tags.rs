//! Tag rules of API Gateway: key 1..128 characters, value 0..256, letters, digits and `+ - = . _ : /`,
//! no `aws:` prefix in any case, at most 50 tags on one resource.

use std::collections::BTreeMap;

use crate::error::Error;

pub const MAX_TAGS: usize = 50;
pub const MAX_KEY_LEN: usize = 128;
pub const MAX_VALUE_LEN: usize = 256;

/// A resource's tags, ordered by key so that responses are stable.
pub type Tags = BTreeMap<String, String>;

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '=' | '.' | '_' | ':' | '/')
}

pub fn validate_key(key: &str) -> Result<(), Error> {
    let len = key.chars().count();
    if len == 0 || len > MAX_KEY_LEN {
        return Err(Error::bad_request(format!(
            "Invalid tag key. Tag keys must be between 1 and {MAX_KEY_LEN} characters long"
        )));
    }
    if key.len() >= 4 && key.as_bytes()[..4].eq_ignore_ascii_case(b"aws:") {
        return Err(Error::bad_request(
            "Invalid tag key. Tag keys cannot start with 'aws:' (case insensitive)",
        ));
    }
    if !key.chars().all(allowed) {
        return Err(Error::bad_request(
            "Invalid tag key. Tag keys may contain only letters, digits and the characters + - = . _ : /",
        ));
    }
    Ok(())
}

pub fn validate_value(value: &str) -> Result<(), Error> {
    if value.chars().count() > MAX_VALUE_LEN {
        return Err(Error::bad_request(format!(
            "Invalid tag value. Tag values must be at most {MAX_VALUE_LEN} characters long"
        )));
    }
    if !value.chars().all(allowed) {
        return Err(Error::bad_request(
            "Invalid tag value. Tag values may contain only letters, digits and the characters + - = . _ : /",
        ));
    }
    Ok(())
}

/// Checks every key and value of a request's tags, and that the request alone stays within the limit.
pub fn validate(tags: &Tags) -> Result<(), Error> {
    for (k, v) in tags {
        validate_key(k)?;
        validate_value(v)?;
    }
    check_count(tags.len())
}

/// Checks that a resource would carry no more than the allowed number of tags.
pub fn check_count(count: usize) -> Result<(), Error> {
    if count > MAX_TAGS {
        return Err(Error::bad_request(format!(
            "Too many tags: a resource can have at most {MAX_TAGS} tags, this request would give it {count}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
