"""Tags: TagResource / UntagResource / GetTags and tag validation."""

import pytest

from certgate_helpers import (
    AWS_PREFIX_MSG,
    DEFAULT_REGION,
    assert_client_error,
    cert_arn,
    client_error,
)

ALLOWED_SPECIALS = "+-=._:/"


def _tags_everywhere(client, cid, region=DEFAULT_REGION):
    """Tags as seen through GetClientCertificate and GetTags (must agree)."""
    on_cert = client.get_client_certificate(clientCertificateId=cid).get("tags", {})
    via_get_tags = client.get_tags(resourceArn=cert_arn(region, cid)).get("tags", {})
    assert on_cert == via_get_tags
    return on_cert


def _count(client):
    return len(client.get_client_certificates(limit=500).get("items", []))


# --- happy paths -------------------------------------------------------------


def test_tags_given_at_generate_are_visible_everywhere(client):
    tags = {"env": "prod", "team": "edge"}
    cid = client.generate_client_certificate(tags=tags)["clientCertificateId"]
    assert _tags_everywhere(client, cid) == tags


def test_tag_resource_adds_and_overwrites(client):
    cid = client.generate_client_certificate(tags={"a": "1", "b": "2"})["clientCertificateId"]
    resp = client.tag_resource(resourceArn=cert_arn(DEFAULT_REGION, cid), tags={"b": "20", "c": "3"})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert _tags_everywhere(client, cid) == {"a": "1", "b": "20", "c": "3"}


def test_untag_resource_removes_keys(client):
    cid = client.generate_client_certificate(tags={"a": "1", "b": "2", "c": "3"})["clientCertificateId"]
    resp = client.untag_resource(resourceArn=cert_arn(DEFAULT_REGION, cid), tagKeys=["a", "c"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert _tags_everywhere(client, cid) == {"b": "2"}


def test_removing_all_tags_omits_tags_key(raw, client):
    cid = raw.generate(tags={"only": "one"}).json()["clientCertificateId"]
    client.untag_resource(resourceArn=cert_arn(DEFAULT_REGION, cid), tagKeys=["only"])
    assert "tags" not in raw.get(cid).json()
    assert client.get_tags(resourceArn=cert_arn(DEFAULT_REGION, cid)).get("tags", {}) == {}


def test_tagging_a_certificate_without_tags(client):
    cid = client.generate_client_certificate()["clientCertificateId"]
    client.tag_resource(resourceArn=cert_arn(DEFAULT_REGION, cid), tags={"new": "tag"})
    assert _tags_everywhere(client, cid) == {"new": "tag"}


def test_tag_operations_wire_status_codes(raw):
    cid = raw.generate().json()["clientCertificateId"]
    path = raw.tags_path(cid)
    put = raw.request("PUT", path, json_body={"tags": {"x": "y", "z": ""}})
    assert put.status_code == 204, put.text
    assert put.headers.get("x-amzn-RequestId")
    get = raw.request("GET", path)
    assert get.status_code == 200, get.text
    assert get.json() == {"tags": {"x": "y", "z": ""}}
    delete = raw.request("DELETE", path, params=[("tagKeys", "x"), ("tagKeys", "z")])
    assert delete.status_code == 204, delete.text
    assert raw.request("GET", path).json().get("tags", {}) == {}


def test_tags_are_per_certificate(client):
    a = client.generate_client_certificate(tags={"who": "a"})["clientCertificateId"]
    b = client.generate_client_certificate(tags={"who": "b"})["clientCertificateId"]
    client.tag_resource(resourceArn=cert_arn(DEFAULT_REGION, a), tags={"extra": "1"})
    assert _tags_everywhere(client, a) == {"who": "a", "extra": "1"}
    assert _tags_everywhere(client, b) == {"who": "b"}


def test_tag_unknown_certificate_is_not_found(client):
    client.generate_client_certificate()
    with pytest.raises(client.exceptions.NotFoundException) as ei:
        client.tag_resource(resourceArn=cert_arn(DEFAULT_REGION, "zzzzzz"), tags={"a": "b"})
    assert_client_error(ei.value, "NotFoundException", 404)


def test_tag_deleted_certificate_is_not_found(client):
    cid = client.generate_client_certificate()["clientCertificateId"]
    client.delete_client_certificate(clientCertificateId=cid)
    err = client_error(client.tag_resource, resourceArn=cert_arn(DEFAULT_REGION, cid), tags={"a": "b"})
    assert_client_error(err, "NotFoundException", 404)


# --- limits & character set -----------------------------------------------------


@pytest.mark.parametrize(
    "tags",
    [
        {"k" * 128: "v"},
        {"k": "v" * 256},
        {"k": ""},
        {"Key09" + ALLOWED_SPECIALS: "Val09" + ALLOWED_SPECIALS},
        {"x": "aws:value-prefix-is-fine"},
        {"notaws:key": "v"},
    ],
    ids=["key-128", "value-256", "empty-value", "allowed-specials", "aws-prefixed-value", "aws-not-prefix"],
)
def test_valid_tags_are_accepted(client, tags):
    cid = client.generate_client_certificate(tags=tags)["clientCertificateId"]
    assert _tags_everywhere(client, cid) == tags
    # and also through TagResource
    other = client.generate_client_certificate()["clientCertificateId"]
    client.tag_resource(resourceArn=cert_arn(DEFAULT_REGION, other), tags=tags)
    assert _tags_everywhere(client, other) == tags


INVALID_TAGS = [
    ({"k" * 129: "v"}, "key-129"),
    ({"k": "v" * 257}, "value-257"),
    ({"": "v"}, "empty-key"),
    ({"has space": "v"}, "space-in-key"),
    ({"k": "has space"}, "space-in-value"),
    ({"a@b": "v"}, "at-in-key"),
    ({"k": "a@b"}, "at-in-value"),
    ({"k": "ünï"}, "non-ascii-value"),
    ({"k*": "v"}, "star-in-key"),
]


@pytest.mark.parametrize("tags", [t for t, _ in INVALID_TAGS], ids=[i for _, i in INVALID_TAGS])
def test_invalid_tags_rejected_at_generate(client, tags):
    client.generate_client_certificate()
    before = _count(client)
    err = client_error(client.generate_client_certificate, tags=tags)
    assert_client_error(err, "BadRequestException", 400)
    assert _count(client) == before


@pytest.mark.parametrize("tags", [t for t, _ in INVALID_TAGS], ids=[i for _, i in INVALID_TAGS])
def test_invalid_tags_rejected_by_tag_resource(client, tags):
    cid = client.generate_client_certificate(tags={"orig": "1"})["clientCertificateId"]
    err = client_error(client.tag_resource, resourceArn=cert_arn(DEFAULT_REGION, cid), tags={"ok": "fine", **tags})
    assert_client_error(err, "BadRequestException", 400)
    assert _tags_everywhere(client, cid) == {"orig": "1"}


@pytest.mark.parametrize("key", ["aws:foo", "AWS:foo", "Aws:Bar", "aWs:", "aws:"])
def test_aws_prefixed_keys_rejected_at_generate(client, key):
    client.generate_client_certificate()
    before = _count(client)
    err = client_error(client.generate_client_certificate, tags={key: "v"})
    assert_client_error(err, "BadRequestException", 400, AWS_PREFIX_MSG)
    assert _count(client) == before


@pytest.mark.parametrize("key", ["aws:foo", "AWS:foo", "aWs:x"])
def test_aws_prefixed_keys_rejected_by_tag_resource(client, key):
    cid = client.generate_client_certificate(tags={"orig": "1"})["clientCertificateId"]
    err = client_error(client.tag_resource, resourceArn=cert_arn(DEFAULT_REGION, cid), tags={key: "v"})
    assert_client_error(err, "BadRequestException", 400, AWS_PREFIX_MSG)
    assert _tags_everywhere(client, cid) == {"orig": "1"}


def _n_tags(n, prefix="k"):
    return {f"{prefix}{i}": str(i) for i in range(n)}


def test_fifty_tags_at_generate_accepted(client):
    tags = _n_tags(50)
    cid = client.generate_client_certificate(tags=tags)["clientCertificateId"]
    assert _tags_everywhere(client, cid) == tags


def test_fifty_one_tags_at_generate_rejected(client):
    client.generate_client_certificate()
    before = _count(client)
    err = client_error(client.generate_client_certificate, tags=_n_tags(51))
    assert_client_error(err, "BadRequestException", 400)
    assert _count(client) == before


def test_tag_resource_beyond_fifty_total_rejected(client):
    existing = _n_tags(40, "old")
    cid = client.generate_client_certificate(tags=existing)["clientCertificateId"]
    err = client_error(client.tag_resource, resourceArn=cert_arn(DEFAULT_REGION, cid), tags=_n_tags(11, "new"))
    assert_client_error(err, "BadRequestException", 400)
    assert _tags_everywhere(client, cid) == existing


def test_tag_resource_up_to_fifty_total_accepted(client):
    cid = client.generate_client_certificate(tags=_n_tags(40, "old"))["clientCertificateId"]
    client.tag_resource(resourceArn=cert_arn(DEFAULT_REGION, cid), tags=_n_tags(10, "new"))
    assert len(_tags_everywhere(client, cid)) == 50


def test_overwriting_existing_keys_at_fifty_is_accepted(client):
    existing = _n_tags(50)
    cid = client.generate_client_certificate(tags=existing)["clientCertificateId"]
    client.tag_resource(resourceArn=cert_arn(DEFAULT_REGION, cid), tags={"k0": "changed", "k49": "changed"})
    assert _tags_everywhere(client, cid) == {**existing, "k0": "changed", "k49": "changed"}


def test_untag_frees_room_for_new_tags(client):
    cid = client.generate_client_certificate(tags=_n_tags(50))["clientCertificateId"]
    arn = cert_arn(DEFAULT_REGION, cid)
    client.untag_resource(resourceArn=arn, tagKeys=["k0"])
    client.tag_resource(resourceArn=arn, tags={"fresh": "1"})
    tags = _tags_everywhere(client, cid)
    assert len(tags) == 50 and "fresh" in tags and "k0" not in tags
