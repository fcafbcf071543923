//! Verification of AWS Signature Version 4, for the `Authorization` header and for presigned query
//! strings. Everything here is a pure function of the request as it arrived (method, raw path, raw
//! query, headers, body), the caller's secret and the server's clock, so it is tested against AWS's
//! published test vectors without a server.

mod canonical;

use aws_lc_rs::{constant_time, digest, hmac};
use certgate_core::SecretBytes;
use http::HeaderMap;

pub use canonical::{
    canonical_headers, canonical_query, canonical_request, canonical_uri, hex, uri_encode,
};

use crate::auth::{SigV4Credential, ALGORITHM};
use crate::error::AwsError;

/// The only service a credential may be scoped to.
pub const SERVICE: &str = "apigateway";

/// How far a signed request's time may be from the server's, either way (AWS's 15 minutes).
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// The longest a presigned URL may live (seven days, as in AWS).
pub const MAX_EXPIRES_SECONDS: i64 = 7 * 86_400;

/// The payload hash a client announces when it does not sign the body.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// A request as it arrived, with nothing decoded or normalised yet.
#[derive(Debug, Clone, Copy)]
pub struct RawRequest<'a> {
    pub method: &'a str,
    /// The path exactly as on the request line, still percent-encoded.
    pub path: &'a str,
    pub query: Option<&'a str>,
    /// The URI's authority, which stands in for `Host` on HTTP/2.
    pub authority: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Lower-case hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, bytes).as_ref())
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> hmac::Tag {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
}

/// The signing key of a day, region and service: the chain of HMACs that starts from
/// `"AWS4" + secret`.
pub fn signing_key(secret: &SecretBytes, date: &str, region: &str, service: &str) -> SecretBytes {
    let mut first = Vec::with_capacity(4 + secret.expose().len());
    first.extend_from_slice(b"AWS4");
    first.extend_from_slice(secret.expose());
    let first = SecretBytes::new(first);
    let k_date = hmac_sha256(first.expose(), date.as_bytes());
    let k_region = hmac_sha256(k_date.as_ref(), region.as_bytes());
    let k_service = hmac_sha256(k_region.as_ref(), service.as_bytes());
    let k_signing = hmac_sha256(k_service.as_ref(), b"aws4_request");
    SecretBytes::new(k_signing.as_ref().to_vec())
}

/// The string to sign: algorithm, request time, credential scope and the hash of the canonical
/// request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The hex signature of a string to sign under a signing key.
pub fn signature(signing_key: &SecretBytes, string_to_sign: &str) -> String {
    hex(hmac_sha256(signing_key.expose(), string_to_sign.as_bytes()).as_ref())
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm), valid for any year we meet.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01: the inverse of `days_from_civil`.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Parses SigV4's basic ISO 8601 time, `YYYYMMDDTHHMMSSZ`, into epoch seconds.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, mo, d) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (h, mi, se) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

/// Formats epoch seconds as `YYYYMMDDTHHMMSSZ`.
pub fn format_amz_date(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

fn incomplete(message: impl Into<String>) -> AwsError {
    AwsError::IncompleteSignature(message.into())
}

/// The value of a query parameter, decoded.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// When the request says it was signed, and for how long a presigned URL stays valid.
fn signed_time(
    req: &RawRequest<'_>,
    cred: &SigV4Credential,
) -> Result<(String, Option<i64>), AwsError> {
    if cred.presigned {
        let date = query_param(req.query, "X-Amz-Date")
            .ok_or_else(|| incomplete("Presigned request requires the 'X-Amz-Date' parameter."))?;
        let expires = query_param(req.query, "X-Amz-Expires").ok_or_else(|| {
            incomplete("Presigned request requires the 'X-Amz-Expires' parameter.")
        })?;
        let expires = expires
            .parse::<i64>()
            .ok()
            .filter(|e| (1..=MAX_EXPIRES_SECONDS).contains(e))
            .ok_or_else(|| {
                incomplete(format!(
                    "X-Amz-Expires must be a number of seconds from 1 to {MAX_EXPIRES_SECONDS}."
                ))
            })?;
        Ok((date, Some(expires)))
    } else if let Some(date) = req.headers.get("x-amz-date") {
        let date = date.to_str().map_err(|_| {
            incomplete("X-Amz-Date contains characters that are not visible ASCII.")
        })?;
        Ok((date.to_string(), None))
    } else {
        // Without X-Amz-Date, AWS takes the time from the HTTP Date header (RFC 7231) and signs it
        // in SigV4's basic ISO 8601 form.
        let date = req
            .headers
            .get(http::header::DATE)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
            })?;
        let when = httpdate::parse_http_date(date)
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .ok_or_else(|| {
                incomplete(format!("Date header must be an HTTP date, not '{date}'."))
            })?;
        Ok((format_amz_date(when.as_secs() as i64), None))
    }
}

/// Refuses a request signed too far from `now`: more than 15 minutes either way, or for a
/// presigned URL, after it expired.
fn check_time(signed: i64, amz_date: &str, expires: Option<i64>, now: i64) -> Result<(), AwsError> {
    let expired = |m: String| {
        Err(AwsError::InvalidSignature(format!(
            "Signature expired: {m}"
        )))
    };
    let now_text = format_amz_date(now);
    if signed > now + MAX_SKEW_SECONDS {
        return expired(format!(
            "{amz_date} is now later than {} ({now_text} + 15 min.)",
            format_amz_date(now + MAX_SKEW_SECONDS)
        ));
    }
    match expires {
        Some(expires) if now > signed + expires => expired(format!(
            "{amz_date} is now earlier than {} ({now_text} - {expires} sec.)",
            format_amz_date(now - expires)
        )),
        None if signed < now - MAX_SKEW_SECONDS => expired(format!(
            "{amz_date} is now earlier than {} ({now_text} - 15 min.)",
            format_amz_date(now - MAX_SKEW_SECONDS)
        )),
        _ => Ok(()),
    }
}

/// The payload hashes a signature may have been made over. A header-signed request names
/// `UNSIGNED-PAYLOAD` in `x-amz-content-sha256` when it skips the body; a presigned URL cannot
/// know its body, so either the body's hash or `UNSIGNED-PAYLOAD` is accepted there.
fn payload_hashes(req: &RawRequest<'_>, cred: &SigV4Credential) -> Vec<String> {
    let body = sha256_hex(req.body);
    let announced = req
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok());
    if announced == Some(UNSIGNED_PAYLOAD) {
        vec![UNSIGNED_PAYLOAD.to_string()]
    } else if cred.presigned {
        vec![body, UNSIGNED_PAYLOAD.to_string()]
    } else {
        vec![body]
    }
}

fn mismatch(canonical_request: &str, string_to_sign: &str) -> AwsError {
    AwsError::InvalidSignature(format!(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
    ))
}

/// Verifies the signature of `req` made with `secret`, at server time `now` (epoch seconds). The
/// credential's scope must name API Gateway and the day the request was signed; the signature is
/// compared in constant time.
pub fn verify(
    req: &RawRequest<'_>,
    cred: &SigV4Credential,
    secret: &SecretBytes,
    now: i64,
) -> Result<(), AwsError> {
    verify_for_service(req, cred, secret, now, SERVICE)
}

/// [`verify`] for a credential scoped to `service`; AWS's test vectors sign for `service`.
pub fn verify_for_service(
    req: &RawRequest<'_>,
    cred: &SigV4Credential,
    secret: &SecretBytes,
    now: i64,
    service: &str,
) -> Result<(), AwsError> {
    if !cred.signed_headers.iter().any(|h| h == "host") {
        return Err(incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    let (amz_date, expires) = signed_time(req, cred)?;
    let signed = parse_amz_date(&amz_date).ok_or_else(|| {
        incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        ))
    })?;
    if cred.service != service {
        return Err(AwsError::InvalidSignature(format!(
            "Credential should be scoped to correct service: '{service}'. "
        )));
    }
    if amz_date.get(..8) != Some(cred.date.as_str()) {
        return Err(AwsError::InvalidSignature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
            cred.date,
            amz_date.get(..8).unwrap_or("")
        )));
    }
    check_time(signed, &amz_date, expires, now)?;

    let uri = canonical_uri(req.path);
    let query = canonical_query(req.query);
    let headers = canonical_headers(req.headers, req.authority, &cred.signed_headers)?;
    let scope = format!(
        "{}/{}/{}/aws4_request",
        cred.date, cred.region, cred.service
    );
    let key = signing_key(secret, &cred.date, &cred.region, &cred.service);
    let mut first = None;
    for payload in payload_hashes(req, cred) {
        let creq = canonical_request(
            req.method,
            &uri,
            &query,
            &headers,
            &cred.signed_headers,
            &payload,
        );
        let sts = string_to_sign(&amz_date, &scope, &creq);
        let expected = signature(&key, &sts);
        if constant_time::verify_slices_are_equal(expected.as_bytes(), cred.signature.as_bytes())
            .is_ok()
        {
            return Ok(());
        }
        first.get_or_insert((creq, sts));
    }
    let (creq, sts) = first.unwrap_or_default();
    Err(mismatch(&creq, &sts))
}

#[cfg(test)]
mod tests;
