//! `certgate-bench reads`: the read path's figures only, against both baselines, in interleaved
//! rounds. Each round measures hello world, the fixed certificate and certgate one after another,
//! so that a change in the machine's load falls on all three alike; the ratios of each round are
//! printed, then their medians over the rounds against the read path's targets.
//!
//! The figures: Get at 64 clients against the fixed certificate (the same HTTP stack answering the
//! same 1.3 KB from memory), List of 25 and of 500 at 64 clients against hello world, and the p50 of
//! Get at one client against hello world's. Besides requests/s, every phase prints its
//! server's CPU time per request (`utime + stime` over the phase), which moves far less than
//! throughput does on a shared machine.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::load::{self, RequestFn, Stats, Until};
use crate::proc::Server;
use crate::{auth, certgate_binary, certgate_command, cycle, fixed, seed, Options};
use crate::{MAIN_ACCOUNT, MAIN_CERTIFICATES};

/// One round's figures, in the order they are printed.
#[derive(Default, Clone, Copy)]
struct Round {
    get64_vs_fixed: f64,
    list25_vs_hello: f64,
    list500_vs_hello: f64,
    get1_p50_vs_hello: f64,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// Runs one phase and prints its line, with the server's CPU time per request.
async fn phase(
    name: &str,
    target: &Server,
    clients: usize,
    length: Duration,
    request: &RequestFn,
) -> Stats {
    let before = target.cpu_ticks();
    let stats = load::run(
        target.addr,
        clients,
        Until::Elapsed(length),
        request.clone(),
    )
    .await;
    let ticks = target.cpu_ticks().saturating_sub(before);
    // Clock ticks are 10 ms on Linux (USER_HZ is 100).
    let cpu_us = ticks as f64 * 10_000.0 / (stats.ok.max(1) as f64);
    let failed = if stats.failed > 0 {
        format!(
            "  {} failed: {}",
            stats.failed,
            stats
                .first_failure
                .as_deref()
                .unwrap_or("?")
                .lines()
                .next()
                .unwrap_or("")
        )
    } else {
        String::new()
    };
    println!(
        "  {name:<28} c={clients:<3} {:>9.1} req/s  p50 {:>7.3} ms  p99 {:>7.3} ms  CPU {cpu_us:>6.1} µs/req{failed}",
        stats.rate(),
        stats.quantile_ms(0.5),
        stats.quantile_ms(0.99),
    );
    stats
}

pub async fn run(options: Options) -> Result<(), String> {
    let binary = certgate_binary(&options)?;
    let work = std::env::temp_dir().join(format!("certgate-bench-reads-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let result = measure(&options, &binary, &work).await;
    let _ = std::fs::remove_dir_all(&work);
    result
}

async fn measure(options: &Options, binary: &Path, work: &Path) -> Result<(), String> {
    let db = work.join("certgate.db");
    let master = seed::master_key_file(&work.join("master.key"))?;
    let (ids, _) = seed::fill(&db, MAIN_ACCOUNT, MAIN_CERTIFICATES, &master).await?;
    let ids: Vec<String> = ids.iter().map(|i| i.as_str().to_string()).collect();
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let baseline = |mode: &str| {
        let mut command = Command::new(&exe);
        command.arg(mode);
        command
    };
    let hello = Server::start("hello", baseline("hello"), &work.join("hello.log")).await?;
    let fixed_cert = Server::start(
        "fixed certificate",
        baseline("fixed-certificate"),
        &work.join("fixed.log"),
    )
    .await?;
    // No key pool: its filling would take CPU from the phases.
    let certgate = Server::start(
        "certgate",
        certgate_command(binary, &db, 0),
        &work.join("certgate.log"),
    )
    .await?;
    certgate.wait_idle(Duration::from_secs(10)).await;

    let main = auth(MAIN_ACCOUNT);
    let hello_request = fixed(load::get("/clientcertificates/abcdef", ""));
    let get = {
        let h = main.clone();
        cycle(&ids, move |id| {
            load::get(&format!("/clientcertificates/{id}"), &h)
        })
    };
    let list25 = fixed(load::get("/clientcertificates?limit=25", &main));
    let list500 = fixed(load::get("/clientcertificates?limit=500", &main));
    let length = options.phase;
    println!(
        "certgate-bench reads: {} rounds of {:.1?} phases; binary {}",
        options.rounds,
        length,
        binary.display()
    );
    let mut rounds = Vec::new();
    for round in 1..=options.rounds {
        println!("round {round}");
        let h64 = phase("hello world", &hello, 64, length, &hello_request).await;
        // The very requests certgate's Get phase sends, signature header and all.
        let f64_ = phase("fixed certificate", &fixed_cert, 64, length, &get).await;
        let g64 = phase("Get", &certgate, 64, length, &get).await;
        let l25 = phase("List limit=25", &certgate, 64, length, &list25).await;
        let l500 = phase("List limit=500", &certgate, 64, length, &list500).await;
        let h1 = phase("hello world", &hello, 1, length, &hello_request).await;
        let g1 = phase("Get", &certgate, 1, length, &get).await;
        let r = Round {
            get64_vs_fixed: g64.rate() / f64_.rate().max(1e-9),
            list25_vs_hello: l25.rate() / h64.rate().max(1e-9),
            list500_vs_hello: l500.rate() / h64.rate().max(1e-9),
            get1_p50_vs_hello: g1.quantile_ms(0.5) / h1.quantile_ms(0.5).max(1e-9),
        };
        println!(
            "  ratios: Get@64/fixed {:.2}  List25@64/hello {:.2}  List500@64/hello {:.3}  Get p50@1/hello {:.2}x",
            r.get64_vs_fixed, r.list25_vs_hello, r.list500_vs_hello, r.get1_p50_vs_hello
        );
        rounds.push(r);
    }
    let m = |f: fn(&Round) -> f64| median(rounds.iter().map(f).collect());
    let check = |ok: bool| if ok { "met   " } else { "MISSED" };
    let (g, l25, l500, p50) = (
        m(|r| r.get64_vs_fixed),
        m(|r| r.list25_vs_hello),
        m(|r| r.list500_vs_hello),
        m(|r| r.get1_p50_vs_hello),
    );
    println!("medians over {} rounds", rounds.len());
    println!(
        "  {} Get at 64 clients >= 0.80 of the fixed certificate: {g:.2}",
        check(g >= 0.8)
    );
    println!(
        "  {} List limit=25 at 64 clients >= 0.40 of hello world: {l25:.2}",
        check(l25 >= 0.4)
    );
    println!(
        "  {} List limit=500 at 64 clients >= 0.05 of hello world: {l500:.3}",
        check(l500 >= 0.05)
    );
    println!(
        "  {} Get p50 at 1 client <= 1.5x hello world's: {p50:.2}x",
        check(p50 <= 1.5)
    );
    for server in [hello, fixed_cert, certgate] {
        server.stop();
    }
    Ok(())
}
