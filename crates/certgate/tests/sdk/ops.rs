//! certgate's own endpoints, in process: health (including a store that does not answer), metrics
//! after real SDK calls, and the OpenAPI document. These are not AWS operations, so they are read
//! with a plain HTTP/1.1 GET.

use std::sync::Arc;

use async_trait::async_trait;
use certgate_core::{Certificate, CertificateId, Scope, SecretBytes, Tags};
use certgate_store::{
    CertificateStore, DynStore, KeyStore, NewCertificate, Resource, ScanCursor, ScopedCertificate,
    SettingStore, Store, StoreError, StoredCertificate, StoredKey, TagChange, TagStore,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// Status, headers (lowercased names) and body of a GET.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8(raw).expect("utf-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, head.to_ascii_lowercase(), body.to_string())
}

fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_the_store_engine_and_no_key_pool() {
    let server = Server::start().await;
    let (status, head, body) = http_get(server.addr, "/_certgate/health").await;
    assert_eq!(status, 200, "{body}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let report: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(report["status"], "ok");
    assert_eq!(report["version"], env!("CARGO_PKG_VERSION"));
    let engine = match std::env::var("CERTGATE_TEST_STORE").as_deref() {
        Ok("postgres") => "postgres",
        _ => "sqlite",
    };
    assert_eq!(report["store"]["engine"], engine);
    assert_eq!(report["store"]["ok"], true);
    assert!(report["key_pool"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_sdk_calls_and_certificates_by_expiry() {
    let server = Server::start().await;
    let client = server.client();
    let id = generate(&client).await;
    get(&client, &id).await;
    server.clock.advance(360 * 86_400);

    let (status, head, body) = http_get(server.addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    let count = |name: &str| sample(&body, name);
    assert_eq!(
        count(r#"certgate_requests_total{operation="GenerateClientCertificate",status="201"}"#),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        count(r#"certgate_requests_total{operation="GetClientCertificate",status="200"}"#),
        Some(1.0)
    );
    assert_eq!(
        count("certgate_key_generation_duration_seconds_count"),
        Some(1.0)
    );
    // The manual clock moved 360 days: the certificate now has 5 days left.
    assert_eq!(
        count(r#"certgate_certificates{expires_in="7d"}"#),
        Some(1.0)
    );
    assert_eq!(
        count(r#"certgate_certificates{expires_in="365d"}"#),
        Some(0.0)
    );
    server.clock.advance(10 * 86_400);
    let (_, _, body) = http_get(server.addr, "/metrics").await;
    assert_eq!(
        sample(&body, r#"certgate_certificates{expires_in="expired"}"#),
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_is_served() {
    let server = Server::start().await;
    let (status, _, body) = http_get(server.addr, "/_certgate/openapi.json").await;
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let paths: std::collections::BTreeSet<&str> = certgate_api::ROUTES
        .iter()
        .map(|r| r.uri.split('?').next().unwrap_or(r.uri))
        .collect();
    assert_eq!(doc["paths"].as_object().map(|p| p.len()), Some(paths.len()));
}

/// A store that is down: settings and scans fail as an unreachable database does.
struct Down(DynStore);

const CAUSE: &str = "connection refused to db.internal:5432 as admin";

crate::delegate_rest_apis!(Down);

impl Store for Down {
    fn engine(&self) -> &'static str {
        "down"
    }
}

#[async_trait]
impl CertificateStore for Down {
    async fn insert(&self, s: &Scope, n: &NewCertificate, q: u32) -> certgate_store::Result<()> {
        self.0.insert(s, n, q).await
    }
    async fn get(
        &self,
        s: &Scope,
        id: &CertificateId,
    ) -> certgate_store::Result<Option<Certificate>> {
        self.0.get(s, id).await
    }
    async fn list(
        &self,
        s: &Scope,
        a: Option<&CertificateId>,
        l: u32,
    ) -> certgate_store::Result<Vec<Certificate>> {
        self.0.list(s, a, l).await
    }
    async fn count(&self, s: &Scope) -> certgate_store::Result<u64> {
        self.0.count(s).await
    }
    async fn set_description(
        &self,
        s: &Scope,
        id: &CertificateId,
        d: Option<&str>,
    ) -> certgate_store::Result<Certificate> {
        self.0.set_description(s, id, d).await
    }
    async fn delete(&self, s: &Scope, id: &CertificateId) -> certgate_store::Result<()> {
        self.0.delete(s, id).await
    }
    async fn scan_certificates(
        &self,
        _: Option<&ScanCursor>,
        _: u32,
    ) -> certgate_store::Result<Vec<ScopedCertificate>> {
        Err(StoreError::Unavailable(CAUSE.into()))
    }
}

#[async_trait]
impl KeyStore for Down {
    async fn private_key(
        &self,
        s: &Scope,
        id: &CertificateId,
    ) -> certgate_store::Result<Option<SecretBytes>> {
        self.0.private_key(s, id).await
    }
    async fn replace_private_key(
        &self,
        s: &Scope,
        id: &CertificateId,
        e: &SecretBytes,
        n: &SecretBytes,
    ) -> certgate_store::Result<bool> {
        self.0.replace_private_key(s, id, e, n).await
    }
    async fn scan_keys(
        &self,
        _: Option<&ScanCursor>,
        _: u32,
    ) -> certgate_store::Result<Vec<StoredKey>> {
        Err(StoreError::Unavailable(CAUSE.into()))
    }
    async fn scan_records(
        &self,
        _: Option<&ScanCursor>,
        _: u32,
    ) -> certgate_store::Result<Vec<StoredCertificate>> {
        Err(StoreError::Unavailable(CAUSE.into()))
    }
    async fn import(&self, r: &StoredCertificate) -> certgate_store::Result<()> {
        self.0.import(r).await
    }
}

#[async_trait]
impl TagStore for Down {
    async fn tags(&self, s: &Scope, r: Resource<'_>) -> certgate_store::Result<Option<Tags>> {
        self.0.tags(s, r).await
    }
    async fn change_tags(
        &self,
        s: &Scope,
        r: Resource<'_>,
        c: TagChange,
    ) -> certgate_store::Result<Tags> {
        self.0.change_tags(s, r, c).await
    }
}

#[async_trait]
impl SettingStore for Down {
    async fn setting(&self, _: &str) -> certgate_store::Result<Option<Vec<u8>>> {
        Err(StoreError::Unavailable(CAUSE.into()))
    }
    async fn init_setting(&self, n: &str, v: &[u8]) -> certgate_store::Result<Vec<u8>> {
        self.0.init_setting(n, v).await
    }
    async fn put_setting(&self, n: &str, v: &[u8]) -> certgate_store::Result<()> {
        self.0.put_setting(n, v).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_does_not_answer_makes_health_503_without_its_cause() {
    let server = Server::start_with(common::Options {
        wrap_store: Some(|inner| Arc::new(Down(inner))),
        ..common::Options::default()
    })
    .await;
    let (status, _, body) = http_get(server.addr, "/_certgate/health").await;
    assert_eq!(status, 503, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(report["status"], "unavailable");
    assert_eq!(report["store"]["engine"], "down");
    assert_eq!(report["store"]["ok"], false);
    assert!(!body.contains("db.internal"), "the cause leaked: {body}");

    let (status, _, body) = http_get(server.addr, "/metrics").await;
    assert_eq!(status, 503, "{body}");
    assert!(!body.contains("db.internal"), "the cause leaked: {body}");
}
