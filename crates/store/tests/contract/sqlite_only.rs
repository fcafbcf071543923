//! Engine-specific behaviour of SQLite: durability across reopening, versioned migrations, and how a
//! new file is created.

use std::collections::BTreeSet;

use certgate_core::Tags;

use crate::{id, new_cert, scope, tags};

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
        certgate_store::CertificateStore::insert(&store, &s, &new, 60)
            .await
            .unwrap();
    }
    let store = certgate_store::SqliteStore::open(path).await.unwrap();
    assert_eq!(
        certgate_store::CertificateStore::get(&store, &s, &id(1))
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
        assert_eq!(versions, 4);
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
    use certgate_store::prelude::*;
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
    use certgate_store::prelude::*;
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
