//! Private keys at rest: AES-256-GCM under a master key, one fresh random nonce per key.
//!
//! An envelope is `version (1) | master-key fingerprint (8) | nonce (12) | ciphertext + tag`. The
//! fingerprint lets a re-encryption that was interrupted simply run again (rows already under the
//! new key are recognised and skipped) and lets a wrong master key be named instead of producing
//! garbage. The version byte and the fingerprint are authenticated together with the caller's
//! associated data (the certificate it belongs to), so an envelope cannot be moved to another row.

use std::fmt;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::{hmac, rand};
use certgate_core::{CertificateId, Scope, SecretBytes};
use zeroize::Zeroizing;

/// The first byte of every envelope. A clear PKCS#8 key starts with 0x30 (a DER SEQUENCE), so the
/// two can never be confused.
pub const ENVELOPE_V1: u8 = 0x01;

/// The length of a master key: 256 bits.
pub const MASTER_KEY_LEN: usize = 32;

const FINGERPRINT_LEN: usize = 8;
const HEADER_LEN: usize = 1 + FINGERPRINT_LEN + NONCE_LEN;

/// A short public name of a master key: the first 8 bytes of HMAC-SHA256(key, a fixed label).
/// It tells keys apart without revealing anything usable about them.
pub type Fingerprint = [u8; FINGERPRINT_LEN];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("a master key must be {MASTER_KEY_LEN} bytes, not {0}")]
    KeyLength(usize),
    #[error("the system random generator failed")]
    Random,
    #[error("encryption failed")]
    Seal,
    #[error("not a sealed key (unknown envelope version or too short)")]
    NotAnEnvelope,
    #[error("the key is sealed under another master key (fingerprint {0})")]
    OtherKey(String),
    #[error("the sealed key does not authenticate: it was altered or belongs to another row")]
    Tampered,
}

/// A 256-bit master key. `Debug` shows only its fingerprint; the bytes are zeroized on drop.
pub struct MasterKey {
    bytes: SecretBytes,
    fingerprint: Fingerprint,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MasterKey(fingerprint {}, redacted)",
            self.fingerprint_hex()
        )
    }
}

/// Lower-case hex of a fingerprint, for messages and logs.
pub fn fingerprint_hex(fp: &[u8]) -> String {
    fp.iter().map(|b| format!("{b:02x}")).collect()
}

impl MasterKey {
    pub fn from_bytes(bytes: SecretBytes) -> Result<Self, SealError> {
        if bytes.expose().len() != MASTER_KEY_LEN {
            return Err(SealError::KeyLength(bytes.expose().len()));
        }
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, bytes.expose()),
            b"certgate master key fingerprint v1",
        );
        let mut fingerprint = [0u8; FINGERPRINT_LEN];
        fingerprint.copy_from_slice(&tag.as_ref()[..FINGERPRINT_LEN]);
        Ok(MasterKey { bytes, fingerprint })
    }

    /// A new random key, read directly from the operating system's generator. Not from aws-lc's:
    /// the first draw from that one in a process seeds it from CPU jitter (about 35 ms of CPU
    /// time), and `serve` makes its master key before it is ready, so that cost would delay every
    /// start. The kernel's generator is the usual source of key material; aws-lc seeds from it too.
    pub fn generate() -> Result<Self, SealError> {
        let bytes = SecretBytes::from_os_random(MASTER_KEY_LEN).ok_or(SealError::Random)?;
        Self::from_bytes(bytes)
    }

    /// The key itself, for writing it to its file.
    pub fn bytes(&self) -> &SecretBytes {
        &self.bytes
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    pub fn fingerprint_hex(&self) -> String {
        fingerprint_hex(&self.fingerprint)
    }

    fn aead(&self) -> Result<LessSafeKey, SealError> {
        UnboundKey::new(&AES_256_GCM, self.bytes.expose())
            .map(LessSafeKey::new)
            .map_err(|_| SealError::Seal)
    }

    /// Encrypts `plaintext` with a fresh random nonce, binding it to `context`.
    pub fn seal(&self, plaintext: &SecretBytes, context: &[u8]) -> Result<SecretBytes, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.expose().len() + 16);
        out.push(ENVELOPE_V1);
        out.extend_from_slice(&self.fingerprint);
        out.extend_from_slice(&nonce);
        let mut body = Zeroizing::new(plaintext.expose().to_vec());
        let aad = associated_data(&out[..1 + FINGERPRINT_LEN], context);
        self.aead()?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut *body,
            )
            .map_err(|_| SealError::Seal)?;
        out.extend_from_slice(&body);
        Ok(SecretBytes::new(out))
    }

    /// Decrypts an envelope made by [`MasterKey::seal`] with this key and the same `context`.
    pub fn open(&self, envelope: &[u8], context: &[u8]) -> Result<SecretBytes, SealError> {
        let fp = envelope_fingerprint(envelope).ok_or(SealError::NotAnEnvelope)?;
        if fp != self.fingerprint {
            return Err(SealError::OtherKey(fingerprint_hex(&fp)));
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&envelope[1 + FINGERPRINT_LEN..HEADER_LEN]);
        let aad = associated_data(&envelope[..1 + FINGERPRINT_LEN], context);
        // Decryption happens in place, in memory that is zeroized when dropped, even on failure.
        let mut plain = Zeroizing::new(envelope[HEADER_LEN..].to_vec());
        let len = self
            .aead()?
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut plain,
            )
            .map_err(|_| SealError::Tampered)?
            .len();
        Ok(SecretBytes::new(plain[..len].to_vec()))
    }
}

/// The fingerprint of the master key an envelope was sealed under; `None` if the bytes are not an
/// envelope (for instance a key stored in the clear before encryption at rest).
pub fn envelope_fingerprint(bytes: &[u8]) -> Option<Fingerprint> {
    if bytes.len() < HEADER_LEN + 16 || bytes[0] != ENVELOPE_V1 {
        return None;
    }
    let mut fp = [0u8; FINGERPRINT_LEN];
    fp.copy_from_slice(&bytes[1..1 + FINGERPRINT_LEN]);
    Some(fp)
}

/// The store-wide setting that holds the fingerprint of the master key a store's private keys are
/// sealed with. It is defined beside the envelope so that everything that writes sealed rows
/// (certgate itself, and the benchmark's seeder) records the key under the same name.
pub const FINGERPRINT_SETTING: &str = "master-key.fingerprint";

/// What binds a sealed private key to its row: its scope and certificate id, given to
/// [`MasterKey::seal`] and [`MasterKey::open`] as `context`.
pub fn row_context(scope: &Scope, id: &CertificateId) -> Vec<u8> {
    format!(
        "certgate private key/{}/{}/{}",
        scope.account,
        scope.region,
        id.as_str()
    )
    .into_bytes()
}

fn associated_data(header: &[u8], context: &[u8]) -> Vec<u8> {
    [header, context].concat()
}

#[cfg(test)]
mod tests;
