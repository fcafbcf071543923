//! `certgate rotate-master-key`: re-encrypts every private key under a new master key.
//!
//! Each key is rewritten with a compare-and-swap, so none is lost to a concurrent change, and the
//! envelope names its master key, so a run that was interrupted (or limited with `--limit`) can
//! simply be run again: keys already under the new key are skipped. While a rotation is under way
//! the store says so, and `serve` refuses to start until a run has finished it. Stop every node
//! before rotating: a node still running with the old key would seal new keys with it.

use std::path::{Path, PathBuf};

use certgate_pki::seal::{envelope_fingerprint, fingerprint_hex, MasterKey};
use certgate_store::{DynStore, ScanCursor, StoreUrl};

use super::{
    context, key_path, read_key_file, store_error, FINGERPRINT_SETTING, ROTATING_SETTING,
    SCAN_BATCH,
};

/// What `certgate rotate-master-key` was asked to do.
#[derive(Debug, Clone)]
pub struct RotateConfig {
    /// The store whose keys to re-encrypt (as for `serve`).
    pub store: String,

    /// The current master key (default: master.key beside the SQLite file, as for `serve`).
    pub master_key_file: Option<PathBuf>,

    /// The new master key; created (mode 0600) if the file does not exist.
    pub new_key_file: PathBuf,

    /// Re-encrypt at most this many keys in this run (run again to go on).
    pub limit: Option<u64>,
}

/// What a rotation run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Keys moved from the old master key to the new one.
    pub resealed: u64,
    /// Keys that were stored in the clear and are now sealed under the new key.
    pub sealed_clear: u64,
    /// Keys already under the new key (from an earlier, interrupted run).
    pub already: u64,
    /// Keys that changed or disappeared while the run read them (deleted certificates).
    pub skipped: u64,
    /// True when every key is under the new key and the store now names it.
    pub finished: bool,
}

/// Re-encrypts every private key of `store` from `old` to `new`, at most `limit` keys this run.
pub async fn rotate(
    store: &DynStore,
    old: &MasterKey,
    new: &MasterKey,
    limit: Option<u64>,
) -> Result<Report, String> {
    if old.fingerprint() == new.fingerprint() {
        return Err("the new master key is the current one".into());
    }
    let current = store
        .setting(FINGERPRINT_SETTING)
        .await
        .map_err(store_error)?;
    if let Some(fp) = &current {
        if fp.as_slice() != old.fingerprint() && fp.as_slice() != new.fingerprint() {
            return Err(format!(
                "wrong current master key: the store's keys are sealed with key {}, but --master-key-file holds key {}",
                fingerprint_hex(fp),
                old.fingerprint_hex()
            ));
        }
    }
    store
        .put_setting(ROTATING_SETTING, &new.fingerprint())
        .await
        .map_err(store_error)?;

    let mut report = Report::default();
    let mut after: Option<ScanCursor> = None;
    loop {
        let rows = store
            .scan(after.as_ref(), SCAN_BATCH)
            .await
            .map_err(store_error)?;
        let Some(last) = rows.last() else { break };
        after = Some(ScanCursor {
            scope: last.scope.clone(),
            id: last.certificate.id.clone(),
        });
        for row in &rows {
            let ctx = context(&row.scope, &row.certificate.id);
            let stored = row.private_key.expose();
            let plain = match envelope_fingerprint(stored) {
                Some(fp) if fp == new.fingerprint() => {
                    report.already += 1;
                    continue;
                }
                Some(_) => old.open(stored, &ctx).map_err(|e| {
                    format!(
                        "the key of certificate {} ({}/{}) cannot be opened with the current master key: {e}",
                        row.certificate.id.as_str(),
                        row.scope.account,
                        row.scope.region
                    )
                })?,
                None => row.private_key.clone(),
            };
            if limit.is_some_and(|l| report.resealed + report.sealed_clear >= l) {
                return Ok(report);
            }
            let envelope = new.seal(&plain, &ctx).map_err(|e| e.to_string())?;
            let swapped = store
                .replace_private_key(&row.scope, &row.certificate.id, &row.private_key, &envelope)
                .await
                .map_err(store_error)?;
            match (swapped, envelope_fingerprint(stored).is_some()) {
                (false, _) => report.skipped += 1,
                (true, true) => report.resealed += 1,
                (true, false) => report.sealed_clear += 1,
            }
        }
    }
    store
        .put_setting(FINGERPRINT_SETTING, &new.fingerprint())
        .await
        .map_err(store_error)?;
    store
        .put_setting(ROTATING_SETTING, b"")
        .await
        .map_err(store_error)?;
    report.finished = true;
    Ok(report)
}

fn load_new_key(path: &Path) -> Result<MasterKey, String> {
    if path.exists() {
        read_key_file(path)
    } else {
        let key = super::create_key_file(path)?;
        eprintln!("certgate: created the new master key {}", path.display());
        Ok(key)
    }
}

/// The `rotate-master-key` command: prints what it did on stdout.
pub async fn run(args: RotateConfig) -> Result<(), String> {
    let url = StoreUrl::parse(&args.store)?;
    let (old_path, _) = key_path(args.master_key_file.as_deref(), &url);
    let old = read_key_file(&old_path)?;
    let new = load_new_key(&args.new_key_file)?;
    let store = certgate_store::open(&url)
        .await
        .map_err(|e| format!("cannot open store {}: {e}", args.store))?;
    let report = rotate(&store, &old, &new, args.limit).await?;
    println!(
        "re-encrypted {} keys ({} were stored in the clear), {} already under the new key, {} changed or deleted meanwhile",
        report.resealed + report.sealed_clear,
        report.sealed_clear,
        report.already,
        report.skipped
    );
    if report.finished {
        println!(
            "done: every key is sealed with master key {} ({}); start certgate with --master-key-file {} (or put that key in {})",
            new.fingerprint_hex(),
            args.new_key_file.display(),
            args.new_key_file.display(),
            old_path.display()
        );
    } else {
        println!("not finished (--limit reached): run the same command again to go on; certgate will not serve this store until then");
    }
    Ok(())
}
