//! The private-key family: the key kept beside each certificate, what master-key rotation rewrites,
//! and the whole records (certificate and key) that `certgate copy` moves between stores. These are
//! the only reads that return key bytes.

use async_trait::async_trait;
use certgate_core::{Certificate, CertificateId, Scope, SecretBytes};

use crate::certificates::{self, COLUMNS, SCAN_AFTER};
use crate::scan::{Page, ScanCursor, Scanned};
use crate::sql::{Columns, Dialect, Value};
use crate::{Result, Store};

/// One certificate with everything kept for it, whatever its scope: what `certgate copy` moves
/// between stores. `private_key` holds the bytes exactly as stored (the service decides what they
/// are: since encryption at rest, a sealed envelope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCertificate {
    pub scope: Scope,
    pub certificate: Certificate,
    pub private_key: SecretBytes,
}

/// A private key with the row it belongs to, and nothing else of the certificate: what rotation
/// reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub scope: Scope,
    pub id: CertificateId,
    pub private_key: SecretBytes,
}

#[async_trait]
pub trait KeyStore: Send + Sync {
    /// The private key kept beside a certificate.
    async fn private_key(&self, scope: &Scope, id: &CertificateId) -> Result<Option<SecretBytes>>;

    /// Replaces a stored private key only if it still equals `expected`, in one atomic step.
    /// Returns false, changing nothing, if the key differs or the certificate is gone.
    async fn replace_private_key(
        &self,
        scope: &Scope,
        id: &CertificateId,
        expected: &SecretBytes,
        new: &SecretBytes,
    ) -> Result<bool>;

    /// Up to `limit` keys of every scope, ordered by (account, region, id), starting after
    /// `after`. Walk them with [`crate::Scan`].
    async fn scan_keys(&self, after: Option<&ScanCursor>, limit: u32) -> Result<Vec<StoredKey>>;

    /// Like [`KeyStore::scan_keys`], with each key's whole certificate.
    async fn scan_records(
        &self,
        after: Option<&ScanCursor>,
        limit: u32,
    ) -> Result<Vec<StoredCertificate>>;

    /// Writes a certificate exactly as given, with no quota check (it was counted where it was
    /// made). `IdTaken` if its scope already holds the id; nothing is overwritten.
    async fn import(&self, record: &StoredCertificate) -> Result<()>;
}

impl Scanned for StoredKey {
    fn cursor(&self) -> ScanCursor {
        ScanCursor {
            scope: self.scope.clone(),
            id: self.id.clone(),
        }
    }

    fn page<'a>(store: &'a dyn Store, after: Option<&'a ScanCursor>, limit: u32) -> Page<'a, Self> {
        store.scan_keys(after, limit)
    }
}

impl Scanned for StoredCertificate {
    fn cursor(&self) -> ScanCursor {
        ScanCursor {
            scope: self.scope.clone(),
            id: self.certificate.id.clone(),
        }
    }

    fn page<'a>(store: &'a dyn Store, after: Option<&'a ScanCursor>, limit: u32) -> Page<'a, Self> {
        store.scan_records(after, limit)
    }
}

/// The family's statements in one engine's dialect. An import is the certificates' insert.
pub(crate) struct Sql {
    pub get: String,
    pub replace: String,
    pub scan_keys: String,
    pub scan_records: String,
}

impl Sql {
    pub(crate) fn new(d: Dialect) -> Self {
        Sql {
            get: d.statement(
                "SELECT private_key FROM client_certificates
                 WHERE account = $1 AND region = $2 AND id = $3",
            ),
            replace: d.statement(
                "UPDATE client_certificates SET private_key = $5
                 WHERE account = $1 AND region = $2 AND id = $3 AND private_key = $4",
            ),
            scan_keys: d.statement(&format!(
                "SELECT account, region, id, private_key FROM client_certificates {SCAN_AFTER}"
            )),
            scan_records: d.statement(&format!(
                "SELECT account, region, {COLUMNS}, private_key FROM client_certificates {SCAN_AFTER}"
            )),
        }
    }
}

pub(crate) fn replace_params(
    scope: &Scope,
    id: &CertificateId,
    expected: &SecretBytes,
    new: &SecretBytes,
) -> Vec<Value> {
    let mut params = certificates::key_params(scope, id);
    params.push(Value::Secret(expected.clone()));
    params.push(Value::Secret(new.clone()));
    params
}

/// A row of [`Sql::get`].
pub(crate) fn key(row: &impl Columns) -> Result<SecretBytes> {
    Ok(SecretBytes::new(row.bytes(0)?))
}

/// A row of [`Sql::scan_keys`].
pub(crate) fn stored_key(row: &impl Columns) -> Result<StoredKey> {
    Ok(StoredKey {
        scope: certificates::scope(row, 0)?,
        id: CertificateId::parse(&row.text(2)?).ok_or_else(|| crate::sql::malformed("id"))?,
        private_key: SecretBytes::new(row.bytes(3)?),
    })
}

/// A row of [`Sql::scan_records`].
pub(crate) fn record(row: &impl Columns) -> Result<StoredCertificate> {
    Ok(StoredCertificate {
        scope: certificates::scope(row, 0)?,
        certificate: certificates::certificate(row, 2)?,
        private_key: SecretBytes::new(row.bytes(8)?),
    })
}
