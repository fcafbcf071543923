//! certgate's data plane: a request to an invoked stage is resolved to the stage's deployment
//! snapshot, routed to a resource and method as API Gateway does, and answered by the method's
//! integration. HTTP and HTTP_PROXY integrations are forwarded to their backend over pooled
//! connections that present the stage's client certificate whenever the backend asks for one.
//!
//! The crate knows no server and no command line: the HTTP edge hands it an [`Inbound`] request
//! and sends back the [`Reply`] it gets, and logs and counts what [`invoke::Invoked`] says happened.
//!
//! Modules:
//! - `target`: which requests are invocations (the two URL forms);
//! - `route`: a deployment snapshot compiled for matching (pure);
//! - `plan`: what an integration sends to its backend and how its answer comes back (pure), with
//!   `headers` (AWS's header rules) and `select` (selection patterns, parameters, passthrough);
//! - `gateway`: API Gateway's own answers (403, 413, 415, 429, 500, 504);
//! - `tls` and `upstream`: the backends' TLS (roots, `--backend-ca-file`, the stage's client
//!   identity) and the pooled clients, one per (certificate, verification mode);
//! - `stages`: the resolved stages, kept coherent by the store's change feed;
//! - `invoke`: the path of one request through all of the above;
//! - `test_invoke`: TestInvokeMethod, the same path on an API's current tree;
//! - `testing` (feature `testing`): a real HTTPS backend that demands a client certificate.

pub mod gateway;
pub mod headers;
#[cfg(feature = "io")]
pub mod invoke;
pub mod plan;
pub mod route;
pub mod select;
#[cfg(feature = "io")]
pub mod stages;
pub mod target;
#[cfg(feature = "io")]
pub mod test_invoke;
#[cfg(feature = "io")]
pub mod tls;
#[cfg(feature = "io")]
pub mod upstream;

#[cfg(feature = "testing")]
pub mod testing;

use bytes::Bytes;
use http::HeaderMap;

/// AWS's payload limit of API Gateway, for requests and for integration responses: 10 MB.
pub const MAX_PAYLOAD: usize = 10 * 1024 * 1024;

/// What the caller sent, as the data plane sees it, once the edge has read the body.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub method: http::Method,
    /// The path after the stage, still percent-encoded as it arrived, starting with `/` (`/` for
    /// the stage's root).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The caller's address, for `X-Forwarded-For`.
    pub source_ip: Option<std::net::IpAddr>,
}

/// What the data plane answers: status, headers and body, complete.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A request to a backend, as an integration builds it.
#[derive(Debug, Clone)]
pub struct BackendRequest {
    pub method: http::Method,
    /// Absolute: `https://host:port/path?query` (or `http://`).
    pub uri: http::Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A backend's complete answer.
#[derive(Debug, Clone)]
pub struct BackendResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub version: http::Version,
}
