"""GetClientCertificates: paging, limits, paginator."""

import pytest

from certgate_helpers import (
    DEFAULT_REGION,
    assert_aws_error,
    assert_client_error,
    client_error,
    make_boto_client,
    new_account,
)

POPULATION = 27  # more than one default page (25), fewer than the quota (60)


@pytest.fixture(scope="module")
def populated(server):
    """An account holding exactly POPULATION certificates (read-only for these tests)."""
    key = new_account()
    c = make_boto_client(server.url, DEFAULT_REGION, key)
    ids = {c.generate_client_certificate(description=f"c{i}")["clientCertificateId"] for i in range(POPULATION)}
    assert len(ids) == POPULATION
    return key, ids


@pytest.fixture
def pclient(server, populated):
    return make_boto_client(server.url, DEFAULT_REGION, populated[0])


def test_empty_account_lists_nothing(raw):
    resp = raw.list()
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body.get("item", []) == []
    assert "position" not in body


def test_listed_items_have_full_certificate_shape(client):
    made = client.generate_client_certificate(description="listed", tags={"a": "b"})
    page = client.get_client_certificates()
    assert "position" not in page
    assert len(page["items"]) == 1
    item = page["items"][0]
    for key in ("clientCertificateId", "description", "pemEncodedCertificate", "createdDate", "expirationDate", "tags"):
        assert item[key] == made[key], key


def test_raw_list_uses_item_key(raw):
    created = raw.generate(description="wire").json()
    body = raw.list().json()
    assert set(body) == {"item"}
    assert body["item"] == [created]


def test_default_page_size_is_25(pclient, populated):
    first = pclient.get_client_certificates()
    assert len(first["items"]) == 25
    assert first.get("position")
    second = pclient.get_client_certificates(position=first["position"])
    assert len(second["items"]) == POPULATION - 25
    assert "position" not in second
    ids = [i["clientCertificateId"] for i in first["items"] + second["items"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == populated[1]


def test_explicit_limit_pages_without_duplicates(pclient, populated):
    seen, position, pages = [], None, 0
    while True:
        kwargs = {"limit": 10}
        if position:
            kwargs["position"] = position
        page = pclient.get_client_certificates(**kwargs)
        pages += 1
        assert len(page["items"]) <= 10
        seen += [i["clientCertificateId"] for i in page["items"]]
        position = page.get("position")
        if not position:
            break
        assert pages < 10, "paging does not terminate"
    assert pages == 3
    assert len(seen) == len(set(seen)) == POPULATION
    assert set(seen) == populated[1]


def test_limit_500_is_accepted(pclient, populated):
    page = pclient.get_client_certificates(limit=500)
    assert "position" not in page
    assert {i["clientCertificateId"] for i in page["items"]} == populated[1]


def test_limit_501_is_rejected(pclient):
    err = client_error(pclient.get_client_certificates, limit=501)
    assert_client_error(err, "BadRequestException", 400)


def test_non_numeric_limit_is_rejected(raw):
    assert_aws_error(raw.list(limit="abc"), "BadRequestException", 400)


def test_garbage_position_is_rejected(raw):
    raw.generate()
    assert_aws_error(raw.list(position="!!not a real position!!"), "BadRequestException", 400)


@pytest.mark.parametrize("page_size", [1, 7, 25])
def test_boto3_paginator_walks_everything_once(pclient, populated, page_size):
    ids = []
    pages = pclient.get_paginator("get_client_certificates").paginate(PaginationConfig={"PageSize": page_size})
    for page in pages:
        ids += [i["clientCertificateId"] for i in page["items"]]
    assert len(ids) == len(set(ids)) == POPULATION
    assert set(ids) == populated[1]


def test_deleted_certificate_disappears_from_list(server):
    c = make_boto_client(server.url, DEFAULT_REGION, new_account())
    a = c.generate_client_certificate()["clientCertificateId"]
    b = c.generate_client_certificate()["clientCertificateId"]
    c.delete_client_certificate(clientCertificateId=a)
    assert [i["clientCertificateId"] for i in c.get_client_certificates()["items"]] == [b]
