//! Store URLs: `sqlite:///absolute/path.db`, `sqlite://relative/path.db`, or
//! `postgres://user:password@host:port/dbname[?schema=NAME]` (`postgresql://` too).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::{DynStore, PostgresStore, PostgresUrl, SqliteStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Sqlite(PathBuf),
    Postgres(PostgresUrl),
}

impl StoreUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(format!(
                    "store URL '{url}' names no file; write sqlite:///path/to/file.db"
                ));
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return PostgresUrl::parse(url).map(StoreUrl::Postgres);
        }
        let scheme = url.split_once("://").map_or(url, |(s, _)| s);
        Err(format!(
            "unsupported store URL '{url}': scheme '{scheme}' is not known; use sqlite:///path/to/file.db or postgres://user@host:port/dbname"
        ))
    }
}

/// Shows the URL without any password, for logs and messages.
impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            StoreUrl::Postgres(url) => write!(f, "{url}"),
        }
    }
}

/// Opens the store a URL names, creating and migrating it where needed.
pub async fn open(url: &StoreUrl) -> Result<DynStore, StoreError> {
    open_with_settings(url, &[]).await
}

/// Like [`open`]; a SQLite file that this call creates starts with `settings` in it (see
/// [`SqliteStore::open_with_settings`]). PostgreSQL ignores them: its schema is created in one
/// transaction anyway, so callers `init_setting` each one as they always do.
pub async fn open_with_settings(
    url: &StoreUrl,
    settings: &[(&str, &[u8])],
) -> Result<DynStore, StoreError> {
    match url {
        StoreUrl::Sqlite(path) => Ok(Arc::new(
            SqliteStore::open_with_settings(path.clone(), settings).await?,
        )),
        StoreUrl::Postgres(url) => Ok(Arc::new(PostgresStore::open(url).await?)),
    }
}

#[cfg(test)]
mod tests;
