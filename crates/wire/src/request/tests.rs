use super::*;

fn parse(
    method: Method,
    path: &str,
    query: Option<&str>,
    body: &str,
) -> Result<Operation, AwsError> {
    parse_operation(&method, path, query, body.as_bytes())
}

use certgate_api::*;
// The HTTP method, not the model's `Method` shape that the glob above also brings.
use http::Method;

fn id(s: &str) -> String {
    s.to_string()
}

fn arn(region: &str, id: &str) -> String {
    format!("arn:aws:apigateway:{region}::/clientcertificates/{id}")
}

fn code(r: Result<Operation, AwsError>) -> &'static str {
    r.unwrap_err().code()
}

#[test]
fn generate() {
    let op = parse(
        Method::POST,
        "/clientcertificates",
        None,
        r#"{"description":"d","tags":{"a":"b"}}"#,
    )
    .unwrap();
    assert_eq!(
        op,
        Operation::GenerateClientCertificate(GenerateClientCertificateRequest {
            description: Some("d".into()),
            tags: Some([("a".into(), "b".into())].into())
        })
    );
    let empty = parse(Method::POST, "/clientcertificates", None, "").unwrap();
    assert_eq!(
        empty,
        Operation::GenerateClientCertificate(GenerateClientCertificateRequest {
            description: None,
            tags: None
        })
    );
    let nulls = parse(
        Method::POST,
        "/clientcertificates",
        None,
        r#"{"description":null,"tags":null,"other":1}"#,
    );
    assert_eq!(nulls.unwrap(), empty);
}

#[test]
fn bad_bodies_are_bad_requests() {
    for body in [
        "{",
        "[]",
        "[null, null]",
        "[null]",
        "42",
        "null",
        "\"text\"",
        r#"{"tags":"x"}"#,
        r#"{"description":42}"#,
        r#"{"tags":{"a":1}}"#,
        r#"{"tags":{"a":null}}"#,
        "{\"description\":\"\\ud800\"}",
        // Not JSON whitespace, though Rust's `trim` would drop them: not an empty body.
        "\u{c}",
        "\u{b}",
        "\u{a0}",
        "\u{2028}",
    ] {
        let err = parse(Method::POST, "/clientcertificates", None, body).unwrap_err();
        assert_eq!(err.code(), "BadRequestException", "{body}");
        assert!(
            err.message()
                .starts_with("Could not parse request body into json"),
            "{body}: {}",
            err.message()
        );
    }
    let err = parse_operation(
        &Method::POST,
        "/clientcertificates",
        None,
        b"{\"description\":\"\xff\"}",
    )
    .unwrap_err();
    assert!(err.message().contains("UTF-8"), "{}", err.message());
}

/// Every operation with a body refuses a JSON array, which serde alone would take field by field.
#[test]
fn array_bodies_are_refused_by_every_operation_with_a_body() {
    let cases = [
        (Method::POST, "/clientcertificates"),
        (Method::PATCH, "/clientcertificates/abcdef"),
        (
            Method::PUT,
            "/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fclientcertificates%2Fabcdef",
        ),
    ];
    for (method, path) in cases {
        let err = parse(method.clone(), path, None, "[null, null]").unwrap_err();
        assert_eq!(err.code(), "BadRequestException", "{method} {path}");
    }
}

#[test]
fn list_query() {
    assert_eq!(
        parse(Method::GET, "/clientcertificates", None, "").unwrap(),
        Operation::GetClientCertificates(GetClientCertificatesRequest {
            position: None,
            limit: None
        })
    );
    assert_eq!(
        parse(
            Method::GET,
            "/clientcertificates",
            Some("limit=500&position=abc%3D"),
            ""
        )
        .unwrap(),
        Operation::GetClientCertificates(GetClientCertificatesRequest {
            position: Some("abc=".into()),
            limit: Some(500)
        })
    );
    assert_eq!(
        code(parse(
            Method::GET,
            "/clientcertificates",
            Some("limit=abc"),
            ""
        )),
        "BadRequestException"
    );
    assert_eq!(
        code(parse(
            Method::GET,
            "/clientcertificates",
            Some("limit=501"),
            ""
        )),
        "BadRequestException"
    );
}

#[test]
fn by_id() {
    assert_eq!(
        parse(Method::GET, "/clientcertificates/9ao60f", None, "").unwrap(),
        Operation::GetClientCertificate(GetClientCertificateRequest {
            client_certificate_id: id("9ao60f")
        })
    );
    assert_eq!(
        parse(Method::DELETE, "/clientcertificates/9ao60f", None, "").unwrap(),
        Operation::DeleteClientCertificate(DeleteClientCertificateRequest {
            client_certificate_id: id("9ao60f")
        })
    );
    let patch = r#"{"patchOperations":[{"op":"replace","path":"/description","value":"x"}]}"#;
    match parse(Method::PATCH, "/clientcertificates/9ao60f", None, patch).unwrap() {
        Operation::UpdateClientCertificate(input) => {
            assert_eq!(input.client_certificate_id, id("9ao60f"));
            let patch = input.patch_operations.unwrap();
            assert_eq!(patch[0].op.as_deref(), Some("replace"));
            assert_eq!(patch[0].value.as_deref(), Some("x"));
        }
        other => panic!("{other:?}"),
    }
    // An id that cannot exist is "not found", as AWS answers, not a malformed request.
    for bad in ["ABCDEF", "abc", "%ff%fe", "abcdefg"] {
        let err = parse(Method::GET, &format!("/clientcertificates/{bad}"), None, "").unwrap_err();
        assert!(
            matches!(err.code(), "NotFoundException" | "BadRequestException"),
            "{bad}"
        );
    }
    assert_eq!(
        parse(Method::GET, "/clientcertificates/ABCDEF", None, "")
            .unwrap_err()
            .message(),
        "Invalid Client Certificate identifier specified"
    );
    assert_eq!(
        code(parse(
            Method::PATCH,
            "/clientcertificates/9ao60f",
            None,
            r#"{"patchOperations":{}}"#
        )),
        "BadRequestException"
    );
}

#[test]
fn tags_routes_take_encoded_or_bare_arns() {
    for path in [
        "/tags/arn%3Aaws%3Aapigateway%3Aus-west-2%3A%3A%2Fclientcertificates%2F9ao60f",
        "/tags/arn:aws:apigateway:us-west-2::/clientcertificates/9ao60f",
    ] {
        assert_eq!(
            parse(Method::GET, path, None, "").unwrap(),
            Operation::GetTags(GetTagsRequest {
                resource_arn: arn("us-west-2", "9ao60f"),
                position: None,
                limit: None
            })
        );
        assert_eq!(
            parse(Method::DELETE, path, Some("tagKeys=a&tagKeys=b%2Bc"), "").unwrap(),
            Operation::UntagResource(UntagResourceRequest {
                resource_arn: arn("us-west-2", "9ao60f"),
                tag_keys: vec!["a".into(), "b+c".into()]
            })
        );
        assert_eq!(
            parse(Method::PUT, path, None, r#"{"tags":{"k":"v"}}"#).unwrap(),
            Operation::TagResource(TagResourceRequest {
                resource_arn: arn("us-west-2", "9ao60f"),
                tags: [("k".into(), "v".into())].into()
            })
        );
        assert_eq!(
            code(parse(Method::PUT, path, None, "{}")),
            "BadRequestException"
        );
        assert_eq!(
            code(parse(Method::DELETE, path, None, "")),
            "BadRequestException"
        );
    }
    assert_eq!(
        code(parse(Method::GET, "/tags/not-an-arn", None, "")),
        "BadRequestException"
    );
    // REST APIs and stages are tag targets: the wire routes them, and the service answers
    // whether they exist. Other API Gateway resources cannot be tagged.
    for target in ["restapis/abc", "restapis/abc/stages/prod"] {
        let path = format!("/tags/arn:aws:apigateway:us-west-2::/{target}");
        assert!(matches!(
            parse(Method::GET, &path, None, ""),
            Ok(Operation::GetTags(_))
        ));
    }
    let err = parse(
        Method::GET,
        "/tags/arn:aws:apigateway:us-west-2::/restapis/abc/resources/x",
        None,
        "",
    )
    .unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        ("NotFoundException", "Invalid resource identifier specified")
    );
    let err = parse(
        Method::PUT,
        "/tags/arn:aws:apigateway:us-west-2::/clientcertificates/NOPE",
        None,
        "{",
    )
    .unwrap_err();
    assert_eq!(
        err.message(),
        "Invalid Client Certificate identifier specified",
        "the ARN is judged before the body"
    );
}

#[test]
fn messages_are_awss() {
    let err = parse(
        Method::PUT,
        "/tags/arn:aws:apigateway:us-west-2::/clientcertificates/9ao60f",
        None,
        "{}",
    )
    .unwrap_err();
    assert_eq!(err.message(), "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null");
    let err = parse(
        Method::DELETE,
        "/tags/arn:aws:apigateway:us-west-2::/clientcertificates/9ao60f",
        None,
        "",
    )
    .unwrap_err();
    assert_eq!(err.message(), "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null");
    for (query, message) in [
        ("limit=abc", "Invalid value 'abc' for parameter limit: must be an integer"),
        ("limit=0", "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value between 1 and 500"),
    ] {
        let err = parse(Method::GET, "/clientcertificates", Some(query), "").unwrap_err();
        assert_eq!(err.message(), message);
    }
    let err = parse(Method::PATCH, "/clientcertificates/NOPE12", None, "{").unwrap_err();
    assert_eq!(
        err.code(),
        "NotFoundException",
        "the id is judged before the body"
    );
}

/// Every route of the catalogue is reachable: its template with sample labels routes to it.
#[test]
fn every_declared_route_routes_to_its_operation() {
    for route in ROUTES {
        let path = route
            .uri
            .split('?')
            .next()
            .unwrap()
            .replace("{clientcertificate_id}", "9ao60f")
            .replace(
                "{resource_arn}",
                "arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fclientcertificates%2F9ao60f",
            );
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        let query = (route.name == "UntagResource").then_some("tagKeys=a");
        let body = if route.name == "TagResource" {
            r#"{"tags":{}}"#
        } else {
            ""
        };
        // The REST API family's labels take sample values; its inputs are decoded by the
        // operations' own tests, so here only the route is checked.
        let path = [
            "restapi_id",
            "resource_id",
            "parent_id",
            "deployment_id",
            "stage_name",
        ]
        .iter()
        .fold(path, |p, label| {
            p.replace(&format!("{{{label}}}"), "a1b2c3")
        })
        .replace("{http_method}", "GET")
        .replace("{status_code}", "200");
        assert_eq!(
            operation_id(&method, &path, query).unwrap(),
            route.id,
            "{path}"
        );
        if route.uri.starts_with("/clientcertificates") || route.uri.starts_with("/tags") {
            let op = parse(method, &path, query, body).unwrap();
            assert_eq!(op.id(), route.id, "{path}");
        }
    }
}

#[test]
fn unknown_routes() {
    for (m, p) in [
        (Method::GET, "/"),
        (Method::GET, ""),
        (Method::GET, "/nope"),
        (Method::PUT, "/clientcertificates"),
        (Method::POST, "/clientcertificates/abcdef"),
        (Method::GET, "/clientcertificates/abcdef/extra"),
        (Method::GET, "/clientcertificates/"),
        (
            Method::POST,
            "/tags/arn:aws:apigateway:us-west-2::/clientcertificates/9ao60f",
        ),
        (Method::GET, "/tags/"),
    ] {
        assert_eq!(
            code(parse(m.clone(), p, None, "")),
            "UnknownOperationException",
            "{m} {p}"
        );
    }
}

/// Found by schemathesis: JSON Schema counts `769539.0` as an integer, and serde refused it for
/// an i32 member. A number without a fraction is that integer; a fraction or an i32 overflow is
/// still a 400.
#[test]
fn integer_members_take_integral_numbers() {
    let size = |body: &str| match parse(Method::POST, "/restapis", None, body) {
        Ok(Operation::CreateRestApi(input)) => Ok(input.minimum_compression_size),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e.code()),
    };
    assert_eq!(
        size(r#"{"name":"a","minimumCompressionSize":1024}"#),
        Ok(Some(1024))
    );
    assert_eq!(
        size(r#"{"name":"a","minimumCompressionSize":769539.0}"#),
        Ok(Some(769539))
    );
    assert_eq!(
        size(r#"{"name":"a","minimumCompressionSize":-0.0}"#),
        Ok(Some(0))
    );
    assert_eq!(
        size(r#"{"name":"a","minimumCompressionSize":null}"#),
        Ok(None)
    );
    for bad in ["1.5", "2147483648", "1e300", "\"5\"", "true"] {
        let body = format!(r#"{{"name":"a","minimumCompressionSize":{bad}}}"#);
        assert_eq!(size(&body), Err("BadRequestException"), "{bad}");
    }
}

/// The REST API family answers a non-string where a string belongs as AWS's Java deserializer
/// words it; the client-certificate operations keep their answer.
#[test]
fn wrong_json_types_are_serialization_errors_for_rest_apis_only() {
    let put = parse(
        Method::PUT,
        "/restapis/a1b2c3d4e5/resources/r1b2c3/methods/GET/integration",
        None,
        r#"{"type":"MOCK","requestParameters":{"integration.request.path.p":true}}"#,
    )
    .unwrap_err();
    assert_eq!(put.code(), "SerializationException");
    assert_eq!(
        put.message(),
        "class java.lang.Boolean can not be converted to an String"
    );
    let generate = parse(
        Method::POST,
        "/clientcertificates",
        None,
        r#"{"description":5}"#,
    )
    .unwrap_err();
    assert_eq!(generate.code(), "BadRequestException");
}
