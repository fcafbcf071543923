//! What an integration does with a routed request, and how its backend's answer comes back.
//!
//! [`plan`] turns a routed request into either a backend request ([`Forward`], for HTTP and
//! HTTP_PROXY integrations) or a complete reply ([`Plan::Mock`]), or a [`Failure`] that the edge
//! answers with one of API Gateway's own errors. [`respond`] turns the backend's answer into the
//! caller's reply. Both are pure: the I/O (the pooled, certificate-presenting clients) happens in
//! between, elsewhere, which keeps every rule here testable without a network.
//!
//! certgate runs no mapping templates and no authorizers: where an API would need one, the plan
//! fails honestly (500 with the cause in the log, or 403) rather than forward something AWS would
//! not have sent.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use certgate_api::{Integration, Method};
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};

use crate::route::Found;
use crate::select::{self, Passthrough};
use crate::{headers, BackendRequest, Inbound, Reply};

mod reply;
mod uri;

pub use reply::{mock_reply, respond};
use uri::{
    encode_path, encode_query, form_decode, query_value, sanitize_query, substitute_path,
    substitute_stage_variables,
};

/// API Gateway's default and largest integration timeout (REST APIs: 29 s).
pub const MAX_TIMEOUT_MS: u64 = 29_000;
/// API Gateway's smallest integration timeout.
pub const MIN_TIMEOUT_MS: u64 = 50;

const TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");
const API_ID: HeaderName = HeaderName::from_static("x-amzn-apigateway-api-id");
const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// What the invocation knows beyond the request: the stage it came through and its ids.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub api_id: &'a str,
    pub stage: &'a str,
    pub stage_variables: &'a BTreeMap<String, String>,
    pub request_id: &'a str,
    pub trace_id: &'a str,
}

/// What a routed request becomes.
#[derive(Debug, Clone)]
pub enum Plan<'a> {
    /// A request for the integration's backend.
    Forward(Forward<'a>),
    /// A MOCK integration's complete answer.
    Mock(Reply),
}

/// A backend request and how to send it.
#[derive(Debug, Clone)]
pub struct Forward<'a> {
    pub request: BackendRequest,
    /// HTTP_PROXY: the answer goes back as it came ([`respond`] with `proxy`).
    pub proxy: bool,
    /// The integration's `timeoutInMillis`, 29 s by default, clamped to 50 ms..=29 s.
    pub timeout: Duration,
    /// The integration's `tlsConfig.insecureSkipVerification`: the backend's certificate is not
    /// checked (the stage's client certificate is still presented).
    pub insecure_skip_verification: bool,
    /// The integration, for [`respond`].
    pub integration: &'a Integration,
}

/// Why a request is not forwarded, each answered by one of [`crate::gateway`]'s replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 403: the method asks for an authorization certgate does not grant.
    Forbidden,
    /// 415: the passthrough behavior refuses the request's content type.
    UnsupportedMediaType,
    /// 500: a configuration certgate cannot run, or an answer it cannot map; the cause is for
    /// the log only.
    Internal(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Forbidden => f.write_str("forbidden"),
            Failure::UnsupportedMediaType => f.write_str("unsupported media type"),
            Failure::Internal(cause) => write!(f, "internal error: {cause}"),
        }
    }
}

impl std::error::Error for Failure {}

fn internal(cause: impl Into<String>) -> Failure {
    Failure::Internal(cause.into())
}

/// Plans a routed request. See the module's documentation; the rules per integration type are
/// AWS's, less what certgate does not run (authorizers, API keys, mapping templates, AWS and
/// AWS_PROXY integrations, VPC links), which fails rather than being skipped.
pub fn plan<'a>(
    found: &Found<'a>,
    inbound: &Inbound,
    ctx: &Context<'_>,
) -> Result<Plan<'a>, Failure> {
    let method = found.method;
    authorize(method)?;
    let integration = method
        .method_integration
        .as_ref()
        .ok_or_else(|| internal("the method has no integration"))?;
    if integration.connection_type.as_deref() == Some("VPC_LINK") {
        return Err(internal(
            "VPC_LINK connections are not supported by certgate",
        ));
    }
    match integration.r#type.as_deref() {
        Some("HTTP_PROXY") => forward(found, inbound, ctx, integration, true).map(Plan::Forward),
        Some("HTTP") => forward(found, inbound, ctx, integration, false).map(Plan::Forward),
        Some("MOCK") => {
            let status = select::mock_status(
                integration.request_templates.as_ref(),
                content_type(inbound),
            )
            .ok_or_else(|| internal("the MOCK request template sets no statusCode"))?;
            mock_reply(method, integration, status).map(Plan::Mock)
        }
        Some(other) => Err(internal(format!(
            "{other} integrations are not supported by certgate"
        ))),
        None => Err(internal("the integration has no type")),
    }
}

/// certgate grants no authorization: a method that asks for one (IAM, Cognito, a Lambda
/// authorizer) or for an API key is refused as API Gateway refuses an unauthorized caller.
fn authorize(method: &Method) -> Result<(), Failure> {
    let open = matches!(method.authorization_type.as_deref(), None | Some("NONE"));
    if !open || method.api_key_required == Some(true) {
        return Err(Failure::Forbidden);
    }
    Ok(())
}

fn content_type(inbound: &Inbound) -> Option<&str> {
    inbound
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

fn forward<'a>(
    found: &Found<'a>,
    inbound: &Inbound,
    ctx: &Context<'_>,
    integration: &'a Integration,
    proxy: bool,
) -> Result<Forward<'a>, Failure> {
    let method = match integration.http_method.as_deref() {
        None | Some("ANY") => inbound.method.clone(),
        Some(m) => http::Method::from_bytes(m.as_bytes())
            .map_err(|_| internal(format!("the integration's HTTP method {m:?} is invalid")))?,
    };
    let sources = Sources {
        found,
        inbound,
        ctx,
    };
    let mappings = Mappings::resolve(integration.request_parameters.as_ref(), &sources)?;
    let uri = build_uri(integration, &sources, &mappings, proxy)?;

    let mut headers = HeaderMap::with_capacity(inbound.headers.len() + 4);
    if proxy {
        headers::to_backend(&inbound.headers, &mut headers);
        forwarded_for(inbound, &mut headers);
    } else if let Some(ct) = inbound.headers.get(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, ct.clone());
    }
    for (name, value) in mappings.headers {
        headers.insert(name, value);
    }
    headers.insert(TRACE_ID, header_value(ctx.trace_id, "trace id")?);
    headers.insert(API_ID, header_value(ctx.api_id, "API id")?);

    let body = if proxy {
        inbound.body.clone()
    } else {
        match select::passthrough(
            integration.passthrough_behavior.as_deref(),
            integration.request_templates.as_ref(),
            content_type(inbound),
        ) {
            Passthrough::Pass => inbound.body.clone(),
            Passthrough::Unsupported => return Err(Failure::UnsupportedMediaType),
            Passthrough::Template(ct) => {
                return Err(internal(format!(
                    "mapping templates are not supported by certgate (request template for {ct})"
                )))
            }
        }
    };

    let timeout = integration
        .timeout_in_millis
        .map_or(MAX_TIMEOUT_MS, |ms| u64::try_from(ms).unwrap_or(0))
        .clamp(MIN_TIMEOUT_MS, MAX_TIMEOUT_MS);
    Ok(Forward {
        request: BackendRequest {
            method,
            uri,
            headers,
            body,
        },
        proxy,
        timeout: Duration::from_millis(timeout),
        insecure_skip_verification: integration
            .tls_config
            .as_ref()
            .and_then(|t| t.insecure_skip_verification)
            .unwrap_or(false),
        integration,
    })
}

fn header_value(text: &str, what: &str) -> Result<HeaderValue, Failure> {
    HeaderValue::from_str(text).map_err(|_| internal(format!("the {what} is no header value")))
}

/// Appends the caller's address to `X-Forwarded-For`, after whatever proxies the caller already
/// came through (all their values, joined as one list).
fn forwarded_for(inbound: &Inbound, headers: &mut HeaderMap) {
    let Some(ip) = inbound.source_ip else {
        return;
    };
    // Most callers come through no proxy: then the header is the address alone.
    if !headers.contains_key(&FORWARDED_FOR) {
        if let Ok(value) = HeaderValue::try_from(ip.to_string()) {
            headers.insert(FORWARDED_FOR, value);
        }
        return;
    }
    let mut list: Vec<String> = headers
        .get_all(&FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    list.push(ip.to_string());
    if let Ok(value) = HeaderValue::from_str(&list.join(", ")) {
        headers.insert(FORWARDED_FOR, value);
    }
}

/// Where request parameter mappings take their values from.
struct Sources<'s, 'a> {
    found: &'s Found<'a>,
    inbound: &'s Inbound,
    ctx: &'s Context<'s>,
}

/// A mapped value, and whether it may keep its slashes when put into a URI path (a greedy path
/// parameter's value spans segments).
struct Value<'v> {
    text: Cow<'v, str>,
    spans_segments: bool,
}

impl<'v> Value<'v> {
    fn text(text: impl Into<Cow<'v, str>>) -> Value<'v> {
        Value {
            text: text.into(),
            spans_segments: false,
        }
    }
}

impl Sources<'_, '_> {
    /// The value of a mapping's source expression: `None` when the request does not have it (the
    /// mapping is then skipped), a failure for an expression certgate does not evaluate.
    fn value<'e>(&'e self, expr: &'e str) -> Result<Option<Value<'e>>, Failure> {
        if let Some(text) = expr.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
            return Ok(Some(Value::text(text)));
        }
        if let Some(name) = expr.strip_prefix("method.request.path.") {
            return Ok(self.found.path_param(name).map(|v| Value {
                text: Cow::Borrowed(v),
                spans_segments: self.found.is_greedy(name),
            }));
        }
        if let Some(name) = expr.strip_prefix("method.request.querystring.") {
            return Ok(query_value(self.inbound.query.as_deref(), name).map(Value::text));
        }
        if let Some(name) = expr.strip_prefix("method.request.header.") {
            let last = self.inbound.headers.get_all(name).iter().next_back();
            return Ok(last.map(|v| Value::text(String::from_utf8_lossy(v.as_bytes()))));
        }
        if let Some(name) = expr.strip_prefix("stageVariables.") {
            return Ok(self
                .ctx
                .stage_variables
                .get(name)
                .map(|v| Value::text(v.as_str())));
        }
        let context = match expr {
            "context.requestId" | "context.extendedRequestId" => Some(self.ctx.request_id),
            "context.apiId" => Some(self.ctx.api_id),
            "context.stage" => Some(self.ctx.stage),
            "context.resourceId" => Some(self.found.resource_id),
            "context.resourcePath" => Some(self.found.resource_path),
            "context.httpMethod" => Some(self.inbound.method.as_str()),
            "context.identity.sourceIp" => {
                return Ok(self.inbound.source_ip.map(|ip| Value::text(ip.to_string())));
            }
            _ => None,
        };
        match context {
            Some(v) => Ok(Some(Value::text(v))),
            None => Err(internal(format!(
                "the request parameter source {expr} is not supported by certgate"
            ))),
        }
    }
}

/// An integration's `requestParameters`, evaluated for one request.
#[derive(Default)]
struct Mappings<'v> {
    /// `integration.request.path.X`: the value for the URI's `{X}`.
    path: BTreeMap<&'v str, Value<'v>>,
    /// `integration.request.querystring.X`, in the map's order.
    query: Vec<(&'v str, Cow<'v, str>)>,
    /// `integration.request.header.X`.
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl<'v> Mappings<'v> {
    fn resolve(
        parameters: Option<&'v BTreeMap<String, String>>,
        sources: &'v Sources<'_, '_>,
    ) -> Result<Mappings<'v>, Failure> {
        let mut out = Mappings::default();
        for (target, expr) in parameters.into_iter().flatten() {
            let value = sources.value(expr)?;
            if let Some(name) = target.strip_prefix("integration.request.path.") {
                // A mapped parameter without a value still fills its placeholder, emptily.
                out.path
                    .insert(name, value.unwrap_or_else(|| Value::text("")));
            } else if let Some(name) = target.strip_prefix("integration.request.querystring.") {
                if let Some(v) = value {
                    out.query.push((name, v.text));
                }
            } else if let Some(name) = target.strip_prefix("integration.request.header.") {
                let header = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| internal(format!("{target} names no valid header")))?;
                // A value that cannot be a header (a control character from a decoded query
                // parameter) is left out, as a missing one is.
                if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v.text).ok()) {
                    out.headers.push((header, v));
                }
            } else {
                return Err(internal(format!(
                    "the request parameter {target} is not supported by certgate"
                )));
            }
        }
        Ok(out)
    }
}

/// The backend URI: the integration's, with stage variables and path parameters substituted and
/// the query assembled, checked to be absolute http(s).
fn build_uri(
    integration: &Integration,
    sources: &Sources<'_, '_>,
    mappings: &Mappings<'_>,
    proxy: bool,
) -> Result<http::Uri, Failure> {
    let template = integration
        .uri
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| internal("the integration has no uri"))?;
    let staged = substitute_stage_variables(template, sources.ctx.stage_variables);
    let filled = substitute_path(&staged, |name, greedy| {
        if let Some(v) = mappings.path.get(name) {
            return Ok(encode_path(&v.text, greedy || v.spans_segments));
        }
        match sources.found.path_param(name) {
            Some(v) if proxy => Ok(encode_path(v, greedy || sources.found.is_greedy(name))),
            _ => Err(internal(format!(
                "the integration uri's {{{name}}} has no request parameter"
            ))),
        }
    })?;
    let without_fragment = filled.split('#').next().unwrap_or(&filled);
    let (base, existing) = match without_fragment.split_once('?') {
        Some((base, query)) => (base, query),
        None => (without_fragment, ""),
    };

    let mut query: Vec<Cow<'_, str>> = Vec::new();
    if !existing.is_empty() {
        query.push(Cow::Borrowed(existing));
    }
    if proxy {
        let caller = sources.inbound.query.as_deref().unwrap_or_default();
        let mapped = |pair: &str| {
            let key = pair.split_once('=').map_or(pair, |(k, _)| k);
            mappings
                .query
                .iter()
                .any(|(name, _)| form_decode(key) == *name)
        };
        // The caller's query goes as sent, less the parameters a mapping sets (the mapping wins).
        query.extend(
            caller
                .split('&')
                .filter(|pair| !pair.is_empty() && !mapped(pair))
                .map(sanitize_query),
        );
    }
    for (name, value) in &mappings.query {
        query.push(Cow::Owned(format!(
            "{}={}",
            encode_query(name),
            encode_query(value)
        )));
    }
    let text = if query.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", query.join("&"))
    };
    let uri: http::Uri = text
        .parse()
        .map_err(|_| internal(format!("the integration uri {text:?} is not a valid URI")))?;
    let http = matches!(uri.scheme_str(), Some("http" | "https"));
    if !http || uri.authority().is_none() {
        return Err(internal(format!(
            "the integration uri {text:?} is not an absolute http(s) URI"
        )));
    }
    Ok(uri)
}

#[cfg(test)]
mod tests;
