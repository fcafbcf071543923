//! The change feed: every write is announced, with its kind, scope and id, before the call that
//! made it returns, so a cache above the store never serves an answer its own writer replaced;
//! and the feed becomes current once the engine can vouch for what it announces.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use certgate_store::{ChangeKind, DynStore, Event, StoredCertificate, Subscriber, TagChange};

use crate::{id, new_cert, scope, tags};

#[derive(Default)]
pub struct Seen(pub Mutex<Vec<String>>);

impl Subscriber for Seen {
    fn notify(&self, event: Event<'_>) {
        let line = match event {
            Event::Changed(c) => format!(
                "{} {} {} {}",
                c.kind.name(),
                c.scope.account.as_str(),
                c.scope.region.as_str(),
                c.id
            ),
            Event::Everything => "everything".into(),
        };
        self.0.lock().unwrap().push(line);
    }
}

impl Seen {
    /// Whether `line` was announced, and forgets everything seen so far.
    pub fn took(&self, line: &str) -> bool {
        let mut seen = self.0.lock().unwrap();
        let found = seen.iter().any(|l| l == line);
        seen.clear();
        found
    }
}

pub async fn every_write_is_announced_before_it_returns(store: DynStore) {
    let seen = Arc::new(Seen::default());
    store.changes().subscribe(seen.clone());
    let s = scope("111111111111", "us-east-1");
    let line = |n: usize| format!("client-certificate 111111111111 us-east-1 {}", id(n));
    let kind = ChangeKind::ClientCertificate;
    assert_eq!(kind.name(), "client-certificate");

    store
        .insert(&s, &new_cert(id(1), None, tags(&[])), 10)
        .await
        .unwrap();
    assert!(seen.took(&line(1)), "insert");
    store.set_description(&s, &id(1), Some("d")).await.unwrap();
    assert!(seen.took(&line(1)), "description");
    store
        .change_tags(
            &s,
            certgate_store::Resource::ClientCertificate(&id(1)),
            TagChange::Add {
                tags: tags(&[("k", "v")]),
                max_tags: 50,
            },
        )
        .await
        .unwrap();
    assert!(seen.took(&line(1)), "tags");
    store.delete(&s, &id(1)).await.unwrap();
    assert!(seen.took(&line(1)), "delete");
    let record = StoredCertificate {
        scope: s.clone(),
        certificate: new_cert(id(2), None, tags(&[])).certificate,
        private_key: new_cert(id(2), None, tags(&[])).private_key,
    };
    store.import(&record).await.unwrap();
    assert!(seen.took(&line(2)), "import");
    // A write that fails is announced too: the caller cannot tell what reached the store.
    assert!(store.delete(&s, &id(3)).await.is_err());
    assert!(seen.took(&line(3)), "failed delete");
}

pub async fn the_feed_becomes_current(store: DynStore) {
    let started = Instant::now();
    while !store.changes().is_current() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the feed of {} is not current after 5 s",
            store.engine()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
