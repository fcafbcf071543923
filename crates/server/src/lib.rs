//! certgate's HTTP edge: the accept loop with its gates ([`front`]), the one handler that
//! dispatches every request ([`server`]: an invoked stage through the data plane (`invoke`), the
//! console, certgate's own endpoints, or the AWS API through the wire crate and the service), authentication and throttling ([`access`]), the request log
//! and metrics ([`ops`]), and the console. It turns HTTP into calls on
//! [`certgate_service::Service`] and knows nothing of the command line.

pub mod access;
mod answers;
mod app;
mod body;
pub mod console;
mod front;
mod invoke;
pub mod limits;
pub mod logging;
pub mod ops;
pub mod server;
pub mod throttle;

pub use app::App;
pub use front::{serve, serve_with_limits};
pub use limits::Limits;
