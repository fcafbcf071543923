//! What both engines share of their SQL: the statements of every family, written once in
//! PostgreSQL's `$n` placeholder style and converted for SQLite once per process; the parameter
//! values, which bind to either engine; and the reading of a row's columns, so that a row is turned
//! into a domain value by one function whichever engine it came from.
//!
//! The dialects differ only where this module says so: SQLite numbers its placeholders `?n`, and
//! PostgreSQL locks a row it is about to rewrite with `FOR UPDATE` (SQLite's single writer needs
//! no lock).

use certgate_core::SecretBytes;

use crate::{Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The engine's form of a statement written with `$n` placeholders. No statement of ours has a
    /// `$` anywhere else (no string literals that could hold one), so a plain rewrite is exact.
    pub(crate) fn statement(self, postgres: &str) -> String {
        match self {
            Dialect::Postgres => postgres.to_string(),
            Dialect::Sqlite => postgres.replace('$', "?"),
        }
    }

    /// What a `SELECT` appends to hold the rows it read until the transaction ends, so that a
    /// read-compute-write (a tag merge) is not interleaved with another node's.
    pub(crate) fn lock_rows(self) -> &'static str {
        match self {
            // The one writer connection and `BEGIN IMMEDIATE` already serialise every write.
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }
}

/// One bound parameter, owned so that it can travel to SQLite's blocking thread or into
/// PostgreSQL's future. A private key stays in its `SecretBytes`, so it is zeroized when the
/// parameters are dropped.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(String),
    OptionalText(Option<String>),
    Int(i64),
    Bytes(Vec<u8>),
    Secret(SecretBytes),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_string())
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Value::Text(s) => s.to_sql(),
            Value::OptionalText(s) => s.to_sql(),
            Value::Int(n) => n.to_sql(),
            Value::Bytes(b) => b.to_sql(),
            Value::Secret(s) => s.expose().to_sql(),
        }
    }
}

type PgResult =
    std::result::Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>;

impl tokio_postgres::types::ToSql for Value {
    fn to_sql(&self, ty: &tokio_postgres::types::Type, out: &mut bytes::BytesMut) -> PgResult {
        match self {
            Value::Text(s) => s.to_sql(ty, out),
            Value::OptionalText(s) => s.to_sql(ty, out),
            Value::Int(n) => n.to_sql(ty, out),
            Value::Bytes(b) => b.to_sql(ty, out),
            Value::Secret(s) => s.expose().to_sql(ty, out),
        }
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        <String as tokio_postgres::types::ToSql>::accepts(ty)
            || <i64 as tokio_postgres::types::ToSql>::accepts(ty)
            || <Vec<u8> as tokio_postgres::types::ToSql>::accepts(ty)
    }

    /// Checked against the variant actually held, not against every type the enum could hold, so
    /// that a text bound where the statement wants a number is refused as it would be unwrapped.
    fn to_sql_checked(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> PgResult {
        match self {
            Value::Text(s) => s.to_sql_checked(ty, out),
            Value::OptionalText(s) => s.to_sql_checked(ty, out),
            Value::Int(n) => n.to_sql_checked(ty, out),
            Value::Bytes(b) => b.to_sql_checked(ty, out),
            Value::Secret(s) => s.expose().to_sql_checked(ty, out),
        }
    }
}

/// The columns of one result row, read by position, whichever engine produced it.
pub(crate) trait Columns {
    fn text(&self, i: usize) -> Result<String>;
    fn optional_text(&self, i: usize) -> Result<Option<String>>;
    fn int(&self, i: usize) -> Result<i64>;
    fn bytes(&self, i: usize) -> Result<Vec<u8>>;
}

/// The columns of `row` from `by` on, so that a reader written for a table's own columns reads
/// them where a join put them after others.
pub(crate) struct Shifted<'a, R> {
    pub row: &'a R,
    pub by: usize,
}

impl<R: Columns> Columns for Shifted<'_, R> {
    fn text(&self, i: usize) -> Result<String> {
        self.row.text(i + self.by)
    }
    fn optional_text(&self, i: usize) -> Result<Option<String>> {
        self.row.optional_text(i + self.by)
    }
    fn int(&self, i: usize) -> Result<i64> {
        self.row.int(i + self.by)
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        self.row.bytes(i + self.by)
    }
}

fn column(i: usize, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("column {i} cannot be read: {e}"))
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<String> {
        self.get(i).map_err(|e| column(i, e))
    }
    fn optional_text(&self, i: usize) -> Result<Option<String>> {
        self.get(i).map_err(|e| column(i, e))
    }
    fn int(&self, i: usize) -> Result<i64> {
        self.get(i).map_err(|e| column(i, e))
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        self.get(i).map_err(|e| column(i, e))
    }
}

impl Columns for tokio_postgres::Row {
    fn text(&self, i: usize) -> Result<String> {
        self.try_get(i).map_err(|e| column(i, e))
    }
    fn optional_text(&self, i: usize) -> Result<Option<String>> {
        self.try_get(i).map_err(|e| column(i, e))
    }
    fn int(&self, i: usize) -> Result<i64> {
        self.try_get(i).map_err(|e| column(i, e))
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        self.try_get(i).map_err(|e| column(i, e))
    }
}

/// A stored value that does not parse back into its domain type: corruption, or a bug.
pub(crate) fn malformed(what: &str) -> StoreError {
    StoreError::Backend(format!("a stored {what} is malformed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_converted_for_sqlite_only() {
        let pg = "SELECT a FROM t WHERE x = $1 AND y = $12";
        assert_eq!(Dialect::Postgres.statement(pg), pg);
        assert_eq!(
            Dialect::Sqlite.statement(pg),
            "SELECT a FROM t WHERE x = ?1 AND y = ?12"
        );
    }
}
