"""Two certgate nodes on one PostgreSQL schema, driven at once with boto3: every invariant holds
across nodes (quota, ids, tags, descriptions, pagination)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from certgate_helpers import cert_arn, list_all_ids, make_boto_client, new_account
from pg_helpers import PgServer, drop_schema, new_schema, store_url


@pytest.fixture
def pg_schema():
    schema = new_schema()
    yield schema
    drop_schema(schema)


@pytest.fixture
def two_nodes(pg_schema, tmp_path):
    nodes = [PgServer(store_url(pg_schema), tmp_path / f"node-{i}") for i in range(2)]
    # Both start at once, so both race to apply the migrations.
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


def outcome(fn, *args, **kwargs):
    try:
        return ("ok", fn(*args, **kwargs))
    except ClientError as e:
        return ("err", e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])


def test_quota_holds_across_nodes(two_nodes):
    account, region = new_account(), "eu-central-1"
    clients = [make_boto_client(n.url, region=region, key=account) for n in two_nodes for _ in range(4)]
    barrier = threading.Barrier(75)

    def generate(i):
        barrier.wait()
        return outcome(clients[i % len(clients)].generate_client_certificate, description=f"g{i}")

    with ThreadPoolExecutor(max_workers=75) as pool:
        results = list(pool.map(generate, range(75)))

    made = [r[1]["clientCertificateId"] for r in results if r[0] == "ok"]
    limited = [r for r in results if r == ("err", "LimitExceededException", 429)]
    assert len(made) == 60, [r for r in results if r[0] != "ok"][:5]
    assert len(limited) == 15, [r for r in results if r[0] != "ok" and r not in limited][:5]
    assert len(set(made)) == 60
    for node in two_nodes:
        listed = list_all_ids(make_boto_client(node.url, region=region, key=account))
        assert sorted(listed) == sorted(made)


def test_a_certificate_is_one_certificate_on_every_node(two_nodes):
    account = new_account()
    a, b = (make_boto_client(n.url, key=account) for n in two_nodes)
    made = a.generate_client_certificate(description="made on a", tags={"k": "v"})
    cid = made["clientCertificateId"]

    seen = b.get_client_certificate(clientCertificateId=cid)
    assert seen["pemEncodedCertificate"] == made["pemEncodedCertificate"]
    assert seen["description"] == "made on a"

    b.update_client_certificate(
        clientCertificateId=cid,
        patchOperations=[{"op": "replace", "path": "/description", "value": "changed on b"}],
    )
    assert a.get_client_certificate(clientCertificateId=cid)["description"] == "changed on b"

    a.tag_resource(resourceArn=cert_arn("us-east-1", cid), tags={"more": "x"})
    assert b.get_tags(resourceArn=cert_arn("us-east-1", cid))["tags"] == {"k": "v", "more": "x"}

    b.delete_client_certificate(clientCertificateId=cid)
    with pytest.raises(a.exceptions.NotFoundException):
        a.get_client_certificate(clientCertificateId=cid)


def test_concurrent_tag_and_description_writes_are_never_lost(two_nodes):
    account = new_account()
    clients = [make_boto_client(n.url, key=account) for n in two_nodes for _ in range(3)]
    cid = clients[0].generate_client_certificate()["clientCertificateId"]
    arn = cert_arn("us-east-1", cid)
    n = 30
    barrier = threading.Barrier(n)

    def tag(i):
        barrier.wait()
        return outcome(clients[i % len(clients)].tag_resource, resourceArn=arn, tags={f"k{i}": str(i)})

    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(tag, range(n)))
    # Each write either landed whole or was refused as a conflict; none vanished silently.
    landed = {f"k{i}" for i, r in enumerate(results) if r[0] == "ok"}
    assert all(r[0] == "ok" or r[1:] == ("ConflictException", 409) for r in results), results
    tags = clients[1].get_tags(resourceArn=arn)["tags"]
    assert set(tags) == landed
    assert len(landed) >= 1

    barrier = threading.Barrier(n)

    def describe(i):
        barrier.wait()
        return outcome(
            clients[i % len(clients)].update_client_certificate,
            clientCertificateId=cid,
            patchOperations=[{"op": "replace", "path": "/description", "value": f"d{i}"}],
        )

    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(describe, range(n)))
    assert all(r[0] == "ok" or r[1:] == ("ConflictException", 409) for r in results), results
    won = {r[1]["description"] for r in results if r[0] == "ok"}
    final = clients[0].get_client_certificate(clientCertificateId=cid)
    # The last writer won whole: its description, and every tag still there.
    assert final["description"] in won
    assert set(final["tags"]) == landed


def test_pages_stay_consistent_while_another_node_writes(two_nodes):
    account = new_account()
    reader = make_boto_client(two_nodes[0].url, key=account)
    writer = make_boto_client(two_nodes[1].url, key=account)
    before = {writer.generate_client_certificate()["clientCertificateId"] for _ in range(20)}

    stop = threading.Event()
    written: list[str] = []

    def write():
        while not stop.is_set() and len(written) < 30:
            written.append(writer.generate_client_certificate()["clientCertificateId"])

    t = threading.Thread(target=write)
    t.start()
    try:
        for _ in range(3):
            seen: list[str] = []
            kwargs = {"limit": 3}
            while True:
                page = reader.get_client_certificates(**kwargs)
                seen.extend(item["clientCertificateId"] for item in page.get("items", []))
                if "position" not in page:
                    break
                kwargs["position"] = page["position"]
            # Keyset pages: ids ascend strictly (no repeats), and nothing that was there the whole
            # time is skipped, whatever was inserted meanwhile.
            assert seen == sorted(set(seen))
            assert before <= set(seen)
    finally:
        stop.set()
        t.join(timeout=120)
    assert set(list_all_ids(reader)) == before | set(written)


@pytest.fixture
def two_nodes_with_stage_quota(pg_schema, tmp_path):
    nodes = [PgServer(store_url(pg_schema), tmp_path / f"node-{i}",
                      extra_args=["--max-stages-per-api", "5", "--max-rest-apis-edge", "4"])
             for i in range(2)]
    for n in nodes:
        n.start()
    yield nodes
    for n in nodes:
        n.terminate()


def test_stages_and_rest_api_quotas_hold_across_nodes(two_nodes_with_stage_quota):
    """Both nodes see one set of REST APIs and stages; stage and REST API quotas are counted once
    across nodes; a certificate a stage on one node presents cannot be deleted on the other."""
    nodes = two_nodes_with_stage_quota
    account = new_account()
    a, b = (make_boto_client(n.url, key=account) for n in nodes)
    api = a.create_rest_api(name="shared")
    root = api["rootResourceId"]
    b.put_method(restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="NONE")
    a.put_integration(restApiId=api["id"], resourceId=root, httpMethod="GET", type="MOCK")
    deployment = b.create_deployment(restApiId=api["id"])["id"]

    clients = [a, b] * 6
    barrier = threading.Barrier(12)

    def create(i):
        barrier.wait()
        return outcome(clients[i].create_stage, restApiId=api["id"], stageName=f"s{i}",
                       deploymentId=deployment)

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(create, range(12)))
    made = [r for r in results if r[0] == "ok"]
    assert len(made) == 5, results
    assert all(r == ("err", "LimitExceededException", 429) for r in results if r[0] != "ok"), results
    for c in (a, b):
        assert len(c.get_stages(restApiId=api["id"])["item"]) == 5

    cert = b.generate_client_certificate()["clientCertificateId"]
    stage = made[0][1]["stageName"]
    a.update_stage(restApiId=api["id"], stageName=stage, patchOperations=[
        {"op": "replace", "path": "/clientCertificateId", "value": cert}])
    assert b.get_stage(restApiId=api["id"], stageName=stage)["clientCertificateId"] == cert
    assert outcome(b.delete_client_certificate, clientCertificateId=cert)[1:] == ("ConflictException", 409)

    # Edge REST APIs: four in all, whichever node is asked.
    def create_api(i):
        return outcome(clients[i].create_rest_api, name=f"api{i}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        apis = list(pool.map(create_api, range(8)))
    assert sum(1 for r in apis if r[0] == "ok") == 3, apis  # "shared" is the fourth
