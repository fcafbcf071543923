"""Invoking stages on two certgate nodes sharing one PostgreSQL schema (issue 14): a rotation made
through one node is presented by the other within a second with traffic flowing through it, and
a stage created, re-deployed, detached or deleted through one node is served accordingly by the
other as fast. Skipped only when no PostgreSQL server answers."""

from __future__ import annotations

import base64
import os
import subprocess
import threading
import time

import pytest

from certgate_helpers import make_boto_client, new_account
from invoke_helpers import (  # noqa: F401  (fixtures)
    STAGE,
    Invoker,
    Traffic,
    assert_missing_token,
    attach,
    backend_ca,
    backends,
    echo,
    failed,
    generate,
    invoke_line,
    proxy_api,
    serve_args,
    started_after,
    until,
)
from mtls_backend import pem_fingerprint
from pg_helpers import PG_URL, PgServer, drop_schema, new_schema, store_url
from restapi_helpers import op

BOUND = 1.0


def postgres_answers() -> bool:
    try:
        res = subprocess.run(["psql", PG_URL, "-tAc", "SELECT 1"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return res.returncode == 0 and res.stdout.strip() == "1"


@pytest.fixture(scope="module")
def pg_available():
    if not postgres_answers():
        pytest.skip(f"no PostgreSQL answers at {PG_URL}")


@pytest.fixture
def two_nodes(pg_available, backend_ca, tmp_path):
    schema = new_schema()
    key_file = tmp_path / "master.key"
    key_file.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    key_file.chmod(0o600)
    # Both nodes unseal the keys the other made: one master key for both.
    args = serve_args(backend_ca.file, "--master-key-file", str(key_file))
    nodes = [PgServer(store_url(schema), tmp_path / f"node-{i}", extra_args=args) for i in range(2)]
    threads = [threading.Thread(target=n.start) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        for n in nodes:
            assert n.alive() and n.url, n.stderr()
        yield nodes
    finally:
        for n in nodes:
            n.terminate()
        drop_schema(schema)


def test_rotate_through_one_node_while_invoking_through_the_other(two_nodes, backends):
    a, b = two_nodes
    account = new_account()
    ca, cb = make_boto_client(a.url, key=account), make_boto_client(b.url, key=account)
    old, old_pem = generate(ca)
    new, new_pem = generate(cb)
    backend = backends(trusted=[old_pem, new_pem])
    api = proxy_api(ca, backend.url, cert_id=old)
    traffic = Traffic(lambda: Invoker(b, api["api"]), threads=2).start()
    try:
        traffic.wait(lambda s: len([x for x in s if x[3] == pem_fingerprint(old_pem)]) >= 10)
        attach(ca, api["api"], new)
        switched = time.monotonic()
        traffic.wait(lambda s: len(started_after(s, switched + BOUND)) >= 10)
    finally:
        samples = traffic.stop()
    assert not failed(samples), failed(samples)[:5]
    stale = [s for s in started_after(samples, switched + BOUND) if s[3] != pem_fingerprint(new_pem)]
    assert not stale, f"node b presented the old certificate {len(stale)} times after {BOUND} s"
    first_new = min(s[0] for s in samples if s[3] == pem_fingerprint(new_pem))
    print(f"two nodes: b presented the new certificate {first_new - switched:+.3f} s after a's UpdateStage")
    # and a, which made the change, presents it at once
    assert echo(Invoker(a, api["api"]).get("/a"))["certificate_sha256"] == pem_fingerprint(new_pem)


def test_stage_changes_through_one_node_reach_the_other_within_a_second(two_nodes, backends):
    a, b = two_nodes
    account = new_account()
    ca = make_boto_client(a.url, key=account)
    cid, _ = generate(ca)
    backend = backends(require="none")
    api = proxy_api(ca, backend.url, cert_id=cid)
    api_id = api["api"]
    on_b = Invoker(b, api_id)
    assert echo(on_b.get("/pets"))["path"] == "/pets"

    # a stage b missed before it existed
    later = Invoker(b, api_id, "later")
    assert_missing_token(later.get("/x"))
    ca.create_stage(restApiId=api_id, stageName="later", deploymentId=api["deployment"])
    until(lambda: later.get("/x").status_code == 200, BOUND)

    # re-deployed through a
    ca.update_integration(restApiId=api_id, resourceId=api["proxy"], httpMethod="ANY",
                          patchOperations=[op("replace", "/uri", backend.url + "/v2/{proxy}")])
    ca.create_deployment(restApiId=api_id, stageName=STAGE)
    until(lambda: echo(on_b.get("/pets"))["path"] == "/v2/pets", BOUND)

    # detached through a: b offers no certificate
    attach(ca, api_id, "")
    until(lambda: invoke_line(b, on_b.get("/pets").headers["x-amzn-RequestId"]).get("certificate") is None, BOUND)

    # deleted through a
    ca.delete_stage(restApiId=api_id, stageName=STAGE)
    until(lambda: on_b.get("/pets").status_code == 403, BOUND)
    assert_missing_token(on_b.get("/pets"))
    for node in two_nodes:
        assert "panicked" not in node.stderr()
