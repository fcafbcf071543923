//! ARNs: any string parses to a resource (or a region and certificate id) or is refused; what
//! parses prints back to an ARN that parses to the same.
#![no_main]

use certgate_core::arn::{certificate_arn, parse_certificate_arn};
use certgate_core::ResourceArn;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Any taggable resource's ARN prints back to itself.
    if let Ok(arn) = ResourceArn::parse(&text) {
        assert_eq!(
            ResourceArn::parse(&arn.to_string()).expect("own ARN parses"),
            arn
        );
    }
    if let Ok((region, id)) = parse_certificate_arn(&text) {
        let again = parse_certificate_arn(&certificate_arn(&region, &id)).expect("own ARN parses");
        assert_eq!(again, (region, id));
    }
});
