"""UpdateClientCertificate (PATCH with patchOperations)."""

import pytest

from certgate_helpers import assert_client_error, client_error


def _replace(value):
    return {"op": "replace", "path": "/description", "value": value}


def test_replace_description(client):
    cert = client.generate_client_certificate(description="old", tags={"keep": "me"})
    cid = cert["clientCertificateId"]
    updated = client.update_client_certificate(clientCertificateId=cid, patchOperations=[_replace("new")])
    assert updated["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert updated["description"] == "new"
    # everything else untouched
    for key in ("clientCertificateId", "pemEncodedCertificate", "createdDate", "expirationDate", "tags"):
        assert updated[key] == cert[key], key
    got = client.get_client_certificate(clientCertificateId=cid)
    assert got["description"] == "new"
    assert got["pemEncodedCertificate"] == cert["pemEncodedCertificate"]


def test_replace_sets_description_that_was_never_set(client):
    cid = client.generate_client_certificate()["clientCertificateId"]
    client.update_client_certificate(clientCertificateId=cid, patchOperations=[_replace("now set")])
    assert client.get_client_certificate(clientCertificateId=cid)["description"] == "now set"


def test_raw_update_response_shape(raw):
    cid = raw.generate(description="a").json()["clientCertificateId"]
    resp = raw.request("PATCH", f"/clientcertificates/{cid}", json_body={"patchOperations": [_replace("b")]})
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("x-amzn-RequestId")
    body = resp.json()
    assert body["description"] == "b"
    assert body == raw.get(cid).json()


def test_empty_patch_operations_changes_nothing(client):
    cert = client.generate_client_certificate(description="same", tags={"t": "1"})
    cid = cert["clientCertificateId"]
    updated = client.update_client_certificate(clientCertificateId=cid, patchOperations=[])
    assert updated["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = client.get_client_certificate(clientCertificateId=cid)
    for key in ("description", "pemEncodedCertificate", "createdDate", "expirationDate", "tags"):
        assert updated[key] == cert[key], key
        assert got[key] == cert[key], key


def test_last_replace_wins(client):
    cid = client.generate_client_certificate(description="v0")["clientCertificateId"]
    updated = client.update_client_certificate(
        clientCertificateId=cid, patchOperations=[_replace("v1"), _replace("v2"), _replace("v3")]
    )
    assert updated["description"] == "v3"
    assert client.get_client_certificate(clientCertificateId=cid)["description"] == "v3"


def test_invalid_path_is_rejected_with_exact_message(client):
    cid = client.generate_client_certificate(description="orig")["clientCertificateId"]
    err = client_error(
        client.update_client_certificate,
        clientCertificateId=cid,
        patchOperations=[{"op": "replace", "path": "/name", "value": "x"}],
    )
    assert_client_error(
        err,
        "BadRequestException",
        400,
        "Invalid patch path  '/name' specified for op 'replace'. Must be one of: [/description]",
    )
    assert client.get_client_certificate(clientCertificateId=cid)["description"] == "orig"


@pytest.mark.parametrize("op", ["add", "remove", "move", "copy", "test"])
def test_ops_other_than_replace_are_rejected(client, op):
    cid = client.generate_client_certificate(description="orig")["clientCertificateId"]
    patch = {"op": op, "path": "/description", "value": "changed"}
    if op in ("move", "copy"):
        patch["from"] = "/description"
    err = client_error(client.update_client_certificate, clientCertificateId=cid, patchOperations=[patch])
    assert_client_error(err, "BadRequestException", 400)
    assert "replace" in err.response["Error"]["Message"]
    assert client.get_client_certificate(clientCertificateId=cid)["description"] == "orig"


def test_rejected_patch_applies_none_of_its_operations(client):
    cid = client.generate_client_certificate(description="orig")["clientCertificateId"]
    err = client_error(
        client.update_client_certificate,
        clientCertificateId=cid,
        patchOperations=[_replace("partial"), {"op": "replace", "path": "/name", "value": "x"}],
    )
    assert_client_error(err, "BadRequestException", 400)
    assert client.get_client_certificate(clientCertificateId=cid)["description"] == "orig"


def test_update_of_unknown_id_is_not_found(client):
    with pytest.raises(client.exceptions.NotFoundException) as ei:
        client.update_client_certificate(clientCertificateId="zzzzzz", patchOperations=[_replace("x")])
    assert_client_error(ei.value, "NotFoundException", 404, "Invalid Client Certificate identifier specified")
