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
mod tests {
    use super::*;

    fn msg(r: Result<(), Error>) -> String {
        match r {
            Err(Error::BadRequest(m)) => m,
            other => panic!("expected BadRequest, got {other:?}"),
        }
    }

    #[test]
    fn keys() {
        assert!(validate_key("env").is_ok());
        assert!(validate_key("a+b-c=d.e_f:g/h9").is_ok());
        assert!(validate_key(&"k".repeat(128)).is_ok());
        assert!(msg(validate_key(&"k".repeat(129))).contains("between 1 and 128"));
        assert!(msg(validate_key("")).contains("between 1 and 128"));
        for bad in ["aws:x", "AWS:x", "Aws:", "aWs:name"] {
            assert_eq!(
                msg(validate_key(bad)),
                "Invalid tag key. Tag keys cannot start with 'aws:' (case insensitive)"
            );
        }
        assert!(validate_key("awsx").is_ok());
        assert!(validate_key("aws").is_ok());
        for bad in ["a b", "a@b", "é", "a\u{0}b", "a,b", "a;b", "a<b"] {
            assert!(msg(validate_key(bad)).contains("may contain only"), "{bad}");
        }
    }

    #[test]
    fn values() {
        assert!(validate_value("").is_ok());
        assert!(validate_value(&"v".repeat(256)).is_ok());
        assert!(msg(validate_value(&"v".repeat(257))).contains("at most 256"));
        assert!(msg(validate_value("a b")).contains("may contain only"));
    }

    #[test]
    fn counts() {
        let fifty: Tags = (0..50)
            .map(|i| (format!("k{i}"), "v".to_string()))
            .collect();
        assert!(validate(&fifty).is_ok());
        let mut fifty_one = fifty.clone();
        fifty_one.insert("extra".into(), "v".into());
        assert!(msg(validate(&fifty_one)).contains("at most 50"));
    }
}
