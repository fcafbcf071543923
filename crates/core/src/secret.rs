//! Secret bytes (private keys): they never print and are wiped from memory when dropped.

use std::fmt;

use rand::TryRngCore;
use zeroize::Zeroizing;

/// Bytes that must not leak: `Debug` shows only their length and the memory is zeroized on drop.
/// There is deliberately no `Display` and no `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(Zeroizing::new(bytes))
    }

    /// `len` bytes read straight from the operating system's generator (getrandom(2) on Linux), or
    /// None if it fails. This is the source for long-lived secrets made before the server is ready
    /// (the master key): it costs one system call, where the first use of aws-lc's generator in a
    /// process first seeds it from CPU jitter, tens of milliseconds of CPU time.
    pub fn from_os_random(len: usize) -> Option<Self> {
        let mut bytes = Zeroizing::new(vec![0u8; len]);
        rand::rngs::OsRng.try_fill_bytes(&mut bytes).ok()?;
        Some(SecretBytes(bytes))
    }

    /// The secret itself, for the few places (store, signing) that must hold it.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes([redacted; {} bytes])", self.0.len())
    }
}

#[cfg(test)]
mod tests;
