//! The settings family: store-wide values every node shares.

use std::collections::BTreeSet;

use certgate_store::DynStore;

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
