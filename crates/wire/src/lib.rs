//! The wire: how API Gateway's client-certificate operations look on HTTP (botocore's `apigateway`
//! 2015-07-09 rest-json model). Parsing turns a method, URI and body into an [`Operation`] or an
//! [`AwsError`]; encoding turns an [`Output`] or an error into the exact response AWS SDKs expect.
//! Everything here is a pure function of its input, so it can be fuzzed without a server.

pub mod auth;
pub mod error;
pub mod request;
pub mod response;
pub mod sigv4;

pub use auth::{caller, Caller, SigV4Credential};
pub use error::AwsError;
pub use request::{parse_operation, Operation};
pub use response::{encode_error, encode_output, Output, Response};

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
