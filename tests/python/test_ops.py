"""certgate's own endpoints: /_certgate/health and /metrics, and the structured request log."""

from __future__ import annotations

import json
import re
import subprocess
import time

import boto3
import requests

from certgate_helpers import NO_RETRY, client_error, make_boto_client, new_account, server_binary

SECRET = "wJalrXUtnFEMI-certgate-test-secret"


def version() -> str:
    out = subprocess.run([str(server_binary()), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[-1]


def test_health_reports_version_store_and_no_key_pool(server_factory):
    server = server_factory(extra_args=["--key-pool-size", "0"])
    resp = requests.get(server.url + "/_certgate/health", timeout=30)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers.get("x-amzn-RequestId")
    body = resp.json()
    assert body["status"] == "ok"
    assert body["version"] == version()
    assert body["store"]["engine"] == "sqlite"
    assert body["store"]["ok"] is True
    assert body["store"]["latency_ms"] >= 0
    # With the pool off, it is reported as null rather than a made-up fill.
    assert body["key_pool"] is None


def test_health_and_metrics_report_the_key_pool_fill(server_factory):
    srv = server_factory(extra_args=["--key-pool-size", "3", "--key-pool-workers", "1"])
    deadline = time.monotonic() + 60
    while True:
        pool = requests.get(srv.url + "/_certgate/health", timeout=30).json()["key_pool"]
        if pool == {"depth": 3, "capacity": 3} or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert pool == {"depth": 3, "capacity": 3}
    m = parse_metrics(requests.get(srv.url + "/metrics", timeout=30).text)
    assert m["certgate_key_pool_depth"] == 3 and m["certgate_key_pool_capacity"] == 3
    # The pool's workers made those keys, and their time is in the key generation histogram.
    assert m["certgate_key_generation_duration_seconds_count"] >= 3
    client = make_boto_client(srv.url, key=new_account())
    client.generate_client_certificate()
    pool = requests.get(srv.url + "/_certgate/health", timeout=30).json()["key_pool"]
    assert pool["capacity"] == 3 and pool["depth"] <= 3


def test_health_is_only_a_get(server):
    resp = requests.post(server.url + "/_certgate/health", timeout=30)
    assert resp.status_code == 404
    assert resp.headers["x-amzn-ErrorType"] == "UnknownOperationException"


def parse_metrics(text: str) -> dict[str, float]:
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_metrics_count_requests_key_generation_and_expiry(server_factory):
    # The pool off, so that exactly the two generates below make keys.
    srv = server_factory(extra_args=["--key-pool-size", "0"])
    client = make_boto_client(srv.url, key=new_account())
    for _ in range(2):
        client.generate_client_certificate()
    client_error(client.get_client_certificate, clientCertificateId="zzzzzz")

    resp = requests.get(srv.url + "/metrics", timeout=30)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = resp.text
    assert "# TYPE certgate_request_duration_seconds histogram" in text
    m = parse_metrics(text)
    assert m['certgate_requests_total{operation="GenerateClientCertificate",status="201"}'] == 2
    assert m['certgate_requests_total{operation="GetClientCertificate",status="404"}'] == 1
    assert m['certgate_request_duration_seconds_count{operation="GenerateClientCertificate"}'] == 2
    assert m['certgate_request_duration_seconds_bucket{operation="GenerateClientCertificate",le="+Inf"}'] == 2
    assert m["certgate_key_generation_duration_seconds_count"] == 2
    assert m["certgate_key_generation_duration_seconds_sum"] > 0
    # Fresh certificates have 365 days left; nothing is close to expiry.
    assert m['certgate_certificates{expires_in="365d"}'] == 2
    for bucket in ("expired", "7d", "30d", "90d", "later"):
        assert m[f'certgate_certificates{{expires_in="{bucket}"}}'] == 0
    assert m["certgate_key_pool_depth"] == 0

    # A deletion shows at the next scrape.
    cid = client.get_client_certificates()["items"][0]["clientCertificateId"]
    client.delete_client_certificate(clientCertificateId=cid)
    m = parse_metrics(requests.get(srv.url + "/metrics", timeout=30).text)
    assert m['certgate_certificates{expires_in="365d"}'] == 1


def secret_client(url: str, account: str, region: str):
    return boto3.session.Session().client(
        "apigateway", endpoint_url=url, region_name=region, aws_access_key_id=account,
        aws_secret_access_key=SECRET, config=NO_RETRY,
    )


def json_lines(srv) -> list[dict]:
    lines = [line for line in srv.stderr().splitlines() if line.strip()]
    assert lines, "no log output"
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_json_log_has_one_line_per_request_and_no_secret(server_factory):
    srv = server_factory(extra_args=("--log-format", "json"))
    account = new_account()
    client = secret_client(srv.url, account, "eu-west-1")
    created = client.generate_client_certificate(description="logged", tags={"team": "x"})
    created_rid = created["ResponseMetadata"]["RequestId"]
    missing = client_error(client.get_client_certificate, clientCertificateId="zzzzzz")
    missing_rid = missing.response["ResponseMetadata"]["RequestId"]
    requests.get(srv.url + "/_certgate/health", timeout=30)
    assert srv.terminate() == 0

    records = json_lines(srv)
    requests_logged = [r for r in records if r.get("message") == "request"]
    assert len(requests_logged) == 3, requests_logged
    by_id = {r["request_id"]: r for r in requests_logged}
    gen = by_id[created_rid]
    assert gen["operation"] == "GenerateClientCertificate"
    assert gen["account"] == account
    assert gen["region"] == "eu-west-1"
    assert gen["status"] == 201
    assert gen["method"] == "POST"
    assert gen["path"] == "/clientcertificates"
    assert isinstance(gen["latency_ms"], (int, float)) and gen["latency_ms"] > 0
    assert gen["level"] == "INFO" and "timestamp" in gen
    notfound = by_id[missing_rid]
    assert notfound["operation"] == "GetClientCertificate"
    assert notfound["status"] == 404
    assert notfound["error"] == "NotFoundException"
    health = [r for r in requests_logged if r["operation"] == "Health"]
    assert len(health) == 1 and health[0]["status"] == 200

    log = srv.stderr()
    assert SECRET not in log
    assert "PRIVATE KEY" not in log and "BEGIN CERTIFICATE" not in log
    assert "Signature=" not in log and "Credential=" not in log


def test_console_requests_are_logged_and_counted_like_api_requests(server_factory):
    srv = server_factory(extra_args=("--log-format", "json"))
    assert requests.get(srv.url + "/_certgate/", timeout=30).status_code == 200
    assert requests.get(srv.url + "/_certgate/api/certificates", timeout=30).status_code == 200
    m = parse_metrics(requests.get(srv.url + "/metrics", timeout=30).text)
    assert m['certgate_requests_total{operation="Console",status="200"}'] == 2
    assert m['certgate_request_duration_seconds_count{operation="Console"}'] == 2
    assert srv.terminate() == 0

    logged = [r for r in json_lines(srv) if r.get("message") == "request"]
    console = [r for r in logged if r.get("operation") == "Console"]
    assert [r["path"] for r in console] == ["/_certgate/", "/_certgate/api/certificates"], logged
    for r in console:
        # The one shape every request is logged in, whichever part of certgate answered it.
        assert r["method"] == "GET" and r["status"] == 200
        assert isinstance(r["latency_ms"], (int, float)) and r["request_id"]
        assert r.get("target", "certgate::request") == "certgate::request"
    assert not any("latency_us" in r or "op" in r for r in logged), logged


def test_log_format_from_environment_and_text_by_default(server_factory):
    import os

    env = dict(os.environ, CERTGATE_LOG_FORMAT="json")
    srv = server_factory(env=env)
    make_boto_client(srv.url, key=new_account()).get_client_certificates()
    assert srv.terminate() == 0
    assert any(r.get("operation") == "GetClientCertificates" for r in json_lines(srv))

    env = {k: v for k, v in os.environ.items() if k != "CERTGATE_LOG_FORMAT"}
    srv = server_factory(env=env)
    make_boto_client(srv.url, key=new_account()).get_client_certificates()
    assert srv.terminate() == 0
    text = srv.stderr()
    line = next(line for line in text.splitlines() if "GetClientCertificates" in line)
    assert not line.lstrip().startswith("{")
    assert re.search(r"status=200", line), line


def test_unknown_log_format_is_refused(tmp_path):
    res = subprocess.run(
        [str(server_binary()), "serve", "--listen", "127.0.0.1:0", "--log-format", "xml",
         "--store", "sqlite://" + str(tmp_path / "c.db")],
        capture_output=True, text=True, timeout=30,
    )
    assert res.returncode != 0
    assert "xml" in res.stderr and "json" in res.stderr
