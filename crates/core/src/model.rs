//! The identifiers and records of the API. Constructors validate, so a value of these types is
//! always well-formed and the store and wire layers never re-check.

use std::fmt;

use crate::tags::Tags;

/// An AWS account id: exactly twelve ASCII digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// The account that every access key which is not itself an account id maps to, the convention
    /// users know from other emulators.
    pub const DEFAULT: &'static str = "000000000000";

    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())).then(|| AccountId(s.to_string()))
    }

    /// The account an access key id stands for: twelve digits name the account themselves, anything
    /// else is the default account.
    pub fn for_access_key(access_key_id: &str) -> Self {
        Self::parse(access_key_id).unwrap_or_else(|| AccountId(Self::DEFAULT.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An AWS region name such as `us-east-1`: lowercase letters, digits and dashes, 1 to 32 characters,
/// starting with a letter. The set of real regions is not enforced so that new ones keep working.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(String);

impl Region {
    pub const DEFAULT: &'static str = "us-east-1";

    pub fn parse(s: &str) -> Option<Self> {
        let ok = (1..=32).contains(&s.len())
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        ok.then(|| Region(s.to_string()))
    }

    pub fn default_region() -> Self {
        Region(Self::DEFAULT.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where state lives: every certificate belongs to exactly one account and region.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    pub account: AccountId,
    pub region: Region,
}

/// A client certificate id: six characters, lowercase ASCII letters and digits, as AWS issues them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CertificateId(String);

impl CertificateId {
    pub const LEN: usize = 6;
    pub const ALPHABET: &'static [u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == Self::LEN
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        .then(|| CertificateId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CertificateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A client certificate as the API shows it. The private key is not part of it: it is stored beside
/// the certificate and never travels with this record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    pub id: CertificateId,
    pub description: Option<String>,
    pub pem: String,
    /// Epoch seconds; the certificate's notBefore.
    pub created: i64,
    /// Epoch seconds; the certificate's notAfter, always `created + VALIDITY_SECONDS`.
    pub expires: i64,
    pub tags: Tags,
}

#[cfg(test)]
mod tests;
