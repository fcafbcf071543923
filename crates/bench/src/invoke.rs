//! `certgate-bench invoke`: invoking a stage (issue 14) against the backend it forwards to and
//! against nginx doing the same job, in interleaved rounds.
//!
//! Three contenders answer the same GET with the same backend's 100-byte JSON:
//! - **direct**: the HTTPS backend (its own process, see `backend`), which demands a client
//!   certificate, called with it: the baseline;
//! - **nginx**: plain HTTP in front, HTTPS to the backend presenting the same certificate;
//! - **certgate**: a REST API whose `/{proxy+}` ANY method has an HTTP_PROXY integration to the
//!   backend, deployed to a stage holding that certificate, invoked at
//!   `/restapis/{id}/{stage}/_user_request_/bench`.
//!
//! The certificate and its key are made here and imported into certgate's store, sealed as
//! certgate seals them, before certgate starts: certgate never hands out a private key, and all
//! three must present the same one to a backend that accepts exactly it. One load generator (the
//! bench's own, with rustls for the direct calls) drives all three. The machine's cores are shared
//! and noisy, so each round runs every contender at 1, 8 and 64 connections one after the other
//! (the order rotating from round to round), and the figures reported are medians over the rounds
//! of each round's own ratios.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rustls::pki_types::ServerName;
use serde_json::{json, Value};

use crate::backend::{self, CA_FILE, CLIENT_CERT_FILE, CLIENT_KEY_FILE};
use crate::load::{self, RequestFn, Stats, Target, Tls, Until};
use crate::proc::{stat_ticks, Server};
use crate::{certgate_binary, certgate_command, fixed, nginx, seed, Options, CLIENTS};

/// Unsigned requests are this account's, in us-east-1.
const ACCOUNT: &str = "000000000000";
const STAGE: &str = "bench";
/// The path every contender is asked for (certgate's behind its invoke prefix).
const PATH: &str = "/bench";

/// One of the three, with what its phases send and whose CPU they count.
struct Contender<'a> {
    name: &'static str,
    target: Target,
    request: RequestFn,
    /// The proxy's process (none for the direct calls) and whether its children count (nginx's
    /// workers).
    proxy: Option<(&'a Server, bool)>,
}

/// One phase's figures.
#[derive(Clone, Default)]
struct Sample {
    stats: Stats,
    /// CPU time per request, in µs: the proxy's, the backend's, the load generator's.
    proxy_cpu: f64,
    backend_cpu: f64,
    load_cpu: f64,
    /// Connections the backend accepted during the phase.
    connections: usize,
}

/// Connections the backend has accepted so far, from its log.
fn accepted(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .matches("accepted a connection")
        .count()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// The PEM of a PKCS#8 key, for nginx.
fn key_pem(der: &[u8]) -> String {
    let encoded = STANDARD.encode(der);
    let mut out = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in encoded.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END PRIVATE KEY-----\n");
    out
}

/// The load generator's TLS to the backend: its CA, and the client certificate unless `anonymous`.
fn client_tls(work: &Path, anonymous: bool) -> Result<Tls, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in backend::certificates(&work.join(CA_FILE))? {
        roots.add(cert).map_err(|e| format!("backend CA: {e}"))?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(backend::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let mut config = if anonymous {
        builder.with_no_client_auth()
    } else {
        builder
            .with_client_auth_cert(
                backend::certificates(&work.join(CLIENT_CERT_FILE))?,
                backend::private_key(&work.join(CLIENT_KEY_FILE))?,
            )
            .map_err(|e| format!("client certificate: {e}"))?
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        config: Arc::new(config),
        name: ServerName::try_from("localhost").map_err(|e| e.to_string())?,
    })
}

/// Makes the client certificate and key, writes them for nginx and the backend, and imports them
/// into certgate's store (sealed under a new `master.key`). Returns the certificate's id.
async fn make_identity(work: &Path, db: &Path) -> Result<String, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs() as i64;
    let (pem, key) = tokio::task::spawn_blocking(move || {
        let key = certgate_pki::PrivateKey::generate().map_err(|e| e.to_string())?;
        let pem = certgate_pki::issue(
            &key,
            &certgate_pki::Profile {
                serial: 0x00be_ec4a_11ce,
                not_before: now,
                not_after: now + certgate_core::VALIDITY_SECONDS,
            },
        )
        .map_err(|e| e.to_string())?;
        Ok::<_, String>((pem, key.pkcs8().clone()))
    })
    .await
    .map_err(|e| e.to_string())??;
    for (name, text) in [
        (CLIENT_CERT_FILE, pem.clone()),
        (CLIENT_KEY_FILE, key_pem(key.expose())),
    ] {
        let path = work.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let master = seed::master_key_file(&work.join("master.key"))?;
    let id = seed::id(0)?;
    seed::import(db, ACCOUNT, &id, pem, &key, &master).await?;
    Ok(id.as_str().to_string())
}

/// One request to certgate's API with a JSON body (or none), unsigned; the answer's JSON.
async fn api(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let request = match &body {
        Some(b) => load::with_body(method, path, "", &b.to_string()),
        None => format!("{method} {path} HTTP/1.1\r\nHost: bench\r\n\r\n").into_bytes(),
    };
    let (status, answer) = load::call(&addr.into(), &request).await?;
    let text = String::from_utf8_lossy(&answer);
    if !(200..300).contains(&status) {
        return Err(format!("{method} {path}: {status} {text}"));
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).map_err(|e| format!("{method} {path}: {e}: {text}"))
}

/// The REST API, its `/{proxy+}` HTTP_PROXY to the backend, its stage holding the certificate.
/// Returns the invoke path of `PATH`.
async fn set_up_api(
    addr: std::net::SocketAddr,
    backend_port: u16,
    certificate: &str,
) -> Result<String, String> {
    let created = api(
        addr,
        "POST",
        "/restapis",
        Some(json!({"name": "certgate-bench"})),
    )
    .await?;
    let id = created["id"]
        .as_str()
        .ok_or("CreateRestApi: no id")?
        .to_string();
    let resources = api(addr, "GET", &format!("/restapis/{id}/resources"), None).await?;
    let root = resources["item"]
        .as_array()
        .and_then(|items| items.iter().find(|r| r["path"] == "/"))
        .and_then(|r| r["id"].as_str())
        .ok_or("GetResources: no root resource")?
        .to_string();
    let proxy = api(
        addr,
        "POST",
        &format!("/restapis/{id}/resources/{root}"),
        Some(json!({"pathPart": "{proxy+}"})),
    )
    .await?;
    let resource = proxy["id"].as_str().ok_or("CreateResource: no id")?;
    let method = format!("/restapis/{id}/resources/{resource}/methods/ANY");
    api(
        addr,
        "PUT",
        &method,
        Some(json!({
            "authorizationType": "NONE",
            "requestParameters": {"method.request.path.proxy": true},
        })),
    )
    .await?;
    api(
        addr,
        "PUT",
        &format!("{method}/integration"),
        Some(json!({
            "type": "HTTP_PROXY",
            "httpMethod": "ANY",
            "uri": format!("https://localhost:{backend_port}/{{proxy}}"),
            "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"},
        })),
    )
    .await?;
    api(
        addr,
        "POST",
        &format!("/restapis/{id}/deployments"),
        Some(json!({"stageName": STAGE})),
    )
    .await?;
    api(
        addr,
        "PATCH",
        &format!("/restapis/{id}/stages/{STAGE}"),
        Some(json!({"patchOperations": [
            {"op": "replace", "path": "/clientCertificateId", "value": certificate},
        ]})),
    )
    .await?;
    Ok(format!("/restapis/{id}/{STAGE}/_user_request_{PATH}"))
}

/// Sends `request` to `target` until it is answered with a 2xx (a stage's update takes effect
/// within a second), or says what it got instead.
async fn until_answered(name: &str, target: &Target, request: &[u8]) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..100 {
        match load::call(target, request).await {
            Ok((status, _)) if (200..300).contains(&status) => return Ok(()),
            Ok((status, body)) => last = format!("{status} {}", String::from_utf8_lossy(&body)),
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{name} did not answer 2xx within 10 s: {last}"))
}

/// Runs one phase and prints its line, with each process's CPU time per request.
async fn phase(
    c: &Contender<'_>,
    backend: &Server,
    log: &Path,
    clients: usize,
    length: Duration,
) -> Sample {
    let proxy_ticks = |c: &Contender| match c.proxy {
        Some((server, true)) => server.cpu_ticks_with_children(),
        Some((server, false)) => server.cpu_ticks(),
        None => 0,
    };
    let connections = accepted(log);
    let before = (proxy_ticks(c), backend.cpu_ticks(), stat_ticks("self").0);
    let stats = load::run(
        c.target.clone(),
        clients,
        Until::Elapsed(length),
        c.request.clone(),
    )
    .await;
    let after = (proxy_ticks(c), backend.cpu_ticks(), stat_ticks("self").0);
    // Clock ticks are 10 ms on Linux (USER_HZ is 100).
    let per_request =
        |a: u64, b: u64| a.saturating_sub(b) as f64 * 10_000.0 / stats.ok.max(1) as f64;
    let sample = Sample {
        proxy_cpu: per_request(after.0, before.0),
        backend_cpu: per_request(after.1, before.1),
        load_cpu: per_request(after.2, before.2),
        connections: accepted(log).saturating_sub(connections),
        stats,
    };
    let s = &sample.stats;
    let failed = match &s.first_failure {
        Some(first) if s.failed > 0 => {
            format!(
                "  {} failed: {}",
                s.failed,
                first.lines().next().unwrap_or("")
            )
        }
        _ => String::new(),
    };
    let proxy = if c.proxy.is_some() {
        format!("proxy {:>5.1}", sample.proxy_cpu)
    } else {
        "           ".into()
    };
    println!(
        "  {:<9} c={clients:<3} {:>8.0} req/s  p50 {:>6.3} ms  p99 {:>6.3} ms  CPU µs/req: {proxy}  backend {:>5.1}  load {:>5.1}  new backend connections {}{failed}",
        c.name,
        s.rate(),
        s.quantile_ms(0.5),
        s.quantile_ms(0.99),
        sample.backend_cpu,
        sample.load_cpu,
        sample.connections,
    );
    sample
}

pub async fn run(options: Options) -> Result<(), String> {
    let binary = certgate_binary(&options)?;
    let work = std::env::temp_dir().join(format!("certgate-bench-invoke-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let result = measure(&options, &binary, &work).await;
    if result.is_err() {
        // What the servers said is the first thing to read when set-up fails.
        for log in ["backend.log", "certgate.log", "nginx/error.log"] {
            let text = std::fs::read_to_string(work.join(log)).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(10).collect();
            if !tail.is_empty() {
                eprintln!("--- {log} (last lines)");
                tail.iter().rev().for_each(|l| eprintln!("{l}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    result
}

async fn measure(options: &Options, binary: &Path, work: &Path) -> Result<(), String> {
    let db = work.join("certgate.db");
    let certificate = make_identity(work, &db).await?;
    backend::write_certificates(work)?;
    let tls = client_tls(work, false)?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut command = Command::new(&exe);
    command.arg("backend").arg(work);
    let backend = Server::start_tls(
        "backend",
        command,
        &work.join("backend.log"),
        Some(tls.clone()),
    )
    .await?;
    let direct = Target {
        addr: backend.addr,
        tls: Some(tls),
    };
    // The backend really demands the certificate: without it, no answer.
    let anonymous = Target {
        addr: backend.addr,
        tls: Some(client_tls(work, true)?),
    };
    if let Ok((status, _)) = load::call(&anonymous, &load::get(PATH, "")).await {
        return Err(format!(
            "the backend answered {status} to a client without a certificate"
        ));
    }

    // No key pool: filling it would take CPU from the phases. The invoke log goes to a file.
    let mut command = certgate_command(binary, &db, 0);
    command
        .arg("--backend-ca-file")
        .arg(work.join(CA_FILE))
        .arg("--master-key-file")
        .arg(work.join("master.key"));
    let command_line = format!("{command:?}");
    let certgate = Server::start("certgate", command, &work.join("certgate.log")).await?;
    let invoke_path = set_up_api(certgate.addr, backend.addr.port(), &certificate).await?;
    let invoke = load::get(&invoke_path, "");
    until_answered("certgate", &certgate.addr.into(), &invoke).await?;

    let nginx = match nginx::binary() {
        Some(nginx_binary) => {
            let command = nginx::command(&nginx_binary, work, backend.addr.port())?;
            Some(Server::start("nginx", command, &work.join("nginx.log")).await?)
        }
        None => {
            println!("nginx not found on the PATH: skipping it (Debian: apt-get install nginx)");
            None
        }
    };

    if options.serve {
        return serve(
            &backend,
            &certgate,
            nginx.as_ref(),
            &invoke_path,
            work,
            &command_line,
        )
        .await;
    }

    let mut contenders = vec![Contender {
        name: "direct",
        target: direct,
        request: fixed(load::get(PATH, "")),
        proxy: None,
    }];
    if let Some(nginx) = &nginx {
        contenders.push(Contender {
            name: "nginx",
            target: nginx.addr.into(),
            request: fixed(load::get(PATH, "")),
            proxy: Some((nginx, true)),
        });
    }
    contenders.push(Contender {
        name: "certgate",
        target: certgate.addr.into(),
        request: fixed(invoke),
        proxy: Some((&certgate, false)),
    });

    println!(
        "certgate-bench invoke: {} rounds of {:.1?} phases at {CLIENTS:?} connections; binary {}",
        options.rounds,
        options.phase,
        binary.display()
    );
    // Each proxy's pool to the backend filled before anything is measured. nginx's two workers
    // each keep their own, and the load generator's connections fall on them differently each
    // time, so a few passes.
    for _ in 0..3 {
        for c in &contenders {
            let warm = Until::Elapsed(Duration::from_millis(300));
            load::run(c.target.clone(), 64, warm, c.request.clone()).await;
        }
    }
    let log = work.join("backend.log");
    // samples[round][clients index][contender]
    let mut samples: Vec<Vec<Vec<Sample>>> = Vec::new();
    for round in 0..options.rounds {
        println!("round {}", round + 1);
        let mut by_clients = Vec::new();
        for clients in CLIENTS {
            let mut row = vec![Sample::default(); contenders.len()];
            for k in 0..contenders.len() {
                let i = (k + round) % contenders.len();
                row[i] = phase(&contenders[i], &backend, &log, clients, options.phase).await;
            }
            by_clients.push(row);
        }
        samples.push(by_clients);
    }
    let names: Vec<&str> = contenders.iter().map(|c| c.name).collect();
    summary(&names, &samples);
    let refused = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .matches("handshake refused")
        .count();
    println!(
        "handshakes the backend refused: {refused} (1 expected: the check without a certificate)"
    );
    for server in [Some(backend), Some(certgate), nginx].into_iter().flatten() {
        server.stop();
    }
    Ok(())
}

/// `--serve`: the three set up as for a run, their addresses printed, until Ctrl-C; for profiling
/// one of them under load from `certgate-bench load` (or certgate restarted by hand under
/// valgrind, with the command line printed, on the same store).
async fn serve(
    backend: &Server,
    certgate: &Server,
    nginx: Option<&Server>,
    invoke_path: &str,
    work: &Path,
    command_line: &str,
) -> Result<(), String> {
    println!("work dir:  {}", work.display());
    println!(
        "direct:    https://localhost:{}{PATH} (client certificate {}, key {})",
        backend.addr.port(),
        work.join(CLIENT_CERT_FILE).display(),
        work.join(CLIENT_KEY_FILE).display()
    );
    if let Some(nginx) = nginx {
        println!(
            "nginx:     http://{}{PATH} (pid {})",
            nginx.addr,
            nginx.pid()
        );
    }
    println!(
        "certgate:  http://{}{invoke_path} (pid {})",
        certgate.addr,
        certgate.pid()
    );
    println!("           started as {command_line}");
    println!("Ctrl-C ends them.");
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())
}

/// Medians over the rounds: each contender's figures, and each proxy's ratios to the direct calls
/// and certgate's to nginx, each ratio taken within a round.
fn summary(names: &[&str], samples: &[Vec<Vec<Sample>>]) {
    let index = |name: &str| names.iter().position(|n| *n == name);
    let (direct, nginx, certgate) = (index("direct"), index("nginx"), index("certgate"));
    println!();
    println!(
        "medians over {} rounds (ratios and differences taken within each round)",
        samples.len()
    );
    println!(
        "  {:<9} {:>3}  {:>8}  {:>7}  {:>7}  {:>9}  {:>8}  {:>9}  {:>10}",
        "", "c", "req/s", "p50 ms", "p99 ms", "proxy µs", "/direct", "added p50", "/nginx"
    );
    let mut targets = Vec::new();
    for (ci, clients) in CLIENTS.iter().enumerate() {
        let of = |i: usize, f: &dyn Fn(&Sample) -> f64| {
            median(samples.iter().map(|round| f(&round[ci][i])).collect())
        };
        let between = |i: usize, j: usize, f: &dyn Fn(&Sample, &Sample) -> f64| {
            median(
                samples
                    .iter()
                    .map(|round| f(&round[ci][i], &round[ci][j]))
                    .collect(),
            )
        };
        let rate_ratio = |a: &Sample, b: &Sample| a.stats.rate() / b.stats.rate().max(1e-9);
        let added = |a: &Sample, b: &Sample| a.stats.quantile_ms(0.5) - b.stats.quantile_ms(0.5);
        for (i, name) in names.iter().enumerate() {
            let vs_direct = match direct {
                Some(d) if d != i => format!(
                    "{:>7.2}x  {:>+8.3}ms",
                    between(i, d, &rate_ratio),
                    between(i, d, &added)
                ),
                _ => format!("{:>8}  {:>10}", "", ""),
            };
            let vs_nginx = match nginx {
                Some(n) if Some(i) == certgate => format!("{:>9.2}x", between(i, n, &rate_ratio)),
                _ => String::new(),
            };
            let proxy = if Some(i) == direct {
                String::new()
            } else {
                format!("{:.1}", of(i, &|s| s.proxy_cpu))
            };
            println!(
                "  {name:<9} {clients:>3}  {:>8.0}  {:>7.3}  {:>7.3}  {proxy:>9}  {vs_direct}  {vs_nginx}",
                of(i, &|s| s.stats.rate()),
                of(i, &|s| s.stats.quantile_ms(0.5)),
                of(i, &|s| s.stats.quantile_ms(0.99)),
            );
        }
        if let (Some(n), Some(c), Some(d)) = (nginx, certgate, direct) {
            targets.push((
                *clients,
                between(c, n, &rate_ratio),
                between(c, d, &added),
                between(n, d, &added),
            ));
        }
    }
    if targets.is_empty() {
        return;
    }
    println!("targets (issue 14)");
    let check = |ok: bool| if ok { "met   " } else { "MISSED" };
    for (clients, ratio, certgate_added, nginx_added) in targets {
        println!(
            "  {} c={clients:<3} certgate's req/s >= nginx's: {ratio:.2}x",
            check(ratio >= 1.0)
        );
        println!(
            "  {} c={clients:<3} certgate's added p50 <= nginx's: {certgate_added:+.3} ms vs {nginx_added:+.3} ms",
            check(certgate_added <= nginx_added)
        );
    }
}
