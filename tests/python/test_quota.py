"""Per-(account, region) certificate quota. Each test runs its own server."""

import threading

import pytest
from botocore.exceptions import ClientError

from certgate_helpers import assert_client_error, client_error, list_all_ids, make_boto_client


def test_default_quota_is_60_per_region(server_factory):
    srv = server_factory()
    c = make_boto_client(srv.url, "us-east-1", "123456789012")
    for i in range(60):
        c.generate_client_certificate(description=f"n{i}")
    with pytest.raises(c.exceptions.LimitExceededException) as ei:
        c.generate_client_certificate(description="one too many")
    assert_client_error(ei.value, "LimitExceededException", 429)
    assert len(list_all_ids(c)) == 60


def test_quota_override_and_delete_frees_a_slot(server_factory):
    srv = server_factory(max_certificates=3)
    c = make_boto_client(srv.url, "us-east-1", "123456789012")
    ids = [c.generate_client_certificate()["clientCertificateId"] for _ in range(3)]
    err = client_error(c.generate_client_certificate)
    assert_client_error(err, "LimitExceededException", 429)
    assert sorted(list_all_ids(c)) == sorted(ids)

    c.delete_client_certificate(clientCertificateId=ids[0])
    replacement = c.generate_client_certificate()["clientCertificateId"]
    assert sorted(list_all_ids(c)) == sorted(ids[1:] + [replacement])
    err = client_error(c.generate_client_certificate)
    assert_client_error(err, "LimitExceededException", 429)


def test_quota_is_per_account_and_region(server_factory):
    srv = server_factory(max_certificates=2)
    full = make_boto_client(srv.url, "us-east-1", "111111111111")
    for _ in range(2):
        full.generate_client_certificate()
    with pytest.raises(full.exceptions.LimitExceededException):
        full.generate_client_certificate()

    # same account, other region; other account, same region: both unaffected
    for other in (
        make_boto_client(srv.url, "eu-west-1", "111111111111"),
        make_boto_client(srv.url, "us-east-1", "222222222222"),
    ):
        other.generate_client_certificate()
        other.generate_client_certificate()
        assert len(list_all_ids(other)) == 2
    assert len(list_all_ids(full)) == 2


def test_rejected_quota_request_stores_nothing(server_factory):
    srv = server_factory(max_certificates=1)
    c = make_boto_client(srv.url, "us-east-1", "123456789012")
    only = c.generate_client_certificate()["clientCertificateId"]
    for _ in range(3):
        with pytest.raises(c.exceptions.LimitExceededException):
            c.generate_client_certificate(tags={"x": "y"})
    assert list_all_ids(c) == [only]


def test_quota_holds_under_concurrency(server_factory):
    srv = server_factory()
    n = 75
    clients = [make_boto_client(srv.url, "ap-south-1", "999999999999") for _ in range(n)]
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i):
        barrier.wait()
        try:
            results[i] = ("ok", clients[i].generate_client_certificate(description=f"t{i}")["clientCertificateId"])
        except ClientError as e:
            results[i] = ("err", e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
        except Exception as e:  # noqa: BLE001 - report transport failures as such
            results[i] = ("exc", repr(e))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "generate calls hung"

    ok = [r[1] for r in results if r[0] == "ok"]
    limited = [r for r in results if r[0] == "err" and r[1:] == ("LimitExceededException", 429)]
    other = [r for r in results if r[0] != "ok" and r not in limited]
    assert other == []
    assert len(ok) == 60
    assert len(limited) == 15
    assert len(set(ok)) == 60
    listed = list_all_ids(clients[0])
    assert len(listed) == 60
    assert set(listed) == set(ok)
