//! Routing and path/query decoding: any method, raw path, query and body either becomes an
//! operation or an AWS error, never a panic. An operation that names an ARN names one that
//! round-trips. Paths are seeded from the catalogue's route table, so every declared route, and
//! every route a later issue declares, is reached without a corpus.
#![no_main]

use certgate_api::ROUTES;
use certgate_core::ResourceArn;
use certgate_wire::{parse_operation, Operation};
use http::Method;
use libfuzzer_sys::fuzz_target;

const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "BREW",
];

/// A declared route's template with each label filled by the fuzzer's text (or a literal that
/// parses, when the input is empty).
fn seeded_path(selector: u8, fill: &str) -> (Method, String) {
    let route = &ROUTES[selector as usize % ROUTES.len()];
    let template = route.uri.split('?').next().unwrap_or(route.uri);
    let mut path = String::new();
    for segment in template.split('/').skip(1) {
        path.push('/');
        if segment.starts_with('{') {
            path.push_str(if fill.is_empty() { "ab12cd" } else { fill });
        } else {
            path.push_str(segment);
        }
    }
    let method = Method::from_bytes(route.method.as_bytes()).unwrap_or(Method::GET);
    (method, path)
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    // Path, query and body are separated by newlines, which neither a path nor a query can hold.
    let mut parts = rest.splitn(3, |&b| b == b'\n');
    let raw_path = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let query = parts.next().map(String::from_utf8_lossy);
    let body = parts.next().unwrap_or_default();
    // Odd selectors put the fuzzer's text into a declared route's labels; even ones take the
    // whole path and any method from it.
    let (method, path) = if selector % 2 == 1 {
        seeded_path(selector / 2, &raw_path)
    } else {
        let Ok(method) =
            Method::from_bytes(METHODS[(selector / 2) as usize % METHODS.len()].as_bytes())
        else {
            return;
        };
        (method, raw_path.into_owned())
    };
    let arn = match parse_operation(&method, &path, query.as_deref(), body) {
        Ok(Operation::TagResource(input)) => Some(input.resource_arn),
        Ok(Operation::UntagResource(input)) => Some(input.resource_arn),
        Ok(Operation::GetTags(input)) => Some(input.resource_arn),
        Ok(_) | Err(_) => None,
    };
    if let Some(arn) = arn {
        let parsed = ResourceArn::parse(&arn).expect("a routed ARN parses");
        let again = ResourceArn::parse(&parsed.to_string()).expect("own ARN parses");
        assert_eq!(again, parsed);
    }
});
