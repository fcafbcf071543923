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
