//! `certgate certs list`: the certificates of a store with their expiry, read straight from the
//! store (no server needed), as a table for people or JSON for scripts. The exit code is the alert a
//! cron job needs: 0 when nothing expires within the window, 1 when something does (an expired
//! certificate counts), 2 when the listing itself failed.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use certgate_core::expiry::{self, ExpiryStatus};
use certgate_core::source::{Clock, OffsetClock, SystemClock};
use certgate_core::{AccountId, Region};
use certgate_store::StoreUrl;
use serde_json::json;

use crate::inventory::{self, Entry, Filter};

/// The window used for the exit code (and the status column) when `--expiring-within` is not given.
pub const DEFAULT_WINDOW: &str = "30d";

/// At most this many rows are listed; a store holding more is reported as an error rather than
/// silently cut short, since a missing row could hide an expiring certificate.
const MAX_ROWS: usize = 1_000_000;

/// How `certgate certs list` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Table,
    Json,
}

/// What `certgate certs list` was asked for.
#[derive(Debug, Clone)]
pub struct ListConfig {
    /// The store to read, as a URL.
    pub store: String,
    pub account: Option<AccountId>,
    pub region: Option<Region>,
    /// List only certificates expiring within this many seconds (or expired).
    pub expiring_within: Option<i64>,
    /// Seconds between the machine's clock and the one expiry is judged by.
    pub clock_offset: Option<i64>,
    pub output: Output,
}

/// Runs `certgate certs list` and returns the process's exit code: 0 when nothing expires within
/// the window, 1 when something does, 2 when the listing failed.
pub async fn run_list(config: ListConfig) -> ExitCode {
    match list(&config).await {
        Ok(something_expiring) => ExitCode::from(u8::from(something_expiring)),
        Err(message) => {
            eprintln!("certgate: {message}");
            ExitCode::from(2)
        }
    }
}

/// Lists and prints; returns whether any listed certificate expires within the window.
async fn list(args: &ListConfig) -> Result<bool, String> {
    let url = StoreUrl::parse(&args.store)?;
    // Opening a SQLite store creates it; a mistyped path must be an error, not an empty listing
    // that tells a cron job all is well. (Other engines are coming, hence the `if let`.)
    #[allow(irrefutable_let_patterns)]
    if let StoreUrl::Sqlite(path) = &url {
        if !path.is_file() {
            return Err(format!("no store at {}", path.display()));
        }
    }
    let store = certgate_store::open(&url)
        .await
        .map_err(|e| format!("cannot open store {}: {e}", args.store))?;
    let clock = OffsetClock::new(Arc::new(SystemClock), args.clock_offset.unwrap_or(0));
    let now = clock.now();
    let filter = Filter {
        account: args.account.clone(),
        region: args.region.clone(),
    };
    let read = inventory::read(store.as_ref(), &filter, MAX_ROWS)
        .await
        .map_err(|e| format!("cannot read store {}: {e}", args.store))?;
    if read.truncated {
        return Err(format!(
            "more than {MAX_ROWS} certificates match; narrow with --account or --region"
        ));
    }
    let window = match args.expiring_within {
        Some(w) => w,
        None => expiry::parse_duration(DEFAULT_WINDOW)?,
    };
    let entries: Vec<&Entry> = read
        .entries
        .iter()
        .filter(|e| args.expiring_within.is_none() || e.status(now, window).needs_rotation())
        .collect();
    let expiring = entries
        .iter()
        .filter(|e| e.status(now, window).needs_rotation())
        .count();
    let text = match args.output {
        Output::Json => {
            let doc = json!({
                "now": expiry::rfc3339(now),
                "windowSeconds": window,
                "expiring": expiring,
                "certificates": entries.iter().map(|e| e.to_json(now, window)).collect::<Vec<_>>(),
            });
            format!("{doc:#}\n")
        }
        Output::Table => table(&entries, now, window, expiring),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write the listing: {e}"))?;
    Ok(expiring > 0)
}

/// Widest description shown in the table; longer ones are cut with an ellipsis.
const DESCRIPTION_WIDTH: usize = 40;

/// Makes a user-supplied text safe for one table cell: no control characters (a description could
/// otherwise move the cursor or forge extra lines), at most `DESCRIPTION_WIDTH` characters.
fn cell(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() > DESCRIPTION_WIDTH {
        let cut: String = clean.chars().take(DESCRIPTION_WIDTH - 1).collect();
        format!("{cut}…")
    } else {
        clean
    }
}

/// A user-supplied text (a REST API's name) made safe for one line of its own.
fn cell_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The human form: aligned columns, then one summary line.
pub fn table(entries: &[&Entry], now: i64, window: i64, expiring: usize) -> String {
    let header = [
        "ACCOUNT",
        "REGION",
        "ID",
        "DESCRIPTION",
        "CREATED",
        "EXPIRES",
        "DAYS LEFT",
        "STATUS",
        "STAGES",
    ];
    let rows: Vec<[String; 9]> = entries
        .iter()
        .map(|e| {
            let c = &e.certificate;
            [
                e.scope.account.to_string(),
                e.scope.region.to_string(),
                c.id.to_string(),
                cell(c.description.as_deref().unwrap_or("")),
                expiry::rfc3339(c.created),
                expiry::rfc3339(c.expires),
                e.days_left(now).to_string(),
                e.status(now, window).as_str().to_string(),
                cell(
                    &e.stages
                        .iter()
                        .map(|s| format!("{} of {}", s.stage, s.api_name))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, v) in widths.iter_mut().zip(row) {
            *w = (*w).max(v.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(v, w)| format!("{v}{}", " ".repeat(w.saturating_sub(v.chars().count()))))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(header.to_vec());
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    let expired = entries
        .iter()
        .filter(|e| e.status(now, window) == ExpiryStatus::Expired)
        .count();
    for e in entries {
        for warning in e.warnings(now, window) {
            out.push_str(&format!("warning: {}\n", cell_line(&warning)));
        }
    }
    out.push_str(&format!(
        "{} certificate(s) listed at {}; {expiring} expire within {} ({expired} already expired)\n",
        entries.len(),
        expiry::rfc3339(now),
        human_duration(window),
    ));
    out
}

/// A window as the user would have written it: `30d`, `12h`, `90m` or seconds.
fn human_duration(seconds: i64) -> String {
    for (unit, size) in [
        ("d", expiry::DAY),
        ("h", expiry::HOUR),
        ("m", expiry::MINUTE),
    ] {
        if seconds != 0 && seconds % size == 0 {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{seconds}s")
}

#[cfg(test)]
mod tests;
