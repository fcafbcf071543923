//! Whole-store scans: keyset pages over every scope in (account, region, id) order, in the three
//! shapes the callers need (certificates without keys, keys alone, whole records), and the one
//! walk helper every caller uses.

use certgate_core::Tags;
use certgate_store::{
    DynStore, Scan, ScanCursor, Scanned, ScopedCertificate, ScopedExpiry, StoredCertificate,
    StoredKey, SCAN_PAGE,
};

use crate::{id, new_cert, scope, tags};

/// Three scopes of seven certificates, inserted out of key order; returns every record in key
/// order.
async fn fill(store: &DynStore) -> Vec<StoredCertificate> {
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
    expected
}

/// Every row of a walk in pages of `size`, checking each page's size on the way.
async fn walk<R: Scanned>(store: &DynStore, size: u32) -> Vec<R> {
    let mut scan = Scan::<R>::with_page_size(size);
    let mut seen = Vec::new();
    while let Some(page) = scan.next_page(store.as_ref()).await.unwrap() {
        assert!(!page.is_empty() && page.len() <= size as usize);
        seen.extend(page);
    }
    // A finished walk stays finished.
    assert!(scan.next_page(store.as_ref()).await.unwrap().is_none());
    seen
}

pub async fn scan_walks_every_scope_once_in_key_order(store: DynStore) {
    let expected = fill(&store).await;
    // By hand, through the engine's method, as the walk helper does it.
    let mut seen = Vec::new();
    let mut cursor: Option<ScanCursor> = None;
    loop {
        let page = store.scan_records(cursor.as_ref(), 4).await.unwrap();
        assert!(page.len() <= 4);
        let Some(last) = page.last() else { break };
        cursor = Some(last.cursor());
        seen.extend(page);
    }
    assert_eq!(seen, expected);
    // And through the helper, in pages that divide the rows exactly and that do not.
    for size in [1, 3, 4, 7, 21, SCAN_PAGE] {
        assert_eq!(
            walk::<StoredCertificate>(&store, size).await,
            expected,
            "{size}"
        );
    }
}

pub async fn every_scan_returns_the_same_rows_in_the_same_order(store: DynStore) {
    let expected = fill(&store).await;
    let certificates: Vec<ScopedCertificate> = walk(&store, 5).await;
    assert_eq!(
        certificates,
        expected
            .iter()
            .map(|r| ScopedCertificate {
                scope: r.scope.clone(),
                certificate: r.certificate.clone(),
            })
            .collect::<Vec<_>>()
    );
    let keys: Vec<StoredKey> = walk(&store, 5).await;
    assert_eq!(
        keys,
        expected
            .iter()
            .map(|r| StoredKey {
                scope: r.scope.clone(),
                id: r.certificate.id.clone(),
                private_key: r.private_key.clone(),
            })
            .collect::<Vec<_>>()
    );
    // The expiry scan of `/metrics`: the same keys, with only their expiry.
    let expiries: Vec<ScopedExpiry> = walk(&store, 5).await;
    assert_eq!(
        expiries,
        expected
            .iter()
            .map(|r| ScopedExpiry {
                scope: r.scope.clone(),
                id: r.certificate.id.clone(),
                expires: r.certificate.expires,
            })
            .collect::<Vec<_>>()
    );
}

/// A walk is keyset-paged, not a snapshot: a row written after the cursor is seen, one written
/// before it is not, and a deleted row is skipped without disturbing the rest.
pub async fn a_walk_sees_rows_written_ahead_of_it_and_not_behind(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    for n in [10, 20, 30, 40] {
        store
            .insert(&s, &new_cert(id(n), None, Tags::new()), 60)
            .await
            .unwrap();
    }
    let mut scan = Scan::<ScopedCertificate>::with_page_size(2);
    let first = scan.next_page(store.as_ref()).await.unwrap().unwrap();
    assert_eq!(
        first
            .iter()
            .map(|c| c.certificate.id.clone())
            .collect::<Vec<_>>(),
        vec![id(10), id(20)]
    );
    for n in [5, 35] {
        store
            .insert(&s, &new_cert(id(n), None, Tags::new()), 60)
            .await
            .unwrap();
    }
    store.delete(&s, &id(30)).await.unwrap();
    let mut rest = Vec::new();
    while let Some(page) = scan.next_page(store.as_ref()).await.unwrap() {
        rest.extend(page.into_iter().map(|c| c.certificate.id));
    }
    assert_eq!(rest, vec![id(35), id(40)]);
}

pub async fn an_empty_store_scans_to_nothing(store: DynStore) {
    assert!(walk::<ScopedCertificate>(&store, SCAN_PAGE)
        .await
        .is_empty());
    assert!(walk::<StoredKey>(&store, 1).await.is_empty());
    assert!(store.scan_certificates(None, 10).await.unwrap().is_empty());
}
