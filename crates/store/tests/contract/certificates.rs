//! The certificate family: scoped reads and writes, the quota, ids, keyset pages.

use certgate_core::{CertificateId, Tags};
use certgate_store::{DynStore, Resource, StoreError};

use crate::{id, new_cert, scope, tags};

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
            store
                .add_tags(
                    s,
                    Resource::ClientCertificate(&id(1)),
                    &tags(&[("a", "b")]),
                    50
                )
                .await,
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
