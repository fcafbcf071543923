//! The choices an integration makes from its configuration: which integration response answers a
//! backend status (selection patterns), whether a request body may pass to the backend
//! untransformed (passthrough behavior), and what status a MOCK integration answers.
//!
//! certgate runs no mapping templates (VTL), so these decisions are made on the configuration
//! alone and say when a template would have been needed; the caller answers those cases.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use certgate_api::IntegrationResponse;
use regex::{Regex, RegexBuilder};

/// The content type API Gateway assumes for a request that declares none.
pub const DEFAULT_CONTENT_TYPE: &str = "application/json";

/// Bound on a compiled selection pattern, so a hostile pattern cannot take much memory; patterns
/// that exceed it do not compile and so never match.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// How many compiled patterns a thread keeps. A deployment has few distinct patterns; the bound
/// only guards against an unbounded stream of them (the cache is cleared when it is reached).
const PATTERN_CACHE_LIMIT: usize = 256;

thread_local! {
    /// Compiled selection patterns, per thread so that no lock is taken on the request path. A
    /// pattern that does not compile is cached as `None`, so it is not recompiled either.
    static PATTERNS: RefCell<HashMap<String, Option<Regex>>> = RefCell::new(HashMap::new());
}

/// The integration response for a backend status: the one whose `selectionPattern` matches the
/// whole status string, else the default one (no pattern, or an empty one).
///
/// Patterns are Java regular expressions in AWS; they are compiled here as Rust ones anchored at
/// both ends (`^(?:…)$`), which agree on everything a status pattern commonly uses (`2\d{2}`,
/// `4\d{2}|5\d{2}`, `.*`). A pattern that does not compile (a Java-only construct such as a
/// look-around) never matches, as a response that cannot be selected is safer than one selected
/// by mistake. Should two patterns match, the one with the lowest status key wins; AWS leaves
/// that order undefined.
pub fn select_response<'a>(
    responses: &'a BTreeMap<String, IntegrationResponse>,
    status: &str,
) -> Option<&'a IntegrationResponse> {
    let mut default = None;
    for response in responses.values() {
        match response.selection_pattern.as_deref() {
            None | Some("") => {
                if default.is_none() {
                    default = Some(response);
                }
            }
            Some(pattern) => {
                if pattern_matches(pattern, status) {
                    return Some(response);
                }
            }
        }
    }
    default
}

/// Whether `pattern` matches the whole of `text`, through the thread's cache.
pub fn pattern_matches(pattern: &str, text: &str) -> bool {
    PATTERNS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(compiled) = cache.get(pattern) {
            return compiled.as_ref().is_some_and(|re| re.is_match(text));
        }
        let compiled = compile(pattern);
        let matched = compiled.as_ref().is_some_and(|re| re.is_match(text));
        if cache.len() >= PATTERN_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(pattern.to_string(), compiled);
        matched
    })
}

fn compile(pattern: &str) -> Option<Regex> {
    RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
        .ok()
}

/// What becomes of a request body under an integration's passthrough behavior.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passthrough {
    /// The body goes to the backend as it came.
    Pass,
    /// The request template declared under this content type (the map's key, as written) would
    /// transform the body.
    Template(String),
    /// API Gateway refuses the request: 415 Unsupported Media Type.
    Unsupported,
}

/// AWS's passthrough decision. The request's content type (`application/json` when it has none)
/// is compared with the templates' keys without parameters and case-insensitively:
///
/// - a template for it: [`Passthrough::Template`], unless the template is empty (or blank), which
///   AWS treats as no transformation ([`Passthrough::Pass`]);
/// - no templates at all: `Pass` under `WHEN_NO_MATCH` (the default) and `WHEN_NO_TEMPLATES`,
///   `Unsupported` under `NEVER`;
/// - templates, none for it: `Pass` under `WHEN_NO_MATCH`, `Unsupported` otherwise.
///
/// Behaviors are compared case-insensitively; an unknown one is taken as the default, since the
/// control plane is where a bad value belongs to be refused.
pub fn passthrough(
    behavior: Option<&str>,
    templates: Option<&BTreeMap<String, String>>,
    content_type: Option<&str>,
) -> Passthrough {
    let behavior = Behavior::parse(behavior);
    let templates = templates.filter(|t| !t.is_empty());
    let Some(templates) = templates else {
        return match behavior {
            Behavior::Never => Passthrough::Unsupported,
            Behavior::WhenNoMatch | Behavior::WhenNoTemplates => Passthrough::Pass,
        };
    };
    match template_for(templates, content_type.unwrap_or(DEFAULT_CONTENT_TYPE)) {
        Some((_, template)) if template.trim().is_empty() => Passthrough::Pass,
        Some((key, _)) => Passthrough::Template(key.to_string()),
        None => match behavior {
            Behavior::WhenNoMatch => Passthrough::Pass,
            Behavior::WhenNoTemplates | Behavior::Never => Passthrough::Unsupported,
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behavior {
    WhenNoMatch,
    WhenNoTemplates,
    Never,
}

impl Behavior {
    fn parse(behavior: Option<&str>) -> Behavior {
        match behavior {
            Some(b) if b.eq_ignore_ascii_case("WHEN_NO_TEMPLATES") => Behavior::WhenNoTemplates,
            Some(b) if b.eq_ignore_ascii_case("NEVER") => Behavior::Never,
            _ => Behavior::WhenNoMatch,
        }
    }
}

/// A content type without its parameters (`text/plain; charset=utf-8` → `text/plain`), trimmed.
/// Comparisons with it are case-insensitive, as media types are.
pub fn essence(content_type: &str) -> &str {
    content_type
        .split(';')
        .next()
        .unwrap_or(content_type)
        .trim()
}

/// The template declared for `content_type`, as `(key, template)`.
pub fn template_for<'a>(
    templates: &'a BTreeMap<String, String>,
    content_type: &str,
) -> Option<(&'a str, &'a str)> {
    let wanted = essence(content_type);
    templates
        .iter()
        .find(|(key, _)| essence(key).eq_ignore_ascii_case(wanted))
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

/// The status a MOCK integration answers, from its request template: the template for the
/// request's content type, else the `application/json` one, read for `"statusCode"`. Without a
/// template (or with an empty one) a MOCK answers 200. `None` when a template exists but sets no
/// readable status in 100..=599: the caller answers 500, as AWS does for a broken mock.
///
/// certgate does not run VTL, so the template is read as JSON when it is JSON, and otherwise
/// scanned for the literal forms seen in practice: `"statusCode": 200`, `statusCode : "404"`,
/// `'statusCode': 500`, after `#set` lines or around other keys.
pub fn mock_status(
    templates: Option<&BTreeMap<String, String>>,
    content_type: Option<&str>,
) -> Option<u16> {
    let template = templates.and_then(|t| {
        content_type
            .and_then(|ct| template_for(t, ct))
            .or_else(|| template_for(t, DEFAULT_CONTENT_TYPE))
            .map(|(_, template)| template)
    });
    match template.map(str::trim) {
        None | Some("") => Some(200),
        Some(text) => status_from_json(text).or_else(|| status_from_text(text)),
    }
}

fn status_from_json(text: &str) -> Option<u16> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    match value.get("statusCode")? {
        serde_json::Value::Number(n) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .and_then(valid_status),
        serde_json::Value::String(s) => s.trim().parse().ok().and_then(valid_status),
        _ => None,
    }
}

/// The first `statusCode` key followed by `:` and a literal number, quoted or not.
fn status_from_text(text: &str) -> Option<u16> {
    const KEY: &str = "statusCode";
    let mut from = 0;
    while let Some(at) = text[from..].find(KEY) {
        let start = from + at;
        from = start + KEY.len();
        let before = text[..start].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = text[from..]
            .strip_prefix(['"', '\''])
            .unwrap_or(&text[from..]);
        let Some(rest) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let rest = rest.trim_start();
        let (quote, rest) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => (Some(q), &rest[1..]),
            _ => (None, rest),
        };
        let rest = rest.trim_start();
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let after = rest[digits..].trim_start();
        let closed = match quote {
            Some(q) => after.starts_with(q),
            None => after.is_empty() || after.starts_with([',', '}', '\n', '\r']),
        };
        if digits == 0 || !closed {
            return None;
        }
        return rest[..digits].parse().ok().and_then(valid_status);
    }
    None
}

fn valid_status(status: u16) -> Option<u16> {
    (100..=599).contains(&status).then_some(status)
}

#[cfg(test)]
mod tests;
