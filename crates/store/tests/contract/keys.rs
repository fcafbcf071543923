//! The private-key family: the key beside each certificate, compare-and-swap replacement, and
//! whole records written as given.

use certgate_core::{SecretBytes, Tags};
use certgate_store::{DynStore, StoreError, StoredCertificate};

use crate::{id, new_cert, scope, tags};

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

/// A key is found exactly where its certificate is, and goes when it goes.
pub async fn a_key_follows_its_certificate(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    let other = scope("111111111111", "eu-west-1");
    let new = new_cert(id(1), None, Tags::new());
    store.insert(&s, &new, 60).await.unwrap();
    assert_eq!(
        store.private_key(&s, &id(1)).await.unwrap(),
        Some(new.private_key.clone())
    );
    assert_eq!(store.private_key(&other, &id(1)).await.unwrap(), None);
    assert!(!store
        .replace_private_key(
            &other,
            &id(1),
            &new.private_key,
            &SecretBytes::new(b"x".to_vec())
        )
        .await
        .unwrap());
    store.delete(&s, &id(1)).await.unwrap();
    assert_eq!(store.private_key(&s, &id(1)).await.unwrap(), None);
}
