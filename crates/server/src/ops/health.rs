//! `GET /_certgate/health`: whether this certgate can serve, for load balancers and orchestrators.
//! The store is asked one cheap question (a setting read, a point lookup on every engine) under a
//! short deadline, so a hung database makes the check fail instead of hang.
//!
//! A store that answers reads may still refuse writes (a full disk: SQLite then answers every write
//! with an error while reads go on). So the check also writes one small setting, at most once every
//! [`WRITE_PROBE_EVERY`] while writes work, and on every check while they do not, so that a store
//! that can write again is reported healthy at the next check.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::metrics::KeyPoolFill;
use super::metrics::Metrics;
use certgate_service::Service;

/// How long the store may take to answer before it counts as not answering.
const STORE_DEADLINE: Duration = Duration::from_secs(2);

/// A setting no one writes: reading it costs one indexed lookup and exercises a real connection.
const PROBE_SETTING: &str = "certgate.health-probe";

/// The setting the write probe overwrites (with the time of the probe).
const WRITE_PROBE_SETTING: &str = "certgate.health-write-probe";

/// How long a successful write probe is trusted: health checks come every few seconds, and a write
/// each time would cost a disk sync each time.
pub const WRITE_PROBE_EVERY: Duration = Duration::from_secs(5);

/// The last write probe: when, and why it failed if it did. Shared by every health check of a
/// server; one check probes at a time.
#[derive(Debug, Default)]
pub struct WriteProbe {
    last: tokio::sync::Mutex<Option<(Instant, Option<&'static str>)>>,
}

impl WriteProbe {
    /// Why the store cannot write, or `None` if it can, probing when the last result is stale.
    async fn check(&self, service: &Service) -> Option<&'static str> {
        // A check that comes while another probes waits for its result (within its deadline).
        let mut last = self.last.lock().await;
        if let Some((at, None)) = *last {
            if at.elapsed() < WRITE_PROBE_EVERY {
                return None;
            }
        }
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .to_string();
        let write = service
            .store()
            .put_setting(WRITE_PROBE_SETTING, stamp.as_bytes());
        let error = match tokio::time::timeout(STORE_DEADLINE, write).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "health check: the store cannot write");
                Some("store cannot write")
            }
            Err(_) => {
                tracing::warn!("health check: a store write did not finish in time");
                Some("write timeout")
            }
        };
        *last = Some((Instant::now(), error));
        error
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    /// "ok" when every part answers, "unavailable" otherwise.
    pub status: &'static str,
    pub version: &'static str,
    pub store: StoreReport,
    /// The key pool's fill; null while certgate runs without a key pool.
    pub key_pool: Option<KeyPoolFill>,
}

#[derive(Debug, Serialize)]
pub struct StoreReport {
    pub engine: &'static str,
    pub ok: bool,
    /// How long the probe took, in milliseconds.
    pub latency_ms: f64,
    /// Why the store did not answer (its error kind, never connection details).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
}

/// The report and whether certgate is healthy.
pub async fn report(service: &Service, metrics: &Metrics, probe: &WriteProbe) -> (bool, Report) {
    let store = service.store();
    let started = Instant::now();
    let outcome = tokio::time::timeout(STORE_DEADLINE, store.setting(PROBE_SETTING)).await;
    let error = match outcome {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: the store failed");
            Some("store error")
        }
        Err(_) => {
            tracing::warn!("health check: the store did not answer in time");
            Some("timeout")
        }
    };
    // Writes are probed only when reads work: a store that cannot read has said enough.
    let error = match error {
        Some(e) => Some(e),
        None => probe.check(service).await,
    };
    let ok = error.is_none();
    let report = Report {
        status: if ok { "ok" } else { "unavailable" },
        version: env!("CARGO_PKG_VERSION"),
        store: StoreReport {
            engine: store.engine(),
            ok,
            latency_ms: started.elapsed().as_secs_f64() * 1000.0,
            error,
        },
        key_pool: metrics.key_pool_fill(),
    };
    (ok, report)
}
