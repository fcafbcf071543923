"""The sqlite store survives a hard kill; the process lifecycle is well behaved."""

import pytest

from certgate_helpers import cert_arn, list_all_ids, make_boto_client


def test_certificate_survives_sigkill_restart(server_factory):
    first = server_factory()
    c = make_boto_client(first.url, "eu-central-1", "123456789012")
    cert = c.generate_client_certificate(description="persist me", tags={"a": "1", "b": "2"})
    cid = cert["clientCertificateId"]

    first.kill()  # SIGKILL: no chance to flush anything on shutdown
    assert not first.alive()

    second = server_factory(store=first.store)
    c2 = make_boto_client(second.url, "eu-central-1", "123456789012")
    got = c2.get_client_certificate(clientCertificateId=cid)
    assert got["pemEncodedCertificate"] == cert["pemEncodedCertificate"]
    assert got["description"] == "persist me"
    assert got["tags"] == {"a": "1", "b": "2"}
    assert got["createdDate"] == cert["createdDate"]
    assert got["expirationDate"] == cert["expirationDate"]
    assert c2.get_tags(resourceArn=cert_arn("eu-central-1", cid))["tags"] == {"a": "1", "b": "2"}
    assert list_all_ids(c2) == [cid]


def test_mutations_survive_sigkill_restart(server_factory):
    first = server_factory()
    c = make_boto_client(first.url, "us-east-1", "123456789012")
    keep = c.generate_client_certificate(description="before", tags={"old": "1", "drop": "x"})
    gone = c.generate_client_certificate(description="to delete")
    kid = keep["clientCertificateId"]
    c.update_client_certificate(
        clientCertificateId=kid, patchOperations=[{"op": "replace", "path": "/description", "value": "after"}]
    )
    c.tag_resource(resourceArn=cert_arn("us-east-1", kid), tags={"new": "2"})
    c.untag_resource(resourceArn=cert_arn("us-east-1", kid), tagKeys=["drop"])
    c.delete_client_certificate(clientCertificateId=gone["clientCertificateId"])
    first.kill()

    second = server_factory(store=first.store)
    c2 = make_boto_client(second.url, "us-east-1", "123456789012")
    got = c2.get_client_certificate(clientCertificateId=kid)
    assert got["description"] == "after"
    assert got["tags"] == {"old": "1", "new": "2"}
    assert got["pemEncodedCertificate"] == keep["pemEncodedCertificate"]
    with pytest.raises(c2.exceptions.NotFoundException):
        c2.get_client_certificate(clientCertificateId=gone["clientCertificateId"])
    assert list_all_ids(c2) == [kid]


def test_quota_counts_persisted_certificates(server_factory):
    first = server_factory(max_certificates=2)
    c = make_boto_client(first.url, "us-east-1", "123456789012")
    c.generate_client_certificate()
    c.generate_client_certificate()
    first.kill()

    second = server_factory(store=first.store, max_certificates=2)
    c2 = make_boto_client(second.url, "us-east-1", "123456789012")
    with pytest.raises(c2.exceptions.LimitExceededException):
        c2.generate_client_certificate()


def test_new_ids_after_restart_do_not_collide(server_factory):
    first = server_factory()
    c = make_boto_client(first.url, "us-east-1", "123456789012")
    before = {c.generate_client_certificate()["clientCertificateId"] for _ in range(3)}
    first.kill()
    second = server_factory(store=first.store)
    c2 = make_boto_client(second.url, "us-east-1", "123456789012")
    after = {c2.generate_client_certificate()["clientCertificateId"] for _ in range(3)}
    assert not before & after
    assert set(list_all_ids(c2)) == before | after


def test_sigterm_exits_cleanly(server_factory):
    srv = server_factory()
    make_boto_client(srv.url).get_client_certificates()
    assert srv.terminate(timeout=5) == 0, srv.stderr()

