//! Pagination of GetClientCertificates: a page size rule and an opaque `position` token.
//!
//! Pages are keyset pages ordered by certificate id: a token names the last id of the page before,
//! so the cost of a page never depends on how many certificates come before it. The token carries an
//! HMAC over the id, the account and the region it was issued for, so a token cannot be forged or
//! altered, and one account's or region's token is refused in another.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::error::Error;
use crate::model::{CertificateId, Scope};
use crate::secret::SecretBytes;

pub const DEFAULT_LIMIT: u32 = 25;
pub const MAX_LIMIT: u32 = 500;

/// The page size a `limit` query parameter asks for.
pub fn parse_limit(raw: Option<&str>) -> Result<u32, Error> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    match raw.parse::<i64>() {
        Ok(n) if (1..=MAX_LIMIT as i64).contains(&n) => Ok(n as u32),
        Ok(_) => Err(Error::bad_request(format!(
            "1 validation error detected: Value '{raw}' at 'limit' failed to satisfy constraint: Member must have value between 1 and {MAX_LIMIT}"
        ))),
        Err(_) => Err(Error::bad_request(format!(
            "Invalid value '{raw}' for parameter limit: must be an integer"
        ))),
    }
}

/// The first byte of every token; a format change bumps it so that old tokens are refused cleanly.
const VERSION: u8 = b'2';
/// Bytes of HMAC-SHA256 kept in a token: 128 bits cannot be guessed, and tokens stay short.
const TAG_BYTES: usize = 16;
/// Nothing longer can be a token of ours; refusing it early keeps a huge query from costing work.
const MAX_TOKEN_CHARS: usize = 128;
/// Bytes of a freshly generated key.
pub const KEY_BYTES: usize = 32;
/// The store-wide setting that holds the key, shared by every node of one store.
pub const KEY_SETTING: &str = "pagination-key";

/// The key that signs `position` tokens. Every node serving one store must use the same key, so it
/// is kept as a store-wide setting and never printed.
#[derive(Clone)]
pub struct PageKey(Hmac<Sha256>);

impl fmt::Debug for PageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PageKey([redacted])")
    }
}

impl PageKey {
    /// A key from stored bytes; a short key would make tokens guessable and is refused.
    pub fn new(bytes: &SecretBytes) -> Result<Self, Error> {
        if bytes.expose().len() < 16 {
            return Err(Error::internal(
                "the pagination key is shorter than 16 bytes",
            ));
        }
        let mac = Hmac::<Sha256>::new_from_slice(bytes.expose())
            .map_err(|e| Error::internal(e.to_string()))?;
        Ok(PageKey(mac))
    }

    /// Fresh random bytes for a new key.
    pub fn generate_bytes() -> SecretBytes {
        let mut bytes = vec![0u8; KEY_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        SecretBytes::new(bytes)
    }

    /// The MAC binds the id to the account and region the token was issued to, so a token is
    /// worthless anywhere else even though only the id travels in it.
    fn mac(&self, scope: &Scope, id: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(b"certgate-position\0");
        mac.update(&[VERSION]);
        mac.update(scope.account.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(scope.region.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(id);
        mac
    }
}

/// The `position` token that continues after `last`, valid only for `scope`.
pub fn encode_position(key: &PageKey, scope: &Scope, last: &CertificateId) -> String {
    let id = last.as_str().as_bytes();
    let tag = key.mac(scope, id).finalize().into_bytes();
    let mut raw = Vec::with_capacity(1 + id.len() + TAG_BYTES);
    raw.push(VERSION);
    raw.extend_from_slice(id);
    raw.extend_from_slice(&tag[..TAG_BYTES]);
    URL_SAFE_NO_PAD.encode(raw)
}

/// The id a `position` token continues after, if certgate issued the token with this key for this
/// very account and region. Anything else (forged, truncated, altered, another scope's) is a 400.
pub fn decode_position(key: &PageKey, scope: &Scope, token: &str) -> Result<CertificateId, Error> {
    let invalid = || {
        Error::bad_request(
            "Invalid position specified: the pagination token is malformed or expired",
        )
    };
    if token.len() > MAX_TOKEN_CHARS {
        return Err(invalid());
    }
    let raw = URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .map_err(|_| invalid())?;
    if raw.len() < 1 + TAG_BYTES || raw[0] != VERSION {
        return Err(invalid());
    }
    let (body, tag) = raw.split_at(raw.len() - TAG_BYTES);
    let id = &body[1..];
    // verify_truncated_left compares in constant time, so timing tells nothing about the tag.
    key.mac(scope, id)
        .verify_truncated_left(tag)
        .map_err(|_| invalid())?;
    let id = std::str::from_utf8(id).map_err(|_| invalid())?;
    CertificateId::parse(id).ok_or_else(invalid)
}

/// The `position` token that continues after `last` in the list named by `context` (such as the
/// resources of one REST API), valid only for `scope` and that list.
pub fn encode_position_in(key: &PageKey, scope: &Scope, context: &str, last: &str) -> String {
    let tag = key
        .mac(scope, format!("{context}\0{last}").as_bytes())
        .finalize()
        .into_bytes();
    let mut raw = Vec::with_capacity(1 + last.len() + TAG_BYTES);
    raw.push(VERSION);
    raw.extend_from_slice(last.as_bytes());
    raw.extend_from_slice(&tag[..TAG_BYTES]);
    URL_SAFE_NO_PAD.encode(raw)
}

/// The key a token of [`encode_position_in`] continues after, if it was issued for this scope
/// and list; anything else is a 400, as for certificates.
pub fn decode_position_in(
    key: &PageKey,
    scope: &Scope,
    context: &str,
    token: &str,
) -> Result<String, Error> {
    let invalid = || {
        Error::bad_request(
            "Invalid position specified: the pagination token is malformed or expired",
        )
    };
    if token.len() > MAX_TOKEN_CHARS {
        return Err(invalid());
    }
    let raw = URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .map_err(|_| invalid())?;
    if raw.len() < 1 + TAG_BYTES || raw[0] != VERSION {
        return Err(invalid());
    }
    let (body, tag) = raw.split_at(raw.len() - TAG_BYTES);
    let last = std::str::from_utf8(&body[1..]).map_err(|_| invalid())?;
    key.mac(scope, format!("{context}\0{last}").as_bytes())
        .verify_truncated_left(tag)
        .map_err(|_| invalid())?;
    Ok(last.to_string())
}

#[cfg(test)]
mod tests;
