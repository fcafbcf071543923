//! The pooled backend clients against a real HTTPS backend, with client certificates made the way
//! certgate makes them (certgate_pki).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use certgate_pki::{issue, PrivateKey, Profile};
use certgate_proxy::testing::{Backend, BackendOptions, ServerCertificate};
use certgate_proxy::tls::{Identity, TlsCause, Trust};
use certgate_proxy::upstream::{Upstream, UpstreamError, Upstreams};
use certgate_proxy::{BackendRequest, MAX_PAYLOAD};
use http::{HeaderMap, Method, Version};

const TIMEOUT: Duration = Duration::from_secs(10);

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A client certificate as certgate issues it, and its PEM (what a backend would pin).
fn certificate(id: &str) -> (Arc<Identity>, String) {
    let key = PrivateKey::generate().unwrap();
    let created = now() - 60;
    let expires = created + certgate_core::VALIDITY_SECONDS;
    let profile = Profile {
        serial: u64::from(
            id.bytes()
                .fold(7u32, |a, b| a.wrapping_mul(31) ^ u32::from(b)),
        ),
        not_before: created,
        not_after: expires,
    };
    let pem = issue(&key, &profile).unwrap();
    let identity = Identity::new(id, &pem, key.pkcs8().clone(), expires).unwrap();
    (Arc::new(identity), pem)
}

fn get(url: &str) -> BackendRequest {
    request(Method::GET, url, Bytes::new())
}

fn request(method: Method, url: &str, body: Bytes) -> BackendRequest {
    BackendRequest {
        method,
        uri: url.parse().unwrap(),
        headers: HeaderMap::new(),
        body,
    }
}

async fn backend(client_ca_pem: Option<&str>) -> Backend {
    Backend::start(BackendOptions {
        client_ca_pem: client_ca_pem.map(str::to_owned),
        http2: false,
        tls: true,
    })
    .await
    .unwrap()
}

fn trusting(backend: &Backend) -> Trust {
    Trust::from_pem(backend.ca_pem()).unwrap()
}

fn tls_cause(result: Result<certgate_proxy::BackendResponse, UpstreamError>) -> TlsCause {
    match result {
        Err(UpstreamError::Tls { cause, .. }) => cause,
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_demanding_backend_refuses_a_client_without_a_certificate() {
    let (_, pem) = certificate("cert-a");
    let backend = backend(Some(&pem)).await;
    let upstream = Upstream::new(&trusting(&backend), None, false);
    let result = upstream.send(get(&backend.url()), TIMEOUT).await;
    let error = result.as_ref().unwrap_err().to_string();
    assert_eq!(tls_cause(result), TlsCause::CertificateRefused, "{error}");
    assert!(error.contains("certificate_refused"), "{error}");
    assert!(backend.seen().is_empty());
}

#[tokio::test]
async fn a_demanding_backend_accepts_the_right_certificate_and_sees_exactly_it() {
    let (identity, pem) = certificate("cert-a");
    let backend = backend(Some(&pem)).await;
    let upstream = Upstream::new(&trusting(&backend), Some(identity.clone()), false);
    let response = upstream
        .send(get(&format!("{}/pets?type=dog", backend.url())), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.version, Version::HTTP_11);
    let echo: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(echo["path"], "/pets");
    assert_eq!(echo["query"], "type=dog");
    assert_eq!(echo["clientCertificate"].as_str().unwrap(), pem);

    let seen = backend.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path_and_query, "/pets?type=dog");
    assert_eq!(
        seen[0].client_certificate_der.as_deref(),
        Some(identity.der())
    );
}

#[tokio::test]
async fn a_demanding_backend_refuses_another_certificate() {
    let (_, pinned) = certificate("cert-a");
    let (other, _) = certificate("cert-b");
    let backend = backend(Some(&pinned)).await;
    let upstream = Upstream::new(&trusting(&backend), Some(other), false);
    let result = upstream.send(get(&backend.url()), TIMEOUT).await;
    assert_eq!(tls_cause(result), TlsCause::CertificateRefused);
}

#[tokio::test]
async fn a_backend_that_does_not_ask_gets_no_certificate() {
    let (identity, _) = certificate("cert-a");
    let backend = backend(None).await;
    let upstream = Upstream::new(&trusting(&backend), Some(identity), false);
    let response = upstream.send(get(&backend.url()), TIMEOUT).await.unwrap();
    assert_eq!(response.status, 200);
    let echo: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert!(echo["clientCertificate"].is_null());
    assert_eq!(backend.seen()[0].client_certificate_der, None);
}

#[tokio::test]
async fn a_backend_of_an_unknown_ca_is_refused_unless_verification_is_skipped() {
    let backend = backend(None).await;
    let public_only = Trust::load(None).unwrap();
    let result = Upstream::new(&public_only, None, false)
        .send(get(&backend.url()), TIMEOUT)
        .await;
    assert_eq!(tls_cause(result), TlsCause::UnknownIssuer);

    let response = Upstream::new(&public_only, None, true)
        .send(get(&backend.url()), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn skipping_verification_still_checks_the_host_name() {
    let backend = Backend::start_with(
        BackendOptions::default(),
        ServerCertificate {
            names: vec!["localhost".into()],
            expired: false,
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let by_ip = format!("https://127.0.0.1:{}/", backend.addr().port());
    for insecure in [false, true] {
        let upstream = Upstream::new(&trusting(&backend), None, insecure);
        let result = upstream.send(get(&by_ip), TIMEOUT).await;
        assert_eq!(
            tls_cause(result),
            TlsCause::NameMismatch,
            "insecure {insecure}"
        );
        // The name it is for still passes.
        let response = upstream.send(get(&backend.url()), TIMEOUT).await.unwrap();
        assert_eq!(response.status, 200);
    }
}

#[tokio::test]
async fn skipping_verification_still_checks_the_dates() {
    let backend = Backend::start_with(
        BackendOptions::default(),
        ServerCertificate {
            expired: true,
            ..ServerCertificate::default()
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    for insecure in [false, true] {
        let upstream = Upstream::new(&trusting(&backend), None, insecure);
        let result = upstream.send(get(&backend.url()), TIMEOUT).await;
        assert_eq!(tls_cause(result), TlsCause::Expired, "insecure {insecure}");
    }
}

#[tokio::test]
async fn http2_is_used_when_the_backend_offers_it() {
    let (identity, pem) = certificate("cert-a");
    let backend = Backend::start(BackendOptions {
        client_ca_pem: Some(pem),
        http2: true,
        tls: true,
    })
    .await
    .unwrap();
    let upstream = Upstream::new(&trusting(&backend), Some(identity.clone()), false);
    for _ in 0..3 {
        let response = upstream.send(get(&backend.url()), TIMEOUT).await.unwrap();
        assert_eq!(response.version, Version::HTTP_2);
        assert_eq!(response.status, 200);
    }
    let seen = backend.seen();
    assert!(seen.iter().all(|s| s.version == Version::HTTP_2));
    assert!(seen
        .iter()
        .all(|s| s.client_certificate_der.as_deref() == Some(identity.der())));
    // One multiplexed connection.
    assert_eq!(backend.connections(), 1);
}

#[tokio::test]
async fn plain_http_backends_are_reached_too() {
    let backend = Backend::start(BackendOptions {
        client_ca_pem: None,
        http2: false,
        tls: false,
    })
    .await
    .unwrap();
    assert!(backend.url().starts_with("http://"));
    let upstream = Upstream::new(&Trust::load(None).unwrap(), None, false);
    let response = upstream
        .send(get(&format!("{}/status/201", backend.url())), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(response.status, 201);
}

#[tokio::test]
async fn bodies_go_with_their_length() {
    let backend = backend(None).await;
    let upstream = Upstream::new(&trusting(&backend), None, false);
    let url = format!("{}/echo", backend.url());
    upstream
        .send(
            request(Method::POST, &url, Bytes::from_static(b"hello")),
            TIMEOUT,
        )
        .await
        .unwrap();
    upstream.send(get(&url), TIMEOUT).await.unwrap();
    upstream
        .send(request(Method::POST, &url, Bytes::new()), TIMEOUT)
        .await
        .unwrap();
    let seen = backend.seen();
    assert_eq!(seen[0].body, "hello");
    assert_eq!(seen[0].headers["content-length"], "5");
    assert!(seen[0].headers.get("transfer-encoding").is_none());
    assert!(seen[1].headers.get("content-length").is_none());
    assert_eq!(seen[2].headers["content-length"], "0");
    // All three on one kept-alive connection.
    assert!(seen.iter().all(|s| s.connection == seen[0].connection));
}

#[tokio::test]
async fn the_headers_endpoint_sends_the_headers_rules_act_on() {
    let backend = backend(None).await;
    let upstream = Upstream::new(&trusting(&backend), None, false);
    let response = upstream
        .send(get(&format!("{}/headers", backend.url())), TIMEOUT)
        .await
        .unwrap();
    for name in [
        "content-md5",
        "max-forwards",
        "user-agent",
        "www-authenticate",
        "authorization",
        "server",
        "date",
        "x-custom",
    ] {
        assert!(response.headers.contains_key(name), "{name}");
    }
    assert_eq!(response.headers["server"], "test-backend");
    assert_eq!(response.headers["date"], "Wed, 21 Oct 2015 07:28:00 GMT");
}

#[tokio::test]
async fn a_slow_backend_times_out() {
    let backend = backend(None).await;
    let upstream = Upstream::new(&trusting(&backend), None, false);
    let started = std::time::Instant::now();
    let result = upstream
        .send(
            get(&format!("{}/delay/5000", backend.url())),
            Duration::from_millis(300),
        )
        .await;
    assert_eq!(result.unwrap_err(), UpstreamError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let upstream = Upstream::new(&Trust::load(None).unwrap(), None, false);
    let result = upstream
        .send(get(&format!("https://127.0.0.1:{port}/")), TIMEOUT)
        .await;
    match result {
        Err(UpstreamError::Connect(detail)) => assert!(detail.contains("refused"), "{detail}"),
        other => panic!("expected Connect, got {other:?}"),
    }
}

#[tokio::test]
async fn an_answer_over_the_payload_limit_is_too_large() {
    let backend = backend(None).await;
    let upstream = Upstream::new(&trusting(&backend), None, false);
    let at_limit = upstream
        .send(
            get(&format!("{}/big/{MAX_PAYLOAD}", backend.url())),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(at_limit.body.len(), MAX_PAYLOAD);
    let over = upstream
        .send(
            get(&format!("{}/big/{}", backend.url(), MAX_PAYLOAD + 1)),
            TIMEOUT,
        )
        .await;
    assert_eq!(over.unwrap_err(), UpstreamError::TooLarge);
}

#[tokio::test]
async fn two_identities_never_share_a_connection() {
    let (a, pem_a) = certificate("cert-a");
    let (b, pem_b) = certificate("cert-b");
    let backend = backend(Some(&format!("{pem_a}{pem_b}"))).await;
    let upstreams = Upstreams::new(trusting(&backend));
    let upstream_a = upstreams.client(Some(a.clone()), false);
    let upstream_b = upstreams.client(Some(b.clone()), false);
    assert!(!Arc::ptr_eq(&upstream_a, &upstream_b));
    for upstream in [&upstream_a, &upstream_b, &upstream_a, &upstream_b] {
        upstream.send(get(&backend.url()), TIMEOUT).await.unwrap();
    }
    let seen = backend.seen();
    // Each identity's requests stay on its own connection, which is reused.
    assert_eq!(seen[0].connection, seen[2].connection);
    assert_eq!(seen[1].connection, seen[3].connection);
    assert_ne!(seen[0].connection, seen[1].connection);
    assert_eq!(seen[0].client_certificate_der.as_deref(), Some(a.der()));
    assert_eq!(seen[1].client_certificate_der.as_deref(), Some(b.der()));
    assert_eq!(backend.connections(), 2);
}

#[tokio::test]
async fn an_upstream_lives_as_long_as_its_users() {
    let (identity, pem) = certificate("cert-a");
    let backend = backend(Some(&pem)).await;
    let upstreams = Upstreams::new(trusting(&backend));
    let first = upstreams.client(Some(identity.clone()), false);
    let again = upstreams.client(Some(identity.clone()), false);
    assert!(Arc::ptr_eq(&first, &again));
    let insecure = upstreams.client(Some(identity.clone()), true);
    let anonymous = upstreams.client(None, false);
    assert!(!Arc::ptr_eq(&first, &insecure));
    assert!(!Arc::ptr_eq(&first, &anonymous));
    assert_eq!(upstreams.len(), 3);
    assert_eq!(first.identity().unwrap().certificate_id(), "cert-a");
    assert!(anonymous.identity().is_none());

    first.send(get(&backend.url()), TIMEOUT).await.unwrap();
    assert_eq!(backend.open_connections(), 1);
    let weak = Arc::downgrade(&first);
    drop((first, again, insecure, anonymous));
    assert!(weak.upgrade().is_none());
    assert_eq!(upstreams.len(), 0);

    // Its pooled connection went with it.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while backend.open_connections() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "connection still open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The next user gets a new Upstream, with a new connection.
    let next = upstreams.client(Some(identity), false);
    next.send(get(&backend.url()), TIMEOUT).await.unwrap();
    assert_eq!(backend.connections(), 2);
    assert_eq!(upstreams.len(), 1);
}

#[tokio::test]
async fn a_rotated_certificate_gets_new_connections() {
    let (old, old_pem) = certificate("cert-old");
    let (new, new_pem) = certificate("cert-new");
    let backend = backend(Some(&old_pem)).await;
    let upstreams = Upstreams::new(trusting(&backend));
    let before = upstreams.client(Some(old.clone()), false);
    before.send(get(&backend.url()), TIMEOUT).await.unwrap();

    // The backend now pins the new certificate: the old Upstream's open connection still serves
    // (it was accepted under the old one), the new certificate gets a connection of its own.
    backend.set_client_ca(Some(&new_pem)).unwrap();
    before.send(get(&backend.url()), TIMEOUT).await.unwrap();
    let after = upstreams.client(Some(new.clone()), false);
    after.send(get(&backend.url()), TIMEOUT).await.unwrap();

    let seen = backend.seen();
    assert_eq!(seen[0].connection, seen[1].connection);
    assert_ne!(seen[2].connection, seen[0].connection);
    assert_eq!(seen[2].client_certificate_der.as_deref(), Some(new.der()));

    // A new handshake with the old certificate is refused.
    let fresh_old = Upstream::new(&trusting(&backend), Some(old), false);
    let result = fresh_old.send(get(&backend.url()), TIMEOUT).await;
    assert_eq!(tls_cause(result), TlsCause::CertificateRefused);
}
