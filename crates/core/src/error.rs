//! Domain errors: what went wrong in terms of the API's rules. The wire layer maps each variant to an
//! AWS error code and status; internal causes are carried for the log only and never sent.

use std::fmt;

/// A failure of the backing machinery (store, key generation) whose details are logged, never sent.
pub struct Internal(pub Box<dyn std::error::Error + Send + Sync>);

impl fmt::Debug for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input breaks a rule of the API; the text is AWS's message for it.
    #[error("{0}")]
    BadRequest(String),
    /// The named resource does not exist in the caller's account and region.
    #[error("{0}")]
    NotFound(String),
    /// A quota was reached; the text says which.
    #[error("{0}")]
    LimitExceeded(String),
    /// A concurrent change won; the caller may retry.
    #[error("{0}")]
    Conflict(String),
    /// The backend (store, key generator) is temporarily unable to serve.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal failure: {0:?}")]
    Internal(Internal),
}

impl Error {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::BadRequest(message.into())
    }

    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Internal(Internal(cause.into()))
    }

    /// AWS's text for an unknown client certificate, the same for every way of naming one.
    pub fn certificate_not_found() -> Self {
        Error::NotFound("Invalid Client Certificate identifier specified".to_string())
    }
}
