//! ARNs: any string parses to a region and certificate id or is refused; what parses prints back
//! to an ARN that parses to the same pair.
#![no_main]

use certgate_core::arn::{certificate_arn, parse_certificate_arn};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok((region, id)) = parse_certificate_arn(&text) {
        let again = parse_certificate_arn(&certificate_arn(&region, &id)).expect("own ARN parses");
        assert_eq!(again, (region, id));
    }
});
