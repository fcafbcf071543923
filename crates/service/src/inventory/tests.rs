use super::*;
use crate::testing::{scope, store_with};

#[tokio::test]
async fn reads_every_scope_in_order_across_scan_pages() {
    let a1 = scope("111111111111", "us-east-1");
    let a2 = scope("111111111111", "eu-west-1");
    let b1 = scope("222222222222", "us-east-1");
    // More rows than one scan page, so the cursor has to carry the read over a page boundary.
    let (_dir, store) =
        store_with(&[(a1.clone(), 150, 1_000), (a2, 3, 2_000), (b1, 60, 3_000)]).await;

    let all = read(store.as_ref(), &Filter::default(), usize::MAX)
        .await
        .expect("read");
    assert!(!all.truncated);
    assert_eq!(all.entries.len(), 213);
    let keys: Vec<(String, String, String)> = all
        .entries
        .iter()
        .map(|e| {
            (
                e.scope.account.to_string(),
                e.scope.region.to_string(),
                e.certificate.id.to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted, "scan order, no repeats");

    let account = Filter {
        account: AccountId::parse("111111111111"),
        region: None,
    };
    assert_eq!(
        read(store.as_ref(), &account, usize::MAX)
            .await
            .expect("read")
            .entries
            .len(),
        153
    );
    let region = Filter {
        account: None,
        region: Region::parse("us-east-1"),
    };
    assert_eq!(
        read(store.as_ref(), &region, usize::MAX)
            .await
            .expect("read")
            .entries
            .len(),
        210
    );
    let both = Filter {
        account: AccountId::parse("111111111111"),
        region: Region::parse("us-east-1"),
    };
    let scoped = read(store.as_ref(), &both, usize::MAX).await.expect("read");
    assert_eq!(scoped.entries.len(), 150);
    assert!(scoped.entries.iter().all(|e| e.scope == a1));
}

#[tokio::test]
async fn stops_at_max_and_says_so() {
    let (_dir, store) = store_with(&[(scope("111111111111", "us-east-1"), 5, 1_000)]).await;
    let five = read(store.as_ref(), &Filter::default(), 5)
        .await
        .expect("read");
    assert_eq!((five.entries.len(), five.truncated), (5, false));
    let four = read(store.as_ref(), &Filter::default(), 4)
        .await
        .expect("read");
    assert_eq!((four.entries.len(), four.truncated), (4, true));
    let both = Filter {
        account: AccountId::parse("111111111111"),
        region: Region::parse("us-east-1"),
    };
    let scoped = read(store.as_ref(), &both, 2).await.expect("read");
    assert_eq!((scoped.entries.len(), scoped.truncated), (2, true));
}

#[tokio::test]
async fn json_rows_carry_expiry_and_never_a_key_or_pem() {
    let now = 10 * certgate_core::expiry::DAY;
    let (_dir, store) =
        store_with(&[(scope("111111111111", "us-east-1"), 1, now + 3 * 86_400)]).await;
    let all = read(store.as_ref(), &Filter::default(), 10)
        .await
        .expect("read");
    let row = all.entries[0].to_json(now, 30 * 86_400);
    assert_eq!(row["status"], "expiring");
    assert_eq!(row["daysLeft"], 3);
    assert_eq!(row["expires"], "1970-01-14T00:00:00Z");
    let text = row.to_string();
    assert!(
        !text.contains("PRIVATE") && !text.contains("BEGIN"),
        "{text}"
    );
}
