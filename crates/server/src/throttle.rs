//! Throttling: a token bucket per account, as AWS applies to its control plane (10 requests per
//! second with a burst of 40 for API Gateway). Buckets live in this process only, so a cluster of N
//! nodes behind a load balancer admits up to N times the configured rate.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use certgate_core::AccountId;

/// Above this many buckets, full (idle) ones are dropped: a full bucket is what a new one would
/// be, so forgetting it changes nothing, and the map cannot grow without bound.
const PRUNE_ABOVE: usize = 10_000;

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

/// Per-account token buckets.
#[derive(Debug)]
pub struct Throttle {
    limit: Limit,
    buckets: Mutex<HashMap<AccountId, Bucket>>,
}

impl Throttle {
    pub fn new(limit: Limit) -> Self {
        Throttle {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
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
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * rate < burst
            });
        }
        let bucket = buckets.entry(account.clone()).or_insert(Bucket {
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
