//! Where time and randomness come from. The service takes these as trait objects so that tests can
//! fix the clock and the ids and still run the real code paths.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;

use crate::model::CertificateId;

mod offset;
pub use offset::OffsetClock;

pub trait Clock: Send + Sync + 'static {
    /// Now, in whole seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            // A clock set before 1970 is a broken machine; negative seconds keep ordering sane.
            Err(e) => -(e.duration().as_secs() as i64),
        }
    }
}

/// A clock that stands still until told to move, for tests.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(now: i64) -> Self {
        ManualClock(AtomicI64::new(now))
    }

    pub fn set(&self, now: i64) {
        self.0.store(now, Ordering::SeqCst);
    }

    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

pub trait IdSource: Send + Sync + 'static {
    /// A candidate certificate id; the store refuses one that is taken and the service asks again.
    fn certificate_id(&self) -> CertificateId;
    /// A candidate id of `len` lowercase letters and digits, for REST APIs, resources and
    /// deployments; the store refuses one that is taken and the service asks again.
    fn short_id(&self, len: usize) -> String;
    /// A certificate serial number: positive, at most 64 bits.
    fn serial(&self) -> u64;
    /// A request id in the UUID form AWS uses for `x-amzn-RequestId`.
    fn request_id(&self) -> String;
}

/// Ids from the thread-local CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn certificate_id(&self) -> CertificateId {
        let mut rng = rand::rng();
        let s: String = (0..CertificateId::LEN)
            .map(|_| {
                CertificateId::ALPHABET[rng.random_range(0..CertificateId::ALPHABET.len())] as char
            })
            .collect();
        // The alphabet and length are exactly what `parse` accepts, so this cannot fail; the fallback
        // keeps the function total without a panic path.
        CertificateId::parse(&s).unwrap_or_else(|| self.certificate_id())
    }

    fn short_id(&self, len: usize) -> String {
        let mut rng = rand::rng();
        (0..len)
            .map(|_| {
                CertificateId::ALPHABET[rng.random_range(0..CertificateId::ALPHABET.len())] as char
            })
            .collect()
    }

    fn serial(&self) -> u64 {
        // Zero is not a valid serial; redraw in the (one in 2^64) case that it comes up.
        loop {
            let s: u64 = rand::rng().random();
            if s != 0 {
                return s;
            }
        }
    }

    fn request_id(&self) -> String {
        let b: [u8; 16] = rand::rng().random();
        uuid_v4(b)
    }
}

/// Formats 16 random bytes as a version-4 UUID.
pub fn uuid_v4(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    // Written into one string: this runs for every request.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(HEX[usize::from(x >> 4)] as char);
        s.push(HEX[usize::from(x & 0x0f)] as char);
    }
    s
}

#[cfg(test)]
mod tests;
