"""AWS_ENDPOINT_URL_API_GATEWAY and AWS_ENDPOINT_URL, as boto3 and the AWS CLI document them: the
service-specific variable wins over the global one, and either alone points the client at certgate
with no endpoint in code or on the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import boto3

from certgate_helpers import NO_RETRY, awscli_env, new_account

# Nothing listens on the discard port: a client sent there fails to connect, so a passing call
# proves which variable it followed.
DEAD = "http://127.0.0.1:9"


def clean_env(monkeypatch, tmp_path):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_API_GATEWAY", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                 "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "empty").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "empty"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "empty"))


def boto_client(account):
    # No endpoint_url: the environment decides.
    return boto3.session.Session().client(
        "apigateway", region_name="us-east-1", aws_access_key_id=account,
        aws_secret_access_key="x", config=NO_RETRY,
    )


def test_boto3_service_specific_variable_wins(server, monkeypatch, tmp_path):
    clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", DEAD)
    monkeypatch.setenv("AWS_ENDPOINT_URL_API_GATEWAY", server.url)
    client = boto_client(new_account())
    assert client.meta.endpoint_url == server.url
    cid = client.generate_client_certificate()["clientCertificateId"]
    assert client.get_client_certificate(clientCertificateId=cid)["clientCertificateId"] == cid


def test_boto3_global_variable(server, monkeypatch, tmp_path):
    clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    client = boto_client(new_account())
    assert client.meta.endpoint_url == server.url
    assert client.get_client_certificates()["items"] == []


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "awscli", "apigateway", *args, "--region", "us-east-1", "--output", "json"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def test_cli_service_specific_variable_wins(server, tmp_path):
    env = awscli_env(tmp_path, new_account())
    env.update(AWS_ENDPOINT_URL=DEAD, AWS_ENDPOINT_URL_API_GATEWAY=server.url)
    res = cli(env, "generate-client-certificate", "--description", "from env")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["description"] == "from env"


def test_cli_global_variable(server, tmp_path):
    env = awscli_env(tmp_path, new_account())
    env.update(AWS_ENDPOINT_URL=server.url)
    res = cli(env, "get-client-certificates")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout).get("items", []) == []
    # And the dead endpoint alone really fails, so the passing calls above are not vacuous.
    env.update(AWS_ENDPOINT_URL=DEAD)
    assert cli(env, "get-client-certificates").returncode != 0
