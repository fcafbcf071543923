//! Response encoding: the JSON shapes of the model, `application/json` on every answer whatever the
//! client's `Accept` says, `x-amzn-RequestId` on every answer, and AWS's error form
//! (`x-amzn-ErrorType` header, `{"message": …}` body).

use bytes::Bytes;
pub use certgate_api::Output;

mod json;
use http::{HeaderValue, StatusCode};
use serde::Serialize;

use crate::error::AwsError;

pub type Response = http::Response<Bytes>;

#[derive(Serialize)]
struct ErrorJson<'a> {
    message: &'a str,
}

fn build(status: u16, body_len: usize, request_id: &str) -> http::response::Builder {
    let builder = http::Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::CONTENT_LENGTH, body_len);
    match HeaderValue::from_str(request_id) {
        Ok(v) => builder.header("x-amzn-RequestId", v),
        Err(_) => builder,
    }
}

fn finish(builder: http::response::Builder, body: Vec<u8>) -> Response {
    // Every header above is a valid constant or was validated, so building cannot fail; should it
    // ever, an empty 500 is still a well-formed answer.
    builder.body(Bytes::from(body)).unwrap_or_else(|_| {
        let mut r = http::Response::new(Bytes::new());
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising the model's shapes (strings, numbers, lists and string-keyed maps) cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// The output's status is the model's success status; its body is the output shape's JSON, or
/// nothing for an operation without output. Certificates, which are most of the bytes certgate
/// sends, go through the sized writer of `json`; every other shape through serde.
pub fn encode_output(output: &Output, request_id: &str) -> Response {
    let body = match output {
        Output::GenerateClientCertificate(c)
        | Output::GetClientCertificate(c)
        | Output::UpdateClientCertificate(c) => json::certificate(c),
        Output::GetClientCertificates(page) => json::list(page),
        other if other.has_body() => to_json(other),
        _ => Vec::new(),
    };
    finish(build(output.status(), body.len(), request_id), body)
}

/// An answer whose body was encoded earlier by [`encode_output`] (and kept), with this request's
/// id: the same headers, byte for byte, as the first time.
pub fn encode_kept(status: u16, body: Bytes, request_id: &str) -> Response {
    let builder = build(status, body.len(), request_id);
    builder.body(body).unwrap_or_else(|_| {
        let mut r = http::Response::new(Bytes::new());
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

pub fn encode_error(error: &AwsError, request_id: &str) -> Response {
    let body = to_json(&ErrorJson {
        message: error.message(),
    });
    let mut builder =
        build(error.status(), body.len(), request_id).header("x-amzn-ErrorType", error.code());
    if let AwsError::TooManyRequests {
        retry_after_seconds,
        ..
    } = error
    {
        builder = builder.header(http::header::RETRY_AFTER, *retry_after_seconds);
    }
    finish(builder, body)
}

#[cfg(test)]
mod tests;
