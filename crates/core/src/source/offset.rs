//! A clock shifted from another by an adjustable number of seconds, so that a user can watch their
//! rotation automation meet an expiring and then an expired certificate without waiting a year.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use super::Clock;

/// `inner.now() + offset`. The offset can be moved while the clock is shared (an admin endpoint of
/// a running test server does that); readers see the new offset on their next call.
pub struct OffsetClock {
    inner: Arc<dyn Clock>,
    offset: AtomicI64,
}

impl OffsetClock {
    pub fn new(inner: Arc<dyn Clock>, offset_seconds: i64) -> Self {
        OffsetClock {
            inner,
            offset: AtomicI64::new(offset_seconds),
        }
    }

    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::SeqCst)
    }

    pub fn set_offset(&self, offset_seconds: i64) {
        self.offset.store(offset_seconds, Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> i64 {
        self.inner.now().saturating_add(self.offset())
    }
}

impl std::fmt::Debug for OffsetClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OffsetClock")
            .field("offset", &self.offset())
            .finish_non_exhaustive()
    }
}
