//! certgate: the binary's library half. [`service`] runs the operations over a store and the PKI;
//! [`server`] is the HTTP front that turns requests into operations through the wire crate.

mod front;
pub mod limits;
pub mod server;
pub mod service;

pub use limits::Limits;
pub use server::{serve, serve_with_limits, App};
pub use service::{Service, ServiceConfig};
