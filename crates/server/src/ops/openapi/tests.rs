use std::collections::BTreeSet;

use super::DOCUMENT;

fn document() -> serde_json::Value {
    serde_json::from_str(DOCUMENT).expect("the OpenAPI document is JSON")
}

#[test]
fn describes_every_operation_of_the_catalogue_once() {
    let doc = document();
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let mut ids = Vec::new();
    for (_, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if method != "parameters" {
                ids.push(op["operationId"].as_str().expect("operationId").to_string());
            }
        }
    }
    let unique: BTreeSet<_> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), unique.len(), "an operationId twice: {ids:?}");
    let expected: BTreeSet<String> = certgate_api::ROUTES
        .iter()
        .map(|r| r.name.to_string())
        .collect();
    assert_eq!(unique, expected);
    assert_eq!(
        expected.len(),
        45,
        "the eight client-certificate operations, the REST API family's 36 and TestInvokeMethod"
    );
}

/// Each route's path, method, success status, query parameters and body members are the
/// catalogue's.
#[test]
fn every_operation_is_the_catalogues() {
    let doc = document();
    let members: std::collections::BTreeMap<_, _> = certgate_api::SHAPES.iter().copied().collect();
    for route in certgate_api::ROUTES {
        let path = route.uri.split('?').next().expect("path");
        let op = &doc["paths"][path][route.method.to_lowercase()];
        assert_eq!(op["operationId"], route.name, "{} {path}", route.method);
        assert!(
            op["responses"].get(route.status.to_string()).is_some(),
            "{} lacks {}",
            route.name,
            route.status
        );
        let input = route.input.map(|i| members[i]).unwrap_or_default();
        let query: BTreeSet<&str> = input
            .iter()
            .filter(|m| m.location == certgate_api::Location::Query && m.supported)
            .filter_map(|m| m.location_name)
            .collect();
        let documented: BTreeSet<&str> = op["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(documented, query, "{}", route.name);
        let body: BTreeSet<&str> = input
            .iter()
            .filter(|m| m.location == certgate_api::Location::Body)
            .map(|m| m.json)
            .collect();
        if let Some(input) = route.input.filter(|_| !body.is_empty()) {
            let schema = &doc["components"]["schemas"][input]["properties"];
            let props: BTreeSet<&str> = schema
                .as_object()
                .expect("properties")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(props, body, "{}", route.name);
        }
        if let Some(output) = route.output {
            let schema = &doc["components"]["schemas"][output]["properties"];
            let props: BTreeSet<&str> = schema
                .as_object()
                .expect("properties")
                .keys()
                .map(String::as_str)
                .collect();
            let want: BTreeSet<&str> = members[output].iter().map(|m| m.json).collect();
            assert_eq!(props, want, "{}", route.name);
        }
    }
}

/// Every `$ref` names something the document defines, so no tool meets a dangling reference.
#[test]
fn every_reference_resolves() {
    fn walk(value: &serde_json::Value, doc: &serde_json::Value, seen: &mut usize) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(target) = map.get("$ref").and_then(|r| r.as_str()) {
                    let pointer = target.strip_prefix('#').expect("a local reference");
                    assert!(doc.pointer(pointer).is_some(), "dangling {target}");
                    *seen += 1;
                }
                map.values().for_each(|v| walk(v, doc, seen));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, doc, seen)),
            _ => {}
        }
    }
    let doc = document();
    let mut seen = 0;
    walk(&doc, &doc, &mut seen);
    assert!(
        seen > 20,
        "only {seen} references: the walk missed the document"
    );
}

/// Each operation documents its success status and the error statuses the wire can produce for
/// any request (bad input, bad signature, oversized body, throttling, an unavailable store).
#[test]
fn every_operation_documents_its_statuses() {
    let doc = document();
    let cases = [
        ("/clientcertificates", "post", "201"),
        ("/clientcertificates", "get", "200"),
        ("/clientcertificates/{clientcertificate_id}", "get", "200"),
        ("/clientcertificates/{clientcertificate_id}", "patch", "200"),
        (
            "/clientcertificates/{clientcertificate_id}",
            "delete",
            "202",
        ),
        ("/tags/{resource_arn}", "get", "200"),
        ("/tags/{resource_arn}", "put", "204"),
        ("/tags/{resource_arn}", "delete", "204"),
    ];
    for (path, method, success) in cases {
        let responses = &doc["paths"][path][method]["responses"];
        for status in [success, "400", "403", "413", "429", "503"] {
            assert!(
                responses.get(status).is_some(),
                "{method} {path} does not document {status}"
            );
        }
        if path.contains('{') {
            assert!(responses.get("404").is_some(), "{method} {path} lacks 404");
        }
    }
}
