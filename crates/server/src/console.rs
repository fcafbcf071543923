//! certgate's own pages and admin endpoints, beside the AWS API: the certificate console at
//! `/_certgate/` (its assets under `/_certgate/ui/`, its read-only JSON under `/_certgate/api/`) and
//! the test clock at `/_certgate/clock`.
//!
//! The console shows the metadata of every account and region in the store (never a private key).
//! With `--auth open` it is unauthenticated, meant for a developer's machine or a trusted network;
//! with `--auth sigv4` the server asks for an `admin` key before it gets here (`access::admin`).
//! `--no-console` turns it off. The clock endpoint moves the time every certificate is issued and
//! judged at, so it exists only when `--admin-clock` asks for it.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use certgate_core::source::{Clock, OffsetClock, SystemClock};
use certgate_store::DynStore;
use http::{header, Method};

mod api;

/// The settings of the console and the clock.
#[derive(Debug, Clone, Default)]
pub struct ConsoleConfig {
    /// Run the server's clock this far from the machine's (364d, -350d, 12h, 90m): certificates are
    /// issued and judged at the shifted time, to test rotation without waiting a year.
    pub clock_offset: Option<i64>,

    /// Serve POST /_certgate/clock, which moves the clock offset of the running server. For tests
    /// only: anyone who can reach the server can then change its time.
    pub admin_clock: bool,

    /// Do not serve the certificate console at /_certgate/ (it shows every account's certificates:
    /// without authentication in --auth open, to admin keys in --auth sigv4).
    pub no_console: bool,
}

impl ConsoleConfig {
    /// The server's clock: the machine's, shifted by `--clock-offset`.
    pub fn clock(&self) -> Arc<OffsetClock> {
        Arc::new(OffsetClock::new(
            Arc::new(SystemClock),
            self.clock_offset.unwrap_or(0),
        ))
    }

    /// The console for these flags, or `None` when neither the page nor the clock is served.
    pub fn console(&self, store: DynStore, clock: Arc<OffsetClock>) -> Option<Console> {
        (!self.no_console || self.admin_clock).then(|| Console {
            store,
            clock,
            page: !self.no_console,
            admin_clock: self.admin_clock,
        })
    }
}

/// What the console's routes need: the store to read and the clock to judge expiry by (the same
/// clock the service issues certificates with).
pub struct Console {
    pub store: DynStore,
    pub clock: Arc<OffsetClock>,
    /// Serve the page, its assets and its JSON.
    pub page: bool,
    /// Serve `/_certgate/clock`.
    pub admin_clock: bool,
}

/// The page and its assets, compiled into the binary so that running certgate needs no files.
const INDEX_HTML: &str = include_str!("console/ui/index.html");
const APP_JS: &str = include_str!("console/ui/app.js");
const APP_CSS: &str = include_str!("console/ui/app.css");

/// The page loads only its own script and style, so a description or tag that slipped markup into
/// the DOM could still not run anything.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: &str, body: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, header_value(content_type));
    h.insert(header::CACHE_CONTROL, header_value("no-cache"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, header_value("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, header_value(CSP));
    response
}

/// A header value from a text known at compile time or built from validated ids; the fallback
/// keeps the function total instead of panicking.
fn header_value(text: &str) -> http::HeaderValue {
    http::HeaderValue::from_str(text).unwrap_or(http::HeaderValue::from_static(""))
}

impl Console {
    /// Answers a request if it is one of the console's, or hands it back untouched for the AWS API.
    /// The caller logs and counts the answer, as it does every other.
    /// Unknown paths under `/_certgate/` are handed back too, so they get AWS's error shape.
    pub async fn dispatch(&self, request: Request) -> Result<Response, Request> {
        let path = request.uri().path();
        if !path.starts_with("/_certgate/") {
            return Err(request);
        }
        let method = request.method().clone();
        let path = path.to_string();
        let response = match (self.page, self.admin_clock, &method, path.as_str()) {
            (true, _, &Method::GET, "/_certgate/") => asset("text/html; charset=utf-8", INDEX_HTML),
            (true, _, &Method::GET, "/_certgate/ui/app.js") => {
                asset("text/javascript; charset=utf-8", APP_JS)
            }
            (true, _, &Method::GET, "/_certgate/ui/app.css") => {
                asset("text/css; charset=utf-8", APP_CSS)
            }
            (true, _, &Method::GET, p) if p.starts_with("/_certgate/api/") => {
                match api::get(self, p, request.uri().query()).await {
                    Some(response) => response,
                    None => return Err(request),
                }
            }
            (_, true, &Method::GET, "/_certgate/clock") => api::clock_state(self),
            (_, true, &Method::POST, "/_certgate/clock") => {
                api::set_clock(self, request.into_body()).await
            }
            _ => return Err(request),
        };
        Ok(response)
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests;
