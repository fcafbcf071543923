"""The database goes away and comes back, behind a TCP proxy (the shared PostgreSQL server itself
is never stopped): requests get a 503 with a clear message instead of hanging or crashing the node,
and the node serves again by itself once the database is back."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from certgate_helpers import make_boto_client, new_account
from pg_helpers import PG_URL, CuttableProxy, PgServer, drop_schema, new_schema, store_url

UNAVAILABLE = "The certificate store is unavailable. Please retry the request."
# Far above certgate's own bounds (a few seconds): a request that takes this long has hung.
HUNG = 60


@pytest.fixture
def proxied_node(tmp_path):
    schema = new_schema()
    target = urlsplit(PG_URL)
    proxy = CuttableProxy(target.hostname or "127.0.0.1", target.port or 5432)
    node = PgServer(store_url(schema, via_port=proxy.port), tmp_path / "node").start()
    yield node, proxy
    node.terminate()
    proxy.close()
    drop_schema(schema)


def client_for(node, account):
    c = make_boto_client(node.url, key=account)
    # The client gives up long after certgate should have answered: a timeout here is a hang.
    c.meta.config.read_timeout = HUNG
    return c


def assert_unavailable(call):
    with pytest.raises(ClientError) as ei:
        call()
    err, meta = ei.value.response["Error"], ei.value.response["ResponseMetadata"]
    assert (err["Code"], meta["HTTPStatusCode"]) == ("ServiceUnavailableException", 503), ei.value.response
    assert err["Message"] == UNAVAILABLE


def wait_until_served(call, attempts=120):
    """Retries `call` until it succeeds, half a second apart; returns its result."""
    for _ in range(attempts):
        try:
            return call()
        except ClientError as e:
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 503, e.response
            time.sleep(0.5)
    pytest.fail("the node did not serve again after the database came back")


def test_a_dead_network_then_a_stopped_database_are_503s_and_the_node_recovers(proxied_node):
    node, proxy = proxied_node
    client = client_for(node, new_account())
    cid = client.generate_client_certificate(description="before")["clientCertificateId"]

    # The network stalls: open connections never answer, new ones never finish logging in.
    proxy.blackhole()
    assert_unavailable(lambda: client.get_client_certificate(clientCertificateId=cid))
    assert_unavailable(lambda: client.generate_client_certificate())
    assert node.alive()

    # The database is back.
    proxy.restore()
    got = wait_until_served(lambda: client.get_client_certificate(clientCertificateId=cid))
    assert got["description"] == "before"

    # The database refuses connections (stopped), then returns again.
    proxy.refuse()
    assert_unavailable(lambda: client.get_client_certificates())
    assert_unavailable(lambda: client.generate_client_certificate())
    proxy.restore()
    wait_until_served(lambda: client.get_client_certificates())
    made = client.generate_client_certificate(description="after")["clientCertificateId"]
    ids = {i["clientCertificateId"] for i in client.get_client_certificates()["items"]}
    assert ids == {cid, made}
    assert node.alive()
    assert "panicked" not in node.stderr()
