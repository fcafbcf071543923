"""certgate's side of invoking stages (issue 14): servers that trust the test backends' CA, REST APIs
with HTTP_PROXY integrations to a backend, the two invoke URL forms, the invoke log lines and the
invoke metrics."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import requests

from certgate_helpers import CertgateServer
from restapi_helpers import op

STAGE = "test"
# API Gateway's own answers, byte for byte as AWS sends them (its spacing differs between them).
MISSING_TOKEN = '{"message":"Missing Authentication Token"}'
INTERNAL = '{"message": "Internal server error"}'
FORBIDDEN = '{"message":"Forbidden"}'
TIMED_OUT = '{"message": "Endpoint request timed out"}'
TOO_LONG = '{"message":"Request Too Long"}'
UNSUPPORTED_MEDIA_TYPE = '{"message": "Unsupported Media Type"}'
TOO_MANY_REQUESTS = '{"message":"Too Many Requests"}'
MAX_PAYLOAD = 10 * 1024 * 1024


def serve_args(ca_file: Path, *extra: str) -> list[str]:
    return ["--backend-ca-file", str(ca_file), "--log-format", "json", *extra]


def start_server(workdir: Path, ca_file: Path, *extra: str, store: Path | None = None) -> CertgateServer:
    store = store or workdir / "store" / "certgate.db"
    store.parent.mkdir(parents=True, exist_ok=True)
    return CertgateServer(store, workdir, extra_args=serve_args(ca_file, *extra)).start()


# --- building APIs ------------------------------------------------------------------------------------


def generate(client, **kwargs) -> tuple[str, str]:
    """A new certificate: (id, PEM)."""
    cert = client.generate_client_certificate(**kwargs)
    return cert["clientCertificateId"], cert["pemEncodedCertificate"]


def attach(client, api_id: str, cert_id: str, stage: str = STAGE) -> dict:
    return client.update_stage(restApiId=api_id, stageName=stage,
                               patchOperations=[op("replace", "/clientCertificateId", cert_id)])


def proxy_method(client, api_id: str, resource_id: str, uri: str, http_method: str = "ANY",
                 integration_method: str = "ANY", proxy_param: bool = False, **integration) -> None:
    """An open method with an HTTP_PROXY integration to `uri`; with `proxy_param`, `{proxy}` in the
    URI is the method's `{proxy+}`."""
    method_kwargs = {}
    if proxy_param:
        method_kwargs["requestParameters"] = {"method.request.path.proxy": True}
        integration.setdefault("requestParameters", {"integration.request.path.proxy": "method.request.path.proxy"})
    client.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=http_method,
                      authorizationType="NONE", **method_kwargs)
    client.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=http_method,
                           type="HTTP_PROXY", integrationHttpMethod=integration_method, uri=uri, **integration)


def proxy_api(client, backend_url: str, cert_id: str | None = None, stage: str = STAGE,
              name: str = "invoke-api", **integration) -> dict:
    """A REST API whose root and `/{proxy+}` (ANY) are HTTP_PROXY to `backend_url` (`/` and
    `/{proxy}`), deployed to `stage`, optionally with a client certificate. Returns
    {"api": id, "root": root id, "proxy": proxy resource id, "deployment": id}."""
    api = client.create_rest_api(name=name)
    api_id, root = api["id"], api["rootResourceId"]
    proxy = client.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    proxy_method(client, api_id, root, backend_url + "/", **integration)
    proxy_method(client, api_id, proxy, backend_url + "/{proxy}", proxy_param=True, **integration)
    dep = client.create_deployment(restApiId=api_id, stageName=stage)["id"]
    if cert_id:
        attach(client, api_id, cert_id, stage)
    return {"api": api_id, "root": root, "proxy": proxy, "deployment": dep}


# --- invoking -------------------------------------------------------------------------------------------


def local_url(srv: CertgateServer, api_id: str, stage: str = STAGE, path: str = "/") -> str:
    """The local form: /restapis/{id}/{stage}/_user_request_{path}."""
    return f"{srv.url}/restapis/{api_id}/{stage}/_user_request_{path}"


def port(srv: CertgateServer) -> int:
    return int(srv.url.rsplit(":", 1)[1])


def host_header(srv: CertgateServer, api_id: str, domain: str = "localhost") -> str:
    return f"{api_id}.execute-api.{domain}:{port(srv)}"


class Invoker:
    """Invokes one stage of one API on one server, by either URL form."""

    def __init__(self, srv: CertgateServer, api_id: str, stage: str = STAGE, form: str = "local"):
        assert form in ("local", "host")
        self.srv, self.api_id, self.stage, self.form = srv, api_id, stage, form
        self.http = requests.Session()

    def url(self, path: str = "/") -> tuple[str, dict]:
        if self.form == "local":
            return local_url(self.srv, self.api_id, self.stage, path), {}
        return f"{self.srv.url}/{self.stage}{path}", {"Host": host_header(self.srv, self.api_id)}

    def __call__(self, method: str = "GET", path: str = "/", headers: dict | None = None,
                 timeout: float = 30, **kwargs) -> requests.Response:
        url, hdrs = self.url(path)
        hdrs.update(headers or {})
        return self.http.request(method, url, headers=hdrs, timeout=timeout, **kwargs)

    def get(self, path: str = "/", **kwargs) -> requests.Response:
        return self("GET", path, **kwargs)


def invoke(srv: CertgateServer, api_id: str, path: str = "/", method: str = "GET", stage: str = STAGE,
           **kwargs) -> requests.Response:
    return requests.request(method, local_url(srv, api_id, stage, path), timeout=30, **kwargs)


REQUEST_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# API Gateway's extended request id: 11 bytes in base64 ("Ba2qzHh4IAMFjLg=")
APIGW_ID_RE = re.compile(r"^[A-Za-z0-9+/]{15}=$")


def assert_gateway_ids(resp: requests.Response) -> None:
    assert REQUEST_ID_RE.match(resp.headers.get("x-amzn-RequestId", "")), dict(resp.headers)
    assert APIGW_ID_RE.match(resp.headers.get("x-amz-apigw-id", "")), dict(resp.headers)


def assert_answer(resp: requests.Response, status: int, body: str, error_type: str | None = None) -> None:
    """An answer of API Gateway itself: status, body byte for byte, ids, and its error type if any."""
    assert resp.status_code == status, (resp.status_code, resp.text, dict(resp.headers))
    assert resp.text == body, resp.text
    assert_gateway_ids(resp)
    if error_type is not None:
        assert resp.headers.get("x-amzn-ErrorType") == error_type, dict(resp.headers)


def assert_missing_token(resp: requests.Response) -> None:
    assert_answer(resp, 403, MISSING_TOKEN, "MissingAuthenticationTokenException")


def assert_internal(resp: requests.Response) -> None:
    assert_answer(resp, 500, INTERNAL, "InternalServerErrorException")


def echo(resp: requests.Response) -> dict:
    """The backend's echo of the request, through certgate."""
    assert resp.status_code == 200, (resp.status_code, resp.text)
    return resp.json()


def until(fn, deadline_s: float, interval: float = 0.02):
    """Calls `fn` until it returns something true; fails after `deadline_s`. Returns (value, seconds)."""
    started = time.monotonic()
    while True:
        value = fn()
        if value:
            return value, time.monotonic() - started
        assert time.monotonic() - started < deadline_s, f"not within {deadline_s} s"
        time.sleep(interval)


class Traffic:
    """Threads invoking a stage continuously, each request after the previous one's answer, until
    stopped. Every sample is (started, finished, status, sha-256 of the certificate the backend
    saw or None, path the backend saw or None, body text)."""

    def __init__(self, make_invoker, path: str = "/traffic", threads: int = 2):
        self.make_invoker, self.path, self.threads = make_invoker, path, threads
        self.samples: list[tuple] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.workers = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        inv = self.make_invoker()
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                resp = inv.get(self.path, timeout=10)
                status, text = resp.status_code, resp.text
            except requests.RequestException as e:  # a lost request counts as one
                status, text = 0, repr(e)
            cert = path = None
            if status == 200:
                try:
                    got = json.loads(text)
                    cert, path = got.get("certificate_sha256"), got.get("path")
                except ValueError:
                    pass
            with self.lock:
                self.samples.append((started, time.monotonic(), status, cert, path, text[:300]))

    def start(self) -> "Traffic":
        for w in self.workers:
            w.start()
        return self

    def snapshot(self) -> list[tuple]:
        with self.lock:
            return list(self.samples)

    def wait(self, predicate, timeout: float = 10.0) -> None:
        """Until `predicate(samples)` holds."""
        until(lambda: predicate(self.snapshot()), timeout)

    def stop(self) -> list[tuple]:
        self.stopping.set()
        for w in self.workers:
            w.join(15)
        return self.snapshot()


def started_after(samples, t: float) -> list[tuple]:
    return [s for s in samples if s[0] > t]


def failed(samples) -> list[tuple]:
    return [s for s in samples if s[2] != 200]


# --- log and metrics --------------------------------------------------------------------------------------


def log_records(srv: CertgateServer) -> list[dict]:
    out = []
    for line in srv.stderr().splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return out


def flat(record: dict) -> dict:
    """A JSON log record with its `fields` (if the format nests them) merged in."""
    merged = dict(record)
    if isinstance(record.get("fields"), dict):
        merged.update(record["fields"])
    return merged


def invoke_lines(srv: CertgateServer) -> list[dict]:
    return [r for r in map(flat, log_records(srv)) if r.get("message") == "invoke"]


def invoke_line(srv: CertgateServer, request_id: str, timeout: float = 3.0) -> dict:
    """The invoke log line of one request (the line may follow the answer by a moment)."""
    def find():
        return next((r for r in invoke_lines(srv) if r.get("request_id") == request_id), None)

    return until(find, timeout)[0]


def metrics(srv: CertgateServer) -> dict[str, float]:
    text = requests.get(srv.url + "/metrics", timeout=30).text
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def metric(srv_or_samples, name: str, **labels) -> float:
    """The sample `name{labels}` (labels in any order), 0 when absent."""
    samples = srv_or_samples if isinstance(srv_or_samples, dict) else metrics(srv_or_samples)
    for key, value in samples.items():
        base, _, rest = key.partition("{")
        if base != name:
            continue
        got = {}
        for part in rest.rstrip("}").split(","):
            if "=" in part:
                k, v = part.split("=", 1)
                got[k] = v.strip('"')
        if got == {k: str(v) for k, v in labels.items()}:
            return value
    return 0.0


def failures(srv_or_samples, cause: str) -> float:
    return metric(srv_or_samples, "certgate_invoke_failures_total", cause=cause)


# --- fixtures (import them into a test module to use them) ---------------------------------------------

import pytest  # noqa: E402

from certgate_helpers import make_boto_client, new_account  # noqa: E402
from mtls_backend import MtlsBackend, TestCA  # noqa: E402


@pytest.fixture(scope="module")
def backend_ca(tmp_path_factory) -> TestCA:
    """The CA of the test backends' own certificates, written to `ca.file` for --backend-ca-file."""
    ca = TestCA()
    ca.file = ca.write(tmp_path_factory.mktemp("backend-ca") / "backend-ca.pem")
    return ca


@pytest.fixture(scope="module")
def invoke_server(backend_ca, tmp_path_factory) -> CertgateServer:
    """One certgate for the module, trusting the backends' CA, with JSON logs."""
    srv = start_server(tmp_path_factory.mktemp("invoke-server"), backend_ca.file)
    yield srv
    srv.terminate()


@pytest.fixture
def cg(invoke_server):
    """A boto3 client on the module's server, in an account of its own."""
    return make_boto_client(invoke_server.url, key=new_account())


@pytest.fixture
def backends(backend_ca):
    """`backends(trusted=[pem, ...], require=..., server_cert=..., http2=...)` starts a backend;
    all are closed after the test."""
    started: list[MtlsBackend] = []

    def start(trusted=(), **kwargs) -> MtlsBackend:
        b = MtlsBackend(backend_ca, trusted=trusted, **kwargs)
        started.append(b)
        return b

    yield start
    for b in started:
        b.close()
