//! Secret bytes (private keys): they never print and are wiped from memory when dropped.

use std::fmt;

use zeroize::Zeroizing;

/// Bytes that must not leak: `Debug` shows only their length and the memory is zeroized on drop.
/// There is deliberately no `Display` and no `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(Zeroizing::new(bytes))
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
