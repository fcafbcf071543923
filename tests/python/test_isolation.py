"""State is per (account, region); account from the access key, region from SigV4 scope."""

import pytest

from certgate_helpers import RawClient, cert_arn, list_all_ids, make_boto_client


def _all_ops_not_found(c, cid, region):
    """Every per-certificate operation from `c` must behave as if `cid` does not exist."""
    nf = c.exceptions.NotFoundException
    with pytest.raises(nf):
        c.get_client_certificate(clientCertificateId=cid)
    with pytest.raises(nf):
        c.update_client_certificate(
            clientCertificateId=cid, patchOperations=[{"op": "replace", "path": "/description", "value": "hijack"}]
        )
    with pytest.raises(nf):
        c.tag_resource(resourceArn=cert_arn(region, cid), tags={"hijack": "1"})
    with pytest.raises(nf):
        c.delete_client_certificate(clientCertificateId=cid)
    assert cid not in list_all_ids(c)


def test_twelve_digit_keys_are_separate_accounts(server_factory):
    srv = server_factory()
    one = make_boto_client(srv.url, "us-east-1", "111111111111")
    two = make_boto_client(srv.url, "us-east-1", "222222222222")
    cert = one.generate_client_certificate(description="mine", tags={"o": "1"})
    cid = cert["clientCertificateId"]

    _all_ops_not_found(two, cid, "us-east-1")
    assert list_all_ids(two) == []

    # owner still sees it unchanged
    got = one.get_client_certificate(clientCertificateId=cid)
    assert got["description"] == "mine"
    assert got["tags"] == {"o": "1"}
    assert list_all_ids(one) == [cid]


def test_regions_are_separate(server_factory):
    srv = server_factory()
    eu = make_boto_client(srv.url, "eu-west-1", "111111111111")
    us = make_boto_client(srv.url, "us-east-1", "111111111111")
    cid = eu.generate_client_certificate(description="eu")["clientCertificateId"]

    _all_ops_not_found(us, cid, "us-east-1")
    assert list_all_ids(us) == []
    assert eu.get_client_certificate(clientCertificateId=cid)["description"] == "eu"
    assert list_all_ids(eu) == [cid]


def test_arn_carries_the_region(server_factory):
    srv = server_factory()
    eu = make_boto_client(srv.url, "eu-west-1", "111111111111")
    cid = eu.generate_client_certificate()["clientCertificateId"]
    eu.tag_resource(resourceArn=cert_arn("eu-west-1", cid), tags={"r": "eu"})
    assert eu.get_tags(resourceArn=cert_arn("eu-west-1", cid))["tags"] == {"r": "eu"}
    assert eu.get_client_certificate(clientCertificateId=cid)["tags"] == {"r": "eu"}


def test_non_numeric_key_maps_to_default_account(server_factory):
    srv = server_factory()
    named = make_boto_client(srv.url, "us-east-1", "AKIAEXAMPLE")
    zero = make_boto_client(srv.url, "us-east-1", "000000000000")
    other = make_boto_client(srv.url, "us-east-1", "111111111111")

    a = named.generate_client_certificate(description="from named key")["clientCertificateId"]
    b = zero.generate_client_certificate(description="from zero key")["clientCertificateId"]
    assert zero.get_client_certificate(clientCertificateId=a)["description"] == "from named key"
    assert named.get_client_certificate(clientCertificateId=b)["description"] == "from zero key"
    assert sorted(list_all_ids(named)) == sorted(list_all_ids(zero)) == sorted([a, b])
    assert list_all_ids(other) == []


@pytest.mark.parametrize("key", ["AKIA12345678901", "12345678901", "1234567890123", "12345678901a"])
def test_keys_that_are_not_exactly_12_digits_use_default_account(server, key):
    cid = make_boto_client(server.url, "us-east-1", key).generate_client_certificate()["clientCertificateId"]
    zero = make_boto_client(server.url, "us-east-1", "000000000000")
    assert zero.get_client_certificate(clientCertificateId=cid)["clientCertificateId"] == cid
    # ...and not an account named after (a part of) the key
    digits = "".join(ch for ch in key if ch.isdigit())[:12].ljust(12, "0")
    other = make_boto_client(server.url, "us-east-1", digits)
    with pytest.raises(other.exceptions.NotFoundException):
        other.get_client_certificate(clientCertificateId=cid)
    zero.delete_client_certificate(clientCertificateId=cid)  # keep the shared default account small


def test_unsigned_requests_use_us_east_1_default_account(server_factory):
    srv = server_factory()
    unsigned = RawClient(srv.url, sign=False)
    resp = unsigned.generate(description="anonymous")
    assert resp.status_code == 201, resp.text
    cid = resp.json()["clientCertificateId"]

    zero = make_boto_client(srv.url, "us-east-1", "000000000000")
    assert zero.get_client_certificate(clientCertificateId=cid)["description"] == "anonymous"
    for region, key in (("eu-west-1", "000000000000"), ("us-east-1", "111111111111")):
        other = make_boto_client(srv.url, region, key)
        with pytest.raises(other.exceptions.NotFoundException):
            other.get_client_certificate(clientCertificateId=cid)
    assert unsigned.get(cid).json()["description"] == "anonymous"
