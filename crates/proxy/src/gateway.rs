//! API Gateway's own answers, the ones a caller gets when no integration answers: no route,
//! refused authorization, a body too large, a throttle, a failed or slow backend.
//!
//! Clients and SDKs tell these apart by status, by the `x-amzn-ErrorType` header and by the JSON
//! message, so the bodies are AWS's byte for byte, spacing included: AWS writes some with a space
//! after the colon and some without, and certgate keeps each as AWS does.

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};

use crate::plan::Failure;
use crate::Reply;

/// The header API Gateway names its own errors with.
pub const ERROR_TYPE: HeaderName = HeaderName::from_static("x-amzn-errortype");

/// No resource or method matches: API Gateway answers as if the request lacked credentials.
pub const MISSING_AUTHENTICATION_TOKEN: &str = r#"{"message":"Missing Authentication Token"}"#;
pub const FORBIDDEN: &str = r#"{"message":"Forbidden"}"#;
pub const INTERNAL_SERVER_ERROR: &str = r#"{"message": "Internal server error"}"#;
pub const ENDPOINT_TIMED_OUT: &str = r#"{"message": "Endpoint request timed out"}"#;
pub const UNSUPPORTED_MEDIA_TYPE: &str = r#"{"message": "Unsupported Media Type"}"#;
pub const REQUEST_TOO_LONG: &str = r#"{"message":"Request Too Long"}"#;
pub const TOO_MANY_REQUESTS: &str = r#"{"message":"Too Many Requests"}"#;
pub const BAD_REQUEST: &str = r#"{"message":"Bad Request"}"#;
pub const REQUEST_TIMEOUT: &str = r#"{"message":"Request Timeout"}"#;

/// 403 for a request no resource and method route: what API Gateway answers for an unknown path
/// rather than a 404, so that paths cannot be probed.
pub fn missing_authentication_token() -> Reply {
    reply(
        403,
        MISSING_AUTHENTICATION_TOKEN,
        Some("MissingAuthenticationTokenException"),
    )
}

/// 403 for a method whose authorization certgate does not grant.
pub fn forbidden() -> Reply {
    reply(403, FORBIDDEN, Some("ForbiddenException"))
}

/// 500 for an integration that failed or that certgate cannot run; the cause goes to the log,
/// never to the caller.
pub fn internal_error() -> Reply {
    reply(
        500,
        INTERNAL_SERVER_ERROR,
        Some("InternalServerErrorException"),
    )
}

/// 504 for a backend that did not answer within the integration's timeout. AWS sends no
/// `x-amzn-ErrorType` with it.
pub fn timed_out() -> Reply {
    reply(504, ENDPOINT_TIMED_OUT, None)
}

/// 415 for a body the integration's passthrough behavior refuses.
pub fn unsupported_media_type() -> Reply {
    reply(
        415,
        UNSUPPORTED_MEDIA_TYPE,
        Some("UnsupportedMediaTypeException"),
    )
}

/// 413 for a request body over [`crate::MAX_PAYLOAD`].
pub fn too_large() -> Reply {
    reply(413, REQUEST_TOO_LONG, Some("RequestTooLargeException"))
}

/// 429 for a request over the stage's throttle.
pub fn throttled() -> Reply {
    reply(429, TOO_MANY_REQUESTS, Some("TooManyRequestsException"))
}

/// 400 for a request whose body could not be read (a broken chunked encoding, say).
pub fn bad_request() -> Reply {
    reply(400, BAD_REQUEST, Some("BadRequestException"))
}

/// 408 for a request whose body did not arrive within the body timeout; certgate's own answer
/// (API Gateway's edge times such clients out before they reach it).
pub fn request_timeout() -> Reply {
    reply(408, REQUEST_TIMEOUT, Some("RequestTimeoutException"))
}

/// The answer to a failed plan.
pub fn failure(f: &Failure) -> Reply {
    match f {
        Failure::Forbidden => forbidden(),
        Failure::UnsupportedMediaType => unsupported_media_type(),
        Failure::Internal(_) => internal_error(),
    }
}

fn reply(status: u16, body: &'static str, error_type: Option<&'static str>) -> Reply {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(kind) = error_type {
        headers.insert(ERROR_TYPE, HeaderValue::from_static(kind));
    }
    Reply {
        status,
        headers,
        body: Bytes::from_static(body.as_bytes()),
    }
}

#[cfg(test)]
mod tests;
