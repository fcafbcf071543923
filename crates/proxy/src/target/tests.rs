use super::*;

fn t<'a>(api_id: &'a str, stage: &'a str, path: &'a str, region: Option<&'a str>) -> Target<'a> {
    Target {
        api_id,
        stage,
        path,
        region,
    }
}

#[test]
fn the_local_form_names_api_stage_and_path() {
    assert_eq!(
        target(None, "/restapis/abc123defg/test/_user_request_/pets/1"),
        Some(t("abc123defg", "test", "/pets/1", None))
    );
    assert_eq!(
        target(Some("localhost:4566"), "/restapis/abc/prod/_user_request_"),
        Some(t("abc", "prod", "/", None))
    );
    assert_eq!(
        target(None, "/restapis/abc/prod/_user_request_/"),
        Some(t("abc", "prod", "/", None))
    );
}

#[test]
fn control_plane_paths_are_not_invocations() {
    for path in [
        "/restapis",
        "/restapis/abc",
        "/restapis/abc/stages/prod",
        "/restapis/abc/resources/xyz/methods/GET",
        "/restapis/abc/prod/_user_request_x",
        "/clientcertificates/abc123",
        "/",
    ] {
        assert_eq!(target(Some("localhost:4566"), path), None, "{path}");
    }
}

#[test]
fn the_host_form_names_api_by_host_and_stage_by_first_segment() {
    assert_eq!(
        target(Some("abc123.execute-api.localhost:4566"), "/test/pets"),
        Some(t("abc123", "test", "/pets", None))
    );
    assert_eq!(
        target(Some("abc123.execute-api.eu-west-1.amazonaws.com"), "/prod"),
        Some(t("abc123", "prod", "/", Some("eu-west-1")))
    );
    assert_eq!(
        target(Some("abc123.execute-api.localhost"), "/"),
        Some(t("abc123", "", "/", None))
    );
    assert_eq!(
        target(Some("abc123.execute-api.localhost"), "/bad%20stage/x"),
        Some(t("abc123", "", "/x", None))
    );
}

#[test]
fn other_hosts_are_not_invocations() {
    for host in [
        "localhost:4566",
        "execute-api.localhost",
        ".execute-api.localhost",
        "abc.execute-api.",
        "a b.execute-api.localhost",
        "apigateway.us-east-1.amazonaws.com",
    ] {
        assert_eq!(target(Some(host), "/test/pets"), None, "{host}");
    }
}
