//! Store URLs: `sqlite:///absolute/path.db` or `sqlite://relative/path.db`.

use std::path::PathBuf;
use std::sync::Arc;

use crate::{DynStore, SqliteStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Sqlite(PathBuf),
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
        let scheme = url.split_once("://").map_or(url, |(s, _)| s);
        Err(format!(
            "unsupported store URL '{url}': scheme '{scheme}' is not known; use sqlite:///path/to/file.db"
        ))
    }
}

/// Opens the store a URL names, creating and migrating it where needed.
pub async fn open(url: &StoreUrl) -> Result<DynStore, StoreError> {
    match url {
        StoreUrl::Sqlite(path) => Ok(Arc::new(SqliteStore::open(path.clone()).await?)),
    }
}

#[cfg(test)]
mod tests;
