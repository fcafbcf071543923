//! Faults behind the API: a store that breaks, is unavailable, or makes a handler panic. Each costs
//! only its own request, answers in AWS's error form without leaking the cause, and the server keeps
//! serving.

use async_trait::async_trait;
use certgate_core::{Certificate, CertificateId, Scope, SecretBytes, Tags};
use certgate_store::{
    CertificateStore, DynStore, KeyStore, NewCertificate, Resource, ScanCursor, ScopedCertificate,
    SettingStore, Store, StoreError, StoredCertificate, StoredKey, TagChange, TagStore,
};

use super::*;

const SECRET_CAUSE: &str = "disk on fire at /var/lib/secret-path";

/// Delegates to a real store, except: `get` panics, `list` fails inside, and `count` (the quota
/// pre-check of generate) reports the store unavailable, and `set_description` loses a race to a
/// concurrent transaction.
struct Faulty(DynStore);

crate::delegate_rest_apis!(Faulty);

impl Store for Faulty {
    fn engine(&self) -> &'static str {
        "faulty"
    }
}

#[async_trait]
impl CertificateStore for Faulty {
    async fn insert(&self, s: &Scope, n: &NewCertificate, q: u32) -> certgate_store::Result<()> {
        self.0.insert(s, n, q).await
    }
    async fn get(
        &self,
        _: &Scope,
        _: &CertificateId,
    ) -> certgate_store::Result<Option<Certificate>> {
        panic!("{SECRET_CAUSE}")
    }
    async fn list(
        &self,
        _: &Scope,
        _: Option<&CertificateId>,
        _: u32,
    ) -> certgate_store::Result<Vec<Certificate>> {
        Err(StoreError::Backend(SECRET_CAUSE.into()))
    }
    async fn count(&self, _: &Scope) -> certgate_store::Result<u64> {
        Err(StoreError::Unavailable(SECRET_CAUSE.into()))
    }
    async fn set_description(
        &self,
        _: &Scope,
        _: &CertificateId,
        _: Option<&str>,
    ) -> certgate_store::Result<Certificate> {
        Err(StoreError::Conflict(SECRET_CAUSE.into()))
    }
    async fn delete(&self, s: &Scope, id: &CertificateId) -> certgate_store::Result<()> {
        self.0.delete(s, id).await
    }
    async fn scan_certificates(
        &self,
        a: Option<&ScanCursor>,
        l: u32,
    ) -> certgate_store::Result<Vec<ScopedCertificate>> {
        self.0.scan_certificates(a, l).await
    }
}

#[async_trait]
impl KeyStore for Faulty {
    async fn private_key(
        &self,
        s: &Scope,
        id: &CertificateId,
    ) -> certgate_store::Result<Option<SecretBytes>> {
        self.0.private_key(s, id).await
    }
    async fn replace_private_key(
        &self,
        s: &Scope,
        id: &CertificateId,
        e: &SecretBytes,
        n: &SecretBytes,
    ) -> certgate_store::Result<bool> {
        self.0.replace_private_key(s, id, e, n).await
    }
    async fn scan_keys(
        &self,
        a: Option<&ScanCursor>,
        l: u32,
    ) -> certgate_store::Result<Vec<StoredKey>> {
        self.0.scan_keys(a, l).await
    }
    async fn scan_records(
        &self,
        a: Option<&ScanCursor>,
        l: u32,
    ) -> certgate_store::Result<Vec<StoredCertificate>> {
        self.0.scan_records(a, l).await
    }
    async fn import(&self, r: &StoredCertificate) -> certgate_store::Result<()> {
        self.0.import(r).await
    }
}

#[async_trait]
impl TagStore for Faulty {
    async fn tags(&self, s: &Scope, r: Resource<'_>) -> certgate_store::Result<Option<Tags>> {
        self.0.tags(s, r).await
    }
    async fn change_tags(
        &self,
        s: &Scope,
        r: Resource<'_>,
        c: TagChange,
    ) -> certgate_store::Result<Tags> {
        self.0.change_tags(s, r, c).await
    }
}

#[async_trait]
impl SettingStore for Faulty {
    async fn setting(&self, n: &str) -> certgate_store::Result<Option<Vec<u8>>> {
        self.0.setting(n).await
    }
    async fn init_setting(&self, n: &str, v: &[u8]) -> certgate_store::Result<Vec<u8>> {
        self.0.init_setting(n, v).await
    }
    async fn put_setting(&self, n: &str, v: &[u8]) -> certgate_store::Result<()> {
        self.0.put_setting(n, v).await
    }
}

/// The code, HTTP status and message of a failed SDK call.
fn failure<T: std::fmt::Debug, E>(
    result: Result<
        T,
        aws_sdk_apigateway::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
    >,
) -> (String, u16, String)
where
    E: aws_sdk_apigateway::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let err = result.expect_err("the call must fail");
    let status = err.raw_response().map_or(0, |r| r.status().as_u16());
    let service = err.as_service_error().expect("a service error");
    let code = service.code().unwrap_or_default().to_string();
    let message = service.message().unwrap_or_default().to_string();
    (code, status, message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_cost_one_request_and_never_leak_their_cause() {
    let server = Server::start_with(common::Options {
        wrap_store: Some(|inner| std::sync::Arc::new(Faulty(inner))),
        ..common::Options::default()
    })
    .await;
    let client = server.client();

    // A panic inside the handler is a 500 InternalFailure, not a dropped connection.
    let (code, status, message) = failure(
        client
            .get_client_certificate()
            .client_certificate_id("abcdef")
            .send()
            .await,
    );
    assert_eq!((code.as_str(), status), ("InternalFailure", 500));
    assert!(!message.contains("disk on fire"), "{message}");

    // A store failure is a 500 with a generic message.
    let (code, status, message) = failure(client.get_client_certificates().send().await);
    assert_eq!((code.as_str(), status), ("InternalFailure", 500));
    assert!(!message.contains("disk on fire"), "{message}");

    // An unavailable store is a 503 the client may retry.
    let (code, status, message) = failure(client.generate_client_certificate().send().await);
    assert_eq!(
        (code.as_str(), status),
        ("ServiceUnavailableException", 503)
    );
    assert!(!message.contains("disk on fire"), "{message}");

    // A conflicting concurrent update is a 409 the client may retry.
    let (code, status, message) = failure(
        client
            .update_client_certificate()
            .client_certificate_id("abcdef")
            .patch_operations(
                aws_sdk_apigateway::types::PatchOperation::builder()
                    .op(aws_sdk_apigateway::types::Op::Replace)
                    .path("/description")
                    .value("new")
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!((code.as_str(), status), ("ConflictException", 409));
    assert!(!message.contains("disk on fire"), "{message}");

    // The server still answers, from the parts of the store that work, and again after a panic.
    let r = client
        .delete_client_certificate()
        .client_certificate_id("abcdef")
        .send()
        .await;
    service_error!(
        r,
        DeleteClientCertificateError::NotFoundException,
        NOT_FOUND
    );
    let (code, status, _) = failure(
        client
            .get_client_certificate()
            .client_certificate_id("abcdef")
            .send()
            .await,
    );
    assert_eq!((code.as_str(), status), ("InternalFailure", 500));
}
