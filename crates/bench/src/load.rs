//! A deliberately small HTTP/1.1 load generator: keep-alive connections, each sending one request
//! and reading its whole answer before the next, on a single-threaded runtime. It parses only what
//! it needs (status and Content-Length), so it steals as little CPU as possible from the server it
//! measures on the same machine.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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

/// Runs `clients` connections against `addr` until `until`, and merges what they saw.
pub async fn run(addr: SocketAddr, clients: usize, until: Until, request: RequestFn) -> Stats {
    let issued = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = match until {
        Until::Elapsed(d) => Some(started + d),
        Until::Requests(_) => None,
    };
    let limit = match until {
        Until::Requests(n) => n,
        Until::Elapsed(_) => u64::MAX,
    };
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (issued, request) = (issued.clone(), request.clone());
        tasks.spawn(async move { client(addr, deadline, limit, &issued, &*request).await });
    }
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
    addr: SocketAddr,
    deadline: Option<Instant>,
    limit: u64,
    issued: &AtomicU64,
    request: &(dyn Fn(u64) -> Vec<u8> + Send + Sync),
) -> Stats {
    let mut stats = Stats::default();
    let mut conn: Option<TcpStream> = None;
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
            None => match TcpStream::connect(addr).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    conn.insert(s)
                }
                Err(e) => {
                    stats.failed += 1;
                    stats.first_failure.get_or_insert(format!("connect: {e}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        match exchange(stream, &bytes, &mut buffer).await {
            Ok((status, keep)) => {
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

/// Sends one request and reads its answer into `buffer`; returns the status and whether the
/// connection may be reused.
async fn exchange(
    stream: &mut TcpStream,
    request: &[u8],
    buffer: &mut Vec<u8>,
) -> std::io::Result<(u16, bool)> {
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
    Ok((status, keep))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
