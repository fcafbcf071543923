//! Routing and path/query decoding: any method, raw path, query and body either becomes an
//! operation or an AWS error, never a panic. An operation that names an ARN names one that
//! round-trips.
#![no_main]

use certgate_wire::{parse_operation, Operation};
use http::Method;
use libfuzzer_sys::fuzz_target;

const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "BREW",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(method) = Method::from_bytes(METHODS[selector as usize % METHODS.len()].as_bytes())
    else {
        return;
    };
    // Path, query and body are separated by newlines, which neither a path nor a query can hold.
    let mut parts = rest.splitn(3, |&b| b == b'\n');
    let path = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let query = parts.next().map(String::from_utf8_lossy);
    let body = parts.next().unwrap_or_default();
    match parse_operation(&method, &path, query.as_deref(), body) {
        Ok(Operation::TagResource { region, id, .. })
        | Ok(Operation::UntagResource { region, id, .. })
        | Ok(Operation::GetTags { region, id }) => {
            let arn = certgate_core::arn::certificate_arn(&region, &id);
            let again = certgate_core::arn::parse_certificate_arn(&arn).expect("own ARN parses");
            assert_eq!(again, (region, id));
        }
        Ok(_) | Err(_) => {}
    }
});
