//! Every family on PostgreSQL: the shared statements and mappings run on pooled connections, with
//! the locks that stand in for SQLite's single writer across connections and nodes (an advisory
//! lock per scope for the quota, `FOR UPDATE` for a tag merge).

use async_trait::async_trait;
use certgate_core::{Certificate, CertificateId, Scope, SecretBytes, Tags};
use deadpool_postgres::GenericClient;

use super::{
    count, execute, finish, first, insert, pg_error, quota_lock_key, rows, sql, PostgresStore,
};
use crate::certificates::{self, NewCertificate, ScopedCertificate, ScopedExpiry};
use crate::keys::{self, StoredCertificate, StoredKey};
use crate::scan::ScanCursor;
use crate::sql::Value;
use crate::tags::{self, Resource, TagChange};
use crate::{
    settings, CertificateStore, ChangeFeed, ChangeKind, KeyStore, Result, SettingStore, Store,
    StoreError, TagStore,
};

impl Store for PostgresStore {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    fn changes(&self) -> &std::sync::Arc<ChangeFeed> {
        &self.changes
    }
}

impl PostgresStore {
    /// Announces a write of a certificate to this node once it has ended, whatever its outcome (a
    /// call that timed out here may still commit), before its caller is answered. Other nodes
    /// learn of it from the table's trigger when it commits.
    fn announce<T>(&self, scope: &Scope, id: &CertificateId, result: Result<T>) -> Result<T> {
        self.changes
            .publish(ChangeKind::ClientCertificate, scope, id.as_str());
        result
    }
}

#[async_trait]
impl CertificateStore for PostgresStore {
    async fn insert(&self, scope: &Scope, new: &NewCertificate, quota: u32) -> Result<()> {
        let lock = quota_lock_key(&self.schema, scope);
        let count_params = certificates::scope_params(scope);
        let params = certificates::insert_params(scope, &new.certificate, &new.private_key)?;
        let result = transaction!(self, |tx| {
            // Held until commit or rollback: every node inserting into this scope queues here, so
            // the count below cannot go stale before the insert.
            execute(&tx, "SELECT pg_advisory_xact_lock($1)", &[Value::Int(lock)])
                .await
                .map_err(pg_error)?;
            if count(&tx, &sql().certificates.count, &count_params).await? >= u64::from(quota) {
                return Err(StoreError::QuotaExceeded { limit: quota });
            }
            insert(&tx, &sql().certificates.insert, &params).await
        });
        self.announce(scope, &new.certificate.id, result)
    }

    async fn get(&self, scope: &Scope, id: &CertificateId) -> Result<Option<Certificate>> {
        let params = certificates::key_params(scope, id);
        self.run(move |c| {
            Box::pin(async move {
                first(&*c, &sql().certificates.get, &params, |r| {
                    certificates::certificate(r, 0)
                })
                .await
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
        self.run(move |c| {
            Box::pin(async move {
                rows(&*c, &sql().certificates.list, &params, |r| {
                    certificates::certificate(r, 0)
                })
                .await
            })
        })
        .await
    }

    async fn count(&self, scope: &Scope) -> Result<u64> {
        let params = certificates::scope_params(scope);
        self.run(move |c| {
            Box::pin(async move {
                first(&*c, &sql().certificates.count, &params, certificates::count)
                    .await
                    .map(Option::unwrap_or_default)
            })
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
            .run(move |c| {
                Box::pin(async move {
                    // One `UPDATE … RETURNING`: atomic by itself, no transaction needed.
                    first(&*c, &sql().certificates.set_description, &params, |r| {
                        certificates::certificate(r, 0)
                    })
                    .await?
                    .ok_or(StoreError::NotFound)
                })
            })
            .await;
        self.announce(scope, id, result)
    }

    async fn delete(&self, scope: &Scope, id: &CertificateId) -> Result<()> {
        let params = certificates::key_params(scope, id);
        let result = transaction!(self, |tx| {
            // The row lock first: a stage taking the certificate holds the same lock, so either it
            // committed before and is seen below, or it waits and then finds the certificate gone.
            if first(&tx, &sql().restapis.certificate_exists, &params, |_| Ok(()))
                .await?
                .is_none()
            {
                return Err(StoreError::NotFound);
            }
            let users = rows(
                &tx,
                &sql().restapis.certificate_users,
                &params,
                crate::restapis::pair,
            )
            .await?;
            if !users.is_empty() {
                return Err(StoreError::InUse(crate::restapis::stage_names(users)));
            }
            execute(&tx, &sql().certificates.delete, &params)
                .await
                .map(|_| ())
                .map_err(pg_error)
        });
        self.announce(scope, id, result)
    }

    async fn scan_certificates(
        &self,
        after: Option<&ScanCursor>,
        limit: u32,
    ) -> Result<Vec<ScopedCertificate>> {
        let params = certificates::scan_params(after, limit);
        self.run(move |c| {
            Box::pin(async move {
                rows(&*c, &sql().certificates.scan, &params, certificates::scoped).await
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
        self.run(move |c| {
            Box::pin(async move {
                rows(
                    &*c,
                    &sql().certificates.scan_expiries,
                    &params,
                    certificates::expiry,
                )
                .await
            })
        })
        .await
    }
}

#[async_trait]
impl KeyStore for PostgresStore {
    async fn private_key(&self, scope: &Scope, id: &CertificateId) -> Result<Option<SecretBytes>> {
        let params = certificates::key_params(scope, id);
        self.run(move |c| {
            Box::pin(async move { first(&*c, &sql().keys.get, &params, keys::key).await })
        })
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
        self.run(move |c| {
            Box::pin(async move {
                execute(&*c, &sql().keys.replace, &params)
                    .await
                    .map(|n| n == 1)
                    .map_err(pg_error)
            })
        })
        .await
    }

    async fn scan_keys(&self, after: Option<&ScanCursor>, limit: u32) -> Result<Vec<StoredKey>> {
        let params = certificates::scan_params(after, limit);
        self.run(move |c| {
            Box::pin(
                async move { rows(&*c, &sql().keys.scan_keys, &params, keys::stored_key).await },
            )
        })
        .await
    }

    async fn scan_records(
        &self,
        after: Option<&ScanCursor>,
        limit: u32,
    ) -> Result<Vec<StoredCertificate>> {
        let params = certificates::scan_params(after, limit);
        self.run(move |c| {
            Box::pin(
                async move { rows(&*c, &sql().keys.scan_records, &params, keys::record).await },
            )
        })
        .await
    }

    async fn import(&self, record: &StoredCertificate) -> Result<()> {
        let params =
            certificates::insert_params(&record.scope, &record.certificate, &record.private_key)?;
        let result = self
            .run(move |c| {
                Box::pin(async move { insert(&*c, &sql().certificates.insert, &params).await })
            })
            .await;
        self.announce(&record.scope, &record.certificate.id, result)
    }
}

#[async_trait]
impl TagStore for PostgresStore {
    async fn tags(&self, scope: &Scope, resource: Resource<'_>) -> Result<Option<Tags>> {
        let statement = &sql().tags.of(resource.kind()).read;
        let params = tags::key_params(scope, resource);
        self.run(move |c| Box::pin(async move { first(&*c, statement, &params, tags::tags).await }))
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
        let result = self
            .run(move |c| {
                Box::pin(async move {
                    let tx = c.transaction().await.map_err(pg_error)?;
                    let result = async {
                        // `FOR UPDATE`: a concurrent change to the same resource waits here and then
                        // reads this one's committed result, so neither is lost.
                        let current = first(&tx, &statements.read_for_update, &params, tags::tags)
                            .await?
                            .ok_or(StoreError::NotFound)?;
                        let next = change.apply(current)?;
                        params.push(Value::Text(tags::encode(&next)?));
                        execute(&tx, &statements.write, &params)
                            .await
                            .map_err(pg_error)?;
                        Ok(next)
                    }
                    .await;
                    finish(tx, result).await
                })
            })
            .await;
        self.changes.publish(kind, scope, &id);
        result
    }
}

#[async_trait]
impl SettingStore for PostgresStore {
    async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let params = vec![Value::from(name)];
        self.run(move |c| {
            Box::pin(async move { first(&*c, &sql().settings.get, &params, settings::value).await })
        })
        .await
    }

    async fn init_setting(&self, name: &str, value: &[u8]) -> Result<Vec<u8>> {
        let params = vec![Value::from(name), Value::Bytes(value.to_vec())];
        self.run(move |c| {
            Box::pin(async move {
                // The second statement runs after the first committed (autocommit), so it sees
                // either our row or the one another node inserted first.
                execute(&*c, &sql().settings.insert_if_absent, &params)
                    .await
                    .map_err(pg_error)?;
                first(&*c, &sql().settings.get, &params[..1], settings::value)
                    .await?
                    .ok_or_else(|| StoreError::Backend("a setting vanished as it was set".into()))
            })
        })
        .await
    }

    async fn put_setting(&self, name: &str, value: &[u8]) -> Result<()> {
        let params = vec![Value::from(name), Value::Bytes(value.to_vec())];
        self.run(move |c| {
            Box::pin(async move {
                execute(&*c, &sql().settings.upsert, &params)
                    .await
                    .map(|_| ())
                    .map_err(pg_error)
            })
        })
        .await
    }
}
