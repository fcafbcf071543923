//! The JSON body of every operation that has one (generate, update, tag), fed through the real
//! route and then through the domain rule the service applies next (tag rules, patch rules).
#![no_main]

use certgate_wire::{parse_operation, Operation};
use http::Method;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (method, path) = match selector % 3 {
        0 => (Method::POST, "/clientcertificates"),
        1 => (Method::PATCH, "/clientcertificates/ab12cd"),
        _ => (
            Method::PUT,
            "/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fclientcertificates%2Fab12cd",
        ),
    };
    match parse_operation(&method, path, None, body) {
        Ok(Operation::GenerateClientCertificate(input)) => {
            let _ = certgate_core::tags::validate(&input.tags.unwrap_or_default());
        }
        Ok(Operation::TagResource(input)) => {
            let _ = certgate_core::tags::validate(&input.tags);
        }
        Ok(Operation::UpdateClientCertificate(input)) => {
            let patch: Vec<_> = input
                .patch_operations
                .unwrap_or_default()
                .into_iter()
                .map(|p| certgate_core::patch::PatchOperation {
                    op: p.op,
                    path: p.path,
                    value: p.value,
                    from: p.from,
                })
                .collect();
            let _ = certgate_core::patch::description_change(&patch);
        }
        Ok(other) => panic!("{path} routed to {other:?}"),
        Err(_) => {}
    }
});
