//! The Prometheus metrics of a running certgate: requests by operation and status, their latency,
//! the time RSA key generation takes, certificates by how soon they expire (counted from the store
//! when scraped) and the key pool's depth (a hook the key pool fills in once it exists).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

/// The content type of the Prometheus text format the scrape answers with.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ExpiryLabels {
    expires_in: &'static str,
}

/// How full the key pool is, as the pool reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct KeyPoolFill {
    pub depth: u64,
    pub capacity: u64,
}

/// What the key pool registers so that health and metrics can read its fill at any time.
pub type KeyPoolProbe = Arc<dyn Fn() -> KeyPoolFill + Send + Sync>;

/// The expiry buckets, by the upper bound of the time left (in days) that each one holds; the last
/// one holds everything beyond. Expired certificates have their own bucket.
const EXPIRY_BUCKETS: [(&str, i64); 4] = [("7d", 7), ("30d", 30), ("90d", 90), ("365d", 365)];
const EXPIRED: &str = "expired";
const LATER: &str = "later";

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s: a read is a few ms, a generation waits for an RSA key.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    /// The data plane's: invocations, backend latency, TLS failures, certificates' days left.
    pub(crate) invokes: super::invokes::InvokeMetrics,
    requests: Family<RequestLabels, Counter>,
    latency: Family<OperationLabels, Histogram, fn() -> Histogram>,
    keygen: Histogram,
    certificates: Family<ExpiryLabels, Gauge>,
    key_pool_depth: Gauge,
    key_pool_capacity: Gauge,
    key_pool: OnceLock<KeyPoolProbe>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("certgate");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Requests answered, by operation and HTTP status",
            requests.clone(),
        );
        let latency: Family<OperationLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "request_duration",
            "Time from the request's arrival to its answer, by operation",
            Unit::Seconds,
            latency.clone(),
        );
        // RSA-2048 generation takes tens of ms on a fast core and far longer on a busy one.
        let keygen = Histogram::new(exponential_buckets(0.005, 2.0, 12));
        registry.register_with_unit(
            "key_generation_duration",
            "Time to generate one RSA-2048 key and issue its certificate",
            Unit::Seconds,
            keygen.clone(),
        );
        let certificates = Family::<ExpiryLabels, Gauge>::default();
        registry.register(
            "certificates",
            "Certificates in the store by time left before expiry (counted at scrape time; \
             expires_in names the bucket's upper bound)",
            certificates.clone(),
        );
        let key_pool_depth = Gauge::default();
        registry.register(
            "key_pool_depth",
            "RSA keys generated ahead and waiting in the key pool (0 without a pool)",
            key_pool_depth.clone(),
        );
        let key_pool_capacity = Gauge::default();
        registry.register(
            "key_pool_capacity",
            "How many keys the key pool holds when full (0 without a pool)",
            key_pool_capacity.clone(),
        );
        let invokes = super::invokes::InvokeMetrics::register(&mut registry);
        Metrics {
            invokes,
            registry,
            requests,
            latency,
            keygen,
            certificates,
            key_pool_depth,
            key_pool_capacity,
            key_pool: OnceLock::new(),
        }
    }

    /// Counts one answered request.
    pub fn observe_request(&self, operation: &'static str, status: u16, latency: Duration) {
        // Static labels: counting a request allocates nothing.
        self.requests
            .get_or_create(&RequestLabels { operation, status })
            .inc();
        self.latency
            .get_or_create(&OperationLabels { operation })
            .observe(latency.as_secs_f64());
    }

    /// Records how long one key and its certificate took to make.
    pub fn observe_key_generation(&self, took: Duration) {
        self.keygen.observe(took.as_secs_f64());
    }

    /// A handle on the key-generation histogram, for the key pool's worker threads, which make
    /// most keys when the pool is on.
    pub fn key_generation_histogram(&self) -> Histogram {
        self.keygen.clone()
    }

    /// Lets the key pool report its fill. Only the first registration counts: there is one pool.
    pub fn set_key_pool_probe(&self, probe: KeyPoolProbe) {
        let _ = self.key_pool.set(probe);
    }

    /// The key pool's fill, or `None` when no pool is registered.
    pub fn key_pool_fill(&self) -> Option<KeyPoolFill> {
        self.key_pool.get().map(|probe| probe())
    }

    /// Sets the expiry gauges from the expiry dates of every stored certificate.
    pub fn set_expiry_counts(&self, counts: &ExpiryCounts) {
        for (bucket, n) in counts.buckets() {
            self.certificates
                .get_or_create(&ExpiryLabels { expires_in: bucket })
                .set(n as i64);
        }
    }

    /// The text a scrape answers with.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let fill = self.key_pool_fill().unwrap_or(KeyPoolFill {
            depth: 0,
            capacity: 0,
        });
        self.key_pool_depth.set(fill.depth as i64);
        self.key_pool_capacity.set(fill.capacity as i64);
        self.invokes.refresh();
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

impl certgate_service::Observer for Metrics {
    fn key_generated(&self, took: Duration) {
        self.observe_key_generation(took);
    }
}

/// Certificates counted by the bucket of time left before they expire.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExpiryCounts {
    expired: u64,
    within: [u64; EXPIRY_BUCKETS.len()],
    later: u64,
}

impl ExpiryCounts {
    /// Counts one certificate that expires at `expires` (seconds), seen at `now`.
    pub fn add(&mut self, now: i64, expires: i64) {
        let left = expires - now;
        if left <= 0 {
            self.expired += 1;
            return;
        }
        match EXPIRY_BUCKETS
            .iter()
            .position(|(_, days)| left <= days * 86_400)
        {
            Some(i) => self.within[i] += 1,
            None => self.later += 1,
        }
    }

    /// Every bucket with its count, empty ones included, so a bucket that empties drops to 0.
    pub fn buckets(&self) -> Vec<(&'static str, u64)> {
        let mut all = vec![(EXPIRED, self.expired)];
        all.extend(
            EXPIRY_BUCKETS
                .iter()
                .zip(self.within)
                .map(|((name, _), n)| (*name, n)),
        );
        all.push((LATER, self.later));
        all
    }
}

#[cfg(test)]
mod tests;
