use axum::body::Body;
use http::{Request, StatusCode};

use super::*;
use certgate_core::expiry;
use certgate_service::testing::{scope, store_with};

async fn console(page: bool, admin_clock: bool) -> (tempfile::TempDir, Console) {
    let now = SystemClock.now();
    let (dir, store) = store_with(&[(
        scope("111111111111", "us-east-1"),
        2,
        now + 10 * expiry::DAY,
    )])
    .await;
    let args = ConsoleConfig {
        clock_offset: Some(0),
        admin_clock,
        no_console: !page,
    };
    let console = args.console(store, args.clock()).expect("some console");
    (dir, console)
}

fn request(method: &str, path: &str, body: &str) -> axum::extract::Request {
    Request::builder()
        .method(method)
        .uri(path)
        .body(Body::from(body.to_string()))
        .expect("request")
}

async fn body_json(response: Response) -> serde_json::Value {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    serde_json::from_slice(&bytes).expect("json")
}

#[test]
fn nothing_to_serve_means_no_console() {
    let args = ConsoleConfig {
        no_console: true,
        ..Default::default()
    };
    let store_dir = tempfile::tempdir().expect("dir");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("rt");
    let store = rt
        .block_on(certgate_store::SqliteStore::open(
            store_dir.path().join("c.db"),
        ))
        .expect("store");
    assert!(args.console(Arc::new(store), args.clock()).is_none());
}

#[tokio::test]
async fn routes_only_its_own_paths_and_hands_the_rest_back() {
    let (_dir, c) = console(true, false).await;
    for (method, path) in [
        ("GET", "/clientcertificates"),
        ("GET", "/_certgate"),
        ("GET", "/_certgate/health"),
        ("GET", "/_certgate/ui/other.js"),
        ("GET", "/_certgate/api/other"),
        (
            "GET",
            "/_certgate/api/certificates/111111111111/us-east-1/c00000",
        ),
        ("POST", "/_certgate/"),
        ("GET", "/_certgate/clock"),
        ("POST", "/_certgate/clock"),
    ] {
        let handed_back = c.dispatch(request(method, path, "")).await.expect_err(path);
        assert_eq!(handed_back.uri().path(), path);
    }
    for path in [
        "/_certgate/",
        "/_certgate/ui/app.js",
        "/_certgate/ui/app.css",
    ] {
        let r = c.dispatch(request("GET", path, "")).await.expect(path);
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    }
}

#[tokio::test]
async fn lists_and_downloads_without_keys() {
    let (_dir, c) = console(true, false).await;
    let r = c
        .dispatch(request("GET", "/_certgate/api/certificates?within=30d", ""))
        .await
        .expect("routed");
    assert_eq!(r.status(), StatusCode::OK);
    let doc = body_json(r).await;
    assert_eq!(doc["certificates"].as_array().map(Vec::len), Some(2));
    assert_eq!(doc["certificates"][0]["status"], "expiring");
    assert!(!doc.to_string().contains("PRIVATE"));
    let pem_url = doc["certificates"][0]["pemUrl"]
        .as_str()
        .expect("pem url")
        .to_string();
    let r = c
        .dispatch(request("GET", &pem_url, ""))
        .await
        .expect("routed");
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(r.into_body(), 1 << 20)
        .await
        .expect("body");
    assert!(bytes.starts_with(b"-----BEGIN CERTIFICATE-----"));
    for bad in [
        "/_certgate/api/certificates/1/us-east-1/c00000/pem",
        "/_certgate/api/certificates/111111111111/us-east-1/zzzzzz/pem",
    ] {
        let r = c.dispatch(request("GET", bad, "")).await.expect("routed");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
    }
}

#[tokio::test]
async fn admin_clock_moves_the_shared_clock() {
    let (_dir, c) = console(false, true).await;
    assert!(
        c.dispatch(request("GET", "/_certgate/", "")).await.is_err(),
        "page is off"
    );
    let r = c
        .dispatch(request(
            "POST",
            "/_certgate/clock",
            r#"{"offsetSeconds": -86400}"#,
        ))
        .await
        .expect("routed");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body_json(r).await["offsetSeconds"], -86_400);
    assert_eq!(c.clock.offset(), -86_400);
    for bad in [
        r#"{"offsetSeconds": 1.5}"#,
        "{",
        r#"{"offsetSeconds": 99999999999999}"#,
    ] {
        let r = c
            .dispatch(request("POST", "/_certgate/clock", bad))
            .await
            .expect("routed");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let big = format!(r#"{{"offsetSeconds": 1, "pad": "{}"}}"#, "x".repeat(5000));
    let r = c
        .dispatch(request("POST", "/_certgate/clock", &big))
        .await
        .expect("routed");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(c.clock.offset(), -86_400);
}
