//! The resolved stages: for each (API, stage) that was invoked, its compiled deployment snapshot,
//! its variables and the client identity it presents, ready for the next request without a store
//! read. The store's change feed keeps them coherent: a write to the stage, its API or its
//! certificate, on this node or (through PostgreSQL's notifications) any other, drops the entry
//! before the writer is answered here, or within the feed's delivery time elsewhere.
//!
//! An entry is trusted for as long as the feed is current (see `ChangeFeed::is_current`). When it
//! is not (PostgreSQL's listening connection has not proved itself lately), or when a change
//! raced the read that made the entry, the entry is used for `UNCONFIRMED_TTL` only: that bounds
//! how long an invoke can present a replaced certificate to well under a second.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use certgate_core::Scope;
use certgate_store::{ChangeFeed, ChangeKind, Event, Subscriber};

use crate::route::Router;
use crate::tls::Identity;
use crate::upstream::{Upstream, Upstreams};

/// How long an entry the feed cannot vouch for is used before the store is read again.
pub const UNCONFIRMED_TTL: Duration = Duration::from_millis(250);

/// How many stages are kept. Past it the cache starts afresh: invocations of unknown APIs are
/// cached too (as absent), and a client that invents ids must not grow memory without bound.
const MAX_ENTRIES: usize = 10_000;

/// A stage ready to be invoked.
pub struct Resolved {
    pub scope: Scope,
    pub api_id: String,
    pub stage: String,
    pub deployment_id: String,
    pub router: Router,
    pub variables: BTreeMap<String, String>,
    /// The identity the stage presents (`None` without a certificate), or why it could not be
    /// made ready (a key that does not unseal, say): the stage's backends then answer 500.
    pub identity: Result<Option<Arc<Identity>>, String>,
    /// The stage's clients, verifying backends' certificates and not (`insecureSkipVerification`),
    /// taken from the shared pool on first use and held for as long as this resolution lives.
    upstreams: [OnceLock<Arc<Upstream>>; 2],
}

impl Resolved {
    pub fn new(
        scope: Scope,
        api_id: String,
        stage: String,
        deployment_id: String,
        router: Router,
        variables: BTreeMap<String, String>,
        identity: Result<Option<Arc<Identity>>, String>,
    ) -> Resolved {
        Resolved {
            scope,
            api_id,
            stage,
            deployment_id,
            router,
            variables,
            identity,
            upstreams: [OnceLock::new(), OnceLock::new()],
        }
    }

    /// The client that presents this stage's identity, verifying the backend's chain or not.
    pub fn upstream(&self, pool: &Upstreams, insecure: bool) -> Result<&Arc<Upstream>, String> {
        let identity = self.identity.as_ref().map_err(Clone::clone)?;
        Ok(self.upstreams[usize::from(insecure)]
            .get_or_init(|| pool.client(identity.clone(), insecure)))
    }

    /// The certificate the stage presents, if any.
    pub fn certificate_id(&self) -> Option<&str> {
        match &self.identity {
            Ok(Some(identity)) => Some(identity.certificate_id()),
            _ => None,
        }
    }
}

/// One held stage of an API: the stage's name, the region the URL named (if it named one) and
/// what the store said.
struct Slot {
    stage: String,
    region: Option<String>,
    entry: Entry,
}

struct Entry {
    /// `None`: the store holds no such stage.
    resolved: Option<Arc<Resolved>>,
    fetched: Instant,
    /// No change was announced while the entry was read, so the feed vouches for it.
    confirmed: bool,
}

#[derive(Default)]
struct Held {
    /// By API id, then a short list of its stages: a lookup borrows the request's strings and
    /// allocates nothing.
    apis: HashMap<String, Vec<Slot>>,
    len: usize,
}

pub struct Stages {
    held: RwLock<Held>,
    feed: Arc<ChangeFeed>,
}

/// What a lookup found.
pub enum Lookup {
    Hit(Option<Arc<Resolved>>),
    /// Not held (or no longer trusted): read the store, remembering this epoch for `keep`.
    Miss(u64),
}

impl Stages {
    /// A cache that the feed keeps coherent.
    pub fn new(feed: Arc<ChangeFeed>) -> Arc<Stages> {
        let stages = Arc::new(Stages {
            held: RwLock::new(Held::default()),
            feed: feed.clone(),
        });
        feed.subscribe(stages.clone());
        stages
    }

    pub fn lookup(&self, api_id: &str, stage: &str, region: Option<&str>) -> Lookup {
        // Before the read, so that a change announced during it is noticed by `keep`.
        let epoch = self.feed.epoch();
        let held = self.held.read().unwrap_or_else(PoisonError::into_inner);
        let slot = held.apis.get(api_id).and_then(|slots| {
            slots
                .iter()
                .find(|s| s.stage == stage && s.region.as_deref() == region)
        });
        match slot {
            Some(Slot { entry, .. })
                if (entry.confirmed && self.feed.is_current())
                    || entry.fetched.elapsed() < UNCONFIRMED_TTL =>
            {
                Lookup::Hit(entry.resolved.clone())
            }
            _ => Lookup::Miss(epoch),
        }
    }

    /// Keeps what a read of the store found, read after `lookup` returned `Miss(epoch)`.
    pub fn keep(
        &self,
        api_id: &str,
        stage: &str,
        region: Option<&str>,
        epoch: u64,
        resolved: Option<Arc<Resolved>>,
    ) {
        let mut held = self.held.write().unwrap_or_else(PoisonError::into_inner);
        if held.len >= MAX_ENTRIES {
            *held = Held::default();
        }
        let entry = Entry {
            resolved,
            fetched: Instant::now(),
            confirmed: self.feed.epoch() == epoch,
        };
        let slots = held.apis.entry(api_id.to_string()).or_default();
        match slots
            .iter_mut()
            .find(|s| s.stage == stage && s.region.as_deref() == region)
        {
            Some(slot) => slot.entry = entry,
            None => {
                slots.push(Slot {
                    stage: stage.to_string(),
                    region: region.map(str::to_string),
                    entry,
                });
                held.len += 1;
            }
        }
    }

    /// The held stages that present a certificate, with its id and expiry, in no order.
    pub fn presenting(&self) -> Vec<(Arc<Resolved>, String, i64)> {
        let held = self.held.read().unwrap_or_else(PoisonError::into_inner);
        held.apis
            .values()
            .flatten()
            .filter_map(|slot| {
                let resolved = slot.entry.resolved.as_ref()?;
                let Ok(Some(identity)) = &resolved.identity else {
                    return None;
                };
                Some((
                    resolved.clone(),
                    identity.certificate_id().to_string(),
                    identity.expires(),
                ))
            })
            .collect()
    }

    /// How many stages are held, for tests and metrics.
    pub fn len(&self) -> usize {
        self.held.read().unwrap_or_else(PoisonError::into_inner).len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Held {
    /// Drops the slots `drop` picks, of one API or, with `None`, of every API.
    fn drop_where(&mut self, api_id: Option<&str>, drop: impl Fn(&Slot) -> bool) {
        let mut dropped = 0;
        let mut sweep = |slots: &mut Vec<Slot>| {
            let before = slots.len();
            slots.retain(|s| !drop(s));
            dropped += before - slots.len();
            !slots.is_empty()
        };
        match api_id {
            Some(api_id) => {
                if let Some(slots) = self.apis.get_mut(api_id) {
                    if !sweep(slots) {
                        self.apis.remove(api_id);
                    }
                }
            }
            None => self.apis.retain(|_, slots| sweep(slots)),
        }
        self.len -= dropped;
    }
}

impl Subscriber for Stages {
    fn notify(&self, event: Event<'_>) {
        let mut held = self.held.write().unwrap_or_else(PoisonError::into_inner);
        match event {
            Event::Everything => *held = Held::default(),
            Event::Changed(change) => match change.kind {
                // A stage's key is `api-id/stage-name`.
                ChangeKind::Stage => {
                    let (api, stage) = change.id.split_once('/').unwrap_or((&change.id, ""));
                    held.drop_where(Some(api), |s| s.stage == stage);
                }
                // An API's deletion takes its stages with it.
                ChangeKind::RestApi => held.drop_where(Some(&change.id), |_| true),
                // Certificates do not change once made, but a deleted one must not be presented.
                ChangeKind::ClientCertificate => held.drop_where(None, |s| {
                    s.entry.resolved.as_ref().is_some_and(|r| {
                        r.certificate_id() == Some(change.id.as_str()) && r.scope == change.scope
                    })
                }),
            },
        }
    }
}

#[cfg(test)]
mod tests;
