//! The operations of the API, over any store. This is where the domain rules of `certgate-core`,
//! the key generation of `certgate-pki` and the atomic steps of the store are put together; it knows
//! nothing of HTTP.

use std::sync::Arc;

use certgate_core::source::{Clock, IdSource};
use certgate_core::{
    page, patch, tags, Certificate, CertificateId, Error, ResourceArn, Scope, SecretBytes, Tags,
};
use certgate_pki::seal::MasterKey;
use certgate_pki::{PrivateKey, Profile};
use certgate_store::{DynStore, NewCertificate, Resource, StoreError};
use tokio::sync::{OnceCell, Semaphore};

use crate::pool::KeyPool;
use crate::Observer;

use crate::store_errors::{from_store, quota_error, ID_ATTEMPTS};

#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub max_certificates_per_region: u32,
    /// How many RSA keys may be generated at once; more waiting requests queue without holding a
    /// thread.
    pub keygen_concurrency: usize,
    /// The REST API family's quotas.
    pub rest_apis: crate::restapis::RestApiLimits,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            max_certificates_per_region: certgate_core::DEFAULT_MAX_CERTIFICATES_PER_REGION,
            keygen_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            rest_apis: crate::restapis::RestApiLimits::default(),
        }
    }
}

pub struct Service {
    pub(crate) store: DynStore,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdSource>,
    keygen: Semaphore,
    pub(crate) config: ServiceConfig,
    /// Seals every private key before it reaches the store. `None` only if the system's random
    /// generator failed to make the in-memory default; generation then refuses to run.
    master_key: Option<Arc<MasterKey>>,
    /// Told what the service measures (key generation times); the HTTP edge turns it into metrics.
    observer: Arc<dyn Observer>,
    /// The key of `position` tokens, read (or created) once from the store's settings so that
    /// every node serving the store accepts every other node's tokens.
    page_key: OnceCell<page::PageKey>,
    key_pool: Option<Arc<KeyPool>>,
    /// Runs TestInvokeMethod's integrations; without one, TestInvokeMethod answers 500.
    pub(crate) data_plane: Option<Arc<certgate_proxy::invoke::DataPlane>>,
}

impl Service {
    pub fn new(
        store: DynStore,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        config: ServiceConfig,
    ) -> Self {
        let keygen = Semaphore::new(config.keygen_concurrency.max(1));
        Service {
            store,
            clock,
            ids,
            keygen,
            config,
            // A key that lives only in this process, so that even a service built without one
            // (in-process tests) never stores a private key in the clear. `serve` replaces it
            // with the master key from its file.
            master_key: MasterKey::generate().ok().map(Arc::new),
            observer: Arc::new(crate::NoObserver),
            page_key: OnceCell::new(),
            key_pool: None,
            data_plane: None,
        }
    }

    /// Runs TestInvokeMethod through `data_plane` from now on.
    pub fn with_data_plane(mut self, data_plane: Arc<certgate_proxy::invoke::DataPlane>) -> Self {
        self.data_plane = Some(data_plane);
        self
    }

    /// Seals private keys with `key` (the master key from its file) from now on.
    pub fn with_master_key(mut self, key: Arc<MasterKey>) -> Self {
        self.master_key = Some(key);
        self
    }

    /// The private key as it is stored: sealed under the master key, bound to its row.
    fn seal(
        &self,
        scope: &Scope,
        id: &CertificateId,
        key: &SecretBytes,
    ) -> Result<SecretBytes, Error> {
        let master = self
            .master_key
            .as_ref()
            .ok_or_else(|| Error::internal("no master key to seal private keys with"))?;
        master
            .seal(key, &crate::keys::context(scope, id))
            .map_err(Error::internal)
    }

    /// The store, for the health check and the metrics scrape.
    pub fn store(&self) -> &DynStore {
        &self.store
    }

    /// Now, by the service's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Reports what the service measures to `observer` from now on.
    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = observer;
        self
    }

    /// The pagination key shared by every node of the store: the first node to start sets it, the
    /// others read the value that won. Called at start so a broken store fails fast, and again
    /// (cached) by every list.
    pub async fn page_key(&self) -> Result<&page::PageKey, Error> {
        self.page_key
            .get_or_try_init(|| async {
                let fresh = page::PageKey::generate_bytes();
                let stored = self
                    .store
                    .init_setting(page::KEY_SETTING, fresh.expose())
                    .await
                    .map_err(from_store)?;
                page::PageKey::new(&SecretBytes::new(stored))
            })
            .await
    }

    /// Takes keys from `pool` when it has one ready, and makes them on the spot only when it is empty.
    pub fn with_key_pool(mut self, pool: Arc<KeyPool>) -> Self {
        self.key_pool = Some(pool);
        self
    }

    /// The key pool, if there is one (for health checks and metrics).
    pub fn key_pool(&self) -> Option<&Arc<KeyPool>> {
        self.key_pool.as_ref()
    }

    /// Takes a key from the pool, or generates one when the pool is empty (on a blocking thread, at
    /// most `keygen_concurrency` at a time, so the async runtime's threads never wait on RSA), and
    /// issues its certificate.
    async fn mint(&self, profile: Profile) -> Result<(String, SecretBytes), Error> {
        if let Some(key) = self.key_pool.as_ref().and_then(|p| p.take()) {
            // Signing the certificate is one RSA private-key operation, about a millisecond: too
            // long for a runtime thread, too short to need the key-generation permit.
            return tokio::task::spawn_blocking(move || {
                let pem = certgate_pki::issue(&key, &profile)?;
                Ok::<_, certgate_pki::PkiError>((pem, key.pkcs8().clone()))
            })
            .await
            .map_err(Error::internal)?
            .map_err(Error::internal);
        }
        let _permit = self.keygen.acquire().await.map_err(Error::internal)?;
        let (took, minted) = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let minted = PrivateKey::generate().and_then(|key| {
                let pem = certgate_pki::issue(&key, &profile)?;
                Ok::<_, certgate_pki::PkiError>((pem, key.pkcs8().clone()))
            });
            (started.elapsed(), minted)
        })
        .await
        .map_err(Error::internal)?;
        self.observer.key_generated(took);
        minted.map_err(Error::internal)
    }

    pub async fn generate(
        &self,
        scope: &Scope,
        description: Option<String>,
        tags: Tags,
    ) -> Result<Certificate, Error> {
        tags::validate(&tags)?;
        certgate_core::description::validate(description.as_deref())?;
        let quota = self.config.max_certificates_per_region;
        // A cheap early refusal, so a client over its quota does not cost an RSA key; the store's
        // atomic count-and-insert below is what actually enforces the quota.
        if self.store.count(scope).await.map_err(from_store)? >= u64::from(quota) {
            return Err(quota_error(quota));
        }
        let created = self.clock.now();
        let expires = created + certgate_core::VALIDITY_SECONDS;
        let (pem, private_key) = self
            .mint(Profile {
                serial: self.ids.serial(),
                not_before: created,
                not_after: expires,
            })
            .await?;
        let id = self.ids.certificate_id();
        let mut new = NewCertificate {
            private_key: self.seal(scope, &id, &private_key)?,
            certificate: Certificate {
                id,
                description,
                pem,
                created,
                expires,
                tags,
            },
        };
        for _ in 0..ID_ATTEMPTS {
            match self.store.insert(scope, &new, quota).await {
                Ok(()) => return Ok(new.certificate),
                Err(StoreError::IdTaken) => {
                    // The sealed key is bound to its id, so a new id needs a new seal.
                    new.certificate.id = self.ids.certificate_id();
                    new.private_key = self.seal(scope, &new.certificate.id, &private_key)?;
                }
                Err(e) => return Err(from_store(e)),
            }
        }
        Err(Error::internal(format!(
            "no free certificate id after {ID_ATTEMPTS} attempts"
        )))
    }

    pub async fn get(&self, scope: &Scope, id: &CertificateId) -> Result<Certificate, Error> {
        self.store
            .get(scope, id)
            .await
            .map_err(from_store)?
            .ok_or_else(Error::certificate_not_found)
    }

    /// One page of certificates and the position of the next page, absent on the last.
    pub async fn list(
        &self,
        scope: &Scope,
        position: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Certificate>, Option<String>), Error> {
        let key = self.page_key().await?;
        let after = position
            .map(|p| page::decode_position(key, scope, p))
            .transpose()?;
        // One row more than asked tells whether a next page exists without a second query.
        let mut items = self
            .store
            .list(scope, after.as_ref(), limit + 1)
            .await
            .map_err(from_store)?;
        let position = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items
                .last()
                .map(|c| page::encode_position(key, scope, &c.id))
        } else {
            None
        };
        Ok((items, position))
    }

    pub async fn update(
        &self,
        scope: &Scope,
        id: &CertificateId,
        ops: &[patch::PatchOperation],
    ) -> Result<Certificate, Error> {
        let change = patch::description_change(ops)?;
        // Every value given, not only the one that wins: a request that names a refused
        // description anywhere is refused as a whole, as its schema says.
        for op in ops {
            certgate_core::description::validate(op.value.as_deref())?;
        }
        match change {
            None => self.get(scope, id).await,
            Some(description) => self
                .store
                .set_description(scope, id, description.as_deref())
                .await
                .map_err(from_store),
        }
    }

    pub async fn delete(&self, scope: &Scope, id: &CertificateId) -> Result<(), Error> {
        match self.store.delete(scope, id).await {
            // certgate's choice (AWS documents no answer): a certificate that a stage presents is
            // kept, so that deleting it cannot break the stage's backends.
            Err(StoreError::InUse(stages)) => Err(Error::Conflict(format!(
                "Client certificate {id} is in use by stage {}; detach it first (UpdateStage replace /clientCertificateId with \"\")",
                stages.join(", stage ")
            ))),
            other => other.map_err(from_store),
        }
    }

    pub async fn tag(&self, scope: &Scope, arn: &ResourceArn, tags: &Tags) -> Result<(), Error> {
        let resource = tag_target(scope, arn)?;
        tags::validate(tags)?;
        self.store
            .add_tags(scope, resource, tags, tags::MAX_TAGS)
            .await
            .map_err(|e| tagged_error(scope, arn, e))?;
        Ok(())
    }

    pub async fn untag(
        &self,
        scope: &Scope,
        arn: &ResourceArn,
        keys: &[String],
    ) -> Result<(), Error> {
        let resource = tag_target(scope, arn)?;
        self.store
            .remove_tags(scope, resource, keys)
            .await
            .map_err(|e| tagged_error(scope, arn, e))?;
        Ok(())
    }

    pub async fn tags(&self, scope: &Scope, arn: &ResourceArn) -> Result<Tags, Error> {
        let resource = tag_target(scope, arn)?;
        self.store
            .tags(scope, resource)
            .await
            .map_err(|e| tagged_error(scope, arn, e))?
            .ok_or_else(|| arn_not_found(scope, arn))
    }
}

/// The stored resource a tag request's ARN names, in the caller's scope: an ARN of another region
/// names nothing there.
fn tag_target<'a>(scope: &Scope, arn: &'a ResourceArn) -> Result<Resource<'a>, Error> {
    if arn.region() != &scope.region {
        return Err(arn_not_found(scope, arn));
    }
    Ok(match arn {
        ResourceArn::ClientCertificate { id, .. } => Resource::ClientCertificate(id),
        ResourceArn::RestApi { rest_api_id, .. } => Resource::RestApi(rest_api_id),
        ResourceArn::Stage {
            rest_api_id,
            stage_name,
            ..
        } => Resource::Stage {
            api_id: rest_api_id,
            name: stage_name,
        },
    })
}

/// AWS's "not found" for the resource an ARN names, in the words of its kind.
fn arn_not_found(scope: &Scope, arn: &ResourceArn) -> Error {
    match arn {
        ResourceArn::ClientCertificate { .. } => Error::certificate_not_found(),
        ResourceArn::RestApi { rest_api_id, .. } => {
            crate::restapis::api_not_found(scope, rest_api_id)
        }
        ResourceArn::Stage { .. } => Error::not_found(certgate_core::NotFound::Stage),
    }
}

/// A tag operation's store error, with "not found" in the words of the resource's kind.
fn tagged_error(scope: &Scope, arn: &ResourceArn, e: StoreError) -> Error {
    match e {
        StoreError::NotFound => arn_not_found(scope, arn),
        e => from_store(e),
    }
}
