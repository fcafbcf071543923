//! The certificates of a whole store, across every account and region, with their expiry judged
//! at one instant: what `certgate certs list` prints and what the console page shows. It reads
//! through the store's certificate scan, which never returns private keys.

use certgate_core::expiry::{self, ExpiryStatus};
use certgate_core::{AccountId, Certificate, Region, Scope};
use std::collections::BTreeMap;

use certgate_store::{Scan, ScopedCertificate, StageListing, Store, StoreError, SCAN_PAGE};
use serde_json::{json, Value};

/// Which certificates to take; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub account: Option<AccountId>,
    pub region: Option<Region>,
}

impl Filter {
    fn admits(&self, scope: &Scope) -> bool {
        self.account.as_ref().is_none_or(|a| *a == scope.account)
            && self.region.as_ref().is_none_or(|r| *r == scope.region)
    }
}

/// One certificate with the scope it lives in and the stages that present it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub scope: Scope,
    pub certificate: Certificate,
    pub stages: Vec<StageUse>,
}

/// A stage that presents a certificate: what breaks when the certificate expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageUse {
    pub api_id: String,
    pub api_name: String,
    pub stage: String,
}

/// Up to `max` (REST API, stage) rows that pass `filter`, an API without stages once with none,
/// and whether more matched.
pub async fn stages(
    store: &dyn Store,
    filter: &Filter,
    max: usize,
) -> Result<(Vec<StageListing>, bool), StoreError> {
    let mut out = Vec::new();
    let mut after: Option<StageListing> = None;
    loop {
        let page = store.scan_stages(after.as_ref(), SCAN_PAGE).await?;
        let full = page.len() == SCAN_PAGE as usize;
        after = page.last().cloned();
        for row in page {
            if !filter.admits(&row.scope) {
                continue;
            }
            if out.len() == max {
                return Ok((out, true));
            }
            out.push(row);
        }
        if !full {
            return Ok((out, false));
        }
    }
}

/// Gives every entry the stages that present its certificate.
async fn attach_stages(
    store: &dyn Store,
    filter: &Filter,
    entries: &mut [Entry],
) -> Result<(), StoreError> {
    let mut by_certificate: BTreeMap<(String, String, String), Vec<StageUse>> = BTreeMap::new();
    // Bounded by the entries' count: at most 10 stages per API present one certificate each, and a
    // listing is already bounded; the stage scan itself pages.
    let (rows, _) = stages(store, filter, usize::MAX).await?;
    for row in rows {
        let (Some(stage), Some(certificate)) = (row.stage, row.client_certificate_id) else {
            continue;
        };
        by_certificate
            .entry((
                row.scope.account.to_string(),
                row.scope.region.to_string(),
                certificate,
            ))
            .or_default()
            .push(StageUse {
                api_id: row.api_id,
                api_name: row.api_name,
                stage,
            });
    }
    for e in entries {
        let key = (
            e.scope.account.to_string(),
            e.scope.region.to_string(),
            e.certificate.id.to_string(),
        );
        e.stages = by_certificate.remove(&key).unwrap_or_default();
    }
    Ok(())
}

/// The outcome of a bounded read: the entries, and whether more matched than `max` allowed.
#[derive(Debug, Default)]
pub struct Inventory {
    pub entries: Vec<Entry>,
    pub truncated: bool,
}

/// Reads up to `max` certificates that pass `filter`, in (account, region, id) order. One account
/// and region are read with the scoped, indexed `list`; anything wider pages through `scan`.
pub async fn read(store: &dyn Store, filter: &Filter, max: usize) -> Result<Inventory, StoreError> {
    read_bounded(store, filter, max, usize::MAX, SCAN_PAGE).await
}

/// The text of a certificate that an answer carries: what a byte budget counts.
fn weight(certificate: &certgate_core::Certificate) -> usize {
    certificate.pem.len()
        + certificate.description.as_ref().map_or(0, String::len)
        + certificate
            .tags
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>()
}

/// A description cut to the length the API now allows (rows written before the limit may be
/// longer), with an ellipsis, and its spare capacity given back.
fn trim(certificate: &mut certgate_core::Certificate) {
    let max = certgate_core::description::MAX_CHARS;
    if let Some(text) = &mut certificate.description {
        if let Some((cut, _)) = text.char_indices().nth(max) {
            text.truncate(cut);
            text.push('…');
            text.shrink_to_fit();
        }
    }
}

/// As [`read`], for the console: descriptions are cut to what the API allows, the read stops
/// (`truncated`) once the certificates kept carry more than `max_bytes` of text, and the store is
/// read `page` rows at a time. Memory stays bounded by the budget plus one page, whatever the rows
/// hold.
pub async fn read_bounded(
    store: &dyn Store,
    filter: &Filter,
    max: usize,
    max_bytes: usize,
    page: u32,
) -> Result<Inventory, StoreError> {
    let mut out = read_certificates(store, filter, max, max_bytes, page).await?;
    attach_stages(store, filter, &mut out.entries).await?;
    Ok(out)
}

async fn read_certificates(
    store: &dyn Store,
    filter: &Filter,
    max: usize,
    max_bytes: usize,
    page: u32,
) -> Result<Inventory, StoreError> {
    let mut out = Inventory::default();
    let mut bytes = 0usize;
    if let (Some(account), Some(region)) = (&filter.account, &filter.region) {
        let scope = Scope {
            account: account.clone(),
            region: region.clone(),
        };
        let mut after = None;
        loop {
            let rows = store.list(&scope, after.as_ref(), page).await?;
            let full = rows.len() == page as usize;
            after = rows.last().map(|c| c.id.clone());
            for mut certificate in rows {
                if max_bytes != usize::MAX {
                    trim(&mut certificate);
                }
                bytes = bytes.saturating_add(weight(&certificate));
                if out.entries.len() == max || bytes > max_bytes {
                    out.truncated = true;
                    return Ok(out);
                }
                out.entries.push(Entry {
                    scope: scope.clone(),
                    certificate,
                    stages: Vec::new(),
                });
            }
            if !full {
                return Ok(out);
            }
        }
    }
    let mut scan = Scan::<ScopedCertificate>::with_page_size(page);
    while let Some(rows) = scan.next_page(store).await? {
        for mut stored in rows {
            if !filter.admits(&stored.scope) {
                continue;
            }
            if max_bytes != usize::MAX {
                trim(&mut stored.certificate);
            }
            bytes = bytes.saturating_add(weight(&stored.certificate));
            if out.entries.len() == max || bytes > max_bytes {
                out.truncated = true;
                return Ok(out);
            }
            out.entries.push(Entry {
                scope: stored.scope,
                certificate: stored.certificate,
                stages: Vec::new(),
            });
        }
    }
    Ok(out)
}

impl Entry {
    pub fn status(&self, now: i64, window: i64) -> ExpiryStatus {
        ExpiryStatus::at(self.certificate.expires, now, window)
    }

    pub fn days_left(&self, now: i64) -> i64 {
        expiry::days_left(self.certificate.expires, now)
    }

    /// The JSON form scripts and the console page read: no PEM (it has its own download) and, of
    /// course, no private key.
    pub fn to_json(&self, now: i64, window: i64) -> Value {
        let c = &self.certificate;
        json!({
            "account": self.scope.account.as_str(),
            "region": self.scope.region.as_str(),
            "id": c.id.as_str(),
            "description": c.description,
            "created": expiry::rfc3339(c.created),
            "expires": expiry::rfc3339(c.expires),
            "createdEpoch": c.created,
            "expiresEpoch": c.expires,
            "daysLeft": self.days_left(now),
            "status": self.status(now, window).as_str(),
            "tags": c.tags,
            "stages": self.stages.iter().map(|s| json!({
                "restApiId": s.api_id,
                "restApiName": s.api_name,
                "stage": s.stage,
            })).collect::<Vec<_>>(),
            "warnings": self.warnings(now, window),
        })
    }

    /// What will break, in words: one line per stage presenting a certificate that expires
    /// within the window (or has expired).
    pub fn warnings(&self, now: i64, window: i64) -> Vec<String> {
        if !self.status(now, window).needs_rotation() {
            return Vec::new();
        }
        let days = self.days_left(now);
        let plural = |n: i64| if n == 1 { "day" } else { "days" };
        let when = match days {
            d if d < 0 => format!("expired {} {} ago", -d, plural(-d)),
            0 => "expires today".to_string(),
            d => format!("expires in {d} {}", plural(d)),
        };
        self.stages
            .iter()
            .map(|s| {
                format!(
                    "stage {} of {} presents a certificate that {when}",
                    s.stage, s.api_name
                )
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests;
