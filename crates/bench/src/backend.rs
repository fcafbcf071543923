//! The HTTPS backend of `certgate-bench invoke`, run as its own process (`certgate-bench backend
//! DIR`) so that its CPU is counted apart from the proxy's and the load generator's: hyper's
//! HTTP/1.1 server (keep-alive) behind tokio-rustls, demanding a client certificate and accepting
//! exactly the one in `DIR/client.pem`, and answering every request with the same 100-byte JSON.
//!
//! Not `certgate_proxy::testing::Backend`: that one echoes each request as JSON (its headers and
//! the client certificate's PEM), so its answer's size and cost would differ by contender (each
//! proxy adds its own headers), and its work would weigh on the very figures it is the baseline
//! of. A fixed answer makes the backend the cheapest part of every request.

use std::convert::Infallible;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// The one crypto provider of the bench's TLS, client and server: aws-lc-rs, as certgate's.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The backend's files in the work directory, written by [`write_certificates`].
pub const CA_FILE: &str = "backend-ca.pem";
const CERT_FILE: &str = "backend.pem";
const KEY_FILE: &str = "backend.key";
/// The client certificate the backend accepts (and the only one), and its key.
pub const CLIENT_CERT_FILE: &str = "client.pem";
pub const CLIENT_KEY_FILE: &str = "client.key";

/// What the backend answers: 100 bytes of JSON.
fn body() -> Bytes {
    let mut text = String::from(r#"{"message":"hello from the benchmark backend","padding":""#);
    while text.len() < 100 - 2 {
        text.push('x');
    }
    text.push_str("\"}");
    Bytes::from(text)
}

/// A CA (ECDSA P-256) and a certificate it signs for `localhost` and `127.0.0.1`, written to
/// `dir` as PEM: the CA for the clients (`--backend-ca-file`, `proxy_ssl_trusted_certificate`),
/// the certificate and its key for the backend.
pub fn write_certificates(dir: &Path) -> Result<(), String> {
    let fail = |e: rcgen::Error| format!("backend certificates: {e}");
    let ca_key = KeyPair::generate().map_err(fail)?;
    let mut ca = CertificateParams::default();
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name
        .push(DnType::CommonName, "certgate-bench backend CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).map_err(fail)?;
    let key = KeyPair::generate().map_err(fail)?;
    let mut params =
        CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).map_err(fail)?;
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = params
        .signed_by(&key, &Issuer::new(ca, ca_key))
        .map_err(fail)?;
    for (name, text) in [
        (CA_FILE, ca_cert.pem()),
        (CERT_FILE, cert.pem()),
        (KEY_FILE, key.serialize_pem()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// The certificates of a PEM file.
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no certificate", path.display()));
    }
    Ok(certs)
}

pub fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn server_config(dir: &Path) -> Result<Arc<ServerConfig>, String> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(&dir.join(CLIENT_CERT_FILE))? {
        roots.add(cert).map_err(|e| format!("client CA: {e}"))?;
    }
    // webpki takes the self-signed client certificate as its own trust anchor: exactly that
    // certificate is accepted, as a backend pinning API Gateway's certificate does.
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| format!("client verifier: {e}"))?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            certificates(&dir.join(CERT_FILE))?,
            private_key(&dir.join(KEY_FILE))?,
        )
        .map_err(|e| format!("server certificate: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// `certgate-bench backend DIR`: serves on a free loopback port until killed; prints its address
/// first. Accepted connections and refused handshakes are logged on stderr, so that a proxy
/// opening connections anew, or presenting no certificate (or another one), shows in the
/// backend's log and not only in the figures.
pub fn main(args: &[String]) -> Result<(), String> {
    let dir = Path::new(args.first().ok_or("usage: certgate-bench backend DIR")?);
    let acceptor = TlsAcceptor::from(server_config(dir)?);
    let body = body();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let mut out = std::io::stdout();
        let _ = writeln!(out, "backend listening on https://{addr}");
        let _ = out.flush();
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            // One line per connection (never per request): the bench counts them per phase, to
            // show that the proxies keep theirs open.
            eprintln!("backend: accepted a connection");
            let (acceptor, body) = (acceptor.clone(), body.clone());
            tokio::spawn(async move {
                let tls = match acceptor.accept(tcp).await {
                    Ok(tls) => tls,
                    Err(e) => {
                        eprintln!("backend: handshake refused: {e}");
                        return;
                    }
                };
                let service = service_fn(move |_request| {
                    let body = body.clone();
                    async move {
                        let mut response = hyper::Response::new(Full::new(body));
                        response.headers_mut().insert(
                            http::header::CONTENT_TYPE,
                            http::HeaderValue::from_static("application/json"),
                        );
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    })
}
