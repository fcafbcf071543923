"""The X.509 certificate inside pemEncodedCertificate."""

from datetime import datetime, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from certgate_helpers import RawClient, new_account


@pytest.fixture(scope="module")
def issued(server):
    """Two certificates from one account: (raw JSON body, parsed certificate)."""
    raw = RawClient(server.url, key=new_account())
    out = []
    for _ in range(2):
        resp = raw.generate(description="x509 checks")
        assert resp.status_code == 201, resp.text
        body = resp.json()
        out.append((body, x509.load_pem_x509_certificate(body["pemEncodedCertificate"].encode())))
    return out


@pytest.fixture(scope="module")
def cert(issued):
    return issued[0][1]


def test_pem_holds_exactly_one_certificate(issued):
    pem = issued[0][0]["pemEncodedCertificate"]
    assert pem.lstrip().startswith("-----BEGIN CERTIFICATE-----")
    assert len(x509.load_pem_x509_certificates(pem.encode())) == 1


def test_version_is_v3(cert):
    assert cert.version == x509.Version.v3


def test_public_key_is_rsa_2048(cert):
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 2048


def test_signature_algorithm_is_sha256_with_rsa(cert):
    assert cert.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA256
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)


def test_subject_and_issuer(cert):
    assert cert.subject.rfc4514_string() == "CN=ApiGateway,L=Seattle,C=US"
    assert cert.issuer.rfc4514_string() == "CN=ApiGateway,L=Seattle,C=US"
    # DER order: C, L, CN -- one attribute per RDN
    assert [(a.oid, a.value) for a in cert.subject] == [
        (NameOID.COUNTRY_NAME, "US"),
        (NameOID.LOCALITY_NAME, "Seattle"),
        (NameOID.COMMON_NAME, "ApiGateway"),
    ]
    assert cert.issuer == cert.subject


def test_self_signed_signature_verifies(cert):
    cert.public_key().verify(
        cert.signature,
        cert.tbs_certificate_bytes,
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    cert.verify_directly_issued_by(cert)


def test_signature_does_not_verify_with_another_certificates_key(issued):
    from cryptography.exceptions import InvalidSignature

    (_, first), (_, second) = issued
    with pytest.raises(InvalidSignature):
        second.public_key().verify(
            first.signature, first.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA256()
        )


def test_serial_is_positive_and_below_2_pow_64(issued):
    for _, c in issued:
        assert 0 < c.serial_number < 2**64


def test_has_no_extensions(cert):
    assert len(cert.extensions) == 0


def test_validity_matches_created_and_expiration_dates(issued):
    for body, c in issued:
        assert c.not_valid_before_utc == datetime.fromtimestamp(body["createdDate"], tz=timezone.utc)
        assert c.not_valid_after_utc == datetime.fromtimestamp(body["expirationDate"], tz=timezone.utc)


def test_each_certificate_has_distinct_key_and_serial(issued):
    (_, a), (_, b) = issued
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert a.public_key().public_bytes(*spki) != b.public_key().public_bytes(*spki)
    assert a.serial_number != b.serial_number
