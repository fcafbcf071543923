//! The shared engine: PostgreSQL, so that several stateless certgate nodes can serve one set of
//! certificates. Every invariant that SQLite gets from its single writer is kept here by the
//! database across connections and nodes:
//!
//! - the quota: a transaction-scoped advisory lock per (schema, account, region) serialises the
//!   count and the insert of one scope, on every node, while other scopes proceed in parallel;
//! - tag changes: `SELECT … FOR UPDATE` locks the row while the new tags are computed, so a
//!   concurrent change waits and then builds on the committed result instead of overwriting it;
//! - descriptions: one `UPDATE … RETURNING`, atomic by itself.
//!
//! A serialization failure or deadlock (possible on PostgreSQL-compatible engines that run every
//! transaction serializably) is reported as [`StoreError::Conflict`]. A database that cannot be
//! reached, or does not answer within [`config::OPERATION_TIMEOUT`], is [`StoreError::Unavailable`];
//! the pool drops broken connections and opens new ones, so a node recovers by itself.

/// Runs the body in a transaction on a pooled connection, committing on success and rolling
/// back at once otherwise (see [`finish`]). Defined before the modules that use it.
macro_rules! transaction {
    ($store:expr, |$tx:ident| $body:expr) => {
        $store
            .run(move |c| {
                Box::pin(async move {
                    let $tx = c.transaction().await.map_err(pg_error)?;
                    let result = async { $body }.await;
                    finish($tx, result).await
                })
            })
            .await
    };
}

/// Runs the body on a pooled connection, outside a transaction.
macro_rules! plain {
    ($store:expr, |$c:ident| $body:expr) => {
        $store
            .run(move |conn| {
                Box::pin(async move {
                    let $c = &*conn;
                    $body
                })
            })
            .await
    };
}

mod config;
mod families;
mod listen;
mod migrations;
mod restapis;
mod tls;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use certgate_core::Scope;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

pub use config::PostgresUrl;

use crate::changes::ChangeFeed;
use crate::sql::Value;
use crate::statements::Statements;
use crate::{Result, StoreError};

pub struct PostgresStore {
    pool: Pool,
    /// Part of every quota lock's key, so that stores in different schemas of one database never
    /// wait for each other.
    schema: String,
    /// This node's writes are announced here as they end, every node's as they commit (through
    /// the listening connection of `listen.rs`, which holds only a weak reference).
    changes: Arc<ChangeFeed>,
}

type Op<'c, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>;

/// Maps a database error to what the service can act on.
pub(crate) fn pg_error(e: tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        // The server's own words, which `Display` of the error leaves out.
        Some(db) => classify(
            db.code(),
            format!("{} ({})", db.message(), db.code().code()),
        ),
        // No SQLSTATE, and the connection is closed or its socket failed: the request may be
        // retried. Other errors without one (a column that does not decode) are bugs.
        None if e.is_closed() || io_failure(&e) => StoreError::Unavailable(e.to_string()),
        None => StoreError::Backend(e.to_string()),
    }
}

fn io_failure(e: &tokio_postgres::Error) -> bool {
    std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
}

fn classify(code: &SqlState, message: String) -> StoreError {
    if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED {
        return StoreError::Conflict(message);
    }
    let unavailable = [
        SqlState::QUERY_CANCELED,
        SqlState::LOCK_NOT_AVAILABLE,
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CRASH_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
        SqlState::TOO_MANY_CONNECTIONS,
        SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
        SqlState::READ_ONLY_SQL_TRANSACTION,
    ];
    // Class 08 is "connection exception" in every variant.
    if unavailable.contains(code) || code.code().starts_with("08") {
        StoreError::Unavailable(message)
    } else {
        StoreError::Backend(message)
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    // Every pool failure (a timeout waiting for a connection, a connection that cannot be made)
    // means the database cannot serve this request now. When the server refused the connection
    // it said why (no such database, a role that may not log in), and tokio-postgres's `Display`
    // says only "db error": the server's words are what the operator needs.
    let reason = match &e {
        deadpool_postgres::PoolError::Backend(pg) => pg
            .as_db_error()
            .map(|db| format!("{} ({})", db.message(), db.code().code())),
        _ => None,
    }
    .unwrap_or_else(|| e.to_string());
    StoreError::Unavailable(format!("cannot get a database connection: {reason}"))
}

/// The advisory-lock key of a scope's quota: a stable 64-bit FNV-1a hash, so every node, whatever
/// its build, computes the same key. A collision only makes two scopes wait for each other.
fn quota_lock_key(schema: &str, scope: &Scope) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [
        "certgate-quota",
        schema,
        scope.account.as_str(),
        scope.region.as_str(),
    ] {
        for b in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// The parameters as tokio-postgres takes them.
fn bind(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// Every row of a statement, each mapped by the family's shared mapping.
async fn rows<T>(
    c: &impl GenericClient,
    sql: &str,
    params: &[Value],
    map: impl Fn(&Row) -> Result<T>,
) -> Result<Vec<T>> {
    let stmt = c.prepare_cached(sql).await.map_err(pg_error)?;
    let rows = c.query(&stmt, &bind(params)).await.map_err(pg_error)?;
    rows.iter().map(map).collect()
}

/// The first row of a statement, if any.
async fn first<T>(
    c: &impl GenericClient,
    sql: &str,
    params: &[Value],
    map: impl FnOnce(&Row) -> Result<T>,
) -> Result<Option<T>> {
    let stmt = c.prepare_cached(sql).await.map_err(pg_error)?;
    let row = c.query_opt(&stmt, &bind(params)).await.map_err(pg_error)?;
    row.as_ref().map(map).transpose()
}

/// Runs a statement and returns how many rows it changed, keeping the database's error so that a
/// caller can tell a unique violation from a failure.
async fn execute(
    c: &impl GenericClient,
    sql: &str,
    params: &[Value],
) -> std::result::Result<u64, tokio_postgres::Error> {
    let stmt = c.prepare_cached(sql).await?;
    c.execute(&stmt, &bind(params)).await
}

/// Runs an insert; a taken key is `IdTaken`.
async fn insert(c: &impl GenericClient, statement: &str, params: &[Value]) -> Result<()> {
    match execute(c, statement, params).await {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Err(StoreError::IdTaken),
        Err(e) => Err(pg_error(e)),
    }
}

/// A `COUNT(*)` statement's answer.
async fn count(c: &impl GenericClient, statement: &str, params: &[Value]) -> Result<u64> {
    Ok(first(c, statement, params, crate::certificates::count)
        .await?
        .unwrap_or(0))
}

fn sql() -> &'static Statements {
    Statements::postgres()
}

/// Commits when `result` is a success and rolls back at once otherwise: a transaction that holds a
/// quota or row lock must release it before the caller answers, not whenever the dropped
/// transaction's rollback gets sent.
async fn finish<T>(tx: deadpool_postgres::Transaction<'_>, result: Result<T>) -> Result<T> {
    match result {
        Ok(value) => {
            tx.commit().await.map_err(pg_error)?;
            Ok(value)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

impl PostgresStore {
    /// Connects, and applies pending migrations before answering anything.
    pub async fn open(url: &PostgresUrl) -> Result<Self> {
        let pg_config = url.config().map_err(StoreError::Backend)?;
        let tls = url.tls().connector().map_err(StoreError::Backend)?;
        let manager = Manager::from_config(
            pg_config.clone(),
            tls.clone(),
            ManagerConfig {
                // A connection the server or the network closed is noticed and replaced when it is
                // next taken from the pool, without a round trip for every request.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config::POOL_SIZE)
            .wait_timeout(Some(config::POOL_WAIT_TIMEOUT))
            .create_timeout(Some(config::CONNECT_TIMEOUT))
            .recycle_timeout(Some(config::CONNECT_TIMEOUT))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let store = PostgresStore {
            pool,
            schema: url.schema().unwrap_or_default().to_string(),
            changes: ChangeFeed::confirmed(),
        };
        let schema = url.schema().map(str::to_string);
        store
            .run(move |c| Box::pin(async move { migrations::apply(c, schema.as_deref()).await }))
            .await?;
        // After the migrations, which make the schema the listener reads its name from.
        listen::spawn(pg_config, tls, Arc::downgrade(&store.changes));
        Ok(store)
    }

    /// Runs `op` on a pooled connection under [`config::OPERATION_TIMEOUT`]. A connection whose
    /// operation timed out is in an unknown state (perhaps mid-transaction behind a dead network),
    /// so it is closed rather than returned to the pool.
    async fn run<T>(&self, op: impl for<'c> FnOnce(&'c mut Object) -> Op<'c, T>) -> Result<T> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        match tokio::time::timeout(config::OPERATION_TIMEOUT, op(&mut client)).await {
            Ok(result) => result,
            Err(_) => {
                drop(Object::take(client));
                Err(StoreError::Unavailable(format!(
                    "the database did not answer within {} s",
                    config::OPERATION_TIMEOUT.as_secs()
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests;
