"""--throttle: a token bucket per account. Past its burst an account gets 429
TooManyRequestsException with Retry-After, other accounts are not slowed, and boto3's standard
retry mode recovers by itself."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from certgate_helpers import CertgateServer, assert_client_error, client_error, make_boto_client, new_account


@pytest.fixture
def throttled(tmp_path):
    started = []

    def start(spec: str) -> CertgateServer:
        srv = CertgateServer(tmp_path / f"{len(started)}.db", tmp_path, extra_args=["--throttle", spec])
        started.append(srv)
        return srv.start()

    yield start
    for srv in started:
        srv.terminate()


def test_past_the_burst_an_account_is_throttled_with_retry_after(throttled):
    # One token per 100 s: nothing refills while the test runs, however slow the machine is.
    srv = throttled("0.01,3")
    client = make_boto_client(srv.url, key=new_account())
    for _ in range(3):
        client.get_client_certificates()
    err = client_error(client.get_client_certificates)
    assert_client_error(err, "TooManyRequestsException", 429, "Too Many Requests")
    assert err.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "100"
    # Another account has its own bucket.
    make_boto_client(srv.url, key=new_account()).get_client_certificates()


def test_boto3_standard_retries_recover_from_throttling(throttled):
    srv = throttled("5,1")
    client = boto3.session.Session().client(
        "apigateway", endpoint_url=srv.url, region_name="us-east-1",
        aws_access_key_id=new_account(), aws_secret_access_key="x",
        config=Config(retries={"mode": "standard", "total_max_attempts": 10}),
    )
    retried = 0
    for _ in range(6):
        resp = client.get_client_certificates()
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
        retried += resp["ResponseMetadata"]["RetryAttempts"]
    # A burst of one cannot serve six calls in a row without a retry.
    assert retried > 0


def test_aws_limits_are_ten_a_second_with_a_burst_of_forty(throttled):
    srv = throttled("aws")
    client = make_boto_client(srv.url, key=new_account())
    statuses = []
    # Up to 400 calls: the burst of 40 plus ten a second would need 36 s to absorb them all.
    while len(statuses) < 400 and 429 not in statuses:
        try:
            client.get_client_certificates()
            statuses.append(200)
        except client.exceptions.TooManyRequestsException:
            statuses.append(429)
    assert statuses[:40] == [200] * 40
    assert statuses[-1] == 429


def test_a_bad_throttle_value_stops_the_start(tmp_path):
    import subprocess
    from certgate_helpers import server_binary
    res = subprocess.run([str(server_binary()), "serve", "--listen", "127.0.0.1:0",
                          "--store", f"sqlite://{tmp_path / 'c.db'}", "--throttle", "fast"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode != 0
    assert "--throttle must be" in res.stderr
