//! GenerateClientCertificate and GetClientCertificate.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_issues_an_api_gateway_client_certificate() {
    let server = Server::start().await;
    let client = server.client();
    let out = client
        .generate_client_certificate()
        .description("my cert")
        .tags("env", "test")
        .tags("team", "a+b-c=d.e_f:g/h")
        .send()
        .await
        .expect("generate");

    let id = out.client_certificate_id().expect("id");
    assert!(is_client_certificate_id(id), "id {id:?}");
    assert_eq!(out.description(), Some("my cert"));
    assert_eq!(
        tags_of(out.tags()),
        map(&[("env", "test"), ("team", "a+b-c=d.e_f:g/h")])
    );
    let created = out.created_date().expect("createdDate").secs();
    let expires = out.expiration_date().expect("expirationDate").secs();
    assert_eq!(created, EPOCH, "createdDate is the server clock's now");
    assert_eq!(expires, EPOCH + VALIDITY, "valid for exactly 365 days");

    let pem_text = out
        .pem_encoded_certificate()
        .expect("pemEncodedCertificate");
    let (rest, pem) = x509_parser::pem::parse_x509_pem(pem_text.as_bytes()).expect("PEM");
    assert!(
        rest.iter().all(u8::is_ascii_whitespace),
        "exactly one PEM block"
    );
    assert_eq!(pem.label, "CERTIFICATE");
    let cert = pem.parse_x509().expect("X.509 DER");
    assert_eq!(cert.version(), X509Version::V3);
    assert_eq!(cert.subject().to_string(), "C=US, L=Seattle, CN=ApiGateway");
    assert_eq!(cert.issuer().to_string(), "C=US, L=Seattle, CN=ApiGateway");
    assert!(
        cert.extensions().is_empty(),
        "no extensions: {:?}",
        cert.extensions()
    );
    assert_eq!(cert.signature_algorithm.algorithm, OID_PKCS1_SHA256WITHRSA);
    assert_eq!(
        cert.tbs_certificate.signature.algorithm,
        OID_PKCS1_SHA256WITHRSA
    );
    assert_eq!(
        cert.public_key().algorithm.algorithm,
        OID_PKCS1_RSAENCRYPTION
    );
    match cert.public_key().parsed().expect("public key") {
        PublicKey::RSA(rsa) => assert_eq!(rsa.key_size(), 2048),
        other => panic!("expected an RSA key, got {other:?}"),
    }
    assert_eq!(cert.validity().not_before.timestamp(), created);
    assert_eq!(cert.validity().not_after.timestamp(), expires);
    assert!(cert.tbs_certificate.serial.bits() > 0, "serial is positive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_without_input_has_no_description_or_tags() {
    let server = Server::start().await;
    let client = server.client();
    let out = client
        .generate_client_certificate()
        .send()
        .await
        .expect("generate");
    assert!(is_client_certificate_id(
        out.client_certificate_id().unwrap()
    ));
    assert_eq!(out.description(), None);
    assert!(tags_of(out.tags()).is_empty());
    let got = client
        .get_client_certificate()
        .client_certificate_id(out.client_certificate_id().unwrap())
        .send()
        .await
        .expect("get");
    assert_eq!(snapshot!(got), snapshot!(out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_returns_what_generate_returned() {
    let server = Server::start().await;
    let client = server.client();
    let generated = client
        .generate_client_certificate()
        .description("d")
        .tags("k", "v")
        .send()
        .await
        .expect("generate");
    // The clock moving on does not change a stored certificate's dates.
    server.clock.advance(3_600);
    let got = client
        .get_client_certificate()
        .client_certificate_id(generated.client_certificate_id().unwrap())
        .send()
        .await
        .expect("get");
    assert_eq!(snapshot!(got), snapshot!(generated));
    assert_eq!(got.created_date().unwrap().secs(), EPOCH);

    // A certificate generated later carries the later date.
    let later = client
        .generate_client_certificate()
        .send()
        .await
        .expect("generate");
    assert_eq!(later.created_date().unwrap().secs(), EPOCH + 3_600);
    assert_ne!(
        later.client_certificate_id(),
        generated.client_certificate_id()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_of_an_unknown_id_is_not_found() {
    let server = Server::start().await;
    let client = server.client();
    // A well-formed id nobody generated, and ids that cannot be certificate ids at all.
    for id in ["abc123", "ABC123", "toolong1", "x"] {
        let r = client
            .get_client_certificate()
            .client_certificate_id(id)
            .send()
            .await;
        service_error!(r, GetClientCertificateError::NotFoundException, NOT_FOUND);
    }
}
