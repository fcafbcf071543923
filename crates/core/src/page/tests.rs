use super::*;

fn region(s: &str) -> Region {
    Region::parse(s).unwrap()
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
fn position_round_trip_and_refusals() {
    let id = CertificateId::parse("ab12cd").unwrap();
    let token = encode_position(&region("us-east-1"), &id);
    assert_eq!(decode_position(&region("us-east-1"), &token).unwrap(), id);
    // A token of another region, a truncated or altered one, and garbage are all refused.
    assert!(decode_position(&region("eu-west-1"), &token).is_err());
    assert!(decode_position(&region("us-east-1"), &token[..token.len() - 2]).is_err());
    assert!(decode_position(&region("us-east-1"), "not a token!").is_err());
    let forged = URL_SAFE_NO_PAD.encode("1|us-east-1|../../x");
    assert!(decode_position(&region("us-east-1"), &forged).is_err());
    let extra = URL_SAFE_NO_PAD.encode("1|us-east-1|ab12cd|x");
    assert!(decode_position(&region("us-east-1"), &extra).is_err());
}
