use std::net::{IpAddr, Ipv4Addr};

use bytes::Bytes;
use certgate_api::{Resource, TlsConfig};
use serde_json::json;

use super::*;
use crate::route::Router;

/// A router with one resource at `path` whose method `key` is `method` (JSON, as in a snapshot).
pub(super) fn router(path: &str, key: &str, method: serde_json::Value) -> Router {
    let resource = Resource {
        id: Some("res1".into()),
        path: Some(path.into()),
        resource_methods: Some(BTreeMap::from([(
            key.to_string(),
            serde_json::from_value(method).unwrap(),
        )])),
        ..Resource::default()
    };
    Router::compile(&[resource])
}

pub(super) fn inbound(method: &str, path: &str, query: Option<&str>) -> Inbound {
    Inbound {
        method: method.parse().unwrap(),
        path: path.into(),
        query: query.map(str::to_string),
        headers: HeaderMap::new(),
        body: Bytes::from_static(b"{\"hello\":1}"),
        source_ip: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7))),
    }
}

fn with_headers(mut i: Inbound, pairs: &[(&str, &str)]) -> Inbound {
    for (n, v) in pairs {
        i.headers.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    i
}

fn variables(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn ctx(vars: &BTreeMap<String, String>) -> Context<'_> {
    Context {
        api_id: "api123",
        stage: "prod",
        stage_variables: vars,
        request_id: "req-1",
        trace_id: "Root=1-abc",
    }
}

/// Routes and plans `inbound` against `router` with stage variables `vars`.
pub(super) fn run(
    router: &Router,
    inbound: &Inbound,
    vars: &[(&str, &str)],
) -> Result<Plan<'static>, Failure> {
    let vars = variables(vars);
    let found = router.find(inbound.method.as_str(), &inbound.path).unwrap();
    // The plan borrows the router; tests leak one so results can outlive the helper.
    let plan = plan(&found, inbound, &ctx(&vars))?;
    Ok(match plan {
        Plan::Mock(reply) => Plan::Mock(reply),
        Plan::Forward(f) => Plan::Forward(Forward {
            integration: Box::leak(Box::new(f.integration.clone())),
            ..f
        }),
    })
}

fn forwarded(router: &Router, inbound: &Inbound, vars: &[(&str, &str)]) -> Forward<'static> {
    match run(router, inbound, vars).unwrap() {
        Plan::Forward(f) => f,
        Plan::Mock(r) => panic!("a mock reply: {r:?}"),
    }
}

pub(super) fn failure(router: &Router, inbound: &Inbound) -> Failure {
    match run(router, inbound, &[]) {
        Err(f) => f,
        Ok(p) => panic!("planned: {p:?}"),
    }
}

pub(super) fn proxy(uri: &str) -> serde_json::Value {
    json!({"httpMethod": "ANY", "authorizationType": "NONE",
           "methodIntegration": {"type": "HTTP_PROXY", "httpMethod": "ANY", "uri": uri}})
}

pub(super) fn values<'a>(m: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    m.get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

#[test]
fn authorization_other_than_none_is_forbidden() {
    for method in [
        json!({"authorizationType": "AWS_IAM", "methodIntegration": {"type": "MOCK"}}),
        json!({"authorizationType": "CUSTOM", "authorizerId": "a", "methodIntegration": {"type": "MOCK"}}),
        json!({"authorizationType": "COGNITO_USER_POOLS", "methodIntegration": {"type": "MOCK"}}),
        json!({"authorizationType": "NONE", "apiKeyRequired": true, "methodIntegration": {"type": "MOCK"}}),
        json!({"apiKeyRequired": true}),
    ] {
        let r = router("/", "GET", method.clone());
        assert_eq!(
            failure(&r, &inbound("GET", "/", None)),
            Failure::Forbidden,
            "{method}"
        );
    }
}

#[test]
fn no_integration_is_internal() {
    for method in [
        json!({}),
        json!({"authorizationType": "NONE", "apiKeyRequired": false}),
    ] {
        let r = router("/", "GET", method);
        assert!(matches!(
            failure(&r, &inbound("GET", "/", None)),
            Failure::Internal(_)
        ));
    }
}

#[test]
fn unsupported_integration_types_are_internal() {
    for kind in ["AWS", "AWS_PROXY", "SOMETHING"] {
        let r = router(
            "/",
            "GET",
            json!({"methodIntegration": {"type": kind, "uri": "http://x/"}}),
        );
        let Failure::Internal(cause) = failure(&r, &inbound("GET", "/", None)) else {
            panic!("{kind}");
        };
        assert!(
            cause.contains(kind) && cause.contains("not supported"),
            "{cause}"
        );
    }
    let r = router(
        "/",
        "GET",
        json!({"methodIntegration": {"uri": "http://x/"}}),
    );
    assert!(matches!(
        failure(&r, &inbound("GET", "/", None)),
        Failure::Internal(_)
    ));
    let r = router(
        "/",
        "GET",
        json!({"methodIntegration": {"type": "HTTP_PROXY", "uri": "http://x/", "connectionType": "VPC_LINK"}}),
    );
    assert!(matches!(
        failure(&r, &inbound("GET", "/", None)),
        Failure::Internal(_)
    ));
}

#[test]
fn proxy_forwards_method_path_query_headers_and_body() {
    let r = router(
        "/{proxy+}",
        "ANY",
        proxy("https://backend.example:8443/base/{proxy}"),
    );
    let i = with_headers(
        inbound("POST", "/a%20b/c", Some("x=1&x=2&y")),
        &[
            ("host", "gw.example"),
            ("content-type", "application/json"),
            ("content-length", "11"),
            ("x-multi", "1"),
            ("x-multi", "2"),
            ("connection", "keep-alive"),
        ],
    );
    let f = forwarded(&r, &i, &[]);
    assert!(f.proxy);
    assert_eq!(f.request.method, http::Method::POST);
    assert_eq!(
        f.request.uri.to_string(),
        "https://backend.example:8443/base/a%20b/c?x=1&x=2&y"
    );
    let h = &f.request.headers;
    assert!(h.get("host").is_none());
    assert!(h.get("content-length").is_none());
    assert!(h.get("connection").is_none());
    assert_eq!(values(h, "x-multi"), ["1", "2"]);
    assert_eq!(values(h, "content-type"), ["application/json"]);
    assert_eq!(values(h, "x-amzn-trace-id"), ["Root=1-abc"]);
    assert_eq!(values(h, "x-amzn-apigateway-api-id"), ["api123"]);
    assert_eq!(values(h, "x-forwarded-for"), ["192.0.2.7"]);
    assert_eq!(f.request.body, i.body);
    assert_eq!(f.timeout, Duration::from_millis(29_000));
    assert!(!f.insecure_skip_verification);
    assert_eq!(f.integration.r#type.as_deref(), Some("HTTP_PROXY"));
}

#[test]
fn proxy_method_is_the_integrations_unless_any() {
    let mut m = proxy("http://b/");
    let r = router("/", "ANY", m.clone());
    assert_eq!(
        forwarded(&r, &inbound("PATCH", "/", None), &[])
            .request
            .method,
        "PATCH"
    );
    m["methodIntegration"]
        .as_object_mut()
        .unwrap()
        .remove("httpMethod");
    let r = router("/", "ANY", m.clone());
    assert_eq!(
        forwarded(&r, &inbound("DELETE", "/", None), &[])
            .request
            .method,
        "DELETE"
    );
    m["methodIntegration"]["httpMethod"] = json!("PUT");
    let r = router("/", "ANY", m.clone());
    assert_eq!(
        forwarded(&r, &inbound("GET", "/", None), &[])
            .request
            .method,
        "PUT"
    );
    m["methodIntegration"]["httpMethod"] = json!("NOT A METHOD");
    let r = router("/", "ANY", m);
    assert!(matches!(
        failure(&r, &inbound("GET", "/", None)),
        Failure::Internal(_)
    ));
}

#[test]
fn trace_and_api_id_replace_the_callers() {
    let r = router("/", "GET", proxy("http://b/"));
    let i = with_headers(
        inbound("GET", "/", None),
        &[
            ("x-amzn-trace-id", "forged"),
            ("x-amzn-apigateway-api-id", "other"),
        ],
    );
    let f = forwarded(&r, &i, &[]);
    assert_eq!(
        values(&f.request.headers, "x-amzn-trace-id"),
        ["Root=1-abc"]
    );
    assert_eq!(
        values(&f.request.headers, "x-amzn-apigateway-api-id"),
        ["api123"]
    );
}

#[test]
fn forwarded_for_appends_the_callers_address() {
    let r = router("/", "GET", proxy("http://b/"));
    let i = with_headers(
        inbound("GET", "/", None),
        &[
            ("x-forwarded-for", "203.0.113.1, 203.0.113.2"),
            ("x-forwarded-for", "198.51.100.3"),
        ],
    );
    let f = forwarded(&r, &i, &[]);
    assert_eq!(
        values(&f.request.headers, "x-forwarded-for"),
        ["203.0.113.1, 203.0.113.2, 198.51.100.3, 192.0.2.7"]
    );
    // Without a known address the caller's list passes unchanged.
    let mut i = with_headers(
        inbound("GET", "/", None),
        &[("x-forwarded-for", "203.0.113.1")],
    );
    i.source_ip = None;
    let f = forwarded(&r, &i, &[]);
    assert_eq!(
        values(&f.request.headers, "x-forwarded-for"),
        ["203.0.113.1"]
    );
}

#[test]
fn stage_variables_are_substituted_and_missing_ones_are_empty() {
    let r = router(
        "/",
        "GET",
        proxy("https://${stageVariables.host}/${stageVariables.prefix}v1${stageVariables.none}/x"),
    );
    let f = forwarded(
        &r,
        &inbound("GET", "/", None),
        &[("host", "api.example:9000"), ("prefix", "p/")],
    );
    assert_eq!(f.request.uri.to_string(), "https://api.example:9000/p/v1/x");
    // An unclosed reference is left as written (and here makes an invalid URI).
    assert_eq!(
        substitute_stage_variables("a${stageVariables.b", &BTreeMap::new()),
        "a${stageVariables.b"
    );
}

#[test]
fn a_host_from_a_missing_stage_variable_is_internal() {
    let r = router("/", "GET", proxy("https://${stageVariables.host}/x"));
    assert!(matches!(
        failure(&r, &inbound("GET", "/", None)),
        Failure::Internal(_)
    ));
}

#[test]
fn proxy_placeholders_fill_from_same_named_path_parameters() {
    let r = router(
        "/pets/{petId}/{rest+}",
        "ANY",
        proxy("http://b/p/{petId}/r/{rest}"),
    );
    let f = forwarded(&r, &inbound("GET", "/pets/a%2Fb/x/y%3Fz/", None), &[]);
    // A single parameter's slash stays escaped, a greedy one's segments stay segments.
    assert_eq!(f.request.uri.to_string(), "http://b/p/a%2Fb/r/x/y%3Fz");
    let r = router("/{proxy+}", "ANY", proxy("http://b/{proxy+}"));
    let f = forwarded(&r, &inbound("GET", "/%C3%A9/~!$&'()*+,;=:@%25", None), &[]);
    assert_eq!(
        f.request.uri.to_string(),
        "http://b/%C3%A9/~!$&'()*+,;=:@%25"
    );
}

#[test]
fn an_unmapped_placeholder_without_a_parameter_is_internal() {
    let r = router("/x", "GET", proxy("http://b/{id}"));
    let Failure::Internal(cause) = failure(&r, &inbound("GET", "/x", None)) else {
        panic!();
    };
    assert!(cause.contains("{id}"), "{cause}");
}

#[test]
fn request_parameters_map_path_query_and_headers_in_proxy() {
    let mut m = proxy("http://b/items/{item}/{all}/{s}/{v}?fixed=1");
    m["methodIntegration"]["requestParameters"] = json!({
        "integration.request.path.item": "method.request.path.id",
        "integration.request.path.all": "method.request.path.proxy",
        "integration.request.path.s": "'st atic'",
        "integration.request.path.v": "stageVariables.version",
        "integration.request.querystring.q": "method.request.header.X-Q",
        "integration.request.querystring.from": "method.request.querystring.src",
        "integration.request.querystring.absent": "method.request.querystring.nope",
        "integration.request.header.X-Id": "method.request.path.id",
        "integration.request.header.X-Stage": "context.stage",
        "integration.request.header.X-Req": "context.requestId",
        "integration.request.header.X-Src": "method.request.querystring.src",
        "integration.request.header.X-Missing": "method.request.header.Nope",
        "integration.request.header.X-Ip": "context.identity.sourceIp",
    });
    let r = router("/things/{id}/{proxy+}", "ANY", m);
    let i = with_headers(
        inbound(
            "GET",
            "/things/7/a/b",
            Some("src=one&src=t%26wo+2&keep=yes"),
        ),
        &[("x-q", "first"), ("x-q", "a b&c")],
    );
    let f = forwarded(&r, &i, &[("version", "v2")]);
    assert_eq!(
        f.request.uri.to_string(),
        "http://b/items/7/a/b/st%20atic/v2?fixed=1&src=one&src=t%26wo+2&keep=yes&from=t%26wo%202&q=a%20b%26c"
    );
    let h = &f.request.headers;
    assert_eq!(values(h, "x-id"), ["7"]);
    assert_eq!(values(h, "x-stage"), ["prod"]);
    assert_eq!(values(h, "x-req"), ["req-1"]);
    assert_eq!(values(h, "x-src"), ["t&wo 2"]);
    assert_eq!(values(h, "x-ip"), ["192.0.2.7"]);
    assert!(h.get("x-missing").is_none());
    // The caller's own headers still pass in proxy.
    assert_eq!(values(h, "x-q"), ["first", "a b&c"]);
}

#[test]
fn a_mapped_query_parameter_replaces_the_callers() {
    let mut m = proxy("http://b/");
    m["methodIntegration"]["requestParameters"] = json!({
        "integration.request.querystring.v": "'2'",
        "integration.request.header.Accept": "'text/plain'",
    });
    let r = router("/", "GET", m);
    let i = with_headers(
        inbound("GET", "/", Some("v=1&w=1&v=3")),
        &[("accept", "*/*")],
    );
    let f = forwarded(&r, &i, &[]);
    assert_eq!(f.request.uri.to_string(), "http://b/?w=1&v=2");
    assert_eq!(values(&f.request.headers, "accept"), ["text/plain"]);
}

#[test]
fn a_mapped_path_parameter_without_a_value_is_empty() {
    let mut m = proxy("http://b/x/{a}/y");
    m["methodIntegration"]["requestParameters"] =
        json!({"integration.request.path.a": "method.request.querystring.a"});
    let r = router("/", "GET", m);
    let f = forwarded(&r, &inbound("GET", "/", None), &[]);
    assert_eq!(f.request.uri.to_string(), "http://b/x//y");
}

#[test]
fn unsupported_parameter_expressions_are_internal() {
    for (target, source) in [
        ("integration.request.header.X", "method.request.body.name"),
        (
            "integration.request.header.X",
            "context.authorizer.principalId",
        ),
        ("integration.request.multivaluequerystring.x", "'a'"),
        ("integration.request.header.Bad Name", "'a'"),
    ] {
        let mut m = proxy("http://b/");
        m["methodIntegration"]["requestParameters"] = json!({ target: source });
        let r = router("/", "GET", m);
        assert!(
            matches!(
                failure(&r, &inbound("GET", "/", None)),
                Failure::Internal(_)
            ),
            "{target} {source}"
        );
    }
}

#[test]
fn query_merging() {
    let r = router("/", "GET", proxy("http://b/path?a=1&b=2"));
    let f = forwarded(&r, &inbound("GET", "/", Some("c=3&a=4")), &[]);
    assert_eq!(f.request.uri.to_string(), "http://b/path?a=1&b=2&c=3&a=4");
    let f = forwarded(&r, &inbound("GET", "/", Some("")), &[]);
    assert_eq!(f.request.uri.to_string(), "http://b/path?a=1&b=2");
    let r = router("/", "GET", proxy("http://b/path"));
    let f = forwarded(&r, &inbound("GET", "/", None), &[]);
    assert_eq!(f.request.uri.to_string(), "http://b/path");
    // Empty pairs are dropped; what a URI may not hold is escaped, the rest passes as sent.
    let f = forwarded(&r, &inbound("GET", "/", Some("&a=%41&&b=\"x|y\"&")), &[]);
    assert_eq!(
        f.request.uri.to_string(),
        "http://b/path?a=%41&b=%22x%7Cy%22"
    );
    // A fragment in the integration URI is not sent.
    let r = router("/", "GET", proxy("http://b/p?x=1#frag"));
    let f = forwarded(&r, &inbound("GET", "/", Some("y=2")), &[]);
    assert_eq!(f.request.uri.to_string(), "http://b/p?x=1&y=2");
}

#[test]
fn the_uri_must_be_absolute_http() {
    for uri in [
        "ftp://b/x",
        "/relative",
        "b/x",
        "arn:aws:apigateway:us-east-1:lambda:path/x",
        "http://b/{not valid}",
        "http:///nohost",
        "",
    ] {
        let r = router("/", "GET", proxy(uri));
        assert!(
            matches!(
                failure(&r, &inbound("GET", "/", None)),
                Failure::Internal(_)
            ),
            "{uri}"
        );
    }
    let r = router(
        "/",
        "GET",
        json!({"methodIntegration": {"type": "HTTP_PROXY"}}),
    );
    assert!(matches!(
        failure(&r, &inbound("GET", "/", None)),
        Failure::Internal(_)
    ));
    let r = router("/", "GET", proxy("HTTP://b/x"));
    assert_eq!(
        forwarded(&r, &inbound("GET", "/", None), &[])
            .request
            .uri
            .to_string(),
        "http://b/x"
    );
}

#[test]
fn timeout_defaults_and_clamps() {
    for (set, want) in [
        (None, 29_000),
        (Some(1_000), 1_000),
        (Some(50), 50),
        (Some(10), 50),
        (Some(-5), 50),
        (Some(29_000), 29_000),
        (Some(60_000), 29_000),
    ] {
        let mut m = proxy("http://b/");
        if let Some(ms) = set {
            m["methodIntegration"]["timeoutInMillis"] = json!(ms);
        }
        let r = router("/", "GET", m);
        assert_eq!(
            forwarded(&r, &inbound("GET", "/", None), &[]).timeout,
            Duration::from_millis(want),
            "{set:?}"
        );
    }
}

#[test]
fn tls_config_skip_verification() {
    let mut m = proxy("https://b/");
    m["methodIntegration"]["tlsConfig"] = serde_json::to_value(TlsConfig {
        insecure_skip_verification: Some(true),
    })
    .unwrap();
    let r = router("/", "GET", m);
    assert!(forwarded(&r, &inbound("GET", "/", None), &[]).insecure_skip_verification);
}

pub(super) fn http(extra: serde_json::Value) -> serde_json::Value {
    let mut integration = json!({"type": "HTTP", "httpMethod": "POST", "uri": "http://b/api?k=v"});
    for (k, v) in extra.as_object().unwrap() {
        integration[k] = v.clone();
    }
    json!({"authorizationType": "NONE", "methodIntegration": integration})
}

#[test]
fn http_sends_only_mapped_headers_and_query() {
    let r = router(
        "/{id}",
        "GET",
        http(json!({"requestParameters": {
            "integration.request.header.X-Id": "method.request.path.id",
            "integration.request.querystring.q": "method.request.querystring.q",
        }})),
    );
    let i = with_headers(
        inbound("GET", "/9", Some("q=1&other=2")),
        &[
            ("content-type", "application/json"),
            ("x-caller", "1"),
            ("authorization", "t"),
        ],
    );
    let f = forwarded(&r, &i, &[]);
    assert!(!f.proxy);
    assert_eq!(f.request.method, http::Method::POST);
    assert_eq!(f.request.uri.to_string(), "http://b/api?k=v&q=1");
    let h = &f.request.headers;
    let mut names: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "content-type",
            "x-amzn-apigateway-api-id",
            "x-amzn-trace-id",
            "x-id"
        ]
    );
    assert_eq!(values(h, "x-id"), ["9"]);
    assert_eq!(f.request.body, i.body);
    // Without a content type from the caller, none is sent.
    let f = forwarded(&r, &inbound("GET", "/9", None), &[]);
    assert!(f.request.headers.get("content-type").is_none());
    assert_eq!(f.request.uri.to_string(), "http://b/api?k=v");
}

#[test]
fn http_unmapped_placeholder_is_internal_even_with_a_same_named_parameter() {
    let mut m = http(json!({}));
    m["methodIntegration"]["uri"] = json!("http://b/{id}");
    let r = router("/{id}", "GET", m);
    assert!(matches!(
        failure(&r, &inbound("GET", "/1", None)),
        Failure::Internal(_)
    ));
}

#[test]
fn http_passthrough_decides_the_body() {
    let json_ct = [("content-type", "application/json")];
    // No templates: WHEN_NO_MATCH passes, NEVER refuses.
    let r = router("/", "GET", http(json!({})));
    let f = forwarded(&r, &with_headers(inbound("GET", "/", None), &json_ct), &[]);
    assert_eq!(&f.request.body[..], b"{\"hello\":1}");
    let r = router("/", "GET", http(json!({"passthroughBehavior": "NEVER"})));
    assert_eq!(
        failure(&r, &inbound("GET", "/", None)),
        Failure::UnsupportedMediaType
    );
    // A template for the content type would transform the body: not supported.
    let r = router(
        "/",
        "GET",
        http(json!({"requestTemplates": {"application/json": "{\"x\": $input.body}"}})),
    );
    let Failure::Internal(cause) = failure(&r, &with_headers(inbound("GET", "/", None), &json_ct))
    else {
        panic!();
    };
    assert!(cause.contains("mapping templates"), "{cause}");
    // Templates, none for text/plain: WHEN_NO_TEMPLATES refuses, WHEN_NO_MATCH passes.
    let plain = with_headers(inbound("GET", "/", None), &[("content-type", "text/plain")]);
    let r = router(
        "/",
        "GET",
        http(json!({"passthroughBehavior": "WHEN_NO_TEMPLATES",
                    "requestTemplates": {"application/json": "x"}})),
    );
    assert_eq!(failure(&r, &plain), Failure::UnsupportedMediaType);
    let r = router(
        "/",
        "GET",
        http(json!({"requestTemplates": {"application/json": "x"}})),
    );
    assert_eq!(forwarded(&r, &plain, &[]).request.body, plain.body);
    // An empty template passes.
    let r = router(
        "/",
        "GET",
        http(json!({"requestTemplates": {"application/json": ""}})),
    );
    assert_eq!(
        forwarded(&r, &inbound("GET", "/", None), &[]).request.body,
        plain.body
    );
}

#[test]
fn failures_display() {
    assert_eq!(Failure::Forbidden.to_string(), "forbidden");
    assert_eq!(
        Failure::UnsupportedMediaType.to_string(),
        "unsupported media type"
    );
    assert_eq!(
        Failure::Internal("why".into()).to_string(),
        "internal error: why"
    );
}
