//! The baseline server: hello world on the same HTTP stack as certgate (tokio's multi-threaded
//! runtime, axum with one fallback handler, TCP_NODELAY), answering a small JSON body. What certgate
//! does beyond this is what the ratios measure.

use std::io::Write;

use axum::serve::ListenerExt;

async fn hello() -> axum::response::Response {
    axum::response::Response::builder()
        .header("content-type", "application/json")
        .header("x-amzn-requestid", "00000000-0000-0000-0000-000000000000")
        .body(axum::body::Body::from(r#"{"hello":"world"}"#))
        .unwrap_or_default()
}

/// Serves hello world on a free loopback port until killed; prints the address first.
pub fn main() -> Result<(), String> {
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
        let router = axum::Router::new().fallback(hello);
        axum::serve(listener, router)
            .await
            .map_err(|e| e.to_string())
    })
}
