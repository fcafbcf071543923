//! The domain of certgate: what a client certificate is, which inputs are valid, and the rules AWS
//! applies to them. Nothing here knows about HTTP or storage engines, so every rule can be unit-tested
//! and fuzzed as a pure function.

pub mod arn;
pub mod description;
pub mod error;
pub mod expiry;
pub mod model;
pub mod page;
pub mod patch;
pub mod secret;
pub mod source;
pub mod tags;

pub use arn::ResourceArn;
pub use error::{Error, NotFound};
pub use model::{AccountId, Certificate, CertificateId, Region, Scope};
pub use secret::SecretBytes;
pub use tags::Tags;

/// AWS's default quota of client certificates per account and region.
pub const DEFAULT_MAX_CERTIFICATES_PER_REGION: u32 = 60;

/// A certificate expires exactly 365 days after it is created, as in AWS.
pub const VALIDITY_SECONDS: i64 = 365 * 86_400;
