//! `GET /_certgate/openapi.json`: an OpenAPI 3 description of the operations, their shapes and
//! AWS's error shape. scripts/gen-api builds it from the catalogue (botocore's model for the
//! operations of crates/api/operations.txt) and the hand-kept crates/api/openapi.overlay.json;
//! it is checked against the running server by schemathesis in the Python suite, and against the
//! catalogue's route and member tables by the unit tests here.

/// The document, exactly as served.
pub const DOCUMENT: &str = certgate_api::OPENAPI;

#[cfg(test)]
mod tests;
