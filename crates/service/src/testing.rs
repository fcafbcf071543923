//! Stores filled with made-up certificates, for the tests of this crate and of the HTTP edge
//! (which turns the `testing` feature on for its own tests only).

use std::sync::Arc;

use certgate_core::{AccountId, Certificate, CertificateId, Region, Scope, SecretBytes, Tags};
use certgate_store::{DynStore, NewCertificate, SqliteStore};

pub fn scope(account: &str, region: &str) -> Scope {
    Scope {
        account: AccountId::parse(account).expect("account"),
        region: Region::parse(region).expect("region"),
    }
}

pub fn id(n: usize) -> CertificateId {
    CertificateId::parse(&format!("c{n:05}")).expect("id")
}

pub async fn store_with(rows: &[(Scope, usize, i64)]) -> (tempfile::TempDir, DynStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("c.db"))
        .await
        .expect("open store");
    let store: DynStore = Arc::new(store);
    for (scope, n, expires) in rows {
        for i in 0..*n {
            let new = NewCertificate {
                certificate: Certificate {
                    id: id(i),
                    description: Some(format!("cert {i}")),
                    pem: format!("-----BEGIN CERTIFICATE-----\n{i}\n-----END CERTIFICATE-----\n"),
                    created: expires - certgate_core::VALIDITY_SECONDS,
                    expires: *expires,
                    tags: Tags::new(),
                },
                private_key: SecretBytes::new(b"-----BEGIN PRIVATE KEY-----".to_vec()),
            };
            store.insert(scope, &new, 10_000).await.expect("insert");
        }
    }
    (dir, store)
}
