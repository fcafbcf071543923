//! Storage, by resource family. Each family is a trait and a table: [`CertificateStore`] (client
//! certificates), [`KeyStore`] (their private keys, and whole records for copying),
//! [`TagStore`] (tags of any taggable resource) and [`SettingStore`] (store-wide settings).
//! [`Store`] is all of them together, the handle the service holds; each engine implements every
//! family and must pass the contract suite in `tests/contract/`, which is written once against the
//! traits and run on every engine.
//!
//! Each family's statements, parameters and row mapping are written once (`sql.rs` and the
//! family's module); the engines differ only in how they run them. Every method is scoped to one
//! account and region, except the whole-store scans that [`Scan`] walks, and every rule that must
//! hold under concurrency (the quota, unique ids, tag limits) is enforced inside the engine's
//! transaction, not by a check-then-act in the caller.
//!
//! A new family (REST APIs, stages, …) is a module here with its trait, its `Sql` and its row
//! mapping, a field in `statements::Statements`, an implementation in each engine, a migration per
//! engine, and a contract module; a taggable one adds its kind to [`tags::Resource`].

use std::sync::Arc;

pub mod durable;
mod postgres;
mod sqlite;
mod url;

mod certificates;
pub mod changes;
mod keys;
mod restapis;
mod scan;
mod settings;
mod sql;
mod statements;
mod tags;

pub use certificates::{CertificateStore, NewCertificate, ScopedCertificate, ScopedExpiry};
pub use changes::{Change, ChangeFeed, ChangeKind, Event, Subscriber};
pub use keys::{KeyStore, StoredCertificate, StoredKey};
pub use postgres::{PostgresStore, PostgresUrl};
pub use restapis::{DeploymentRow, InvokeTarget, RestApiRow, RestApiStore, StageListing, StageRow};
pub use scan::{Page, Scan, ScanCursor, Scanned, SCAN_PAGE};
pub use settings::SettingStore;
pub use sqlite::SqliteStore;
pub use tags::{Resource, ResourceKind, TagChange, TagStore};
pub use url::{open, open_with_settings, StoreUrl};

/// Every family trait, for callers that call store methods on a [`DynStore`].
pub mod prelude {
    pub use crate::{CertificateStore, KeyStore, RestApiStore, SettingStore, Store, TagStore};
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
    /// An update named the version it read, and another update came first; nothing was written,
    /// and the caller reads again and retries.
    #[error("the row changed since it was read")]
    Stale,
    /// A deletion was refused because other rows still use the row: the names of their users.
    #[error("in use by {0:?}")]
    InUse(Vec<String>),
    /// A write named a row that does not exist (`"deployment"`, `"certificate"`); nothing was
    /// written.
    #[error("no such {0}")]
    Dangling(&'static str),
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

/// Every family of one engine: what the service holds.
pub trait Store:
    CertificateStore + KeyStore + TagStore + SettingStore + RestApiStore + Send + Sync + 'static
{
    /// A short name of the engine, for logs and health reports.
    fn engine(&self) -> &'static str;

    /// The feed that announces every write to this store, this process's and (on PostgreSQL)
    /// every other node's: what a cache above the store subscribes to. A store that announces
    /// nothing (a wrapper in a test, say) keeps the default, a feed that is never current, so
    /// nothing above it answers from a cache.
    fn changes(&self) -> &Arc<ChangeFeed> {
        changes::never_current()
    }
}

pub type DynStore = Arc<dyn Store>;
