use super::*;

/// A resource with `path` declaring `methods`, each with its operation name set to
/// `"<path> <key>"` so a test can tell which method it got.
fn res(id: &str, path: &str, methods: &[&str]) -> Resource {
    Resource {
        id: Some(id.to_string()),
        path: Some(path.to_string()),
        resource_methods: Some(
            methods
                .iter()
                .map(|m| {
                    let method = Method {
                        http_method: Some(m.to_string()),
                        operation_name: Some(format!("{path} {m}")),
                        ..Method::default()
                    };
                    (m.to_string(), method)
                })
                .collect(),
        ),
        ..Resource::default()
    }
}

fn pets() -> Router {
    Router::compile(&[
        res("root", "/", &["GET"]),
        res("pets", "/pets", &["GET", "POST"]),
        res("pet", "/pets/{petId}", &["GET", "DELETE"]),
        res("mine", "/pets/mine", &["GET"]),
        res("toys", "/pets/{petId}/toys", &["ANY"]),
        res("files", "/files/{path+}", &["GET"]),
        res("deep", "/files/readme", &["GET"]),
    ])
}

fn hit<'a>(router: &'a Router, method: &str, path: &'a str) -> Found<'a> {
    router.find(method, path).unwrap()
}

fn params(found: &Found<'_>) -> Vec<(String, String)> {
    found
        .path_params
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn root_and_literals() {
    let r = pets();
    let f = hit(&r, "GET", "/");
    assert_eq!(
        (f.resource_id, f.resource_path, f.method_key),
        ("root", "/", "GET")
    );
    assert!(f.path_params.is_empty());
    // An empty path is the root too.
    assert_eq!(hit(&r, "GET", "").resource_id, "root");
    let f = hit(&r, "POST", "/pets");
    assert_eq!((f.resource_id, f.method_key), ("pets", "POST"));
    assert_eq!(f.method.operation_name.as_deref(), Some("/pets POST"));
}

#[test]
fn trailing_and_doubled_slashes_are_ignored() {
    let r = pets();
    assert_eq!(hit(&r, "GET", "/pets/").resource_id, "pets");
    assert_eq!(hit(&r, "GET", "/pets//").resource_id, "pets");
    assert_eq!(hit(&r, "GET", "//pets").resource_id, "pets");
    let f = hit(&r, "GET", "/pets//7/");
    assert_eq!(f.resource_id, "pet");
    assert_eq!(params(&f), pairs(&[("petId", "7")]));
    assert_eq!(hit(&r, "GET", "//").resource_id, "root");
}

#[test]
fn literal_beats_param() {
    let r = pets();
    let f = hit(&r, "GET", "/pets/mine");
    assert_eq!(f.resource_id, "mine");
    assert!(f.path_params.is_empty());
    let f = hit(&r, "GET", "/pets/42");
    assert_eq!(f.resource_id, "pet");
    assert_eq!(params(&f), pairs(&[("petId", "42")]));
}

#[test]
fn literal_beats_greedy_and_param_beats_greedy() {
    let r = Router::compile(&[
        res("g", "/{proxy+}", &["ANY"]),
        res("p", "/{id}", &["GET"]),
        res("l", "/health", &["GET"]),
    ]);
    assert_eq!(hit(&r, "GET", "/health").resource_id, "l");
    assert_eq!(hit(&r, "GET", "/7").resource_id, "p");
    let f = hit(&r, "GET", "/7/8");
    assert_eq!(f.resource_id, "g");
    assert_eq!(params(&f), pairs(&[("proxy", "7/8")]));
    // The root is not matched by a greedy child: it needs one segment or more.
    assert_eq!(r.find("GET", "/"), Err(NoRoute::Path));
}

#[test]
fn backtracks_when_the_specific_branch_fails_deeper() {
    let r = Router::compile(&[
        res("a", "/a", &["GET"]),
        res("ab", "/a/b", &["GET"]),
        res("x", "/{x}", &["GET"]),
        res("xc", "/{x}/c", &["GET"]),
        res("g", "/{x}/c/{rest+}", &["GET"]),
    ]);
    // `/a` has no child `c`, so the walk comes back to `{x}`.
    let f = hit(&r, "GET", "/a/c");
    assert_eq!(f.resource_id, "xc");
    assert_eq!(params(&f), pairs(&[("x", "a")]));
    // No dangling parameter from the failed branch: only what the hit's path gave.
    let f = hit(&r, "GET", "/a/c/d/e");
    assert_eq!(f.resource_id, "g");
    assert_eq!(params(&f), pairs(&[("x", "a"), ("rest", "d/e")]));
    assert_eq!(hit(&r, "GET", "/a/b").resource_id, "ab");
    assert_eq!(r.find("GET", "/a/b/c"), Err(NoRoute::Path));
}

#[test]
fn backtracks_from_param_to_greedy() {
    let r = Router::compile(&[
        res("p", "/{id}", &["GET"]),
        res("pc", "/{id}/c", &["GET"]),
        res("g", "/{proxy+}", &["GET"]),
    ]);
    assert_eq!(hit(&r, "GET", "/1/c").resource_id, "pc");
    let f = hit(&r, "GET", "/1/d");
    assert_eq!(f.resource_id, "g");
    assert_eq!(params(&f), pairs(&[("proxy", "1/d")]));
}

#[test]
fn greedy_spans_segments_and_keeps_slashes() {
    let r = pets();
    let f = hit(&r, "GET", "/files/a/b/c.txt");
    assert_eq!(f.resource_id, "files");
    assert_eq!(params(&f), pairs(&[("path", "a/b/c.txt")]));
    assert!(f.is_greedy("path"));
    assert!(!f.is_greedy("petId"));
    // One segment is enough; a literal sibling still wins for its own path.
    assert_eq!(params(&hit(&r, "GET", "/files/x")), pairs(&[("path", "x")]));
    assert_eq!(hit(&r, "GET", "/files/readme").resource_id, "deep");
    assert_eq!(
        params(&hit(&r, "GET", "/files/readme/more")),
        pairs(&[("path", "readme/more")])
    );
    // Trailing slashes are dropped, doubled ones inside kept as sent.
    assert_eq!(
        params(&hit(&r, "GET", "/files/a//b/")),
        pairs(&[("path", "a//b")])
    );
    // None at all is no match: the greedy parameter needs a segment, and `/files` is no resource.
    assert_eq!(r.find("GET", "/files"), Err(NoRoute::Path));
    assert_eq!(r.find("GET", "/files/"), Err(NoRoute::Path));
}

#[test]
fn values_are_percent_decoded_and_literals_compared_encoded() {
    let r = pets();
    let f = hit(&r, "GET", "/pets/a%20b%2Fc");
    assert_eq!(params(&f), pairs(&[("petId", "a b/c")]));
    assert!(matches!(f.path_params[0].1, Cow::Owned(_)));
    let f = hit(&r, "GET", "/pets/plain");
    assert!(matches!(f.path_params[0].1, Cow::Borrowed("plain")));
    let f = hit(&r, "GET", "/files/d%C3%A9j%C3%A0/vu%3F");
    assert_eq!(params(&f), pairs(&[("path", "déjà/vu?")]));
    // `mine` spelled with an escape is not the literal: it is a value of `{petId}`.
    let f = hit(&r, "GET", "/pets/m%69ne");
    assert_eq!(f.resource_id, "pet");
    assert_eq!(params(&f), pairs(&[("petId", "mine")]));
    // `+` stays a plus in a path.
    assert_eq!(
        params(&hit(&r, "GET", "/pets/a+b")),
        pairs(&[("petId", "a+b")])
    );
}

#[test]
fn percent_decode_edge_cases() {
    assert_eq!(percent_decode("abc"), "abc");
    assert_eq!(percent_decode("%41%62"), "Ab");
    assert_eq!(percent_decode("100%"), "100%");
    assert_eq!(percent_decode("%4"), "%4");
    assert_eq!(percent_decode("%zz%41"), "%zzA");
    assert_eq!(percent_decode("%ff"), "\u{fffd}");
}

#[test]
fn any_answers_undeclared_methods_only() {
    let r = Router::compile(&[res("t", "/t", &["GET", "ANY"])]);
    assert_eq!(hit(&r, "GET", "/t").method_key, "GET");
    let f = hit(&r, "PATCH", "/t");
    assert_eq!(f.method_key, "ANY");
    assert_eq!(f.method.operation_name.as_deref(), Some("/t ANY"));
    let r = pets();
    assert_eq!(hit(&r, "PUT", "/pets/1/toys").method_key, "ANY");
}

#[test]
fn a_matched_resource_without_the_method_is_no_route() {
    let r = Router::compile(&[
        res("l", "/pets/mine", &["GET"]),
        res("p", "/pets/{id}", &["ANY"]),
        res("pets", "/pets", &[]),
    ]);
    // The literal matches the path, so `{id}`'s ANY is not tried.
    assert_eq!(r.find("POST", "/pets/mine"), Err(NoRoute::Method));
    assert_eq!(r.find("GET", "/pets"), Err(NoRoute::Method));
    assert_eq!(r.find("GET", "/nothing"), Err(NoRoute::Path));
    // Methods are keyed exactly as declared.
    assert_eq!(r.find("get", "/pets/mine"), Err(NoRoute::Method));
}

#[test]
fn literals_are_case_sensitive() {
    let r = pets();
    assert_eq!(r.find("GET", "/Pets"), Err(NoRoute::Path));
}

#[test]
fn resources_without_a_path_or_in_conflict_are_skipped() {
    let mut pathless = res("x", "/x", &["GET"]);
    pathless.path = None;
    let r = Router::compile(&[
        pathless,
        res("a", "/{a}", &["GET"]),
        res("b", "/{b}/deeper", &["GET"]),
        res("first", "/dup", &["GET"]),
        res("second", "/dup", &["POST"]),
        res("g", "/g/{rest+}", &["GET"]),
        res("under", "/g/{rest+}/child", &["GET"]),
    ]);
    assert_eq!(r.len(), 3);
    assert!(!r.is_empty());
    assert_eq!(hit(&r, "GET", "/x").resource_id, "a");
    assert_eq!(r.find("GET", "/1/deeper"), Err(NoRoute::Path));
    assert_eq!(hit(&r, "GET", "/dup").resource_id, "first");
    assert_eq!(r.find("POST", "/dup"), Err(NoRoute::Method));
    assert_eq!(hit(&r, "GET", "/g/1/child").resource_id, "g");
}

#[test]
fn intermediate_nodes_without_a_resource_match_nothing() {
    // A snapshot missing `/a` still routes `/a/b`, and `/a` falls back to `{x}`.
    let r = Router::compile(&[res("ab", "/a/b", &["GET"]), res("x", "/{x}", &["GET"])]);
    assert_eq!(hit(&r, "GET", "/a/b").resource_id, "ab");
    let f = hit(&r, "GET", "/a");
    assert_eq!(f.resource_id, "x");
    assert_eq!(params(&f), pairs(&[("x", "a")]));
    assert_eq!(Router::compile(&[]).find("GET", "/"), Err(NoRoute::Path));
    assert!(Router::default().is_empty());
}

#[test]
fn several_params_in_order() {
    let r = Router::compile(&[res("o", "/u/{user}/o/{order}/{item+}", &["GET"])]);
    let f = hit(&r, "GET", "/u/ann/o/9/x/y");
    assert_eq!(
        params(&f),
        pairs(&[("user", "ann"), ("order", "9"), ("item", "x/y")])
    );
    assert_eq!(f.path_param("order"), Some("9"));
    assert_eq!(f.path_param("nope"), None);
}

#[test]
fn find_resource_matches_one_template() {
    let r = pets();
    let l = r.find_resource("pet", "/pets/a%2Fb/").unwrap();
    assert_eq!((l.resource_id, l.resource_path), ("pet", "/pets/{petId}"));
    assert_eq!(l.path_params, vec![("petId", Cow::Borrowed("a/b"))]);
    assert!(l.method("GET").is_some());
    assert!(l.method("ANY").is_none());
    assert_eq!(l.method_keys().collect::<Vec<_>>(), vec!["DELETE", "GET"]);
    let f = l.clone().with_method("DELETE").unwrap();
    assert_eq!((f.method_key, f.resource_id), ("DELETE", "pet"));
    assert_eq!(l.clone().with_method("PUT"), Err(NoRoute::Method));
    assert_eq!(l.routed("PUT"), Err(NoRoute::Method));

    // A path that another, more specific resource would take still matches this template.
    let l = r.find_resource("pet", "/pets/mine").unwrap();
    assert_eq!(l.path_params, vec![("petId", Cow::Borrowed("mine"))]);

    let l = r.find_resource("files", "/files/a/b").unwrap();
    assert_eq!(l.path_params, vec![("path", Cow::Borrowed("a/b"))]);
    assert_eq!(r.find_resource("root", "/").unwrap().resource_path, "/");

    for (id, path) in [
        ("pet", "/pets"),
        ("pet", "/pets/1/2"),
        ("pet", "/dogs/1"),
        ("files", "/files"),
        ("root", "/pets"),
        ("missing", "/"),
    ] {
        assert_eq!(r.find_resource(id, path), Err(NoRoute::Path), "{id} {path}");
    }
}

#[test]
fn any_through_find_resource_is_by_key() {
    let r = pets();
    let l = r.find_resource("toys", "/pets/1/toys").unwrap();
    assert_eq!(l.clone().with_method("GET"), Err(NoRoute::Method));
    assert_eq!(l.clone().with_method("ANY").unwrap().method_key, "ANY");
    assert_eq!(l.routed("GET").unwrap().method_key, "ANY");
}

#[test]
fn method_by_resource_and_key() {
    let r = pets();
    assert_eq!(
        r.method("pet", "GET")
            .and_then(|m| m.operation_name.as_deref()),
        Some("/pets/{petId} GET")
    );
    assert!(r.method("pet", "PUT").is_none());
    assert!(r.method("nope", "GET").is_none());
}

#[test]
fn no_route_displays() {
    assert_eq!(NoRoute::Path.to_string(), "no resource matches the path");
    assert!(NoRoute::Method.to_string().contains("ANY"));
}

#[test]
fn a_snapshot_as_json_compiles() {
    let json = r#"[
        {"id": "r0", "path": "/", "resourceMethods": {"GET": {"httpMethod": "GET"}}},
        {"id": "r1", "parentId": "r0", "pathPart": "{proxy+}", "path": "/{proxy+}",
         "resourceMethods": {"ANY": {"httpMethod": "ANY", "authorizationType": "NONE"}}}
    ]"#;
    let resources: Vec<Resource> = serde_json::from_str(json).unwrap();
    let r = Router::compile(&resources);
    let f = hit(&r, "DELETE", "/a/b");
    assert_eq!((f.resource_id, f.method_key), ("r1", "ANY"));
    assert_eq!(f.method.authorization_type.as_deref(), Some("NONE"));
}
