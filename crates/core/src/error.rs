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
    /// A member breaks a constraint of the model (an enum value, a pattern): AWS answers these as
    /// ValidationException, in its "N validation error(s) detected" form.
    #[error("{0}")]
    Validation(String),
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
        Error::not_found(NotFound::ClientCertificate)
    }

    /// AWS's answer for a resource of this kind that does not exist.
    pub fn not_found(what: NotFound<'_>) -> Self {
        Error::NotFound(what.message())
    }
}

/// The kinds of resource a request can name that does not exist, each with AWS's own wording.
/// The texts are those AWS answered when LocalStack recorded its API Gateway snapshots
/// (`tests/aws/services/apigateway/*.snapshot.json`): a REST API names the account and id, the
/// others are fixed. Stages and deployments have no recorded not-found answer there; theirs are
/// the texts LocalStack's provider answers with, in the same pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFound<'a> {
    ClientCertificate,
    /// The account is given as text so that errors depend on no other module of the domain.
    RestApi {
        account: &'a str,
        id: &'a str,
    },
    Resource,
    Method,
    Stage,
    Deployment,
    Integration,
    /// A method or integration response of a status code the method does not have.
    Response,
}

impl NotFound<'_> {
    pub fn message(&self) -> String {
        match self {
            NotFound::ClientCertificate => "Invalid Client Certificate identifier specified".into(),
            NotFound::RestApi { account, id } => {
                format!("Invalid API identifier specified {account}:{id}")
            }
            NotFound::Resource => "Invalid Resource identifier specified".into(),
            NotFound::Method => "Invalid Method identifier specified".into(),
            NotFound::Stage => "Invalid Stage identifier specified".into(),
            NotFound::Deployment => "Invalid Deployment identifier specified".into(),
            NotFound::Integration => "Invalid Integration identifier specified".into(),
            NotFound::Response => "Invalid Response status code specified".into(),
        }
    }
}
