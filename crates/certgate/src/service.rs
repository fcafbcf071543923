//! The operations of the API, over any store. This is where the domain rules of `certgate-core`,
//! the key generation of `certgate-pki` and the atomic steps of the store are put together; it knows
//! nothing of HTTP.

use std::sync::Arc;

use certgate_core::source::{Clock, IdSource};
use certgate_core::{
    page, patch, tags, Certificate, CertificateId, Error, Region, Scope, SecretBytes, Tags,
};
use certgate_pki::{PrivateKey, Profile};
use certgate_store::{DynStore, NewCertificate, StoreError};
use tokio::sync::Semaphore;

use crate::pool::KeyPool;

/// How often a generated id may collide before the request fails. With 36^6 ids and at most a
/// quota's worth per scope, one retry is already rare.
const ID_ATTEMPTS: usize = 8;

#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub max_certificates_per_region: u32,
    /// How many RSA keys may be generated at once; more waiting requests queue without holding a
    /// thread.
    pub keygen_concurrency: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            max_certificates_per_region: certgate_core::DEFAULT_MAX_CERTIFICATES_PER_REGION,
            keygen_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

pub struct Service {
    store: DynStore,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    keygen: Semaphore,
    config: ServiceConfig,
    key_pool: Option<Arc<KeyPool>>,
}

fn from_store(e: StoreError) -> Error {
    match e {
        StoreError::NotFound => Error::certificate_not_found(),
        StoreError::QuotaExceeded { limit } => quota_error(limit),
        StoreError::TooManyTags { count, .. } => match tags::check_count(count) {
            Err(e) => e,
            Ok(()) => Error::internal(format!("store refused {count} tags, within the limit")),
        },
        StoreError::Unavailable(cause) => {
            tracing::warn!(%cause, "store unavailable");
            Error::Unavailable(
                "The certificate store is unavailable. Please retry the request.".into(),
            )
        }
        e @ (StoreError::IdTaken | StoreError::Backend(_)) => Error::internal(e.to_string()),
    }
}

fn quota_error(limit: u32) -> Error {
    Error::LimitExceeded(format!(
        "Client certificate limit exceeded: an account can have at most {limit} client certificates in a region"
    ))
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
            key_pool: None,
        }
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
        tokio::task::spawn_blocking(move || {
            let key = PrivateKey::generate()?;
            let pem = certgate_pki::issue(&key, &profile)?;
            Ok::<_, certgate_pki::PkiError>((pem, key.pkcs8().clone()))
        })
        .await
        .map_err(Error::internal)?
        .map_err(Error::internal)
    }

    pub async fn generate(
        &self,
        scope: &Scope,
        description: Option<String>,
        tags: Tags,
    ) -> Result<Certificate, Error> {
        tags::validate(&tags)?;
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
        let mut new = NewCertificate {
            certificate: Certificate {
                id: self.ids.certificate_id(),
                description,
                pem,
                created,
                expires,
                tags,
            },
            private_key,
        };
        for _ in 0..ID_ATTEMPTS {
            match self.store.insert(scope, &new, quota).await {
                Ok(()) => return Ok(new.certificate),
                Err(StoreError::IdTaken) => new.certificate.id = self.ids.certificate_id(),
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
        let after = position
            .map(|p| page::decode_position(&scope.region, p))
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
                .map(|c| page::encode_position(&scope.region, &c.id))
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
        match patch::description_change(ops)? {
            None => self.get(scope, id).await,
            Some(description) => self
                .store
                .set_description(scope, id, description.as_deref())
                .await
                .map_err(from_store),
        }
    }

    pub async fn delete(&self, scope: &Scope, id: &CertificateId) -> Result<(), Error> {
        self.store.delete(scope, id).await.map_err(from_store)
    }

    /// A certificate ARN names its region; one of another region is not found in the caller's.
    fn same_region(scope: &Scope, region: &Region) -> Result<(), Error> {
        if *region == scope.region {
            Ok(())
        } else {
            Err(Error::certificate_not_found())
        }
    }

    pub async fn tag(
        &self,
        scope: &Scope,
        region: &Region,
        id: &CertificateId,
        tags: &Tags,
    ) -> Result<(), Error> {
        Self::same_region(scope, region)?;
        tags::validate(tags)?;
        self.store
            .add_tags(scope, id, tags, tags::MAX_TAGS)
            .await
            .map_err(from_store)?;
        Ok(())
    }

    pub async fn untag(
        &self,
        scope: &Scope,
        region: &Region,
        id: &CertificateId,
        keys: &[String],
    ) -> Result<(), Error> {
        Self::same_region(scope, region)?;
        self.store
            .remove_tags(scope, id, keys)
            .await
            .map_err(from_store)?;
        Ok(())
    }

    pub async fn tags(
        &self,
        scope: &Scope,
        region: &Region,
        id: &CertificateId,
    ) -> Result<Tags, Error> {
        Self::same_region(scope, region)?;
        Ok(self.get(scope, id).await?.tags)
    }
}
