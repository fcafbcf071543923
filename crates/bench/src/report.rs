//! Prints each figure as it is measured, with its ratio to its baseline, and checks the targets at
//! the end.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::load::Stats;
use crate::proc::Memory;

pub struct Report {
    machine: String,
    quick: bool,
    phase: Duration,
    keygen_rate: f64,
    keygen_p50: f64,
    hello: BTreeMap<usize, (f64, f64)>,
    /// The fixed-certificate server, by clients: (req/s, p50 ms).
    fixed: BTreeMap<usize, (f64, f64)>,
    /// (figure, clients) → (req/s, p50 ms, p99 ms), for the summary.
    seen: BTreeMap<(String, usize), (f64, f64, f64)>,
    /// List at the smallest collection, by clients: the baseline of the larger ones.
    list_small: BTreeMap<usize, (f64, f64)>,
    /// (name, startup, idle, memory) of every server, hello first.
    servers: Vec<(String, Duration, Memory, Memory)>,
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn ratio(value: f64, baseline: f64) -> String {
    if baseline > 0.0 {
        format!("{:>6.2}x", value / baseline)
    } else {
        "     - ".into()
    }
}

impl Report {
    pub fn new(machine: String, quick: bool, phase: Duration) -> Report {
        Report {
            machine,
            quick,
            phase,
            keygen_rate: 0.0,
            keygen_p50: 0.0,
            hello: BTreeMap::new(),
            fixed: BTreeMap::new(),
            seen: BTreeMap::new(),
            list_small: BTreeMap::new(),
            servers: Vec::new(),
        }
    }

    pub fn print_header(&self, binary: &Path, work: &Path) {
        println!(
            "certgate benchmark{}",
            if self.quick { " (--quick)" } else { "" }
        );
        println!("machine:  {}", self.machine);
        println!("binary:   {}", binary.display());
        println!("data dir: {}", work.display());
        println!("phases:   {:.1?} each; load generator: 1 thread, keep-alive HTTP/1.1, unsigned-cost SigV4 header", self.phase);
        println!();
        println!(
            "{:<36} {:>3}  {:>9}  {:>9}  {:>9}   ratio req/s, p50  (baseline)",
            "figure", "c", "req/s", "p50 ms", "p99 ms"
        );
    }

    fn row(
        &mut self,
        name: &str,
        clients: usize,
        s: &Stats,
        base_rate: f64,
        base_p50: f64,
        label: &str,
    ) {
        let (rate, p50, p99) = (s.rate(), s.quantile_ms(0.5), s.quantile_ms(0.99));
        println!(
            "{name:<36} {clients:>3}  {rate:>9.1}  {p50:>9.3}  {p99:>9.3}   {} {}  ({label})",
            ratio(rate, base_rate),
            ratio(p50, base_p50),
        );
        if s.failed > 0 {
            println!(
                "    {} failed; first: {}",
                s.failed,
                s.first_failure
                    .as_deref()
                    .unwrap_or("?")
                    .lines()
                    .next()
                    .unwrap_or("")
            );
        }
        self.seen
            .insert((name.to_string(), clients), (rate, p50, p99));
    }

    pub fn keygen(&mut self, s: &Stats) {
        self.keygen_rate = s.rate();
        self.keygen_p50 = s.quantile_ms(0.5);
        self.row(
            "raw RSA-2048 keygen, all cores",
            0,
            s,
            0.0,
            0.0,
            "baseline of Generate",
        );
    }

    pub fn issue(&mut self, s: &Stats) {
        self.row(
            "certificate signing (issue), 1 core",
            0,
            s,
            0.0,
            0.0,
            "the CPU part of a warm Generate",
        );
    }

    pub fn hello(&mut self, clients: usize, s: Stats) {
        self.hello.insert(clients, (s.rate(), s.quantile_ms(0.5)));
        self.row(
            "hello world (axum)",
            clients,
            &s,
            0.0,
            0.0,
            "baseline of reads",
        );
    }

    pub fn fixed_certificate(&mut self, clients: usize, s: Stats) {
        self.fixed.insert(clients, (s.rate(), s.quantile_ms(0.5)));
        let (rate, p50) = self.hello.get(&clients).copied().unwrap_or_default();
        self.row(
            "fixed certificate JSON (axum)",
            clients,
            &s,
            rate,
            p50,
            "vs hello world; baseline of Get",
        );
    }

    pub fn against_hello(&mut self, name: &str, clients: usize, s: Stats) {
        let (rate, p50) = self.hello.get(&clients).copied().unwrap_or_default();
        self.row(name, clients, &s, rate, p50, "vs hello world");
    }

    pub fn against_keygen(&mut self, name: &str, clients: usize, s: Stats) {
        let (rate, p50) = (self.keygen_rate, self.keygen_p50);
        self.row(
            name,
            clients,
            &s,
            rate,
            p50,
            "vs raw keygen rate, one key's p50",
        );
    }

    pub fn list_scale(&mut self, count: u64, clients: usize, s: Stats) {
        if self.list_small.is_empty() || !self.list_small.contains_key(&clients) {
            self.list_small
                .insert(clients, (s.rate(), s.quantile_ms(0.5)));
        }
        let (rate, p50) = self.list_small.get(&clients).copied().unwrap_or_default();
        self.row(
            &format!("List 10 of {count} certificates"),
            clients,
            &s,
            rate,
            p50,
            "vs List of 10",
        );
    }

    pub fn server(&mut self, name: &str, startup: Duration, idle: Memory, memory: Memory) {
        let base = self.servers.first().cloned();
        let (b_start, b_idle, b_peak) = base
            .map(|(_, s, i, m)| (s.as_secs_f64() * 1000.0, mib(i.rss_kib), mib(m.peak_kib)))
            .unwrap_or_default();
        let start_ms = startup.as_secs_f64() * 1000.0;
        println!(
            "{name:<36} start-up {start_ms:>7.1} ms {}  idle RSS {:>6.1} MiB {}  peak RSS {:>6.1} MiB {}  (vs hello world)",
            ratio(start_ms, b_start),
            mib(idle.rss_kib),
            ratio(mib(idle.rss_kib), b_idle),
            mib(memory.peak_kib),
            ratio(mib(memory.peak_kib), b_peak),
        );
        self.servers.push((name.to_string(), startup, idle, memory));
    }

    fn get(&self, name: &str, clients: usize) -> (f64, f64, f64) {
        self.seen
            .get(&(name.to_string(), clients))
            .copied()
            .unwrap_or_default()
    }

    /// The issue's targets, each with what was measured.
    pub fn summary(&self) {
        println!();
        println!("targets");
        let check = |ok: bool| if ok { "met   " } else { "MISSED" };
        let warm = self.get("Generate, pool warm", 1);
        println!(
            "  {} Generate, pool warm, p50 < 5 ms (1 client): {:.2} ms",
            check(warm.1 < 5.0),
            warm.1
        );
        let sustained = self
            .seen
            .iter()
            .filter(|((n, c), _)| n.starts_with("Generate") && !n.contains("warm") && *c == 64)
            .map(|(_, v)| v.0)
            .fold(0.0, f64::max);
        let share = sustained / self.keygen_rate.max(1e-9);
        println!(
            "  {} sustained Generate >= 90% of raw keygen ({:.1}/s): {:.1}/s = {:.0}%",
            check(share >= 0.9),
            self.keygen_rate,
            sustained,
            share * 100.0
        );
        // The read path's targets (issue 16), each a ratio within this run.
        let hello64 = self.hello.get(&64).map_or(0.0, |h| h.0);
        let fixed64 = self.fixed.get(&64).map_or(0.0, |h| h.0);
        let r = self.get("Get", 64).0 / fixed64.max(1e-9);
        println!(
            "  {} Get >= 0.80 of the fixed certificate at 64 clients: {r:.2}",
            check(r >= 0.8)
        );
        for (name, target) in [("List limit=25", 0.4), ("List limit=500", 0.05)] {
            let r = self.get(name, 64).0 / hello64.max(1e-9);
            println!(
                "  {} {name} >= {target:.2} of hello world at 64 clients: {r:.3}",
                check(r >= target)
            );
        }
        let hello_p50 = self.hello.get(&1).map_or(0.0, |h| h.1);
        let r = self.get("Get", 1).1 / hello_p50.max(1e-9);
        println!(
            "  {} Get p50 at 1 client <= 1.5x hello world's: {r:.2}x",
            check(r <= 1.5)
        );
        if let Some((_, startup, idle, _)) = self.servers.iter().find(|s| s.0 == "certgate") {
            let ms = startup.as_secs_f64() * 1000.0;
            println!(
                "  {} start-up to first answer < 50 ms: {ms:.1} ms",
                check(ms < 50.0)
            );
            let m = mib(idle.rss_kib);
            println!("  {} idle RSS < 30 MiB: {m:.1} MiB", check(m < 30.0));
        }
        let small = self.list_small.get(&1).map_or(0.0, |l| l.1);
        if let Some(((name, _), big)) = self
            .seen
            .iter()
            .filter(|((n, c), _)| n.starts_with("List 10 of") && *c == 1)
            .max_by_key(|((n, _), _)| n.split(' ').nth(3).and_then(|v| v.parse::<u64>().ok()))
        {
            let r = big.1 / small.max(1e-9);
            println!("  {} {name} p50 within 20% of 10 certificates: {:.3} ms vs {small:.3} ms ({:+.0}%)", check(r <= 1.2), big.1, (r - 1.0) * 100.0);
        }
    }
}
