//! The HTTP front: one handler for every request. It reads the caller's scope from the SigV4
//! credential, reads the body under the size limit, lets the wire crate route and decode it, runs
//! the operation on the service and encodes the answer. Every answer, success or error, carries a
//! request id and is logged once.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use certgate_core::Error;
use certgate_wire::{AwsError, Caller, Operation, Output};
use futures_util::FutureExt;
use http_body_util::BodyExt;

use crate::answers::Key;
use crate::app::App;
use crate::limits::BodyLimits;
use crate::ops::access::record;
use crate::ops::Endpoint;
use certgate_service::Service;

fn too_large(max: usize) -> AwsError {
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
async fn drain(mut body: Body, max: usize) {
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
async fn read_limited(
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

/// Logs an internal cause with the request id, then lets the wire hide it from the client.
fn to_wire(e: Error, request_id: &str) -> AwsError {
    if let Error::Internal(cause) = &e {
        tracing::error!(request_id, ?cause, "internal failure");
    }
    e.into()
}

/// What a request's operation came to: an output to encode (and perhaps keep, with the scope,
/// key and feed epoch it was read under), or a kept answer's status and body.
enum Answer {
    Fresh(Output, Option<(certgate_core::Scope, Key, u64)>),
    Kept(u16, bytes::Bytes),
}

/// Runs the operation on the service through the generated dispatch, in the caller's scope.
async fn run(service: &Service, caller: &Caller, op: Operation) -> Result<Output, Error> {
    certgate_api::dispatch(service, &certgate_api::Context::new(&caller.scope), op).await
}

async fn handle(State(app): State<Arc<App>>, request: Request) -> axum::response::Response {
    let started = Instant::now();
    let request = match &app.console {
        // Only `/_certgate/…` can be the console's (its dispatch says the same): the API's
        // requests go on without the copies of method and path its log line needs.
        Some(console) if request.uri().path().starts_with("/_certgate/") => {
            let (method, path) = (request.method().clone(), request.uri().path().to_string());
            match console.dispatch(request).await {
                Ok(response) => {
                    let request_id = app.ids.request_id();
                    crate::ops::access::Record {
                        request_id: &request_id,
                        operation: crate::ops::access::CONSOLE,
                        scope: None,
                        method: &method,
                        path: &path,
                        status: response.status().as_u16(),
                        error: None,
                        latency: started.elapsed(),
                    }
                    .emit(&app.metrics);
                    return response;
                }
                Err(request) => request,
            }
        }
        _ => request,
    };
    let request_id = app.ids.request_id();
    let (parts, body) = request.into_parts();
    if let Some(endpoint) = Endpoint::route(&parts.method, parts.uri.path()) {
        let response = endpoint
            .answer(&app.service, &app.metrics, &request_id)
            .await;
        record(
            &app.metrics,
            &request_id,
            endpoint.name(),
            None,
            &parts,
            &response,
            None,
            started,
        );
        return response.map(Body::from);
    }
    let mut op_name = crate::ops::access::UNROUTED;
    let mut scope: Option<certgate_core::Scope> = None;
    // Set when the answer leaves the body unread: the connection then cannot carry another request.
    let mut close = false;

    let handled = async {
        let caller = certgate_wire::caller(&parts.headers, parts.uri.query())?;
        scope = Some(caller.scope.clone());
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let limits = parts
            .extensions
            .get::<BodyLimits>()
            .copied()
            .unwrap_or_default();
        // A client that waits for `100 Continue` has sent no body yet: an oversized one is refused
        // before the body is asked for, so hyper sends no 100 and the client never sends (and
        // certgate never drains) the body.
        let expects_continue = parts
            .headers
            .get(http::header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        if expects_continue && declared.is_some_and(|n| n > limits.max_bytes as u64) {
            close = true;
            return Err(too_large(limits.max_bytes));
        }
        let body = read_limited(body, declared, limits).await?;
        let principal = app.access.authenticate(&parts, &body, caller)?;
        // With verified signatures the account is the credentials file's, not the key id's.
        scope = Some(principal.caller.scope.clone());
        app.access.admit(&principal)?;
        let id = certgate_wire::operation_id(&parts.method, parts.uri.path(), parts.uri.query())?;
        op_name = id.name();
        app.access.authorize(&principal, id)?;
        let op = certgate_wire::parse_operation(
            &parts.method,
            parts.uri.path(),
            parts.uri.query(),
            &body,
        )?;
        let key = Key::of(&op);
        let scope = &principal.caller.scope;
        if let Some(kept) = key.as_ref().and_then(|k| app.answers.get(scope, k)) {
            return Ok(Answer::Kept(kept.0, kept.1));
        }
        // Before the read: an answer is kept only if no write was announced since.
        let epoch = app.answers.epoch();
        let output = run(&app.service, &principal.caller, op)
            .await
            .map_err(|e| to_wire(e, &request_id))?;
        Ok(Answer::Fresh(
            output,
            key.map(|k| (scope.clone(), k, epoch)),
        ))
    };
    // A panic is a bug, but it must still cost only its own request: the client gets an AWS-shaped
    // 500 with a request id to report, and the log says where it happened.
    let result: Result<Answer, AwsError> = match AssertUnwindSafe(handled).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(request_id, panic = what, "request handler panicked");
            Err(AwsError::InternalFailure)
        }
    };

    let mut response = match &result {
        Ok(Answer::Fresh(output, keep)) => {
            let response = certgate_wire::encode_output(output, &request_id);
            if let Some((scope, key, epoch)) = keep {
                let kept = (response.status().as_u16(), response.body().clone());
                app.answers.keep(scope, key.clone(), *epoch, kept);
            }
            response
        }
        Ok(Answer::Kept(status, body)) => {
            certgate_wire::encode_kept(*status, body.clone(), &request_id)
        }
        Err(error) => certgate_wire::encode_error(error, &request_id),
    };
    if close {
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
    let error = result.as_ref().err().map(AwsError::code);
    record(
        &app.metrics,
        &request_id,
        op_name,
        scope.as_ref(),
        &parts,
        &response,
        error,
        started,
    );
    response.map(Body::from)
}

/// The router every connection calls: one fallback handler, so every request, known or not,
/// goes through the same code.
pub(crate) fn router(app: Arc<App>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(app)
}
