//! Throttling: a token bucket per account, as AWS applies to its control plane (10 requests per
//! second with a burst of 40 for API Gateway). Buckets live in this process only, so a cluster of N
//! nodes behind a load balancer admits up to N times the configured rate.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use certgate_core::AccountId;

/// Above this many buckets, full (idle) ones are dropped: a full bucket is what a new one would
/// be, so forgetting it changes nothing.
const PRUNE_ABOVE: usize = 10_000;
/// The most buckets kept, whatever the traffic: past it the buckets closest to full (the ones a
/// fresh bucket differs from least) are forgotten down to half of it, so memory is bounded even
/// when more accounts than this are busy at once.
const MAX_BUCKETS: usize = 100_000;
/// How often, at most, a pass runs only because time has passed.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Tokens added per second.
    pub rate: f64,
    /// The bucket's size: how many requests may come at once after a quiet spell.
    pub burst: u32,
}

impl Limit {
    /// AWS's control-plane limit of API Gateway.
    pub const AWS: Limit = Limit {
        rate: 10.0,
        burst: 40,
    };

    /// Parses `--throttle`: `off`, `aws`, or `RATE,BURST` (e.g. `5,20`). `None` means off.
    pub fn parse(text: &str) -> Result<Option<Limit>, String> {
        match text {
            "off" => return Ok(None),
            "aws" => return Ok(Some(Limit::AWS)),
            _ => {}
        }
        let bad = || {
            format!("--throttle must be 'off', 'aws' or 'RATE,BURST' (like 10,40), not '{text}'")
        };
        let (rate, burst) = text.split_once(',').ok_or_else(bad)?;
        let rate: f64 = rate.trim().parse().map_err(|_| bad())?;
        let burst: u32 = burst.trim().parse().map_err(|_| bad())?;
        if !(rate.is_finite() && rate > 0.0) || burst == 0 {
            return Err(bad());
        }
        Ok(Some(Limit { rate, burst }))
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Debug)]
struct Buckets {
    map: HashMap<AccountId, Bucket>,
    /// The size at which the next pruning pass runs: twice what the last one left (at least
    /// `PRUNE_ABOVE`), so that a map of busy buckets that pruning cannot shrink is not scanned on
    /// every request, and the passes cost O(1) per request over time.
    prune_at: usize,
    /// When the last pass ran: past `PRUNE_ABOVE` buckets a pass also runs once a second, so idle
    /// buckets are forgotten as time passes, not only as the map grows.
    last_pass: Option<Instant>,
    /// Pruning passes so far, for the tests that hold their number down.
    passes: usize,
}

/// Per-account token buckets.
#[derive(Debug)]
pub struct Throttle {
    limit: Limit,
    buckets: Mutex<Buckets>,
}

impl Throttle {
    pub fn new(limit: Limit) -> Self {
        Throttle {
            limit,
            buckets: Mutex::new(Buckets {
                map: HashMap::new(),
                prune_at: PRUNE_ABOVE,
                last_pass: None,
                passes: 0,
            }),
        }
    }

    /// Tokens a bucket would hold at `now`.
    fn projected(&self, bucket: &Bucket, now: Instant) -> f64 {
        bucket.tokens
            + now.saturating_duration_since(bucket.updated).as_secs_f64() * self.limit.rate
    }

    /// Drops the full buckets, then, above `MAX_BUCKETS`, the fullest down to half of it.
    fn prune(&self, buckets: &mut Buckets, now: Instant) {
        let burst = f64::from(self.limit.burst);
        buckets.passes += 1;
        buckets.last_pass = Some(now);
        buckets.map.retain(|_, b| self.projected(b, now) < burst);
        if buckets.map.len() > MAX_BUCKETS {
            let mut fill: Vec<(f64, AccountId)> = buckets
                .map
                .iter()
                .map(|(account, b)| (self.projected(b, now), account.clone()))
                .collect();
            fill.sort_by(|a, b| b.0.total_cmp(&a.0));
            let excess = buckets.map.len() - MAX_BUCKETS / 2;
            for (_, account) in fill.into_iter().take(excess) {
                buckets.map.remove(&account);
            }
        }
        buckets.prune_at = (buckets.map.len() * 2).clamp(PRUNE_ABOVE, MAX_BUCKETS);
    }

    #[cfg(test)]
    fn stats(&self) -> (usize, usize) {
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        (buckets.map.len(), buckets.passes)
    }

    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// Takes one token from the account's bucket at time `now`, or says in how many whole seconds
    /// (at least 1) the next token will be there.
    pub fn admit(&self, account: &AccountId, now: Instant) -> Result<(), u32> {
        let Limit { rate, burst } = self.limit;
        let burst = f64::from(burst);
        // A poisoned lock only means another request panicked while holding it; the map itself is
        // always consistent, so keep using it.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let grown = buckets.map.len() >= buckets.prune_at && !buckets.map.contains_key(account);
        let due = buckets.map.len() > PRUNE_ABOVE
            && buckets
                .last_pass
                .is_none_or(|at| now.saturating_duration_since(at) >= PRUNE_EVERY);
        if grown || due {
            self.prune(&mut buckets, now);
        }
        let bucket = buckets.map.entry(account.clone()).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.updated = bucket.updated.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / rate;
            Err((wait.ceil() as u32).max(1))
        }
    }
}

#[cfg(test)]
mod tests;
