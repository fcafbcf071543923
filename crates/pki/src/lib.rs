//! Keys and certificates. A client certificate of API Gateway is a self-signed X.509 v3 certificate
//! over a fresh RSA-2048 key, signed with sha256WithRSAEncryption, subject and issuer
//! `C=US, L=Seattle, CN=ApiGateway`, valid from its creation for 365 days, with no extensions.
//!
//! Key generation is the expensive step (tens of milliseconds, with a long tail), so it is separate
//! from issuing: callers run it on worker threads and may generate keys ahead of demand.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair as _, RsaKeyPair, RSA_PKCS1_SHA256};
use certgate_core::SecretBytes;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, IsCa, PublicKeyData, SerialNumber,
    SignatureAlgorithm, SigningKey, PKCS_RSA_SHA256,
};
use time::OffsetDateTime;

pub mod seal;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("RSA key generation failed")]
    KeyGeneration,
    #[error("a stored private key could not be read: {0}")]
    BadKey(String),
    #[error("certificate validity is out of range: {0}")]
    Validity(String),
    #[error("certificate signing failed: {0}")]
    Signing(String),
}

/// A freshly generated RSA-2048 key. `Debug` never shows it; the PKCS#8 bytes are zeroized on drop
/// (and aws-lc clears the key's own numbers when it frees them).
pub struct PrivateKey {
    pair: RsaKeyPair,
    pkcs8: SecretBytes,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(RSA-2048, redacted)")
    }
}

impl PrivateKey {
    /// Generates a new RSA-2048 key. This blocks for tens of milliseconds: call it off the async
    /// runtime's threads.
    pub fn generate() -> Result<Self, PkiError> {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| PkiError::KeyGeneration)?;
        let pkcs8 = pair.as_der().map_err(|_| PkiError::KeyGeneration)?;
        let pkcs8 = SecretBytes::new(pkcs8.as_ref().to_vec());
        Ok(PrivateKey { pair, pkcs8 })
    }

    /// Reads a key back from its PKCS#8 DER form, as the store keeps it.
    pub fn from_pkcs8(pkcs8: SecretBytes) -> Result<Self, PkiError> {
        let pair =
            RsaKeyPair::from_pkcs8(pkcs8.expose()).map_err(|e| PkiError::BadKey(e.to_string()))?;
        Ok(PrivateKey { pair, pkcs8 })
    }

    /// The key in PKCS#8 DER, the form in which it is stored.
    pub fn pkcs8(&self) -> &SecretBytes {
        &self.pkcs8
    }

    /// The public half as an RSAPublicKey (PKCS#1) DER.
    pub fn public_key_der(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }
}

impl PublicKeyData for PrivateKey {
    fn der_bytes(&self) -> &[u8] {
        self.public_key_der()
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_RSA_SHA256
    }
}

impl SigningKey for PrivateKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), msg, &mut signature)
            .map_err(|_| rcgen::Error::RemoteKeyError)?;
        Ok(signature)
    }
}

/// What varies from one client certificate to the next besides its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Positive, at most 64 bits.
    pub serial: u64,
    /// Epoch seconds: the certificate's createdDate.
    pub not_before: i64,
    /// Epoch seconds: the certificate's expirationDate.
    pub not_after: i64,
}

/// The subject and issuer of every API Gateway client certificate, in AWS's order.
fn api_gateway_name() -> DistinguishedName {
    let mut name = DistinguishedName::new();
    for (ty, value) in [
        (DnType::CountryName, "US"),
        (DnType::LocalityName, "Seattle"),
        (DnType::CommonName, "ApiGateway"),
    ] {
        match rcgen::string::PrintableString::try_from(value) {
            Ok(p) => name.push(ty, DnValue::PrintableString(p)),
            // All three are printable ASCII constants, so this arm is unreachable in practice; it
            // still yields a valid name rather than a panic.
            Err(_) => name.push(ty, value),
        }
    }
    name
}

fn datetime(epoch_seconds: i64) -> Result<OffsetDateTime, PkiError> {
    OffsetDateTime::from_unix_timestamp(epoch_seconds)
        .map_err(|e| PkiError::Validity(e.to_string()))
}

/// Issues the self-signed client certificate for `key` and returns it PEM-encoded.
pub fn issue(key: &PrivateKey, profile: &Profile) -> Result<String, PkiError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = api_gateway_name();
    params.is_ca = IsCa::NoCa;
    params.serial_number = Some(SerialNumber::from(profile.serial.to_be_bytes().to_vec()));
    params.not_before = datetime(profile.not_before)?;
    params.not_after = datetime(profile.not_after)?;
    // No SANs, key usages or key identifiers: with none requested rcgen writes no extensions at all,
    // which is what AWS's certificates look like.
    params.use_authority_key_identifier_extension = false;
    let cert = params
        .self_signed(key)
        .map_err(|e| PkiError::Signing(e.to_string()))?;
    Ok(cert.pem())
}

/// Generates and drops one key, so that the first real request does not pay the one-time cost of
/// initialising the crypto library.
pub fn warm_up() {
    let _ = PrivateKey::generate();
}

#[cfg(test)]
mod tests;
