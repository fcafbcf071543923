use http::HeaderValue;

use super::*;

fn map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut m = HeaderMap::new();
    for (n, v) in pairs {
        m.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    m
}

fn values<'a>(m: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    m.get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

#[test]
fn every_dropped_request_header_is_dropped() {
    for name in DROPPED_TO_BACKEND {
        let caller = map(&[(name, "x"), ("x-kept", "1")]);
        let mut out = HeaderMap::new();
        to_backend(&caller, &mut out);
        assert!(out.get(name).is_none(), "{name} reached the backend");
        assert_eq!(values(&out, "x-kept"), ["1"], "{name}");
        assert_eq!(out.len(), 1, "{name}");
    }
}

#[test]
fn request_names_are_matched_whatever_their_case() {
    let caller = map(&[("Content-Length", "3"), ("HOST", "a"), ("Accept", "*/*")]);
    let mut out = HeaderMap::new();
    to_backend(&caller, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(values(&out, "accept"), ["*/*"]);
}

#[test]
fn request_headers_keep_every_value_and_what_out_had() {
    let caller = map(&[
        ("x-multi", "a"),
        ("x-multi", "b"),
        ("cookie", "c=1"),
        ("authorization", "Bearer t"),
        ("user-agent", "ua"),
        ("date", "today"),
        ("content-type", "text/plain"),
    ]);
    let mut out = map(&[("x-multi", "first")]);
    to_backend(&caller, &mut out);
    assert_eq!(values(&out, "x-multi"), ["first", "a", "b"]);
    // What AWS remaps on the way back is passed as is on the way in.
    for (name, value) in [
        ("cookie", "c=1"),
        ("authorization", "Bearer t"),
        ("user-agent", "ua"),
        ("date", "today"),
        ("content-type", "text/plain"),
    ] {
        assert_eq!(values(&out, name), [value], "{name}");
    }
}

#[test]
fn every_remapped_response_header_is_renamed_with_its_values() {
    for (name, target) in REMAPPED_FROM_BACKEND {
        let backend = map(&[(name, "v1"), (name, "v2"), ("x-kept", "1")]);
        let mut out = HeaderMap::new();
        from_backend(&backend, &mut out);
        assert!(out.get(name).is_none(), "{name} reached the caller");
        assert_eq!(values(&out, target), ["v1", "v2"], "{name}");
        assert_eq!(values(&out, "x-kept"), ["1"], "{name}");
        // AWS's spelling reaches the same header: names are case-insensitive.
        let aws = format!("x-amzn-Remapped-{name}");
        assert_eq!(values(&out, &aws), ["v1", "v2"]);
    }
}

#[test]
fn remapped_names_match_the_public_list() {
    for ((from, to), name) in REMAPPED_FROM_BACKEND.iter().zip(REMAPPED_NAMES.iter()) {
        assert_eq!(*to, name.as_str());
        assert_eq!(*to, format!("x-amzn-remapped-{from}"));
    }
}

#[test]
fn every_dropped_response_header_is_dropped() {
    for name in DROPPED_FROM_BACKEND {
        let backend = map(&[(name, "x"), ("x-kept", "1")]);
        let mut out = HeaderMap::new();
        from_backend(&backend, &mut out);
        assert!(out.get(name).is_none(), "{name} reached the caller");
        assert_eq!(out.len(), 1, "{name}");
    }
}

#[test]
fn other_response_headers_pass_with_every_value() {
    let backend = map(&[
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
        ("content-type", "application/json"),
        ("content-encoding", "gzip"),
        ("etag", "\"x\""),
        ("www-authenticate", "Basic"),
    ]);
    let mut out = map(&[("x-amzn-requestid", "r")]);
    from_backend(&backend, &mut out);
    assert_eq!(values(&out, "set-cookie"), ["a=1", "b=2"]);
    assert_eq!(values(&out, "content-type"), ["application/json"]);
    assert_eq!(values(&out, "content-encoding"), ["gzip"]);
    assert_eq!(values(&out, "etag"), ["\"x\""]);
    assert_eq!(values(&out, "x-amzn-requestid"), ["r"]);
    assert_eq!(values(&out, "x-amzn-remapped-www-authenticate"), ["Basic"]);
}

#[test]
fn lists_are_lowercase_and_valid_names() {
    let all = DROPPED_TO_BACKEND
        .iter()
        .chain(DROPPED_FROM_BACKEND.iter())
        .chain(REMAPPED_FROM_BACKEND.iter().map(|(f, _)| f))
        .chain(REMAPPED_FROM_BACKEND.iter().map(|(_, t)| t));
    for name in all {
        assert_eq!(
            HeaderName::from_bytes(name.as_bytes()).unwrap().as_str(),
            *name
        );
    }
}
