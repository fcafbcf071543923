//! AWS's header rules for HTTP_PROXY integrations, in both directions.
//!
//! API Gateway is not a transparent proxy: it drops the caller's headers that describe the
//! caller's own connection or framing (the HTTP client frames the backend request itself), and it
//! renames the backend's headers that would otherwise be taken for API Gateway's own (its `Date`,
//! `Server`, authentication challenge) to `x-amzn-Remapped-<Name>`, so a client still sees them.
//! The lists are public so that tests elsewhere can check every entry end to end.
//!
//! Names are compared lowercase, as [`http::HeaderName`] keeps them; multi-valued headers keep
//! every value, in order.

use http::header::{HeaderMap, HeaderName};

/// The caller's headers that are not sent to an HTTP_PROXY backend. `Host` is the backend's own,
/// set by the HTTP client from the URI; `Content-Length` and `Transfer-Encoding` are recomputed by
/// the client; the others describe the caller's hop or are API Gateway's to answer.
pub const DROPPED_TO_BACKEND: [&str; 17] = [
    "host",
    "expect",
    "max-forwards",
    "proxy-authenticate",
    "server",
    "te",
    "trailer",
    "upgrade",
    "www-authenticate",
    "content-md5",
    "via",
    "transfer-encoding",
    "content-encoding",
    "content-length",
    "connection",
    "keep-alive",
    "proxy-connection",
];

/// The backend's headers that reach the caller renamed: `(name, remapped name)`. `Date` and
/// `Server` are renamed because the edge sets its own.
pub const REMAPPED_FROM_BACKEND: [(&str, &str); 8] = [
    ("connection", "x-amzn-remapped-connection"),
    ("content-md5", "x-amzn-remapped-content-md5"),
    ("max-forwards", "x-amzn-remapped-max-forwards"),
    ("user-agent", "x-amzn-remapped-user-agent"),
    ("www-authenticate", "x-amzn-remapped-www-authenticate"),
    ("authorization", "x-amzn-remapped-authorization"),
    ("date", "x-amzn-remapped-date"),
    ("server", "x-amzn-remapped-server"),
];

/// The backend's headers that do not reach the caller: the edge frames the body itself.
pub const DROPPED_FROM_BACKEND: [&str; 4] = [
    "content-length",
    "transfer-encoding",
    "keep-alive",
    "proxy-connection",
];

/// [`REMAPPED_FROM_BACKEND`]'s targets as header names, made at compile time so that remapping
/// neither allocates nor has a conversion that could fail on the request path. A unit test keeps
/// the two lists equal.
static REMAPPED_NAMES: [HeaderName; 8] = [
    HeaderName::from_static("x-amzn-remapped-connection"),
    HeaderName::from_static("x-amzn-remapped-content-md5"),
    HeaderName::from_static("x-amzn-remapped-max-forwards"),
    HeaderName::from_static("x-amzn-remapped-user-agent"),
    HeaderName::from_static("x-amzn-remapped-www-authenticate"),
    HeaderName::from_static("x-amzn-remapped-authorization"),
    HeaderName::from_static("x-amzn-remapped-date"),
    HeaderName::from_static("x-amzn-remapped-server"),
];

/// Copies the caller's headers into a backend request's, all values kept, except
/// [`DROPPED_TO_BACKEND`]. Appends, so headers already in `out` stay.
pub fn to_backend(caller: &HeaderMap, out: &mut HeaderMap) {
    for (name, value) in caller {
        if !DROPPED_TO_BACKEND.contains(&name.as_str()) {
            out.append(name.clone(), value.clone());
        }
    }
}

/// Copies a backend's headers into the caller's reply, all values kept, with
/// [`REMAPPED_FROM_BACKEND`] renamed and [`DROPPED_FROM_BACKEND`] left out. Appends, so headers
/// already in `out` stay.
pub fn from_backend(backend: &HeaderMap, out: &mut HeaderMap) {
    for (name, value) in backend {
        let name_str = name.as_str();
        if DROPPED_FROM_BACKEND.contains(&name_str) {
            continue;
        }
        let remapped = REMAPPED_FROM_BACKEND
            .iter()
            .position(|(from, _)| *from == name_str)
            .and_then(|i| REMAPPED_NAMES.get(i));
        match remapped {
            Some(target) => out.append(target.clone(), value.clone()),
            None => out.append(name.clone(), value.clone()),
        };
    }
}

#[cfg(test)]
mod tests;
