//! The text work of building a backend URI: stage variables and path parameters substituted,
//! values percent-encoded for where they go, the caller's query read and passed on.
//!
//! Values arrive decoded (path parameters from the router, query parameters from the caller), so
//! each is encoded again for its place: a path segment keeps RFC 3986's `pchar`s, a query
//! component only the unreserved characters, so that a value's `&`, `=` or `/` stays data.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::Failure;
use crate::route::percent_decode;

/// The last value of `name` in a raw query string, form-decoded (`+` is a space there), as API
/// Gateway's single-valued query parameters are the last ones sent.
pub(super) fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    query?
        .split('&')
        .filter(|pair| !pair.is_empty())
        .rev()
        .find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(key) == name).then(|| form_decode(value))
        })
}

pub(super) fn form_decode(text: &str) -> String {
    if text.contains('+') {
        percent_decode(&text.replace('+', " ")).into_owned()
    } else {
        percent_decode(text).into_owned()
    }
}

/// Replaces every `${stageVariables.NAME}` with the stage's value, raw (stage variables often
/// hold a host or a path prefix), or with nothing when the stage has no such variable.
pub(super) fn substitute_stage_variables(
    text: &str,
    variables: &BTreeMap<String, String>,
) -> String {
    const OPEN: &str = "${stageVariables.";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        let after = &rest[at + OPEN.len()..];
        let Some(end) = after.find('}') else {
            break;
        };
        out.push_str(&rest[..at]);
        if let Some(v) = variables.get(&after[..end]) {
            out.push_str(v);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Replaces every `{name}` and `{name+}` placeholder (a name of letters, digits and `._-`) with
/// what `fill` gives for `(name, greedy)`; other braces are left for the URI check to refuse.
pub(super) fn substitute_path<T: AsRef<str>>(
    text: &str,
    mut fill: impl FnMut(&str, bool) -> Result<T, Failure>,
) -> Result<String, Failure> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        let inner = &after[..close];
        let (name, greedy) = match inner.strip_suffix('+') {
            Some(name) => (name, true),
            None => (inner, false),
        };
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        out.push_str(&rest[..open]);
        if valid {
            out.push_str(fill(name, greedy)?.as_ref());
        } else {
            out.push('{');
            out.push_str(&after[..=close]);
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Characters a path segment may hold unescaped (RFC 3986's `pchar` less `%`).
fn path_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b)
}

/// Percent-encodes a decoded value for a URI path, segment by segment when it spans segments
/// (its slashes kept), as one segment otherwise (its slashes escaped).
pub(super) fn encode_path(value: &str, spans_segments: bool) -> Cow<'_, str> {
    encode(value, |b| path_safe(b) || (spans_segments && b == b'/'))
}

/// Percent-encodes a decoded value for a query component: everything but RFC 3986's unreserved
/// characters, so that `&`, `=`, `+` and `#` in a value stay data.
pub(super) fn encode_query(value: &str) -> Cow<'_, str> {
    encode(value, |b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Escapes, in a caller's raw query parameter, only the bytes a URI may not hold, so that what
/// the caller sent reaches the backend as sent.
pub(super) fn sanitize_query(pair: &str) -> Cow<'_, str> {
    encode(pair, |b| path_safe(b) || b"/?%".contains(&b))
}

/// `value` with every byte `keep` refuses escaped; borrowed when there is none, the common case.
fn encode(value: &str, keep: impl Fn(u8) -> bool) -> Cow<'_, str> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    if value.bytes().all(&keep) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if keep(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests;
