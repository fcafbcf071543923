//! The record every request leaves: one structured log line and its metrics. Only what is safe to
//! keep goes in: the operation, the caller's account and region, the method and path (never the
//! query, which carries presigned signatures, nor headers or bodies), the status and the latency.

use std::time::{Duration, Instant};

use certgate_core::Scope;

use super::metrics::Metrics;

/// The operation name of a request that never reached an operation: refused at the door, or not
/// routed to any operation.
pub const UNROUTED: &str = "-";

/// The name the console's requests are logged and counted under.
pub const CONSOLE: &str = "Console";

pub struct Record<'a> {
    pub request_id: &'a str,
    pub operation: &'static str,
    pub scope: Option<&'a Scope>,
    pub method: &'a http::Method,
    pub path: &'a str,
    pub status: u16,
    pub error: Option<&'static str>,
    pub latency: Duration,
}

impl Record<'_> {
    pub fn emit(&self, metrics: &Metrics) {
        metrics.observe_request(self.operation, self.status, self.latency);
        tracing::info!(
            target: "certgate::request",
            request_id = self.request_id,
            operation = self.operation,
            account = self.scope.map(|s| s.account.as_str()),
            region = self.scope.map(|s| s.region.as_str()),
            method = %self.method,
            path = self.path,
            status = self.status,
            error = self.error,
            latency_ms = self.latency.as_micros() as f64 / 1000.0,
            "request"
        );
    }
}

/// Logs a request once and counts it in the metrics.
#[allow(clippy::too_many_arguments)]
pub fn record<B>(
    metrics: &Metrics,
    request_id: &str,
    operation: &'static str,
    scope: Option<&certgate_core::Scope>,
    parts: &http::request::Parts,
    response: &http::Response<B>,
    error: Option<&'static str>,
    started: Instant,
) {
    Record {
        request_id,
        operation,
        scope,
        method: &parts.method,
        path: parts.uri.path(),
        status: response.status().as_u16(),
        error,
        latency: started.elapsed(),
    }
    .emit(metrics);
}
