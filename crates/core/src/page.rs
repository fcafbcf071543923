//! Pagination of GetClientCertificates: a page size rule and an opaque `position` token.
//!
//! Pages are keyset pages ordered by certificate id: a token names the last id of the page before,
//! so the cost of a page never depends on how many certificates come before it. The token also names
//! the region it was issued for, so that one region's token is refused in another.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::Error;
use crate::model::{CertificateId, Region};

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

const VERSION: &str = "1";

/// The `position` token that continues after `last`.
pub fn encode_position(region: &Region, last: &CertificateId) -> String {
    URL_SAFE_NO_PAD.encode(format!("{VERSION}|{region}|{last}"))
}

/// The id a `position` token continues after, if the token was issued by certgate for this region.
pub fn decode_position(region: &Region, token: &str) -> Result<CertificateId, Error> {
    let invalid = || {
        Error::bad_request(
            "Invalid position specified: the pagination token is malformed or expired",
        )
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .map_err(|_| invalid())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
    let mut parts = text.split('|');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(VERSION), Some(r), Some(id), None) if r == region.as_str() => {
            CertificateId::parse(id).ok_or_else(invalid)
        }
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests;
