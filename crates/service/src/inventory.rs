//! The certificates of a whole store, across every account and region, with their expiry judged
//! at one instant: what `certgate certs list` prints and what the console page shows. Private keys
//! are read by the store's scan (it returns them) and dropped at once; nothing here ever holds one
//! longer than a page, and nothing renders one.

use certgate_core::expiry::{self, ExpiryStatus};
use certgate_core::{AccountId, Certificate, Region, Scope};
use certgate_store::{ScanCursor, Store, StoreError};
use serde_json::{json, Value};

/// Rows fetched from the store per scan call: large enough to be few round trips, small enough that
/// a page of private keys held in memory for a moment stays small.
const SCAN_PAGE: u32 = 200;

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
    let mut out = Inventory::default();
    if let (Some(account), Some(region)) = (&filter.account, &filter.region) {
        let scope = Scope {
            account: account.clone(),
            region: region.clone(),
        };
        let mut after = None;
        loop {
            let page = store.list(&scope, after.as_ref(), SCAN_PAGE).await?;
            let full = page.len() == SCAN_PAGE as usize;
            after = page.last().map(|c| c.id.clone());
            for certificate in page {
                if out.entries.len() == max {
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
    let mut cursor: Option<ScanCursor> = None;
    loop {
        let page = store.scan(cursor.as_ref(), SCAN_PAGE).await?;
        let full = page.len() == SCAN_PAGE as usize;
        cursor = page.last().map(|r| ScanCursor {
            scope: r.scope.clone(),
            id: r.certificate.id.clone(),
        });
        // Destructuring drops each private key here, before anything else sees the record.
        for stored in page {
            if !filter.admits(&stored.scope) {
                continue;
            }
            if out.entries.len() == max {
                out.truncated = true;
                return Ok(out);
            }
            out.entries.push(Entry {
                scope: stored.scope,
                certificate: stored.certificate,
            });
        }
        if !full {
            return Ok(out);
        }
    }
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
