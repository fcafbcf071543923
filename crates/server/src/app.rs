//! What every request needs, shared by all connections: the service, the metrics, the id source,
//! the console and the access rules.

use std::sync::Arc;

use certgate_core::source::IdSource;
use certgate_service::Service;

use crate::ops::metrics::Metrics;

/// Everything a request needs, shared by all connections.
pub struct App {
    pub service: Service,
    /// The request, key generation and key pool metrics, shared with the key pool's threads.
    pub metrics: Arc<Metrics>,
    pub ids: Arc<dyn IdSource>,
    /// certgate's own page and admin clock under `/_certgate/`, when enabled.
    pub console: Option<crate::console::Console>,
    /// Authentication, read-only keys and throttling (`Access::default()` is open and unlimited).
    pub access: crate::access::Access,
    /// The last write the health check made to the store, and how it went.
    pub write_probe: crate::ops::health::WriteProbe,
    /// The data plane that answers invoked stages; without one they are answered 500.
    pub data_plane: Option<Arc<certgate_proxy::invoke::DataPlane>>,
    /// Encoded answers of certificate reads, kept coherent by the store's change feed.
    pub(crate) answers: Arc<crate::answers::Answers>,
}

impl App {
    /// Answers invoked stages with `data_plane` from now on.
    pub fn with_data_plane(mut self, data_plane: Arc<certgate_proxy::invoke::DataPlane>) -> App {
        let probe = data_plane.clone();
        self.metrics
            .invokes
            .set_presented_probe(Arc::new(move || probe.presented_certificates()));
        self.data_plane = Some(data_plane);
        self
    }

    /// The app over `service`: the service reports its key generation times to `metrics`, and
    /// health and metrics read the fill of its key pool, if it has one.
    pub fn new(
        service: Service,
        metrics: Arc<Metrics>,
        ids: Arc<dyn IdSource>,
        console: Option<crate::console::Console>,
        access: crate::access::Access,
    ) -> App {
        if let Some(pool) = service.key_pool().cloned() {
            metrics.set_key_pool_probe(Arc::new(move || crate::ops::metrics::KeyPoolFill {
                depth: pool.depth() as u64,
                capacity: pool.capacity() as u64,
            }));
        }
        let answers = crate::answers::Answers::new(service.store().changes().clone());
        App {
            answers,
            service: service.with_observer(metrics.clone()),
            metrics,
            ids,
            console,
            access,
            write_probe: Default::default(),
            data_plane: None,
        }
    }
}
