use std::io::Write as _;

use certgate_pki::{issue, PrivateKey, Profile};
use rustls::{AlertDescription, CertificateError, Error};

use super::*;

fn issued() -> (PrivateKey, String) {
    let key = PrivateKey::generate().unwrap();
    let profile = Profile {
        serial: 42,
        not_before: 1_700_000_000,
        not_after: 1_700_000_000 + certgate_core::VALIDITY_SECONDS,
    };
    let pem = issue(&key, &profile).unwrap();
    (key, pem)
}

#[test]
fn an_identity_keeps_its_certificate_and_never_shows_its_key() {
    let (key, pem) = issued();
    let identity = Identity::new("abc123", &pem, key.pkcs8().clone(), 1_731_536_000).unwrap();
    assert_eq!(identity.certificate_id(), "abc123");
    assert_eq!(identity.expires(), 1_731_536_000);
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    assert_eq!(identity.der(), der.as_ref());
    let shown = format!("{identity:?}");
    assert!(
        shown.contains("abc123") && shown.contains("redacted"),
        "{shown}"
    );
    assert!(!shown.contains("Pkcs8") && shown.len() < 120, "{shown}");
}

#[test]
fn an_identity_refuses_a_key_of_another_certificate() {
    let (_, pem) = issued();
    let (other, _) = issued();
    let error = Identity::new("abc123", &pem, other.pkcs8().clone(), 0).unwrap_err();
    assert!(
        error.contains("abc123") && error.contains("differ"),
        "{error}"
    );
}

#[test]
fn an_identity_needs_a_certificate_and_a_readable_key() {
    let (key, pem) = issued();
    let error = Identity::new("abc123", "", key.pkcs8().clone(), 0).unwrap_err();
    assert!(error.contains("no certificate"), "{error}");
    let error = Identity::new("abc123", &pem, SecretBytes::new(vec![0x30, 1, 2]), 0).unwrap_err();
    assert!(error.contains("key"), "{error}");
}

#[test]
fn trust_adds_the_operators_certificates_to_the_public_roots() {
    let (_, one) = issued();
    let (_, two) = issued();
    let trust = Trust::from_pem(&format!("{one}\n{two}")).unwrap();
    assert_eq!(trust.added(), 2);
    assert_eq!(Trust::load(None).unwrap().added(), 0);

    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(one.as_bytes()).unwrap();
    assert_eq!(Trust::load(Some(file.path())).unwrap().added(), 1);
}

#[test]
fn a_backend_ca_file_that_adds_nothing_is_an_error_naming_it() {
    let missing = std::path::Path::new("/nonexistent/backend-ca.pem");
    let error = Trust::load(Some(missing)).unwrap_err();
    assert!(error.contains("/nonexistent/backend-ca.pem"), "{error}");

    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(b"not a certificate\n").unwrap();
    let error = Trust::load(Some(file.path())).unwrap_err();
    assert!(
        error.contains(&file.path().display().to_string()),
        "{error}"
    );
    assert!(error.contains("no certificate"), "{error}");

    let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert!(Trust::from_pem(broken).is_err());
}

#[test]
fn client_configs_offer_h2_then_http1_and_the_identity_only_when_there_is_one() {
    let (key, pem) = issued();
    let identity = Identity::new("abc123", &pem, key.pkcs8().clone(), 0).unwrap();
    let trust = Trust::load(None).unwrap();
    for insecure in [false, true] {
        let with = client_config(&trust, Some(&identity), insecure);
        assert_eq!(
            with.alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        assert!(with.client_auth_cert_resolver.has_certs());
        let without = client_config(&trust, None, insecure);
        assert!(!without.client_auth_cert_resolver.has_certs());
    }
}

#[test]
fn tls_failures_are_sorted_by_what_the_operator_does_about_them() {
    let cases = [
        (
            Error::InvalidCertificate(CertificateError::UnknownIssuer),
            TlsCause::UnknownIssuer,
        ),
        (
            Error::InvalidCertificate(CertificateError::BadSignature),
            TlsCause::UnknownIssuer,
        ),
        (
            Error::InvalidCertificate(CertificateError::Expired),
            TlsCause::Expired,
        ),
        (
            Error::InvalidCertificate(CertificateError::NotValidYet),
            TlsCause::Expired,
        ),
        (
            Error::InvalidCertificate(CertificateError::NotValidForName),
            TlsCause::NameMismatch,
        ),
        (
            Error::InvalidCertificate(CertificateError::Revoked),
            TlsCause::Handshake,
        ),
        (
            Error::AlertReceived(AlertDescription::CertificateRequired),
            TlsCause::CertificateRefused,
        ),
        (
            Error::AlertReceived(AlertDescription::BadCertificate),
            TlsCause::CertificateRefused,
        ),
        (
            Error::AlertReceived(AlertDescription::UnknownCA),
            TlsCause::CertificateRefused,
        ),
        (
            Error::AlertReceived(AlertDescription::AccessDenied),
            TlsCause::CertificateRefused,
        ),
        (
            Error::AlertReceived(AlertDescription::CertificateUnknown),
            TlsCause::CertificateRefused,
        ),
        (
            Error::AlertReceived(AlertDescription::DecryptError),
            TlsCause::CertificateRefused,
        ),
        (
            Error::AlertReceived(AlertDescription::HandshakeFailure),
            TlsCause::Handshake,
        ),
        (Error::NoCertificatesPresented, TlsCause::Handshake),
    ];
    for (error, cause) in cases {
        assert_eq!(TlsCause::of(&error), cause, "{error}");
    }
    let names: Vec<_> = [
        TlsCause::UnknownIssuer,
        TlsCause::Expired,
        TlsCause::NameMismatch,
        TlsCause::CertificateRefused,
        TlsCause::Handshake,
    ]
    .iter()
    .map(|c| c.name())
    .collect();
    assert_eq!(
        names,
        [
            "unknown_issuer",
            "expired",
            "name_mismatch",
            "certificate_refused",
            "handshake"
        ]
    );
}

/// A self-signed backend certificate as `openssl req -x509` makes it (marked as a CA), given in
/// `--backend-ca-file`: webpki alone refuses a CA certificate as an end entity, so certgate pins
/// it, and still checks its names and dates.
#[cfg(feature = "testing")]
#[test]
fn a_self_signed_backend_certificate_in_the_ca_file_is_accepted_for_its_names() {
    use rustls::client::danger::ServerCertVerifier as _;
    use rustls::pki_types::{ServerName, UnixTime};
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let der = cert.der().clone();
    let now = UnixTime::now();
    let localhost = ServerName::try_from("localhost").unwrap();
    let pinned = Trust::from_pem(&cert.pem()).unwrap();
    assert!(pinned
        .verifier
        .verify_server_cert(&der, &[], &localhost, &[], now)
        .is_ok());
    let other = ServerName::try_from("example.com").unwrap();
    assert!(pinned
        .verifier
        .verify_server_cert(&der, &[], &other, &[], now)
        .is_err());
    let public = Trust::load(None).unwrap();
    assert!(public
        .verifier
        .verify_server_cert(&der, &[], &localhost, &[], now)
        .is_err());
}
