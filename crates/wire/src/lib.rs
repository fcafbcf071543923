//! The wire: how API Gateway's operations look on HTTP (botocore's `apigateway` 2015-07-09
//! rest-json model). Parsing routes a method, URI and body over `certgate_api`'s route table and
//! decodes an [`Operation`] or answers an [`AwsError`]; encoding turns an [`Output`] or an error
//! into the exact response AWS SDKs expect.
//! Everything here is a pure function of its input, so it can be fuzzed without a server.

pub mod auth;
pub mod error;
pub mod request;
pub mod response;
pub mod sigv4;

pub use auth::{caller, Caller, SigV4Credential};
pub use error::AwsError;
pub use request::{operation_id, parse_operation, parse_operation_with_headers, Operation};
pub use response::{encode_error, encode_kept, encode_output, Output, Response};

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
