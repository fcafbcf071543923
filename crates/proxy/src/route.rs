//! A deployment snapshot compiled for matching, and API Gateway's routing rules over it.
//!
//! A snapshot is the list of an API's resources, each with its full path template (`/pets/{petId}`)
//! and its methods. Matching a request against every template in turn would cost a scan per
//! request, so [`Router::compile`] turns the templates into a tree of segments once per
//! deployment; a request then walks the tree segment by segment.
//!
//! The rules are API Gateway's: the path is compared on its percent-encoded form, as the caller
//! sent it; at each level a literal segment is tried before a `{param}` child, which is tried
//! before a greedy `{name+}` child, and when a more specific branch leads nowhere deeper the walk
//! comes back and tries the next one. Empty segments (a trailing slash, a doubled slash) are
//! skipped, so `/pets/` routes as `/pets`. Once a resource matches, only its own methods count:
//! the exact HTTP method, else `ANY`; a resource without either is no route, and no other
//! resource is tried, because API Gateway routes on the path first and the method second.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use certgate_api::{Method, Resource};

/// The method key that answers every HTTP method a resource does not declare itself.
pub const ANY: &str = "ANY";

/// A snapshot's resources, compiled into a tree of path segments.
#[derive(Debug, Clone, Default)]
pub struct Router {
    /// The tree; `nodes[0]` is the root (`/`).
    nodes: Vec<Node>,
    /// The resources, in the snapshot's order; nodes point into this list.
    entries: Vec<Entry>,
}

/// One resource as the router keeps it: what a hit reports, and its template for
/// [`Router::find_resource`].
#[derive(Debug, Clone)]
struct Entry {
    id: String,
    path: String,
    methods: BTreeMap<String, Method>,
    segments: Vec<Segment>,
}

/// One level of the tree. Literal children are kept sorted for a binary search: a REST API has
/// few children per level and a sorted vector is both compact and quick to search.
#[derive(Debug, Clone, Default)]
struct Node {
    literals: Vec<(String, usize)>,
    param: Option<Child>,
    greedy: Option<Child>,
    /// The resource whose path ends here, if any; a node made only for a deeper resource (in a
    /// snapshot that lacks the intermediate one) matches nothing itself.
    entry: Option<usize>,
}

/// A variable child: the parameter's name (without braces or `+`) and its node.
#[derive(Debug, Clone)]
struct Child {
    name: String,
    node: usize,
}

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

impl Segment {
    fn parse(part: &str) -> Segment {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(inner) => match inner.strip_suffix('+') {
                Some(name) => Segment::Greedy(name.to_string()),
                None => Segment::Param(inner.to_string()),
            },
            None => Segment::Literal(part.to_string()),
        }
    }
}

/// Why a request has no route. Both answer the caller alike (API Gateway's 403 "Missing
/// Authentication Token"); the distinction is for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRoute {
    /// No resource matches the path.
    Path,
    /// A resource matches, but declares neither the method nor `ANY`.
    Method,
}

impl fmt::Display for NoRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoRoute::Path => f.write_str("no resource matches the path"),
            NoRoute::Method => f.write_str("the resource declares neither the method nor ANY"),
        }
    }
}

impl std::error::Error for NoRoute {}

/// A path parameter: its name (as in the template, without `+`) and its percent-decoded value,
/// borrowed from the request's path when it needed no decoding.
pub type PathParam<'a> = (&'a str, Cow<'a, str>);

/// A resource matched by a request's path, before a method is chosen: what
/// [`Router::find_resource`] answers, for TestInvokeMethod, which names the method itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<'a> {
    pub resource_id: &'a str,
    /// The resource's path template, `/pets/{petId}`.
    pub resource_path: &'a str,
    pub path_params: Vec<PathParam<'a>>,
    methods: &'a BTreeMap<String, Method>,
}

impl<'a> Located<'a> {
    /// The method the resource declares under exactly `key` (`GET`, `ANY`), without the `ANY`
    /// fallback: a caller that names a method key means that one.
    pub fn method(&self, key: &str) -> Option<&'a Method> {
        self.methods.get(key)
    }

    /// The method keys the resource declares.
    pub fn method_keys(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.methods.keys().map(String::as_str)
    }

    /// This match with the method declared under exactly `key`.
    pub fn with_method(self, key: &str) -> Result<Found<'a>, NoRoute> {
        let (method_key, method) = self.methods.get_key_value(key).ok_or(NoRoute::Method)?;
        Ok(self.found(method_key, method))
    }

    /// This match with the method a caller's HTTP method routes to: the exact one, else `ANY`.
    pub fn routed(self, http_method: &str) -> Result<Found<'a>, NoRoute> {
        let (method_key, method) = self
            .methods
            .get_key_value(http_method)
            .or_else(|| self.methods.get_key_value(ANY))
            .ok_or(NoRoute::Method)?;
        Ok(self.found(method_key, method))
    }

    fn found(self, method_key: &'a str, method: &'a Method) -> Found<'a> {
        Found {
            resource_id: self.resource_id,
            resource_path: self.resource_path,
            method_key,
            method,
            path_params: self.path_params,
        }
    }
}

/// A routed request: the resource, the method it declares for the request, and the path
/// parameters the request's path gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Found<'a> {
    pub resource_id: &'a str,
    /// The resource's path template, `/pets/{petId}`.
    pub resource_path: &'a str,
    /// The key the method is declared under: the request's HTTP method, or `ANY`.
    pub method_key: &'a str,
    pub method: &'a Method,
    /// `(name, percent-decoded value)`, in the template's order; a greedy parameter's value
    /// keeps its slashes.
    pub path_params: Vec<PathParam<'a>>,
}

impl Found<'_> {
    /// The decoded value of the path parameter `name`.
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.path_params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// Whether `name` is the resource's greedy parameter (`{name+}`), whose value spans segments
    /// and so keeps its slashes when it is put back into a URI.
    pub fn is_greedy(&self, name: &str) -> bool {
        self.resource_path.split('/').any(|part| {
            part.strip_prefix('{')
                .and_then(|p| p.strip_suffix("+}"))
                .is_some_and(|n| n == name)
        })
    }
}

impl Router {
    /// Compiles a snapshot's resources. Resources without a path are skipped, as nothing can
    /// route to them. A snapshot from certgate's own tree rules has at most one variable child
    /// per level; should one have two, the first keeps the level and the resources under the
    /// other are unreachable, and of two resources with the same path the first is kept.
    pub fn compile(resources: &[Resource]) -> Router {
        let mut router = Router {
            nodes: vec![Node::default()],
            entries: Vec::with_capacity(resources.len()),
        };
        for resource in resources {
            let Some(path) = resource.path.as_deref() else {
                continue;
            };
            let segments: Vec<Segment> = path
                .split('/')
                .filter(|p| !p.is_empty())
                .map(Segment::parse)
                .collect();
            let Some(node) = router.place(&segments) else {
                continue;
            };
            if router.nodes[node].entry.is_some() {
                continue;
            }
            router.nodes[node].entry = Some(router.entries.len());
            router.entries.push(Entry {
                id: resource.id.clone().unwrap_or_default(),
                path: path.to_string(),
                methods: resource.resource_methods.clone().unwrap_or_default(),
                segments,
            });
        }
        router
    }

    /// The node for a template, made as needed; `None` when the template conflicts with the tree
    /// (a second variable name at a level, or a segment under a greedy one).
    fn place(&mut self, segments: &[Segment]) -> Option<usize> {
        let mut node = 0;
        let mut after_greedy = false;
        for segment in segments {
            if after_greedy {
                return None;
            }
            node = match segment {
                Segment::Literal(lit) => {
                    match self.nodes[node]
                        .literals
                        .binary_search_by(|(l, _)| l.as_str().cmp(lit))
                    {
                        Ok(i) => self.nodes[node].literals[i].1,
                        Err(i) => {
                            let child = self.new_node();
                            self.nodes[node].literals.insert(i, (lit.clone(), child));
                            child
                        }
                    }
                }
                Segment::Param(name) => self.variable(node, name, false)?,
                Segment::Greedy(name) => {
                    after_greedy = true;
                    self.variable(node, name, true)?
                }
            };
        }
        Some(node)
    }

    fn variable(&mut self, node: usize, name: &str, greedy: bool) -> Option<usize> {
        let existing = if greedy {
            &self.nodes[node].greedy
        } else {
            &self.nodes[node].param
        };
        if let Some(child) = existing {
            return (child.name == name).then_some(child.node);
        }
        let child = self.new_node();
        let slot = Some(Child {
            name: name.to_string(),
            node: child,
        });
        if greedy {
            self.nodes[node].greedy = slot;
        } else {
            self.nodes[node].param = slot;
        }
        Some(child)
    }

    fn new_node(&mut self) -> usize {
        self.nodes.push(Node::default());
        self.nodes.len() - 1
    }

    /// Routes a request: the resource its path matches, then the method (`method` exactly, else
    /// `ANY`). `raw_path` is the path after the stage, still percent-encoded.
    pub fn find<'a>(&'a self, method: &str, raw_path: &'a str) -> Result<Found<'a>, NoRoute> {
        let mut params = Vec::new();
        let entry = self.walk(0, raw_path, &mut params).ok_or(NoRoute::Path)?;
        self.located(entry, params).routed(method)
    }

    /// Matches `raw_path` against one resource's template, for TestInvokeMethod, which names the
    /// resource and gives a concrete path: the path parameters come from the path, and the
    /// method is then chosen by its key with [`Located::with_method`].
    pub fn find_resource<'a>(
        &'a self,
        resource_id: &str,
        raw_path: &'a str,
    ) -> Result<Located<'a>, NoRoute> {
        let entry = self
            .entries
            .iter()
            .position(|e| e.id == resource_id)
            .ok_or(NoRoute::Path)?;
        let mut params = Vec::new();
        if !match_template(&self.entries[entry].segments, raw_path, &mut params) {
            return Err(NoRoute::Path);
        }
        Ok(self.located(entry, params))
    }

    /// The method a resource declares under exactly `key`.
    pub fn method(&self, resource_id: &str, key: &str) -> Option<&Method> {
        self.entries
            .iter()
            .find(|e| e.id == resource_id)
            .and_then(|e| e.methods.get(key))
    }

    /// How many resources the router routes to.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the router routes to no resource at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Decodes the raw values collected by the walk, now that they are known to be kept.
    fn located<'a>(&'a self, entry: usize, mut params: Vec<PathParam<'a>>) -> Located<'a> {
        for (_, value) in params.iter_mut() {
            if let Cow::Borrowed(raw) = value {
                *value = percent_decode(raw);
            }
        }
        let e = &self.entries[entry];
        Located {
            resource_id: &e.id,
            resource_path: &e.path,
            path_params: params,
            methods: &e.methods,
        }
    }

    /// The entry `rest` leads to from `node`, most specific branch first. Parameters are pushed
    /// raw as the walk goes and popped when a branch fails, so a miss decodes nothing; each node
    /// is visited at most once, since a node's depth fixes the segment it is compared with.
    fn walk<'a>(
        &'a self,
        node: usize,
        rest: &'a str,
        params: &mut Vec<PathParam<'a>>,
    ) -> Option<usize> {
        let n = &self.nodes[node];
        let Some((segment, tail)) = next_segment(rest) else {
            return n.entry;
        };
        if let Ok(i) = n
            .literals
            .binary_search_by(|(l, _)| l.as_str().cmp(segment))
        {
            if let Some(hit) = self.walk(n.literals[i].1, tail, params) {
                return Some(hit);
            }
        }
        if let Some(child) = &n.param {
            params.push((&child.name, Cow::Borrowed(segment)));
            if let Some(hit) = self.walk(child.node, tail, params) {
                return Some(hit);
            }
            params.pop();
        }
        if let Some(child) = &n.greedy {
            if let Some(hit) = self.nodes[child.node].entry {
                params.push((&child.name, Cow::Borrowed(greedy_value(rest))));
                return Some(hit);
            }
        }
        None
    }
}

/// Matches one template against a raw path, segment by segment, pushing raw parameter values.
fn match_template<'a>(
    segments: &'a [Segment],
    raw_path: &'a str,
    params: &mut Vec<PathParam<'a>>,
) -> bool {
    let mut rest = raw_path;
    for segment in segments {
        let Some((value, tail)) = next_segment(rest) else {
            return false;
        };
        match segment {
            Segment::Literal(lit) if lit == value => {}
            Segment::Literal(_) => return false,
            Segment::Param(name) => params.push((name, Cow::Borrowed(value))),
            Segment::Greedy(name) => {
                params.push((name, Cow::Borrowed(greedy_value(rest))));
                return true;
            }
        }
        rest = tail;
    }
    next_segment(rest).is_none()
}

/// The next non-empty segment of `rest` and what follows it, or `None` when only slashes remain.
fn next_segment(rest: &str) -> Option<(&str, &str)> {
    let rest = rest.trim_start_matches('/');
    if rest.is_empty() {
        return None;
    }
    Some(match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    })
}

/// A greedy parameter's raw value: the rest of the path from its first segment, slashes inside
/// kept as sent, leading and trailing ones dropped like the empty segments they delimit.
fn greedy_value(rest: &str) -> &str {
    rest.trim_matches('/')
}

/// Decodes `%XX` escapes. A `%` not followed by two hex digits is kept as it is (API Gateway
/// does not refuse such paths), and bytes that do not form UTF-8 become U+FFFD, since parameter
/// values are text. `+` is not a space in a path.
pub fn percent_decode(raw: &str) -> Cow<'_, str> {
    if !raw.contains('%') {
        return Cow::Borrowed(raw);
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
