//! The edge of the data plane: an invocation (see `certgate_proxy::target`) takes a place of its
//! own (`--max-invokes-in-flight`), its body is read under API Gateway's 10 MB limit instead of the
//! control plane's, and `certgate_proxy` answers it. The answer carries API Gateway's ids
//! (`x-amzn-RequestId`, `x-amz-apigw-id`, `X-Amzn-Trace-Id`), and the invocation leaves one log
//! line and its metrics.

use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use base64::Engine as _;
use certgate_proxy::invoke::{Invoked, RequestIds};
use certgate_proxy::target::Target;
use certgate_proxy::{gateway, Inbound, Reply, MAX_PAYLOAD};
use http::HeaderValue;

use crate::app::App;
use crate::limits::{BodyLimits, Peer, RequestGates};
use certgate_wire::AwsError;

const REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-amzn-requestid");
const APIGW_ID: http::HeaderName = http::HeaderName::from_static("x-amz-apigw-id");
const TRACE_ID: http::HeaderName = http::HeaderName::from_static("x-amzn-trace-id");

/// The request id's hex digits as bytes, up to `N` of them (a UUID has 16).
fn id_bytes<const N: usize>(request_id: &str) -> ([u8; N], usize) {
    let mut out = [0u8; N];
    let mut n = 0;
    let mut high: Option<u8> = None;
    for c in request_id.bytes() {
        let Some(d) = (c as char).to_digit(16) else {
            continue;
        };
        match high.take() {
            None => high = Some(d as u8),
            Some(h) if n < N => {
                out[n] = (h << 4) | d as u8;
                n += 1;
            }
            Some(_) => break,
        }
    }
    (out, n)
}

/// API Gateway's `x-amz-apigw-id`: 11 bytes in base64 (15 characters and a `=`), here the first
/// bytes of the request id, so the two name the same request.
fn apigw_id(request_id: &str) -> String {
    let (bytes, n) = id_bytes::<11>(request_id);
    base64::engine::general_purpose::STANDARD.encode(&bytes[..n])
}

/// The X-Ray trace header API Gateway adds: the caller's, if it sent one, else a new root.
fn trace_id(request: &Request, request_id: &str, now: i64) -> String {
    if let Some(given) = request
        .headers()
        .get(TRACE_ID)
        .and_then(|v| v.to_str().ok())
    {
        return given.to_string();
    }
    certgate_proxy::invoke::trace_root(request_id, now)
}

/// An invocation's target, copied out of the request so that the request can be taken apart.
pub(crate) struct Owned {
    api_id: String,
    stage: String,
    path: String,
    region: Option<String>,
}

impl Owned {
    /// The invocation a request is, if it is one.
    pub(crate) fn of(request: &Request) -> Option<Owned> {
        Owned::from(request.headers(), request.uri())
    }

    /// The invocation a request head names, if it names one.
    pub(crate) fn from(headers: &http::HeaderMap, uri: &http::Uri) -> Option<Owned> {
        let host = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| uri.authority().map(|a| a.as_str()));
        certgate_proxy::target::target(host, uri.path()).map(|t| Owned {
            api_id: t.api_id.to_string(),
            stage: t.stage.to_string(),
            path: t.path.to_string(),
            region: t.region.map(str::to_string),
        })
    }

    fn target(&self) -> Target<'_> {
        Target {
            api_id: &self.api_id,
            stage: &self.stage,
            path: &self.path,
            region: self.region.as_deref(),
        }
    }
}

/// What the front knows of an invocation's connection: its gates, its body timeout, its peer.
pub(crate) struct Door {
    pub gates: RequestGates,
    pub read_timeout: std::time::Duration,
    pub peer: Option<std::net::IpAddr>,
}

impl Door {
    /// The door of a request that came with its limits in its extensions (through the router).
    pub(crate) fn of(request: &Request) -> Door {
        let extensions = request.extensions();
        Door {
            gates: RequestGates::of(extensions),
            read_timeout: extensions
                .get::<BodyLimits>()
                .copied()
                .unwrap_or_default()
                .read_timeout,
            peer: extensions.get::<Peer>().map(|p| p.0.ip()),
        }
    }
}

/// Answers an invocation of `target`.
pub(crate) async fn invoke(
    app: &App,
    owned: Owned,
    request: Request,
    door: Door,
) -> axum::response::Response {
    let started = Instant::now();
    let target = owned.target();
    let request_id = app.ids.request_id();
    let trace = trace_id(&request, &request_id, app.service.now());
    let method = request.method().clone();
    let (reply, mut invoked) = match &app.data_plane {
        None => {
            let mut invoked = Invoked::of(target);
            invoked.failure = Some("configuration");
            invoked.cause = Some("this server has no data plane".into());
            (gateway::internal_error(), invoked)
        }
        Some(data_plane) => match door.gates.invoke() {
            None => (gateway::throttled(), Invoked::of(target)),
            Some(_place) => match inbound(request, target.path, &door).await {
                Err(reply) => (reply, Invoked::of(target)),
                Ok(inbound) => {
                    let ids = RequestIds {
                        request_id: &request_id,
                        trace_id: &trace,
                    };
                    data_plane.invoke(target, inbound, ids).await
                }
            },
        },
    };
    invoked.status = reply.status;
    let response = respond(reply, &request_id, &trace);
    crate::ops::invokes::record(
        &app.metrics,
        &request_id,
        &method,
        &invoked,
        started.elapsed(),
    );
    response
}

/// The request as the data plane takes it, its body read within API Gateway's limit.
async fn inbound(request: Request, path: &str, door: &Door) -> Result<Inbound, Reply> {
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let limits = BodyLimits {
        max_bytes: MAX_PAYLOAD,
        read_timeout: door.read_timeout,
    };
    let body = match crate::body::read_limited(body, declared, limits).await {
        Ok(body) => body,
        Err(AwsError::RequestEntityTooLarge(_)) => return Err(gateway::too_large()),
        Err(AwsError::RequestTimeout(_)) => return Err(gateway::request_timeout()),
        Err(_) => return Err(gateway::bad_request()),
    };
    let source_ip = door.peer;
    Ok(Inbound {
        method: parts.method,
        path: path.to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
        source_ip,
    })
}

fn respond(reply: Reply, request_id: &str, trace: &str) -> axum::response::Response {
    let mut response = axum::response::Response::new(Body::from(reply.body));
    *response.status_mut() =
        http::StatusCode::from_u16(reply.status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    let headers = response.headers_mut();
    *headers = reply.headers;
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID, id);
    }
    if let Ok(id) = HeaderValue::try_from(apigw_id(request_id)) {
        headers.insert(APIGW_ID, id);
    }
    if let Ok(trace) = HeaderValue::from_str(trace) {
        headers.insert(TRACE_ID, trace);
    }
    response
}

#[cfg(test)]
mod tests;
