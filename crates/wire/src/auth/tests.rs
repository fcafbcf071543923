use super::*;

fn headers(auth: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(http::header::AUTHORIZATION, auth.parse().unwrap());
    h
}

const BOTO: &str = "AWS4-HMAC-SHA256 Credential=123456789012/20261128/eu-west-1/apigateway/aws4_request, SignedHeaders=accept;host;x-amz-date, Signature=abcdef0123";

#[test]
fn scope_from_authorization_header() {
    let c = caller(&headers(BOTO), None).unwrap();
    assert_eq!(c.scope.account.as_str(), "123456789012");
    assert_eq!(c.scope.region.as_str(), "eu-west-1");
    let cred = c.credential.unwrap();
    assert_eq!(cred.signed_headers, ["accept", "host", "x-amz-date"]);
    assert_eq!(cred.signature, "abcdef0123");
    assert_eq!(cred.service, "apigateway");
}

#[test]
fn other_keys_are_the_default_account() {
    let auth = BOTO.replace("123456789012", "AKIAIOSFODNN7EXAMPLE");
    let c = caller(&headers(&auth), None).unwrap();
    assert_eq!(c.scope.account.as_str(), "000000000000");
}

#[test]
fn unsigned_is_default_account_and_region() {
    let c = caller(&HeaderMap::new(), Some("limit=5")).unwrap();
    assert_eq!(
        (c.scope.account.as_str(), c.scope.region.as_str()),
        ("000000000000", "us-east-1")
    );
    assert!(c.credential.is_none());
}

#[test]
fn presigned_query() {
    let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=111111111111%2F20261128%2Fap-south-1%2Fapigateway%2Faws4_request&X-Amz-Date=20261128T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ff";
    let c = caller(&HeaderMap::new(), Some(q)).unwrap();
    assert_eq!(c.scope.region.as_str(), "ap-south-1");
    assert_eq!(c.scope.account.as_str(), "111111111111");
    assert!(c.credential.unwrap().presigned);
}

#[test]
fn a_presigned_parameter_given_twice_is_refused() {
    let base = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=111111111111%2F20261128%2Fap-south-1%2Fapigateway%2Faws4_request&X-Amz-Date=20261128T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=ff";
    for extra in [
        "X-Amz-Date=20261128T001500Z",
        "X-Amz-Expires=900",
        "X-Amz-Signature=00",
        "X-Amz-Credential=222222222222%2F20261128%2Fus-east-1%2Fapigateway%2Faws4_request",
    ] {
        let q = format!("{base}&{extra}");
        let err = caller(&HeaderMap::new(), Some(&q)).unwrap_err();
        assert_eq!(err.code(), "IncompleteSignatureException", "{extra}");
        assert!(err.message().contains("more than once"), "{extra}");
    }
}

#[test]
fn malformed_is_refused() {
    for bad in [
        "Basic dXNlcjpwYXNz",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256Credential=a/20261128/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=x",
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=x",
        "AWS4-HMAC-SHA256 Credential=a/20261128/us-east-1/apigateway/aws4_request, Signature=x",
        "AWS4-HMAC-SHA256 Credential=a/2026/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=x",
        "AWS4-HMAC-SHA256 Credential=a/20261128/US_EAST/apigateway/aws4_request, SignedHeaders=host, Signature=x",
        "AWS4-HMAC-SHA256 Credential=/20261128/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=x",
        "AWS4-HMAC-SHA256 Credential=a/20261128/us-east-1/apigateway, SignedHeaders=host, Signature=x",
        "AWS4-HMAC-SHA256 garbage",
    ] {
        let err = caller(&headers(bad), None).unwrap_err();
        assert_eq!(err.code(), "IncompleteSignatureException", "{bad}");
    }
}
