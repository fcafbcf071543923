//! The store contract: every engine must pass every test here. Each test is written once against
//! `DynStore`; the `engines!` macro at the bottom instantiates the whole suite per engine.

use std::collections::BTreeSet;
use std::sync::Arc;

use certgate_core::{AccountId, Certificate, CertificateId, Region, Scope, SecretBytes, Tags};
use certgate_store::{DynStore, NewCertificate, ScanCursor, StoreError, StoredCertificate};

fn scope(account: &str, region: &str) -> Scope {
    Scope {
        account: AccountId::parse(account).unwrap(),
        region: Region::parse(region).unwrap(),
    }
}

fn id(n: usize) -> CertificateId {
    CertificateId::parse(&format!("c{n:05}")).unwrap()
}

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn new_cert(id: CertificateId, description: Option<&str>, tags: Tags) -> NewCertificate {
    NewCertificate {
        certificate: Certificate {
            pem: format!("-----BEGIN CERTIFICATE-----\n{id}\n-----END CERTIFICATE-----\n"),
            id: id.clone(),
            description: description.map(str::to_string),
            created: 1_700_000_000,
            expires: 1_700_000_000 + certgate_core::VALIDITY_SECONDS,
            tags,
        },
        private_key: SecretBytes::new(format!("key of {id}").into_bytes()),
    }
}

pub async fn insert_then_get_round_trips(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    let new = new_cert(id(1), Some("first"), tags(&[("env", "dev"), ("team", "a")]));
    store.insert(&s, &new, 60).await.unwrap();
    assert_eq!(
        store.get(&s, &id(1)).await.unwrap(),
        Some(new.certificate.clone())
    );
    assert_eq!(
        store.private_key(&s, &id(1)).await.unwrap(),
        Some(new.private_key.clone())
    );

    let plain = new_cert(id(2), None, Tags::new());
    store.insert(&s, &plain, 60).await.unwrap();
    assert_eq!(
        store.get(&s, &id(2)).await.unwrap(),
        Some(plain.certificate)
    );
    assert_eq!(store.get(&s, &id(3)).await.unwrap(), None);
    assert_eq!(store.private_key(&s, &id(3)).await.unwrap(), None);
}

pub async fn scopes_are_isolated(store: DynStore) {
    let a = scope("111111111111", "us-east-1");
    let other_account = scope("222222222222", "us-east-1");
    let other_region = scope("111111111111", "eu-west-1");
    store
        .insert(&a, &new_cert(id(1), None, Tags::new()), 60)
        .await
        .unwrap();
    for s in [&other_account, &other_region] {
        assert_eq!(store.get(s, &id(1)).await.unwrap(), None);
        assert!(store.list(s, None, 500).await.unwrap().is_empty());
        assert_eq!(store.count(s).await.unwrap(), 0);
        assert!(matches!(
            store.delete(s, &id(1)).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.set_description(s, &id(1), Some("x")).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.add_tags(s, &id(1), &tags(&[("a", "b")]), 50).await,
            Err(StoreError::NotFound)
        ));
        // The same id is free in another scope.
        store
            .insert(s, &new_cert(id(1), Some("other"), Tags::new()), 60)
            .await
            .unwrap();
    }
    assert_eq!(
        store.get(&a, &id(1)).await.unwrap().unwrap().description,
        None
    );
}

pub async fn a_taken_id_is_refused_and_nothing_changes(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    store
        .insert(&s, &new_cert(id(1), Some("original"), Tags::new()), 60)
        .await
        .unwrap();
    let again = store
        .insert(&s, &new_cert(id(1), Some("impostor"), Tags::new()), 60)
        .await;
    assert!(matches!(again, Err(StoreError::IdTaken)), "{again:?}");
    assert_eq!(
        store
            .get(&s, &id(1))
            .await
            .unwrap()
            .unwrap()
            .description
            .as_deref(),
        Some("original")
    );
    assert_eq!(store.count(&s).await.unwrap(), 1);
}

pub async fn quota_holds_under_concurrency(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    let tasks: Vec<_> = (0..75)
        .map(|n| {
            let (store, s) = (store.clone(), s.clone());
            tokio::spawn(async move {
                store
                    .insert(&s, &new_cert(id(n), None, Tags::new()), 60)
                    .await
            })
        })
        .collect();
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::QuotaExceeded { limit: 60 }) => refused += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((ok, refused), (60, 15));
    assert_eq!(store.count(&s).await.unwrap(), 60);
    // Another scope has its own quota, and a delete frees a slot.
    store
        .insert(
            &scope("111111111111", "eu-west-1"),
            &new_cert(id(0), None, Tags::new()),
            60,
        )
        .await
        .unwrap();
    let first = store.list(&s, None, 1).await.unwrap().remove(0);
    store.delete(&s, &first.id).await.unwrap();
    store
        .insert(&s, &new_cert(id(999), None, Tags::new()), 60)
        .await
        .unwrap();
    assert!(matches!(
        store
            .insert(&s, &new_cert(id(998), None, Tags::new()), 60)
            .await,
        Err(StoreError::QuotaExceeded { .. })
    ));
}

pub async fn keyset_pages_walk_everything_once_in_order(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    // Inserted out of order on purpose: pages come back ordered by id whatever the insertion order.
    for n in (0..30).rev() {
        store
            .insert(&s, &new_cert(id(n), None, Tags::new()), 1000)
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut after: Option<CertificateId> = None;
    loop {
        let page = store.list(&s, after.as_ref(), 7).await.unwrap();
        assert!(page.len() <= 7);
        if page.is_empty() {
            break;
        }
        after = page.last().map(|c| c.id.clone());
        seen.extend(page.into_iter().map(|c| c.id));
    }
    let expected: Vec<_> = (0..30).map(id).collect();
    assert_eq!(seen, expected);
    assert_eq!(store.list(&s, None, 500).await.unwrap().len(), 30);
    // A page after an id that has since been deleted still continues in order.
    store.delete(&s, &id(10)).await.unwrap();
    let page = store.list(&s, Some(&id(10)), 3).await.unwrap();
    assert_eq!(
        page.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        vec![id(11), id(12), id(13)]
    );
}

pub async fn description_is_replaced_and_cleared(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    store
        .insert(&s, &new_cert(id(1), Some("old"), tags(&[("k", "v")])), 60)
        .await
        .unwrap();
    let updated = store
        .set_description(&s, &id(1), Some("new"))
        .await
        .unwrap();
    assert_eq!(updated.description.as_deref(), Some("new"));
    assert_eq!(updated.tags, tags(&[("k", "v")]));
    assert_eq!(store.get(&s, &id(1)).await.unwrap().unwrap(), updated);
    let cleared = store.set_description(&s, &id(1), None).await.unwrap();
    assert_eq!(cleared.description, None);
    assert!(matches!(
        store.set_description(&s, &id(2), Some("x")).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn delete_removes_certificate_and_key(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    store
        .insert(&s, &new_cert(id(1), None, Tags::new()), 60)
        .await
        .unwrap();
    store.delete(&s, &id(1)).await.unwrap();
    assert_eq!(store.get(&s, &id(1)).await.unwrap(), None);
    assert_eq!(store.private_key(&s, &id(1)).await.unwrap(), None);
    assert!(matches!(
        store.delete(&s, &id(1)).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn tags_merge_remove_and_respect_the_limit(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    store
        .insert(&s, &new_cert(id(1), None, tags(&[("a", "1")])), 60)
        .await
        .unwrap();
    let t = store
        .add_tags(&s, &id(1), &tags(&[("a", "2"), ("b", "3")]), 50)
        .await
        .unwrap();
    assert_eq!(t, tags(&[("a", "2"), ("b", "3")]));
    let t = store
        .remove_tags(&s, &id(1), &["a".into(), "never-there".into()])
        .await
        .unwrap();
    assert_eq!(t, tags(&[("b", "3")]));
    assert_eq!(
        store.get(&s, &id(1)).await.unwrap().unwrap().tags,
        tags(&[("b", "3")])
    );

    let many: Tags = (0..49).map(|i| (format!("k{i}"), String::new())).collect();
    assert_eq!(
        store.add_tags(&s, &id(1), &many, 50).await.unwrap().len(),
        50
    );
    let refused = store
        .add_tags(&s, &id(1), &tags(&[("one-too-many", "")]), 50)
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::TooManyTags {
                count: 51,
                limit: 50
            })
        ),
        "{refused:?}"
    );
    // The refused change left the tags as they were; re-setting an existing key is still allowed.
    assert_eq!(store.get(&s, &id(1)).await.unwrap().unwrap().tags.len(), 50);
    assert!(store
        .add_tags(&s, &id(1), &tags(&[("b", "4")]), 50)
        .await
        .is_ok());
    assert!(matches!(
        store.remove_tags(&s, &id(9), &["b".into()]).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn concurrent_tag_writes_are_never_lost(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    store
        .insert(&s, &new_cert(id(1), None, Tags::new()), 60)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let (store, s) = (store.clone(), s.clone());
            tokio::spawn(async move {
                store
                    .add_tags(&s, &id(1), &tags(&[(&format!("k{n}"), "v")]), 50)
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let keys: BTreeSet<_> = store
        .get(&s, &id(1))
        .await
        .unwrap()
        .unwrap()
        .tags
        .into_keys()
        .collect();
    assert_eq!(keys, (0..40).map(|n| format!("k{n}")).collect());
}

pub async fn scan_walks_every_scope_once_in_key_order(store: DynStore) {
    let scopes = [
        scope("222222222222", "us-east-1"),
        scope("111111111111", "us-west-2"),
        scope("111111111111", "eu-west-1"),
    ];
    let mut expected = Vec::new();
    for (n, s) in scopes.iter().enumerate() {
        for i in 0..7 {
            let new = new_cert(id(n * 10 + i), None, tags(&[("n", "1")]));
            store.insert(s, &new, 60).await.unwrap();
            expected.push(StoredCertificate {
                scope: s.clone(),
                certificate: new.certificate,
                private_key: new.private_key,
            });
        }
    }
    expected.sort_by(|a, b| {
        (
            a.scope.account.as_str(),
            a.scope.region.as_str(),
            a.certificate.id.as_str(),
        )
            .cmp(&(
                b.scope.account.as_str(),
                b.scope.region.as_str(),
                b.certificate.id.as_str(),
            ))
    });
    let mut seen = Vec::new();
    let mut cursor: Option<ScanCursor> = None;
    loop {
        let page = store.scan(cursor.as_ref(), 4).await.unwrap();
        assert!(page.len() <= 4);
        let Some(last) = page.last() else { break };
        cursor = Some(ScanCursor {
            scope: last.scope.clone(),
            id: last.certificate.id.clone(),
        });
        seen.extend(page);
    }
    assert_eq!(seen, expected);
}

pub async fn import_writes_as_given_and_never_overwrites(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    for i in 0..3 {
        store
            .insert(&s, &new_cert(id(i), None, Tags::new()), 3)
            .await
            .unwrap();
    }
    // An import is not counted against the quota: it was counted where the certificate was made.
    let mut record = StoredCertificate {
        scope: s.clone(),
        certificate: new_cert(id(9), Some("moved"), tags(&[("a", "b")])).certificate,
        private_key: SecretBytes::new(b"sealed key".to_vec()),
    };
    store.import(&record).await.unwrap();
    assert_eq!(
        store.get(&s, &id(9)).await.unwrap(),
        Some(record.certificate.clone())
    );
    assert_eq!(
        store.private_key(&s, &id(9)).await.unwrap(),
        Some(record.private_key.clone())
    );
    record.certificate.description = Some("other".into());
    assert!(matches!(
        store.import(&record).await,
        Err(StoreError::IdTaken)
    ));
    assert_eq!(
        store
            .get(&s, &id(9))
            .await
            .unwrap()
            .unwrap()
            .description
            .as_deref(),
        Some("moved")
    );
}

pub async fn private_key_is_replaced_only_if_unchanged(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    let new = new_cert(id(1), None, Tags::new());
    store.insert(&s, &new, 60).await.unwrap();
    let next = SecretBytes::new(b"next".to_vec());
    let wrong = SecretBytes::new(b"wrong".to_vec());
    assert!(!store
        .replace_private_key(&s, &id(1), &wrong, &next)
        .await
        .unwrap());
    assert_eq!(
        store.private_key(&s, &id(1)).await.unwrap(),
        Some(new.private_key.clone())
    );
    assert!(store
        .replace_private_key(&s, &id(1), &new.private_key, &next)
        .await
        .unwrap());
    assert_eq!(
        store.private_key(&s, &id(1)).await.unwrap(),
        Some(next.clone())
    );
    assert!(!store
        .replace_private_key(&s, &id(2), &next, &wrong)
        .await
        .unwrap());
}

pub async fn settings_are_set_once_or_replaced(store: DynStore) {
    assert_eq!(store.setting("token-key").await.unwrap(), None);
    let tasks: Vec<_> = (0..8u8)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move { store.init_setting("token-key", &[n; 4]).await })
        })
        .collect();
    let mut winners = BTreeSet::new();
    for t in tasks {
        winners.insert(t.await.unwrap().unwrap());
    }
    assert_eq!(winners.len(), 1, "every node must see the same first value");
    let first = winners.into_iter().next().unwrap();
    assert_eq!(
        store.setting("token-key").await.unwrap(),
        Some(first.clone())
    );
    store.put_setting("token-key", b"new").await.unwrap();
    assert_eq!(
        store.setting("token-key").await.unwrap(),
        Some(b"new".to_vec())
    );
    assert_eq!(
        store.init_setting("token-key", b"ignored").await.unwrap(),
        b"new".to_vec()
    );
}

/// Instantiates every contract test for one engine. `$open` is an async expression giving a fresh,
/// empty `DynStore` (and may capture a guard that keeps its resources alive, returned second).
macro_rules! engines {
    ($engine:ident, $open:expr) => {
        mod $engine {
            use super::*;
            engines!(@tests $open;
                insert_then_get_round_trips,
                scopes_are_isolated,
                a_taken_id_is_refused_and_nothing_changes,
                quota_holds_under_concurrency,
                keyset_pages_walk_everything_once_in_order,
                description_is_replaced_and_cleared,
                delete_removes_certificate_and_key,
                tags_merge_remove_and_respect_the_limit,
                concurrent_tag_writes_are_never_lost,
                scan_walks_every_scope_once_in_key_order,
                import_writes_as_given_and_never_overwrites,
                private_key_is_replaced_only_if_unchanged,
                settings_are_set_once_or_replaced,
            );
        }
    };
    (@tests $open:expr; $($test:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $test() {
                let (store, _guard) = $open.await;
                super::$test(store).await;
            }
        )*
    };
}

async fn fresh_sqlite() -> (DynStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = certgate_store::SqliteStore::open(dir.path().join("nested/dir/certgate.db"))
        .await
        .unwrap();
    (Arc::new(store), dir)
}

engines!(sqlite, fresh_sqlite());

#[path = "support/postgres.rs"]
mod pg;
engines!(postgres, pg::fresh_postgres());

/// Engine-specific: an acknowledged write is on disk, and a reopened file has everything.
#[tokio::test]
async fn sqlite_reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("certgate.db");
    let s = scope("111111111111", "us-east-1");
    let new = new_cert(id(1), Some("kept"), tags(&[("a", "b")]));
    {
        let store = certgate_store::SqliteStore::open(path.clone())
            .await
            .unwrap();
        certgate_store::Store::insert(&store, &s, &new, 60)
            .await
            .unwrap();
    }
    let store = certgate_store::SqliteStore::open(path).await.unwrap();
    assert_eq!(
        certgate_store::Store::get(&store, &s, &id(1))
            .await
            .unwrap(),
        Some(new.certificate)
    );
}

/// Engine-specific: a database migrated by a newer certgate is refused rather than misread, and
/// opening twice applies nothing twice.
#[tokio::test]
async fn sqlite_migrations_are_versioned() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("certgate.db");
    certgate_store::SqliteStore::open(path.clone())
        .await
        .unwrap();
    certgate_store::SqliteStore::open(path.clone())
        .await
        .unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let versions: i64 = conn
            .query_row("SELECT COUNT(*) FROM certgate_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(versions, 2);
        conn.execute(
            "INSERT INTO certgate_migrations (version, name) VALUES (999, 'future')",
            [],
        )
        .unwrap();
    }
    let err = certgate_store::SqliteStore::open(path)
        .await
        .err()
        .expect("a newer schema must be refused");
    assert!(err.to_string().contains("newer"), "{err}");
}

/// Engine-specific: a new file is created with the settings it is given, whole, and leaves no
/// temporary file beside it; an existing file is not changed by them.
#[tokio::test]
async fn sqlite_a_new_file_starts_with_its_settings() {
    use certgate_store::Store;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/certgate.db");
    let store =
        certgate_store::SqliteStore::open_with_settings(path.clone(), &[("a", b"1"), ("b", b"2")])
            .await
            .unwrap();
    assert_eq!(store.setting("a").await.unwrap(), Some(b"1".to_vec()));
    assert_eq!(store.init_setting("b", b"other").await.unwrap(), b"2");
    let s = scope("111111111111", "us-east-1");
    store
        .insert(&s, &new_cert(id(1), None, Tags::new()), 60)
        .await
        .unwrap();
    drop(store);
    let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| n.starts_with("certgate.db"))
            && !names.iter().any(|n| n.contains("creating")),
        "{names:?}"
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(conn);

    let store = certgate_store::SqliteStore::open_with_settings(path, &[("a", b"9"), ("c", b"3")])
        .await
        .unwrap();
    assert_eq!(store.setting("a").await.unwrap(), Some(b"1".to_vec()));
    assert_eq!(store.setting("c").await.unwrap(), None);
    assert!(store.get(&s, &id(1)).await.unwrap().is_some());
}

/// Engine-specific: processes creating the same new file at once all end up on one database, with
/// the settings of whichever published it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_creators_share_one_file() {
    use certgate_store::Store;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("certgate.db");
    let opens: Vec<_> = (0..6u8)
        .map(|n| {
            let path = path.clone();
            tokio::spawn(async move {
                let store = certgate_store::SqliteStore::open_with_settings(path, &[("who", &[n])])
                    .await
                    .unwrap();
                store.setting("who").await.unwrap()
            })
        })
        .collect();
    let mut seen = BTreeSet::new();
    for open in opens {
        seen.insert(open.await.unwrap());
    }
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen.iter().all(Option::is_some), "{seen:?}");
}
