"""Two certgate nodes on one PostgreSQL schema, each keeping encoded answers of its reads: a write
on one node is seen by reads on the other within one second, including when the other node's
listening connection is cut and comes back, and a node's own writes are seen by its next read."""

from __future__ import annotations

import threading
import time

import pytest

from certgate_helpers import DEFAULT_REGION, cert_arn, make_boto_client, new_account
from pg_helpers import PgServer, drop_schema, new_schema, psql, store_url

# The bound the read path promises: no read older than this after a write on another node.
STALE_BOUND = 1.0


@pytest.fixture
def pg_schema():
    schema = new_schema()
    yield schema
    drop_schema(schema)


@pytest.fixture
def two_nodes(pg_schema, tmp_path):
    nodes = [PgServer(store_url(pg_schema), tmp_path / f"node-{i}") for i in range(2)]
    threads = [threading.Thread(target=n.start) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n in nodes:
        assert n.alive() and n.url, n.stderr()
    yield nodes
    for n in nodes:
        n.terminate()


def seen_within(read, expect, bound: float = STALE_BOUND) -> float:
    """Reads until `expect(answer)` holds; fails if that takes longer than `bound`. Returns how long
    it took."""
    started = time.monotonic()
    while True:
        answer = read()
        if expect(answer):
            return time.monotonic() - started
        assert time.monotonic() - started < bound, f"still stale after {bound} s: {answer}"
        time.sleep(0.01)


def warm(read, times: int = 3):
    """Reads a few times, so that the node answers from what it keeps."""
    for _ in range(times):
        read()


def test_writes_on_one_node_are_seen_on_the_other_within_a_second(two_nodes):
    account = new_account()
    a, b = (make_boto_client(n.url, key=account) for n in two_nodes)
    cid = a.generate_client_certificate(description="v0")["clientCertificateId"]

    def get_b():
        return b.get_client_certificate(clientCertificateId=cid)

    def page_b():
        return [i["clientCertificateId"] for i in b.get_client_certificates(limit=25)["items"]]

    lags = []
    for n in range(1, 6):
        warm(get_b)
        warm(page_b)
        a.update_client_certificate(
            clientCertificateId=cid,
            patchOperations=[{"op": "replace", "path": "/description", "value": f"v{n}"}],
        )
        lags.append(seen_within(get_b, lambda c, n=n: c.get("description") == f"v{n}"))

    # Tags, a new certificate in a kept page, and a delete, each written on a and read on b.
    warm(get_b)
    a.tag_resource(resourceArn=cert_arn(DEFAULT_REGION, cid), tags={"k": "v"})
    lags.append(seen_within(get_b, lambda c: c.get("tags") == {"k": "v"}))
    warm(page_b)
    other = a.generate_client_certificate()["clientCertificateId"]
    lags.append(seen_within(page_b, lambda ids: other in ids))
    warm(page_b)
    a.delete_client_certificate(clientCertificateId=other)
    lags.append(seen_within(page_b, lambda ids: other not in ids))
    assert max(lags) < STALE_BOUND, lags


def test_a_node_reads_its_own_writes_at_once(two_nodes):
    account = new_account()
    a = make_boto_client(two_nodes[0].url, key=account)
    cid = a.generate_client_certificate(description="v0")["clientCertificateId"]
    for n in range(1, 20):
        a.get_client_certificate(clientCertificateId=cid)
        a.get_client_certificates()
        a.update_client_certificate(
            clientCertificateId=cid,
            patchOperations=[{"op": "replace", "path": "/description", "value": f"v{n}"}],
        )
        assert a.get_client_certificate(clientCertificateId=cid)["description"] == f"v{n}"
        items = a.get_client_certificates()["items"]
        assert [i["description"] for i in items] == [f"v{n}"]


def test_a_lost_listening_connection_does_not_leave_stale_answers(two_nodes):
    account = new_account()
    a, b = (make_boto_client(n.url, key=account) for n in two_nodes)
    cid = a.generate_client_certificate(description="v0")["clientCertificateId"]

    def get_b():
        return b.get_client_certificate(clientCertificateId=cid)

    def listeners() -> int:
        return int(psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'certgate-changes'"))

    for n in range(1, 4):
        # Both nodes listen again (after the previous round's cut) before this round's cut.
        deadline = time.monotonic() + 10
        while listeners() < 2:
            assert time.monotonic() < deadline, "the listening connections did not come back"
            time.sleep(0.05)
        warm(get_b)
        # Every node's listening connection is cut (others' on the shared server only flush
        # their caches); the write comes while none listens, or just as one listens again.
        killed = psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'certgate-changes'"
        )
        assert int(killed) >= 1
        a.update_client_certificate(
            clientCertificateId=cid,
            patchOperations=[{"op": "replace", "path": "/description", "value": f"v{n}"}],
        )
        seen_within(get_b, lambda c, n=n: c.get("description") == f"v{n}")
    for node in two_nodes:
        assert node.alive()
        assert "panicked" not in node.stderr()


def test_answers_are_kept_and_the_trigger_is_what_drops_them(two_nodes, pg_schema):
    """Without this, the tests above would pass as well for nodes that keep nothing: a write made
    with the table's trigger disabled is not announced, and node b goes on answering what it
    kept, while a read on node a (which kept nothing) sees the write."""
    account = new_account()
    a, b = (make_boto_client(n.url, key=account) for n in two_nodes)
    cid = a.generate_client_certificate(description="kept")["clientCertificateId"]

    def get_b():
        return b.get_client_certificate(clientCertificateId=cid)

    warm(get_b)
    psql(
        f"ALTER TABLE {pg_schema}.client_certificates DISABLE TRIGGER client_certificates_changes; "
        f"UPDATE {pg_schema}.client_certificates SET description = 'unannounced' WHERE id = '{cid}'; "
        f"ALTER TABLE {pg_schema}.client_certificates ENABLE TRIGGER client_certificates_changes"
    )
    assert a.get_client_certificate(clientCertificateId=cid)["description"] == "unannounced"
    time.sleep(1.5)
    assert get_b()["description"] == "kept"
    # The next announced write of the certificate drops it on every node.
    a.update_client_certificate(
        clientCertificateId=cid,
        patchOperations=[{"op": "replace", "path": "/description", "value": "announced"}],
    )
    seen_within(get_b, lambda c: c.get("description") == "announced")
