//! Patch operations, built field by field (any string or absent) without going through JSON, so
//! the fuzzer reaches every combination of op, path, value and from directly.
#![no_main]

use certgate_core::patch::{description_change, PatchOperation};
use libfuzzer_sys::fuzz_target;

fn field(raw: Option<&[u8]>) -> Option<String> {
    // A lone 0x01 stands for an absent field.
    match raw {
        None | Some([1]) => None,
        Some(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
    }
}

fuzz_target!(|data: &[u8]| {
    let ops: Vec<PatchOperation> = data
        .split(|&b| b == 0xff)
        .map(|op| {
            let mut f = op.splitn(4, |&b| b == 0);
            PatchOperation {
                op: field(f.next()),
                path: field(f.next()),
                value: field(f.next()),
                from: field(f.next()),
            }
        })
        .collect();
    if let Ok(Some(Some(description))) = description_change(&ops) {
        // Only a value given by the client can become the description.
        assert!(ops
            .iter()
            .any(|o| o.value.as_deref() == Some(description.as_str())));
    }
});
