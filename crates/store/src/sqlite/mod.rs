//! The embedded engine: one SQLite file in WAL mode. Writes go through a single connection (SQLite
//! has one writer at a time anyway, and serialising them here keeps the quota check and the insert
//! atomic without busy retries); reads use a small pool of their own connections so they never wait
//! behind a write. All calls run on tokio's blocking threads.

mod create;
mod migrations;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use certgate_core::{AccountId, Certificate, CertificateId, Region, Scope, SecretBytes, Tags};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::{NewCertificate, Result, ScanCursor, Store, StoreError, StoredCertificate};

/// How many reads run at once, each on its own connection. Reads beyond this wait for a connection
/// instead of opening one: opening a connection costs far more than a keyed lookup, and a machine
/// has few cores to run more queries on anyway.
const MAX_READERS: usize = 8;

const COLUMNS: &str = "id, description, pem, created_at, expires_at, tags";

pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// One permit per connection in `readers`, so the pool never grows past `MAX_READERS`.
    read_permits: tokio::sync::Semaphore,
}

fn backend(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave a connection half-way through a transaction that
    // matters: rusqlite rolls back an unfinished transaction when it is dropped. So the poisoned
    // connection is still usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The largest page `list` reads on the calling thread.
const INLINE_PAGE: u32 = 25;

/// How much of the database file each connection maps (256 MiB, about 100,000 certificates).
const MMAP_SIZE: i64 = 256 * 1024 * 1024;

fn connect(path: &PathBuf) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    // WAL lets readers run beside the writer; synchronous=FULL makes every acknowledged commit
    // durable against power loss, not only against a killed process.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // A certificate row does not fit in one page, and SQLite reads overflow pages with a pread
    // system call each, bypassing its page cache; mapped, they are plain memory reads. Writes still
    // go through the WAL, so durability and other processes sharing the file are unaffected.
    conn.pragma_update(None, "mmap_size", MMAP_SIZE)?;
    Ok(conn)
}

fn row_to_certificate(row: &rusqlite::Row<'_>) -> rusqlite::Result<Certificate> {
    let id: String = row.get(0)?;
    let tags: String = row.get(5)?;
    let bad = |what: &str| {
        rusqlite::Error::InvalidColumnType(0, what.to_string(), rusqlite::types::Type::Text)
    };
    Ok(Certificate {
        id: CertificateId::parse(&id).ok_or_else(|| bad("id"))?,
        description: row.get(1)?,
        pem: row.get(2)?,
        created: row.get(3)?,
        expires: row.get(4)?,
        tags: serde_json::from_str(&tags).map_err(|_| bad("tags"))?,
    })
}

fn row_to_stored(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredCertificate> {
    // The scan selects account, region and key after the usual columns.
    let bad = |what: &str| {
        rusqlite::Error::InvalidColumnType(6, what.to_string(), rusqlite::types::Type::Text)
    };
    let account: String = row.get(6)?;
    let region: String = row.get(7)?;
    Ok(StoredCertificate {
        certificate: row_to_certificate(row)?,
        scope: Scope {
            account: AccountId::parse(&account).ok_or_else(|| bad("account"))?,
            region: Region::parse(&region).ok_or_else(|| bad("region"))?,
        },
        private_key: SecretBytes::new(row.get::<_, Vec<u8>>(8)?),
    })
}

/// Inserts one row; a taken (account, region, id) is `IdTaken`.
fn insert_row(
    conn: &Connection,
    scope: &Scope,
    c: &Certificate,
    tags: &str,
    private_key: &SecretBytes,
) -> Result<()> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO client_certificates
                (account, region, id, description, pem, created_at, expires_at, tags, private_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .and_then(|mut s| {
            s.execute(rusqlite::params![
                scope.account.as_str(),
                scope.region.as_str(),
                c.id.as_str(),
                c.description,
                c.pem,
                c.created,
                c.expires,
                tags,
                private_key.expose(),
            ])
        });
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
            Err(StoreError::IdTaken)
        }
        Err(e) => Err(backend(e)),
    }
}

fn tags_json(tags: &Tags) -> Result<String> {
    serde_json::to_string(tags).map_err(|e| StoreError::Backend(e.to_string()))
}

fn select_one(
    conn: &Connection,
    scope: &Scope,
    id: &CertificateId,
) -> rusqlite::Result<Option<Certificate>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM client_certificates WHERE account = ?1 AND region = ?2 AND id = ?3"
    ))?
    .query_row(
        (scope.account.as_str(), scope.region.as_str(), id.as_str()),
        row_to_certificate,
    )
    .optional()
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub async fn open(path: PathBuf) -> Result<Self> {
        Self::open_with_settings(path, &[]).await
    }

    /// Like [`SqliteStore::open`]; a database that this call creates starts with `settings`
    /// (name, value) already in it, as if `init_setting` had been called for each, which saves a
    /// commit (an fsync) per setting at a first start. An existing database is left as it is, and
    /// a file that has to be created in place (see `create`) starts without them, so callers still
    /// read or `init_setting` each one.
    pub async fn open_with_settings(path: PathBuf, settings: &[(&str, &[u8])]) -> Result<Self> {
        let settings: Vec<(String, SecretBytes)> = settings
            .iter()
            .map(|(name, value)| (name.to_string(), SecretBytes::new(value.to_vec())))
            .collect();
        tokio::task::spawn_blocking(move || Self::open_blocking(path, &settings))
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?
    }

    fn open_blocking(path: PathBuf, settings: &[(String, SecretBytes)]) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Backend(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let absent = matches!(
            std::fs::symlink_metadata(&path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound
        );
        if absent {
            // Where the file cannot be made this way (a file system without hard links, say), it
            // is made in place below, as before, and a real problem is reported from there.
            if let Err(cause) = create::create(&path, settings) {
                tracing::debug!(%cause, "cannot create the database whole; creating it in place");
            }
        }
        let mut writer =
            connect(&path).map_err(|e| StoreError::Backend(format!("{}: {e}", path.display())))?;
        migrations::apply(&mut writer)
            .map_err(backend)?
            .map_err(StoreError::Backend)?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                read_permits: tokio::sync::Semaphore::new(MAX_READERS),
            }),
        })
    }

    /// Runs `f` on the write connection on a blocking thread.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&mut lock(&inner.writer)))
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?
    }

    /// Runs `f` on a pooled read connection on a blocking thread.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        // The permit is held until the connection is back in the pool.
        let _permit = self
            .inner
            .read_permits
            .acquire()
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = lock(&inner.readers).pop();
            let conn = match pooled {
                Some(c) => c,
                None => connect(&inner.path).map_err(backend)?,
            };
            let result = f(&conn);
            lock(&inner.readers).push(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?
    }

    /// Runs a point read (a keyed lookup) right here on the calling thread when a pooled connection
    /// is free, and on a blocking thread otherwise. Such a read takes microseconds, less than handing
    /// it to another thread and back, and WAL readers never wait for the writer, so the caller's
    /// thread is not held up. Pages of up to `INLINE_PAGE` run here too since the file is mapped;
    /// larger pages stay on the blocking pool so as not to hold a runtime thread for long.
    async fn read_short<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let permit = match self.inner.read_permits.try_acquire() {
            Ok(permit) => permit,
            Err(_) => return self.read(f).await,
        };
        let pooled = lock(&self.inner.readers).pop();
        let conn = match pooled {
            Some(c) => c,
            None => connect(&self.inner.path).map_err(backend)?,
        };
        let result = f(&conn);
        lock(&self.inner.readers).push(conn);
        drop(permit);
        result
    }

    /// Reads a certificate's tags, lets `change` compute the new ones and writes them, in one
    /// immediate transaction so that concurrent tag changes never lose each other's writes.
    async fn change_tags(
        &self,
        scope: &Scope,
        id: &CertificateId,
        change: impl FnOnce(Tags) -> Result<Tags> + Send + 'static,
    ) -> Result<Tags> {
        let (scope, id) = (scope.clone(), id.clone());
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
            let current: Option<String> = tx
                .prepare_cached("SELECT tags FROM client_certificates WHERE account = ?1 AND region = ?2 AND id = ?3")
                .and_then(|mut s| {
                    s.query_row((scope.account.as_str(), scope.region.as_str(), id.as_str()), |r| r.get(0))
                        .optional()
                })
                .map_err(backend)?;
            let current: Tags = match current {
                None => return Err(StoreError::NotFound),
                Some(json) => serde_json::from_str(&json).map_err(|e| StoreError::Backend(e.to_string()))?,
            };
            let next = change(current)?;
            let json = tags_json(&next)?;
            tx.prepare_cached(
                "UPDATE client_certificates SET tags = ?4 WHERE account = ?1 AND region = ?2 AND id = ?3",
            )
            .and_then(|mut s| s.execute((scope.account.as_str(), scope.region.as_str(), id.as_str(), json)))
            .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(next)
        })
        .await
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn engine(&self) -> &'static str {
        "sqlite"
    }

    async fn insert(&self, scope: &Scope, new: &NewCertificate, quota: u32) -> Result<()> {
        let (scope, new) = (scope.clone(), new.clone());
        let tags = tags_json(&new.certificate.tags)?;
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            let count: i64 = tx
                .prepare_cached(
                    "SELECT COUNT(*) FROM client_certificates WHERE account = ?1 AND region = ?2",
                )
                .and_then(|mut s| {
                    s.query_row((scope.account.as_str(), scope.region.as_str()), |r| {
                        r.get(0)
                    })
                })
                .map_err(backend)?;
            if count >= i64::from(quota) {
                return Err(StoreError::QuotaExceeded { limit: quota });
            }
            insert_row(&tx, &scope, &new.certificate, &tags, &new.private_key)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn get(&self, scope: &Scope, id: &CertificateId) -> Result<Option<Certificate>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.read_short(move |conn| select_one(conn, &scope, &id).map_err(backend))
            .await
    }

    async fn private_key(&self, scope: &Scope, id: &CertificateId) -> Result<Option<SecretBytes>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT private_key FROM client_certificates WHERE account = ?1 AND region = ?2 AND id = ?3",
            )
            .and_then(|mut s| {
                s.query_row((scope.account.as_str(), scope.region.as_str(), id.as_str()), |r| r.get::<_, Vec<u8>>(0))
                    .optional()
            })
            .map(|k| k.map(SecretBytes::new))
            .map_err(backend)
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
        let page = move |conn: &Connection| {
            // Every valid id sorts after the empty string, so the first page needs no second query.
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM client_certificates
                     WHERE account = ?1 AND region = ?2 AND id > ?3 ORDER BY id LIMIT ?4"
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map(
                    (scope.account.as_str(), scope.region.as_str(), after, limit),
                    row_to_certificate,
                )
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        };
        // Small pages read from the mapped file in tens of microseconds: cheaper inline than a hop
        // to the blocking pool and back (measured once the file was mapped; before, it was not).
        if limit <= INLINE_PAGE {
            self.read_short(page).await
        } else {
            self.read(page).await
        }
    }

    async fn count(&self, scope: &Scope) -> Result<u64> {
        let scope = scope.clone();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT COUNT(*) FROM client_certificates WHERE account = ?1 AND region = ?2",
            )
            .and_then(|mut s| {
                s.query_row((scope.account.as_str(), scope.region.as_str()), |r| {
                    r.get::<_, i64>(0)
                })
            })
            .map(|n| n.max(0) as u64)
            .map_err(backend)
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
        self.write(move |conn| {
            conn.prepare_cached(&format!(
                "UPDATE client_certificates SET description = ?4
                 WHERE account = ?1 AND region = ?2 AND id = ?3 RETURNING {COLUMNS}"
            ))
            .and_then(|mut s| {
                s.query_row(
                    (
                        scope.account.as_str(),
                        scope.region.as_str(),
                        id.as_str(),
                        description,
                    ),
                    row_to_certificate,
                )
                .optional()
            })
            .map_err(backend)?
            .ok_or(StoreError::NotFound)
        })
        .await
    }

    async fn delete(&self, scope: &Scope, id: &CertificateId) -> Result<()> {
        let (scope, id) = (scope.clone(), id.clone());
        self.write(move |conn| {
            let n = conn
                .prepare_cached("DELETE FROM client_certificates WHERE account = ?1 AND region = ?2 AND id = ?3")
                .and_then(|mut s| s.execute((scope.account.as_str(), scope.region.as_str(), id.as_str())))
                .map_err(backend)?;
            if n == 0 {
                Err(StoreError::NotFound)
            } else {
                Ok(())
            }
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
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS}, account, region, private_key FROM client_certificates
                     WHERE (account, region, id) > (?1, ?2, ?3)
                     ORDER BY account, region, id LIMIT ?4"
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map((after.0, after.1, after.2, limit), row_to_stored)
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn import(&self, record: &StoredCertificate) -> Result<()> {
        let record = record.clone();
        let tags = tags_json(&record.certificate.tags)?;
        self.write(move |conn| {
            insert_row(
                conn,
                &record.scope,
                &record.certificate,
                &tags,
                &record.private_key,
            )
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
        self.write(move |conn| {
            conn.prepare_cached(
                "UPDATE client_certificates SET private_key = ?5
                 WHERE account = ?1 AND region = ?2 AND id = ?3 AND private_key = ?4",
            )
            .and_then(|mut s| {
                s.execute(rusqlite::params![
                    scope.account.as_str(),
                    scope.region.as_str(),
                    id.as_str(),
                    expected.expose(),
                    new.expose(),
                ])
            })
            .map(|n| n == 1)
            .map_err(backend)
        })
        .await
    }

    async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let name = name.to_string();
        self.read(move |conn| {
            conn.prepare_cached("SELECT value FROM certgate_settings WHERE name = ?1")
                .and_then(|mut s| s.query_row([name], |r| r.get(0)).optional())
                .map_err(backend)
        })
        .await
    }

    async fn init_setting(&self, name: &str, value: &[u8]) -> Result<Vec<u8>> {
        let (name, value) = (name.to_string(), value.to_vec());
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO certgate_settings (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO NOTHING",
            )
            .and_then(|mut s| s.execute((&name, &value)))
            .map_err(backend)?;
            conn.prepare_cached("SELECT value FROM certgate_settings WHERE name = ?1")
                .and_then(|mut s| s.query_row([&name], |r| r.get(0)))
                .map_err(backend)
        })
        .await
    }

    async fn put_setting(&self, name: &str, value: &[u8]) -> Result<()> {
        let (name, value) = (name.to_string(), value.to_vec());
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO certgate_settings (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )
            .and_then(|mut s| s.execute((&name, &value)))
            .map(|_| ())
            .map_err(backend)
        })
        .await
    }
}
