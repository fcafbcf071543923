//! nginx as the reverse proxy `certgate-bench invoke` compares certgate with: plain HTTP in front,
//! HTTPS to the backend presenting the same client certificate, with the settings a careful
//! operator would use for the best figures (pooled, verified, resumed TLS to the backend).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::backend::{CA_FILE, CLIENT_CERT_FILE, CLIENT_KEY_FILE};

/// Idle connections each worker keeps to the backend: at least the most connections a phase opens
/// (64), so that no phase makes nginx hand-shake again.
const UPSTREAM_KEEPALIVE: usize = 128;

/// The nginx binary, if there is one on the PATH or in /usr/sbin.
pub fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("nginx"))
        .find(|p| p.is_file())
}

/// A free loopback port, for nginx, which cannot be told to pick one and print it.
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// The configuration, written under `dir/nginx`, and the command that runs nginx in the
/// foreground with it. The command prints `nginx listening on http://ADDR` first, as the other
/// servers do, so that `Server::start` can wait for it like for any other.
pub fn command(binary: &Path, dir: &Path, backend_port: u16) -> Result<Command, String> {
    let prefix = dir.join("nginx");
    std::fs::create_dir_all(&prefix).map_err(|e| format!("{}: {e}", prefix.display()))?;
    let port = free_port()?;
    let file = |name: &str| dir.join(name).display().to_string();
    let prefix_file = |name: &str| prefix.join(name).display().to_string();
    // keepalive_requests: nginx closes a connection after 1,000 requests by default, on both
    // sides; certgate's pool and the backend have no such limit, so it is lifted here, or nginx
    // would pay a TLS handshake to the backend every 1,000 requests per connection.
    let config = format!(
        r#"worker_processes 2;
daemon off;
pid {pid};
error_log {error_log} warn;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_requests 1000000;
    upstream backend {{
        server 127.0.0.1:{backend_port};
        keepalive {UPSTREAM_KEEPALIVE};
        keepalive_requests 1000000;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass https://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_ssl_certificate {client_cert};
            proxy_ssl_certificate_key {client_key};
            proxy_ssl_trusted_certificate {ca};
            proxy_ssl_verify on;
            proxy_ssl_name localhost;
            proxy_ssl_server_name on;
            proxy_ssl_session_reuse on;
        }}
    }}
}}
"#,
        pid = prefix_file("nginx.pid"),
        error_log = prefix_file("error.log"),
        prefix = prefix.display(),
        client_cert = file(CLIENT_CERT_FILE),
        client_key = file(CLIENT_KEY_FILE),
        ca = file(CA_FILE),
    );
    let conf = prefix.join("nginx.conf");
    std::fs::write(&conf, config).map_err(|e| format!("{}: {e}", conf.display()))?;
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!(
            "echo nginx listening on http://127.0.0.1:{port}; exec \"$0\" -p \"$1\" -e \"$2\" -c \"$3\""
        ))
        .arg(binary)
        .arg(&prefix)
        .arg(prefix.join("error.log"))
        .arg(&conf);
    Ok(command)
}
