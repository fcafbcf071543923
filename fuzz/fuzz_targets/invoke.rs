//! The data plane's pure part on anything a caller or a backend can send: the URL forms, routing
//! on a snapshot (a fixed one with every kind of template, and one built from the input's own
//! path templates), the plans of HTTP_PROXY, HTTP and MOCK integrations with parameter mappings
//! and selection patterns, and the way back. Each ends in a plan, an answer or an API Gateway
//! error, never a panic.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use bytes::Bytes;
use certgate_api::Resource;
use certgate_proxy::plan::{self, Context, Plan};
use certgate_proxy::route::Router;
use certgate_proxy::{target, BackendResponse, Inbound};
use libfuzzer_sys::fuzz_target;

const METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"];

/// Prefixes that reach each resource of the fixed snapshot, so that the input's path is tried
/// where it routes and not only where it is refused.
const SEEDS: [&str; 6] = [
    "",
    "/pets",
    "/pets/",
    "/pets/7/toys/",
    "/files/a%2Fb/",
    "/x/",
];

/// Resources with literal, variable and greedy parts, and integrations of each type whose
/// mappings take every kind of source.
const SNAPSHOT: &str = r#"[
  {"id":"r0","path":"/"},
  {"id":"r1","path":"/pets","resourceMethods":{
    "GET":{"httpMethod":"GET","authorizationType":"NONE","methodResponses":{"200":{"statusCode":"200"},"404":{"statusCode":"404"}},
      "methodIntegration":{"type":"HTTP","httpMethod":"GET","uri":"https://backend.example/pets?static=1",
        "requestParameters":{"integration.request.querystring.q":"method.request.querystring.q",
          "integration.request.header.X-Id":"context.requestId","integration.request.header.X-V":"stageVariables.v"},
        "passthroughBehavior":"WHEN_NO_TEMPLATES","requestTemplates":{"text/plain":""},
        "integrationResponses":{"200":{"statusCode":"200","responseParameters":{"method.response.header.X-Up":"integration.response.header.X-Up","method.response.header.X-S":"'static'"}},
          "404":{"statusCode":"404","selectionPattern":"4\\d{2}|(?i)nope|[unclosed"}}}},
    "POST":{"httpMethod":"POST","authorizationType":"NONE","methodResponses":{"201":{"statusCode":"201"}},
      "methodIntegration":{"type":"MOCK","requestTemplates":{"application/json":"{\"statusCode\": 201}"},
        "integrationResponses":{"201":{"statusCode":"201","responseTemplates":{"application/json":"{\"made\": true}"}}}}}}},
  {"id":"r2","path":"/pets/{id}","resourceMethods":{
    "ANY":{"httpMethod":"ANY","authorizationType":"NONE",
      "methodIntegration":{"type":"HTTP_PROXY","httpMethod":"ANY","uri":"https://backend.example:8443/${stageVariables.base}/pets/{id}/{other}",
        "requestParameters":{"integration.request.path.id":"method.request.path.id","integration.request.path.other":"method.request.header.X-Other"},
        "timeoutInMillis":1000,"tlsConfig":{"insecureSkipVerification":true}}}}},
  {"id":"r3","path":"/pets/{id}/toys/{toy}","resourceMethods":{
    "DELETE":{"httpMethod":"DELETE","authorizationType":"AWS_IAM"}}},
  {"id":"r4","path":"/files/{path+}","resourceMethods":{
    "ANY":{"httpMethod":"ANY","authorizationType":"NONE",
      "methodIntegration":{"type":"HTTP_PROXY","httpMethod":"ANY","uri":"http://backend.example/{path}"}}}},
  {"id":"r5","path":"/{proxy+}","resourceMethods":{
    "ANY":{"httpMethod":"ANY","authorizationType":"NONE",
      "methodIntegration":{"type":"HTTP_PROXY","httpMethod":"POST","uri":"https://backend.example/{proxy}",
        "requestParameters":{"integration.request.path.proxy":"method.request.path.proxy"}}}}},
  {"id":"r6","path":"/lambda","resourceMethods":{
    "GET":{"httpMethod":"GET","authorizationType":"NONE","methodIntegration":{"type":"AWS_PROXY","uri":"arn:aws:lambda:x"}}}}
]"#;

fn fixed() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let resources: Vec<Resource> = serde_json::from_str(SNAPSHOT).expect("the fixed snapshot");
        Router::compile(&resources)
    })
}

/// `name: value` lines as a header map, the ones HTTP can carry.
fn headers(blob: &str) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for line in blob.lines() {
        if let Some((name, value)) = line.split_once(':') {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.trim().as_bytes()),
                http::HeaderValue::from_str(value.trim()),
            ) {
                map.append(name, value);
            }
        }
    }
    map
}

fn run(router: &Router, method: &str, inbound: &Inbound, backend: &BackendResponse) {
    let Ok(found) = router.find(method, &inbound.path) else {
        return;
    };
    let variables: BTreeMap<String, String> = [
        ("v".to_string(), "1".to_string()),
        ("base".to_string(), "b/c".to_string()),
    ]
    .into();
    let ctx = Context {
        api_id: "abc123defg",
        stage: "test",
        stage_variables: &variables,
        request_id: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        trace_id: "Root=1-00000000-000000000000000000000000",
    };
    match plan::plan(&found, inbound, &ctx) {
        Ok(Plan::Forward(forward)) => {
            assert!(
                forward.request.uri.scheme().is_some(),
                "a plan's URI is absolute"
            );
            let _ = plan::respond(
                found.method,
                forward.integration,
                backend.clone(),
                forward.proxy,
            );
        }
        Ok(Plan::Mock(_)) | Err(_) => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\u{1}');
    let host = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("/");
    let query = parts.next();
    let request_headers = headers(parts.next().unwrap_or(""));
    let backend_headers = headers(parts.next().unwrap_or(""));
    let templates = parts.next().unwrap_or("");
    let status = data.first().map_or(200, |b| 100 + u16::from(*b) * 2);

    let _ = target::target(Some(host), path);
    let inbound = Inbound {
        method: http::Method::GET,
        path: if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        },
        query: query.map(str::to_string),
        headers: request_headers,
        body: Bytes::from(text.as_bytes().to_vec()),
        source_ip: Some(std::net::IpAddr::from([127, 0, 0, 1])),
    };
    let backend = BackendResponse {
        status,
        headers: backend_headers,
        body: Bytes::from_static(b"{}"),
        version: http::Version::HTTP_11,
    };
    let seed = SEEDS[usize::from(data.get(1).copied().unwrap_or(0)) % SEEDS.len()];
    for method in METHODS {
        let mut inbound = inbound.clone();
        inbound.method = http::Method::from_bytes(method.as_bytes()).unwrap_or(http::Method::GET);
        run(fixed(), method, &inbound, &backend);
        inbound.path = format!("{seed}{}", inbound.path.trim_start_matches('/'));
        if !inbound.path.starts_with('/') {
            inbound.path.insert(0, '/');
        }
        run(fixed(), method, &inbound, &backend);
    }
    // The input as the templates and patterns an API's author writes: MOCK's status, and a
    // selection pattern matched against a status.
    let written: BTreeMap<String, String> =
        [("application/json".to_string(), templates.to_string())].into();
    let _ = certgate_proxy::select::mock_status(Some(&written), Some(host));
    let _ = certgate_proxy::select::pattern_matches(templates, path);
    // A snapshot of the input's own templates, each an HTTP_PROXY to its path.
    let resources: Vec<Resource> = templates
        .split(',')
        .take(16)
        .enumerate()
        .filter_map(|(n, template)| {
            let json = serde_json::json!({
                "id": format!("t{n}"),
                "path": template,
                "resourceMethods": {"ANY": {"httpMethod": "ANY", "authorizationType": "NONE",
                    "methodIntegration": {"type": "HTTP_PROXY", "httpMethod": "ANY",
                        "uri": format!("https://backend.example{template}")}}}
            });
            serde_json::from_value(json).ok()
        })
        .collect();
    run(&Router::compile(&resources), "GET", &inbound, &backend);
});
