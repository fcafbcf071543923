use x509_parser::prelude::*;

use super::*;

const CREATED: i64 = 1_700_000_000;

fn issue_one(serial: u64) -> (PrivateKey, String) {
    let key = PrivateKey::generate().unwrap();
    let profile = Profile {
        serial,
        not_before: CREATED,
        not_after: CREATED + certgate_core::VALIDITY_SECONDS,
    };
    let pem = issue(&key, &profile).unwrap();
    (key, pem)
}

#[test]
fn certificate_has_the_api_gateway_profile() {
    let (key, pem) = issue_one(0xfedc_ba98_7654_3210);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let (_, pem) = parse_x509_pem(pem.as_bytes()).unwrap();
    let cert = pem.parse_x509().unwrap();

    assert_eq!(cert.version(), X509Version::V3);
    assert_eq!(cert.subject().to_string(), "C=US, L=Seattle, CN=ApiGateway");
    assert_eq!(cert.issuer(), cert.subject());
    assert_eq!(
        cert.signature_algorithm.algorithm,
        oid_registry::OID_PKCS1_SHA256WITHRSA
    );
    assert_eq!(
        cert.tbs_certificate.serial.to_u64_digits(),
        vec![0xfedc_ba98_7654_3210]
    );
    assert!(
        cert.extensions().is_empty(),
        "AWS's certificates carry no extensions"
    );
    assert!(!cert.is_ca());
    assert_eq!(cert.validity().not_before.timestamp(), CREATED);
    assert_eq!(
        cert.validity().not_after.timestamp(),
        CREATED + 365 * 86_400
    );

    // Self-signed by the key it was issued for, and that key is RSA-2048.
    cert.verify_signature(None).unwrap();
    match cert.public_key().parsed().unwrap() {
        x509_parser::public_key::PublicKey::RSA(rsa) => assert_eq!(rsa.key_size(), 2048),
        other => panic!("not RSA: {other:?}"),
    }
    assert_eq!(
        cert.public_key().subject_public_key.data.as_ref(),
        key.public_key_der()
    );
}

#[test]
fn keys_are_fresh_and_round_trip_through_pkcs8() {
    let (a, _) = issue_one(1);
    let (b, _) = issue_one(2);
    assert_ne!(a.public_key_der(), b.public_key_der());
    let again = PrivateKey::from_pkcs8(a.pkcs8().clone()).unwrap();
    assert_eq!(again.public_key_der(), a.public_key_der());
    assert!(PrivateKey::from_pkcs8(SecretBytes::new(vec![1, 2, 3])).is_err());
}

#[test]
fn debug_never_shows_key_material() {
    let key = PrivateKey::generate().unwrap();
    let shown = format!("{key:?}");
    assert_eq!(shown, "PrivateKey(RSA-2048, redacted)");
}

#[test]
fn small_serials_are_positive() {
    let (_, pem) = issue_one(1);
    let (_, pem) = parse_x509_pem(pem.as_bytes()).unwrap();
    let cert = pem.parse_x509().unwrap();
    assert_eq!(cert.tbs_certificate.serial.to_u64_digits(), vec![1]);
}
