use super::*;

fn response(status: &str, pattern: Option<&str>) -> IntegrationResponse {
    IntegrationResponse {
        status_code: Some(status.to_string()),
        selection_pattern: pattern.map(str::to_string),
        ..IntegrationResponse::default()
    }
}

fn responses(list: &[(&str, Option<&str>)]) -> BTreeMap<String, IntegrationResponse> {
    list.iter()
        .map(|(s, p)| (s.to_string(), response(s, *p)))
        .collect()
}

fn selected(r: &BTreeMap<String, IntegrationResponse>, status: &str) -> Option<String> {
    select_response(r, status).and_then(|r| r.status_code.clone())
}

fn templates(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_matching_pattern_wins_over_the_default() {
    let r = responses(&[
        ("200", None),
        ("404", Some("404")),
        ("500", Some("5\\d{2}")),
        ("400", Some("4\\d{2}")),
    ]);
    assert_eq!(selected(&r, "200").as_deref(), Some("200"));
    assert_eq!(selected(&r, "201").as_deref(), Some("200"));
    assert_eq!(selected(&r, "503").as_deref(), Some("500"));
    assert_eq!(selected(&r, "418").as_deref(), Some("400"));
    // Two patterns match 404: the lowest status key wins.
    assert_eq!(selected(&r, "404").as_deref(), Some("400"));
}

#[test]
fn patterns_match_the_whole_status() {
    let r = responses(&[("400", Some("4")), ("500", Some("50|51"))]);
    assert_eq!(selected(&r, "404"), None);
    assert_eq!(selected(&r, "4").as_deref(), Some("400"));
    // The alternation is grouped before anchoring: `^(?:50|51)$`, not `^50|51$`.
    assert_eq!(selected(&r, "510"), None);
    assert_eq!(selected(&r, "251"), None);
    assert_eq!(selected(&r, "51").as_deref(), Some("500"));
}

#[test]
fn an_empty_pattern_is_the_default() {
    let r = responses(&[("200", Some("")), ("500", Some("5.."))]);
    assert_eq!(selected(&r, "302").as_deref(), Some("200"));
    assert_eq!(selected(&r, "502").as_deref(), Some("500"));
}

#[test]
fn without_a_default_an_unmatched_status_selects_nothing() {
    let r = responses(&[("500", Some("5\\d{2}"))]);
    assert_eq!(selected(&r, "200"), None);
    assert_eq!(selected(&BTreeMap::new(), "200"), None);
}

#[test]
fn a_pattern_that_does_not_compile_never_matches() {
    for bad in ["(", "2(?=00)", "[", "(\\d)\\1"] {
        let r = responses(&[("200", None), ("500", Some(bad))]);
        assert_eq!(selected(&r, "500").as_deref(), Some("200"), "{bad}");
        // And again, from the cache.
        assert_eq!(selected(&r, "500").as_deref(), Some("200"), "{bad}");
        assert!(!pattern_matches(bad, ""));
    }
}

#[test]
fn the_cache_is_bounded_and_stays_right() {
    for n in 0..(PATTERN_CACHE_LIMIT * 2 + 3) {
        let pattern = format!("{n}");
        assert!(pattern_matches(&pattern, &pattern));
        assert!(!pattern_matches(&pattern, "x"));
    }
    PATTERNS.with(|c| assert!(c.borrow().len() <= PATTERN_CACHE_LIMIT));
    assert!(pattern_matches(".*", "anything"));
}

#[test]
fn the_default_is_the_first_without_a_pattern() {
    let r = responses(&[("201", None), ("200", None)]);
    assert_eq!(selected(&r, "418").as_deref(), Some("200"));
}

#[test]
fn passthrough_without_templates() {
    for none in [None, Some(&BTreeMap::new())] {
        assert_eq!(passthrough(None, none, None), Passthrough::Pass);
        assert_eq!(
            passthrough(Some("WHEN_NO_MATCH"), none, None),
            Passthrough::Pass
        );
        assert_eq!(
            passthrough(Some("WHEN_NO_TEMPLATES"), none, Some("text/plain")),
            Passthrough::Pass
        );
        assert_eq!(
            passthrough(Some("NEVER"), none, None),
            Passthrough::Unsupported
        );
    }
}

#[test]
fn passthrough_with_a_matching_template() {
    let t = templates(&[("application/json", "{\"a\": 1}"), ("text/plain", "")]);
    for behavior in [
        None,
        Some("WHEN_NO_MATCH"),
        Some("WHEN_NO_TEMPLATES"),
        Some("NEVER"),
    ] {
        // No content type means application/json.
        assert_eq!(
            passthrough(behavior, Some(&t), None),
            Passthrough::Template("application/json".into()),
            "{behavior:?}"
        );
        assert_eq!(
            passthrough(behavior, Some(&t), Some("Application/JSON; charset=utf-8")),
            Passthrough::Template("application/json".into()),
            "{behavior:?}"
        );
        // An empty (or blank) template is no transformation.
        assert_eq!(
            passthrough(behavior, Some(&t), Some("text/plain")),
            Passthrough::Pass,
            "{behavior:?}"
        );
        let blank = templates(&[("application/json", " \n")]);
        assert_eq!(passthrough(behavior, Some(&blank), None), Passthrough::Pass);
    }
}

#[test]
fn passthrough_with_templates_none_matching() {
    let t = templates(&[("application/xml", "<a/>")]);
    let ct = Some("text/csv");
    assert_eq!(passthrough(None, Some(&t), ct), Passthrough::Pass);
    assert_eq!(
        passthrough(Some("WHEN_NO_MATCH"), Some(&t), ct),
        Passthrough::Pass
    );
    assert_eq!(
        passthrough(Some("WHEN_NO_TEMPLATES"), Some(&t), ct),
        Passthrough::Unsupported
    );
    assert_eq!(
        passthrough(Some("NEVER"), Some(&t), ct),
        Passthrough::Unsupported
    );
    // Without a content type the request is JSON, which has no template here either.
    assert_eq!(
        passthrough(Some("NEVER"), Some(&t), None),
        Passthrough::Unsupported
    );
}

#[test]
fn passthrough_behaviors_are_case_insensitive_and_unknown_is_the_default() {
    let t = templates(&[("application/xml", "<a/>")]);
    assert_eq!(
        passthrough(Some("never"), None, None),
        Passthrough::Unsupported
    );
    assert_eq!(
        passthrough(Some("when_no_templates"), Some(&t), None),
        Passthrough::Unsupported
    );
    assert_eq!(
        passthrough(Some("SOMETIMES"), Some(&t), None),
        Passthrough::Pass
    );
}

#[test]
fn template_keys_are_compared_by_essence() {
    let t = templates(&[("Text/Plain; charset=utf-8", "x")]);
    assert_eq!(
        template_for(&t, " text/plain ;q=1"),
        Some(("Text/Plain; charset=utf-8", "x"))
    );
    assert_eq!(template_for(&t, "text/html"), None);
    assert_eq!(essence("a/b;c=d"), "a/b");
    assert_eq!(essence("  a/b  "), "a/b");
}

#[test]
fn mock_status_without_a_template_is_200() {
    assert_eq!(mock_status(None, None), Some(200));
    assert_eq!(
        mock_status(Some(&BTreeMap::new()), Some("text/plain")),
        Some(200)
    );
    let t = templates(&[("application/xml", "{\"statusCode\": 404}")]);
    assert_eq!(mock_status(Some(&t), Some("text/plain")), Some(200));
    let t = templates(&[("application/json", "  \n")]);
    assert_eq!(mock_status(Some(&t), None), Some(200));
}

#[test]
fn mock_status_from_json() {
    for (text, status) in [
        ("{\"statusCode\": 200}", 200),
        ("{\"statusCode\":404}", 404),
        ("{ \"statusCode\" : 503 , \"other\": 1 }", 503),
        ("{\"statusCode\": \"201\"}", 201),
        ("{\n  \"statusCode\": 302\n}", 302),
    ] {
        let t = templates(&[("application/json", text)]);
        assert_eq!(mock_status(Some(&t), None), Some(status), "{text}");
    }
}

#[test]
fn mock_status_from_vtl_ish_text() {
    for (text, status) in [
        ("#set($x = 1)\n{\"statusCode\": 200}", 200),
        ("{statusCode: 404}", 404),
        ("{'statusCode': 500}", 500),
        (
            "{ \"statusCode\" : \"418\" , \"body\": $input.json('$') }",
            418,
        ),
        (
            "{\"statusCode\": 201, \"message\": \"$context.requestId\"}",
            201,
        ),
        ("{\n  \"statusCode\" :\n  204\n}", 204),
        ("{\"statusCode\": 200 }", 200),
    ] {
        let t = templates(&[("application/json", text)]);
        assert_eq!(mock_status(Some(&t), None), Some(status), "{text}");
    }
}

#[test]
fn mock_status_unreadable_is_none() {
    for text in [
        "{\"statusCode\": $input.params('code')}",
        "{\"status\": 200}",
        "{\"statusCode\": 20x}",
        "{\"statusCode\": 99}",
        "{\"statusCode\": 600}",
        "{\"statusCode\": 70000}",
        "{\"statusCode\": \"200}",
        "{\"statusCode\": true}",
        "#set($statusCode = 200)",
        "hello",
    ] {
        let t = templates(&[("application/json", text)]);
        assert_eq!(mock_status(Some(&t), None), None, "{text}");
    }
}

#[test]
fn mock_status_prefers_the_request_content_type() {
    let t = templates(&[
        ("application/json", "{\"statusCode\": 200}"),
        ("text/plain", "{\"statusCode\": 202}"),
    ]);
    assert_eq!(
        mock_status(Some(&t), Some("text/plain; charset=utf-8")),
        Some(202)
    );
    assert_eq!(mock_status(Some(&t), Some("text/csv")), Some(200));
    assert_eq!(mock_status(Some(&t), None), Some(200));
}
