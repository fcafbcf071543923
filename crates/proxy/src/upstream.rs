//! The pooled HTTP clients that carry integration requests to backends, one per (client
//! certificate, verification mode).
//!
//! A resolved stage holds the [`Upstream`] of its client certificate; [`Upstreams`] only remembers
//! which ones are alive, through `Weak`s. When a stage's certificate is rotated, the stage is
//! resolved again and gets the new certificate's Upstream, with connections of its own: nothing
//! opened under the old certificate is reused for it, and requests already in flight on the old
//! Upstream finish there. Once the last stage and request let go of the old Upstream, it is freed
//! with its idle connections and its key.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderValue, Method};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Body as _;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::tls::{client_config, Identity, TlsCause, Trust};
use crate::{BackendRequest, BackendResponse, MAX_PAYLOAD};

/// How long an idle pooled connection is kept: a little under the 100 s or so after which common
/// servers and load balancers close idle keep-alive connections, so that the pool drops a
/// connection before the backend does rather than losing a request to the race.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The bound of a whole connection set-up, TCP connect and TLS handshake together: API Gateway's
/// longest integration timeout. Each request's exchange, set-up included, is already bounded by
/// its own integration timeout; this bound matters for a connection the pool finishes in the
/// background after the request that asked for it was served by another one that came free.
/// Without it a backend that accepts TCP and then stalls its handshake would hold such a task for
/// as long as it likes.
const SET_UP_TIMEOUT: Duration = Duration::from_secs(29);

/// A connector whose every connection set-up ends within a bound, with a timed-out error.
#[derive(Clone)]
struct Bounded<C> {
    inner: C,
    within: Duration,
}

impl<C> tower_service::Service<http::Uri> for Bounded<C>
where
    C: tower_service::Service<http::Uri>,
    C::Future: Send + 'static,
    C::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    type Response = C::Response;
    type Error = Box<dyn StdError + Send + Sync>;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<C::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let within = self.within;
        Box::pin(async move {
            match tokio::time::timeout(within, connecting).await {
                Ok(result) => result.map_err(Into::into),
                Err(_) => Err(Box::new(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the connection and its TLS handshake took too long",
                )) as Self::Error),
            }
        })
    }
}

/// TCP keep-alive probes on pooled connections, so that a backend that vanished is noticed.
const TCP_KEEPALIVE: Duration = Duration::from_secs(60);

/// Which Upstream a stage needs. A certificate id names one certificate for good (certificates are
/// never changed in place, only replaced by another id), so the id is the whole identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    certificate_id: Option<String>,
    insecure: bool,
}

/// All the live [`Upstream`]s of the data plane.
pub struct Upstreams {
    trust: Trust,
    live: Mutex<HashMap<Key, Weak<Upstream>>>,
}

impl fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upstreams")
            .field("trust", &self.trust)
            .field("live", &self.len())
            .finish()
    }
}

impl Upstreams {
    pub fn new(trust: Trust) -> Upstreams {
        Upstreams {
            trust,
            live: Mutex::new(HashMap::new()),
        }
    }

    /// The Upstream for this client certificate (or none) and verification mode: the one already
    /// in use if there is one, else a new one. Called when a stage is resolved, not per request.
    pub fn client(&self, identity: Option<Arc<Identity>>, insecure: bool) -> Arc<Upstream> {
        let key = Key {
            certificate_id: identity.as_ref().map(|i| i.certificate_id().to_owned()),
            insecure,
        };
        let mut live = self
            .live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(upstream) = live.get(&key).and_then(Weak::upgrade) {
            return upstream;
        }
        // Inserting is rare (a new certificate or mode), so this is where the dead are swept.
        live.retain(|_, upstream| upstream.strong_count() > 0);
        let upstream = Arc::new(Upstream::new(&self.trust, identity, insecure));
        live.insert(key, Arc::downgrade(&upstream));
        upstream
    }

    /// How many Upstreams are alive (used by some stage or request).
    pub fn len(&self) -> usize {
        let live = self
            .live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        live.values().filter(|u| u.strong_count() > 0).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn trust(&self) -> &Trust {
        &self.trust
    }
}

/// One pooled client: its own TLS configuration (roots, identity, verification mode) and its own
/// keep-alive connections, per backend host, HTTP/1.1 or HTTP/2 as each backend chose by ALPN.
pub struct Upstream {
    client: Client<Bounded<HttpsConnector<HttpConnector>>, Full<Bytes>>,
    identity: Option<Arc<Identity>>,
    insecure: bool,
}

impl fmt::Debug for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upstream")
            .field(
                "certificate_id",
                &self.identity.as_ref().map(|i| i.certificate_id()),
            )
            .field("insecure", &self.insecure)
            .finish()
    }
}

impl Upstream {
    /// A client of its own, outside any [`Upstreams`] (tests; the data plane goes through
    /// [`Upstreams::client`] so that stages with the same certificate share connections).
    pub fn new(trust: &Trust, identity: Option<Arc<Identity>>, insecure: bool) -> Upstream {
        let tls = client_config(trust, identity.as_deref(), insecure);
        let mut http = HttpConnector::new();
        // The connector is handed absolute URIs of both schemes and keeps `http` plain.
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_keepalive(Some(TCP_KEEPALIVE));
        // From a (connector, config) pair hyper-rustls keeps the configuration's ALPN list (its
        // builder would insist on setting its own) and allows http as well as https.
        let https = HttpsConnector::from((http, tls));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            // No cap on idle connections per host: under load every connection comes back idle
            // between requests, and a cap would close and reopen (TLS handshake included) the
            // ones over it.
            .pool_max_idle_per_host(usize::MAX)
            .build(Bounded {
                inner: https,
                within: SET_UP_TIMEOUT,
            });
        Upstream {
            client,
            identity,
            insecure,
        }
    }

    /// The client certificate this Upstream presents, if any.
    pub fn identity(&self) -> Option<&Arc<Identity>> {
        self.identity.as_ref()
    }

    /// Whether it skips the backend's chain check (`insecureSkipVerification`).
    pub fn insecure(&self) -> bool {
        self.insecure
    }

    /// Sends one request and reads the whole answer, all of it (connect and TLS handshake
    /// included, when no pooled connection is free) within `timeout`. The body is sent with its
    /// exact Content-Length; an answer over [`MAX_PAYLOAD`] is refused as [`UpstreamError::TooLarge`].
    pub async fn send(
        &self,
        request: BackendRequest,
        timeout: Duration,
    ) -> Result<BackendResponse, UpstreamError> {
        match tokio::time::timeout(timeout, self.exchange(request)).await {
            Ok(result) => result,
            Err(_) => Err(UpstreamError::Timeout),
        }
    }

    async fn exchange(&self, request: BackendRequest) -> Result<BackendResponse, UpstreamError> {
        let BackendRequest {
            method,
            uri,
            mut headers,
            body,
        } = request;
        // The body is complete, so it goes with its length and never chunked. An empty body is
        // announced only by the methods that normally carry one, as clients do.
        headers.remove(TRANSFER_ENCODING);
        if !body.is_empty() || method_expects_body(&method) {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        } else {
            headers.remove(CONTENT_LENGTH);
        }
        let mut outgoing = http::Request::new(Full::new(body));
        *outgoing.method_mut() = method;
        *outgoing.uri_mut() = uri;
        *outgoing.headers_mut() = headers;

        let response = self
            .client
            .request(outgoing)
            .await
            .map_err(|e| UpstreamError::classify(&e, e.is_connect()))?;
        let (parts, body) = response.into_parts();
        // A declared length over the limit is refused before a byte of it is read.
        if body.size_hint().lower() > MAX_PAYLOAD as u64 {
            return Err(UpstreamError::TooLarge);
        }
        let body = Limited::new(body, MAX_PAYLOAD)
            .collect()
            .await
            .map_err(|e| {
                if e.downcast_ref::<LengthLimitError>().is_some() {
                    UpstreamError::TooLarge
                } else {
                    UpstreamError::classify(&*e, false)
                }
            })?
            .to_bytes();
        Ok(BackendResponse {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
            version: parts.version,
        })
    }
}

fn method_expects_body(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

/// Why a backend gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamError {
    /// The integration timeout passed (API Gateway answers 504).
    Timeout,
    /// No connection: refused, unreachable, the host name did not resolve.
    Connect(String),
    /// The TLS handshake with the backend failed, or the backend ended the connection with a TLS
    /// alert (in TLS 1.3 a backend refuses a client certificate only after our side of the
    /// handshake is over, so that arrives while the request is under way).
    Tls { cause: TlsCause, detail: String },
    /// The backend's answer is over [`MAX_PAYLOAD`].
    TooLarge,
    /// The connection was up but the exchange failed: closed early, invalid HTTP.
    Protocol(String),
}

impl UpstreamError {
    /// A short name of the failure, for metrics labels: `timeout`, `connect`, a TLS cause
    /// (`unknown_issuer`, `certificate_refused`, …), `too_large`, `protocol`.
    pub fn name(&self) -> &'static str {
        match self {
            UpstreamError::Timeout => "timeout",
            UpstreamError::Connect(_) => "connect",
            UpstreamError::Tls { cause, .. } => cause.name(),
            UpstreamError::TooLarge => "too_large",
            UpstreamError::Protocol(_) => "protocol",
        }
    }

    /// Sorts an error from the client or from reading a body. The client wraps what failed several
    /// layers deep (hyper-util's error, hyper-rustls' `io::Error`, tokio-rustls' `io::Error`, then
    /// rustls' own), and `io::Error::source` skips the error it wraps, so the chain is walked here
    /// through `get_ref` as well as `source`.
    fn classify(error: &(dyn StdError + 'static), connect: bool) -> UpstreamError {
        let detail = chain_text(error);
        if let Some(tls) = find_in_chain(error, |e| e.downcast_ref::<rustls::Error>()) {
            return UpstreamError::Tls {
                cause: TlsCause::of(tls),
                detail,
            };
        }
        // A set-up over SET_UP_TIMEOUT (`Bounded`'s timed-out error) is a timeout all the same.
        let timed_out = find_in_chain(error, |e| {
            e.downcast_ref::<io::Error>()
                .filter(|io| io.kind() == io::ErrorKind::TimedOut)
        });
        if timed_out.is_some() {
            UpstreamError::Timeout
        } else if connect {
            UpstreamError::Connect(detail)
        } else {
            UpstreamError::Protocol(detail)
        }
    }
}

/// The first error of the chain that `pick` accepts.
fn find_in_chain<'a, T: 'a>(
    mut error: &'a (dyn StdError + 'static),
    pick: impl Fn(&'a (dyn StdError + 'static)) -> Option<&'a T>,
) -> Option<&'a T> {
    loop {
        if let Some(found) = pick(error) {
            return Some(found);
        }
        error = next_in_chain(error)?;
    }
}

fn next_in_chain<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    match error.downcast_ref::<io::Error>() {
        Some(io) => match io.get_ref() {
            Some(inner) => Some(inner),
            None => io.source(),
        },
        None => error.source(),
    }
}

/// The chain's messages joined with ": ", each once (an `io::Error` shows the message of the error
/// it wraps, which would otherwise repeat).
fn chain_text(error: &(dyn StdError + 'static)) -> String {
    let mut text = String::new();
    let mut last = String::new();
    let mut next = Some(error);
    while let Some(error) = next {
        let message = error.to_string();
        if message != last && !text.ends_with(&message) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&message);
        }
        last = message;
        next = next_in_chain(error);
    }
    text
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpstreamError::Timeout => f.write_str("the backend did not answer within the timeout"),
            UpstreamError::Connect(detail) => {
                write!(f, "could not connect to the backend: {detail}")
            }
            UpstreamError::Tls { cause, detail } => {
                write!(f, "TLS with the backend failed ({cause}): {detail}")
            }
            UpstreamError::TooLarge => write!(
                f,
                "the backend's answer is over the {MAX_PAYLOAD}-byte payload limit"
            ),
            UpstreamError::Protocol(detail) => {
                write!(f, "the exchange with the backend failed: {detail}")
            }
        }
    }
}

impl StdError for UpstreamError {}

#[cfg(test)]
mod tests;
