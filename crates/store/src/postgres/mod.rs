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

mod config;
mod migrations;

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use certgate_core::{AccountId, Certificate, CertificateId, Region, Scope, SecretBytes, Tags};
use deadpool_postgres::{ClientWrapper, Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::{NoTls, Row};

pub use config::PostgresUrl;

use crate::{NewCertificate, Result, ScanCursor, Store, StoreError, StoredCertificate};

const COLUMNS: &str = "id, description, pem, created_at, expires_at, tags";

pub struct PostgresStore {
    pool: Pool,
    /// Part of every quota lock's key, so that stores in different schemas of one database never
    /// wait for each other.
    schema: String,
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
    // means the database cannot serve this request now.
    StoreError::Unavailable(format!("cannot get a database connection: {e}"))
}

fn decode(what: &str) -> StoreError {
    StoreError::Backend(format!("a stored {what} is malformed"))
}

fn row_to_certificate(row: &Row) -> Result<Certificate> {
    let id: String = row.try_get(0).map_err(pg_error)?;
    let tags: String = row.try_get(5).map_err(pg_error)?;
    Ok(Certificate {
        id: CertificateId::parse(&id).ok_or_else(|| decode("id"))?,
        description: row.try_get(1).map_err(pg_error)?,
        pem: row.try_get(2).map_err(pg_error)?,
        created: row.try_get(3).map_err(pg_error)?,
        expires: row.try_get(4).map_err(pg_error)?,
        tags: serde_json::from_str(&tags).map_err(|_| decode("tag set"))?,
    })
}

fn row_to_stored(row: &Row) -> Result<StoredCertificate> {
    // The scan selects account, region and key after the usual columns.
    let account: String = row.try_get(6).map_err(pg_error)?;
    let region: String = row.try_get(7).map_err(pg_error)?;
    Ok(StoredCertificate {
        certificate: row_to_certificate(row)?,
        scope: Scope {
            account: AccountId::parse(&account).ok_or_else(|| decode("account"))?,
            region: Region::parse(&region).ok_or_else(|| decode("region"))?,
        },
        private_key: SecretBytes::new(row.try_get::<_, Vec<u8>>(8).map_err(pg_error)?),
    })
}

fn tags_json(tags: &Tags) -> Result<String> {
    serde_json::to_string(tags).map_err(|e| StoreError::Backend(e.to_string()))
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

/// Inserts one row; a taken (account, region, id) is `IdTaken`.
async fn insert_row(
    client: &impl deadpool_postgres::GenericClient,
    scope: &Scope,
    c: &Certificate,
    private_key: &SecretBytes,
) -> Result<()> {
    let tags = tags_json(&c.tags)?;
    let stmt = client
        .prepare_cached(
            "INSERT INTO client_certificates
                (account, region, id, description, pem, created_at, expires_at, tags, private_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .await
        .map_err(pg_error)?;
    let inserted = client
        .execute(
            &stmt,
            &[
                &scope.account.as_str(),
                &scope.region.as_str(),
                &c.id.as_str(),
                &c.description,
                &c.pem,
                &c.created,
                &c.expires,
                &tags,
                &private_key.expose(),
            ],
        )
        .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Err(StoreError::IdTaken),
        Err(e) => Err(pg_error(e)),
    }
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
        let manager = Manager::from_config(
            pg_config,
            NoTls,
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
        };
        let schema = url.schema().map(str::to_string);
        store
            .run(move |c| Box::pin(async move { migrations::apply(c, schema.as_deref()).await }))
            .await?;
        Ok(store)
    }

    /// Runs `op` on a pooled connection under [`config::OPERATION_TIMEOUT`]. A connection whose
    /// operation timed out is in an unknown state (perhaps mid-transaction behind a dead network),
    /// so it is closed rather than returned to the pool.
    async fn run<T>(
        &self,
        op: impl for<'c> FnOnce(&'c mut ClientWrapper) -> Op<'c, T>,
    ) -> Result<T> {
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

    /// Reads a certificate's tags under a row lock, lets `change` compute the new ones and writes
    /// them in the same transaction: a concurrent change to the same certificate waits for the lock
    /// and then sees this one's result, so neither is lost.
    async fn change_tags(
        &self,
        scope: &Scope,
        id: &CertificateId,
        change: impl FnOnce(Tags) -> Result<Tags> + Send + 'static,
    ) -> Result<Tags> {
        let (scope, id) = (scope.clone(), id.clone());
        self.run(move |c| {
            Box::pin(async move {
                let tx = c.transaction().await.map_err(pg_error)?;
                let result = async {
                    let key = (scope.account.as_str(), scope.region.as_str(), id.as_str());
                    let stmt = tx
                        .prepare_cached(
                            "SELECT tags FROM client_certificates
                         WHERE account = $1 AND region = $2 AND id = $3 FOR UPDATE",
                        )
                        .await
                        .map_err(pg_error)?;
                    let row = tx
                        .query_opt(&stmt, &[&key.0, &key.1, &key.2])
                        .await
                        .map_err(pg_error)?
                        .ok_or(StoreError::NotFound)?;
                    let current: String = row.try_get(0).map_err(pg_error)?;
                    let current: Tags =
                        serde_json::from_str(&current).map_err(|_| decode("tag set"))?;
                    let next = change(current)?;
                    let json = tags_json(&next)?;
                    let stmt = tx
                        .prepare_cached(
                            "UPDATE client_certificates SET tags = $4
                     WHERE account = $1 AND region = $2 AND id = $3",
                        )
                        .await
                        .map_err(pg_error)?;
                    tx.execute(&stmt, &[&key.0, &key.1, &key.2, &json])
                        .await
                        .map_err(pg_error)?;
                    Ok(next)
                }
                .await;
                finish(tx, result).await
            })
        })
        .await
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    async fn insert(&self, scope: &Scope, new: &NewCertificate, quota: u32) -> Result<()> {
        let (scope, new) = (scope.clone(), new.clone());
        let lock = quota_lock_key(&self.schema, &scope);
        self.run(move |c| {
            Box::pin(async move {
                let tx = c.transaction().await.map_err(pg_error)?;
                let result = async {
                    // Held until commit or rollback: every node inserting into this scope queues here,
                    // so the count below cannot go stale before the insert.
                    let stmt = tx
                        .prepare_cached("SELECT pg_advisory_xact_lock($1)")
                        .await
                        .map_err(pg_error)?;
                    tx.execute(&stmt, &[&lock]).await.map_err(pg_error)?;
                    let stmt = tx
                        .prepare_cached(
                            "SELECT COUNT(*) FROM client_certificates
                             WHERE account = $1 AND region = $2",
                        )
                        .await
                        .map_err(pg_error)?;
                    let count: i64 = tx
                        .query_one(&stmt, &[&scope.account.as_str(), &scope.region.as_str()])
                        .await
                        .map_err(pg_error)?
                        .try_get(0)
                        .map_err(pg_error)?;
                    if count >= i64::from(quota) {
                        return Err(StoreError::QuotaExceeded { limit: quota });
                    }
                    insert_row(&tx, &scope, &new.certificate, &new.private_key).await
                }
                .await;
                finish(tx, result).await
            })
        })
        .await
    }

    async fn get(&self, scope: &Scope, id: &CertificateId) -> Result<Option<Certificate>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.run(move |c| {
            Box::pin(async move {
                let stmt = c
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM client_certificates
                             WHERE account = $1 AND region = $2 AND id = $3"
                    ))
                    .await
                    .map_err(pg_error)?;
                let row = c
                    .query_opt(
                        &stmt,
                        &[
                            &scope.account.as_str(),
                            &scope.region.as_str(),
                            &id.as_str(),
                        ],
                    )
                    .await
                    .map_err(pg_error)?;
                row.as_ref().map(row_to_certificate).transpose()
            })
        })
        .await
    }

    async fn private_key(&self, scope: &Scope, id: &CertificateId) -> Result<Option<SecretBytes>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.run(move |c| {
            Box::pin(async move {
                let stmt = c
                    .prepare_cached(
                        "SELECT private_key FROM client_certificates
                         WHERE account = $1 AND region = $2 AND id = $3",
                    )
                    .await
                    .map_err(pg_error)?;
                let row = c
                    .query_opt(
                        &stmt,
                        &[
                            &scope.account.as_str(),
                            &scope.region.as_str(),
                            &id.as_str(),
                        ],
                    )
                    .await
                    .map_err(pg_error)?;
                row.map(|r| r.try_get::<_, Vec<u8>>(0).map(SecretBytes::new))
                    .transpose()
                    .map_err(pg_error)
            })
        })
        .await
    }

    async fn list(
        &self,
        scope: &Scope,
        after: Option<&CertificateId>,
        limit: u32,
    ) -> Result<Vec<Certificate>> {
        let (scope, after) = (
            scope.clone(),
            after.map(|a| a.as_str().to_string()).unwrap_or_default(),
        );
        self.run(move |c| {
            Box::pin(async move {
                // Every valid id sorts after the empty string, so the first page needs no second
                // query.
                let stmt = c
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM client_certificates
                             WHERE account = $1 AND region = $2 AND id > $3 ORDER BY id LIMIT $4"
                    ))
                    .await
                    .map_err(pg_error)?;
                let rows = c
                    .query(
                        &stmt,
                        &[
                            &scope.account.as_str(),
                            &scope.region.as_str(),
                            &after,
                            &i64::from(limit),
                        ],
                    )
                    .await
                    .map_err(pg_error)?;
                rows.iter().map(row_to_certificate).collect()
            })
        })
        .await
    }

    async fn count(&self, scope: &Scope) -> Result<u64> {
        let scope = scope.clone();
        self.run(move |c| {
            Box::pin(async move {
                let stmt = c
                    .prepare_cached(
                        "SELECT COUNT(*) FROM client_certificates
                         WHERE account = $1 AND region = $2",
                    )
                    .await
                    .map_err(pg_error)?;
                let n: i64 = c
                    .query_one(&stmt, &[&scope.account.as_str(), &scope.region.as_str()])
                    .await
                    .map_err(pg_error)?
                    .try_get(0)
                    .map_err(pg_error)?;
                Ok(n.max(0).unsigned_abs())
            })
        })
        .await
    }

    async fn set_description(
        &self,
        scope: &Scope,
        id: &CertificateId,
        description: Option<&str>,
    ) -> Result<Certificate> {
        let (scope, id, description) = (scope.clone(), id.clone(), description.map(str::to_string));
        self.run(move |c| {
            Box::pin(async move {
                let stmt = c
                    .prepare_cached(&format!(
                        "UPDATE client_certificates SET description = $4
                             WHERE account = $1 AND region = $2 AND id = $3 RETURNING {COLUMNS}"
                    ))
                    .await
                    .map_err(pg_error)?;
                let row = c
                    .query_opt(
                        &stmt,
                        &[
                            &scope.account.as_str(),
                            &scope.region.as_str(),
                            &id.as_str(),
                            &description,
                        ],
                    )
                    .await
                    .map_err(pg_error)?
                    .ok_or(StoreError::NotFound)?;
                row_to_certificate(&row)
            })
        })
        .await
    }

    async fn delete(&self, scope: &Scope, id: &CertificateId) -> Result<()> {
        let (scope, id) = (scope.clone(), id.clone());
        self.run(move |c| {
            Box::pin(async move {
                let stmt = c
                    .prepare_cached(
                        "DELETE FROM client_certificates
                         WHERE account = $1 AND region = $2 AND id = $3",
                    )
                    .await
                    .map_err(pg_error)?;
                let n = c
                    .execute(
                        &stmt,
                        &[
                            &scope.account.as_str(),
                            &scope.region.as_str(),
                            &id.as_str(),
                        ],
                    )
                    .await
                    .map_err(pg_error)?;
                if n == 0 {
                    Err(StoreError::NotFound)
                } else {
                    Ok(())
                }
            })
        })
        .await
    }

    async fn add_tags(
        &self,
        scope: &Scope,
        id: &CertificateId,
        tags: &Tags,
        max_tags: usize,
    ) -> Result<Tags> {
        let tags = tags.clone();
        self.change_tags(scope, id, move |mut current| {
            current.extend(tags);
            if current.len() > max_tags {
                return Err(StoreError::TooManyTags {
                    count: current.len(),
                    limit: max_tags,
                });
            }
            Ok(current)
        })
        .await
    }

    async fn remove_tags(
        &self,
        scope: &Scope,
        id: &CertificateId,
        keys: &[String],
    ) -> Result<Tags> {
        let keys = keys.to_vec();
        self.change_tags(scope, id, move |mut current| {
            for k in &keys {
                current.remove(k);
            }
            Ok(current)
        })
        .await
    }

    async fn scan(&self, after: Option<&ScanCursor>, limit: u32) -> Result<Vec<StoredCertificate>> {
        // Every valid key sorts after three empty strings, so the first page needs no other query.
        let after = after.map_or((String::new(), String::new(), String::new()), |c| {
            (
                c.scope.account.as_str().to_string(),
                c.scope.region.as_str().to_string(),
                c.id.as_str().to_string(),
            )
        });
        self.run(move |c| {
            Box::pin(async move {
                let stmt = c
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS}, account, region, private_key FROM client_certificates
                             WHERE (account, region, id) > ($1, $2, $3)
                             ORDER BY account, region, id LIMIT $4"
                    ))
                    .await
                    .map_err(pg_error)?;
                let rows = c
                    .query(&stmt, &[&after.0, &after.1, &after.2, &i64::from(limit)])
                    .await
                    .map_err(pg_error)?;
                rows.iter().map(row_to_stored).collect()
            })
        })
        .await
    }

    async fn import(&self, record: &StoredCertificate) -> Result<()> {
        let record = record.clone();
        self.run(move |c| {
            Box::pin(async move {
                // One statement, but inside a transaction because that is what `insert_row` writes through.
                let tx = c.transaction().await.map_err(pg_error)?;
                let result =
                    insert_row(&tx, &record.scope, &record.certificate, &record.private_key).await;
                finish(tx, result).await
            })
        })
        .await
    }

    async fn replace_private_key(
        &self,
        scope: &Scope,
        id: &CertificateId,
        expected: &SecretBytes,
        new: &SecretBytes,
    ) -> Result<bool> {
        let (scope, id, expected, new) = (scope.clone(), id.clone(), expected.clone(), new.clone());
        self.run(move |c| {
            Box::pin(async move {
                let stmt = c
                    .prepare_cached(
                        "UPDATE client_certificates SET private_key = $5
                         WHERE account = $1 AND region = $2 AND id = $3 AND private_key = $4",
                    )
                    .await
                    .map_err(pg_error)?;
                let n = c
                    .execute(
                        &stmt,
                        &[
                            &scope.account.as_str(),
                            &scope.region.as_str(),
                            &id.as_str(),
                            &expected.expose(),
                            &new.expose(),
                        ],
                    )
                    .await
                    .map_err(pg_error)?;
                Ok(n == 1)
            })
        })
        .await
    }

    async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let name = name.to_string();
        self.run(move |c| {
            Box::pin(async move {
                let stmt = c
                    .prepare_cached("SELECT value FROM certgate_settings WHERE name = $1")
                    .await
                    .map_err(pg_error)?;
                let row = c.query_opt(&stmt, &[&name]).await.map_err(pg_error)?;
                row.map(|r| r.try_get(0)).transpose().map_err(pg_error)
            })
        })
        .await
    }

    async fn init_setting(&self, name: &str, value: &[u8]) -> Result<Vec<u8>> {
        let (name, value) = (name.to_string(), value.to_vec());
        self.run(move |c| {
            Box::pin(async move {
                // The second statement runs after the first committed (autocommit), so it sees
                // either our row or the one another node inserted first.
                let stmt = c
                    .prepare_cached(
                        "INSERT INTO certgate_settings (name, value) VALUES ($1, $2)
                     ON CONFLICT (name) DO NOTHING",
                    )
                    .await
                    .map_err(pg_error)?;
                c.execute(&stmt, &[&name, &value]).await.map_err(pg_error)?;
                let stmt = c
                    .prepare_cached("SELECT value FROM certgate_settings WHERE name = $1")
                    .await
                    .map_err(pg_error)?;
                c.query_one(&stmt, &[&name])
                    .await
                    .map_err(pg_error)?
                    .try_get(0)
                    .map_err(pg_error)
            })
        })
        .await
    }

    async fn put_setting(&self, name: &str, value: &[u8]) -> Result<()> {
        let (name, value) = (name.to_string(), value.to_vec());
        self.run(move |c| {
            Box::pin(async move {
                let stmt = c
                    .prepare_cached(
                        "INSERT INTO certgate_settings (name, value) VALUES ($1, $2)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    )
                    .await
                    .map_err(pg_error)?;
                c.execute(&stmt, &[&name, &value]).await.map_err(pg_error)?;
                Ok(())
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests;
