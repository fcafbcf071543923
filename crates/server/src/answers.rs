//! Encoded answers of the certificate reads, kept in memory: the body of a GetClientCertificate
//! by (account, region, id) and of a GetClientCertificates page by (account, region, position,
//! limit). A hit skips the store, the shaping and the JSON encoding, which are most of what a read
//! costs beyond the HTTP stack; authentication, throttling, authorization and the log line still
//! run for every request, and the answer still gets its own request id.
//!
//! Coherence comes from the store's change feed ([`certgate_store::ChangeFeed`]): every write of
//! a certificate, on this node or (on PostgreSQL) any other, drops its Get and every page of its
//! scope, and an answer is served only while the feed is current. An answer read from the store is
//! kept only if no event was handed out since before the read began (the feed's epoch), so a read
//! that raced a write never stores what the write replaced.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;
use certgate_api::Operation;
use certgate_core::Scope;
use certgate_store::{ChangeFeed, ChangeKind, Event, Subscriber};

/// The most bytes of answers kept; past it everything is dropped and the cache fills again. A page
/// of 500 certificates is about 600 KB, a Get about 1.3 KB.
const MAX_BYTES: usize = 32 * 1024 * 1024;

/// Which read an answer is of, within its scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Get(String),
    /// The request's own `position` and `limit`, as given: an answer is kept only after the
    /// position decoded for this scope, so a hit implies it is valid here.
    Page(Option<String>, Option<i32>),
}

impl Key {
    /// The key of an operation whose answer may be kept, if it is one.
    pub(crate) fn of(op: &Operation) -> Option<Key> {
        match op {
            Operation::GetClientCertificate(input) => {
                Some(Key::Get(input.client_certificate_id.clone()))
            }
            Operation::GetClientCertificates(input) => {
                Some(Key::Page(input.position.clone(), input.limit))
            }
            _ => None,
        }
    }
}

/// A kept answer: its status and body.
pub(crate) type Kept = (u16, Bytes);

#[derive(Default)]
struct ScopeAnswers {
    gets: HashMap<String, Kept>,
    pages: HashMap<(Option<String>, Option<i32>), Kept>,
}

#[derive(Default)]
struct Held {
    scopes: HashMap<Scope, ScopeAnswers>,
    bytes: usize,
}

impl Held {
    fn forget(&mut self, scope: &Scope, id: &str) {
        let Some(answers) = self.scopes.get_mut(scope) else {
            return;
        };
        let mut freed = answers.gets.remove(id).map_or(0, |b| b.1.len());
        // Any page of the scope may hold the certificate, or would now.
        freed += answers.pages.drain().map(|(_, b)| b.1.len()).sum::<usize>();
        self.bytes -= freed;
        if answers.gets.is_empty() {
            self.scopes.remove(scope);
        }
    }
}

pub struct Answers {
    feed: Arc<ChangeFeed>,
    held: RwLock<Held>,
}

impl Answers {
    /// A cache over the answers of the store whose feed is `feed`, subscribed to it.
    pub fn new(feed: Arc<ChangeFeed>) -> Arc<Answers> {
        let answers = Arc::new(Answers {
            feed: feed.clone(),
            held: RwLock::new(Held::default()),
        });
        feed.subscribe(answers.clone());
        answers
    }

    /// The feed's epoch now: remember it before reading the store, hand it to [`Answers::keep`].
    pub(crate) fn epoch(&self) -> u64 {
        self.feed.epoch()
    }

    /// The kept answer of `key` in `scope`, if there is one and the feed is current.
    pub(crate) fn get(&self, scope: &Scope, key: &Key) -> Option<Kept> {
        if !self.feed.is_current() {
            return None;
        }
        let held = self.held.read().unwrap_or_else(PoisonError::into_inner);
        let answers = held.scopes.get(scope)?;
        match key {
            Key::Get(id) => answers.gets.get(id).cloned(),
            Key::Page(position, limit) => answers.pages.get(&(position.clone(), *limit)).cloned(),
        }
    }

    /// Keeps `kept` as the answer of `key` in `scope`, read from the store after the feed was at
    /// `epoch`; nothing is kept if an event came in between (it may predate a write).
    pub(crate) fn keep(&self, scope: &Scope, key: Key, epoch: u64, kept: Kept) {
        let mut held = self.held.write().unwrap_or_else(PoisonError::into_inner);
        // Under the lock: an event moves the epoch before it takes this lock to drop anything, so
        // either it is seen here or it drops what is kept now.
        let size = kept.1.len();
        if self.feed.epoch() != epoch || !self.feed.is_current() || size > MAX_BYTES / 4 {
            return;
        }
        if held.bytes + size > MAX_BYTES {
            *held = Held::default();
        }
        held.bytes += size;
        let answers = held.scopes.entry(scope.clone()).or_default();
        let old = match key {
            Key::Get(id) => answers.gets.insert(id, kept),
            Key::Page(position, limit) => answers.pages.insert((position, limit), kept),
        };
        held.bytes -= old.map_or(0, |b| b.1.len());
    }
}

impl Subscriber for Answers {
    fn notify(&self, event: Event<'_>) {
        let mut held = self.held.write().unwrap_or_else(PoisonError::into_inner);
        match event {
            Event::Changed(change) if change.kind == ChangeKind::ClientCertificate => {
                held.forget(&change.scope, &change.id);
            }
            // A change of another kind cannot alter a certificate's answer.
            Event::Changed(_) => {}
            Event::Everything => *held = Held::default(),
        }
    }
}

#[cfg(test)]
mod tests;
