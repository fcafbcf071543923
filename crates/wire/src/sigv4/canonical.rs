//! The canonical request of SigV4, built from the request exactly as it arrived: the raw path, the
//! raw query and the headers the client says it signed.

use std::fmt::Write as _;

use http::HeaderMap;
use percent_encoding::percent_decode_str;

use crate::error::AwsError;

/// Lower-case hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// SigV4's URI encoding: every byte but the unreserved `A-Z a-z 0-9 - . _ ~` becomes `%XX` in
/// upper-case hex; `/` is kept where `keep_slash` says so (paths, not query components).
pub fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Removes `.` and `..` segments and empty segments, as the AWS SDKs do before they sign any
/// service but S3; a trailing slash is kept.
fn normalize_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let trailing = path.ends_with('/') && !out.is_empty();
    format!("/{}{}", out.join("/"), if trailing { "/" } else { "" })
}

/// The canonical URI of every AWS service but S3 (API Gateway included): the path as it arrived,
/// normalized and then URI-encoded once more. The path on the wire is already percent-encoded by
/// the client, so an ARN's `%3A` is signed as `%253A`: the "double encoding" S3 alone skips.
pub fn canonical_uri(raw_path: &str) -> String {
    uri_encode(normalize_path(raw_path).as_bytes(), true)
}

/// The canonical query string: each parameter decoded, re-encoded the SigV4 way, then sorted by
/// name and value. `X-Amz-Signature` is left out, since a presigned URL cannot sign its own
/// signature.
pub fn canonical_query(raw_query: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_decode_str(s).collect::<Vec<u8>>();
            (uri_encode(&decode(k), false), uri_encode(&decode(v), false))
        })
        .filter(|(k, _)| k != "X-Amz-Signature")
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Trims a header value and folds runs of spaces into one, as SigV4 asks.
fn fold_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `name:value\n` for every signed header, in the order of `signed` (already lower-case and sorted
/// by the client); repeated headers are joined with commas in the order they arrived. `host` falls
/// back to the request's authority, which HTTP/2 carries instead of a Host header.
pub fn canonical_headers(
    headers: &HeaderMap,
    authority: Option<&str>,
    signed: &[String],
) -> Result<String, AwsError> {
    let mut out = String::new();
    for name in signed {
        let values: Vec<String> = headers
            .get_all(name.as_str())
            .iter()
            .map(|v| fold_spaces(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        let value = if values.is_empty() {
            match (name.as_str(), authority) {
                ("host", Some(a)) => a.to_string(),
                _ => {
                    return Err(AwsError::InvalidSignature(format!(
                        "The request signature we calculated does not match the signature you provided. The signed header '{name}' is not in the request."
                    )))
                }
            }
        } else {
            values.join(",")
        };
        let _ = writeln!(out, "{name}:{value}");
    }
    Ok(out)
}

/// The canonical request: method, canonical URI, canonical query, canonical headers, the signed
/// header list and the payload hash, one per line.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &[String],
    payload_hash: &str,
) -> String {
    format!(
        "{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{}\n{payload_hash}",
        signed_headers.join(";")
    )
}
