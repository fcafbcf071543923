"""Paginators of boto3 and the AWS CLI walk a long list: 130 certificates (quota raised) in pages of
7, on one server populated once for the module."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from certgate_helpers import CertgateServer, awscli_env, make_boto_client, new_account, run_awscli

COUNT = 130
PAGE = 7
REGION = "eu-central-1"


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    """(server, account, ids): one account holding COUNT certificates in REGION."""
    workdir = tmp_path_factory.mktemp("paginate")
    srv = CertgateServer(workdir / "certgate.db", workdir, max_certificates=COUNT + 10).start()
    account = new_account()

    def generate(_):
        client = make_boto_client(srv.url, region=REGION, key=account)
        return client.generate_client_certificate()["clientCertificateId"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = set(pool.map(generate, range(COUNT)))
    assert len(ids) == COUNT
    yield srv, account, ids
    srv.terminate()


def test_boto3_paginator_walks_every_page(populated):
    srv, account, ids = populated
    client = make_boto_client(srv.url, region=REGION, key=account)
    pages = list(client.get_paginator("get_client_certificates").paginate(PaginationConfig={"PageSize": PAGE}))
    sizes = [len(p["items"]) for p in pages]
    assert sizes == [PAGE] * (COUNT // PAGE) + [COUNT % PAGE]
    seen = [i["clientCertificateId"] for p in pages for i in p["items"]]
    assert len(seen) == COUNT and set(seen) == ids
    assert seen == sorted(seen), "pages are in id order"
    assert "position" not in pages[-1]


def test_boto3_paginator_resumes_from_a_starting_token(populated):
    srv, account, ids = populated
    paginator = make_boto_client(srv.url, region=REGION, key=account).get_paginator("get_client_certificates")
    first = paginator.paginate(PaginationConfig={"PageSize": PAGE, "MaxItems": 50}).build_full_result()
    assert len(first["items"]) == 50 and first.get("NextToken")
    rest = paginator.paginate(
        PaginationConfig={"PageSize": PAGE, "StartingToken": first["NextToken"]}
    ).build_full_result()
    seen = [i["clientCertificateId"] for i in first["items"] + rest["items"]]
    assert len(seen) == COUNT and set(seen) == ids


def test_cli_auto_pagination_with_page_size(populated, tmp_path):
    srv, account, ids = populated
    env = awscli_env(tmp_path, account)
    before = list_requests(srv)
    res = run_awscli(srv.url, REGION, env, "get-client-certificates", "--page-size", str(PAGE))
    seen = [i["clientCertificateId"] for i in json.loads(res.stdout)["items"]]
    assert len(seen) == COUNT and set(seen) == ids
    # The CLI asked page by page, as certgate's own request count shows: one request per page.
    assert list_requests(srv) - before == -(-COUNT // PAGE)


def list_requests(srv) -> float:
    metrics = requests.get(srv.url + "/metrics", timeout=30).text
    name = 'certgate_requests_total{operation="GetClientCertificates",status="200"} '
    return next((float(line[len(name):]) for line in metrics.splitlines() if line.startswith(name)), 0.0)


def test_cli_max_items_and_starting_token(populated, tmp_path):
    srv, account, ids = populated
    env = awscli_env(tmp_path, account)
    first = json.loads(run_awscli(srv.url, REGION, env, "get-client-certificates", "--page-size", str(PAGE),
                                  "--max-items", "40").stdout)
    assert len(first["items"]) == 40 and first["NextToken"]
    rest = json.loads(run_awscli(srv.url, REGION, env, "get-client-certificates", "--page-size", "50",
                                 "--starting-token", first["NextToken"]).stdout)
    seen = [i["clientCertificateId"] for i in first["items"] + rest["items"]]
    assert len(seen) == COUNT and set(seen) == ids
