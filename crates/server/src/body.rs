//! Reading a request's body within its limits, for the API and the data plane alike: a body over
//! the limit is a 413 (what is left of it read and thrown away first, so its sender sees the
//! answer), a body that arrives too slowly a 408.

use std::time::Duration;

use axum::body::Body;
use certgate_wire::AwsError;
use http_body_util::BodyExt;

use crate::limits::BodyLimits;

pub(crate) fn too_large(max: usize) -> AwsError {
    AwsError::RequestEntityTooLarge(format!("Request body must not be larger than {max} bytes"))
}

/// How much of an oversized body is read and thrown away so that its sender sees the 413, as a
/// multiple of the body limit. Closing a connection with unread data in the socket makes the kernel
/// reset it, and the client then gets a broken connection instead of the answer; past this bound
/// the connection is closed all the same.
const DRAIN_FACTOR: usize = 16;
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Reads and discards what is left of a body, within `DRAIN_FACTOR` times the limit and
/// `DRAIN_TIME`.
pub(crate) async fn drain(mut body: Body, max: usize) {
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        let mut drained = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            drained += frame.data_ref().map_or(0, |d| d.len());
            if drained > DRAIN_FACTOR.saturating_mul(max) {
                break;
            }
        }
    })
    .await;
}

async fn read_body(
    mut body: Body,
    declared: Option<u64>,
    max: usize,
) -> Result<bytes::Bytes, AwsError> {
    // A declared length over the limit is refused without buffering anything.
    if declared.is_some_and(|n| n > max as u64) {
        drain(body, max).await;
        return Err(too_large(max));
    }
    let mut buffer = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|e| AwsError::bad_request(format!("Could not read the request body: {e}")))?;
        if let Some(data) = frame.data_ref() {
            if buffer.len() + data.len() > max {
                drain(body, max).await;
                return Err(too_large(max));
            }
            buffer.extend_from_slice(data);
        }
    }
    Ok(buffer.freeze())
}

/// Reads the body within the request's body limits: a client that sends it too slowly (one byte a
/// second, say) is answered 408 instead of holding the request open for as long as it likes.
pub(crate) async fn read_limited(
    body: Body,
    declared: Option<u64>,
    limits: BodyLimits,
) -> Result<bytes::Bytes, AwsError> {
    tokio::time::timeout(
        limits.read_timeout,
        read_body(body, declared, limits.max_bytes),
    )
    .await
    .unwrap_or_else(|_| {
        Err(AwsError::RequestTimeout(format!(
            "The request body was not received within {} seconds",
            limits.read_timeout.as_secs_f64()
        )))
    })
}
