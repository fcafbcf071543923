//! The settings family: store-wide values shared by every node (the pagination token key, the
//! master key's fingerprint), in their own table.

use async_trait::async_trait;

use crate::sql::{Columns, Dialect};
use crate::Result;

#[async_trait]
pub trait SettingStore: Send + Sync {
    /// A store-wide setting shared by every node (such as a key check or a token key).
    async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>>;

    /// Sets a setting only if it is not set yet, and returns the value that is set afterwards: the
    /// given one, or the one another node set first.
    async fn init_setting(&self, name: &str, value: &[u8]) -> Result<Vec<u8>>;

    /// Sets a setting, replacing any value.
    async fn put_setting(&self, name: &str, value: &[u8]) -> Result<()>;
}

pub(crate) struct Sql {
    pub get: String,
    pub insert_if_absent: String,
    pub upsert: String,
}

impl Sql {
    pub(crate) fn new(d: Dialect) -> Self {
        Sql {
            get: d.statement("SELECT value FROM certgate_settings WHERE name = $1"),
            insert_if_absent: d.statement(
                "INSERT INTO certgate_settings (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO NOTHING",
            ),
            upsert: d.statement(
                "INSERT INTO certgate_settings (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            ),
        }
    }
}

/// A row of [`Sql::get`].
pub(crate) fn value(row: &impl Columns) -> Result<Vec<u8>> {
    row.bytes(0)
}
