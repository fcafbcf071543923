//! Every family on SQLite: the shared statements and mappings run through the engine's writer
//! connection (in an immediate transaction where a read must not go stale before the write) or its
//! reader pool.

use async_trait::async_trait;
use certgate_core::{Certificate, CertificateId, Scope, SecretBytes, Tags};
use rusqlite::TransactionBehavior;

use super::{backend, count, execute, first, insert, rows, sql, SqliteStore, INLINE_PAGE};
use crate::certificates::{self, NewCertificate, ScopedCertificate, ScopedExpiry};
use crate::keys::{self, StoredCertificate, StoredKey};
use crate::scan::ScanCursor;
use crate::sql::Value;
use crate::tags::{self, Resource, TagChange};
use crate::{
    settings, CertificateStore, ChangeFeed, ChangeKind, KeyStore, Result, SettingStore, Store,
    StoreError, TagStore,
};

impl Store for SqliteStore {
    fn engine(&self) -> &'static str {
        "sqlite"
    }

    fn changes(&self) -> &std::sync::Arc<ChangeFeed> {
        SqliteStore::changes(self)
    }
}

impl SqliteStore {
    /// Announces a write of a certificate once it has ended, whatever its outcome (a failed commit
    /// may still have reached the file), before its caller is answered.
    fn announce<T>(&self, scope: &Scope, id: &CertificateId, result: Result<T>) -> Result<T> {
        self.changes()
            .publish(ChangeKind::ClientCertificate, scope, id.as_str());
        result
    }
}

#[async_trait]
impl CertificateStore for SqliteStore {
    async fn insert(&self, scope: &Scope, new: &NewCertificate, quota: u32) -> Result<()> {
        let count_params = certificates::scope_params(scope);
        let params = certificates::insert_params(scope, &new.certificate, &new.private_key)?;
        let result = self
            .write(move |conn| {
                // One writer connection and an immediate transaction: nothing can insert into the
                // scope between the count and the insert.
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(backend)?;
                if count(&tx, &sql().certificates.count, &count_params)? >= u64::from(quota) {
                    return Err(StoreError::QuotaExceeded { limit: quota });
                }
                insert(&tx, &sql().certificates.insert, &params)?;
                tx.commit().map_err(backend)
            })
            .await;
        self.announce(scope, &new.certificate.id, result)
    }

    async fn get(&self, scope: &Scope, id: &CertificateId) -> Result<Option<Certificate>> {
        let params = certificates::key_params(scope, id);
        self.read_short(move |conn| {
            first(conn, &sql().certificates.get, &params, |r| {
                certificates::certificate(r, 0)
            })
        })
        .await
    }

    async fn list(
        &self,
        scope: &Scope,
        after: Option<&CertificateId>,
        limit: u32,
    ) -> Result<Vec<Certificate>> {
        let params = certificates::list_params(scope, after, limit);
        let page = move |conn: &rusqlite::Connection| {
            rows(conn, &sql().certificates.list, &params, |r| {
                certificates::certificate(r, 0)
            })
        };
        // Small pages read from the mapped file in tens of microseconds: cheaper inline than a hop
        // to the blocking pool and back (measured once the file was mapped; before, it was not).
        if limit <= INLINE_PAGE {
            self.read_short(page).await
        } else {
            self.read(page).await
        }
    }

    async fn count(&self, scope: &Scope) -> Result<u64> {
        let params = certificates::scope_params(scope);
        self.read(move |conn| {
            first(conn, &sql().certificates.count, &params, |r| {
                certificates::count(r)
            })
            .map(Option::unwrap_or_default)
        })
        .await
    }

    async fn set_description(
        &self,
        scope: &Scope,
        id: &CertificateId,
        description: Option<&str>,
    ) -> Result<Certificate> {
        let mut params = certificates::key_params(scope, id);
        params.push(Value::OptionalText(description.map(str::to_string)));
        let result = self
            .write(move |conn| {
                first(conn, &sql().certificates.set_description, &params, |r| {
                    certificates::certificate(r, 0)
                })?
                .ok_or(StoreError::NotFound)
            })
            .await;
        self.announce(scope, id, result)
    }

    async fn delete(&self, scope: &Scope, id: &CertificateId) -> Result<()> {
        let params = certificates::key_params(scope, id);
        let result = self
            .write(move |conn| {
                // One immediate transaction: no stage can take the certificate between the look for
                // its users and the delete.
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(backend)?;
                let users = rows(&tx, &sql().restapis.certificate_users, &params, |r| {
                    crate::restapis::pair(r)
                })?;
                if !users.is_empty() {
                    return Err(StoreError::InUse(crate::restapis::stage_names(users)));
                }
                match execute(&tx, &sql().certificates.delete, &params).map_err(backend)? {
                    0 => Err(StoreError::NotFound),
                    _ => tx.commit().map_err(backend),
                }
            })
            .await;
        self.announce(scope, id, result)
    }

    async fn scan_certificates(
        &self,
        after: Option<&ScanCursor>,
        limit: u32,
    ) -> Result<Vec<ScopedCertificate>> {
        let params = certificates::scan_params(after, limit);
        self.read(move |conn| {
            rows(conn, &sql().certificates.scan, &params, |r| {
                certificates::scoped(r)
            })
        })
        .await
    }

    async fn scan_expiries(
        &self,
        after: Option<&ScanCursor>,
        limit: u32,
    ) -> Result<Vec<ScopedExpiry>> {
        let params = certificates::scan_params(after, limit);
        self.read(move |conn| {
            rows(conn, &sql().certificates.scan_expiries, &params, |r| {
                certificates::expiry(r)
            })
        })
        .await
    }
}

#[async_trait]
impl KeyStore for SqliteStore {
    async fn private_key(&self, scope: &Scope, id: &CertificateId) -> Result<Option<SecretBytes>> {
        let params = certificates::key_params(scope, id);
        self.read(move |conn| first(conn, &sql().keys.get, &params, |r| keys::key(r)))
            .await
    }

    async fn replace_private_key(
        &self,
        scope: &Scope,
        id: &CertificateId,
        expected: &SecretBytes,
        new: &SecretBytes,
    ) -> Result<bool> {
        let params = keys::replace_params(scope, id, expected, new);
        self.write(move |conn| {
            execute(conn, &sql().keys.replace, &params)
                .map(|n| n == 1)
                .map_err(backend)
        })
        .await
    }

    async fn scan_keys(&self, after: Option<&ScanCursor>, limit: u32) -> Result<Vec<StoredKey>> {
        let params = certificates::scan_params(after, limit);
        self.read(move |conn| {
            rows(conn, &sql().keys.scan_keys, &params, |r| {
                keys::stored_key(r)
            })
        })
        .await
    }

    async fn scan_records(
        &self,
        after: Option<&ScanCursor>,
        limit: u32,
    ) -> Result<Vec<StoredCertificate>> {
        let params = certificates::scan_params(after, limit);
        self.read(move |conn| rows(conn, &sql().keys.scan_records, &params, |r| keys::record(r)))
            .await
    }

    async fn import(&self, record: &StoredCertificate) -> Result<()> {
        let params =
            certificates::insert_params(&record.scope, &record.certificate, &record.private_key)?;
        let result = self
            .write(move |conn| insert(conn, &sql().certificates.insert, &params))
            .await;
        self.announce(&record.scope, &record.certificate.id, result)
    }
}

#[async_trait]
impl TagStore for SqliteStore {
    async fn tags(&self, scope: &Scope, resource: Resource<'_>) -> Result<Option<Tags>> {
        let statement = &sql().tags.of(resource.kind()).read;
        let params = tags::key_params(scope, resource);
        self.read_short(move |conn| first(conn, statement, &params, |r| tags::tags(r)))
            .await
    }

    async fn change_tags(
        &self,
        scope: &Scope,
        resource: Resource<'_>,
        change: TagChange,
    ) -> Result<Tags> {
        let statements = sql().tags.of(resource.kind());
        let mut params = tags::key_params(scope, resource);
        let (kind, id) = resource.change();
        // An immediate transaction on the one writer connection: no other write runs between the
        // read and the write, so concurrent changes never lose each other's tags.
        let result = self
            .write(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(backend)?;
                let current = first(&tx, &statements.read_for_update, &params, |r| tags::tags(r))?
                    .ok_or(StoreError::NotFound)?;
                let next = change.apply(current)?;
                params.push(Value::Text(tags::encode(&next)?));
                execute(&tx, &statements.write, &params).map_err(backend)?;
                tx.commit().map_err(backend)?;
                Ok(next)
            })
            .await;
        self.changes().publish(kind, scope, &id);
        result
    }
}

#[async_trait]
impl SettingStore for SqliteStore {
    async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let params = vec![Value::from(name)];
        self.read(move |conn| first(conn, &sql().settings.get, &params, |r| settings::value(r)))
            .await
    }

    async fn init_setting(&self, name: &str, value: &[u8]) -> Result<Vec<u8>> {
        let params = vec![Value::from(name), Value::Bytes(value.to_vec())];
        self.write(move |conn| {
            execute(conn, &sql().settings.insert_if_absent, &params).map_err(backend)?;
            first(conn, &sql().settings.get, &params[..1], |r| {
                settings::value(r)
            })?
            .ok_or_else(|| StoreError::Backend("a setting vanished as it was set".into()))
        })
        .await
    }

    async fn put_setting(&self, name: &str, value: &[u8]) -> Result<()> {
        let params = vec![Value::from(name), Value::Bytes(value.to_vec())];
        self.write(move |conn| {
            execute(conn, &sql().settings.upsert, &params)
                .map(|_| ())
                .map_err(backend)
        })
        .await
    }
}
