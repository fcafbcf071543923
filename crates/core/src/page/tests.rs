use super::*;
use crate::model::AccountId;
use crate::model::Region;

fn scope(account: &str, region: &str) -> Scope {
    Scope {
        account: AccountId::parse(account).unwrap(),
        region: Region::parse(region).unwrap(),
    }
}

fn key(byte: u8) -> PageKey {
    PageKey::new(&SecretBytes::new(vec![byte; KEY_BYTES])).unwrap()
}

#[test]
fn limits() {
    assert_eq!(parse_limit(None).unwrap(), 25);
    assert_eq!(parse_limit(Some("1")).unwrap(), 1);
    assert_eq!(parse_limit(Some("500")).unwrap(), 500);
    for bad in [
        "0",
        "-1",
        "501",
        "abc",
        "",
        "1.5",
        "99999999999999999999999",
    ] {
        assert!(
            matches!(parse_limit(Some(bad)), Err(Error::BadRequest(_))),
            "{bad}"
        );
    }
}

#[test]
fn position_round_trips_for_its_own_scope() {
    let id = CertificateId::parse("ab12cd").unwrap();
    let home = scope("000000000000", "us-east-1");
    let token = encode_position(&key(1), &home, &id);
    assert_eq!(decode_position(&key(1), &home, &token).unwrap(), id);
}

#[test]
fn position_of_another_scope_or_key_is_refused() {
    let id = CertificateId::parse("ab12cd").unwrap();
    let home = scope("000000000000", "us-east-1");
    let token = encode_position(&key(1), &home, &id);
    for other in [
        scope("000000000000", "eu-west-1"),
        scope("111111111111", "us-east-1"),
        scope("111111111111", "eu-west-1"),
    ] {
        assert!(
            matches!(
                decode_position(&key(1), &other, &token),
                Err(Error::BadRequest(_))
            ),
            "{other:?}"
        );
    }
    // Another store's key (or a rotated one) does not accept the token either.
    assert!(decode_position(&key(2), &home, &token).is_err());
}

#[test]
fn position_forged_truncated_or_altered_is_refused() {
    let id = CertificateId::parse("ab12cd").unwrap();
    let home = scope("000000000000", "us-east-1");
    let k = key(1);
    let token = encode_position(&k, &home, &id);
    // Every strict prefix, including the empty token.
    for n in 0..token.len() {
        assert!(
            decode_position(&k, &home, &token[..n]).is_err(),
            "prefix {n}"
        );
    }
    // Every single-byte change of the decoded token: the id, the version and the tag.
    let raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
    for i in 0..raw.len() {
        let mut altered = raw.clone();
        altered[i] ^= 0x01;
        let altered = URL_SAFE_NO_PAD.encode(&altered);
        assert!(decode_position(&k, &home, &altered).is_err(), "byte {i}");
    }
    // Another id with the tag of the first, the old unsigned format, garbage and huge input.
    let mut swapped = raw.clone();
    swapped[1..7].copy_from_slice(b"zz99zz");
    assert!(decode_position(&k, &home, &URL_SAFE_NO_PAD.encode(&swapped)).is_err());
    let old = URL_SAFE_NO_PAD.encode("1|us-east-1|ab12cd");
    assert!(decode_position(&k, &home, &old).is_err());
    assert!(decode_position(&k, &home, "not a token!").is_err());
    assert!(decode_position(&k, &home, &"A".repeat(100_000)).is_err());
}

#[test]
fn short_keys_are_refused_and_keys_never_print() {
    assert!(PageKey::new(&SecretBytes::new(Vec::new())).is_err());
    assert!(PageKey::new(&SecretBytes::new(vec![7; 15])).is_err());
    let bytes = PageKey::generate_bytes();
    assert_eq!(bytes.expose().len(), KEY_BYTES);
    assert_ne!(bytes.expose(), PageKey::generate_bytes().expose());
    assert_eq!(format!("{:?}", key(1)), "PageKey([redacted])");
}
