//! `GET /_certgate/openapi.json`: an OpenAPI 3 description of the eight operations, their shapes
//! and AWS's error shape. It is a hand-kept JSON file built into the binary, checked against the
//! running server by schemathesis in the Python suite, and checked for consistency by unit tests.

/// The document, exactly as served.
pub const DOCUMENT: &str = include_str!("openapi.json");

#[cfg(test)]
mod tests;
