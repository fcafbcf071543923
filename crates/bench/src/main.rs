//! `certgate-bench`: one command that measures certgate against its baselines on this machine and
//! prints every figure with its ratio to the baseline.
//!
//! In one run it measures the raw RSA-2048 key rate on all cores, a hello-world server and a server
//! answering a fixed certificate JSON on the same HTTP stack, and then the certgate release binary: start-up time, memory, Get, List (25 and 500),
//! Update and Generate (key pool warm, and with the pool off) at 1, 8 and 64 clients, and List at
//! 10, 1,000 and 100,000 certificates in one region. See BENCHMARKS.md for what the figures mean.

mod backend;
mod hello;
mod invoke;
mod load;
mod nginx;
mod proc;
mod reads;
mod report;
mod seed;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

use load::{RequestFn, Stats, Until};
use proc::Server;
use report::Report;

const CLIENTS: [usize; 3] = [1, 8, 64];
/// The account of the read and write phases, and those of the list-scaling phases.
const MAIN_ACCOUNT: &str = "111111111111";
const SCALE_ACCOUNTS: [&str; 3] = ["222222222222", "333333333333", "444444444444"];
/// Certificates in the main account: enough for a full page of 500.
const MAIN_CERTIFICATES: u64 = 600;
/// Keys the warm-pool phases draw from, and how many requests each such phase sends: fewer than the
/// pool holds, so every request finds a key ready.
const POOL_SIZE: usize = 128;
const WARM_REQUESTS: u64 = 96;
/// Slices each list-scaling phase is cut into.
const SCALE_ROUNDS: u32 = 6;
/// How often each server is started for its start-up figure (the median is reported).
const STARTS: usize = 7;

struct Options {
    quick: bool,
    /// Only seed, then measure start-up and idle memory.
    startup_only: bool,
    phase: Duration,
    certgate: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    /// The largest collection of the list-scaling phases.
    big: u64,
    /// Rounds of `certgate-bench reads` and `invoke`.
    rounds: usize,
    /// `invoke --serve`: set up, then serve until Ctrl-C instead of measuring.
    serve: bool,
}

const USAGE: &str =
    "usage: certgate-bench [--quick] [--startup-only] [--phase-secs N] [--certgate PATH] [--data-dir DIR]
       certgate-bench reads [--rounds N] [--phase-secs N] [--certgate PATH]
       certgate-bench invoke [--rounds N] [--phase-secs N] [--certgate PATH] [--serve]

  --quick          1-second phases and 10,000 instead of 100,000 certificates (about a minute)
  --startup-only   seed the database, then measure only start-up and idle memory
  --phase-secs N   seconds per measured phase (default 3)
  --certgate PATH  the certgate binary to measure (default: build target/release/certgate)
  --rounds N       rounds of `reads` (default 3) or `invoke` (default 5), interleaved
  --serve          `invoke` only: set up the backend, nginx and certgate, print where they
                   listen, and keep them until Ctrl-C (for profiling)
  --data-dir DIR   where certgate's database lives during the run (default: the temp dir); its
                   disk's fsync latency bounds Generate and Update";

impl Default for Options {
    fn default() -> Options {
        Options {
            quick: false,
            startup_only: false,
            phase: Duration::from_secs(3),
            certgate: None,
            data_dir: None,
            big: 100_000,
            rounds: 3,
            serve: false,
        }
    }
}

fn parse_args(args: &[String], mut o: Options) -> Result<Options, String> {
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--quick" => {
                o.quick = true;
                o.phase = Duration::from_secs(1);
                o.big = 10_000;
            }
            "--startup-only" => o.startup_only = true,
            "--serve" => o.serve = true,
            "--phase-secs" => {
                let secs: f64 = value()?.parse().map_err(|e| format!("--phase-secs: {e}"))?;
                o.phase = Duration::from_secs_f64(secs.max(0.1));
            }
            "--rounds" => o.rounds = value()?.parse().map_err(|e| format!("--rounds: {e}"))?,
            "--certgate" => o.certgate = Some(PathBuf::from(value()?)),
            "--data-dir" => o.data_dir = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let baseline = match args.first().map(String::as_str) {
        Some("hello") => Some(false),
        Some("fixed-certificate") => Some(true),
        _ => None,
    };
    if let Some(certificate) = baseline {
        return match hello::main(certificate) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("hello: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("load") {
        return load_only(&args[1..]);
    }
    // Hidden: the HTTPS backend of `invoke`, run by the bench itself in a process of its own.
    if args.first().map(String::as_str) == Some("backend") {
        return match backend::main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("backend: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let command = args
        .first()
        .map(String::as_str)
        .filter(|c| matches!(*c, "reads" | "invoke"))
        .unwrap_or_default();
    let args = if command.is_empty() {
        &args[..]
    } else {
        &args[1..]
    };
    // `invoke` runs 3 contenders at 3 connection counts per round: shorter phases, more rounds,
    // about a minute and a half in all.
    let defaults = if command == "invoke" {
        Options {
            phase: Duration::from_secs(2),
            rounds: 5,
            ..Options::default()
        }
    } else {
        Options::default()
    };
    let options = match parse_args(args, defaults) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    // The load generator runs on one thread, so that it takes at most one core from the server.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("certgate-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        "reads" => runtime.block_on(reads::run(options)),
        "invoke" => runtime.block_on(invoke::run(options)),
        _ => runtime.block_on(run(options)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("certgate-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `certgate-bench load ADDR PATH CLIENTS SECONDS [ACCOUNT]`: GETs PATH on a running server, for
/// profiling one request type in isolation. SECONDS may instead be a number of requests followed by
/// `r` (`2000r`), for counting instructions per request under callgrind.
fn load_only(args: &[String]) -> ExitCode {
    let [addr, path, clients, seconds, rest @ ..] = args else {
        eprintln!("usage: certgate-bench load ADDR PATH CLIENTS SECONDS|REQUESTSr [ACCOUNT]");
        return ExitCode::FAILURE;
    };
    let until = match seconds.strip_suffix('r') {
        Some(n) => n.parse().map(Until::Requests).ok(),
        None => seconds
            .parse::<f64>()
            .ok()
            .map(|s| Until::Elapsed(Duration::from_secs_f64(s))),
    };
    let (Ok(addr), Ok(clients), Some(until)) =
        (addr.parse::<std::net::SocketAddr>(), clients.parse(), until)
    else {
        eprintln!("bad ADDR, CLIENTS or SECONDS");
        return ExitCode::FAILURE;
    };
    let headers = rest.first().map(|a| auth(a)).unwrap_or_default();
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return ExitCode::FAILURE;
    };
    let stats = runtime.block_on(load::run(
        addr,
        clients,
        until,
        fixed(load::get(path, &headers)),
    ));
    println!(
        "{} ok, {:.1} req/s, p50 {:.3} ms, p99 {:.3} ms, {} failed {}",
        stats.ok,
        stats.rate(),
        stats.quantile_ms(0.5),
        stats.quantile_ms(0.99),
        stats.failed,
        stats.first_failure.as_deref().unwrap_or("")
    );
    ExitCode::SUCCESS
}

/// The certgate binary: the given one, or target/release/certgate built now.
fn certgate_binary(options: &Options) -> Result<PathBuf, String> {
    if let Some(path) = &options.certgate {
        return Ok(path.clone());
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = exe.parent().ok_or("the bench binary has no directory")?;
    // Under `cargo run` the bench knows its cargo; make sure the server binary is current.
    if let Ok(cargo) = std::env::var("CARGO") {
        eprintln!("building certgate (release)...");
        let status = Command::new(cargo)
            .args(["build", "--release", "-p", "certgate", "--bin", "certgate"])
            .status()
            .map_err(|e| format!("cargo build: {e}"))?;
        if !status.success() {
            return Err("cargo build of certgate failed".into());
        }
    }
    let path = dir.join("certgate");
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: run `cargo build --release` or pass --certgate",
            path.display()
        ))
    }
}

fn auth(account: &str) -> String {
    format!(
        "Authorization: AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=0\r\n"
    )
}

/// Raw RSA-2048 key generation with certgate-pki on every core for `duration`: the rate over all
/// cores, and each key's latency.
fn keygen_baseline(duration: Duration) -> Stats {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let started = Instant::now();
    let per_thread: Vec<Vec<u32>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(move || {
                    let mut latencies = Vec::new();
                    while started.elapsed() < duration {
                        let t = Instant::now();
                        if certgate_pki::PrivateKey::generate().is_ok() {
                            latencies.push(t.elapsed().as_micros() as u32);
                        }
                    }
                    latencies
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut stats = Stats {
        elapsed: started.elapsed(),
        latencies_us: per_thread.into_iter().flatten().collect(),
        ..Stats::default()
    };
    stats.ok = stats.latencies_us.len() as u64;
    stats.latencies_us.sort_unstable();
    stats
}

/// Issuing (signing) certificates with one key on one thread for `duration`: what a Generate with a
/// pooled key still has to do besides storing.
fn issue_baseline(duration: Duration) -> Result<Stats, String> {
    let key = certgate_pki::PrivateKey::generate().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut stats = Stats::default();
    while started.elapsed() < duration {
        let t = Instant::now();
        let profile = certgate_pki::Profile {
            serial: 1 + stats.ok,
            not_before: 1_767_225_600,
            not_after: 1_767_225_600 + certgate_core::VALIDITY_SECONDS,
        };
        certgate_pki::issue(&key, &profile).map_err(|e| e.to_string())?;
        stats.latencies_us.push(t.elapsed().as_micros() as u32);
        stats.ok += 1;
    }
    stats.elapsed = started.elapsed();
    stats.latencies_us.sort_unstable();
    Ok(stats)
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    format!(
        "{} cores ({model}), {:.1} GiB RAM",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        mem_kib as f64 / 1024.0 / 1024.0
    )
}

/// Seeds one database with the main account and the list-scaling accounts, on tmpfs when there is
/// one (importing 100,000 rows with an fsync each would take minutes on a disk), then copies it to
/// `db`. The rows are sealed under a master key written to `master.key` beside `db`, as certgate
/// itself would have left them (see `seed`).
async fn seed_database(db: &Path, big: u64) -> Result<Vec<String>, String> {
    let shm = Path::new("/dev/shm");
    let seed_dir = if shm.is_dir() {
        shm.join(format!("certgate-bench-seed-{}", std::process::id()))
    } else {
        db.parent().unwrap_or(Path::new(".")).join("seed")
    };
    std::fs::create_dir_all(&seed_dir).map_err(|e| e.to_string())?;
    let seed_db = seed_dir.join("certgate.db");
    let master = seed::master_key_file(&db.with_file_name("master.key"))?;
    let (ids, took) = seed::fill(&seed_db, MAIN_ACCOUNT, MAIN_CERTIFICATES, &master).await?;
    eprintln!("seeded {MAIN_CERTIFICATES} certificates in {took:.1?}");
    for (account, count) in SCALE_ACCOUNTS.iter().zip([10, 1_000, big]) {
        let (_, took) = seed::fill(&seed_db, account, count, &master).await?;
        eprintln!("seeded {count} certificates in {took:.1?}");
    }
    // The store is closed (every connection dropped, the WAL checkpointed): the file is complete.
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", seed_db.display()));
        let to = PathBuf::from(format!("{}{suffix}", db.display()));
        if from.exists() {
            std::fs::copy(&from, &to).map_err(|e| format!("copy to {}: {e}", to.display()))?;
        }
    }
    let _ = std::fs::remove_dir_all(&seed_dir);
    Ok(ids.iter().map(|i| i.as_str().to_string()).collect())
}

fn certgate_command(binary: &Path, db: &Path, pool: usize) -> Command {
    let mut command = Command::new(binary);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--store"])
        .arg(format!("sqlite://{}", db.display()))
        .args(["--max-certificates-per-region", "100000000"])
        .args(["--key-pool-size", &pool.to_string()])
        .env_remove("CERTGATE_LOG")
        .env_remove("CERTGATE_KEYGEN_THREADS")
        .env_remove("CERTGATE_KEY_POOL_WORKERS");
    command
}

/// Spawn-to-first-answer of each server, each started `STARTS` times, taking turns so that a
/// change in the machine's load falls on all of them alike. Returns every server's median, and
/// prints the spread.
async fn startups(
    work: &Path,
    servers: &[(&'static str, &dyn Fn() -> Command)],
) -> Result<Vec<Duration>, String> {
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); servers.len()];
    for _ in 0..STARTS {
        for (i, (name, command)) in servers.iter().enumerate() {
            let log = work.join(format!("startup-{i}.log"));
            let server = Server::start(name, command(), &log).await?;
            samples[i].push(server.startup);
            server.stop();
        }
    }
    let mut medians = Vec::new();
    for ((name, _), mut times) in servers.iter().zip(samples) {
        times.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let median = times[times.len() / 2];
        eprintln!(
            "start-up of {name}: median {:.1} ms (min {:.1}, max {:.1}, {} starts)",
            ms(median),
            ms(times[0]),
            ms(times[times.len() - 1]),
            times.len()
        );
        medians.push(median);
    }
    Ok(medians)
}

fn cycle(ids: &[String], build: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> RequestFn {
    let requests: Vec<Vec<u8>> = ids.iter().map(|id| build(id)).collect();
    Arc::new(move |n| requests[(n as usize) % requests.len()].clone())
}

fn fixed(request: Vec<u8>) -> RequestFn {
    Arc::new(move |_| request.clone())
}

async fn run(options: Options) -> Result<(), String> {
    let binary = certgate_binary(&options)?;
    let work = match &options.data_dir {
        Some(d) => d.join(format!("certgate-bench-{}", std::process::id())),
        None => std::env::temp_dir().join(format!("certgate-bench-{}", std::process::id())),
    };
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let result = measure(&options, &binary, &work).await;
    let _ = std::fs::remove_dir_all(&work);
    result
}

async fn measure(options: &Options, binary: &Path, work: &Path) -> Result<(), String> {
    let mut report = Report::new(machine(), options.quick, options.phase);
    report.print_header(binary, work);
    let phase = Until::Elapsed(options.phase);

    // Raw key generation first, with nothing else running.
    let keygen = keygen_baseline(options.phase.max(Duration::from_secs(2)));
    report.keygen(&keygen);
    report.issue(&issue_baseline(options.phase.min(Duration::from_secs(2)))?);

    let db = work.join("certgate.db");
    let ids = seed_database(&db, options.big).await?;

    // Start-up first, before any phase has written to the database.
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let hello_command = || {
        let mut command = Command::new(&exe);
        command.arg("hello");
        command
    };
    let pooled = || certgate_command(binary, &db, POOL_SIZE);
    let unpooled = || certgate_command(binary, &db, 0);
    let servers: [(&'static str, &dyn Fn() -> Command); 3] = [
        ("hello", &hello_command),
        ("certgate", &pooled),
        ("certgate --key-pool-size 0", &unpooled),
    ];
    let started = startups(work, &servers).await?;
    if options.startup_only {
        for ((name, command), startup) in servers.into_iter().zip(started) {
            let server = Server::start(name, command(), &work.join("idle.log")).await?;
            server.wait_idle(Duration::from_secs(60)).await;
            let idle = server.memory();
            report.server(name, startup, idle, server.memory());
            server.stop();
        }
        return Ok(());
    }

    // Hello world: the HTTP stack's ceiling.
    let hello = Server::start("hello", hello_command(), &work.join("hello.log")).await?;
    hello.wait_idle(Duration::from_secs(5)).await;
    let hello_idle = hello.memory();
    let hello_request = fixed(load::get("/clientcertificates/abcdef", ""));
    for clients in CLIENTS {
        let stats = load::run(hello.addr, clients, phase, hello_request.clone()).await;
        report.hello(clients, stats);
    }
    report.server("hello", started[0], hello_idle, hello.memory());
    hello.stop();

    // The fixed certificate: the same stack answering a Get's 1.3 KB from memory.
    let fixed_cert = Server::start(
        "fixed certificate",
        {
            let mut command = Command::new(&exe);
            command.arg("fixed-certificate");
            command
        },
        &work.join("fixed.log"),
    )
    .await?;
    for clients in CLIENTS {
        let stats = load::run(fixed_cert.addr, clients, phase, hello_request.clone()).await;
        report.fixed_certificate(clients, stats);
    }
    fixed_cert.stop();

    // certgate with a key pool.
    let server = Server::start("certgate", pooled(), &work.join("certgate.log")).await?;
    server.wait_idle(Duration::from_secs(60)).await;
    let idle = server.memory();
    let main = auth(MAIN_ACCOUNT);
    let reads: [(&str, RequestFn); 4] = [
        ("Get", {
            let h = main.clone();
            cycle(&ids, move |id| {
                load::get(&format!("/clientcertificates/{id}"), &h)
            })
        }),
        (
            "List limit=25",
            fixed(load::get("/clientcertificates?limit=25", &main)),
        ),
        (
            "List limit=500",
            fixed(load::get("/clientcertificates?limit=500", &main)),
        ),
        ("Update", {
            let h = main.clone();
            cycle(&ids, move |id| {
                load::with_body(
                    "PATCH",
                    &format!("/clientcertificates/{id}"),
                    &h,
                    r#"{"patchOperations":[{"op":"replace","path":"/description","value":"updated by the benchmark"}]}"#,
                )
            })
        }),
    ];
    for (name, request) in reads {
        for clients in CLIENTS {
            let stats = load::run(server.addr, clients, phase, request.clone()).await;
            report.against_hello(name, clients, stats);
        }
    }
    // Pages of 10, so that every size answers the same number of items (the smallest region holds
    // only 10) and the figures differ only by the size of the collection behind the page.
    // The three sizes take turns in short slices, so that a change in the machine's background load
    // falls on all of them alike instead of on whichever ran at that moment.
    let sizes: Vec<(u64, RequestFn)> = SCALE_ACCOUNTS
        .iter()
        .zip([10, 1_000, options.big])
        .map(|(account, count)| {
            (
                count,
                fixed(load::get("/clientcertificates?limit=10", &auth(account))),
            )
        })
        .collect();
    for clients in [1, 64] {
        let mut merged: Vec<Stats> = vec![Stats::default(); sizes.len()];
        for _ in 0..SCALE_ROUNDS {
            for (i, (_, request)) in sizes.iter().enumerate() {
                let slice = Until::Elapsed(options.phase / SCALE_ROUNDS);
                merged[i].merge(load::run(server.addr, clients, slice, request.clone()).await);
            }
        }
        for ((count, _), stats) in sizes.iter().zip(merged) {
            report.list_scale(*count, clients, stats);
        }
    }
    let generate = fixed(load::with_body("POST", "/clientcertificates", &main, "{}"));
    for clients in CLIENTS {
        // A full pool before each phase, and fewer requests than it holds.
        server.wait_idle(Duration::from_secs(60)).await;
        let stats = load::run(
            server.addr,
            clients,
            Until::Requests(WARM_REQUESTS),
            generate.clone(),
        )
        .await;
        report.against_keygen("Generate, pool warm", clients, stats);
    }
    server.wait_idle(Duration::from_secs(60)).await;
    let stats = load::run(
        server.addr,
        64,
        Until::Elapsed(options.phase * 2),
        generate.clone(),
    )
    .await;
    report.against_keygen(&format!("Generate sustained, pool {POOL_SIZE}"), 64, stats);
    report.server("certgate", started[1], idle, server.memory());
    server.stop();

    // certgate without a pool: every Generate makes its key.
    let server = Server::start("certgate", unpooled(), &work.join("certgate-nopool.log")).await?;
    server.wait_idle(Duration::from_secs(10)).await;
    let idle = server.memory();
    for clients in CLIENTS {
        let stats = load::run(server.addr, clients, phase, generate.clone()).await;
        report.against_keygen("Generate, pool off", clients, stats);
    }
    report.server(
        "certgate --key-pool-size 0",
        started[2],
        idle,
        server.memory(),
    );
    server.stop();

    report.summary();
    Ok(())
}
