use super::*;

fn parse(
    method: Method,
    path: &str,
    query: Option<&str>,
    body: &str,
) -> Result<Operation, AwsError> {
    parse_operation(&method, path, query, body.as_bytes())
}

fn id(s: &str) -> CertificateId {
    CertificateId::parse(s).unwrap()
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
        Operation::GenerateClientCertificate {
            description: Some("d".into()),
            tags: [("a".into(), "b".into())].into()
        }
    );
    let empty = parse(Method::POST, "/clientcertificates", None, "").unwrap();
    assert_eq!(
        empty,
        Operation::GenerateClientCertificate {
            description: None,
            tags: Tags::new()
        }
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
        Operation::GetClientCertificates {
            position: None,
            limit: 25
        }
    );
    assert_eq!(
        parse(
            Method::GET,
            "/clientcertificates",
            Some("limit=500&position=abc%3D"),
            ""
        )
        .unwrap(),
        Operation::GetClientCertificates {
            position: Some("abc=".into()),
            limit: 500
        }
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
        Operation::GetClientCertificate { id: id("9ao60f") }
    );
    assert_eq!(
        parse(Method::DELETE, "/clientcertificates/9ao60f", None, "").unwrap(),
        Operation::DeleteClientCertificate { id: id("9ao60f") }
    );
    let patch = r#"{"patchOperations":[{"op":"replace","path":"/description","value":"x"}]}"#;
    match parse(Method::PATCH, "/clientcertificates/9ao60f", None, patch).unwrap() {
        Operation::UpdateClientCertificate { id: i, patch } => {
            assert_eq!(i, id("9ao60f"));
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
    let region = Region::parse("us-west-2").unwrap();
    for path in [
        "/tags/arn%3Aaws%3Aapigateway%3Aus-west-2%3A%3A%2Fclientcertificates%2F9ao60f",
        "/tags/arn:aws:apigateway:us-west-2::/clientcertificates/9ao60f",
    ] {
        assert_eq!(
            parse(Method::GET, path, None, "").unwrap(),
            Operation::GetTags {
                region: region.clone(),
                id: id("9ao60f")
            }
        );
        assert_eq!(
            parse(Method::DELETE, path, Some("tagKeys=a&tagKeys=b%2Bc"), "").unwrap(),
            Operation::UntagResource {
                region: region.clone(),
                id: id("9ao60f"),
                keys: vec!["a".into(), "b+c".into()]
            }
        );
        assert_eq!(
            parse(Method::PUT, path, None, r#"{"tags":{"k":"v"}}"#).unwrap(),
            Operation::TagResource {
                region: region.clone(),
                id: id("9ao60f"),
                tags: [("k".into(), "v".into())].into()
            }
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
    assert_eq!(
        code(parse(
            Method::GET,
            "/tags/arn:aws:apigateway:us-west-2::/restapis/abc",
            None,
            ""
        )),
        "NotFoundException"
    );
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
