//! certgate: the binary's library half. [`service`] runs the operations over a store and the PKI;
//! [`server`] is the HTTP front that turns requests into operations through the wire crate.

pub mod access;
// The generated Api trait implemented for Service (no public items of its own).
mod api_impl;
pub mod certs;
pub mod console;
mod front;
pub mod inventory;
pub mod keys;
pub mod limits;
pub mod logging;
pub mod ops;
pub mod pool;
pub mod server;
pub mod service;
pub mod store_admin;
pub mod throttle;

pub use limits::Limits;
pub use pool::KeyPool;
pub use server::{serve, serve_with_limits, App};
pub use service::{Service, ServiceConfig};
