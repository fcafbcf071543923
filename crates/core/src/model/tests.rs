use super::*;

#[test]
fn account_for_access_key() {
    assert_eq!(
        AccountId::for_access_key("123456789012").as_str(),
        "123456789012"
    );
    assert_eq!(
        AccountId::for_access_key("AKIAIOSFODNN7EXAMPLE").as_str(),
        "000000000000"
    );
    assert_eq!(
        AccountId::for_access_key("12345678901").as_str(),
        "000000000000"
    );
    assert_eq!(
        AccountId::for_access_key("1234567890123").as_str(),
        "000000000000"
    );
    assert_eq!(
        AccountId::for_access_key("١٢٣٤٥٦٧٨٩٠١٢").as_str(),
        "000000000000"
    );
}

#[test]
fn certificate_id_shape() {
    assert!(CertificateId::parse("9ao60f").is_some());
    assert!(CertificateId::parse("9AO60F").is_none());
    assert!(CertificateId::parse("9ao60").is_none());
    assert!(CertificateId::parse("9ao60f0").is_none());
    assert!(CertificateId::parse("9ao-0f").is_none());
    assert!(CertificateId::parse("").is_none());
}

#[test]
fn region_shape() {
    assert!(Region::parse("us-east-1").is_some());
    assert!(Region::parse("eu-central-2").is_some());
    assert!(Region::parse("").is_none());
    assert!(Region::parse("US-EAST-1").is_none());
    assert!(Region::parse("1us").is_none());
    assert!(Region::parse("us east").is_none());
    assert!(Region::parse(&"a".repeat(33)).is_none());
}

#[test]
fn not_found_by_kind_in_awss_words() {
    use crate::error::{Error, NotFound};
    let account = AccountId::parse("111111111111").unwrap();
    let cases = [
        (
            NotFound::ClientCertificate,
            "Invalid Client Certificate identifier specified",
        ),
        (
            NotFound::RestApi {
                account: account.as_str(),
                id: "fake-api-id",
            },
            "Invalid API identifier specified 111111111111:fake-api-id",
        ),
        (NotFound::Resource, "Invalid Resource identifier specified"),
        (NotFound::Method, "Invalid Method identifier specified"),
        (NotFound::Stage, "Invalid Stage identifier specified"),
        (
            NotFound::Deployment,
            "Invalid Deployment identifier specified",
        ),
    ];
    for (what, text) in cases {
        assert!(matches!(Error::not_found(what), Error::NotFound(m) if m == text));
    }
}
