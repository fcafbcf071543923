//! A real HTTPS backend for tests and benchmarks: it has its own CA and a server certificate for
//! `localhost` and `127.0.0.1`, it can demand a client certificate (and accept exactly the one it
//! is told to, as a backend pinning certgate's self-signed client certificate does), it offers
//! HTTP/2 by ALPN on request, and it records what it was sent, client certificate included.
//!
//! What it answers, by path:
//! - `/status/{code}`: that status, with the echo below as body;
//! - `/delay/{ms}`: the echo, after waiting that long;
//! - `/headers`: the echo, with headers that API Gateway's response rules remap or drop
//!   (`Connection`, `Content-MD5`, `Max-Forwards`, `User-Agent`, `WWW-Authenticate`,
//!   `Authorization`, `Server`, `Date`) and `X-Custom: 1`, which it passes through;
//! - `/big/{bytes}`: that many bytes of `x`;
//! - anything else: 200 with a JSON echo of the request, `{"method", "path", "query", "headers":
//!   {name: [values]}, "body", "clientCertificate": PEM or null, "version"}`.

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::tls::provider;

/// How many requests [`Backend::seen`] keeps (the most recent), so that a benchmark run does not
/// grow without bound.
const SEEN_KEPT: usize = 4096;

/// How the backend serves.
#[derive(Debug, Clone)]
pub struct BackendOptions {
    /// Demand a client certificate and accept the ones that chain to (or are) a certificate of this
    /// PEM, typically the certgate-generated client certificate itself, which is self-signed. None:
    /// do not ask for one.
    pub client_ca_pem: Option<String>,
    /// Offer `h2` by ALPN as well as `http/1.1` (and accept HTTP/2 on plain HTTP).
    pub http2: bool,
    /// false: plain HTTP.
    pub tls: bool,
}

impl Default for BackendOptions {
    /// HTTPS, HTTP/1.1 only, no client certificate asked for.
    fn default() -> Self {
        BackendOptions {
            client_ca_pem: None,
            http2: false,
            tls: true,
        }
    }
}

/// The backend's own server certificate, for the tests of how backends' certificates are checked.
#[derive(Debug, Clone)]
pub struct ServerCertificate {
    /// Its subject alternative names: host names, or IP addresses written as such.
    pub names: Vec<String>,
    /// Valid in 2000 only, instead of from 1975 to 4096.
    pub expired: bool,
}

impl Default for ServerCertificate {
    fn default() -> Self {
        ServerCertificate {
            names: vec!["localhost".into(), "127.0.0.1".into()],
            expired: false,
        }
    }
}

/// One request as the backend received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: http::Method,
    pub path_and_query: String,
    pub version: http::Version,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The end-entity certificate the client presented on this connection.
    pub client_certificate_der: Option<Vec<u8>>,
    /// Which connection it came on (1, 2, … in the order they were accepted), to tell reused
    /// connections from new ones.
    pub connection: u64,
}

/// A running backend; it stops when dropped.
pub struct Backend {
    addr: SocketAddr,
    ca_pem: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

struct Shared {
    tls: Option<TlsState>,
    http2: bool,
    seen: Mutex<VecDeque<Seen>>,
    recording: AtomicBool,
    accepted: AtomicU64,
    open: AtomicU64,
}

struct TlsState {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    /// Read at every accept, so that a new client CA applies to new handshakes.
    config: RwLock<Arc<ServerConfig>>,
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("addr", &self.addr)
            .field("tls", &self.shared.tls.is_some())
            .finish()
    }
}

impl Backend {
    /// Starts a backend on 127.0.0.1 at a free port, with the default server certificate.
    pub async fn start(options: BackendOptions) -> Result<Backend, String> {
        Backend::start_with(
            options,
            ServerCertificate::default(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await
    }

    /// Starts a backend with this server certificate, listening on `bind`.
    pub async fn start_with(
        options: BackendOptions,
        certificate: ServerCertificate,
        bind: SocketAddr,
    ) -> Result<Backend, String> {
        let (ca_pem, chain, key) = make_certificates(&certificate)?;
        let tls = if options.tls {
            let config = server_config(
                &chain,
                &key,
                options.client_ca_pem.as_deref(),
                options.http2,
            )?;
            Some(TlsState {
                chain,
                key,
                config: RwLock::new(config),
            })
        } else {
            None
        };
        let listener = TcpListener::bind(bind)
            .await
            .map_err(|e| format!("test backend: bind {bind}: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("test backend: {e}"))?;
        let shared = Arc::new(Shared {
            tls,
            http2: options.http2,
            seen: Mutex::new(VecDeque::new()),
            recording: AtomicBool::new(true),
            accepted: AtomicU64::new(0),
            open: AtomicU64::new(0),
        });
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(Backend {
            addr,
            ca_pem,
            shared,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://localhost:PORT` (`http://` for a plain backend), without a trailing slash.
    pub fn url(&self) -> String {
        let scheme = if self.shared.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://localhost:{}", self.addr.port())
    }

    /// The PEM of the CA that signed the server certificate, for `--backend-ca-file`.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The requests received, oldest first (the most recent few thousand).
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.shared.seen).iter().cloned().collect()
    }

    /// Forgets the requests seen so far.
    pub fn clear_seen(&self) {
        lock(&self.shared.seen).clear();
    }

    /// Whether to record requests at all (a benchmark turns it off).
    pub fn set_recording(&self, on: bool) {
        self.shared.recording.store(on, Ordering::Relaxed);
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.accepted.load(Ordering::Relaxed)
    }

    /// How many connections are open now.
    pub fn open_connections(&self) -> u64 {
        self.shared.open.load(Ordering::Relaxed)
    }

    /// Changes which client certificates are accepted (None: stop asking for one). Handshakes from
    /// now on use it; connections already open keep the certificate they were accepted with.
    pub fn set_client_ca(&self, pem: Option<&str>) -> Result<(), String> {
        let Some(tls) = &self.shared.tls else {
            return Err("test backend: a plain HTTP backend asks for no certificate".into());
        };
        let config = server_config(&tls.chain, &tls.key, pem, self.shared.http2)?;
        *tls.config.write().unwrap_or_else(|p| p.into_inner()) = config;
        Ok(())
    }
}

/// Runs a backend until the process ends, for a benchmark's own binary: `ready` is called once it
/// listens (to print its address, write its CA for the proxy under test…). Requests are not
/// recorded.
pub async fn serve_forever(
    options: BackendOptions,
    bind: SocketAddr,
    ready: impl FnOnce(&Backend),
) -> Result<(), String> {
    let backend = Backend::start_with(options, ServerCertificate::default(), bind).await?;
    backend.set_recording(false);
    ready(&backend);
    std::future::pending::<()>().await;
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// A test CA (ECDSA P-256) and a server certificate signed by it.
fn make_certificates(
    certificate: &ServerCertificate,
) -> Result<(String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let fail = |e: rcgen::Error| format!("test backend: certificates: {e}");
    let ca_key = KeyPair::generate().map_err(fail)?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "certgate test backend CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(fail)?;

    let server_key = KeyPair::generate().map_err(fail)?;
    let mut params = CertificateParams::new(certificate.names.clone()).map_err(fail)?;
    params.distinguished_name = DistinguishedName::new();
    let common_name = certificate.names.first().map_or("test backend", |n| n);
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    if certificate.expired {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }
    let issuer = Issuer::new(ca_params, ca_key);
    let server_cert = params.signed_by(&server_key, &issuer).map_err(fail)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    Ok((ca_cert.pem(), vec![server_cert.der().clone()], key))
}

fn server_config(
    chain: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
    client_ca_pem: Option<&str>,
    http2: bool,
) -> Result<Arc<ServerConfig>, String> {
    let builder = ServerConfig::builder_with_provider(provider().clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("test backend: {e}"))?;
    let builder = match client_ca_pem {
        None => builder.with_no_client_auth(),
        Some(pem) => builder.with_client_cert_verifier(client_verifier(pem)?),
    };
    let mut config = builder
        .with_single_cert(chain.to_vec(), key.clone_key())
        .map_err(|e| format!("test backend: server certificate: {e}"))?;
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(Arc::new(config))
}

/// webpki accepts a self-signed end-entity certificate as its own trust anchor (an anchor is only
/// a name and a key; with no extended key usage the certificate is good for client auth), so
/// certgate's client certificates need no verifier of their own.
fn client_verifier(
    pem: &str,
) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, String> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| format!("test backend: client CA PEM: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("test backend: client CA: {e}"))?;
    }
    if roots.is_empty() {
        return Err("test backend: the client CA PEM holds no certificate".into());
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider().clone())
        .build()
        .map_err(|e| format!("test backend: client verifier: {e}"))
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(_) => {
                // Out of descriptors, most likely: wait for some to be freed.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let id = shared.accepted.fetch_add(1, Ordering::Relaxed) + 1;
        tokio::spawn(connection(shared.clone(), tcp, id));
    }
}

/// Counts a connection as open while it lives.
struct Open(Arc<Shared>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn connection(shared: Arc<Shared>, tcp: TcpStream, id: u64) {
    shared.open.fetch_add(1, Ordering::Relaxed);
    let _open = Open(shared.clone());
    let Some(tls) = &shared.tls else {
        serve(shared.clone(), TokioIo::new(tcp), None, id).await;
        return;
    };
    let config = tls.config.read().unwrap_or_else(|p| p.into_inner()).clone();
    match TlsAcceptor::from(config).accept(tcp).into_fallible().await {
        Ok(stream) => {
            let certificate = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|cert| Arc::new(cert.as_ref().to_vec()));
            serve(shared.clone(), TokioIo::new(stream), certificate, id).await;
        }
        Err((_, tcp)) => linger(tcp).await,
    }
}

/// After a refused handshake the alert has been written; closing at once, with the client's first
/// request unread, would make the kernel answer with a reset that can overtake the alert. So the
/// write side is closed and what the client still sends is read and dropped, for a moment.
async fn linger(mut tcp: TcpStream) {
    let _ = tcp.shutdown().await;
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while matches!(tcp.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}

async fn serve<I>(shared: Arc<Shared>, io: I, certificate: Option<Arc<Vec<u8>>>, id: u64)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    if !shared.http2 {
        builder = builder.http1_only();
    }
    let service = service_fn(move |request| {
        let shared = shared.clone();
        let certificate = certificate.clone();
        async move { Ok::<_, Infallible>(answer(&shared, certificate, id, request).await) }
    });
    let _ = builder.serve_connection(io, service).await;
}

async fn answer(
    shared: &Shared,
    certificate: Option<Arc<Vec<u8>>>,
    connection: u64,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let path = parts.uri.path().to_owned();
    let echo = echo(&parts, &body, certificate.as_deref().map(Vec::as_slice));
    if shared.recording.load(Ordering::Relaxed) {
        let seen = Seen {
            method: parts.method,
            path_and_query: parts
                .uri
                .path_and_query()
                .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned()),
            version: parts.version,
            headers: parts.headers,
            body,
            client_certificate_der: certificate.map(|c| c.as_ref().clone()),
            connection,
        };
        let mut kept = lock(&shared.seen);
        if kept.len() == SEEN_KEPT {
            kept.pop_front();
        }
        kept.push_back(seen);
    }

    let mut segments = path.trim_start_matches('/').splitn(2, '/');
    let first = segments.next().unwrap_or("");
    let argument = segments.next().unwrap_or("");
    match first {
        "status" => {
            let status = argument
                .parse::<u16>()
                .ok()
                .and_then(|code| StatusCode::from_u16(code).ok())
                .unwrap_or(StatusCode::BAD_REQUEST);
            json(status, echo)
        }
        "delay" => {
            let ms = argument.parse::<u64>().unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            json(StatusCode::OK, echo)
        }
        "headers" => {
            let mut response = json(StatusCode::OK, echo);
            for (name, value) in [
                ("connection", "keep-alive"),
                ("content-md5", "Q2hlY2sgSW50ZWdyaXR5IQ=="),
                ("max-forwards", "10"),
                ("user-agent", "test-backend/1"),
                ("www-authenticate", "Basic realm=\"test-backend\""),
                ("authorization", "Bearer test-backend"),
                ("server", "test-backend"),
                ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
                ("x-custom", "1"),
            ] {
                response.headers_mut().insert(
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                );
            }
            response
        }
        "big" => {
            let size = argument.parse::<usize>().unwrap_or(0);
            let mut response = Response::new(Full::new(Bytes::from(vec![b'x'; size])));
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            response
        }
        _ => json(StatusCode::OK, echo),
    }
}

fn echo(parts: &http::request::Parts, body: &[u8], certificate: Option<&[u8]>) -> Vec<u8> {
    let mut headers: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (name, value) in &parts.headers {
        headers
            .entry(name.as_str())
            .or_default()
            .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
    }
    let value = serde_json::json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "headers": headers,
        "body": String::from_utf8_lossy(body),
        "clientCertificate": certificate.map(pem),
        "version": format!("{:?}", parts.version),
    });
    serde_json::to_vec(&value).unwrap_or_default()
}

fn json(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A DER certificate as PEM, 64 columns.
fn pem(der: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}
