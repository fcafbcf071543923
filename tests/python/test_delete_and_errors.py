"""DeleteClientCertificate and the NotFound error contract."""

import pytest

from certgate_helpers import NOT_FOUND_MSG, assert_aws_error, assert_client_error, client_error


def test_delete_returns_202_with_empty_body(raw):
    cid = raw.generate().json()["clientCertificateId"]
    resp = raw.request("DELETE", f"/clientcertificates/{cid}")
    assert resp.status_code == 202, resp.text
    assert resp.content == b""
    assert resp.headers.get("x-amzn-RequestId")


def test_deleted_certificate_is_gone(client):
    cid = client.generate_client_certificate()["clientCertificateId"]
    resp = client.delete_client_certificate(clientCertificateId=cid)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_client_certificate(clientCertificateId=cid)
    assert client.get_client_certificates().get("items", []) == []


def test_delete_twice_is_not_found(client):
    cid = client.generate_client_certificate()["clientCertificateId"]
    client.delete_client_certificate(clientCertificateId=cid)
    err = client_error(client.delete_client_certificate, clientCertificateId=cid)
    assert_client_error(err, "NotFoundException", 404, NOT_FOUND_MSG)


def test_delete_only_removes_the_target(client):
    keep = client.generate_client_certificate(description="keep")
    gone = client.generate_client_certificate(description="gone")
    client.delete_client_certificate(clientCertificateId=gone["clientCertificateId"])
    got = client.get_client_certificate(clientCertificateId=keep["clientCertificateId"])
    assert got["pemEncodedCertificate"] == keep["pemEncodedCertificate"]


@pytest.mark.parametrize("bad_id", ["zzzzzz", "ABC", "abcdefg", "000000"])
@pytest.mark.parametrize("operation", ["get", "update", "delete"])
def test_unknown_or_malformed_id_is_not_found(client, operation, bad_id):
    client.generate_client_certificate()  # the account is not empty
    call = {
        "get": lambda: client.get_client_certificate(clientCertificateId=bad_id),
        "update": lambda: client.update_client_certificate(
            clientCertificateId=bad_id,
            patchOperations=[{"op": "replace", "path": "/description", "value": "x"}],
        ),
        "delete": lambda: client.delete_client_certificate(clientCertificateId=bad_id),
    }[operation]
    with pytest.raises(client.exceptions.NotFoundException) as ei:
        call()
    assert_client_error(ei.value, "NotFoundException", 404, NOT_FOUND_MSG)


def test_not_found_wire_shape(raw):
    resp = raw.get("zzzzzz")
    body = assert_aws_error(resp, "NotFoundException", 404, NOT_FOUND_MSG)
    assert set(body) == {"message"}
