use std::sync::Arc;

use certgate_core::{AccountId, Certificate, CertificateId, Region, Scope};
use certgate_store::{NewCertificate, SqliteStore};

use super::rotate::{rotate, Report};
use super::*;

fn scope(account: &str) -> Scope {
    Scope {
        account: AccountId::parse(account).unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    }
}

fn id(n: usize) -> CertificateId {
    CertificateId::parse(&format!("k{n:05}")).unwrap()
}

/// A stand-in for a PKCS#8 key: it starts with a DER SEQUENCE tag as a real one does.
fn clear_key(n: usize) -> SecretBytes {
    SecretBytes::new(
        [
            &[0x30u8, 0x82][..],
            format!("private key number {n}").as_bytes(),
        ]
        .concat(),
    )
}

async fn store() -> (tempfile::TempDir, DynStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("k.db")).await.unwrap();
    (dir, Arc::new(store))
}

/// Inserts `n` certificates in two accounts, keys sealed with `key` (or in the clear).
async fn fill(store: &DynStore, n: usize, key: Option<&MasterKey>) {
    for i in 0..n {
        let scope = scope(if i % 2 == 0 {
            "111111111111"
        } else {
            "222222222222"
        });
        let private_key = match key {
            Some(k) => k.seal(&clear_key(i), &context(&scope, &id(i))).unwrap(),
            None => clear_key(i),
        };
        let new = NewCertificate {
            certificate: Certificate {
                id: id(i),
                description: None,
                pem: "PEM".into(),
                created: 0,
                expires: 1,
                tags: Default::default(),
            },
            private_key,
        };
        store.insert(&scope, &new, 1000).await.unwrap();
    }
}

/// Every stored key opened with `key`, checked against what was sealed.
async fn assert_all_open_with(store: &DynStore, key: &MasterKey, n: usize) {
    let rows = store.scan(None, 1000).await.unwrap();
    assert_eq!(rows.len(), n);
    for row in rows {
        let i: usize = row.certificate.id.as_str()[1..].parse().unwrap();
        let plain = key
            .open(
                row.private_key.expose(),
                &context(&row.scope, &row.certificate.id),
            )
            .unwrap();
        assert_eq!(plain, clear_key(i));
    }
}

#[tokio::test]
async fn the_first_start_records_the_key_and_a_wrong_key_is_refused() {
    let (_dir, store) = store().await;
    let a = MasterKey::generate().unwrap();
    check_store(&store, &a).await.unwrap();
    check_store(&store, &a).await.unwrap();
    let b = MasterKey::generate().unwrap();
    let err = check_store(&store, &b).await.unwrap_err();
    assert!(err.starts_with("wrong master key"), "{err}");
    assert!(
        err.contains(&a.fingerprint_hex()) && err.contains(&b.fingerprint_hex()),
        "{err}"
    );
}

/// `serve` creates a new SQLite store with the key's fingerprint already in it; the check then
/// holds that store to that key exactly as if it had recorded the fingerprint itself.
#[tokio::test]
async fn a_store_created_with_the_fingerprint_is_bound_to_that_key() {
    let dir = tempfile::tempdir().unwrap();
    let url = StoreUrl::Sqlite(dir.path().join("new.db"));
    let a = MasterKey::generate().unwrap();
    let store =
        certgate_store::open_with_settings(&url, &[(FINGERPRINT_SETTING, &a.fingerprint())])
            .await
            .unwrap();
    check_store(&store, &a).await.unwrap();
    let b = MasterKey::generate().unwrap();
    let err = check_store(&store, &b).await.unwrap_err();
    assert!(err.starts_with("wrong master key"), "{err}");
}

#[tokio::test]
async fn keys_stored_in_the_clear_are_sealed_at_the_first_start() {
    let (_dir, store) = store().await;
    fill(&store, 5, None).await;
    let key = MasterKey::generate().unwrap();
    check_store(&store, &key).await.unwrap();
    assert_all_open_with(&store, &key, 5).await;
}

#[tokio::test]
async fn an_interrupted_rotation_runs_again_and_loses_no_key() {
    let (_dir, store) = store().await;
    let old = MasterKey::generate().unwrap();
    check_store(&store, &old).await.unwrap();
    fill(&store, 7, Some(&old)).await;
    let new = MasterKey::generate().unwrap();

    let first = rotate(&store, &old, &new, Some(3)).await.unwrap();
    assert_eq!(
        first,
        Report {
            resealed: 3,
            ..Report::default()
        }
    );
    // A store with a rotation under way is not served, by either key.
    for key in [&old, &new] {
        let err = check_store(&store, key).await.unwrap_err();
        assert!(err.contains("rotate-master-key"), "{err}");
    }

    let second = rotate(&store, &old, &new, None).await.unwrap();
    assert_eq!(
        second,
        Report {
            resealed: 4,
            already: 3,
            finished: true,
            ..Report::default()
        }
    );
    assert_all_open_with(&store, &new, 7).await;
    check_store(&store, &new).await.unwrap();
    assert!(check_store(&store, &old).await.is_err());

    // Running it once more changes nothing.
    let third = rotate(&store, &old, &new, None).await.unwrap();
    assert_eq!(
        third,
        Report {
            already: 7,
            finished: true,
            ..Report::default()
        }
    );
}

#[tokio::test]
async fn rotation_refuses_a_wrong_current_key_and_the_same_key() {
    let (_dir, store) = store().await;
    let old = MasterKey::generate().unwrap();
    check_store(&store, &old).await.unwrap();
    fill(&store, 2, Some(&old)).await;
    let stranger = MasterKey::generate().unwrap();
    let new = MasterKey::generate().unwrap();
    let err = rotate(&store, &stranger, &new, None).await.unwrap_err();
    assert!(err.starts_with("wrong current master key"), "{err}");
    assert!(rotate(&store, &old, &old, None).await.is_err());
    assert_all_open_with(&store, &old, 2).await;
}

#[test]
fn the_key_lives_beside_the_sqlite_file_unless_told() {
    let url = StoreUrl::parse("sqlite:///var/lib/certgate/c.db").unwrap();
    assert_eq!(
        key_path(None, &url),
        (PathBuf::from("/var/lib/certgate/master.key"), false)
    );
    let url = StoreUrl::parse("sqlite://certgate-data/certgate.db").unwrap();
    assert_eq!(
        key_path(None, &url),
        (PathBuf::from("certgate-data/master.key"), false)
    );
    let url = StoreUrl::parse("sqlite://c.db").unwrap();
    assert_eq!(key_path(None, &url), (PathBuf::from("./master.key"), false));
    let given = Path::new("/etc/certgate/key");
    assert_eq!(key_path(Some(given), &url), (given.to_path_buf(), true));
    let url = StoreUrl::parse("postgres://certgate@db:5432/certgate").unwrap();
    assert_eq!(
        key_path(None, &url),
        (PathBuf::from("certgate-data/master.key"), false)
    );
}

#[test]
fn key_files_are_created_private_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/master.key");
    let key = create_key_file(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert_eq!(
        read_key_file(&path).unwrap().fingerprint(),
        key.fingerprint()
    );
    assert!(
        create_key_file(&path).is_err(),
        "an existing key is never overwritten"
    );
    std::fs::write(&path, "dG9vIHNob3J0\n").unwrap();
    assert!(read_key_file(&path).unwrap_err().contains("32 bytes"));
    std::fs::write(&path, "not base64!\n").unwrap();
    assert!(read_key_file(&path).unwrap_err().contains("base64"));
}

#[test]
fn nodes_starting_at_once_on_one_data_directory_share_one_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("certgate.db");
    let url = StoreUrl::parse(&format!("sqlite://{}", db.display())).unwrap();
    let keys: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| load_for_serve(None, &url).unwrap().fingerprint()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(keys.windows(2).all(|w| w[0] == w[1]), "{keys:?}");
    let on_disk = read_key_file(&dir.path().join("master.key")).unwrap();
    assert_eq!(on_disk.fingerprint(), keys[0]);
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary file is left behind");
}
