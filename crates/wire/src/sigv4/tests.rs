//! AWS's published SigV4 test suite (`aws-sig-v4-test-suite`, 2015-08-30, service `service`), the
//! cases that apply to a REST-JSON service, plus the checks certgate adds: time window, scope,
//! payload hash and presigned URLs.

use http::{HeaderMap, HeaderName, HeaderValue};

use super::*;
use crate::auth::parse_authorization;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20150830T123600Z";
const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn secret() -> SecretBytes {
    SecretBytes::new(SECRET.as_bytes().to_vec())
}

fn now() -> i64 {
    parse_amz_date(DATE).unwrap()
}

struct Vector {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    query: &'static str,
    /// Headers besides Host and X-Amz-Date, in the order they arrive.
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    signed: &'static str,
    /// The canonical request without its last two lines (signed headers and payload hash).
    canonical: &'static str,
    signature: &'static str,
}

const VECTORS: &[Vector] = &[
    Vector {
        name: "get-vanilla",
        method: "GET",
        path: "/",
        query: "",
        headers: &[],
        body: "",
        signed: "host;x-amz-date",
        canonical: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-vanilla-empty-query-key",
        method: "GET",
        path: "/",
        query: "Param1=value1",
        headers: &[],
        body: "",
        signed: "host;x-amz-date",
        canonical: "GET\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
        signature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
    },
    Vector {
        name: "get-vanilla-query-order-key",
        method: "GET",
        path: "/",
        query: "Param1=value2&Param1=Value1",
        headers: &[],
        body: "",
        signed: "host;x-amz-date",
        canonical: "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
        signature: "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1",
    },
    Vector {
        name: "get-vanilla-query-order-key-case",
        method: "GET",
        path: "/",
        query: "Param2=value2&Param1=value1",
        headers: &[],
        body: "",
        signed: "host;x-amz-date",
        canonical: "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
        signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    },
    Vector {
        name: "get-vanilla-query-order-value",
        method: "GET",
        path: "/",
        query: "Param1=value2&Param1=value1",
        headers: &[],
        body: "",
        signed: "host;x-amz-date",
        canonical: "GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
        signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
    },
    Vector {
        name: "get-vanilla-query-unreserved",
        method: "GET",
        path: "/",
        query: "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        headers: &[],
        body: "",
        signed: "host;x-amz-date",
        canonical: "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
        signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
    },
    Vector {
        name: "get-vanilla-utf8-query",
        method: "GET",
        path: "/",
        // The suite's raw "ሴ=bar", as a client puts it on the wire.
        query: "%E1%88%B4=bar",
        headers: &[],
        body: "",
        signed: "host;x-amz-date",
        canonical: "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
        signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
    },
    Vector {
        name: "get-unreserved",
        method: "GET",
        path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        query: "",
        headers: &[],
        body: "",
        signed: "host;x-amz-date",
        canonical: "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
        signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
    },
    Vector {
        // The suite's path is the bare "/ሴ"; SigV4 encodes its UTF-8 bytes once.
        name: "get-utf8",
        method: "GET",
        path: "/\u{1234}",
        query: "",
        headers: &[],
        body: "",
        signed: "host;x-amz-date",
        canonical: "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
        signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
    },
    Vector {
        name: "get-header-key-duplicate",
        method: "GET",
        path: "/",
        query: "",
        headers: &[("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
        body: "",
        signed: "host;my-header1;x-amz-date",
        canonical: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n",
        signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
    },
    Vector {
        name: "get-header-value-order",
        method: "GET",
        path: "/",
        query: "",
        headers: &[("My-Header1", "value4"), ("My-Header1", "value1"), ("My-Header1", "value3"), ("My-Header1", "value2")],
        body: "",
        signed: "host;my-header1;x-amz-date",
        canonical: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\nx-amz-date:20150830T123600Z\n",
        signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
    },
    Vector {
        name: "get-header-value-trim",
        method: "GET",
        path: "/",
        query: "",
        headers: &[("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
        body: "",
        signed: "host;my-header1;my-header2;x-amz-date",
        canonical: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n",
        signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    },
    Vector {
        name: "post-vanilla",
        method: "POST",
        path: "/",
        query: "",
        headers: &[],
        body: "",
        signed: "host;x-amz-date",
        canonical: "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
        signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    },
    Vector {
        name: "post-vanilla-query",
        method: "POST",
        path: "/",
        query: "Param1=value1",
        headers: &[],
        body: "",
        signed: "host;x-amz-date",
        canonical: "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
        signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
    },
    Vector {
        name: "post-header-key-sort",
        method: "POST",
        path: "/",
        query: "",
        headers: &[("My-Header1", "value1")],
        body: "",
        signed: "host;my-header1;x-amz-date",
        canonical: "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n",
        signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
    },
    Vector {
        name: "post-header-value-case",
        method: "POST",
        path: "/",
        query: "",
        headers: &[("My-Header1", "VALUE1")],
        body: "",
        signed: "host;my-header1;x-amz-date",
        canonical: "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n",
        signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
    },
    Vector {
        // The suite's form post, signed as the SDKs sign a body: with x-amz-content-sha256.
        name: "post-x-www-form-urlencoded",
        method: "POST",
        path: "/",
        query: "",
        headers: &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Content-Length", "13"),
            ("X-Amz-Content-Sha256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"),
        ],
        body: "Param1=value1",
        signed: "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
        canonical: "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\nx-amz-date:20150830T123600Z\n",
        signature: "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
    },
    Vector {
        // The suite's path normalisation cases that end at the root sign exactly as get-vanilla.
        name: "get-relative-relative",
        method: "GET",
        path: "/example1/example2/../..",
        query: "",
        headers: &[],
        body: "",
        signed: "host;x-amz-date",
        canonical: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-slash-dot-slash",
        method: "GET",
        path: "/./",
        query: "",
        headers: &[],
        body: "",
        signed: "host;x-amz-date",
        canonical: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
];

fn header_map(v: &Vector, extra: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.append("host", HeaderValue::from_static("example.amazonaws.com"));
    for (k, val) in v.headers.iter().chain(extra) {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(val).unwrap(),
        );
    }
    h.append("x-amz-date", HeaderValue::from_static(DATE));
    h
}

fn authorization(v: &Vector, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={}, Signature={signature}",
        v.signed
    )
}

fn raw<'a>(v: &'a Vector, headers: &'a HeaderMap, body: &'a [u8]) -> RawRequest<'a> {
    RawRequest {
        method: v.method,
        path: v.path,
        query: (!v.query.is_empty()).then_some(v.query),
        authority: None,
        headers,
        body,
    }
}

#[test]
fn canonical_requests_and_signatures_match_the_suite() {
    for v in VECTORS {
        let headers = header_map(v, &[]);
        let signed: Vec<String> = v.signed.split(';').map(str::to_string).collect();
        let creq = canonical_request(
            v.method,
            &canonical_uri(v.path),
            &canonical_query((!v.query.is_empty()).then_some(v.query)),
            &canonical_headers(&headers, None, &signed).unwrap(),
            &signed,
            &sha256_hex(v.body.as_bytes()),
        );
        let want = format!(
            "{}\n{}\n{}",
            v.canonical,
            v.signed,
            sha256_hex(v.body.as_bytes())
        );
        assert_eq!(creq, want, "{}", v.name);
        let key = signing_key(&secret(), "20150830", "us-east-1", "service");
        let sts = string_to_sign(DATE, "20150830/us-east-1/service/aws4_request", &creq);
        assert_eq!(signature(&key, &sts), v.signature, "{}", v.name);
    }
}

#[test]
fn every_suite_request_verifies_and_a_changed_one_does_not() {
    for v in VECTORS {
        let headers = header_map(v, &[]);
        let cred = parse_authorization(&authorization(v, v.signature)).unwrap();
        let req = raw(v, &headers, v.body.as_bytes());
        verify_for_service(&req, &cred, &secret(), now(), "service")
            .unwrap_or_else(|e| panic!("{}: {e:?}", v.name));

        let wrong = SecretBytes::new(b"another secret".to_vec());
        assert!(matches!(
            verify_for_service(&req, &cred, &wrong, now(), "service"),
            Err(AwsError::InvalidSignature(m)) if m.starts_with("The request signature we calculated does not match")
        ));
        let altered_body = [v.body.as_bytes(), b" "].concat();
        let altered = RawRequest {
            body: &altered_body,
            ..req
        };
        assert!(verify_for_service(&altered, &cred, &secret(), now(), "service").is_err());
        let altered = RawRequest {
            method: "PUT",
            ..req
        };
        assert!(verify_for_service(&altered, &cred, &secret(), now(), "service").is_err());
    }
}

#[test]
fn the_empty_body_hash_is_sha256_of_nothing() {
    assert_eq!(sha256_hex(b""), EMPTY);
}

#[test]
fn paths_are_encoded_a_second_time_as_every_service_but_s3_does() {
    // What botocore and the Rust SDK sign for an ARN label they sent as `arn%3Aaws%3A…%2F…`.
    assert_eq!(
        canonical_uri("/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fclientcertificates%2Fabc123"),
        "/tags/arn%253Aaws%253Aapigateway%253Aus-east-1%253A%253A%252Fclientcertificates%252Fabc123"
    );
    assert_eq!(canonical_uri("/example space/"), "/example%20space/");
    assert_eq!(canonical_uri("//example//"), "/example/");
    assert_eq!(canonical_uri("/./example"), "/example");
    assert_eq!(canonical_uri(""), "/");
}

#[test]
fn query_values_are_decoded_then_encoded_the_sigv4_way() {
    assert_eq!(
        canonical_query(Some("b=2&a=x%20y&flag")),
        "a=x%20y&b=2&flag="
    );
    assert_eq!(canonical_query(Some("a=%2b&a=%2F")), "a=%2B&a=%2F");
    assert_eq!(
        canonical_query(Some("X-Amz-Signature=abc&X-Amz-Date=1")),
        "X-Amz-Date=1"
    );
}

#[test]
fn amz_dates_round_trip() {
    assert_eq!(now(), 1_440_938_160);
    assert_eq!(format_amz_date(now()), DATE);
    assert_eq!(format_amz_date(0), "19700101T000000Z");
    for bad in [
        "20150830T123600",
        "2015-08-30T12:36:00Z",
        "20151330T123600Z",
        "2015083xT123600Z",
    ] {
        assert_eq!(parse_amz_date(bad), None, "{bad}");
    }
}

fn vanilla() -> (&'static Vector, HeaderMap, SigV4Credential) {
    let v = &VECTORS[0];
    let cred = parse_authorization(&authorization(v, v.signature)).unwrap();
    (v, header_map(v, &[]), cred)
}

#[test]
fn fifteen_minutes_either_way_is_the_window() {
    let (v, headers, cred) = vanilla();
    let req = raw(v, &headers, b"");
    for skew in [-900, 0, 900] {
        verify_for_service(&req, &cred, &secret(), now() + skew, "service").unwrap();
    }
    let old = verify_for_service(&req, &cred, &secret(), now() + 901, "service").unwrap_err();
    assert_eq!(
        old,
        AwsError::InvalidSignature(
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)".into()
        )
    );
    let new = verify_for_service(&req, &cred, &secret(), now() - 901, "service").unwrap_err();
    assert_eq!(
        new,
        AwsError::InvalidSignature(
            "Signature expired: 20150830T123600Z is now later than 20150830T123559Z (20150830T122059Z + 15 min.)".into()
        )
    );
}

#[test]
fn the_scope_must_name_the_service_and_the_signing_day() {
    let (v, headers, mut cred) = vanilla();
    let req = raw(v, &headers, b"");
    assert!(matches!(
        verify(&req, &cred, &secret(), now()),
        Err(AwsError::InvalidSignature(m)) if m.contains("correct service: 'apigateway'")
    ));
    cred.date = "20150831".into();
    assert!(matches!(
        verify_for_service(&req, &cred, &secret(), now(), "service"),
        Err(AwsError::InvalidSignature(m)) if m.starts_with("Date in Credential scope does not match")
    ));
}

#[test]
fn host_must_be_signed_and_a_date_given() {
    let (v, mut headers, mut cred) = vanilla();
    cred.signed_headers = vec!["x-amz-date".into()];
    assert!(matches!(
        verify_for_service(&raw(v, &headers, b""), &cred, &secret(), now(), "service"),
        Err(AwsError::IncompleteSignature(_))
    ));
    let (_, _, cred) = vanilla();
    headers.remove("x-amz-date");
    assert!(matches!(
        verify_for_service(&raw(v, &headers, b""), &cred, &secret(), now(), "service"),
        Err(AwsError::IncompleteSignature(m)) if m.contains("'X-Amz-Date'")
    ));
}

#[test]
fn host_comes_from_the_authority_on_http2() {
    let (v, mut headers, cred) = vanilla();
    headers.remove("host");
    let mut req = raw(v, &headers, b"");
    assert!(verify_for_service(&req, &cred, &secret(), now(), "service").is_err());
    req.authority = Some("example.amazonaws.com");
    verify_for_service(&req, &cred, &secret(), now(), "service").unwrap();
}

/// Signs a request the way a client does, for the cases the suite has no vector for.
fn sign(
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    payload: &str,
    signed: &str,
) -> String {
    let signed: Vec<String> = signed.split(';').map(str::to_string).collect();
    let creq = canonical_request(
        method,
        &canonical_uri(path),
        &canonical_query(Some(query)),
        &canonical_headers(headers, None, &signed).unwrap(),
        &signed,
        payload,
    );
    let key = signing_key(&secret(), "20150830", "us-east-1", "apigateway");
    signature(
        &key,
        &string_to_sign(DATE, "20150830/us-east-1/apigateway/aws4_request", &creq),
    )
}

#[test]
fn unsigned_payload_is_honoured_when_announced() {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("h"));
    headers.insert("x-amz-date", HeaderValue::from_static(DATE));
    headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static(UNSIGNED_PAYLOAD),
    );
    let sig = sign(
        "POST",
        "/clientcertificates",
        "",
        &headers,
        UNSIGNED_PAYLOAD,
        "host;x-amz-content-sha256;x-amz-date",
    );
    let cred = parse_authorization(&format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/apigateway/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}"
    ))
    .unwrap();
    let req = RawRequest {
        method: "POST",
        path: "/clientcertificates",
        query: None,
        authority: None,
        headers: &headers,
        body: b"{\"description\":\"any body\"}",
    };
    verify(&req, &cred, &secret(), now()).unwrap();
}

fn presigned_query(expires: &str, signature: &str) -> String {
    format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fapigateway%2Faws4_request&X-Amz-Date={DATE}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host{signature}"
    )
}

#[test]
fn presigned_urls_verify_until_they_expire() {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("h"));
    let unsigned = presigned_query("60", "");
    let sig = sign(
        "GET",
        "/clientcertificates",
        &unsigned,
        &headers,
        EMPTY,
        "host",
    );
    let query = presigned_query("60", &format!("&X-Amz-Signature={sig}"));
    let caller = crate::auth::caller(&HeaderMap::new(), Some(&query)).unwrap();
    let cred = caller.credential.unwrap();
    assert!(cred.presigned);
    let req = RawRequest {
        method: "GET",
        path: "/clientcertificates",
        query: Some(&query),
        authority: None,
        headers: &headers,
        body: b"",
    };
    verify(&req, &cred, &secret(), now() + 60).unwrap();
    assert!(matches!(
        verify(&req, &cred, &secret(), now() + 61),
        Err(AwsError::InvalidSignature(m)) if m.starts_with("Signature expired:")
    ));
    // The expiry is signed: a URL whose lifetime was stretched no longer verifies.
    let stretched = query.replace("X-Amz-Expires=60", "X-Amz-Expires=600");
    let req = RawRequest {
        query: Some(&stretched),
        ..req
    };
    assert!(verify(&req, &cred, &secret(), now()).is_err());
}

#[test]
fn the_http_date_header_stands_in_for_x_amz_date() {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("h"));
    headers.insert(
        "date",
        HeaderValue::from_static("Sun, 30 Aug 2015 12:36:00 GMT"),
    );
    let sig = sign(
        "GET",
        "/clientcertificates",
        "",
        &headers,
        EMPTY,
        "date;host",
    );
    let cred = parse_authorization(&format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/apigateway/aws4_request, SignedHeaders=date;host, Signature={sig}"
    ))
    .unwrap();
    let req = RawRequest {
        method: "GET",
        path: "/clientcertificates",
        query: None,
        authority: None,
        headers: &headers,
        body: b"",
    };
    verify(&req, &cred, &secret(), now()).unwrap();
    assert!(matches!(
        verify(&req, &cred, &secret(), now() + 901),
        Err(AwsError::InvalidSignature(m)) if m.starts_with("Signature expired: 20150830T123600Z")
    ));
    let mut bad = headers.clone();
    bad.insert("date", HeaderValue::from_static("yesterday"));
    let req = RawRequest {
        headers: &bad,
        ..req
    };
    assert!(matches!(
        verify(&req, &cred, &secret(), now()),
        Err(AwsError::IncompleteSignature(m)) if m.contains("HTTP date")
    ));
}
