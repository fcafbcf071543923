//! Storage. The service sees only [`Store`]; each engine implements it and must pass the contract
//! suite in `tests/contract.rs`, which is written once against the trait and run on every engine.
//!
//! Every method is scoped to one account and region, and every rule that must hold under
//! concurrency (the quota, unique ids, tag limits) is enforced inside the engine's transaction, not by
//! a check-then-act in the caller.

use std::sync::Arc;

use async_trait::async_trait;
use certgate_core::{Certificate, CertificateId, Scope, SecretBytes, Tags};

pub mod durable;
mod postgres;
mod sqlite;
mod url;

pub use postgres::{PostgresStore, PostgresUrl};
pub use sqlite::SqliteStore;
pub use url::{open, open_with_settings, StoreUrl};

/// A certificate with its private key, as it is written once at generation.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub certificate: Certificate,
    pub private_key: SecretBytes,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such certificate")]
    NotFound,
    #[error("the scope already holds {limit} certificates")]
    QuotaExceeded { limit: u32 },
    #[error("the certificate id is taken")]
    IdTaken,
    #[error("the certificate would carry {count} tags, more than {limit}")]
    TooManyTags { count: usize, limit: usize },
    /// The database could not be reached or did not answer in time; the request may be retried.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A concurrent transaction changed the same data and the engine refused to serialise this one
    /// after it (a serialization failure or deadlock); nothing was written, and a retry may succeed.
    #[error("conflicting concurrent update: {0}")]
    Conflict(String),
    /// Anything else the engine reports: a bug or corruption, logged and answered with a 500.
    #[error("store failure: {0}")]
    Backend(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One certificate with everything kept for it, whatever its scope: what `certgate copy` moves
/// between stores and what master-key rotation rewrites. `private_key` holds the bytes exactly as
/// stored (the service decides what they are: since encryption at rest, a sealed envelope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCertificate {
    pub scope: Scope,
    pub certificate: Certificate,
    pub private_key: SecretBytes,
}

/// Where a scan over every scope stands: the key of the last row returned. Scans are ordered by
/// (account, region, id), so a scan resumed from a cursor never repeats or skips a row that was there
/// the whole time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanCursor {
    pub scope: Scope,
    pub id: CertificateId,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A short name of the engine, for logs and health reports.
    fn engine(&self) -> &'static str;

    /// Stores a new certificate if the scope holds fewer than `quota` certificates and the id is
    /// free in the scope; the count and the insert are one atomic step.
    async fn insert(&self, scope: &Scope, new: &NewCertificate, quota: u32) -> Result<()>;

    async fn get(&self, scope: &Scope, id: &CertificateId) -> Result<Option<Certificate>>;

    /// The private key kept beside a certificate.
    async fn private_key(&self, scope: &Scope, id: &CertificateId) -> Result<Option<SecretBytes>>;

    /// Up to `limit` certificates ordered by id, starting after `after`.
    async fn list(
        &self,
        scope: &Scope,
        after: Option<&CertificateId>,
        limit: u32,
    ) -> Result<Vec<Certificate>>;

    async fn count(&self, scope: &Scope) -> Result<u64>;

    /// Replaces the description (`None` clears it) and returns the updated certificate.
    async fn set_description(
        &self,
        scope: &Scope,
        id: &CertificateId,
        description: Option<&str>,
    ) -> Result<Certificate>;

    /// Removes a certificate and its key; `NotFound` if there was none.
    async fn delete(&self, scope: &Scope, id: &CertificateId) -> Result<()>;

    /// Merges `tags` into the certificate's tags (a key given again takes the new value), refusing
    /// with `TooManyTags` if the result would exceed `max_tags`. Returns the resulting tags.
    async fn add_tags(
        &self,
        scope: &Scope,
        id: &CertificateId,
        tags: &Tags,
        max_tags: usize,
    ) -> Result<Tags>;

    /// Removes the given keys (absent keys are ignored). Returns the resulting tags.
    async fn remove_tags(&self, scope: &Scope, id: &CertificateId, keys: &[String])
        -> Result<Tags>;

    /// Up to `limit` certificates of every scope with their stored keys, ordered by
    /// (account, region, id), starting after `after`.
    async fn scan(&self, after: Option<&ScanCursor>, limit: u32) -> Result<Vec<StoredCertificate>>;

    /// Writes a certificate exactly as given, with no quota check (it was counted where it was
    /// made). `IdTaken` if its scope already holds the id; nothing is overwritten.
    async fn import(&self, record: &StoredCertificate) -> Result<()>;

    /// Replaces a stored private key only if it still equals `expected`, in one atomic step.
    /// Returns false, changing nothing, if the key differs or the certificate is gone.
    async fn replace_private_key(
        &self,
        scope: &Scope,
        id: &CertificateId,
        expected: &SecretBytes,
        new: &SecretBytes,
    ) -> Result<bool>;

    /// A store-wide setting shared by every node (such as a key check or a token key).
    async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>>;

    /// Sets a setting only if it is not set yet, and returns the value that is set afterwards: the
    /// given one, or the one another node set first.
    async fn init_setting(&self, name: &str, value: &[u8]) -> Result<Vec<u8>>;

    /// Sets a setting, replacing any value.
    async fn put_setting(&self, name: &str, value: &[u8]) -> Result<()>;
}

pub type DynStore = Arc<dyn Store>;
