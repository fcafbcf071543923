"""Two certgate nodes on one PostgreSQL schema (issue 13): they see the same REST APIs, resources and
stages, the per-API quotas and the stage-name uniqueness hold across nodes, and a certificate a stage
uses on one node cannot be deleted through the other."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from certgate_helpers import make_boto_client, new_account
from pg_helpers import PgServer, drop_schema, new_schema, store_url
from restapi_helpers import body, deployable_api, op, stage_arn


@pytest.fixture
def pg_schema():
    schema = new_schema()
    yield schema
    drop_schema(schema)


@pytest.fixture
def two_nodes(pg_schema, tmp_path):
    def start(*extra):
        nodes = [PgServer(store_url(pg_schema), tmp_path / f"node-{i}", extra_args=list(extra)) for i in range(2)]
        threads = [threading.Thread(target=n.start) for n in nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for n in nodes:
            assert n.alive() and n.url, n.stderr()
        started.extend(nodes)
        return nodes

    started: list[PgServer] = []
    yield start
    for n in started:
        n.terminate()


def outcome(fn, **kwargs):
    try:
        return ("ok", fn(**kwargs))
    except ClientError as e:
        return ("err", e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])


def test_two_nodes_see_the_same_stages(two_nodes):
    account = new_account()
    a, b = (make_boto_client(n.url, key=account) for n in two_nodes())
    api_id, root = deployable_api(a)
    pets = b.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    assert a.get_resource(restApiId=api_id, resourceId=pets)["path"] == "/pets"
    dep = b.create_deployment(restApiId=api_id)["id"]
    a.create_stage(restApiId=api_id, stageName="prod", deploymentId=dep, tags={"env": "prod"})
    cid = b.generate_client_certificate()["clientCertificateId"]
    b.update_stage(restApiId=api_id, stageName="prod", patchOperations=[op("replace", "/clientCertificateId", cid)])
    sa, sb = body(a.get_stage(restApiId=api_id, stageName="prod")), body(b.get_stage(restApiId=api_id, stageName="prod"))
    assert sa == sb
    assert sa["clientCertificateId"] == cid and sa["deploymentId"] == dep
    assert a.get_tags(resourceArn=stage_arn(api_id, "prod"))["tags"] == {"env": "prod"}
    # the certificate is in use for every node
    with pytest.raises(a.exceptions.ConflictException):
        a.delete_client_certificate(clientCertificateId=cid)
    with pytest.raises(b.exceptions.ConflictException):
        b.delete_client_certificate(clientCertificateId=cid)
    with pytest.raises(a.exceptions.BadRequestException):
        a.delete_deployment(restApiId=api_id, deploymentId=dep)
    b.delete_stage(restApiId=api_id, stageName="prod")
    with pytest.raises(a.exceptions.NotFoundException):
        a.get_stage(restApiId=api_id, stageName="prod")
    a.delete_client_certificate(clientCertificateId=cid)


def test_stage_name_is_unique_across_nodes(two_nodes):
    account = new_account()
    nodes = two_nodes()
    clients = [make_boto_client(n.url, key=account) for n in nodes for _ in range(4)]
    api_id, _ = deployable_api(clients[0])
    dep = clients[0].create_deployment(restApiId=api_id)["id"]
    barrier = threading.Barrier(8)

    def create(i):
        barrier.wait()
        return outcome(clients[i].create_stage, restApiId=api_id, stageName="prod", deploymentId=dep,
                       description=f"from {i}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(create, range(8)))
    assert sum(r[0] == "ok" for r in results) == 1, results
    assert all(r == ("err", "ConflictException", 409) for r in results if r[0] != "ok"), results
    assert len(clients[0].get_stages(restApiId=api_id)["item"]) == 1


def test_stage_and_resource_quotas_hold_across_nodes(two_nodes):
    account = new_account()
    nodes = two_nodes("--max-stages-per-api", "3", "--max-resources-per-api", "5")
    clients = [make_boto_client(n.url, key=account) for n in nodes for _ in range(5)]
    api_id, root = deployable_api(clients[0])
    dep = clients[0].create_deployment(restApiId=api_id)["id"]
    barrier = threading.Barrier(10)

    def stage(i):
        barrier.wait()
        return outcome(clients[i].create_stage, restApiId=api_id, stageName=f"s{i}", deploymentId=dep)

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(stage, range(10)))
    assert sum(r[0] == "ok" for r in results) == 3, results
    assert all(r == ("err", "LimitExceededException", 429) for r in results if r[0] != "ok"), results
    assert len(clients[0].get_stages(restApiId=api_id)["item"]) == 3

    barrier = threading.Barrier(10)

    def resource(i):
        barrier.wait()
        return outcome(clients[i].create_resource, restApiId=api_id, parentId=root, pathPart=f"r{i}")

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(resource, range(10)))
    assert sum(r[0] == "ok" for r in results) == 4, results  # the root is one of the five
    assert len(clients[1].get_resources(restApiId=api_id)["items"]) == 5


def test_rest_api_quota_holds_across_nodes(two_nodes):
    account = new_account()
    nodes = two_nodes("--max-rest-apis-regional", "4")
    clients = [make_boto_client(n.url, key=account) for n in nodes for _ in range(5)]
    barrier = threading.Barrier(10)

    def create(i):
        barrier.wait()
        return outcome(clients[i].create_rest_api, name=f"a{i}", endpointConfiguration={"types": ["REGIONAL"]})

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(create, range(10)))
    assert sum(r[0] == "ok" for r in results) == 4, results
    assert all(r == ("err", "LimitExceededException", 429) for r in results if r[0] != "ok"), results
    assert len(clients[0].get_rest_apis()["items"]) == 4


def test_attach_races_delete_of_the_certificate(two_nodes):
    """A stage never ends up pointing at a deleted certificate, whichever of the two calls wins."""
    account = new_account()
    a, b = (make_boto_client(n.url, key=account) for n in two_nodes())
    api_id, _ = deployable_api(a)
    dep = a.create_deployment(restApiId=api_id)["id"]
    for round_ in range(10):
        stage = f"s{round_}"
        a.create_stage(restApiId=api_id, stageName=stage, deploymentId=dep)
        cid = a.generate_client_certificate()["clientCertificateId"]
        barrier = threading.Barrier(2)

        def attach():
            barrier.wait()
            return outcome(a.update_stage, restApiId=api_id, stageName=stage,
                           patchOperations=[op("replace", "/clientCertificateId", cid)])

        def delete():
            barrier.wait()
            return outcome(b.delete_client_certificate, clientCertificateId=cid)

        with ThreadPoolExecutor(max_workers=2) as pool:
            fa, fd = pool.submit(attach), pool.submit(delete)
            ra, rd = fa.result(), fd.result()
        got = a.get_stage(restApiId=api_id, stageName=stage)
        if ra[0] == "ok":
            # attached first: the delete was refused and the certificate is still there
            assert rd == ("err", "ConflictException", 409), (ra, rd)
            assert got["clientCertificateId"] == cid
            assert b.get_client_certificate(clientCertificateId=cid)["clientCertificateId"] == cid
        else:
            assert ra == ("err", "BadRequestException", 400), (ra, rd)
            assert rd[0] == "ok", (ra, rd)
            assert "clientCertificateId" not in got
        a.delete_stage(restApiId=api_id, stageName=stage)
