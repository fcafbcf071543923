//! The way back: a backend's answer, or a MOCK integration's, made into the caller's reply
//! under the integration's responses (selection, method responses, header mappings).
//!
//! certgate runs no response templates: an empty one is no transformation, any other fails the
//! request (500) rather than send a body AWS would have transformed.

use bytes::Bytes;
use certgate_api::{Integration, IntegrationResponse, Method};
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};

use super::{internal, Failure};
use crate::select::{self, DEFAULT_CONTENT_TYPE};
use crate::{headers, BackendResponse, Reply};

/// The caller's reply from a backend's answer. HTTP_PROXY: the answer as it came, under AWS's
/// header rules. HTTP: the integration response selected by the backend's status, which must
/// have its method response; its status and its header mappings, the backend's body (certgate
/// runs no response template), `Content-Type: application/json` unless a mapping sets it.
pub fn respond(
    method: &Method,
    integration: &Integration,
    backend: BackendResponse,
    proxy: bool,
) -> Result<Reply, Failure> {
    if proxy {
        let mut headers = HeaderMap::new();
        headers::from_backend(&backend.headers, &mut headers);
        return Ok(Reply {
            status: backend.status,
            headers,
            body: backend.body,
        });
    }
    let (response, status) = selected(method, integration, backend.status)?;
    let backend_type = backend
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or(DEFAULT_CONTENT_TYPE);
    if let Some(templates) = &response.response_templates {
        let template = select::template_for(templates, backend_type)
            .or_else(|| select::template_for(templates, DEFAULT_CONTENT_TYPE));
        if let Some((ct, _)) = template.filter(|(_, t)| !t.trim().is_empty()) {
            return Err(internal(format!(
                "mapping templates are not supported by certgate (response template for {ct})"
            )));
        }
    }
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(DEFAULT_CONTENT_TYPE));
    map_response_headers(response, &backend.headers, &mut headers)?;
    Ok(Reply {
        status,
        headers,
        body: backend.body,
    })
}

/// A MOCK integration's reply for `status`: the integration response it selects, which must have
/// its method response, with its response template as static text for the body (the
/// `application/json` one, else the only one; certgate runs no VTL), the template's content type,
/// and the headers its static mappings set.
pub fn mock_reply(
    method: &Method,
    integration: &Integration,
    status: u16,
) -> Result<Reply, Failure> {
    let (response, status) = selected(method, integration, status)?;
    let templates = response.response_templates.as_ref();
    let template = templates.and_then(|t| {
        select::template_for(t, DEFAULT_CONTENT_TYPE).or_else(|| match t.iter().next() {
            Some((ct, text)) if t.len() == 1 => Some((ct.as_str(), text.as_str())),
            _ => None,
        })
    });
    let (content_type, body) = template.unwrap_or((DEFAULT_CONTENT_TYPE, ""));
    let mut headers = HeaderMap::new();
    let content_type = HeaderValue::from_str(content_type)
        .unwrap_or(HeaderValue::from_static(DEFAULT_CONTENT_TYPE));
    headers.insert(CONTENT_TYPE, content_type);
    map_response_headers(response, &HeaderMap::new(), &mut headers)?;
    Ok(Reply {
        status,
        headers,
        body: Bytes::copy_from_slice(body.as_bytes()),
    })
}

/// The integration response a status selects and its own status, provided the method declares a
/// response for it; AWS answers 500 otherwise ("Output mapping refers to an invalid method
/// response").
fn selected<'i>(
    method: &Method,
    integration: &'i Integration,
    status: u16,
) -> Result<(&'i IntegrationResponse, u16), Failure> {
    let status_text = status.to_string();
    let response = integration
        .integration_responses
        .as_ref()
        .and_then(|r| select::select_response(r, &status_text))
        .ok_or_else(|| {
            internal(format!(
                "no integration response matches the status {status_text}"
            ))
        })?;
    let key = response
        .status_code
        .as_deref()
        .ok_or_else(|| internal("the integration response has no status code"))?;
    let declared = method
        .method_responses
        .as_ref()
        .is_some_and(|r| r.contains_key(key));
    if !declared {
        return Err(internal(format!(
            "the integration response {key} has no method response"
        )));
    }
    let status = key
        .parse::<u16>()
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| {
            internal(format!(
                "the integration response's status {key} is invalid"
            ))
        })?;
    Ok((response, status))
}

/// Applies an integration response's `responseParameters`: `method.response.header.X` from
/// `integration.response.header.Y` (the backend's last value; absent, the mapping is skipped) or
/// a static `'value'`. Mapping from the body needs JSON evaluation certgate does not do.
fn map_response_headers(
    response: &IntegrationResponse,
    backend: &HeaderMap,
    out: &mut HeaderMap,
) -> Result<(), Failure> {
    for (target, expr) in response.response_parameters.iter().flatten() {
        let name = target
            .strip_prefix("method.response.header.")
            .and_then(|n| HeaderName::from_bytes(n.as_bytes()).ok())
            .ok_or_else(|| {
                internal(format!(
                    "the response parameter {target} is not supported by certgate"
                ))
            })?;
        let value = if let Some(text) = expr.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
            HeaderValue::from_str(text).ok()
        } else if let Some(header) = expr.strip_prefix("integration.response.header.") {
            backend.get_all(header).iter().next_back().cloned()
        } else {
            return Err(internal(format!(
                "the response parameter source {expr} is not supported by certgate"
            )));
        };
        if let Some(value) = value {
            out.insert(name, value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
