//! Pagination tokens: any string is a 400 unless it is exactly a token that this key issued for
//! this scope. A token that decodes re-encodes to itself (no second spelling of a token), and is
//! refused in every other scope.
#![no_main]

use certgate_core::page::{decode_position, encode_position, PageKey};
use certgate_core::{AccountId, Region, Scope, SecretBytes};
use libfuzzer_sys::fuzz_target;

fn scope(account: &str, region: &str) -> Scope {
    Scope {
        account: AccountId::parse(account).expect("account"),
        region: Region::parse(region).expect("region"),
    }
}

fuzz_target!(|data: &[u8]| {
    let key = PageKey::new(&SecretBytes::new(vec![42; 32])).expect("key");
    let home = scope("000000000000", "us-east-1");
    let token = String::from_utf8_lossy(data);
    if let Ok(id) = decode_position(&key, &home, &token) {
        assert_eq!(encode_position(&key, &home, &id), token);
        assert!(decode_position(&key, &scope("111111111111", "us-east-1"), &token).is_err());
        assert!(decode_position(&key, &scope("000000000000", "eu-west-1"), &token).is_err());
    }
    // Tokens this key issued always decode to their id.
    if let Some(id) = certgate_core::CertificateId::parse(&token) {
        let issued = encode_position(&key, &home, &id);
        assert_eq!(
            decode_position(&key, &home, &issued).expect("own token"),
            id
        );
    }
});
