//! `GET /_certgate/health`: whether this certgate can serve, for load balancers and orchestrators.
//! The store is asked one cheap question (a setting read, a point lookup on every engine) under a
//! short deadline, so a hung database makes the check fail instead of hang.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::metrics::KeyPoolFill;
use super::metrics::Metrics;
use certgate_service::Service;

/// How long the store may take to answer before it counts as not answering.
const STORE_DEADLINE: Duration = Duration::from_secs(2);

/// A setting no one writes: reading it costs one indexed lookup and exercises a real connection.
const PROBE_SETTING: &str = "certgate.health-probe";

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
pub async fn report(service: &Service, metrics: &Metrics) -> (bool, Report) {
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
