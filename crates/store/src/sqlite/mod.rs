//! The embedded engine: one SQLite file in WAL mode. Writes go through a single connection (SQLite
//! has one writer at a time anyway, and serialising them here keeps the quota check and the insert
//! atomic without busy retries); reads use a small pool of their own connections so they never wait
//! behind a write. All calls run on tokio's blocking threads.

mod create;
mod families;
mod migrations;
mod restapis;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use certgate_core::SecretBytes;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::changes::ChangeFeed;
use crate::sql::Value;
use crate::statements::Statements;
use crate::{Result, StoreError};

/// How often the writer connection asks whether another process committed to the file.
const DATA_VERSION_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// How many reads run at once, each on its own connection. Reads beyond this wait for a connection
/// instead of opening one: opening a connection costs far more than a keyed lookup, and a machine
/// has few cores to run more queries on anyway.
const MAX_READERS: usize = 8;

pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    /// Every write of this process is announced here after it ends; another process's, within
    /// `DATA_VERSION_POLL` (see `watch_other_writers`).
    changes: Arc<ChangeFeed>,
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

/// What `PRAGMA data_version` says on `conn`: it changes when another connection commits.
fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
}

/// Every row of a statement, each mapped by the family's shared mapping.
fn rows<T>(
    conn: &Connection,
    sql: &str,
    params: &[Value],
    map: impl Fn(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params))
        .map_err(backend)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(backend)? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// The first row of a statement, if any.
fn first<T>(
    conn: &Connection,
    sql: &str,
    params: &[Value],
    map: impl FnOnce(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params))
        .map_err(backend)?;
    match rows.next().map_err(backend)? {
        Some(row) => map(row).map(Some),
        None => Ok(None),
    }
}

/// Runs a statement and returns how many rows it changed, keeping SQLite's error so that a caller
/// can tell a constraint violation from a failure.
fn execute(conn: &Connection, sql: &str, params: &[Value]) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?
        .execute(rusqlite::params_from_iter(params))
}

/// Runs an insert; a taken key is `IdTaken`.
fn insert(conn: &Connection, statement: &str, params: &[Value]) -> Result<()> {
    match execute(conn, statement, params) {
        Ok(_) => Ok(()),
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
            Err(StoreError::IdTaken)
        }
        Err(e) => Err(backend(e)),
    }
}

/// A `COUNT(*)` statement's answer.
fn count(conn: &Connection, statement: &str, params: &[Value]) -> Result<u64> {
    Ok(first(conn, statement, params, |r| crate::certificates::count(r))?.unwrap_or(0))
}

fn sql() -> &'static Statements {
    Statements::sqlite()
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
        let version = data_version(&writer).map_err(backend)?;
        let store = SqliteStore {
            inner: Arc::new(Inner {
                path,
                changes: ChangeFeed::always_current(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                read_permits: tokio::sync::Semaphore::new(MAX_READERS),
            }),
        };
        store.watch_other_writers(version);
        Ok(store)
    }

    pub(crate) fn changes(&self) -> &Arc<ChangeFeed> {
        &self.inner.changes
    }

    /// Announces [`crate::Event::Everything`] whenever another connection (another process on
    /// the same file: `certgate copy` into a live store, a second server) has committed. The
    /// writer connection's `PRAGMA data_version` changes exactly then: this process's own
    /// commits go through that connection and leave it alone, and its readers never write. The
    /// poll ends when the store is dropped; outside a tokio runtime there is none.
    fn watch_other_writers(&self, mut last: i64) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let inner = Arc::downgrade(&self.inner);
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(DATA_VERSION_POLL).await;
                let Some(strong) = inner.upgrade() else {
                    return;
                };
                let version = tokio::task::spawn_blocking(move || {
                    let version = data_version(&lock(&strong.writer)).ok();
                    (version, strong)
                })
                .await;
                let Ok((Some(version), strong)) = version else {
                    continue;
                };
                if version != last {
                    strong.changes.publish_everything();
                }
                last = version;
            }
        });
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
}
