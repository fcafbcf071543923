//! PostgreSQL-specific behaviour beyond the contract suite: versioned migrations that several nodes
//! may run at once, stores on different schemas of one database that never see each other, and
//! writes announced to every node on the schema.

#[path = "support/postgres.rs"]
mod pg;

use certgate_core::{AccountId, Certificate, CertificateId, Region, Scope, SecretBytes};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use certgate_store::{
    CertificateStore, Event, NewCertificate, PostgresStore, Store, StoreError, Subscriber,
};

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
    assert_eq!(versions(&schema).await, vec![1, 2, 3, 4, 5]);
    // Opening again applies nothing.
    PostgresStore::open(&url).await.unwrap();
    assert_eq!(versions(&schema).await, vec![1, 2, 3, 4, 5]);
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

/// The ids of the changes a feed announced, `*` for "everything".
#[derive(Default)]
struct Ids(Mutex<Vec<String>>);

impl Subscriber for Ids {
    fn notify(&self, event: Event<'_>) {
        let id = match event {
            Event::Changed(c) => c.id.clone(),
            Event::Everything => "*".into(),
        };
        self.0.lock().unwrap().push(id);
    }
}

async fn current(store: &PostgresStore) {
    let started = Instant::now();
    while !store.changes().is_current() {
        assert!(started.elapsed() < Duration::from_secs(5), "never current");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_on_one_node_is_announced_on_every_node_of_its_schema_within_a_second() {
    let (schema, other) = (pg::unique_schema(), pg::unique_schema());
    let _guards = (
        pg::SchemaGuard(schema.clone()),
        pg::SchemaGuard(other.clone()),
    );
    let writer = PostgresStore::open(&pg::url_for(&schema)).await.unwrap();
    let reader = PostgresStore::open(&pg::url_for(&schema)).await.unwrap();
    let elsewhere = PostgresStore::open(&pg::url_for(&other)).await.unwrap();
    for store in [&writer, &reader, &elsewhere] {
        current(store).await;
    }
    let (seen, seen_elsewhere) = (Arc::new(Ids::default()), Arc::new(Ids::default()));
    reader.changes().subscribe(seen.clone());
    elsewhere.changes().subscribe(seen_elsewhere.clone());
    for id in ["aaaaaa", "bbbbbb", "cccccc"] {
        let started = Instant::now();
        writer.insert(&scope(), &cert(id), 10).await.unwrap();
        while !seen.0.lock().unwrap().iter().any(|s| s == id) {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{id} not announced on the other node within a second"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    // A row written behind every node's back (by hand, by another tool) is announced too: the
    // trigger, not certgate, sends the notification.
    let started = Instant::now();
    pg::raw_client(&schema)
        .await
        .execute(
            "UPDATE client_certificates SET description = 'by hand' WHERE id = 'aaaaaa'",
            &[],
        )
        .await
        .unwrap();
    while seen
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|s| *s == "aaaaaa")
        .count()
        < 2
    {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the hand-made write was not announced"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        !seen_elsewhere
            .0
            .lock()
            .unwrap()
            .iter()
            .any(|s| s.len() == 6),
        "another schema's store heard of these writes"
    );
}
