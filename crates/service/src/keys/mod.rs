//! The master key that seals private keys at rest: where its file is, creating it on first use,
//! and checking at start-up that it is the key the store's private keys are sealed with.
//!
//! The store keeps the key's fingerprint as a store-wide setting, so every node of a cluster and
//! every restart is checked against the same value: a wrong key stops the start with a clear
//! message instead of producing keys that cannot be opened.

pub mod rotate;

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use certgate_core::SecretBytes;
use certgate_pki::seal::{envelope_fingerprint, fingerprint_hex, MasterKey};
use certgate_store::durable::LinkError;
use certgate_store::{DynStore, ScanCursor, StoreUrl};
use zeroize::Zeroizing;

/// The setting that holds the fingerprint of the master key the store's private keys are sealed
/// with, and what binds a sealed key to its row (both defined with the envelope format).
pub use certgate_pki::seal::{row_context as context, FINGERPRINT_SETTING};

/// The setting that holds the fingerprint of the key a rotation is moving to while it runs (empty
/// when none is). A store with a rotation under way refuses to serve until it is finished.
pub const ROTATING_SETTING: &str = "master-key.rotating-to";

/// The master key file's name beside a SQLite store (and in `./certgate-data/` for other stores).
pub const KEY_FILE_NAME: &str = "master.key";

/// How many rows a scan reads at a time.
pub(crate) const SCAN_BATCH: u32 = 200;

/// Where the master key is: the given file, or `master.key` in the directory of the SQLite file
/// (`certgate-data/` by default). Stores that are not files use `./certgate-data/master.key`; every
/// node of such a cluster must be given the same key (the start-up check refuses any other).
pub fn key_path(explicit: Option<&Path>, store: &StoreUrl) -> (PathBuf, bool) {
    if let Some(path) = explicit {
        return (path.to_path_buf(), true);
    }
    // A SQLite store keeps its key beside its file, so moving the data directory moves both;
    // PostgreSQL has no file of its own.
    let dir = if let StoreUrl::Sqlite(db) = store {
        db.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    } else {
        PathBuf::from("certgate-data")
    };
    (dir.join(KEY_FILE_NAME), false)
}

/// Reads a master key file: base64 of 32 bytes, surrounding whitespace ignored.
pub fn read_key_file(path: &Path) -> Result<MasterKey, String> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read master key file {}: {e}", path.display()))?,
    );
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| {
            format!(
                "master key file {} must hold 32 bytes in base64 (as `openssl rand -base64 32` writes)",
                path.display()
            )
        })?;
    MasterKey::from_bytes(SecretBytes::new(bytes))
        .map_err(|e| format!("master key file {}: {e}", path.display()))
}

/// Creates a new random master key in a new file readable by its owner only (0600). An existing
/// file is never overwritten.
pub fn create_key_file(path: &Path) -> Result<MasterKey, String> {
    match publish_new_key(path)? {
        Some(key) => Ok(key),
        None => Err(format!(
            "cannot create master key file {}: it already exists",
            path.display()
        )),
    }
}

/// Writes a fresh key to a temporary file beside `path` and links it into place, which fails if
/// `path` exists. Several nodes starting at once on one data directory therefore end up with one
/// key, and no process ever reads a half-written file. Returns None if another process won.
fn publish_new_key(path: &Path) -> Result<Option<MasterKey>, String> {
    let key = MasterKey::generate().map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create directory {}: {e}", dir.display()))?;
    }
    let tmp = certgate_store::durable::temporary_name(path, "tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&tmp)
        .map_err(|e| format!("cannot create master key file {}: {e}", tmp.display()))?;
    let text = Zeroizing::new(format!(
        "{}\n",
        base64::engine::general_purpose::STANDARD.encode(key.bytes().expose())
    ));
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write master key file {}: {e}", tmp.display()));
    let linked =
        written.and_then(
            |()| match certgate_store::durable::link_into_place(&tmp, path) {
                Ok(true) => Ok(Some(key)),
                Ok(false) => Ok(None),
                Err(LinkError::Link(e)) => Err(format!(
                    "cannot create master key file {}: {e}",
                    path.display()
                )),
                Err(LinkError::SyncDirectory(message)) => Err(message),
            },
        );
    let _ = std::fs::remove_file(&tmp);
    linked
}

/// The master key for `serve`: the file's key, or for the default location only, a new key
/// created there (said once, at start-up). A file given explicitly must exist.
pub fn load_for_serve(explicit: Option<&Path>, store: &StoreUrl) -> Result<MasterKey, String> {
    let (path, explicit) = key_path(explicit, store);
    if !explicit && !path.exists() {
        if let Some(key) = publish_new_key(&path)? {
            tracing::warn!(
                path = %path.display(),
                fingerprint = key.fingerprint_hex(),
                "created a new master key for private keys at rest; back it up: without it no private key can be read"
            );
            return Ok(key);
        }
        // Another process created it first: use theirs.
    }
    let key = read_key_file(&path)?;
    warn_if_readable_by_others(&path);
    Ok(key)
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the master key file is readable by other users; chmod 600 it");
        }
    }
}

fn store_error(e: impl std::fmt::Display) -> String {
    format!("store: {e}")
}

/// Checks at start-up that `key` is the store's master key; on the first start with encryption
/// at rest, records it and seals any key still stored in the clear.
pub async fn check_store(store: &DynStore, key: &MasterKey) -> Result<(), String> {
    if let Some(to) = store.setting(ROTATING_SETTING).await.map_err(store_error)? {
        if !to.is_empty() {
            return Err(format!(
                "a master key rotation to key {} was started and has not finished; run `certgate rotate-master-key` again to finish it",
                fingerprint_hex(&to)
            ));
        }
    }
    let fingerprint = key.fingerprint();
    let before = store
        .setting(FINGERPRINT_SETTING)
        .await
        .map_err(store_error)?;
    let current = store
        .init_setting(FINGERPRINT_SETTING, &fingerprint)
        .await
        .map_err(store_error)?;
    if current != fingerprint {
        return Err(format!(
            "wrong master key: the store's private keys are sealed with key {}, but the given key is {}; start with the right --master-key-file (or CERTGATE_MASTER_KEY_FILE)",
            fingerprint_hex(&current),
            key.fingerprint_hex()
        ));
    }
    if before.is_none() {
        let sealed = seal_clear_keys(store, key).await?;
        if sealed > 0 {
            tracing::info!(sealed, "sealed private keys that were stored in the clear");
        }
    }
    Ok(())
}

/// Seals every private key still stored in the clear (written before encryption at rest).
async fn seal_clear_keys(store: &DynStore, key: &MasterKey) -> Result<u64, String> {
    let mut after: Option<ScanCursor> = None;
    let mut sealed = 0;
    loop {
        let rows = store
            .scan(after.as_ref(), SCAN_BATCH)
            .await
            .map_err(store_error)?;
        let Some(last) = rows.last() else {
            return Ok(sealed);
        };
        after = Some(ScanCursor {
            scope: last.scope.clone(),
            id: last.certificate.id.clone(),
        });
        for row in &rows {
            if envelope_fingerprint(row.private_key.expose()).is_some() {
                continue;
            }
            let envelope = key
                .seal(&row.private_key, &context(&row.scope, &row.certificate.id))
                .map_err(|e| e.to_string())?;
            if store
                .replace_private_key(&row.scope, &row.certificate.id, &row.private_key, &envelope)
                .await
                .map_err(store_error)?
            {
                sealed += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests;
