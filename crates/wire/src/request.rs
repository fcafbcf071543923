//! Routing and request decoding: method + path + query + body to an [`Operation`].
//!
//! Routes match on the raw (still percent-encoded) path, one segment at a time, and only then decode
//! the label: an ARN in `/tags/{resource_arn}` arrives with its slashes encoded as `%2F` from botocore
//! and the Rust SDK, but a hand-written request may leave them bare, so everything after `/tags/` is
//! the ARN either way.

use std::borrow::Cow;

use certgate_core::patch::PatchOperation;
use certgate_core::{arn, CertificateId, Error, Region, Tags};
use http::Method;
use percent_encoding::percent_decode_str;
use serde::Deserialize;

use crate::error::AwsError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    GenerateClientCertificate {
        description: Option<String>,
        tags: Tags,
    },
    GetClientCertificate {
        id: CertificateId,
    },
    GetClientCertificates {
        position: Option<String>,
        limit: u32,
    },
    UpdateClientCertificate {
        id: CertificateId,
        patch: Vec<PatchOperation>,
    },
    DeleteClientCertificate {
        id: CertificateId,
    },
    TagResource {
        region: Region,
        id: CertificateId,
        tags: Tags,
    },
    UntagResource {
        region: Region,
        id: CertificateId,
        keys: Vec<String>,
    },
    GetTags {
        region: Region,
        id: CertificateId,
    },
}

impl Operation {
    /// The operation's name in the API model, for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::GenerateClientCertificate { .. } => "GenerateClientCertificate",
            Operation::GetClientCertificate { .. } => "GetClientCertificate",
            Operation::GetClientCertificates { .. } => "GetClientCertificates",
            Operation::UpdateClientCertificate { .. } => "UpdateClientCertificate",
            Operation::DeleteClientCertificate { .. } => "DeleteClientCertificate",
            Operation::TagResource { .. } => "TagResource",
            Operation::UntagResource { .. } => "UntagResource",
            Operation::GetTags { .. } => "GetTags",
        }
    }

    /// True for operations that change state; a read-only credential may not call them. Only the
    /// three Get operations read.
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            Operation::GetClientCertificate { .. }
                | Operation::GetClientCertificates { .. }
                | Operation::GetTags { .. }
        )
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateBody {
    description: Option<String>,
    tags: Option<Tags>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateBody {
    patch_operations: Option<Vec<PatchBody>>,
}

#[derive(Deserialize)]
struct PatchBody {
    op: Option<String>,
    path: Option<String>,
    value: Option<String>,
    from: Option<String>,
}

#[derive(Deserialize)]
struct TagBody {
    tags: Option<Tags>,
}

/// Decodes a JSON object body; an empty body is an empty object, as botocore sends for no input.
fn json_body<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, AwsError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        AwsError::bad_request(format!(
            "Could not parse request body into json: the body is not valid UTF-8 ({e})"
        ))
    })?;
    let text = if text.trim().is_empty() { "{}" } else { text };
    // serde decodes a struct from a JSON array too, field by field, so `[null, null]` would pass
    // as an empty input; the model's bodies are objects, and anything else is refused.
    if !text.trim_start().starts_with('{') {
        return Err(AwsError::bad_request(
            "Could not parse request body into json: the body must be a JSON object",
        ));
    }
    serde_json::from_str(text)
        .map_err(|e| AwsError::bad_request(format!("Could not parse request body into json: {e}")))
}

fn required<T>(value: Option<T>, member: &str) -> Result<T, AwsError> {
    value.ok_or_else(|| {
        AwsError::bad_request(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

fn decode_label(raw: &str) -> Result<Cow<'_, str>, AwsError> {
    percent_decode_str(raw).decode_utf8().map_err(|_| {
        AwsError::bad_request(
            "The request path contains a percent-encoded sequence that is not UTF-8",
        )
    })
}

fn certificate_id(raw: &str) -> Result<CertificateId, AwsError> {
    let label = decode_label(raw)?;
    CertificateId::parse(&label).ok_or_else(|| Error::certificate_not_found().into())
}

/// All values of one query parameter, decoded, in order.
fn query_values(query: Option<&str>, name: &str) -> Vec<String> {
    query
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    query_values(query, name).into_iter().next()
}

/// Routes one request to its operation and decodes its inputs.
pub fn parse_operation(
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Result<Operation, AwsError> {
    let unknown = || AwsError::UnknownOperation(format!("No operation matches {method} {path}"));
    let rest = path.strip_prefix('/').ok_or_else(unknown)?;
    let (first, tail) = match rest.split_once('/') {
        Some((first, tail)) => (first, Some(tail)),
        None => (rest, None),
    };
    match (first, tail) {
        ("clientcertificates", None) => match *method {
            Method::POST => {
                let b: GenerateBody = json_body(body)?;
                Ok(Operation::GenerateClientCertificate {
                    description: b.description,
                    tags: b.tags.unwrap_or_default(),
                })
            }
            Method::GET => {
                let limit =
                    certgate_core::page::parse_limit(query_value(query, "limit").as_deref())?;
                Ok(Operation::GetClientCertificates {
                    position: query_value(query, "position"),
                    limit,
                })
            }
            _ => Err(unknown()),
        },
        ("clientcertificates", Some(id)) if !id.is_empty() && !id.contains('/') => match *method {
            Method::GET => Ok(Operation::GetClientCertificate {
                id: certificate_id(id)?,
            }),
            Method::DELETE => Ok(Operation::DeleteClientCertificate {
                id: certificate_id(id)?,
            }),
            Method::PATCH => {
                let id = certificate_id(id)?;
                let b: UpdateBody = json_body(body)?;
                let patch = b
                    .patch_operations
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| PatchOperation {
                        op: p.op,
                        path: p.path,
                        value: p.value,
                        from: p.from,
                    })
                    .collect();
                Ok(Operation::UpdateClientCertificate { id, patch })
            }
            _ => Err(unknown()),
        },
        ("tags", Some(raw_arn)) if !raw_arn.is_empty() => {
            if !matches!(*method, Method::GET | Method::PUT | Method::DELETE) {
                return Err(unknown());
            }
            let (region, id) = arn::parse_certificate_arn(&decode_label(raw_arn)?)?;
            match *method {
                Method::PUT => {
                    let b: TagBody = json_body(body)?;
                    Ok(Operation::TagResource {
                        region,
                        id,
                        tags: required(b.tags, "tags")?,
                    })
                }
                Method::DELETE => {
                    let keys = query_values(query, "tagKeys");
                    let keys = required((!keys.is_empty()).then_some(keys), "tagKeys")?;
                    Ok(Operation::UntagResource { region, id, keys })
                }
                _ => Ok(Operation::GetTags { region, id }),
            }
        }
        _ => Err(unknown()),
    }
}

#[cfg(test)]
mod tests;
