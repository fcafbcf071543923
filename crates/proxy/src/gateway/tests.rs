use super::*;

fn check(reply: Reply, status: u16, body: &str, error_type: Option<&str>) {
    assert_eq!(reply.status, status);
    assert_eq!(reply.body, body.as_bytes());
    assert_eq!(
        reply.headers.get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(
        reply
            .headers
            .get("x-amzn-ErrorType")
            .map(|v| v.to_str().unwrap()),
        error_type
    );
    assert_eq!(reply.headers.len(), 1 + usize::from(error_type.is_some()));
    // Every body is JSON with a message.
    let json: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert!(json["message"].is_string());
}

#[test]
fn bodies_are_aws_byte_for_byte() {
    check(
        missing_authentication_token(),
        403,
        "{\"message\":\"Missing Authentication Token\"}",
        Some("MissingAuthenticationTokenException"),
    );
    check(
        forbidden(),
        403,
        "{\"message\":\"Forbidden\"}",
        Some("ForbiddenException"),
    );
    check(
        internal_error(),
        500,
        "{\"message\": \"Internal server error\"}",
        Some("InternalServerErrorException"),
    );
    check(
        timed_out(),
        504,
        "{\"message\": \"Endpoint request timed out\"}",
        None,
    );
    check(
        unsupported_media_type(),
        415,
        "{\"message\": \"Unsupported Media Type\"}",
        Some("UnsupportedMediaTypeException"),
    );
    check(
        too_large(),
        413,
        "{\"message\":\"Request Too Long\"}",
        Some("RequestTooLargeException"),
    );
    check(
        throttled(),
        429,
        "{\"message\":\"Too Many Requests\"}",
        Some("TooManyRequestsException"),
    );
}

#[test]
fn failures_map_to_their_answers() {
    assert_eq!(failure(&Failure::Forbidden), forbidden());
    assert_eq!(
        failure(&Failure::UnsupportedMediaType),
        unsupported_media_type()
    );
    let internal = failure(&Failure::Internal("secret cause".into()));
    assert_eq!(internal, internal_error());
    // The cause is for the log only.
    assert!(!String::from_utf8_lossy(&internal.body).contains("secret"));
}
