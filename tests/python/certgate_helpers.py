"""Shared helpers for the certgate test-suite (imported by conftest and tests)."""

from __future__ import annotations

import itertools
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_RE = re.compile(r"^certgate listening on (http://127\.0\.0\.1:(\d+))$")
STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "000000000000"
ID_RE = re.compile(r"^[a-z0-9]{6}$")
ONE_YEAR = 365 * 86400

CERT_KEYS = {
    "clientCertificateId",
    "description",
    "pemEncodedCertificate",
    "createdDate",
    "expirationDate",
    "tags",
}

# Every boto3 client in the suite runs with retries disabled: botocore's
# standard retry mode treats LimitExceededException / HTTP 429 as throttling
# and would silently re-send generate calls.
NO_RETRY = Config(
    retries={"total_max_attempts": 1, "mode": "standard"},
    connect_timeout=10,
    read_timeout=120,
)


def server_binary() -> Path:
    env = os.environ.get("CERTGATE_BIN")
    return Path(env) if env else REPO_ROOT / "target" / "debug" / "certgate"


# --------------------------------------------------------------------------
# Server process management
# --------------------------------------------------------------------------


class CertgateServer:
    """One running `certgate serve` process."""

    def __init__(self, store: Path, workdir: Path, max_certificates: int | None = None,
                 extra_args: list[str] | None = None):
        self.extra_args = list(extra_args or [])
        self.store = Path(store).resolve()
        self.workdir = Path(workdir)
        self.max_certificates = max_certificates
        self.proc: subprocess.Popen | None = None
        self.url: str | None = None
        self._stdout_lines: list[str] = []
        self._stderr_path: Path | None = None

    @property
    def store_url(self) -> str:
        # "sqlite:///abs/path/certgate.db": scheme "sqlite://" followed by the absolute path.
        return "sqlite://" + str(self.store)

    def start(self) -> "CertgateServer":
        binary = server_binary()
        if not binary.exists():
            pytest.fail(f"certgate binary not found at {binary} (build it or set CERTGATE_BIN)")
        cmd = [str(binary), "serve", "--listen", "127.0.0.1:0", "--store", self.store_url]
        if self.max_certificates is not None:
            cmd += ["--max-certificates-per-region", str(self.max_certificates)]
        cmd += self.extra_args
        self.workdir.mkdir(parents=True, exist_ok=True)
        n = len(list(self.workdir.glob("stderr-*.log")))
        self._stderr_path = self.workdir / f"stderr-{n}.log"
        stderr_file = open(self._stderr_path, "wb")
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        stderr_file.close()

        lines: queue.Queue = queue.Queue()

        def pump():
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self._stdout_lines.append(line)
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()

        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                pytest.fail(
                    f"certgate did not report readiness within {STARTUP_TIMEOUT}s\n"
                    f"cmd: {cmd}\nstdout: {''.join(self._stdout_lines)!r}\nstderr: {self.stderr()}"
                )
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                rc = self.proc.wait()
                pytest.fail(
                    f"certgate exited (rc={rc}) before becoming ready\ncmd: {cmd}\n"
                    f"stdout: {''.join(self._stdout_lines)!r}\nstderr: {self.stderr()}"
                )
            m = READY_RE.match(line.rstrip("\r\n"))
            if m:
                self.url = m.group(1)
                return self

    def stderr(self) -> str:
        if self._stderr_path and self._stderr_path.exists():
            return self._stderr_path.read_text(errors="replace")
        return ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM; SIGKILL after `timeout`. Returns the exit code seen after SIGTERM
        (None if it had to be killed)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


# --------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------

_account_counter = itertools.count(1)


def new_account() -> str:
    """A fresh 12-digit account id (access key) unique within this test run."""
    return f"{300000000000 + (os.getpid() % 1000) * 100000 + next(_account_counter):012d}"


def make_boto_client(url: str, region: str = DEFAULT_REGION, key: str = DEFAULT_ACCOUNT):
    # A dedicated botocore session per client keeps client creation thread-safe.
    session = boto3.session.Session()
    return session.client(
        "apigateway",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key="x",
        config=NO_RETRY,
    )


def cert_arn(region: str, cert_id: str) -> str:
    return f"arn:aws:apigateway:{region}::/clientcertificates/{cert_id}"


class RawClient:
    """Raw HTTP access for wire-level edge cases (optionally SigV4-signed)."""

    def __init__(self, url: str, region: str = DEFAULT_REGION, key: str = DEFAULT_ACCOUNT, sign: bool = True):
        self.url = url.rstrip("/")
        self.region = region
        self.key = key
        self.sign = sign
        self.http = requests.Session()

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | str | None = None,
        json_body=None,
        params=None,
        headers: dict | None = None,
    ) -> requests.Response:
        url = self.url + path
        if params:
            url += "?" + urlencode(params, doseq=True)
        hdrs = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body)
        if isinstance(body, str):
            body = body.encode()
        if body is not None:
            hdrs.setdefault("Content-Type", "application/json")
        if self.sign:
            req = AWSRequest(method=method, url=url, data=body or b"", headers=hdrs)
            SigV4Auth(Credentials(self.key, "x"), "apigateway", self.region).add_auth(req)
            hdrs = dict(req.headers.items())
        return self.http.request(method, url, data=body, headers=hdrs, timeout=120)

    # Convenience wrappers --------------------------------------------------
    def generate(self, **payload) -> requests.Response:
        return self.request("POST", "/clientcertificates", json_body=payload)

    def get(self, cert_id: str) -> requests.Response:
        return self.request("GET", f"/clientcertificates/{cert_id}")

    def list(self, **params) -> requests.Response:
        return self.request("GET", "/clientcertificates", params=params)

    def tags_path(self, cert_id: str, region: str | None = None) -> str:
        return "/tags/" + quote(cert_arn(region or self.region, cert_id), safe="")


# --------------------------------------------------------------------------
# Assertions
# --------------------------------------------------------------------------


def media_type(resp: requests.Response) -> str:
    return resp.headers.get("Content-Type", "").split(";")[0].strip().lower()


def assert_aws_error(resp: requests.Response, code: str | None, status: int | tuple, message: str | None = None):
    """Check a raw HTTP error response is AWS-shaped."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert resp.status_code in statuses, (resp.status_code, resp.text)
    error_type = resp.headers.get("x-amzn-ErrorType")
    assert error_type, f"missing x-amzn-ErrorType header: {dict(resp.headers)}"
    if code is not None:
        assert error_type == code
    assert resp.headers.get("x-amzn-RequestId"), dict(resp.headers)
    assert media_type(resp) == "application/json", resp.headers.get("Content-Type")
    body = resp.json()
    assert isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"], body
    if message is not None:
        assert body["message"] == message
    return body


def assert_client_error(exc: ClientError, code: str, status: int, message: str | None = None):
    err = exc.response["Error"]
    meta = exc.response["ResponseMetadata"]
    assert err["Code"] == code, exc.response
    assert meta["HTTPStatusCode"] == status, exc.response
    assert meta.get("RequestId"), exc.response
    if message is not None:
        assert err["Message"] == message
    else:
        assert err.get("Message"), exc.response


def client_error(fn, *args, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as ei:
        fn(*args, **kwargs)
    return ei.value


def list_all_ids(client) -> list[str]:
    ids: list[str] = []
    for page in client.get_paginator("get_client_certificates").paginate(PaginationConfig={"PageSize": 500}):
        ids.extend(item["clientCertificateId"] for item in page.get("items", []))
    return ids


NOT_FOUND_MSG = "Invalid Client Certificate identifier specified"
AWS_PREFIX_MSG = "Invalid tag key. Tag keys cannot start with 'aws:' (case insensitive)"


def awscli_env(tmp_path: Path, key: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    cfg = tmp_path / "aws-config"
    creds = tmp_path / "aws-credentials"
    cfg.write_text("")
    creds.write_text("")
    env.update(
        AWS_ACCESS_KEY_ID=key,
        AWS_SECRET_ACCESS_KEY="x",
        AWS_CONFIG_FILE=str(cfg),
        AWS_SHARED_CREDENTIALS_FILE=str(creds),
        AWS_MAX_ATTEMPTS="1",
        AWS_RETRY_MODE="standard",
        AWS_PAGER="",
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def run_awscli(url: str, region: str, env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "awscli", "apigateway", *args,
           "--endpoint-url", url, "--region", region, "--output", "json"]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert res.returncode == 0, f"{cmd}\nrc={res.returncode}\nstdout={res.stdout}\nstderr={res.stderr}"
    return res
