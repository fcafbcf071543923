//! The change feed: how a cache above the store learns that what it holds may be stale. Every
//! write of every engine is announced here as a [`Change`] (a resource kind, its scope and its id),
//! whichever node made it, and a subscriber drops what depends on it. The feed is one facility for
//! every resource family: a new family adds its [`ChangeKind`] and, on PostgreSQL, a trigger on its
//! table (see `postgres/migrations.rs`); the caches above need nothing else.
//!
//! How a change arrives:
//! - from this process: the engine announces each write as soon as it has committed (or failed),
//!   before the caller gets its answer, so a client that reads after its own write never sees the
//!   old value;
//! - on PostgreSQL, from another node: a trigger on each table sends a `NOTIFY` with the row's key
//!   in the writing transaction, delivered to every node's listening connection when it commits;
//! - on SQLite, from another process on the same file: the engine polls the writer connection's
//!   `PRAGMA data_version` and announces [`Event::Everything`] when another connection committed.
//!
//! A cache may answer from what it holds only while [`ChangeFeed::is_current`] says so: always on
//! SQLite, and on PostgreSQL only while the listening connection has recently proved that every
//! notification sent before a round trip has arrived (see `postgres/listen.rs`). That bounds how
//! stale an answer can be even when the listening connection dies silently.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use certgate_core::Scope;

/// The kinds of resource whose writes are announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    ClientCertificate,
    /// A REST API's row (its document, tree or tags); the key is its id.
    RestApi,
    /// A stage's row; the key is `api-id/stage-name`.
    Stage,
}

impl ChangeKind {
    pub const ALL: &'static [ChangeKind] = &[
        ChangeKind::ClientCertificate,
        ChangeKind::RestApi,
        ChangeKind::Stage,
    ];

    /// The kind's name in a PostgreSQL notification (the trigger's first argument).
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::ClientCertificate => "client-certificate",
            ChangeKind::RestApi => "rest-api",
            ChangeKind::Stage => "stage",
        }
    }

    pub fn parse(name: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.iter().copied().find(|k| k.name() == name)
    }
}

/// One resource that a write may have changed (created, updated or removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    pub scope: Scope,
    /// The resource's key within its scope, as its kind spells it (a certificate's id).
    pub id: String,
}

/// What a subscriber is told.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    Changed(&'a Change),
    /// Changes may have been missed (a listening connection was lost, another process wrote):
    /// anything may have changed.
    Everything,
}

/// Something that holds what the store said, and must drop it when it changes.
pub trait Subscriber: Send + Sync {
    /// Called once per event, on the thread that learnt of it; must not block.
    fn notify(&self, event: Event<'_>);
}

/// Whether caches may answer from what they hold.
enum Trust {
    /// Every change is announced before its writer is answered, or within a bounded poll.
    Always,
    /// Until the instant `base + millis`, renewed by the listener's confirmed round trips.
    Until { base: Instant, millis: AtomicU64 },
}

/// The feed of one store, shared by the engine that announces and the caches that subscribe.
pub struct ChangeFeed {
    /// Incremented before each event is handed out: a cache that remembers it before reading the
    /// store and finds it unchanged when it stores the answer knows no change raced the read.
    epoch: AtomicU64,
    subscribers: RwLock<Vec<Arc<dyn Subscriber>>>,
    trust: Trust,
}

impl ChangeFeed {
    /// A feed whose every change is announced in time (SQLite's, or one a caller feeds itself).
    pub fn always_current() -> Arc<ChangeFeed> {
        Arc::new(ChangeFeed {
            epoch: AtomicU64::new(0),
            subscribers: RwLock::new(Vec::new()),
            trust: Trust::Always,
        })
    }

    /// A feed that is current only while [`ChangeFeed::confirm_until`] keeps it so (PostgreSQL's).
    pub(crate) fn confirmed() -> Arc<ChangeFeed> {
        Arc::new(ChangeFeed {
            epoch: AtomicU64::new(0),
            subscribers: RwLock::new(Vec::new()),
            trust: Trust::Until {
                base: Instant::now(),
                millis: AtomicU64::new(0),
            },
        })
    }

    pub fn subscribe(&self, subscriber: Arc<dyn Subscriber>) {
        self.subscribers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(subscriber);
    }

    /// How many events have been handed out so far.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Whether a cache may answer from what it holds now.
    pub fn is_current(&self) -> bool {
        match &self.trust {
            Trust::Always => true,
            Trust::Until { base, millis } => {
                (base.elapsed().as_millis() as u64) < millis.load(Ordering::SeqCst)
            }
        }
    }

    /// Keeps the feed current until `deadline` (never shortens it).
    pub(crate) fn confirm_until(&self, deadline: Instant) {
        if let Trust::Until { base, millis } = &self.trust {
            let at = deadline.saturating_duration_since(*base).as_millis() as u64;
            millis.fetch_max(at, Ordering::SeqCst);
        }
    }

    /// Stops trusting the feed at once (a listening connection is known to be gone).
    pub(crate) fn distrust(&self) {
        if let Trust::Until { millis, .. } = &self.trust {
            millis.store(0, Ordering::SeqCst);
        }
    }

    /// Announces one change to every subscriber.
    pub fn publish(&self, kind: ChangeKind, scope: &Scope, id: &str) {
        let change = Change {
            kind,
            scope: scope.clone(),
            id: id.to_string(),
        };
        self.hand_out(Event::Changed(&change));
    }

    /// Announces a write once it has ended, whatever its outcome (a failed commit may still have
    /// reached the store), before its caller gets the result it hands on.
    pub fn after<T>(
        &self,
        kind: ChangeKind,
        scope: &Scope,
        id: &str,
        result: crate::Result<T>,
    ) -> crate::Result<T> {
        self.publish(kind, scope, id);
        result
    }

    /// Announces that anything may have changed.
    pub fn publish_everything(&self) {
        self.hand_out(Event::Everything);
    }

    fn hand_out(&self, event: Event<'_>) {
        // The epoch moves before any subscriber drops anything, so a read that raced this event
        // sees a different epoch when it comes to store its answer, whichever happens first.
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let subscribers = self
            .subscribers
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        for s in subscribers.iter() {
            s.notify(event);
        }
    }
}

/// The feed of a store that announces nothing: never current, so no cache answers from it.
pub(crate) fn never_current() -> &'static Arc<ChangeFeed> {
    static NEVER: std::sync::LazyLock<Arc<ChangeFeed>> =
        std::sync::LazyLock::new(ChangeFeed::confirmed);
    &NEVER
}

/// How long after a confirmed round trip of the listening connection a PostgreSQL node's caches
/// keep answering: the bound on how stale an answer from another node's write can be, less the
/// time a notification takes to arrive.
pub(crate) const CONFIRMED_FOR: Duration = Duration::from_millis(600);

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Seen(Mutex<Vec<String>>);

    impl Subscriber for Seen {
        fn notify(&self, event: Event<'_>) {
            let line = match event {
                Event::Changed(c) => format!("{} {}", c.kind.name(), c.id),
                Event::Everything => "everything".into(),
            };
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line);
        }
    }

    fn scope() -> Scope {
        Scope {
            account: certgate_core::AccountId::parse("123456789012").expect("account"),
            region: certgate_core::Region::parse("us-east-1").expect("region"),
        }
    }

    #[test]
    fn every_event_reaches_every_subscriber_and_moves_the_epoch() {
        let feed = ChangeFeed::always_current();
        let seen = Arc::new(Seen(Mutex::new(Vec::new())));
        feed.subscribe(seen.clone());
        assert_eq!(feed.epoch(), 0);
        feed.publish(ChangeKind::ClientCertificate, &scope(), "abc123");
        feed.publish_everything();
        assert_eq!(feed.epoch(), 2);
        assert_eq!(
            *seen.0.lock().expect("seen"),
            vec!["client-certificate abc123", "everything"]
        );
        assert!(feed.is_current());
    }

    #[test]
    fn a_confirmed_feed_is_current_only_until_its_deadline() {
        let feed = ChangeFeed::confirmed();
        assert!(!feed.is_current());
        feed.confirm_until(Instant::now() + Duration::from_secs(60));
        assert!(feed.is_current());
        feed.distrust();
        assert!(!feed.is_current());
        feed.confirm_until(Instant::now());
        assert!(!feed.is_current());
    }

    #[test]
    fn kinds_parse_back_from_their_names() {
        for kind in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(kind.name()), Some(*kind));
        }
        assert_eq!(ChangeKind::parse("deployment"), None);
    }
}
