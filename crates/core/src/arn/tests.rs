use super::*;

#[test]
fn round_trip() {
    let r = Region::parse("eu-west-1").unwrap();
    let id = CertificateId::parse("9ao60f").unwrap();
    let arn = certificate_arn(&r, &id);
    assert_eq!(
        arn,
        "arn:aws:apigateway:eu-west-1::/clientcertificates/9ao60f"
    );
    assert_eq!(parse_certificate_arn(&arn).unwrap(), (r, id));
}

#[test]
fn refusals() {
    for bad in [
        "",
        "arn",
        "arn:aws:s3:::bucket",
        "arn:aws:apigateway:us-east-1:123456789012:/clientcertificates/9ao60f",
        "arn:aws:apigateway:US-EAST-1::/clientcertificates/9ao60f",
        "arn:gcp:apigateway:us-east-1::/clientcertificates/9ao60f",
        "arn:aws:apigateway:us-east-1::clientcertificates/9ao60f",
    ] {
        assert!(
            matches!(parse_certificate_arn(bad), Err(Error::BadRequest(_))),
            "{bad}"
        );
    }
    for missing in [
        "arn:aws:apigateway:us-east-1::/restapis/abc",
        "arn:aws:apigateway:us-east-1::/clientcertificates/NOPE",
        "arn:aws:apigateway:us-east-1::/clientcertificates/9ao60f/extra",
    ] {
        assert!(
            matches!(parse_certificate_arn(missing), Err(Error::NotFound(_))),
            "{missing}"
        );
    }
}
