//! The accept loop: connections are served by hyper directly (not `axum::serve`) because the limits
//! need hyper's own knobs (head buffer size, head read timeout, HTTP/2 streams), a gate in front of
//! the router (connections), the request's upload and in-flight places handed to the handler, and
//! an idle timer per connection, which hyper has for HTTP/1 only. A stop ends the loop, tells every
//! connection to close once its requests are answered, and waits for them within the grace period
//! (hyper-util's `GracefulShutdown` cannot be combined with the idle timer, which must call the
//! connection's own `graceful_shutdown`).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use certgate_wire::AwsError;
use futures_util::FutureExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::OwnedSemaphorePermit;
use tower_service::Service as _;

use crate::app::App;
use crate::limits::{
    BodyLimits, Gates, Limits, RequestGates, H2_MAX_STREAMS, UPLOADS_PER_CONNECTION,
};
use crate::server::refuse;

/// A head that HTTP/1.1 says must be refused (RFC 9112): no Host, or more than one (HTTP/2 names
/// its authority in the request line, so there only a second Host is wrong); a transfer coding
/// other than `chunked` alone, which hyper would pass on still encoded.
fn malformed_head<B>(request: &hyper::Request<B>) -> Option<AwsError> {
    let hosts = request.headers().get_all(http::header::HOST).iter().count();
    let needs_host = request.version() == http::Version::HTTP_11;
    if hosts > 1 || (needs_host && hosts == 0) {
        return Some(AwsError::bad_request(
            "The request must carry exactly one Host header",
        ));
    }
    let mut codings = request
        .headers()
        .get_all(http::header::TRANSFER_ENCODING)
        .iter();
    match (codings.next(), codings.next()) {
        (None, _) => None,
        (Some(one), None)
            if one
                .to_str()
                .is_ok_and(|v| v.trim().eq_ignore_ascii_case("chunked")) =>
        {
            None
        }
        _ => Some(AwsError::bad_request(
            "Transfer-Encoding other than chunked is not supported",
        )),
    }
}

fn builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .max_concurrent_streams(H2_MAX_STREAMS);
    builder
}

/// Whether an accept error is about one connection (go on at once) rather than the listener or the
/// process (such as too many open files: wait a little, or the loop would spin).
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

/// A connection's socket with its place under `--max-connections`. The place is given back before
/// the socket is shut down or closed, never after: a client that sees its connection end (EOF or
/// reset) can count on its place being free for the next connection it opens. Holding the permit
/// beside the connection instead would free it only once hyper had already sent the FIN.
struct Gated {
    // Declared before `io`: fields drop in order, so the place is freed before the socket closes
    // on paths where hyper never calls `poll_shutdown` (errors, a client that says nothing).
    permit: Option<OwnedSemaphorePermit>,
    io: TcpStream,
}

impl AsyncRead for Gated {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Gated {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        // hyper shuts the socket down once the connection is over: free the place first.
        this.permit = None;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

/// What a connection's task watches besides its connection: how many of its requests are open and
/// since when none is, which is what closes an idle HTTP/2 connection (hyper's own idle timeout,
/// the header-read timeout, covers HTTP/1 only).
struct Activity {
    open: std::sync::atomic::AtomicUsize,
    last: std::sync::Mutex<Instant>,
}

impl Activity {
    fn new() -> Self {
        Activity {
            open: std::sync::atomic::AtomicUsize::new(0),
            last: std::sync::Mutex::new(Instant::now()),
        }
    }

    fn last(&self) -> Instant {
        // A poisoned lock still holds a valid instant: a panic elsewhere must not stop the timer.
        *self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// When the connection is idle long enough to close, if no request opens before then.
    fn deadline(&self, idle: Duration) -> Instant {
        if self.open.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            Instant::now() + idle
        } else {
            self.last() + idle
        }
    }

    fn is_idle(&self, idle: Duration) -> bool {
        self.open.load(std::sync::atomic::Ordering::SeqCst) == 0 && self.last().elapsed() >= idle
    }
}

/// One open request of a connection, for [`Activity`]: counted while it lives, and its end
/// restarts the idle clock.
struct Open(Arc<Activity>);

impl Open {
    fn new(activity: &Arc<Activity>) -> Self {
        activity
            .open
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Open(activity.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        *self.0.last.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        self.0
            .open
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// How long a connection told to close (idle, or the server stopping) may take to say goodbye: an
/// HTTP/2 client that never answers the GOAWAY's ping would otherwise keep it open.
const GOODBYE: Duration = Duration::from_secs(2);

/// What every connection shares with the accept loop: the signal to stop, and a sender whose
/// clones, one per connection, all drop once every connection is over.
#[derive(Clone)]
struct Stop {
    signal: tokio::sync::watch::Receiver<bool>,
    _alive: tokio::sync::mpsc::Sender<()>,
}

/// One connection: gated by the connection limit, with the body limits and the request's upload
/// and in-flight places handed to the handler through the request's extensions.
#[allow(clippy::too_many_arguments)]
fn serve_connection(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    builder: &auto::Builder<TokioExecutor>,
    stop: &Stop,
    router: axum::Router,
    app: Arc<App>,
    gates: &Gates,
    limits: &Limits,
) {
    // Without TCP_NODELAY a small response can sit in the kernel for ~40 ms waiting for an ACK.
    if let Err(e) = stream.set_nodelay(true) {
        tracing::warn!(error = %e, "could not set TCP_NODELAY");
    }
    let permit: Option<OwnedSemaphorePermit> = gates.connections.clone().try_acquire_owned().ok();
    let over_limit = permit.is_none();
    let body_limits = BodyLimits {
        max_bytes: limits.max_body_bytes,
        read_timeout: limits.body_read_timeout,
    };
    let request_gates = RequestGates::new(
        gates,
        Arc::new(tokio::sync::Semaphore::new(UPLOADS_PER_CONNECTION)),
    );
    let idle = limits.header_read_timeout;
    let grace = limits.shutdown_grace;
    let activity = Arc::new(Activity::new());
    let counted = activity.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        let mut router = router.clone();
        let app = app.clone();
        let request_gates = request_gates.clone();
        let open = Open::new(&counted);
        async move {
            let _open = open;
            if over_limit {
                let error = AwsError::ServiceUnavailable(
                    "The server has too many open connections. Please retry later.".into(),
                );
                return Ok::<_, Infallible>(refuse(&app, &request, &error, true));
            }
            if let Some(error) = malformed_head(&request) {
                // The body, if any, is not read: the connection cannot carry another request.
                return Ok(refuse(&app, &request, &error, true));
            }
            // An invocation goes to the data plane from here, past the router: it needs none of
            // the router's extensions, and its future stays small and unboxed by axum.
            if let Some(target) = crate::invoke::Owned::from(request.headers(), request.uri()) {
                let door = crate::invoke::Door {
                    gates: request_gates,
                    read_timeout: body_limits.read_timeout,
                    peer: Some(peer.ip()),
                };
                let request = request.map(axum::body::Body::new);
                return Ok(Box::pin(crate::invoke::invoke(&app, target, request, door)).await);
            }
            // The handler takes an upload place while the body arrives and a place in flight only
            // once it has it, so a client that never sends its body holds no place meant for work.
            request.extensions_mut().insert(body_limits);
            request.extensions_mut().insert(request_gates);
            request.extensions_mut().insert(crate::limits::Peer(peer));
            let mut response = router.call(request).await?;
            // The body of a timed-out request was not read to its end, so the connection cannot
            // carry another request: say so, and hyper closes it after the answer.
            if response.status() == http::StatusCode::REQUEST_TIMEOUT {
                response.headers_mut().insert(
                    http::header::CONNECTION,
                    http::HeaderValue::from_static("close"),
                );
            }
            Ok(response)
        }
    });
    let builder = builder.clone();
    let Stop {
        signal: mut stop_signal,
        _alive: alive,
    } = stop.clone();
    let stream = Gated { permit, io: stream };
    tokio::spawn(async move {
        // Held until the connection is over: the accept loop's stop waits for every one to drop.
        let _alive = alive;
        // The auto builder first reads to tell HTTP/1 from HTTP/2, with no timeout of its own; a
        // client that connects and sends nothing is closed here, so a silent socket costs nothing.
        let mut probe = [0u8; 1];
        match tokio::time::timeout(idle, stream.io.peek(&mut probe)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return,
        }
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        tokio::pin!(connection);
        // Once the connection is told to close, the time it has left to finish.
        let mut closing: Option<Instant> = None;
        loop {
            if *stop_signal.borrow() && closing.is_none() {
                connection.as_mut().graceful_shutdown();
                let open = activity.open.load(std::sync::atomic::Ordering::SeqCst) > 0;
                closing = Some(Instant::now() + if open { grace + GOODBYE } else { GOODBYE });
            }
            let wake = closing.unwrap_or_else(|| activity.deadline(idle));
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    break;
                }
                changed = stop_signal.changed(), if closing.is_none() => {
                    if changed.is_err() {
                        // The accept loop is gone: nothing will ever say stop; close as if it had.
                        connection.as_mut().graceful_shutdown();
                        closing = Some(Instant::now() + GOODBYE);
                    }
                }
                () = tokio::time::sleep_until(wake.into()) => {
                    if closing.is_some() {
                        // Told to close and still not done: the client does not answer.
                        break;
                    }
                    if activity.is_idle(idle) {
                        connection.as_mut().graceful_shutdown();
                        closing = Some(Instant::now() + GOODBYE);
                    }
                }
            }
        }
    });
}

/// How long connections keep reading after the shutdown signal, before they are told to close once
/// idle.
const SETTLE: Duration = Duration::from_millis(250);

/// Accepts connections until `shutdown` completes, then drains them within the grace period.
async fn run(
    listener: TcpListener,
    router: axum::Router,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()> {
    let gates = Gates::new(&limits);
    let builder = builder(&limits);
    let (signal, stop_signal) = tokio::sync::watch::channel(false);
    let (alive, mut all_closed) = tokio::sync::mpsc::channel::<()>(1);
    let stop = Stop {
        signal: stop_signal,
        _alive: alive,
    };
    let serve = |stream, peer| {
        serve_connection(
            stream,
            peer,
            &builder,
            &stop,
            router.clone(),
            app.clone(),
            &gates,
            &limits,
        )
    };
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        match accepted {
            Ok((stream, peer)) => serve(stream, peer),
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    // Connections the kernel has already completed are taken rather than reset: their clients have
    // sent, or are sending, requests that count as in flight from their side.
    while let Some(Ok((stream, peer))) = listener.accept().now_or_never() {
        serve(stream, peer);
    }
    // No new connection from here on; the ones open finish their requests in flight and close.
    drop(listener);
    // The loop's own clone would otherwise keep `all_closed` open forever.
    drop(stop);
    // A connection whose request is still unread when the shutdown reaches it counts as idle and is
    // closed, which its client sees as a lost request. A moment lets requests already on the wire be
    // read first, so that they are finished instead.
    tokio::time::sleep(SETTLE).await;
    tracing::info!(
        grace_seconds = limits.shutdown_grace.as_secs_f64(),
        "stopped accepting; finishing requests in flight"
    );
    // Every connection holds a sender of `alive`: `recv` ends once the last one is over.
    let _ = signal.send(true);
    if tokio::time::timeout(limits.shutdown_grace, all_closed.recv())
        .await
        .is_err()
    {
        tracing::warn!("grace period over: closing the connections still open");
    }
    Ok(())
}

/// Serves `app` on `listener` with the default [`Limits`] until `shutdown` completes, then finishes
/// the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_limits(listener, app, shutdown, Limits::default()).await
}

/// Serves `app` on `listener` under `limits` until `shutdown` completes, then stops accepting and
/// finishes the requests in flight within `limits.shutdown_grace`.
pub async fn serve_with_limits(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()> {
    let router = crate::server::router(app.clone());
    run(listener, router, app, shutdown, limits).await
}
