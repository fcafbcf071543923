//! The data plane's metrics and log line: one line per invocation (API, stage, resource path,
//! method, status, the backend's status and latency, the certificate presented), and the counts
//! behind them. Labels are the API's id and the stage's name, which the caller can only choose
//! among stages that exist: an invocation of an unknown stage is counted under `-`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use certgate_proxy::invoke::Invoked;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InvokeLabels {
    api: String,
    stage: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CauseLabels {
    cause: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PresentedLabels {
    api: String,
    stage: String,
    certificate: String,
}

/// What the data plane registers so that a scrape can read the certificates it presents.
pub type PresentedProbe = Arc<dyn Fn() -> Vec<certgate_proxy::invoke::PresentedBy> + Send + Sync>;

pub(crate) struct InvokeMetrics {
    invokes: Family<InvokeLabels, Counter>,
    backend_latency: Histogram,
    failures: Family<CauseLabels, Counter>,
    days_left: Family<PresentedLabels, Gauge>,
    presented: OnceLock<PresentedProbe>,
}

impl InvokeMetrics {
    pub(crate) fn register(registry: &mut Registry) -> InvokeMetrics {
        let invokes = Family::<InvokeLabels, Counter>::default();
        registry.register(
            "invokes",
            "Invocations of stages answered, by API, stage and HTTP status",
            invokes.clone(),
        );
        // 0.25 ms to about 32 s: a backend on loopback answers in well under a millisecond, and
        // integrations may take up to 29 s.
        let backend_latency = Histogram::new(exponential_buckets(0.000_25, 2.0, 18));
        registry.register_with_unit(
            "invoke_backend_duration",
            "Time from sending an invocation to its backend to the backend's whole answer",
            Unit::Seconds,
            backend_latency.clone(),
        );
        let failures = Family::<CauseLabels, Counter>::default();
        registry.register(
            "invoke_failures",
            "Invocations whose backend could not be used, by cause (timeout, connect, a TLS \
             cause such as unknown_issuer or certificate_refused, configuration, …)",
            failures.clone(),
        );
        let days_left = Family::<PresentedLabels, Gauge>::default();
        registry.register(
            "presented_certificate_days_left",
            "Whole days before each client certificate expires (negative once expired), by the API \
             and stage presenting it, for the stages this node has invoked",
            days_left.clone(),
        );
        InvokeMetrics {
            invokes,
            backend_latency,
            failures,
            days_left,
            presented: OnceLock::new(),
        }
    }

    /// Lets the data plane report the certificates it presents. Only the first registration
    /// counts: there is one data plane.
    pub(crate) fn set_presented_probe(&self, probe: PresentedProbe) {
        let _ = self.presented.set(probe);
    }

    /// Sets the days-left gauges from the data plane's stages, before a scrape is encoded: a
    /// stage no longer presenting (rotated, deleted) drops out.
    pub(crate) fn refresh(&self) {
        if let Some(probe) = self.presented.get() {
            self.days_left.clear();
            for p in probe() {
                self.days_left
                    .get_or_create(&PresentedLabels {
                        api: p.api_id,
                        stage: p.stage,
                        certificate: p.certificate_id,
                    })
                    .set(p.days_left);
            }
        }
    }

    fn observe(&self, invoked: &Invoked) {
        let (api, stage) = if invoked.known {
            (invoked.api_id.clone(), invoked.stage.clone())
        } else {
            ("-".to_string(), "-".to_string())
        };
        self.invokes
            .get_or_create(&InvokeLabels {
                api,
                stage,
                status: invoked.status,
            })
            .inc();
        if let Some(took) = invoked.backend_latency {
            self.backend_latency.observe(took.as_secs_f64());
        }
        if let Some(cause) = invoked.failure {
            self.failures.get_or_create(&CauseLabels { cause }).inc();
        }
    }
}

/// Logs one invocation and counts it.
pub(crate) fn record(
    metrics: &super::metrics::Metrics,
    request_id: &str,
    method: &http::Method,
    invoked: &Invoked,
    latency: Duration,
) {
    metrics.invokes.observe(invoked);
    metrics.observe_request(INVOKE, invoked.status, latency);
    let certificate = invoked.certificate.as_ref();
    tracing::info!(
        target: "certgate::invoke",
        request_id,
        api = %invoked.api_id,
        stage = %invoked.stage,
        resource = invoked.resource_path.as_deref(),
        method = %method,
        status = invoked.status,
        backend_status = invoked.backend_status,
        backend_ms = invoked.backend_latency.map(|d| d.as_micros() as f64 / 1000.0),
        certificate = certificate.map(|c| c.certificate_id.as_str()),
        certificate_expired = certificate.map(|c| c.days_left < 0),
        failure = invoked.failure,
        cause = invoked.cause.as_deref(),
        latency_ms = latency.as_micros() as f64 / 1000.0,
        "invoke"
    );
}

/// The operation name invocations are counted under in the requests metrics.
pub const INVOKE: &str = "Invoke";
