//! Helpers of the SDK tests: an in-process certgate on a loopback port over a fresh SQLite file, and
//! AWS SDK clients pointed at it with a chosen access key and region.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use aws_sdk_apigateway::config::retry::RetryConfig;
use aws_sdk_apigateway::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_apigateway::types::ClientCertificate;
use aws_sdk_apigateway::Client;
use certgate_core::source::{Clock, IdSource, ManualClock, RandomIds, SystemClock};
use tokio::sync::oneshot;

/// A fixed creation time for tests that check dates exactly: 2026-01-01T00:00:00Z.
pub const EPOCH: i64 = 1_767_225_600;

/// AWS's validity of a client certificate.
pub const VALIDITY: i64 = 365 * 86_400;

/// An access key that is not an account id, so it stands for the default account.
pub const DEFAULT_KEY: &str = "AKIDCERTGATETEST";

pub struct Server {
    pub addr: SocketAddr,
    pub clock: Arc<ManualClock>,
    /// The credentials file of a server started with `credentials` (tests rewrite and reload it).
    pub credentials: Option<Arc<certgate_server::access::CredentialsFile>>,
    _dir: tempfile::TempDir,
    _shutdown: oneshot::Sender<()>,
    _store: super::test_store::Cleanup,
}

pub struct Options {
    pub max_certificates_per_region: u32,
    /// A manual clock standing at `EPOCH` when true, the system clock otherwise.
    pub manual_clock: bool,
    /// Wraps the fresh SQLite store, for tests that inject faults.
    pub wrap_store: Option<fn(certgate_store::DynStore) -> certgate_store::DynStore>,
    /// The text of a credentials file: the server verifies SigV4 against it (`--auth sigv4`).
    /// Signatures are checked against the server's clock, manual or not.
    pub credentials: Option<&'static str>,
    /// Per-account throttling (`--throttle`).
    pub throttle: Option<certgate_server::throttle::Limit>,
    /// A key pool of (capacity, workers); none by default, so most tests make keys on the spot.
    pub key_pool: Option<(usize, usize)>,
    /// Where certificate ids, serials and request ids come from (random by default).
    pub ids: Option<Arc<dyn IdSource>>,
    /// A pagination key set in the store before the service starts, so position tokens are the
    /// same from run to run.
    pub page_key: Option<[u8; 32]>,
    /// The REST API family's quotas (AWS's defaults unless a test lowers them).
    pub rest_apis: certgate_service::restapis::RestApiLimits,
    /// CA certificates (PEM) the data plane trusts for backends besides the public roots, as
    /// `--backend-ca-file` gives them.
    pub backend_ca_pem: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_certificates_per_region: certgate_core::DEFAULT_MAX_CERTIFICATES_PER_REGION,
            manual_clock: true,
            wrap_store: None,
            credentials: None,
            throttle: None,
            key_pool: None,
            ids: None,
            page_key: None,
            rest_apis: Default::default(),
            backend_ca_pem: None,
        }
    }
}

impl Server {
    pub async fn start() -> Server {
        Self::start_with(Options::default()).await
    }

    pub async fn with_quota(max: u32) -> Server {
        Self::start_with(Options {
            max_certificates_per_region: max,
            ..Options::default()
        })
        .await
    }

    pub async fn start_with(options: Options) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, cleanup) = super::test_store::open(dir.path()).await;
        let store = match options.wrap_store {
            Some(wrap) => wrap(store),
            None => store,
        };
        let manual = Arc::new(ManualClock::new(EPOCH));
        let clock: Arc<dyn Clock> = if options.manual_clock {
            manual.clone()
        } else {
            Arc::new(SystemClock)
        };
        if let Some(key) = options.page_key {
            store
                .init_setting(certgate_core::page::KEY_SETTING, &key)
                .await
                .expect("set the pagination key");
        }
        let ids: Arc<dyn IdSource> = options.ids.unwrap_or_else(|| Arc::new(RandomIds));
        let credentials = options.credentials.map(|text| {
            let path = dir.path().join("credentials.toml");
            std::fs::write(&path, text).expect("write credentials");
            Arc::new(certgate_server::access::CredentialsFile::load(&path).expect("credentials"))
        });
        let access = certgate_server::access::Access {
            auth: match &credentials {
                Some(file) => certgate_server::access::Auth::SigV4(file.clone()),
                None => certgate_server::access::Auth::Open,
            },
            throttle: options
                .throttle
                .map(certgate_server::throttle::Throttle::new),
            clock: clock.clone(),
        };
        // The data plane unseals the keys the service sealed: both hold the same master key.
        let master_key = Arc::new(certgate_pki::seal::MasterKey::generate().expect("master key"));
        let trust = match &options.backend_ca_pem {
            Some(pem) => certgate_proxy::tls::Trust::from_pem(pem).expect("backend CA"),
            None => certgate_proxy::tls::Trust::load(None).expect("public roots"),
        };
        let data_plane = certgate_proxy::invoke::DataPlane::new(
            store.clone(),
            master_key.clone(),
            clock.clone(),
            trust,
        );
        let mut service = certgate_service::Service::new(
            store,
            clock,
            ids.clone(),
            certgate_service::ServiceConfig {
                max_certificates_per_region: options.max_certificates_per_region,
                keygen_concurrency: 2,
                rest_apis: options.rest_apis,
            },
        )
        .with_master_key(master_key)
        .with_data_plane(data_plane.clone());
        if let Some((capacity, workers)) = options.key_pool {
            service = service.with_key_pool(
                certgate_service::KeyPool::start(capacity, workers).expect("start the key pool"),
            );
        }
        let app = certgate_server::App::new(
            service,
            Arc::new(certgate_server::ops::metrics::Metrics::new()),
            ids,
            None,
            access,
        )
        .with_data_plane(data_plane);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(certgate_server::serve(
            listener,
            Arc::new(app),
            async move {
                let _ = rx.await;
            },
        ));
        Server {
            addr,
            clock: manual,
            credentials,
            _dir: dir,
            _shutdown: tx,
            _store: cleanup,
        }
    }

    /// A client of the default account in us-east-1.
    pub fn client(&self) -> Client {
        client(self.addr, DEFAULT_KEY, "us-east-1")
    }

    pub fn client_as(&self, access_key: &str, region: &str) -> Client {
        client(self.addr, access_key, region)
    }
}

/// An SDK client for `addr` signing with `access_key` in `region`. Retries are off so that every
/// error the server answers reaches the test as it was sent.
pub fn client(addr: SocketAddr, access_key: &str, region: &str) -> Client {
    client_with_secret(addr, access_key, "secret", region)
}

/// [`client`] with a chosen secret, for servers that verify signatures.
pub fn client_with_secret(
    addr: SocketAddr,
    access_key: &str,
    secret: &str,
    region: &str,
) -> Client {
    let config = aws_sdk_apigateway::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(format!("http://{addr}"))
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(
            access_key,
            secret.to_string(),
            None,
            None,
            "test",
        ))
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// Now on the machine's clock, in epoch seconds.
pub fn system_now() -> i64 {
    SystemClock.now()
}

/// The ARN of a client certificate, as API Gateway writes it.
pub fn arn(region: &str, id: &str) -> String {
    format!("arn:aws:apigateway:{region}::/clientcertificates/{id}")
}

/// Tags of an SDK value as an ordered map (absent tags are no tags).
pub fn tags_of(tags: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

pub fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Generates a certificate with no description or tags and returns its id.
pub async fn generate(client: &Client) -> String {
    client
        .generate_client_certificate()
        .send()
        .await
        .expect("generate")
        .client_certificate_id()
        .expect("id")
        .to_string()
}

/// Generates `n` certificates, a few at a time, and returns their ids.
pub async fn generate_many(client: &Client, n: usize) -> Vec<String> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let c = client.clone();
        tasks.spawn(async move { generate(&c).await });
    }
    let mut ids = Vec::with_capacity(n);
    while let Some(r) = tasks.join_next().await {
        ids.push(r.expect("generate task"));
    }
    ids
}

/// The comparable content of a certificate: id, description, PEM, dates and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub id: String,
    pub description: Option<String>,
    pub pem: String,
    pub created: i64,
    pub expires: i64,
    pub tags: BTreeMap<String, String>,
}

/// The [`Snapshot`] of any SDK output that carries a certificate's members (Generate, Get, Update
/// outputs and list items all have the same accessors but distinct types).
macro_rules! snapshot {
    ($c:expr) => {{
        let c = &$c;
        $crate::common::Snapshot {
            id: c.client_certificate_id().expect("id").to_string(),
            description: c.description().map(str::to_string),
            pem: c.pem_encoded_certificate().expect("pem").to_string(),
            created: c.created_date().expect("createdDate").secs(),
            expires: c.expiration_date().expect("expirationDate").secs(),
            tags: $crate::common::tags_of(c.tags()),
        }
    }};
}

/// Every certificate of the client's scope, through the SDK's paginator.
pub async fn list_all(client: &Client) -> Vec<ClientCertificate> {
    client
        .get_client_certificates()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("list all")
}

pub async fn list_ids(client: &Client) -> Vec<String> {
    let mut ids: Vec<String> = list_all(client)
        .await
        .iter()
        .map(|c| c.client_certificate_id().expect("id").to_string())
        .collect();
    ids.sort();
    ids
}

/// Gets a certificate that must exist.
pub async fn get(
    client: &Client,
    id: impl Into<String>,
) -> aws_sdk_apigateway::operation::get_client_certificate::GetClientCertificateOutput {
    client
        .get_client_certificate()
        .client_certificate_id(id)
        .send()
        .await
        .expect("get an existing certificate")
}

/// Implements the REST API family for a test wrapper store (`struct W(DynStore)`) by passing
/// every call to the store it wraps: the wrappers fault only the certificate families.
#[macro_export]
macro_rules! delegate_rest_apis {
    ($wrapper:ty) => {
        #[async_trait::async_trait]
        impl certgate_store::RestApiStore for $wrapper {
            async fn insert_rest_api(
                &self,
                s: &certgate_core::Scope,
                r: &certgate_store::RestApiRow,
                q: u32,
            ) -> certgate_store::Result<()> {
                self.0.insert_rest_api(s, r, q).await
            }
            async fn rest_api(
                &self,
                s: &certgate_core::Scope,
                id: &str,
            ) -> certgate_store::Result<Option<certgate_store::RestApiRow>> {
                self.0.rest_api(s, id).await
            }
            async fn rest_api_exists(
                &self,
                s: &certgate_core::Scope,
                id: &str,
            ) -> certgate_store::Result<bool> {
                self.0.rest_api_exists(s, id).await
            }
            async fn rest_apis(
                &self,
                s: &certgate_core::Scope,
                after: &str,
                limit: u32,
            ) -> certgate_store::Result<Vec<certgate_store::RestApiRow>> {
                self.0.rest_apis(s, after, limit).await
            }
            async fn update_rest_api(
                &self,
                s: &certgate_core::Scope,
                r: &certgate_store::RestApiRow,
            ) -> certgate_store::Result<()> {
                self.0.update_rest_api(s, r).await
            }
            async fn delete_rest_api(
                &self,
                s: &certgate_core::Scope,
                id: &str,
            ) -> certgate_store::Result<()> {
                self.0.delete_rest_api(s, id).await
            }
            async fn insert_deployment(
                &self,
                s: &certgate_core::Scope,
                api: &str,
                r: &certgate_store::DeploymentRow,
                stage: Option<&certgate_store::StageRow>,
                q: u32,
            ) -> certgate_store::Result<()> {
                self.0.insert_deployment(s, api, r, stage, q).await
            }
            async fn deployment(
                &self,
                s: &certgate_core::Scope,
                api: &str,
                id: &str,
            ) -> certgate_store::Result<Option<certgate_store::DeploymentRow>> {
                self.0.deployment(s, api, id).await
            }
            async fn deployments(
                &self,
                s: &certgate_core::Scope,
                api: &str,
                after: &str,
                limit: u32,
            ) -> certgate_store::Result<Vec<certgate_store::DeploymentRow>> {
                self.0.deployments(s, api, after, limit).await
            }
            async fn update_deployment(
                &self,
                s: &certgate_core::Scope,
                api: &str,
                id: &str,
                doc: &str,
            ) -> certgate_store::Result<()> {
                self.0.update_deployment(s, api, id, doc).await
            }
            async fn delete_deployment(
                &self,
                s: &certgate_core::Scope,
                api: &str,
                id: &str,
            ) -> certgate_store::Result<()> {
                self.0.delete_deployment(s, api, id).await
            }
            async fn insert_stage(
                &self,
                s: &certgate_core::Scope,
                api: &str,
                r: &certgate_store::StageRow,
                q: u32,
            ) -> certgate_store::Result<()> {
                self.0.insert_stage(s, api, r, q).await
            }
            async fn stage(
                &self,
                s: &certgate_core::Scope,
                api: &str,
                name: &str,
            ) -> certgate_store::Result<Option<certgate_store::StageRow>> {
                self.0.stage(s, api, name).await
            }
            async fn stages(
                &self,
                s: &certgate_core::Scope,
                api: &str,
            ) -> certgate_store::Result<Vec<certgate_store::StageRow>> {
                self.0.stages(s, api).await
            }
            async fn update_stage(
                &self,
                s: &certgate_core::Scope,
                api: &str,
                r: &certgate_store::StageRow,
            ) -> certgate_store::Result<()> {
                self.0.update_stage(s, api, r).await
            }
            async fn delete_stage(
                &self,
                s: &certgate_core::Scope,
                api: &str,
                name: &str,
            ) -> certgate_store::Result<()> {
                self.0.delete_stage(s, api, name).await
            }
            async fn certificate_users(
                &self,
                s: &certgate_core::Scope,
                id: &str,
            ) -> certgate_store::Result<Vec<(String, String)>> {
                self.0.certificate_users(s, id).await
            }
            async fn scan_stages(
                &self,
                after: Option<&certgate_store::StageListing>,
                limit: u32,
            ) -> certgate_store::Result<Vec<certgate_store::StageListing>> {
                self.0.scan_stages(after, limit).await
            }
            async fn invoke_targets(
                &self,
                api_id: &str,
                stage: &str,
                limit: u32,
            ) -> certgate_store::Result<Vec<certgate_store::InvokeTarget>> {
                self.0.invoke_targets(api_id, stage, limit).await
            }
        }
    };
}
