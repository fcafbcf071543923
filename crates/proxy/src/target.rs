//! Which requests are invocations of a stage, and of which. Two URL forms reach the data plane on
//! the API's own port:
//! - `/restapis/{api_id}/{stage}/_user_request_/{path}`, the local form that existing tooling
//!   (LocalStack's users, SAM's scripts) knows, with any Host;
//! - a Host `{api_id}.execute-api.{anything}` with the path `/{stage}/{path}`, so that
//!   `{api_id}.execute-api.localhost` works with no set-up (every name under `localhost` resolves
//!   to the loopback address) and a DNS entry for `*.execute-api.us-east-1.amazonaws.com` works too.
//!
//! Neither form can be a control-plane request: no API Gateway operation has a path with
//! `_user_request_`, and the control plane is never called under an `execute-api` host.

/// An invocation: the API and stage it names, and the path within the stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    pub api_id: &'a str,
    /// Empty when the URL names no stage (a request to the host's root).
    pub stage: &'a str,
    /// The path after the stage, as it arrived (percent-encoded), starting with `/`.
    pub path: &'a str,
    /// The region the host names (`{id}.execute-api.{region}.amazonaws.com`), if it names one:
    /// an API id is unique only within its account and region.
    pub region: Option<&'a str>,
}

const LOCAL_PREFIX: &str = "/restapis/";
const LOCAL_MARKER: &str = "/_user_request_";
const HOST_MARKER: &str = ".execute-api.";

/// Whether a REST API id or a stage name could be one: the characters API Gateway allows.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The invocation a request names by its Host header (without or with a port) and raw path, or
/// `None` for any other request.
pub fn target<'a>(host: Option<&'a str>, path: &'a str) -> Option<Target<'a>> {
    local(path).or_else(|| by_host(host?, path))
}

fn local(path: &str) -> Option<Target<'_>> {
    let rest = path.strip_prefix(LOCAL_PREFIX)?;
    let (api_id, rest) = rest.split_once('/')?;
    let (stage, rest) = rest.split_once('/')?;
    let inner = rest.strip_prefix(&LOCAL_MARKER[1..])?;
    if !(inner.is_empty() || inner.starts_with('/')) || !is_name(api_id) || !is_name(stage) {
        return None;
    }
    Some(Target {
        api_id,
        stage,
        path: if inner.is_empty() { "/" } else { inner },
        region: None,
    })
}

fn by_host<'a>(host: &'a str, path: &'a str) -> Option<Target<'a>> {
    // The port, if any, follows the last colon; an execute-api host is never an IPv6 literal.
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let (api_id, rest) = name.split_once(HOST_MARKER)?;
    if !is_name(api_id) || rest.is_empty() {
        return None;
    }
    let region = rest
        .split_once('.')
        .filter(|(_, domain)| domain.eq_ignore_ascii_case("amazonaws.com"))
        .map(|(region, _)| region);
    let within = path.strip_prefix('/').unwrap_or(path);
    let (stage, inner) = match within.find('/') {
        Some(i) => (&within[..i], &within[i..]),
        None => (within, "/"),
    };
    // A malformed stage name routes nowhere, like an unknown one: the data plane answers it.
    Some(Target {
        api_id,
        stage: if is_name(stage) { stage } else { "" },
        path: inner,
        region,
    })
}

#[cfg(test)]
mod tests;
