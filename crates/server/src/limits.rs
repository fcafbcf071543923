//! Limits against abuse and for a clean stop: how many connections and requests are served at
//! once, how large and how slow a request may be, and how long a stop waits for requests in flight.
//!
//! Each limit is a flag with an environment variable (see README). What a client sees when it hits
//! one:
//! - too many connections: the connection is served, but every request on it is answered
//!   `503 ServiceUnavailableException` and the connection is closed, so a client learns why instead
//!   of hanging in the kernel's backlog;
//! - too many requests in flight: `429 TooManyRequestsException` with `Retry-After: 1`, which the
//!   AWS SDKs treat as throttling and retry with backoff. A request counts as in flight only once
//!   its body has arrived: a client that is slow to send (or never sends) its body holds an upload
//!   place, not a place meant for work;
//! - too many bodies being received at once, in all (`--max-uploads`) or on one HTTP/2 connection
//!   ([`UPLOADS_PER_CONNECTION`]): the same 429, before the body is read;
//! - an HTTP/2 connection with no request open for the header timeout is closed, as an idle HTTP/1
//!   keep-alive connection is; one HTTP/2 connection has at most [`H2_MAX_STREAMS`] streams open;
//! - headers larger than the limit: `431` (hyper's own answer: no body, as the request could not
//!   be read);
//! - headers not received within the header timeout (idle keep-alive connections included): the
//!   connection is closed;
//! - a body larger than the limit: `413 RequestEntityTooLargeException`;
//! - a body not received within the body timeout: `408 RequestTimeoutException`, connection closed.
//!
//! Invoked stages (the data plane) have gates of their own, so that slow backends cannot take the
//! control plane's places: `--max-invokes-in-flight` places (429 `{"message":"Too Many Requests"}`
//! beyond), and API Gateway's 10 MB payload limit instead of `--max-body-bytes` (413
//! `{"message":"Request Too Long"}`). Connections and heads are shared by both.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Every limit of the HTTP front. `Default` holds the values the binary uses without flags.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections served normally at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// Requests handled at once over all connections, counted from the end of their body; more
    /// are answered 429.
    pub max_in_flight: usize,
    /// Invocations of stages handled at once (their bodies included); more are answered 429.
    pub max_invokes_in_flight: usize,
    /// Request bodies being received at once over all connections; more are answered 429 before
    /// their body is read.
    pub max_uploads: usize,
    /// The largest request head (request line and headers), in bytes. hyper reads HTTP/1 heads
    /// into a buffer of this size, which it does not allow below 8192 bytes.
    pub max_header_bytes: usize,
    /// The largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Time a client has to send a request's head, from the connection's start or the end of the
    /// previous answer: hyper starts the clock when it begins waiting for a head, so this is also
    /// how long an idle keep-alive connection is kept.
    pub header_read_timeout: Duration,
    /// Time a client has to send a request's body, from the end of its head.
    pub body_read_timeout: Duration,
    /// Time a stop waits for requests in flight before closing their connections.
    pub shutdown_grace: Duration,
}

/// Request bodies one connection may be sending at once. HTTP/1 sends one request at a time, so
/// this bounds HTTP/2's streams: without it one connection could hold every upload place.
pub const UPLOADS_PER_CONNECTION: usize = 4;

/// Streams one HTTP/2 connection may have open at once (hyper's default is 200). The AWS SDKs
/// open a few per connection; more are refused by HTTP/2 itself (the client waits for a stream).
pub const H2_MAX_STREAMS: u32 = 32;

/// hyper refuses an HTTP/1 read buffer smaller than this.
pub const MIN_HEADER_BYTES: usize = 8192;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            max_in_flight: 256,
            max_invokes_in_flight: 1024,
            max_uploads: 512,
            max_header_bytes: 16 * 1024,
            max_body_bytes: certgate_wire::MAX_BODY_BYTES,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// The limits as given (flags, environment), before they are checked: [`LimitConfig::limits`]
/// checks each and names the flag that is out of range.
#[derive(Debug, Clone)]
pub struct LimitConfig {
    /// Connections served at once; further connections are answered 503 and closed.
    pub max_connections: usize,

    /// Requests handled at once; further requests are answered 429 TooManyRequestsException.
    pub max_in_flight: usize,

    /// Invocations of stages handled at once; further invocations are answered 429.
    pub max_invokes_in_flight: usize,

    /// Request bodies received at once; further requests with a body are answered 429.
    pub max_uploads: usize,

    /// Largest request head (request line and headers) in bytes, at least 8192; larger is a 431.
    pub max_header_bytes: usize,

    /// Largest request body in bytes; larger is a 413.
    pub max_body_bytes: usize,

    /// Seconds a client has to send a request's headers before its connection is closed.
    pub header_read_timeout_seconds: f64,

    /// Seconds a client has to send a request's body before it is answered 408.
    pub body_read_timeout_seconds: f64,

    /// Seconds a stop (SIGTERM, Ctrl-C) waits for requests in flight before closing connections.
    pub shutdown_grace_seconds: f64,
}

fn seconds(name: &str, value: f64) -> Result<Duration, String> {
    if value.is_finite() && value > 0.0 && value <= 86_400.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(format!(
            "--{name} must be a number of seconds above 0 and at most 86400, not {value}"
        ))
    }
}

fn at_least_one(name: &str, value: usize) -> Result<usize, String> {
    if value >= 1 {
        Ok(value)
    } else {
        Err(format!("--{name} must be at least 1"))
    }
}

impl LimitConfig {
    /// The limits these flags ask for, or a message naming the flag that is out of range.
    pub fn limits(&self) -> Result<Limits, String> {
        if self.max_header_bytes < MIN_HEADER_BYTES {
            return Err(format!(
                "--max-header-bytes must be at least {MIN_HEADER_BYTES}"
            ));
        }
        Ok(Limits {
            max_connections: at_least_one("max-connections", self.max_connections)?,
            max_in_flight: at_least_one("max-in-flight", self.max_in_flight)?,
            max_invokes_in_flight: at_least_one(
                "max-invokes-in-flight",
                self.max_invokes_in_flight,
            )?,
            max_uploads: at_least_one("max-uploads", self.max_uploads)?,
            max_header_bytes: self.max_header_bytes,
            max_body_bytes: at_least_one("max-body-bytes", self.max_body_bytes)?,
            header_read_timeout: seconds(
                "header-read-timeout-seconds",
                self.header_read_timeout_seconds,
            )?,
            body_read_timeout: seconds(
                "body-read-timeout-seconds",
                self.body_read_timeout_seconds,
            )?,
            shutdown_grace: seconds("shutdown-grace-seconds", self.shutdown_grace_seconds)?,
        })
    }
}

/// What the handler needs of the limits for one request, passed in the request's extensions so
/// that the handler's signature stays that of a plain axum handler.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    pub read_timeout: Duration,
}

impl Default for BodyLimits {
    fn default() -> Self {
        let limits = Limits::default();
        BodyLimits {
            max_bytes: limits.max_body_bytes,
            read_timeout: limits.body_read_timeout,
        }
    }
}

/// The address a request's connection comes from, handed on in its extensions like the limits
/// (the data plane tells backends with `X-Forwarded-For`).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub std::net::SocketAddr);

/// The counters behind the connection, upload and in-flight limits.
#[derive(Debug, Clone)]
pub struct Gates {
    pub connections: Arc<Semaphore>,
    pub in_flight: Arc<Semaphore>,
    pub uploads: Arc<Semaphore>,
    pub invokes: Arc<Semaphore>,
}

impl Gates {
    pub fn new(limits: &Limits) -> Self {
        Gates {
            connections: Arc::new(Semaphore::new(limits.max_connections)),
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight)),
            uploads: Arc::new(Semaphore::new(limits.max_uploads)),
            invokes: Arc::new(Semaphore::new(limits.max_invokes_in_flight)),
        }
    }
}

/// The places one request may take, passed in its extensions: an upload place (in all and on its
/// connection) while its body arrives, then a place in flight while it is worked on.
#[derive(Debug, Clone)]
pub struct RequestGates {
    pub in_flight: Arc<Semaphore>,
    pub uploads: Arc<Semaphore>,
    pub connection_uploads: Arc<Semaphore>,
    pub invokes: Arc<Semaphore>,
}

impl RequestGates {
    /// The places of a request on a connection of `gates`; `connection_uploads` is that
    /// connection's own.
    pub fn new(gates: &Gates, connection_uploads: Arc<Semaphore>) -> Self {
        RequestGates {
            in_flight: gates.in_flight.clone(),
            uploads: gates.uploads.clone(),
            connection_uploads,
            invokes: gates.invokes.clone(),
        }
    }

    /// The places the front handed on in a request's extensions, or no bound for a request that
    /// did not come through the front (a router called directly, in tests).
    pub fn of(extensions: &http::Extensions) -> Self {
        extensions
            .get::<RequestGates>()
            .cloned()
            .unwrap_or_else(RequestGates::unlimited)
    }

    /// No bound: for a router called without the front (tests).
    pub fn unlimited() -> Self {
        let many = || Arc::new(Semaphore::new(Semaphore::MAX_PERMITS));
        RequestGates {
            in_flight: many(),
            uploads: many(),
            connection_uploads: many(),
            invokes: many(),
        }
    }

    /// A place in flight, if one is free.
    pub fn work(&self) -> Option<OwnedSemaphorePermit> {
        self.in_flight.clone().try_acquire_owned().ok()
    }

    /// A place for an invocation of a stage, if one is free.
    pub fn invoke(&self) -> Option<OwnedSemaphorePermit> {
        self.invokes.clone().try_acquire_owned().ok()
    }

    /// An upload place in all and on the connection, if both have one free.
    pub fn upload(&self) -> Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
        let connection = self.connection_uploads.clone().try_acquire_owned().ok()?;
        let total = self.uploads.clone().try_acquire_owned().ok()?;
        Some((connection, total))
    }
}
