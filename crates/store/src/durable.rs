//! Publishing a new file so that no reader ever sees it half-written and a crash never loses it:
//! write it whole under a temporary name beside its path, sync it, hard-link it into place (which
//! fails if the path exists, so of concurrent creators exactly one wins), then sync the directory.
//! Used for the SQLite file a first start creates and for the master key file.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// `path` with `.{tag}-{pid}-{n}` appended, unique to this process and call, so that concurrent
/// creators never share a temporary file.
pub fn temporary_name(path: &Path, tag: &str) -> PathBuf {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".{tag}-{}-{call}", std::process::id()));
    PathBuf::from(name)
}

/// Links the complete, synced file `tmp` to `path` unless `path` exists, and makes the new name
/// durable. Ok(true) when this call published it, Ok(false) when `path` was already there (another
/// process won); `tmp` is left for the caller to remove either way. A link error names `path`; a
/// failed directory sync says so.
pub fn link_into_place(tmp: &Path, path: &Path) -> Result<bool, LinkError> {
    match std::fs::hard_link(tmp, path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(LinkError::Link(e)),
    }
    sync_directory_of(path).map_err(LinkError::SyncDirectory)?;
    Ok(true)
}

/// Why [`link_into_place`] failed.
#[derive(Debug)]
pub enum LinkError {
    /// The hard link could not be made (no such support, permissions, …).
    Link(std::io::Error),
    /// The link was made but the directory could not be synced: the message says which.
    SyncDirectory(String),
}

/// Makes the directory entries of `path`'s directory durable. A synced file's name is only an
/// entry in its directory: without this, a power cut could take the file away after the caller
/// had relied on it.
pub fn sync_directory_of(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| format!("cannot sync directory {}: {e}", dir.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
