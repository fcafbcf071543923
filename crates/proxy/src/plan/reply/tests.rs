use std::collections::BTreeMap;

use certgate_api::MethodResponse;
use http::HeaderName;
use serde_json::json;

use super::*;
use crate::plan::tests::{failure, http, inbound, proxy, router, run, values};
use crate::plan::Plan;
use crate::route::Router;
use crate::Inbound;

fn mock(extra: serde_json::Value) -> serde_json::Value {
    let mut method = json!({
        "methodResponses": {"200": {"statusCode": "200"}, "404": {"statusCode": "404"}},
        "methodIntegration": {
            "type": "MOCK",
            "integrationResponses": {
                "200": {"statusCode": "200",
                        "responseTemplates": {"application/json": "{\"ok\": true}"},
                        "responseParameters": {
                            "method.response.header.Access-Control-Allow-Origin": "'*'",
                            "method.response.header.X-From-Backend": "integration.response.header.X"}},
                "404": {"statusCode": "404", "selectionPattern": "404"}
            }
        }
    });
    for (k, v) in extra.as_object().unwrap() {
        method["methodIntegration"][k] = v.clone();
    }
    method
}

fn mocked(router: &Router, inbound: &Inbound) -> Reply {
    match run(router, inbound, &[]).unwrap() {
        Plan::Mock(reply) => reply,
        Plan::Forward(f) => panic!("forwarded: {f:?}"),
    }
}

#[test]
fn mock_answers_its_integration_response() {
    let r = router("/", "OPTIONS", mock(json!({})));
    let reply = mocked(&r, &inbound("OPTIONS", "/", None));
    assert_eq!(reply.status, 200);
    assert_eq!(&reply.body[..], b"{\"ok\": true}");
    assert_eq!(values(&reply.headers, "content-type"), ["application/json"]);
    assert_eq!(values(&reply.headers, "access-control-allow-origin"), ["*"]);
    assert!(reply.headers.get("x-from-backend").is_none());
    assert_eq!(reply.headers.len(), 2);
}

#[test]
fn mock_status_selects_the_response() {
    let r = router(
        "/",
        "GET",
        mock(json!({"requestTemplates": {"application/json": "{\"statusCode\": 404}"}})),
    );
    let reply = mocked(&r, &inbound("GET", "/", None));
    assert_eq!(reply.status, 404);
    assert!(reply.body.is_empty());
    assert_eq!(values(&reply.headers, "content-type"), ["application/json"]);
    // 500 selects the default (200) response here, as AWS would.
    let r = router(
        "/",
        "GET",
        mock(json!({"requestTemplates": {"application/json": "{\"statusCode\": 500}"}})),
    );
    assert_eq!(mocked(&r, &inbound("GET", "/", None)).status, 200);
}

#[test]
fn mock_with_an_unreadable_status_is_internal() {
    let r = router(
        "/",
        "GET",
        mock(json!({"requestTemplates": {"application/json": "{\"statusCode\": $x}"}})),
    );
    let Failure::Internal(cause) = failure(&r, &inbound("GET", "/", None)) else {
        panic!();
    };
    assert!(cause.contains("statusCode"), "{cause}");
}

fn method_of(json: serde_json::Value) -> Method {
    serde_json::from_value(json).unwrap()
}

#[test]
fn mock_reply_needs_a_response_and_its_method_response() {
    let m = method_of(mock(json!({})));
    let integration = m.method_integration.clone().unwrap();
    let mut no_method_responses = m.clone();
    no_method_responses.method_responses = Some(BTreeMap::from([(
        "404".to_string(),
        MethodResponse::default(),
    )]));
    assert!(matches!(
        mock_reply(&no_method_responses, &integration, 200),
        Err(Failure::Internal(_))
    ));
    let mut no_responses = integration.clone();
    no_responses.integration_responses = None;
    assert!(matches!(
        mock_reply(&m, &no_responses, 200),
        Err(Failure::Internal(_))
    ));
    let mut bad_status = integration.clone();
    if let Some(r) = bad_status.integration_responses.as_mut() {
        r.insert(
            "200".into(),
            IntegrationResponse {
                status_code: Some("2000".into()),
                ..IntegrationResponse::default()
            },
        );
    }
    let mut m2 = m.clone();
    m2.method_responses
        .as_mut()
        .unwrap()
        .insert("2000".into(), MethodResponse::default());
    assert!(matches!(
        mock_reply(&m2, &bad_status, 200),
        Err(Failure::Internal(_))
    ));
}

#[test]
fn mock_reply_takes_the_only_template_and_its_type() {
    let m = method_of(mock(json!({})));
    let mut integration = m.method_integration.clone().unwrap();
    let response = integration
        .integration_responses
        .as_mut()
        .unwrap()
        .get_mut("200")
        .unwrap();
    response.response_templates = Some(BTreeMap::from([(
        "text/html".to_string(),
        "<p>hi</p>".to_string(),
    )]));
    response.response_parameters = Some(BTreeMap::from([(
        "method.response.header.Content-Type".to_string(),
        "'text/html; charset=utf-8'".to_string(),
    )]));
    let reply = mock_reply(&m, &integration, 200).unwrap();
    assert_eq!(&reply.body[..], b"<p>hi</p>");
    assert_eq!(
        values(&reply.headers, "content-type"),
        ["text/html; charset=utf-8"]
    );
    let response = integration
        .integration_responses
        .as_mut()
        .unwrap()
        .get_mut("200")
        .unwrap();
    response.response_parameters = None;
    response.response_templates = Some(BTreeMap::from([
        ("text/html".to_string(), "a".to_string()),
        ("text/plain".to_string(), "b".to_string()),
    ]));
    let reply = mock_reply(&m, &integration, 200).unwrap();
    assert!(reply.body.is_empty());
    assert_eq!(values(&reply.headers, "content-type"), ["application/json"]);
}

fn backend(status: u16, headers: &[(&str, &str)], body: &'static str) -> BackendResponse {
    let mut map = HeaderMap::new();
    for (n, v) in headers {
        map.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    BackendResponse {
        status,
        headers: map,
        body: Bytes::from_static(body.as_bytes()),
        version: http::Version::HTTP_11,
    }
}

#[test]
fn proxy_respond_passes_the_answer_under_header_rules() {
    let m = method_of(proxy("http://b/"));
    let integration = m.method_integration.clone().unwrap();
    let reply = respond(
        &m,
        &integration,
        backend(
            418,
            &[
                ("content-type", "text/plain"),
                ("content-length", "5"),
                ("date", "Mon"),
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2"),
            ],
            "teapot",
        ),
        true,
    )
    .unwrap();
    assert_eq!(reply.status, 418);
    assert_eq!(&reply.body[..], b"teapot");
    assert_eq!(values(&reply.headers, "content-type"), ["text/plain"]);
    assert!(reply.headers.get("content-length").is_none());
    assert!(reply.headers.get("date").is_none());
    assert_eq!(values(&reply.headers, "x-amzn-remapped-date"), ["Mon"]);
    assert_eq!(values(&reply.headers, "set-cookie"), ["a=1", "b=2"]);
}

fn http_method(responses: serde_json::Value, method_responses: &[&str]) -> (Method, Integration) {
    let mut m = method_of(http(json!({"integrationResponses": responses})));
    m.method_responses = Some(
        method_responses
            .iter()
            .map(|s| (s.to_string(), MethodResponse::default()))
            .collect(),
    );
    let integration = m.method_integration.clone().unwrap();
    (m, integration)
}

#[test]
fn http_respond_selects_maps_and_keeps_the_body() {
    let (m, i) = http_method(
        json!({
            "200": {"statusCode": "200", "responseTemplates": {"application/json": ""},
                    "responseParameters": {
                        "method.response.header.X-Request": "integration.response.header.X-Backend-Id",
                        "method.response.header.X-Static": "'fixed'",
                        "method.response.header.X-Absent": "integration.response.header.Nope"}},
            "400": {"statusCode": "400", "selectionPattern": "4\\d{2}"}
        }),
        &["200", "400"],
    );
    let reply = respond(
        &m,
        &i,
        backend(
            201,
            &[
                ("x-backend-id", "one"),
                ("x-backend-id", "two"),
                ("content-type", "text/csv"),
                ("etag", "e"),
            ],
            "a,b",
        ),
        false,
    )
    .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(&reply.body[..], b"a,b");
    assert_eq!(values(&reply.headers, "content-type"), ["application/json"]);
    assert_eq!(values(&reply.headers, "x-request"), ["two"]);
    assert_eq!(values(&reply.headers, "x-static"), ["fixed"]);
    assert!(reply.headers.get("x-absent").is_none());
    assert!(reply.headers.get("etag").is_none());
    let reply = respond(&m, &i, backend(404, &[], "nf"), false).unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(&reply.body[..], b"nf");
}

#[test]
fn http_respond_without_a_method_response_is_internal() {
    let (m, i) = http_method(
        json!({"200": {"statusCode": "200"}, "500": {"statusCode": "500", "selectionPattern": "5.."}}),
        &["200"],
    );
    assert!(respond(&m, &i, backend(200, &[], ""), false).is_ok());
    let Err(Failure::Internal(cause)) = respond(&m, &i, backend(502, &[], ""), false) else {
        panic!();
    };
    assert!(cause.contains("method response"), "{cause}");
    let mut none = m.clone();
    none.method_responses = None;
    assert!(matches!(
        respond(&none, &i, backend(200, &[], ""), false),
        Err(Failure::Internal(_))
    ));
}

#[test]
fn http_respond_without_a_selected_response_is_internal() {
    let (m, i) = http_method(
        json!({"500": {"statusCode": "500", "selectionPattern": "5.."}}),
        &["500"],
    );
    assert!(matches!(
        respond(&m, &i, backend(200, &[], ""), false),
        Err(Failure::Internal(_))
    ));
    let mut bare = i.clone();
    bare.integration_responses = None;
    assert!(matches!(
        respond(&m, &bare, backend(500, &[], ""), false),
        Err(Failure::Internal(_))
    ));
}

#[test]
fn http_respond_with_a_response_template_is_internal() {
    let (m, i) = http_method(
        json!({"200": {"statusCode": "200",
                        "responseTemplates": {"application/json": "$input.json('$')", "text/plain": ""}}}),
        &["200"],
    );
    // The backend's JSON would be transformed.
    assert!(matches!(
        respond(
            &m,
            &i,
            backend(200, &[("content-type", "application/json")], "{}"),
            false
        ),
        Err(Failure::Internal(_))
    ));
    // An empty template for the backend's own type is no transformation.
    assert!(respond(
        &m,
        &i,
        backend(200, &[("content-type", "text/plain")], "x"),
        false
    )
    .is_ok());
    // Another type falls back to the JSON template, which transforms.
    assert!(matches!(
        respond(
            &m,
            &i,
            backend(200, &[("content-type", "text/csv")], "x"),
            false
        ),
        Err(Failure::Internal(_))
    ));
}

#[test]
fn http_respond_maps_content_type_and_refuses_body_sources() {
    let (m, i) = http_method(
        json!({"200": {"statusCode": "200", "responseParameters": {
            "method.response.header.Content-Type": "integration.response.header.Content-Type"}}}),
        &["200"],
    );
    let reply = respond(
        &m,
        &i,
        backend(200, &[("content-type", "text/csv")], "x"),
        false,
    )
    .unwrap();
    assert_eq!(values(&reply.headers, "content-type"), ["text/csv"]);
    let (m, i) = http_method(
        json!({"200": {"statusCode": "200", "responseParameters": {
            "method.response.header.X": "integration.response.body.id"}}}),
        &["200"],
    );
    assert!(matches!(
        respond(&m, &i, backend(200, &[], "{}"), false),
        Err(Failure::Internal(_))
    ));
    let (m, i) = http_method(
        json!({"200": {"statusCode": "200", "responseParameters": {"method.response.body": "'x'"}}}),
        &["200"],
    );
    assert!(matches!(
        respond(&m, &i, backend(200, &[], "{}"), false),
        Err(Failure::Internal(_))
    ));
}
