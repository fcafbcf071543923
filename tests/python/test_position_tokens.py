"""Pagination tokens are opaque and tamper-proof: a token works only for the account and region it
was issued to, on the store that issued it; anything else is a 400 and never another account's data."""

from __future__ import annotations

import base64

import pytest

from certgate_helpers import (
    DEFAULT_REGION,
    RawClient,
    assert_aws_error,
    assert_client_error,
    client_error,
    make_boto_client,
    new_account,
)


def b64d(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def two_pages(server):
    """An account with three certificates and the token after its first page of one."""
    account = new_account()
    client = make_boto_client(server.url, DEFAULT_REGION, account)
    ids = sorted(client.generate_client_certificate()["clientCertificateId"] for _ in range(3))
    first = client.get_client_certificates(limit=1)
    assert [i["clientCertificateId"] for i in first["items"]] == ids[:1]
    return account, ids, first["position"]


def test_token_continues_for_its_own_account_and_region(server, two_pages):
    account, ids, token = two_pages
    client = make_boto_client(server.url, DEFAULT_REGION, account)
    rest = client.get_client_certificates(position=token, limit=500)
    assert [i["clientCertificateId"] for i in rest["items"]] == ids[1:]


def test_token_of_another_account_is_refused_and_leaks_nothing(server, two_pages):
    _, _, token = two_pages
    other = make_boto_client(server.url, DEFAULT_REGION, new_account())
    other.generate_client_certificate()
    err = client_error(other.get_client_certificates, position=token)
    assert_client_error(err, "BadRequestException", 400)
    assert "items" not in err.response


def test_token_of_another_region_is_refused(server, two_pages):
    account, _, token = two_pages
    west = make_boto_client(server.url, "eu-west-1", account)
    west.generate_client_certificate()
    assert_client_error(client_error(west.get_client_certificates, position=token), "BadRequestException", 400)


def test_forged_truncated_and_altered_tokens_are_refused(server, two_pages):
    account, ids, token = two_pages
    raw = RawClient(server.url, DEFAULT_REGION, account)
    decoded = b64d(token)
    candidates = [
        token[:-1],
        token[: len(token) // 2],
        token + "A",
        b64e(decoded[:-1]),
        # The same tag with another (real) id of the account: the tag covers the id.
        b64e(decoded[:1] + ids[1].encode() + decoded[7:]),
        # The unsigned format of earlier versions, naming a real id.
        b64e(f"1|{DEFAULT_REGION}|{ids[0]}".encode()),
        b64e(b"\x00" * 40),
        "%%%",
        "A" * 5000,
    ]
    # Every single flipped bit of the first byte of each position.
    candidates += [b64e(decoded[:i] + bytes([decoded[i] ^ 1]) + decoded[i + 1:]) for i in range(len(decoded))]
    for bad in candidates:
        assert_aws_error(raw.list(position=bad), "BadRequestException", 400)


def test_token_survives_a_restart_but_not_another_store(server_factory):
    first = server_factory()
    account = new_account()
    client = make_boto_client(first.url, DEFAULT_REGION, account)
    ids = sorted(client.generate_client_certificate()["clientCertificateId"] for _ in range(2))
    token = client.get_client_certificates(limit=1)["position"]
    assert first.terminate() == 0

    again = server_factory(store=first.store)
    client = make_boto_client(again.url, DEFAULT_REGION, account)
    assert [i["clientCertificateId"] for i in client.get_client_certificates(position=token)["items"]] == ids[1:]

    # Another store has its own key, so the token means nothing there.
    elsewhere = make_boto_client(server_factory().url, DEFAULT_REGION, account)
    elsewhere.generate_client_certificate()
    assert_client_error(client_error(elsewhere.get_client_certificates, position=token), "BadRequestException", 400)
