//! Routing and request decoding over the catalogue: method + path + query + body to an
//! [`Operation`] of `certgate_api`.
//!
//! Routes match on the raw (still percent-encoded) path, one segment at a time against each
//! route's URI template, and only then decode the labels: an ARN in `/tags/{resource_arn}` arrives
//! with its slashes encoded as `%2F` from botocore and the Rust SDK, but a hand-written request may
//! leave them bare, so a label that holds an ARN takes the rest of the path either way. The
//! generated decoders then read the query, headers and body through [`Source`], which holds the
//! protocol's rules and messages.

use std::collections::BTreeMap;

use certgate_api::{OperationId, Route, Source, ROUTES};
use certgate_core::{CertificateId, Error, ResourceArn};
use http::Method;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;

pub use certgate_api::Operation;

use crate::error::AwsError;

/// Decodes a JSON object body; an empty body is an empty object, as botocore sends for no input.
fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AwsError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        AwsError::bad_request(format!(
            "Could not parse request body into json: the body is not valid UTF-8 ({e})"
        ))
    })?;
    // Only JSON's own whitespace counts as nothing: Rust's `trim` also drops form feeds and other
    // Unicode spaces, which would make a body of `\x0c` pass as an empty object.
    let json_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    let text = if text.trim_matches(json_space).is_empty() {
        "{}"
    } else {
        text
    };
    // serde decodes a struct from a JSON array too, field by field, so `[null, null]` would pass
    // as an empty input; the model's bodies are objects, and anything else is refused.
    if !text.trim_start_matches(json_space).starts_with('{') {
        return Err(AwsError::bad_request(
            "Could not parse request body into json: the body must be a JSON object",
        ));
    }
    serde_json::from_str(text)
        .map_err(|e| AwsError::bad_request(format!("Could not parse request body into json: {e}")))
}

fn decode_label(raw: &str) -> Result<String, AwsError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            AwsError::bad_request(
                "The request path contains a percent-encoded sequence that is not UTF-8",
            )
        })
}

/// An ARN holds slashes, which clients may send bare, so such a label at the end of a template
/// takes the rest of the path.
fn takes_rest(label: &str) -> bool {
    label.ends_with("_arn")
}

/// A route's labels as they stand in the raw path, by label name.
type RawLabels<'p> = Vec<(&'static str, &'p str)>;

/// The raw labels of `path` if it matches `template` (the path part of a `requestUri`), with the
/// number of literal segments matched, so that the most specific of two matching routes wins.
fn match_path<'p>(template: &'static str, path: &'p str) -> Option<(RawLabels<'p>, usize)> {
    let mut rest = path.strip_prefix('/')?;
    let mut labels = Vec::new();
    let mut literals = 0;
    let segments: Vec<&'static str> = template.trim_start_matches('/').split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let (here, tail) = match rest.split_once('/') {
            Some((here, tail)) => (here, Some(tail)),
            None => (rest, None),
        };
        if let Some(label) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let label = label.trim_end_matches('+');
            if last && takes_rest(label) {
                if rest.is_empty() {
                    return None;
                }
                labels.push((label, rest));
                return Some((labels, literals));
            }
            if here.is_empty() {
                return None;
            }
            labels.push((label, here));
        } else if here == *segment {
            literals += 1;
        } else {
            return None;
        }
        match (tail, last) {
            (None, true) => return Some((labels, literals)),
            (Some(tail), false) => rest = tail,
            _ => return None,
        }
    }
    None
}

/// Whether the query holds every literal parameter a template's `?…` part asks for.
fn literal_query_matches(literal: Option<&str>, query: Option<&str>) -> bool {
    let Some(literal) = literal else {
        return true;
    };
    form_urlencoded::parse(literal.as_bytes()).all(|(k, v)| {
        query.is_some_and(|q| {
            form_urlencoded::parse(q.as_bytes()).any(|(qk, qv)| qk == k && qv == v)
        })
    })
}

/// The route a method and raw path name, with its raw labels.
fn route<'p>(
    method: &Method,
    path: &'p str,
    query: Option<&str>,
) -> Option<(&'static Route, RawLabels<'p>)> {
    let mut best: Option<(&'static Route, RawLabels<'p>, usize)> = None;
    for route in ROUTES.iter().filter(|r| r.method == method.as_str()) {
        let (template, literal) = match route.uri.split_once('?') {
            Some((t, q)) => (t, Some(q)),
            None => (route.uri, None),
        };
        if !literal_query_matches(literal, query) {
            continue;
        }
        if let Some((labels, literals)) = match_path(template, path) {
            if best.as_ref().is_none_or(|(_, _, n)| literals > *n) {
                best = Some((route, labels, literals));
            }
        }
    }
    best.map(|(route, labels, _)| (route, labels))
}

/// Labels that name a resource are checked as soon as they are decoded, before the query and the
/// body, so that a request naming a certificate that cannot exist, or an ARN that is not one, is
/// answered so whatever else it carries, and before the read-only check, as it always was.
fn check_label(name: &str, value: &str) -> Result<(), AwsError> {
    match name {
        "clientcertificate_id" => match CertificateId::parse(value) {
            Some(_) => Ok(()),
            None => Err(Error::certificate_not_found().into()),
        },
        "resource_arn" => ResourceArn::parse(value)
            .map(|_| ())
            .map_err(AwsError::from),
        _ => Ok(()),
    }
}

/// A routed request, as the generated decoders read it.
struct Request<'a> {
    labels: BTreeMap<&'static str, String>,
    query: Option<&'a str>,
    headers: Option<&'a http::HeaderMap>,
    body: &'a [u8],
}

impl Source for Request<'_> {
    fn label(&self, name: &str) -> Option<String> {
        self.labels.get(name).cloned()
    }

    fn query(&self, name: &str) -> Vec<String> {
        self.query
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v.into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn query_integer(&self, name: &str) -> Result<Option<i64>, Error> {
        let Some(raw) = self.query(name).into_iter().next() else {
            return Ok(None);
        };
        // `limit` has AWS's range rule and messages, which the domain's page rules hold.
        if name == "limit" {
            return certgate_core::page::parse_limit(Some(&raw)).map(|n| Some(i64::from(n)));
        }
        raw.parse().map(Some).map_err(|_| {
            Error::bad_request(format!(
                "Invalid value '{raw}' for parameter {name}: must be an integer"
            ))
        })
    }

    fn query_boolean(&self, name: &str) -> Result<Option<bool>, Error> {
        match self.query(name).into_iter().next() {
            None => Ok(None),
            Some(raw) if raw == "true" => Ok(Some(true)),
            Some(raw) if raw == "false" => Ok(Some(false)),
            Some(raw) => Err(Error::bad_request(format!(
                "Invalid value '{raw}' for parameter {name}: must be true or false"
            ))),
        }
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers?
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    fn body<T: DeserializeOwned>(&self) -> Result<T, Error> {
        json_body(self.body).map_err(|e| Error::bad_request(e.message()))
    }
}

/// The operation a request is routed to, from its method, path and query alone: enough to
/// authorize it before any of its input is read.
pub fn operation_id(
    method: &Method,
    path: &str,
    query: Option<&str>,
) -> Result<OperationId, AwsError> {
    route(method, path, query)
        .map(|(route, _)| route.id)
        .ok_or_else(|| AwsError::UnknownOperation(format!("No operation matches {method} {path}")))
}

/// Routes one request to its operation and decodes its inputs.
pub fn parse_operation(
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Result<Operation, AwsError> {
    parse_operation_with_headers(method, path, query, None, body)
}

/// [`parse_operation`] for operations with header members: the request's headers are read too.
pub fn parse_operation_with_headers(
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: Option<&http::HeaderMap>,
    body: &[u8],
) -> Result<Operation, AwsError> {
    let (route, raw_labels) = route(method, path, query).ok_or_else(|| {
        AwsError::UnknownOperation(format!("No operation matches {method} {path}"))
    })?;
    let mut labels = BTreeMap::new();
    for (name, raw) in raw_labels {
        let value = decode_label(raw)?;
        check_label(name, &value)?;
        labels.insert(name, value);
    }
    let request = Request {
        labels,
        query,
        headers,
        body,
    };
    Operation::decode(route.id, &request).map_err(|e| {
        let e = AwsError::from(e);
        if route.uri.starts_with("/restapis") {
            java_serialization(e)
        } else {
            e
        }
    })
}

/// The REST API family's answer to a JSON value of the wrong type where a string belongs, as AWS
/// recorded it: a SerializationException in the words of its Java deserializer (`class
/// java.lang.Boolean can not be converted to an String`). The client-certificate operations keep
/// the answer they have always given.
fn java_serialization(e: AwsError) -> AwsError {
    let AwsError::BadRequest(message) = &e else {
        return e;
    };
    let Some(found) = message
        .split("invalid type: ")
        .nth(1)
        .filter(|rest| rest.contains("expected a string"))
    else {
        return e;
    };
    let class = if found.starts_with("boolean") {
        "java.lang.Boolean"
    } else if found.starts_with("integer") {
        "java.lang.Integer"
    } else if found.starts_with("floating point") {
        "java.lang.Double"
    } else {
        return e;
    };
    AwsError::Serialization(format!("class {class} can not be converted to an String"))
}

#[cfg(test)]
mod tests;
