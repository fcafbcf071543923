//! The AWS errors certgate answers with. Every code lives in this one enum, and `code()` and
//! `status()` are exhaustive matches, so a new error cannot be added without deciding both.

use certgate_core::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsError {
    BadRequest(String),
    /// A member breaks a constraint of the model (enum, pattern).
    Validation(String),
    /// A JSON value of a type the member cannot take (the REST API family, as AWS answers it).
    Serialization(String),
    Unauthorized(String),
    NotFound(String),
    Conflict(String),
    LimitExceeded(String),
    TooManyRequests {
        message: String,
        retry_after_seconds: u32,
    },
    /// No operation matches the method and path.
    UnknownOperation(String),
    /// The body is larger than the service accepts.
    RequestEntityTooLarge(String),
    /// The body did not arrive in time.
    RequestTimeout(String),
    /// The `Authorization` header or presigned query is malformed.
    IncompleteSignature(String),
    ServiceUnavailable(String),
    /// A request without any signature where one is required.
    MissingAuthenticationToken,
    /// The access key is not one certgate knows.
    UnrecognizedClient,
    /// The signature does not verify, is scoped wrongly, or is outside its time window.
    InvalidSignature(String),
    /// Something broke inside; the cause has been logged and is never sent.
    InternalFailure,
}

impl AwsError {
    pub fn code(&self) -> &'static str {
        match self {
            AwsError::BadRequest(_) => "BadRequestException",
            AwsError::Validation(_) => "ValidationException",
            AwsError::Serialization(_) => "SerializationException",
            AwsError::Unauthorized(_) => "UnauthorizedException",
            AwsError::NotFound(_) => "NotFoundException",
            AwsError::Conflict(_) => "ConflictException",
            AwsError::LimitExceeded(_) => "LimitExceededException",
            AwsError::TooManyRequests { .. } => "TooManyRequestsException",
            AwsError::UnknownOperation(_) => "UnknownOperationException",
            AwsError::RequestEntityTooLarge(_) => "RequestEntityTooLargeException",
            AwsError::RequestTimeout(_) => "RequestTimeoutException",
            AwsError::IncompleteSignature(_) => "IncompleteSignatureException",
            AwsError::ServiceUnavailable(_) => "ServiceUnavailableException",
            AwsError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            AwsError::UnrecognizedClient => "UnrecognizedClientException",
            AwsError::InvalidSignature(_) => "InvalidSignatureException",
            AwsError::InternalFailure => "InternalFailure",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            AwsError::BadRequest(_) | AwsError::Validation(_) | AwsError::Serialization(_) => 400,
            AwsError::Unauthorized(_) => 401,
            AwsError::IncompleteSignature(_)
            | AwsError::MissingAuthenticationToken
            | AwsError::UnrecognizedClient
            | AwsError::InvalidSignature(_) => 403,
            AwsError::NotFound(_) | AwsError::UnknownOperation(_) => 404,
            AwsError::RequestTimeout(_) => 408,
            AwsError::Conflict(_) => 409,
            AwsError::RequestEntityTooLarge(_) => 413,
            AwsError::LimitExceeded(_) | AwsError::TooManyRequests { .. } => 429,
            AwsError::InternalFailure => 500,
            AwsError::ServiceUnavailable(_) => 503,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            AwsError::BadRequest(m)
            | AwsError::Validation(m)
            | AwsError::Serialization(m)
            | AwsError::Unauthorized(m)
            | AwsError::NotFound(m)
            | AwsError::Conflict(m)
            | AwsError::LimitExceeded(m)
            | AwsError::TooManyRequests { message: m, .. }
            | AwsError::UnknownOperation(m)
            | AwsError::RequestEntityTooLarge(m)
            | AwsError::RequestTimeout(m)
            | AwsError::IncompleteSignature(m)
            | AwsError::InvalidSignature(m)
            | AwsError::ServiceUnavailable(m) => m,
            AwsError::MissingAuthenticationToken => "Missing Authentication Token",
            AwsError::UnrecognizedClient => {
                "The security token included in the request is invalid."
            }
            AwsError::InternalFailure => "An internal error occurred. Please retry the request.",
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        AwsError::BadRequest(message.into())
    }
}

/// Domain errors map one to one; an internal cause is dropped here, after the caller has logged it.
impl From<Error> for AwsError {
    fn from(e: Error) -> Self {
        match e {
            Error::BadRequest(m) => AwsError::BadRequest(m),
            Error::Validation(m) => AwsError::Validation(m),
            Error::NotFound(m) => AwsError::NotFound(m),
            Error::LimitExceeded(m) => AwsError::LimitExceeded(m),
            Error::Conflict(m) => AwsError::Conflict(m),
            Error::Unavailable(m) => AwsError::ServiceUnavailable(m),
            Error::Internal(_) => AwsError::InternalFailure,
        }
    }
}
