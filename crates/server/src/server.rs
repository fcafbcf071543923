//! The HTTP front: one handler for every request. It reads the caller's scope from the SigV4
//! credential, reads the body under the size limit, lets the wire crate route and decode it, runs
//! the operation on the service and encodes the answer. Every answer, success or error, carries a
//! request id and is logged once.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use certgate_core::Error;
use certgate_wire::{AwsError, Caller, Operation, Output};
use futures_util::FutureExt;

use crate::answers::Key;
use crate::app::App;
use crate::body::{drain, read_limited, too_large};
use crate::limits::{BodyLimits, RequestGates};
use crate::ops::access::record;
use crate::ops::Endpoint;
use certgate_service::Service;

/// Logs an internal cause with the request id, then lets the wire hide it from the client.
fn to_wire(e: Error, request_id: &str) -> AwsError {
    if let Error::Internal(cause) = &e {
        tracing::error!(request_id, ?cause, "internal failure");
    }
    e.into()
}

/// What a request's operation came to: an output to encode (and perhaps keep, with the scope,
/// key and feed epoch it was read under), or a kept answer's status and body. The output is boxed:
/// the largest of the 45 operations' outputs is some 700 bytes, and a kept answer is most answers.
enum Answer {
    Fresh(Box<Output>, Option<(certgate_core::Scope, Key, u64)>),
    Kept(u16, bytes::Bytes),
}

/// Runs the operation on the service through the generated dispatch, in the caller's scope.
async fn run(service: &Service, caller: &Caller, op: Operation) -> Result<Output, Error> {
    certgate_api::dispatch(service, &certgate_api::Context::new(&caller.scope), op).await
}

/// An answer given before the request reaches the router, logged and counted like any other
/// (under the operation `-`: it was refused before anyone looked at what it asked for).
pub(crate) fn refuse<B>(
    app: &App,
    request: &hyper::Request<B>,
    error: &AwsError,
    close: bool,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let request_id = app.ids.request_id();
    let mut response = certgate_wire::encode_error(error, &request_id).map(Body::from);
    crate::ops::access::Record {
        request_id: &request_id,
        operation: crate::ops::access::UNROUTED,
        scope: None,
        method: request.method(),
        path: request.uri().path(),
        status: response.status().as_u16(),
        error: Some(error.code()),
        latency: started.elapsed(),
    }
    .emit(&app.metrics);
    if close {
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
    response
}

/// The 429 of a request that found no place free (in flight, or to upload its body).
fn busy() -> AwsError {
    AwsError::TooManyRequests {
        message: "Too Many Requests".into(),
        retry_after_seconds: 1,
    }
}

/// Answers a request refused before its body was read. Unless the client waits for `100 Continue`
/// (and so has sent nothing), what it sends is read and thrown away in the background, within the
/// drain bounds and holding no place, so that it sees the answer instead of a reset connection.
fn leave_body(body: Body, version: http::Version, expects_continue: bool, max: usize) -> bool {
    use axum::body::HttpBody as _;
    if body.is_end_stream() {
        return false;
    }
    if expects_continue {
        return true;
    }
    // HTTP/2 resets the stream of a dropped body: nothing to drain, the connection goes on.
    if version != http::Version::HTTP_2 {
        tokio::spawn(drain(body, max));
    }
    false
}

/// The 401 of a console or `/metrics` request without an admin credential in sigv4 mode. These
/// pages are certgate's own, so the answer is plain JSON; `WWW-Authenticate` makes a browser ask
/// for the key and secret.
fn not_admin(
    app: &App,
    parts: &http::request::Parts,
    message: &str,
    started: Instant,
) -> axum::response::Response {
    let request_id = app.ids.request_id();
    let body = serde_json::json!({ "message": message }).to_string();
    let mut response = axum::response::Response::new(Body::from(body));
    *response.status_mut() = http::StatusCode::UNAUTHORIZED;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        http::header::WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Basic realm=\"certgate\", charset=\"UTF-8\""),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    if let Ok(id) = http::HeaderValue::from_str(&request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    crate::ops::access::Record {
        request_id: &request_id,
        operation: crate::ops::access::CONSOLE,
        scope: None,
        method: &parts.method,
        path: parts.uri.path(),
        status: 401,
        error: None,
        latency: started.elapsed(),
    }
    .emit(&app.metrics);
    response
}

async fn handle(State(app): State<Arc<App>>, request: Request) -> axum::response::Response {
    // Invoked stages first: their paths and hosts are never the control plane's, and they must
    // not take the control plane's places.
    if let Some(target) = crate::invoke::Owned::of(&request) {
        let door = crate::invoke::Door::of(&request);
        return crate::invoke::invoke(&app, target, request, door).await;
    }
    let started = Instant::now();
    let gates = RequestGates::of(request.extensions());
    let ours = Endpoint::route(request.method(), request.uri().path()).is_some()
        || (app.console.is_some() && request.uri().path().starts_with("/_certgate/"));
    let request = if ours && crate::access::admin::needs_admin(request.uri().path()) {
        let (parts, body) = request.into_parts();
        if let Err(refusal) = app.access.admit_admin(&parts) {
            return not_admin(&app, &parts, refusal.0, started);
        }
        Request::from_parts(parts, body)
    } else {
        request
    };
    // certgate's own endpoints read no body worth an upload place, but their work counts.
    let _work = if ours {
        match gates.work() {
            Some(place) => Some(place),
            None => return refuse(&app, &request, &busy(), false),
        }
    } else {
        None
    };
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
            .answer(&app.service, &app.metrics, &app.write_probe, &request_id)
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
        let expects_continue = parts
            .headers
            .get(http::header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        // Whatever the head alone refuses is refused before the body is read: missing or unknown
        // credentials, an unknown route, a declared length over the limit. A client that waits
        // for `100 Continue` then gets no 100 and never sends its body.
        // With verified signatures the route waits for the signature, as AWS checks that first: a
        // key holder who alters a signed request learns only that the signature is wrong. Without
        // credentials no body is read anyway, and a body on its way holds only an upload place.
        let route =
            || certgate_wire::operation_id(&parts.method, parts.uri.path(), parts.uri.query());
        let from_head = app
            .access
            .recognize(&caller)
            .and_then(|()| {
                if app.access.verifies_signatures() {
                    Ok(None)
                } else {
                    route().map(Some)
                }
            })
            .and_then(|id| {
                if declared.is_some_and(|n| n > limits.max_bytes as u64) {
                    Err(too_large(limits.max_bytes))
                } else {
                    Ok(id)
                }
            });
        let mut body = Some(body);
        let id = match from_head {
            Ok(id) => id,
            Err(e) => {
                if let Some(body) = body.take() {
                    close = leave_body(body, parts.version, expects_continue, limits.max_bytes);
                }
                return Err(e);
            }
        };
        if let Some(id) = id {
            op_name = id.name();
        }
        let body = match body.take() {
            Some(body) if !axum::body::HttpBody::is_end_stream(&body) => {
                // The body arrives under an upload place, not a place in flight.
                let Some(_upload) = gates.upload() else {
                    close = leave_body(body, parts.version, expects_continue, limits.max_bytes);
                    return Err(busy());
                };
                read_limited(body, declared, limits).await?
            }
            _ => bytes::Bytes::new(),
        };
        let Some(_work) = gates.work() else {
            return Err(busy());
        };
        let principal = app.access.authenticate(&parts, &body, caller)?;
        // With verified signatures the account is the credentials file's, not the key id's.
        scope = Some(principal.caller.scope.clone());
        app.access.admit(&principal)?;
        let id = match id {
            Some(id) => id,
            None => route()?,
        };
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
            Box::new(output),
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
