//! The certificates of a whole store, across every account and region, with their expiry judged
//! at one instant: what `certgate certs list` prints and what the console page shows. It reads
//! through the store's certificate scan, which never returns private keys.

use certgate_core::expiry::{self, ExpiryStatus};
use certgate_core::{AccountId, Certificate, Region, Scope};
use certgate_store::{Scan, ScopedCertificate, Store, StoreError, SCAN_PAGE};
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

/// One certificate with the scope it lives in.
#[derive(Debug, Clone)]
pub struct Entry {
    pub scope: Scope,
    pub certificate: Certificate,
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
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
