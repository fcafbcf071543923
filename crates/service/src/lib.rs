//! certgate's domain service: the operations of the API over a store and the PKI ([`Service`]),
//! the key pool, the master key that seals private keys and its rotation, the inventory of a whole
//! store with its expiry report, and the store maintenance commands. It knows nothing of HTTP or
//! of the command line: the edge and the binary hand it plain values and config structs, and what
//! it measures it reports through [`Observer`].

// The generated Api trait implemented for Service (no public items of its own).
mod api_impl;
pub mod certs;
pub mod inventory;
pub mod keys;
pub mod pool;
pub mod restapis;
mod service;
pub mod store_admin;
mod store_errors;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::time::Duration;

pub use pool::KeyPool;
pub use service::{Service, ServiceConfig};

/// What the service measures, told to whoever keeps the metrics (the HTTP edge), so that the
/// service itself depends on no metrics library.
pub trait Observer: Send + Sync + 'static {
    /// An RSA key was generated on the spot (not taken from the pool), taking `took`.
    fn key_generated(&self, took: Duration);
}

/// Measures nothing: the observer of a service nobody watches.
pub struct NoObserver;

impl Observer for NoObserver {
    fn key_generated(&self, _took: Duration) {}
}
