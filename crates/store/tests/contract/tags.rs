//! The tag family: tags of a resource addressed by kind and id, merged and limited inside the
//! engine's transaction.

use std::collections::BTreeSet;

use certgate_core::Tags;
use certgate_store::{DynStore, Resource, StoreError, TagChange};

use crate::{id, new_cert, scope, tags};

pub async fn tags_merge_remove_and_respect_the_limit(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    store
        .insert(&s, &new_cert(id(1), None, tags(&[("a", "1")])), 60)
        .await
        .unwrap();
    let t = store
        .add_tags(
            &s,
            Resource::ClientCertificate(&id(1)),
            &tags(&[("a", "2"), ("b", "3")]),
            50,
        )
        .await
        .unwrap();
    assert_eq!(t, tags(&[("a", "2"), ("b", "3")]));
    let t = store
        .remove_tags(
            &s,
            Resource::ClientCertificate(&id(1)),
            &["a".into(), "never-there".into()],
        )
        .await
        .unwrap();
    assert_eq!(t, tags(&[("b", "3")]));
    assert_eq!(
        store.get(&s, &id(1)).await.unwrap().unwrap().tags,
        tags(&[("b", "3")])
    );

    let many: Tags = (0..49).map(|i| (format!("k{i}"), String::new())).collect();
    assert_eq!(
        store
            .add_tags(&s, Resource::ClientCertificate(&id(1)), &many, 50)
            .await
            .unwrap()
            .len(),
        50
    );
    let refused = store
        .add_tags(
            &s,
            Resource::ClientCertificate(&id(1)),
            &tags(&[("one-too-many", "")]),
            50,
        )
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
        .add_tags(
            &s,
            Resource::ClientCertificate(&id(1)),
            &tags(&[("b", "4")]),
            50
        )
        .await
        .is_ok());
    assert!(matches!(
        store
            .remove_tags(&s, Resource::ClientCertificate(&id(9)), &["b".into()])
            .await,
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
                    .add_tags(
                        &s,
                        Resource::ClientCertificate(&id(1)),
                        &tags(&[(&format!("k{n}"), "v")]),
                        50,
                    )
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

pub async fn tags_are_read_and_changed_by_resource(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    let cert = Resource::ClientCertificate(&id(1));
    store
        .insert(&s, &new_cert(id(1), None, tags(&[("a", "1")])), 60)
        .await
        .unwrap();
    assert_eq!(
        store.tags(&s, cert).await.unwrap(),
        Some(tags(&[("a", "1")]))
    );
    let absent = Resource::ClientCertificate(&id(2));
    assert_eq!(store.tags(&s, absent).await.unwrap(), None);
    assert_eq!(
        store
            .tags(&scope("222222222222", "us-east-1"), cert)
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        store
            .change_tags(&s, absent, TagChange::Remove { keys: vec![] })
            .await,
        Err(StoreError::NotFound)
    ));
    let after = store
        .change_tags(
            &s,
            cert,
            TagChange::Add {
                tags: tags(&[("b", "2")]),
                max_tags: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(after, tags(&[("a", "1"), ("b", "2")]));
    assert_eq!(store.tags(&s, cert).await.unwrap(), Some(after.clone()));
    // The resource's own read carries the same tags: they are one value, not two copies.
    assert_eq!(store.get(&s, &id(1)).await.unwrap().unwrap().tags, after);
    // A delete takes the tags with it: a new certificate under the id starts with its own.
    store.delete(&s, &id(1)).await.unwrap();
    assert_eq!(store.tags(&s, cert).await.unwrap(), None);
    store
        .insert(&s, &new_cert(id(1), None, Tags::new()), 60)
        .await
        .unwrap();
    assert_eq!(store.tags(&s, cert).await.unwrap(), Some(Tags::new()));
}

/// Forty concurrent merges of two new keys each into a resource that has room for fifty tags: the
/// limit is checked against the committed tags in the writing transaction, so exactly the merges
/// that fit succeed and the resource never carries more than fifty.
pub async fn concurrent_merges_never_pass_the_limit(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    store
        .insert(&s, &new_cert(id(1), None, Tags::new()), 60)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let (store, s) = (store.clone(), s.clone());
            tokio::spawn(async move {
                let pair = tags(&[(&format!("a{n}"), ""), (&format!("b{n}"), "")]);
                store
                    .add_tags(&s, Resource::ClientCertificate(&id(1)), &pair, 50)
                    .await
            })
        })
        .collect();
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(t) => {
                assert!(t.len() <= 50);
                ok += 1;
            }
            Err(StoreError::TooManyTags { limit: 50, .. }) => refused += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((ok, refused), (25, 15));
    let stored = store
        .tags(&s, Resource::ClientCertificate(&id(1)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.len(), 50);
    let pairs: BTreeSet<_> = stored.keys().map(|k| &k[1..]).collect();
    assert_eq!(
        pairs.len(),
        25,
        "every merge is whole or absent: {stored:?}"
    );
}
