"""GenerateClientCertificate / GetClientCertificate: response shape and values."""

import time

from certgate_helpers import CERT_KEYS, ID_RE, ONE_YEAR, media_type


def test_generate_returns_201_with_exact_wire_shape(raw):
    before = int(time.time())
    resp = raw.generate(description="first cert", tags={"team": "edge"})
    after = int(time.time())

    assert resp.status_code == 201, resp.text
    assert media_type(resp) == "application/json"
    assert resp.headers.get("x-amzn-RequestId")
    body = resp.json()
    assert set(body) == CERT_KEYS
    assert ID_RE.match(body["clientCertificateId"]), body["clientCertificateId"]
    assert body["description"] == "first cert"
    assert body["tags"] == {"team": "edge"}
    assert body["pemEncodedCertificate"].startswith("-----BEGIN CERTIFICATE-----")
    # epoch seconds, as JSON integers (not floats, not strings)
    assert type(body["createdDate"]) is int
    assert type(body["expirationDate"]) is int
    assert before - 1 <= body["createdDate"] <= after + 1
    assert body["expirationDate"] == body["createdDate"] + ONE_YEAR


def test_get_returns_what_generate_returned(raw):
    created = raw.generate(description="d", tags={"k": "v"}).json()
    resp = raw.get(created["clientCertificateId"])
    assert resp.status_code == 200
    assert media_type(resp) == "application/json"
    assert resp.headers.get("x-amzn-RequestId")
    assert resp.json() == created


def test_description_and_tags_omitted_when_not_set(raw):
    resp = raw.generate()
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert set(body) == CERT_KEYS - {"description", "tags"}
    fetched = raw.get(body["clientCertificateId"]).json()
    assert set(fetched) == CERT_KEYS - {"description", "tags"}


def test_empty_tags_map_is_omitted(raw):
    body = raw.generate(description="no tags", tags={}).json()
    assert "tags" not in body
    assert "tags" not in raw.get(body["clientCertificateId"]).json()


def test_boto3_generate_without_arguments(client):
    cert = client.generate_client_certificate()
    assert cert["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert ID_RE.match(cert["clientCertificateId"])
    assert "description" not in cert
    assert "tags" not in cert
    got = client.get_client_certificate(clientCertificateId=cert["clientCertificateId"])
    assert got["pemEncodedCertificate"] == cert["pemEncodedCertificate"]
    assert got["createdDate"] == cert["createdDate"]
    assert got["expirationDate"].timestamp() - got["createdDate"].timestamp() == ONE_YEAR


def test_ids_are_unique(client):
    ids = [client.generate_client_certificate()["clientCertificateId"] for _ in range(8)]
    assert all(ID_RE.match(i) for i in ids), ids
    assert len(set(ids)) == len(ids)


def test_description_round_trips_unicode(client):
    text = "prod cert – ünïcode ✓ \"quoted\" \\ backslash"
    cert = client.generate_client_certificate(description=text)
    assert cert["description"] == text
    assert client.get_client_certificate(clientCertificateId=cert["clientCertificateId"])["description"] == text
