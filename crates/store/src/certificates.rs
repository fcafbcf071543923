//! The client-certificate family: its trait, its table's statements (one text for both engines)
//! and the one mapping from a row to a [`Certificate`].
//!
//! The private key lives in the same row but is not part of this family: nothing here reads it, so
//! a page of certificates (the console, the metrics scrape, `certgate certs`) never carries keys.
//! [`crate::KeyStore`] is the family that does.

use async_trait::async_trait;
use certgate_core::{AccountId, Certificate, CertificateId, Region, Scope, SecretBytes};

use crate::scan::{ScanCursor, Scanned};
use crate::sql::{malformed, Columns, Dialect, Value};
use crate::{tags, Result, Store};

/// A certificate with its private key, as it is written once at generation.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub certificate: Certificate,
    pub private_key: SecretBytes,
}

/// A certificate with the scope it lives in, as a scan over every scope returns it: no key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedCertificate {
    pub scope: Scope,
    pub certificate: Certificate,
}

/// When one certificate expires, with its key: all that `/metrics` counts, so that a scrape reads
/// neither descriptions nor PEMs, however large they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedExpiry {
    pub scope: Scope,
    pub id: CertificateId,
    pub expires: i64,
}

#[async_trait]
pub trait CertificateStore: Send + Sync {
    /// Stores a new certificate if the scope holds fewer than `quota` certificates and the id is
    /// free in the scope; the count and the insert are one atomic step.
    async fn insert(&self, scope: &Scope, new: &NewCertificate, quota: u32) -> Result<()>;

    async fn get(&self, scope: &Scope, id: &CertificateId) -> Result<Option<Certificate>>;

    /// Up to `limit` certificates ordered by id, starting after `after`.
    async fn list(
        &self,
        scope: &Scope,
        after: Option<&CertificateId>,
        limit: u32,
    ) -> Result<Vec<Certificate>>;

    async fn count(&self, scope: &Scope) -> Result<u64>;

    /// Replaces the description (`None` clears it) and returns the updated certificate.
    async fn set_description(
        &self,
        scope: &Scope,
        id: &CertificateId,
        description: Option<&str>,
    ) -> Result<Certificate>;

    /// Removes a certificate and its key; `NotFound` if there was none.
    async fn delete(&self, scope: &Scope, id: &CertificateId) -> Result<()>;

    /// Up to `limit` certificates of every scope, without their keys, ordered by
    /// (account, region, id), starting after `after`. Walk them with [`crate::Scan`].
    async fn scan_certificates(
        &self,
        after: Option<&ScanCursor>,
        limit: u32,
    ) -> Result<Vec<ScopedCertificate>>;

    /// Up to `limit` expiry dates in the order of [`Self::scan_certificates`]. The engines read
    /// only the key and `expires_at`; this default (for test doubles) reads whole rows.
    async fn scan_expiries(
        &self,
        after: Option<&ScanCursor>,
        limit: u32,
    ) -> Result<Vec<ScopedExpiry>> {
        Ok(self
            .scan_certificates(after, limit)
            .await?
            .into_iter()
            .map(|r| ScopedExpiry {
                id: r.certificate.id,
                expires: r.certificate.expires,
                scope: r.scope,
            })
            .collect())
    }
}

impl Scanned for ScopedExpiry {
    fn cursor(&self) -> ScanCursor {
        ScanCursor {
            scope: self.scope.clone(),
            id: self.id.clone(),
        }
    }

    fn page<'a>(
        store: &'a dyn Store,
        after: Option<&'a ScanCursor>,
        limit: u32,
    ) -> crate::scan::Page<'a, Self> {
        store.scan_expiries(after, limit)
    }
}

impl Scanned for ScopedCertificate {
    fn cursor(&self) -> ScanCursor {
        ScanCursor {
            scope: self.scope.clone(),
            id: self.certificate.id.clone(),
        }
    }

    fn page<'a>(
        store: &'a dyn Store,
        after: Option<&'a ScanCursor>,
        limit: u32,
    ) -> crate::scan::Page<'a, Self> {
        store.scan_certificates(after, limit)
    }
}

/// The columns [`certificate`] reads, in its order.
pub(crate) const COLUMNS: &str = "id, description, pem, created_at, expires_at, tags";

/// The family's statements in one engine's dialect.
pub(crate) struct Sql {
    pub insert: String,
    pub count: String,
    pub get: String,
    pub list: String,
    pub set_description: String,
    pub delete: String,
    pub scan: String,
    pub scan_expiries: String,
}

impl Sql {
    pub(crate) fn new(d: Dialect) -> Self {
        let key = "WHERE account = $1 AND region = $2 AND id = $3";
        Sql {
            insert: d.statement(
                "INSERT INTO client_certificates
                    (account, region, id, description, pem, created_at, expires_at, tags, private_key)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            ),
            count: d.statement(
                "SELECT COUNT(*) FROM client_certificates WHERE account = $1 AND region = $2",
            ),
            get: d.statement(&format!(
                "SELECT {COLUMNS} FROM client_certificates {key}"
            )),
            // Every valid id sorts after the empty string, so the first page needs no other query.
            list: d.statement(&format!(
                "SELECT {COLUMNS} FROM client_certificates
                 WHERE account = $1 AND region = $2 AND id > $3 ORDER BY id LIMIT $4"
            )),
            set_description: d.statement(&format!(
                "UPDATE client_certificates SET description = $4 {key} RETURNING {COLUMNS}"
            )),
            delete: d.statement(&format!("DELETE FROM client_certificates {key}")),
            scan: d.statement(&format!(
                "SELECT account, region, {COLUMNS} FROM client_certificates {SCAN_AFTER}"
            )),
            scan_expiries: d.statement(&format!(
                "SELECT account, region, id, expires_at FROM client_certificates {SCAN_AFTER}"
            )),
        }
    }
}

/// The keyset condition and order of every scan over every scope: after the (account, region, id)
/// of `$1, $2, $3`, at most `$4` rows. Every valid key sorts after three empty strings, so the first
/// page needs no other query.
pub(crate) const SCAN_AFTER: &str = "WHERE (account, region, id) > ($1, $2, $3)
     ORDER BY account, region, id LIMIT $4";

pub(crate) fn scope_params(scope: &Scope) -> Vec<Value> {
    vec![scope.account.as_str().into(), scope.region.as_str().into()]
}

pub(crate) fn key_params(scope: &Scope, id: &CertificateId) -> Vec<Value> {
    vec![
        scope.account.as_str().into(),
        scope.region.as_str().into(),
        id.as_str().into(),
    ]
}

pub(crate) fn list_params(scope: &Scope, after: Option<&CertificateId>, limit: u32) -> Vec<Value> {
    let mut params = scope_params(scope);
    params.push(after.map_or("", CertificateId::as_str).into());
    params.push(Value::Int(i64::from(limit)));
    params
}

pub(crate) fn scan_params(after: Option<&ScanCursor>, limit: u32) -> Vec<Value> {
    let (account, region, id) = after.map_or(("", "", ""), |c| {
        (
            c.scope.account.as_str(),
            c.scope.region.as_str(),
            c.id.as_str(),
        )
    });
    vec![
        account.into(),
        region.into(),
        id.into(),
        Value::Int(i64::from(limit)),
    ]
}

pub(crate) fn insert_params(
    scope: &Scope,
    c: &Certificate,
    private_key: &SecretBytes,
) -> Result<Vec<Value>> {
    let mut params = key_params(scope, &c.id);
    params.extend([
        Value::OptionalText(c.description.clone()),
        Value::Text(c.pem.clone()),
        Value::Int(c.created),
        Value::Int(c.expires),
        Value::Text(tags::encode(&c.tags)?),
        Value::Secret(private_key.clone()),
    ]);
    Ok(params)
}

/// The certificate in the six [`COLUMNS`] starting at column `at`.
pub(crate) fn certificate(row: &impl Columns, at: usize) -> Result<Certificate> {
    let id = row.text(at)?;
    Ok(Certificate {
        id: CertificateId::parse(&id).ok_or_else(|| malformed("id"))?,
        description: row.optional_text(at + 1)?,
        pem: row.text(at + 2)?,
        created: row.int(at + 3)?,
        expires: row.int(at + 4)?,
        tags: tags::decode(&row.text(at + 5)?)?,
    })
}

/// The scope in the two columns starting at `at` (account, region).
pub(crate) fn scope(row: &impl Columns, at: usize) -> Result<Scope> {
    Ok(Scope {
        account: AccountId::parse(&row.text(at)?).ok_or_else(|| malformed("account"))?,
        region: Region::parse(&row.text(at + 1)?).ok_or_else(|| malformed("region"))?,
    })
}

/// A row of [`Sql::scan`].
pub(crate) fn scoped(row: &impl Columns) -> Result<ScopedCertificate> {
    Ok(ScopedCertificate {
        scope: scope(row, 0)?,
        certificate: certificate(row, 2)?,
    })
}

/// A row of [`Sql::scan_expiries`].
pub(crate) fn expiry(row: &impl Columns) -> Result<ScopedExpiry> {
    Ok(ScopedExpiry {
        scope: scope(row, 0)?,
        id: CertificateId::parse(&row.text(2)?).ok_or_else(|| malformed("id"))?,
        expires: row.int(3)?,
    })
}

/// `COUNT(*)` as the unsigned number it is.
pub(crate) fn count(row: &impl Columns) -> Result<u64> {
    Ok(row.int(0)?.max(0).unsigned_abs())
}
