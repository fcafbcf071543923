use super::*;

#[test]
fn the_apigw_id_is_eleven_bytes_of_the_request_id_in_base64() {
    let id = apigw_id("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    assert_eq!(id.len(), 16);
    assert!(id.ends_with('='));
    assert_eq!(id, apigw_id("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"));
    assert_ne!(id, apigw_id("1f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"));
}

#[test]
fn a_new_trace_root_has_the_time_and_24_hex_digits() {
    let request = Request::new(Body::empty());
    let trace = trace_id(
        &request,
        "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        0x6000_0000,
    );
    assert_eq!(trace, "Root=1-60000000-4b5a69788796a5b4c3d2e1f0");
    let mut request = Request::new(Body::empty());
    request
        .headers_mut()
        .insert("x-amzn-trace-id", HeaderValue::from_static("Root=1-1-2"));
    assert_eq!(trace_id(&request, "x", 0), "Root=1-1-2");
}
