use super::*;

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn query_values_are_the_last_and_form_decoded() {
    assert_eq!(query_value(Some("a=1&a=2&b"), "a").as_deref(), Some("2"));
    assert_eq!(query_value(Some("a=1&b"), "b").as_deref(), Some(""));
    assert_eq!(query_value(Some("a=1&b="), "b").as_deref(), Some(""));
    assert_eq!(
        query_value(Some("a%20b=c+d%2B"), "a b").as_deref(),
        Some("c d+")
    );
    assert_eq!(query_value(Some("a=x=y"), "a").as_deref(), Some("x=y"));
    assert_eq!(query_value(Some("a=1"), "z"), None);
    assert_eq!(query_value(Some(""), "a"), None);
    assert_eq!(query_value(None, "a"), None);
    assert_eq!(form_decode("a+b%2Bc"), "a b+c");
}

#[test]
fn encoding_for_each_place() {
    assert_eq!(encode_path("a/b c%", false), "a%2Fb%20c%25");
    assert_eq!(encode_path("a/b c", true), "a/b%20c");
    assert_eq!(encode_path("é", false), "%C3%A9");
    assert_eq!(encode_path("~!$&'()*+,;=:@", false), "~!$&'()*+,;=:@");
    assert_eq!(encode_query("a b&c=d+e#/?"), "a%20b%26c%3Dd%2Be%23%2F%3F");
    assert_eq!(encode_query("AZaz09-._~"), "AZaz09-._~");
    assert_eq!(sanitize_query("a=%41 \"x\"/?|"), "a=%41%20%22x%22/?%7C");
    // Nothing to escape, nothing allocated.
    assert!(matches!(
        encode_path("plain", false),
        Cow::Borrowed("plain")
    ));
    assert!(matches!(encode_query("plain"), Cow::Borrowed("plain")));
    assert!(matches!(sanitize_query("a=1"), Cow::Borrowed("a=1")));
}

#[test]
fn stage_variables() {
    let v = vars(&[("host", "h.example"), ("p", "x/y"), ("empty", "")]);
    assert_eq!(
        substitute_stage_variables("https://${stageVariables.host}/${stageVariables.p}/z", &v),
        "https://h.example/x/y/z"
    );
    assert_eq!(
        substitute_stage_variables("a${stageVariables.missing}b${stageVariables.empty}c", &v),
        "abc"
    );
    // Only the stageVariables form; an unclosed one is left as written.
    assert_eq!(
        substitute_stage_variables("${other.host}/{x}", &v),
        "${other.host}/{x}"
    );
    assert_eq!(
        substitute_stage_variables("a${stageVariables.host", &v),
        "a${stageVariables.host"
    );
    assert_eq!(substitute_stage_variables("", &v), "");
}

#[test]
fn path_placeholders() {
    let filled = substitute_path("http://b/{a}/{b+}/{}/{c d}/{x", |n, g| {
        Ok::<_, Failure>(format!("<{n}{g}>"))
    })
    .unwrap();
    assert_eq!(filled, "http://b/<afalse>/<btrue>/{}/{c d}/{x");
    assert_eq!(
        substitute_path("http://b/{a.b-c_d}", |n, _| Ok::<_, Failure>(
            n.to_uppercase()
        ))
        .unwrap(),
        "http://b/A.B-C_D"
    );
    let failed = substitute_path("http://b/{a}", |_, _| {
        Err::<String, _>(Failure::Internal("no".into()))
    });
    assert_eq!(failed, Err(Failure::Internal("no".into())));
}
