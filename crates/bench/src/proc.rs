//! The servers under test as child processes: start one and time it until it first answers, read
//! its memory from /proc, wait until it is idle, stop it with SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use crate::load;

pub struct Server {
    pub addr: SocketAddr,
    /// From spawning the process to its first answered HTTP request.
    pub startup: Duration,
    child: Child,
    _stdout: BufReader<ChildStdout>,
}

/// Memory of a process, from /proc/PID/status, in KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub rss_kib: u64,
    pub peak_kib: u64,
}

impl Server {
    /// Spawns `command` (whose first stdout line must end in `http://ADDR`) and waits until it
    /// answers an HTTP request.
    pub async fn start(name: &'static str, command: Command, log: &Path) -> Result<Server, String> {
        Server::start_tls(name, command, log, None).await
    }

    /// [`Server::start`] for a server that may speak HTTPS (its line ending in `https://ADDR`),
    /// probed through `tls` when given.
    pub async fn start_tls(
        name: &'static str,
        mut command: Command,
        log: &Path,
        tls: Option<load::Tls>,
    ) -> Result<Server, String> {
        let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let started = Instant::now();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (line, stdout) = tokio::task::spawn_blocking(move || {
            let mut stdout = BufReader::new(stdout);
            let mut line = String::new();
            let read = stdout.read_line(&mut line);
            (read.map(|_| line), stdout)
        })
        .await
        .map_err(|e| e.to_string())?;
        let line = line.map_err(|e| format!("{name}: {e}"))?;
        let addr: SocketAddr = line
            .trim_end()
            .rsplit("://")
            .next()
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| {
                let _ = child.kill();
                format!(
                    "{name} printed {line:?}; its log:\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                )
            })?;
        // The first successful answer to the health check, which certgate answers only after
        // asking its store (hello world answers every path).
        let probe = load::get("/_certgate/health", "");
        let probe: load::RequestFn = std::sync::Arc::new(move |_| probe.clone());
        let target = load::Target { addr, tls };
        loop {
            let answered =
                load::run(target.clone(), 1, load::Until::Requests(1), probe.clone()).await;
            if answered.ok > 0 {
                break;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                return Err(format!("{name} did not answer within 30 s"));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(Server {
            addr,
            startup: started.elapsed(),
            child,
            _stdout: stdout,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn memory(&self) -> Memory {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        Memory {
            rss_kib: field("VmRSS:"),
            peak_kib: field("VmHWM:"),
        }
    }

    /// CPU time the process has used so far, in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        stat_ticks(&self.pid().to_string()).0
    }

    /// CPU time of the process and of its live children, in clock ticks: nginx's workers are
    /// processes of their own, which the master's figure does not count until they exit.
    pub fn cpu_ticks_with_children(&self) -> u64 {
        let pid = self.pid();
        let mut ticks = self.cpu_ticks();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let name = entry.file_name();
            let Some(child) = name
                .to_str()
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue;
            };
            let (child_ticks, parent) = stat_ticks(child);
            if parent == pid {
                ticks += child_ticks;
            }
        }
        ticks
    }

    /// Waits until the process has used (almost) no CPU for a quarter of a second: its key pool is
    /// full and nothing else is running. Gives up after `limit`.
    pub async fn wait_idle(&self, limit: Duration) {
        let started = Instant::now();
        let mut last = self.cpu_ticks();
        while started.elapsed() < limit {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let now = self.cpu_ticks();
            if now.saturating_sub(last) <= 1 {
                return;
            }
            last = now;
        }
    }

    /// SIGTERM, then wait for the exit (SIGKILL after 10 s).
    pub fn stop(mut self) {
        self.terminate(Duration::from_secs(10));
    }

    /// SIGTERM, and SIGKILL if the process has not exited after `grace`. Never SIGKILL first:
    /// nginx's master, killed outright, leaves its workers running.
    fn terminate(&mut self, grace: Duration) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    /// A server dropped on an error path (or at the end of `invoke --serve`) ends as `stop` ends
    /// it, only sooner.
    fn drop(&mut self) {
        self.terminate(Duration::from_secs(2));
    }
}

/// utime + stime of a process (`self` for this one), in clock ticks, and its parent's pid.
pub fn stat_ticks(pid: &str) -> (u64, u32) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let parse = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // ppid is field 4 of the whole line, utime and stime fields 14 and 15: 2, 12 and 13 after
    // the name.
    (parse(11) + parse(12), parse(1) as u32)
}
