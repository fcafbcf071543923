//! The baseline servers on the same HTTP stack as certgate (tokio's multi-threaded runtime, axum
//! with one fallback handler, TCP_NODELAY): hello world, answering a small JSON body, and the
//! fixed certificate, answering from memory the JSON of a real certificate as certgate's Get
//! answers it (same PEM length, description and tags as the seeded ones). What certgate does beyond
//! these is what the ratios measure: against hello world, everything; against the fixed
//! certificate, everything but sending a 1.3 KB answer.

use std::io::Write;

use axum::serve::ListenerExt;
use bytes::Bytes;

fn answer(body: Bytes) -> axum::response::Response {
    axum::response::Response::builder()
        .header("content-type", "application/json")
        .header("x-amzn-requestid", "00000000-0000-0000-0000-000000000000")
        .body(axum::body::Body::from(body))
        .unwrap_or_default()
}

/// The JSON of one certificate as certgate answers a Get of a seeded one: a real PEM (issued here,
/// so its length is a real certificate's), the seed's description and tag.
fn certificate_json() -> Result<Vec<u8>, String> {
    let key = certgate_pki::PrivateKey::generate().map_err(|e| e.to_string())?;
    let now = 1_767_225_600;
    let pem = certgate_pki::issue(
        &key,
        &certgate_pki::Profile {
            serial: 0x0123_4567_89ab_cdef,
            not_before: now,
            not_after: now + certgate_core::VALIDITY_SECONDS,
        },
    )
    .map_err(|e| e.to_string())?;
    let value = serde_json::json!({
        "clientCertificateId": "abc123",
        "description": "benchmark seed",
        "pemEncodedCertificate": pem,
        "createdDate": now,
        "expirationDate": now + certgate_core::VALIDITY_SECONDS,
        "tags": {"bench": "seed"},
    });
    serde_json::to_vec(&value).map_err(|e| e.to_string())
}

/// Serves hello world (or, with `certificate`, the fixed certificate) on a free loopback port
/// until killed; prints the address first.
pub fn main(certificate: bool) -> Result<(), String> {
    let body = Bytes::from(if certificate {
        certificate_json()?
    } else {
        br#"{"hello":"world"}"#.to_vec()
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let mut out = std::io::stdout();
        let _ = writeln!(out, "hello listening on http://{addr}");
        let _ = out.flush();
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let router = axum::Router::new().fallback(move || {
            let body = body.clone();
            async move { answer(body) }
        });
        axum::serve(listener, router)
            .await
            .map_err(|e| e.to_string())
    })
}
