//! Creating a new database file: built whole under a temporary name beside its path, then linked
//! into place.
//!
//! Created in place, a new database costs about ten fsyncs before it can serve: the switch to WAL
//! goes through a rollback journal (the journal, its directory, its header, the file), then the WAL
//! is created (its header and its directory) and the migrations and every initial setting commit
//! on their own. On a busy disk that is tens of milliseconds of every first start. A file that no
//! other process can see yet needs nothing to be durable until it is complete, so it is written
//! without syncing, made durable with one fsync of the file and one of its directory, and
//! published with a hard link, which fails if the path exists. A crash therefore leaves either no
//! database at the path or a complete one, never a half-made one, and of two processes creating
//! the same store at once, one publishes its file and the other opens that one.

use std::path::{Path, PathBuf};

use certgate_core::SecretBytes;
use rusqlite::{Connection, OpenFlags};

use super::migrations;
use crate::durable::{self, LinkError};

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Creates the database at `path` (which did not exist a moment ago) with the current schema and
/// `settings` in it. Ok also when another process published its database first: the caller opens
/// whichever is there. Any error leaves no file behind.
pub(super) fn create(path: &Path, settings: &[(String, SecretBytes)]) -> Result<(), String> {
    let tmp = durable::temporary_name(path, "creating");
    let result = build(&tmp, settings).and_then(|()| publish(&tmp, path));
    for leftover in [
        tmp.clone(),
        with_suffix(&tmp, "-journal"),
        with_suffix(&tmp, "-wal"),
        with_suffix(&tmp, "-shm"),
    ] {
        let _ = std::fs::remove_file(leftover);
    }
    result
}

/// Writes the whole database to `tmp` and makes it durable.
fn build(tmp: &Path, settings: &[(String, SecretBytes)]) -> Result<(), String> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let fail = |e: rusqlite::Error| format!("{}: {e}", tmp.display());
    let mut conn = Connection::open_with_flags(tmp, flags).map_err(fail)?;
    // Nothing is synced while the file is private (not even the switch to WAL, hence this
    // first): it is synced once, whole, below. WAL is recorded in the file's header, so the
    // published file opens in WAL mode.
    conn.pragma_update(None, "synchronous", "OFF")
        .map_err(fail)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(fail)?;
    migrations::apply(&mut conn).map_err(fail)??;
    for (name, value) in settings {
        conn.execute(
            "INSERT INTO certgate_settings (name, value) VALUES (?1, ?2)",
            (name, value.expose()),
        )
        .map_err(fail)?;
    }
    // Closing the only connection checkpoints the WAL into the file and deletes it. Publishing the
    // main file alone is right only if that happened, so it is checked rather than assumed.
    conn.close().map_err(|(_, e)| fail(e))?;
    if with_suffix(tmp, "-wal").exists() {
        return Err(format!(
            "{}: the write-ahead log was not checkpointed on close",
            tmp.display()
        ));
    }
    std::fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("cannot sync {}: {e}", tmp.display()))
}

/// Links `tmp` to `path` unless `path` exists (then the caller opens the other process's file),
/// then makes the new name durable: without syncing the directory, a power loss could take the
/// database away after the server had acknowledged writes into it.
fn publish(tmp: &Path, path: &Path) -> Result<(), String> {
    match durable::link_into_place(tmp, path) {
        Ok(_) => Ok(()),
        Err(LinkError::Link(e)) => Err(format!("cannot create {}: {e}", path.display())),
        Err(LinkError::SyncDirectory(message)) => Err(message),
    }
}
