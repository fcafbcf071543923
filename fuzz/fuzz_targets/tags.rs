//! Tag maps: any keys and values (split on NUL) are accepted or refused by AWS's rules, never a
//! panic; an accepted map holds no more than the limit.
#![no_main]

use certgate_core::Tags;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut tags = Tags::new();
    let mut fields = data.split(|&b| b == 0);
    while let (Some(k), v) = (fields.next(), fields.next()) {
        let value = v
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        tags.insert(String::from_utf8_lossy(k).into_owned(), value);
    }
    if certgate_core::tags::validate(&tags).is_ok() {
        assert!(certgate_core::tags::check_count(tags.len()).is_ok());
        for key in tags.keys() {
            assert!(!key.to_ascii_lowercase().starts_with("aws:"));
        }
    }
});
