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
        // Only the partition served: not a look-alike, not another AWS partition.
        "arn:awsfoo:apigateway:us-east-1::/clientcertificates/9ao60f",
        "arn:aws-cn:apigateway:us-east-1::/clientcertificates/9ao60f",
        "arn:aws-us-gov:apigateway:us-east-1::/clientcertificates/9ao60f",
        "arn:AWS:apigateway:us-east-1::/clientcertificates/9ao60f",
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

#[test]
fn resource_arns() {
    let r = Region::parse("eu-west-1").unwrap();
    let cases = [
        (
            "arn:aws:apigateway:eu-west-1::/clientcertificates/9ao60f",
            ResourceArn::ClientCertificate {
                region: r.clone(),
                id: CertificateId::parse("9ao60f").unwrap(),
            },
        ),
        (
            "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5",
            ResourceArn::RestApi {
                region: r.clone(),
                rest_api_id: "a1b2c3d4e5".into(),
            },
        ),
        (
            "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/prod",
            ResourceArn::Stage {
                region: r.clone(),
                rest_api_id: "a1b2c3d4e5".into(),
                stage_name: "prod".into(),
            },
        ),
    ];
    for (text, arn) in cases {
        assert_eq!(ResourceArn::parse(text).unwrap(), arn);
        assert_eq!(arn.to_string(), text);
        assert_eq!(arn.region(), &r);
    }
    for not_taggable in [
        "arn:aws:apigateway:eu-west-1::/restapis/",
        "arn:aws:apigateway:eu-west-1::/restapis/a/resources/b",
        "arn:aws:apigateway:eu-west-1::/restapis/a/stages/",
        "arn:aws:apigateway:eu-west-1::/restapis/a/stages/b/c",
        "arn:aws:apigateway:eu-west-1::/domainnames/x",
    ] {
        let err = ResourceArn::parse(not_taggable).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid resource identifier specified",
            "{not_taggable}"
        );
    }
}

/// Certificate ARNs, bad ARNs and other services' ARNs get the answers they always had.
#[test]
fn certificate_arn_answers_are_unchanged() {
    let msg = |arn: &str| parse_certificate_arn(arn).unwrap_err().to_string();
    assert_eq!(
        msg("arn:aws:s3:::bucket"),
        "Invalid ARN specified in the request: 'arn:aws:s3:::bucket'"
    );
    assert_eq!(
        msg("arn:aws:apigateway:us-east-1::/clientcertificates/NOPE"),
        "Invalid Client Certificate identifier specified"
    );
    assert_eq!(
        msg("arn:aws:apigateway:us-east-1::/restapis/abc"),
        "Invalid resource identifier specified"
    );
}
