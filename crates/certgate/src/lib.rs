//! certgate: the binary's library half. [`service`] runs the operations over a store and the PKI;
//! [`server`] is the HTTP front that turns requests into operations through the wire crate.

pub mod pool;
pub mod server;
pub mod service;

pub use pool::KeyPool;
pub use server::{serve, App};
pub use service::{Service, ServiceConfig};
