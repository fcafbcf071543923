//! PostgreSQL-specific behaviour beyond the contract suite: versioned migrations that several nodes
//! may run at once, and stores on different schemas of one database that never see each other.

#[path = "support/postgres.rs"]
mod pg;

use certgate_core::{AccountId, Certificate, CertificateId, Region, Scope, SecretBytes};
use certgate_store::{CertificateStore, NewCertificate, PostgresStore, StoreError};

fn scope() -> Scope {
    Scope {
        account: AccountId::parse("111111111111").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    }
}

fn cert(id: &str) -> NewCertificate {
    NewCertificate {
        certificate: Certificate {
            id: CertificateId::parse(id).unwrap(),
            description: None,
            pem: "pem".into(),
            created: 1_700_000_000,
            expires: 1_700_000_000 + certgate_core::VALIDITY_SECONDS,
            tags: Default::default(),
        },
        private_key: SecretBytes::new(b"key".to_vec()),
    }
}

async fn versions(schema: &str) -> Vec<i64> {
    pg::raw_client(schema)
        .await
        .query(
            "SELECT version FROM certgate_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_starting_at_once_apply_each_migration_once() {
    let schema = pg::unique_schema();
    let _guard = pg::SchemaGuard(schema.clone());
    let url = pg::url_for(&schema);
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PostgresStore::open(&url).await.map(|_| ()) })
        })
        .collect();
    for open in opens {
        open.await.unwrap().unwrap();
    }
    assert_eq!(versions(&schema).await, vec![1, 2, 3]);
    // Opening again applies nothing.
    PostgresStore::open(&url).await.unwrap();
    assert_eq!(versions(&schema).await, vec![1, 2, 3]);
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let schema = pg::unique_schema();
    let _guard = pg::SchemaGuard(schema.clone());
    let url = pg::url_for(&schema);
    PostgresStore::open(&url).await.unwrap();
    pg::raw_client(&schema)
        .await
        .execute(
            "INSERT INTO certgate_migrations (version, name) VALUES (999, 'future')",
            &[],
        )
        .await
        .unwrap();
    let err = PostgresStore::open(&url)
        .await
        .err()
        .expect("a newer schema must be refused");
    assert!(err.to_string().contains("newer"), "{err}");
}

#[tokio::test]
async fn schemas_of_one_database_are_separate_stores() {
    let (a, b) = (pg::unique_schema(), pg::unique_schema());
    let _guards = (pg::SchemaGuard(a.clone()), pg::SchemaGuard(b.clone()));
    let store_a = PostgresStore::open(&pg::url_for(&a)).await.unwrap();
    let store_b = PostgresStore::open(&pg::url_for(&b)).await.unwrap();
    store_a.insert(&scope(), &cert("aaaaaa"), 1).await.unwrap();
    // The quota of one schema's scope does not count the other's rows.
    store_b.insert(&scope(), &cert("bbbbbb"), 1).await.unwrap();
    assert!(matches!(
        store_a.insert(&scope(), &cert("cccccc"), 1).await,
        Err(StoreError::QuotaExceeded { limit: 1 })
    ));
    assert_eq!(store_a.count(&scope()).await.unwrap(), 1);
    assert_eq!(
        store_b
            .get(&scope(), &CertificateId::parse("aaaaaa").unwrap())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn an_unreachable_database_is_unavailable_within_the_connect_timeout() {
    // Port 9 on loopback: nothing listens there, so the connection is refused at once.
    let url = certgate_store::PostgresUrl::parse("postgres://postgres@127.0.0.1:9/test").unwrap();
    let err = PostgresStore::open(&url)
        .await
        .err()
        .expect("nothing listens on port 9");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}
