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

/// API Gateway's `x-amz-apigw-id`: 11 bytes in base64 (15 characters and a `=`), here the first
/// bytes of the request id, so the two name the same request.
fn apigw_id(request_id: &str) -> String {
    let hex: Vec<u8> = request_id
        .bytes()
        .filter(u8::is_ascii_hexdigit)
        .collect::<Vec<_>>()
        .chunks(2)
        .filter_map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .take(11)
        .collect();
    base64::engine::general_purpose::STANDARD.encode(hex)
}

/// The X-Ray trace header API Gateway adds: the caller's, if it sent one, else a new root
/// `Root=1-{seconds in hex}-{24 hex digits}` taken from the request id.
fn trace_id(request: &Request, request_id: &str, now: i64) -> String {
    if let Some(given) = request
        .headers()
        .get("x-amzn-trace-id")
        .and_then(|v| v.to_str().ok())
    {
        return given.to_string();
    }
    let digits: String = request_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .skip(8)
        .take(24)
        .collect();
    format!("Root=1-{now:08x}-{digits:0<24}")
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
        let host = request
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()));
        certgate_proxy::target::target(host, request.uri().path()).map(|t| Owned {
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

/// Answers an invocation of `target`.
pub(crate) async fn invoke(app: &App, owned: Owned, request: Request) -> axum::response::Response {
    let started = Instant::now();
    let target = owned.target();
    let request_id = app.ids.request_id();
    let trace = trace_id(&request, &request_id, app.service.now());
    let method = request.method().clone();
    let mut invoked = Invoked {
        api_id: target.api_id.to_string(),
        stage: target.stage.to_string(),
        ..Invoked::default()
    };
    let reply = match &app.data_plane {
        None => {
            invoked.failure = Some("configuration");
            invoked.cause = Some("this server has no data plane".into());
            gateway::internal_error()
        }
        Some(data_plane) => {
            let gates = request
                .extensions()
                .get::<RequestGates>()
                .cloned()
                .unwrap_or_else(RequestGates::unlimited);
            match gates.invoke() {
                None => gateway::throttled(),
                Some(_place) => match inbound(request, target.path).await {
                    Err(reply) => reply,
                    Ok(inbound) => {
                        let ids = RequestIds {
                            request_id: &request_id,
                            trace_id: &trace,
                        };
                        let (reply, outcome) = data_plane.invoke(target, inbound, ids).await;
                        invoked = outcome;
                        reply
                    }
                },
            }
        }
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
async fn inbound(request: Request, path: &str) -> Result<Inbound, Reply> {
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let read_timeout = parts
        .extensions
        .get::<BodyLimits>()
        .copied()
        .unwrap_or_default()
        .read_timeout;
    let limits = BodyLimits {
        max_bytes: MAX_PAYLOAD,
        read_timeout,
    };
    let body = match crate::body::read_limited(body, declared, limits).await {
        Ok(body) => body,
        Err(AwsError::RequestEntityTooLarge(_)) => return Err(gateway::too_large()),
        Err(AwsError::RequestTimeout(_)) => return Err(gateway::request_timeout()),
        Err(_) => return Err(gateway::bad_request()),
    };
    let source_ip = parts.extensions.get::<Peer>().map(|p| p.0.ip());
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
        headers.insert("x-amzn-RequestId", id);
    }
    if let Ok(id) = HeaderValue::from_str(&apigw_id(request_id)) {
        headers.insert("x-amz-apigw-id", id);
    }
    if let Ok(trace) = HeaderValue::from_str(trace) {
        headers.insert("X-Amzn-Trace-Id", trace);
    }
    response
}

#[cfg(test)]
mod tests;
