//! Response encoding: the JSON shapes of the model, `application/json` on every answer whatever the
//! client's `Accept` says, `x-amzn-RequestId` on every answer, and AWS's error form
//! (`x-amzn-ErrorType` header, `{"message": …}` body).

use bytes::Bytes;
use certgate_core::{Certificate, Tags};

mod json;
use http::{HeaderValue, StatusCode};
use serde::Serialize;

use crate::error::AwsError;

pub type Response = http::Response<Bytes>;

/// What a successful operation answers.
#[derive(Debug)]
pub enum Output {
    /// 201 for GenerateClientCertificate, 200 for Get and Update.
    Certificate {
        created: bool,
        certificate: Certificate,
    },
    Certificates {
        items: Vec<Certificate>,
        position: Option<String>,
    },
    /// 202 with no body, for DeleteClientCertificate.
    Deleted,
    /// 204 with no body, for TagResource and UntagResource.
    NoContent,
    Tags(Tags),
}

#[derive(Serialize)]
struct TagsJson<'a> {
    tags: &'a Tags,
}

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
    // Serialising these plain structs of strings, numbers and string maps cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

pub fn encode_output(output: &Output, request_id: &str) -> Response {
    let (status, body) = match output {
        Output::Certificate {
            created,
            certificate,
        } => (
            if *created { 201 } else { 200 },
            json::certificate(certificate),
        ),
        Output::Certificates { items, position } => (200, json::list(items, position.as_deref())),
        Output::Deleted => (202, Vec::new()),
        Output::NoContent => (204, Vec::new()),
        Output::Tags(tags) => (200, to_json(&TagsJson { tags })),
    };
    finish(build(status, body.len(), request_id), body)
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
