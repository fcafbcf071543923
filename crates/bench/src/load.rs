//! A deliberately small HTTP/1.1 load generator: keep-alive connections, each sending one request
//! and reading its whole answer before the next, on a single-threaded runtime. It parses only what
//! it needs (status and Content-Length), so it steals as little CPU as possible from the server it
//! measures on the same machine.
//!
//! It speaks plain HTTP or HTTPS with a client certificate (rustls), so that `certgate-bench
//! invoke` drives a backend directly and the proxies in front of it with the same client. Every
//! connection is opened (and its TLS handshake done) before the phase's clock starts: a phase
//! measures requests on open connections, as the proxies' own pools to the backend are, and not
//! the handshakes, which would otherwise fall on the direct baseline only.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Barrier;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// Builds the raw bytes of the `n`-th request of a phase.
pub type RequestFn = Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>;

/// When a phase ends: after a time, or after a number of requests over all clients.
#[derive(Clone, Copy, Debug)]
pub enum Until {
    Elapsed(Duration),
    Requests(u64),
}

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub ok: u64,
    pub failed: u64,
    pub elapsed: Duration,
    /// Latencies of successful requests, sorted, in microseconds.
    pub latencies_us: Vec<u32>,
    /// The status and body start of the first failure, to show what went wrong.
    pub first_failure: Option<String>,
}

impl Stats {
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Adds another run's counts and latencies to these.
    pub fn merge(&mut self, other: Stats) {
        self.ok += other.ok;
        self.failed += other.failed;
        self.elapsed += other.elapsed;
        self.latencies_us.extend(other.latencies_us);
        self.latencies_us.sort_unstable();
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
    }

    /// The `q`-quantile latency in milliseconds (0 when nothing succeeded).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        f64::from(self.latencies_us[i]) / 1000.0
    }
}

/// A GET request with the given path and extra header lines (each ending in CRLF).
pub fn get(path: &str, headers: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: bench\r\n{headers}\r\n").into_bytes()
}

/// A request with a JSON body.
pub fn with_body(method: &str, path: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: bench\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Where a phase sends its requests: a plain HTTP server, or an HTTPS one.
#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub tls: Option<Tls>,
}

/// How to reach an HTTPS server: the client's configuration (roots, client certificate) and the
/// name its certificate must carry.
#[derive(Clone)]
pub struct Tls {
    pub config: Arc<rustls::ClientConfig>,
    pub name: ServerName<'static>,
}

impl From<SocketAddr> for Target {
    fn from(addr: SocketAddr) -> Target {
        Target { addr, tls: None }
    }
}

/// One keep-alive connection, plain or TLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Target {
    async fn connect(&self) -> std::io::Result<Conn> {
        let tcp = TcpStream::connect(self.addr).await?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => Ok(Conn::Plain(tcp)),
            Some(tls) => {
                let connector = TlsConnector::from(tls.config.clone());
                let stream = connector.connect(tls.name.clone(), tcp).await?;
                Ok(Conn::Tls(Box::new(stream)))
            }
        }
    }
}

/// Runs `clients` connections against `target` until `until`, and merges what they saw.
pub async fn run(
    target: impl Into<Target>,
    clients: usize,
    until: Until,
    request: RequestFn,
) -> Stats {
    let target = Arc::new(target.into());
    let issued = Arc::new(AtomicU64::new(0));
    let limit = match until {
        Until::Requests(n) => n,
        Until::Elapsed(_) => u64::MAX,
    };
    // The clients connect, then all start together with this task, which starts the clock.
    let ready = Arc::new(Barrier::new(clients + 1));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (issued, request) = (issued.clone(), request.clone());
        let (target, ready) = (target.clone(), ready.clone());
        tasks.spawn(async move {
            let conn = target.connect().await;
            ready.wait().await;
            let deadline = match until {
                Until::Elapsed(d) => Some(Instant::now() + d),
                Until::Requests(_) => None,
            };
            client(&target, conn, deadline, limit, &issued, &*request).await
        });
    }
    ready.wait().await;
    let started = Instant::now();
    let mut total = Stats::default();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(s) = joined {
            total.ok += s.ok;
            total.failed += s.failed;
            total.latencies_us.extend(s.latencies_us);
            if total.first_failure.is_none() {
                total.first_failure = s.first_failure;
            }
        }
    }
    total.elapsed = started.elapsed();
    total.latencies_us.sort_unstable();
    total
}

async fn client(
    target: &Target,
    first: std::io::Result<Conn>,
    deadline: Option<Instant>,
    limit: u64,
    issued: &AtomicU64,
    request: &(dyn Fn(u64) -> Vec<u8> + Send + Sync),
) -> Stats {
    let mut stats = Stats::default();
    let mut conn: Option<Conn> = match first {
        Ok(c) => Some(c),
        Err(e) => {
            // Counted as a failure; the first request connects again.
            stats.failed += 1;
            stats.first_failure = Some(format!("connect: {e}"));
            None
        }
    };
    let mut buffer = Vec::with_capacity(64 * 1024);
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let n = issued.fetch_add(1, Ordering::Relaxed);
        if n >= limit {
            break;
        }
        let bytes = request(n);
        let sent = Instant::now();
        let stream = match conn.as_mut() {
            Some(s) => s,
            None => match target.connect().await {
                Ok(s) => conn.insert(s),
                Err(e) => {
                    stats.failed += 1;
                    stats.first_failure.get_or_insert(format!("connect: {e}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let exchanged = match stream {
            Conn::Plain(s) => exchange(s, &bytes, &mut buffer).await,
            Conn::Tls(s) => exchange(&mut **s, &bytes, &mut buffer).await,
        };
        match exchanged {
            Ok((status, keep, _)) => {
                if (200..300).contains(&status) {
                    stats.ok += 1;
                    let us = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                    stats.latencies_us.push(us);
                } else {
                    stats.failed += 1;
                    stats.first_failure.get_or_insert_with(|| {
                        String::from_utf8_lossy(&buffer[..buffer.len().min(300)]).into_owned()
                    });
                }
                if !keep {
                    conn = None;
                }
            }
            Err(e) => {
                stats.failed += 1;
                stats.first_failure.get_or_insert(format!("i/o: {e}"));
                conn = None;
            }
        }
    }
    stats
}

/// Sends one request on a new connection and returns the answer's status and body: for setting up
/// what a phase then measures.
pub async fn call(target: &Target, request: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let mut buffer = Vec::new();
    let conn = target
        .connect()
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (status, _, body) = match conn {
        Conn::Plain(mut s) => exchange(&mut s, request, &mut buffer).await,
        Conn::Tls(mut s) => exchange(&mut *s, request, &mut buffer).await,
    }
    .map_err(|e| format!("i/o: {e}"))?;
    Ok((status, buffer.split_off(body)))
}

/// Sends one request and reads its answer into `buffer`; returns the status, whether the
/// connection may be reused and where the body starts.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    request: &[u8],
    buffer: &mut Vec<u8>,
) -> std::io::Result<(u16, bool, usize)> {
    stream.write_all(request).await?;
    buffer.clear();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(i) = find(buffer, b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = std::str::from_utf8(&buffer[..head_end])
        .map_err(|_| std::io::Error::other("response head is not UTF-8"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let mut length = 0usize;
    let mut keep = true;
    for line in head.split("\r\n").skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("connection")
                && value.trim().eq_ignore_ascii_case("close")
            {
                keep = false;
            }
        }
    }
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Ok((status, keep, head_end))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
