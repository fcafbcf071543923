//! The store's maintenance commands: `certgate migrate` brings a store's schema up to date without
//! serving, and `certgate copy` moves every certificate, keys included, from one store to another
//! (say from the SQLite file a team started on to the PostgreSQL database it grew onto), and then
//! every REST API with its tree, deployments and stages.

use certgate_core::Scope;
use certgate_store::{
    Scan, StageListing, Store, StoreError, StoreUrl, StoredCertificate, SCAN_PAGE,
};

#[derive(Debug, Clone)]
pub struct MigrateConfig {
    /// The store to migrate: sqlite:///path.db or postgres://user@host:port/db[?schema=NAME].
    pub store: String,
}

#[derive(Debug, Clone)]
pub struct CopyConfig {
    /// The store to read from (left unchanged).
    pub from: String,
    /// The store to write to; created and migrated if needed.
    pub to: String,
}

/// What a copy did, certificate by certificate.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Written to the destination.
    pub copied: u64,
    /// Already at the destination with identical content (a re-run), left alone.
    pub skipped: u64,
    /// Already at the destination with different content: never overwritten, named in the log.
    pub conflicting: u64,
    /// Refused by the destination itself (a row it cannot hold), named in the log with the reason;
    /// the copy goes on with the next one, so one tenant's data never blocks everyone else's.
    pub refused: u64,
    /// REST APIs written to the destination with their deployments and stages.
    pub rest_apis: u64,
    /// REST APIs already at the destination, identical (a re-run) or not: never overwritten; the
    /// different ones are named in the log and counted as conflicting.
    pub rest_apis_there: u64,
}

async fn open(url: &str) -> Result<(StoreUrl, certgate_store::DynStore), String> {
    let parsed = StoreUrl::parse(url)?;
    let store = certgate_store::open(&parsed)
        .await
        .map_err(|e| format!("cannot open store {parsed}: {e}"))?;
    Ok((parsed, store))
}

/// `certgate migrate`: opening a store applies its pending migrations, so that is all it does.
pub async fn migrate(args: MigrateConfig) -> Result<String, String> {
    let (url, store) = open(&args.store).await?;
    Ok(format!(
        "store {url} ({}) is at the current schema",
        store.engine()
    ))
}

/// `certgate copy`: returns the line to print, or an error if anything could not be copied.
pub async fn copy(args: CopyConfig) -> Result<String, String> {
    let (from_url, from) = open(&args.from).await?;
    let (to_url, to) = open(&args.to).await?;
    let report = copy_all(from.as_ref(), to.as_ref())
        .await
        .map_err(|e| format!("copy from {from_url} to {to_url} stopped: {e}"))?;
    let line = format!(
        "copied {} certificates and {} REST APIs from {from_url} to {to_url}; {} already there, {} conflicting, {} refused",
        report.copied,
        report.rest_apis,
        report.skipped + report.rest_apis_there,
        report.conflicting,
        report.refused
    );
    if report.refused > 0 {
        return Err(format!(
            "{line}: the refused ids (logged above, with the destination's reason) were not copied"
        ));
    }
    if report.conflicting > 0 {
        return Err(format!(
            "{line}: the conflicting ids (logged above) exist at the destination with other content and were left alone"
        ));
    }
    Ok(line)
}

/// Copies every certificate of `from` into `to` in (account, region, id) order. A certificate
/// whose id its scope already holds at the destination is compared, not overwritten, so a copy
/// that was interrupted or is simply run again finishes the job without duplicating anything.
pub async fn copy_all(from: &dyn Store, to: &dyn Store) -> Result<CopyReport, StoreError> {
    carry_master_key_check(from, to).await?;
    let mut report = CopyReport::default();
    let mut scan = Scan::<StoredCertificate>::new();
    while let Some(page) = scan.next_page(from).await? {
        for record in &page {
            match to.import(record).await {
                Ok(()) => report.copied += 1,
                Err(StoreError::IdTaken) => {
                    let scope = &record.scope;
                    let id = &record.certificate.id;
                    let same = to.get(scope, id).await?.as_ref() == Some(&record.certificate)
                        && to.private_key(scope, id).await?.as_ref() == Some(&record.private_key);
                    if same {
                        report.skipped += 1;
                    } else {
                        tracing::warn!(
                            account = %scope.account,
                            region = %scope.region,
                            %id,
                            "the destination holds this id with other content; not overwritten"
                        );
                        report.conflicting += 1;
                    }
                }
                // A row the destination cannot store (its engine's own rule): logged, counted and
                // passed over. Outages and conflicts are about the destination, not the row, and
                // stop the copy (a re-run finishes it).
                Err(StoreError::Backend(cause)) => {
                    tracing::warn!(
                        account = %record.scope.account,
                        region = %record.scope.region,
                        id = %record.certificate.id,
                        %cause,
                        "the destination refused this certificate; not copied"
                    );
                    report.refused += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
    copy_rest_apis(from, to, &mut report).await?;
    Ok(report)
}

/// Copies every REST API after the certificates its stages present: the API with its tree, then
/// its deployments (each with its snapshot), then its stages, which name them. An API the
/// destination already holds is compared, not overwritten, and its children are left as they are.
async fn copy_rest_apis(
    from: &dyn Store,
    to: &dyn Store,
    report: &mut CopyReport,
) -> Result<(), StoreError> {
    let mut after: Option<StageListing> = None;
    let mut last: Option<(Scope, String)> = None;
    loop {
        let page = from.scan_stages(after.as_ref(), SCAN_PAGE).await?;
        let full = page.len() == SCAN_PAGE as usize;
        after = page.last().cloned();
        for row in page {
            let key = (row.scope.clone(), row.api_id.clone());
            // The rows of one API come together, one per stage.
            if last.as_ref() == Some(&key) {
                continue;
            }
            copy_rest_api(from, to, &row.scope, &row.api_id, report).await?;
            last = Some(key);
        }
        if !full {
            return Ok(());
        }
    }
}

async fn copy_rest_api(
    from: &dyn Store,
    to: &dyn Store,
    scope: &Scope,
    id: &str,
    report: &mut CopyReport,
) -> Result<(), StoreError> {
    let Some(api) = from.rest_api(scope, id).await? else {
        return Ok(());
    };
    match to.insert_rest_api(scope, &api, u32::MAX).await {
        Ok(()) => report.rest_apis += 1,
        Err(StoreError::IdTaken) => {
            if to.rest_api(scope, id).await?.as_ref() != Some(&api) {
                tracing::warn!(account = %scope.account, region = %scope.region, rest_api = id,
                    "the destination holds this REST API with other content; not overwritten");
                report.conflicting += 1;
            } else {
                report.rest_apis_there += 1;
            }
            return Ok(());
        }
        Err(StoreError::Backend(cause)) => {
            tracing::warn!(account = %scope.account, region = %scope.region, rest_api = id, %cause,
                "the destination refused this REST API; not copied");
            report.refused += 1;
            return Ok(());
        }
        Err(e) => return Err(e),
    }
    let mut after = String::new();
    loop {
        let page = from.deployments(scope, id, &after, SCAN_PAGE).await?;
        for listed in &page {
            if let Some(deployment) = from.deployment(scope, id, &listed.id).await? {
                to.insert_deployment(scope, id, &deployment, None, u32::MAX)
                    .await?;
            }
        }
        match page.last() {
            Some(d) if page.len() == SCAN_PAGE as usize => after = d.id.clone(),
            _ => break,
        }
    }
    for stage in from.stages(scope, id).await? {
        to.insert_stage(scope, id, &stage, u32::MAX).await?;
    }
    Ok(())
}

/// The private keys are copied sealed, so the destination must be served with the source's master
/// key. Carrying the source's key fingerprint over makes the destination refuse any other key at
/// start-up, as the source does, instead of accepting a key that opens none of the copied keys. A
/// source in the middle of a rotation, or a destination already bound to another key, is refused.
async fn carry_master_key_check(from: &dyn Store, to: &dyn Store) -> Result<(), StoreError> {
    use crate::keys::{FINGERPRINT_SETTING, ROTATING_SETTING};
    if from
        .setting(ROTATING_SETTING)
        .await?
        .is_some_and(|to| !to.is_empty())
    {
        return Err(StoreError::Backend(
            "the source is in the middle of a master key rotation; finish it with `certgate rotate-master-key` first".into(),
        ));
    }
    let Some(fingerprint) = from.setting(FINGERPRINT_SETTING).await? else {
        return Ok(());
    };
    let bound = to.init_setting(FINGERPRINT_SETTING, &fingerprint).await?;
    if bound != fingerprint {
        return Err(StoreError::Backend(format!(
            "the destination's private keys are sealed with master key {}, the source's with {}; copy into an empty store or rotate one of them first",
            certgate_pki::seal::fingerprint_hex(&bound),
            certgate_pki::seal::fingerprint_hex(&fingerprint)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
