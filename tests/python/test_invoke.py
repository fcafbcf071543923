"""Invoking stages (issue 14) against real HTTPS backends in this process (Python ``ssl``,
``CERT_REQUIRED``, trusting only the certificates certgate generated): the stage's certificate is
presented exactly, both URL forms, routing and API Gateway's own answers, HTTP_PROXY's forwarding and
every header rule, the backends' certificate checks and timeouts. test_invoke_integrations.py has
HTTP with passthrough, MOCK, the limits, the log line and the metrics."""

from __future__ import annotations

import http.client
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime

import pytest
import requests

from certgate_helpers import make_boto_client, new_account
from invoke_helpers import (  # noqa: F401  (fixtures)
    FORBIDDEN,
    INTERNAL,
    MAX_PAYLOAD,
    STAGE,
    TIMED_OUT,
    TOO_LONG,
    TOO_MANY_REQUESTS,
    UNSUPPORTED_MEDIA_TYPE,
    Invoker,
    assert_answer,
    assert_gateway_ids,
    assert_internal,
    assert_missing_token,
    attach,
    backend_ca,
    backends,
    cg,
    echo,
    failures,
    generate,
    host_header,
    invoke_line,
    invoke_lines,
    invoke_server,
    local_url,
    metric,
    metrics,
    port,
    proxy_api,
    proxy_method,
    until,
)
from mtls_backend import (
    BACKEND_DATE,
    CHUNKS,
    REMAPPED_HEADERS,
    SET_COOKIES,
    X_CUSTOM,
    closed_port,
    der_of_pem,
    pem_fingerprint,
)


def request_id(resp: requests.Response) -> str:
    return resp.headers["x-amzn-RequestId"]


# --- the certificate ---------------------------------------------------------------------------------


def test_a_stage_without_the_certificate_is_refused_and_with_it_passes(invoke_server, cg, backends):
    cid, pem = generate(cg)
    backend = backends(trusted=[pem])
    api = proxy_api(cg, backend.url)
    inv = Invoker(invoke_server, api["api"])

    refused = inv.get("/pets")
    assert_internal(refused)
    assert not backend.records, "a backend that demands a certificate served a request without one"
    backend.wait_for(lambda b: b.handshake_failures)  # it refused a handshake without a certificate
    line = invoke_line(invoke_server, request_id(refused))
    assert line["status"] == 500 and line.get("certificate") is None
    assert line["failure"] == "certificate_refused", line
    assert line.get("cause"), line  # the cause goes to the log...
    assert "certificate" not in refused.text.lower()  # ...never to the caller

    attach(cg, api["api"], cid)
    resp, _ = until(lambda: (r := inv.get("/pets")).status_code == 200 and r, 1.0)
    assert_gateway_ids(resp)
    rec = backend.last()
    # exactly the certificate GenerateClientCertificate returned
    assert rec.cert == der_of_pem(pem)
    assert echo(resp)["certificate_sha256"] == pem_fingerprint(pem)
    line = invoke_line(invoke_server, request_id(resp))
    assert line["certificate"] == cid and line["certificate_expired"] is False
    assert line["status"] == 200 and line["backend_status"] == 200


def test_a_backend_refusing_the_stages_certificate_is_500(invoke_server, cg, backends):
    cid, _ = generate(cg)
    _, other = generate(cg)
    backend = backends(trusted=[other])
    api = proxy_api(cg, backend.url, cert_id=cid)
    before = failures(invoke_server, "certificate_refused")
    resp = Invoker(invoke_server, api["api"]).get("/")
    assert_internal(resp)
    assert not backend.records
    backend.wait_for(lambda b: b.handshake_failures)
    assert failures(invoke_server, "certificate_refused") == before + 1
    line = invoke_line(invoke_server, request_id(resp))
    assert line["certificate"] == cid and line["failure"] == "certificate_refused"


def test_a_backend_that_does_not_ask_gets_one_way_tls(invoke_server, cg, backends):
    cid, _ = generate(cg)
    backend = backends(require="none")
    with_cert = proxy_api(cg, backend.url, cert_id=cid)
    without = proxy_api(cg, backend.url)
    for api in (with_cert, without):
        assert echo(Invoker(invoke_server, api["api"]).get("/x"))["certificate_sha256"] is None
    assert [r.raw_path for r in backend.records] == ["/x", "/x"]


def test_each_stage_presents_its_own_certificate_over_pooled_connections(invoke_server, cg, backends):
    a, a_pem = generate(cg)
    b, b_pem = generate(cg)
    backend = backends(trusted=[a_pem, b_pem])
    api = proxy_api(cg, backend.url, cert_id=a, stage="blue")
    cg.create_stage(restApiId=api["api"], stageName="green", deploymentId=api["deployment"])
    attach(cg, api["api"], b, "green")
    blue, green = Invoker(invoke_server, api["api"], "blue"), Invoker(invoke_server, api["api"], "green")
    for _ in range(4):
        assert echo(blue.get("/b"))["certificate_sha256"] == pem_fingerprint(a_pem)
        assert echo(green.get("/g"))["certificate_sha256"] == pem_fingerprint(b_pem)
    by_path = {}
    for rec in backend.snapshot():
        by_path.setdefault(rec.raw_path, set()).add((rec.conn, rec.cert))
    assert {c for _, c in by_path["/b"]} == {der_of_pem(a_pem)}
    assert {c for _, c in by_path["/g"]} == {der_of_pem(b_pem)}
    # Kept alive: four sequential requests of a stage reuse a connection (hyper may open a spare
    # one when a request comes as the previous one's connection goes back to the pool), and no
    # connection carries both certificates.
    assert len(by_path["/b"]) < 4 and len(by_path["/g"]) < 4, by_path
    assert not ({c for c, _ in by_path["/b"]} & {c for c, _ in by_path["/g"]})
    assert all(c.cert in (der_of_pem(a_pem), der_of_pem(b_pem)) for c in backend.connections)


def test_a_backend_offering_http2(invoke_server, cg, backends):
    cid, pem = generate(cg)
    backend = backends(trusted=[pem], http2=True)
    api = proxy_api(cg, backend.url, cert_id=cid)
    inv = Invoker(invoke_server, api["api"])
    got = echo(inv("POST", "/h2/path?q=1&q=2", data=b"over h2"))
    assert got["protocol"] == "h2", got
    assert got["certificate_sha256"] == pem_fingerprint(pem)
    rec = backend.last()
    assert rec.raw_path == "/h2/path" and rec.query == [("q", "1"), ("q", "2")] and rec.body == b"over h2"
    assert backend.connections[-1].alpn == "h2"


# --- URL forms and routing ----------------------------------------------------------------------------


def test_both_url_forms_reach_the_stage(invoke_server, cg, backends):
    backend = backends(require="none")
    api = proxy_api(cg, backend.url)
    api_id = api["api"]
    local = Invoker(invoke_server, api_id, form="local")
    by_host = Invoker(invoke_server, api_id, form="host")
    assert echo(local.get("/pets/1"))["path"] == "/pets/1"
    assert echo(by_host.get("/pets/1"))["path"] == "/pets/1"
    # the stage's root, in each form
    assert echo(local.get(""))["path"] == "/"
    assert echo(requests.get(f"{invoke_server.url}/{STAGE}", headers={"Host": host_header(invoke_server, api_id)},
                             timeout=30))["path"] == "/"
    # a DNS entry for *.execute-api.us-east-1.amazonaws.com works too
    aws_host = f"{api_id}.execute-api.us-east-1.amazonaws.com"
    resp = requests.get(f"{invoke_server.url}/{STAGE}/pets/2", headers={"Host": aws_host}, timeout=30)
    assert echo(resp)["path"] == "/pets/2"
    # ...but not in another region, where no such API is
    resp = requests.get(f"{invoke_server.url}/{STAGE}/pets/2",
                        headers={"Host": f"{api_id}.execute-api.eu-west-1.amazonaws.com"}, timeout=30)
    assert_missing_token(resp)
    assert [r.raw_path for r in backend.records] == ["/pets/1", "/pets/1", "/", "/", "/pets/2"]


def test_an_api_of_another_region_by_either_form(invoke_server, backends):
    backend = backends(require="none")
    client = make_boto_client(invoke_server.url, region="eu-west-1", key=new_account())
    api_id = proxy_api(client, backend.url)["api"]
    assert echo(Invoker(invoke_server, api_id).get("/eu"))["path"] == "/eu"
    resp = requests.get(f"{invoke_server.url}/{STAGE}/eu",
                        headers={"Host": f"{api_id}.execute-api.eu-west-1.amazonaws.com"}, timeout=30)
    assert echo(resp)["path"] == "/eu"
    resp = requests.get(f"{invoke_server.url}/{STAGE}/eu",
                        headers={"Host": f"{api_id}.execute-api.us-east-1.amazonaws.com"}, timeout=30)
    assert_missing_token(resp)


def test_no_matching_resource_or_method_is_missing_authentication_token(invoke_server, cg, backends):
    backend = backends(require="none")
    api_id = cg.create_rest_api(name="routes")["id"]
    root = cg.get_resources(restApiId=api_id)["items"][0]["id"]
    pets = cg.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    pet = cg.create_resource(restApiId=api_id, parentId=pets, pathPart="{petId}")["id"]
    proxy_method(cg, api_id, pets, backend.url + "/pets", http_method="GET", integration_method="GET")
    cg.put_method(restApiId=api_id, resourceId=pet, httpMethod="GET", authorizationType="NONE",
                  requestParameters={"method.request.path.petId": True})
    cg.put_integration(restApiId=api_id, resourceId=pet, httpMethod="GET", type="HTTP_PROXY",
                       integrationHttpMethod="GET", uri=backend.url + "/pets/{id}",
                       requestParameters={"integration.request.path.id": "method.request.path.petId"})
    cg.create_deployment(restApiId=api_id, stageName=STAGE)
    inv = Invoker(invoke_server, api_id)
    assert echo(inv.get("/pets"))["path"] == "/pets"
    assert echo(inv.get("/pets/7"))["path"] == "/pets/7"
    for resp in (
        inv.get("/"),                      # the root has no method
        inv.get("/dogs"),                  # no such resource
        inv.get("/pets/7/toys"),           # {petId} is not greedy
        inv("POST", "/pets"),              # no such method
        inv("DELETE", "/pets/7"),
        Invoker(invoke_server, api_id, "nostage").get("/pets"),
        Invoker(invoke_server, "zzzzzzzzzz").get("/pets"),
        Invoker(invoke_server, api_id, form="host").get("/nostage/pets"),
        requests.get(f"{invoke_server.url}/", headers={"Host": host_header(invoke_server, api_id)}, timeout=30),
    ):
        assert_missing_token(resp)
    assert len(backend.records) == 2


def test_any_and_greedy_proxy_forward_the_callers_method_path_query_and_body(invoke_server, cg, backends):
    backend = backends(require="none")
    api = proxy_api(cg, backend.url)
    inv = Invoker(invoke_server, api["api"])
    got = echo(inv("POST", "/pets/42/toys?a=1&a=2&b=x&empty=", data=b'{"k": "v"}',
                   headers={"Content-Type": "application/json"}))
    assert got["method"] == "POST" and got["path"] == "/pets/42/toys"
    rec = backend.last()
    assert rec.query == [("a", "1"), ("a", "2"), ("b", "x"), ("empty", "")]
    assert rec.body == b'{"k": "v"}' and rec.header("Content-Type") == "application/json"
    for method in ("PUT", "PATCH", "DELETE", "OPTIONS", "GET"):
        assert echo(inv(method, "/m"))["method"] == method
    head = inv("HEAD", "/m")
    assert head.status_code == 200 and backend.last().method == "HEAD"
    # encoded query values arrive as they were sent
    inv.get("/q?q=a%20b&q=c+d&amp=%26&k%3D=v")
    rec = backend.last()
    assert rec.query == [("q", "a b"), ("q", "c d"), ("amp", "&"), ("k=", "v")], rec.raw_query
    binary = bytes(range(256)) * 64
    got = echo(inv("PUT", "/bin", data=binary, headers={"Content-Type": "application/octet-stream"}))
    assert got["body_length"] == len(binary) and backend.last().body == binary


def test_a_chunked_answer_comes_back_framed_anew(invoke_server, cg, backends):
    backend = backends(require="none")
    api_id = proxy_api(cg, backend.url)["api"]
    status, headers, body = raw_invoke(invoke_server, api_id, "GET", "/chunked-answer", [])
    assert status == 200 and body == b"".join(CHUNKS)
    lower = {k.lower(): v for k, v in headers}
    assert lower.get("content-length") == str(len(body)) and "transfer-encoding" not in lower, headers


def test_head_keeps_the_length_get_would_have(invoke_server, cg, backends):
    """A HEAD answer may leave Content-Length out, but if it has one it is the GET's (RFC 9110
    9.3.2, 8.6): the backend says 100 bytes, certgate must not say 0."""
    backend = backends(require="none")
    inv = Invoker(invoke_server, proxy_api(cg, backend.url)["api"])
    get = inv.get("/big/100")
    assert get.headers["Content-Length"] == "100"
    head = inv("HEAD", "/big/100")
    assert head.status_code == 200 and head.content == b""
    assert head.headers.get("Content-Length") in (None, get.headers["Content-Length"]), \
        (dict(head.headers), get.headers["Content-Length"])


def test_the_backends_status_and_body_come_back(invoke_server, cg, backends):
    backend = backends(require="none")
    inv = Invoker(invoke_server, proxy_api(cg, backend.url)["api"])
    for code in (201, 404, 418, 500, 503):
        resp = inv.get(f"/status/{code}")
        assert resp.status_code == code, resp.text
        assert resp.json()["path"] == f"/status/{code}"  # the backend's body, not API Gateway's
        assert_gateway_ids(resp)
    assert inv.get("/status/204").status_code == 204


def test_integration_http_method_and_path_parameters(invoke_server, cg, backends):
    backend = backends(require="none")
    api_id = cg.create_rest_api(name="params")["id"]
    root = cg.get_resources(restApiId=api_id)["items"][0]["id"]
    fixed = cg.create_resource(restApiId=api_id, parentId=root, pathPart="fixed")["id"]
    proxy_method(cg, api_id, fixed, backend.url + "/always-post", http_method="ANY", integration_method="POST")
    items = cg.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    item = cg.create_resource(restApiId=api_id, parentId=items, pathPart="{id}")["id"]
    sub = cg.create_resource(restApiId=api_id, parentId=item, pathPart="{rest+}")["id"]
    cg.put_method(restApiId=api_id, resourceId=item, httpMethod="GET", authorizationType="NONE",
                  requestParameters={"method.request.path.id": True})
    cg.put_integration(restApiId=api_id, resourceId=item, httpMethod="GET", type="HTTP_PROXY",
                       integrationHttpMethod="GET", uri=backend.url + "/things/{tid}/detail",
                       requestParameters={"integration.request.path.tid": "method.request.path.id"})
    cg.put_method(restApiId=api_id, resourceId=sub, httpMethod="ANY", authorizationType="NONE",
                  requestParameters={"method.request.path.id": True, "method.request.path.rest": True})
    cg.put_integration(restApiId=api_id, resourceId=sub, httpMethod="ANY", type="HTTP_PROXY",
                       integrationHttpMethod="ANY", uri=backend.url + "/v2/{a}/sub/{b}",
                       requestParameters={"integration.request.path.a": "method.request.path.id",
                                          "integration.request.path.b": "method.request.path.rest"})
    cg.create_deployment(restApiId=api_id, stageName=STAGE)
    inv = Invoker(invoke_server, api_id)
    assert echo(inv.get("/fixed"))["method"] == "POST"
    assert echo(inv("DELETE", "/fixed"))["method"] == "POST"
    assert echo(inv.get("/items/abc"))["path"] == "/things/abc/detail"
    got = echo(inv("PATCH", "/items/abc/x/y/z?k=v"))
    assert (got["method"], got["path"]) == ("PATCH", "/v2/abc/sub/x/y/z")
    assert backend.last().query == [("k", "v")]


# --- header rules -----------------------------------------------------------------------------------------


def raw_invoke(srv, api_id, method, path, headers, body=b"") -> tuple[int, list, bytes]:
    """A request whose header lines are exactly `headers` (list of pairs), Host added."""
    conn = http.client.HTTPConnection("127.0.0.1", port(srv), timeout=30)
    conn.putrequest(method, f"/restapis/{api_id}/{STAGE}/_user_request_{path}",
                    skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", f"127.0.0.1:{port(srv)}")
    for k, v in headers:
        conn.putheader(k, v)
    conn.endheaders(body if body else None)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, resp.getheaders(), data


DROPPED_ON_THE_WAY_IN = {
    "Max-Forwards": "10",
    "Proxy-Authenticate": 'Basic realm="proxy"',
    "Server": "caller-server",
    "TE": "trailers",
    "Trailer": "X-Checksum",
    "Upgrade": "websocket",
    "WWW-Authenticate": 'Basic realm="caller"',
    "Content-MD5": "Q2hlY2sgSW50ZWdyaXR5IQ==",
    "Via": "1.1 caller-proxy",
    "Content-Encoding": "identity",
}


def test_headers_on_the_way_to_the_backend(invoke_server, cg, backends):
    backend = backends(require="none")
    api_id = proxy_api(cg, backend.url)["api"]
    body = b'{"hello": "backend"}'
    sent = [*DROPPED_ON_THE_WAY_IN.items(), ("X-Kept", "kept"), ("X-Multi", "one"), ("X-Multi", "two"),
            ("Authorization", "Bearer caller"), ("User-Agent", "caller-agent/1.0"),
            ("X-Amzn-Apigateway-Api-Id", "spoofed"), ("X-Forwarded-For", "203.0.113.7"),
            ("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    status, headers, _ = raw_invoke(invoke_server, api_id, "POST", "/in", sent, body)
    assert status == 200
    rec = backend.last()
    names = rec.header_names()
    for name in DROPPED_ON_THE_WAY_IN:
        assert name.lower() not in names, f"{name} was forwarded: {rec.headers}"
    assert rec.header("Host") == f"127.0.0.1:{backend.port}"
    assert rec.header("X-Kept") == "kept"
    assert [v.strip() for h in rec.header_values("X-Multi") for v in h.split(",")] == ["one", "two"]
    assert rec.header("Authorization") == "Bearer caller"
    assert rec.header("User-Agent") == "caller-agent/1.0"
    assert rec.header("Content-Length") == str(len(body)) and rec.body == body
    assert rec.header_values("X-Amzn-Apigateway-Api-Id") == [api_id]  # the caller's is replaced
    assert rec.header_values("X-Forwarded-For") == ["203.0.113.7, 127.0.0.1"]  # the caller appended
    trace = rec.header("X-Amzn-Trace-Id")
    assert trace and trace.startswith("Root=1-"), rec.headers
    assert dict((k.lower(), v) for k, v in headers)["x-amzn-trace-id"] == trace


def test_a_chunked_body_arrives_with_its_length_recomputed(invoke_server, cg, backends):
    backend = backends(require="none")
    api_id = proxy_api(cg, backend.url)["api"]
    chunks = [b"first chunk, ", b"second chunk, ", b"last"]
    resp = requests.post(local_url(invoke_server, api_id, path="/chunked"), data=iter(chunks), timeout=30,
                         headers={"Content-Type": "text/plain"})
    assert resp.status_code == 200, resp.text
    rec = backend.last()
    assert "transfer-encoding" not in rec.header_names(), rec.headers
    assert rec.body == b"".join(chunks) and rec.header("Content-Length") == str(len(rec.body))
    # Expect: 100-continue is the caller's business with certgate, not the backend's
    status, _, _ = raw_invoke(invoke_server, api_id, "PUT", "/expect",
                              [("Expect", "100-continue"), ("Content-Length", "4")], b"data")
    assert status == 200
    rec = backend.last()
    assert "expect" not in rec.header_names() and rec.body == b"data"


def test_the_caller_trace_id_goes_to_the_backend(invoke_server, cg, backends):
    backend = backends(require="none")
    inv = Invoker(invoke_server, proxy_api(cg, backend.url)["api"])
    given = "Root=1-5759e988-bd862e3fe1be46a994272793"
    resp = inv.get("/t", headers={"X-Amzn-Trace-Id": given})
    assert backend.last().header("X-Amzn-Trace-Id").startswith(given)
    assert resp.headers["X-Amzn-Trace-Id"].startswith(given)


def test_headers_on_the_way_back(invoke_server, cg, backends):
    backend = backends(require="none")
    api_id = proxy_api(cg, backend.url)["api"]
    status, headers, body = raw_invoke(invoke_server, api_id, "GET", "/headers", [])
    assert status == 200 and body == b'{"headers": true}'
    lower = {}
    for k, v in headers:
        lower.setdefault(k.lower(), []).append(v)
    for name in ("Connection", "Content-MD5", "Max-Forwards", "User-Agent", "WWW-Authenticate", "Authorization",
                 "Date", "Server"):
        assert lower.get(f"x-amzn-remapped-{name.lower()}") == [REMAPPED_HEADERS[name]], (name, headers)
    for name in ("content-md5", "max-forwards", "user-agent", "www-authenticate", "authorization"):
        assert name not in lower, (name, headers)
    # Date is set anew; Server, if any, is not the backend's
    assert lower["date"] != [BACKEND_DATE]
    assert abs(time.time() - parsedate_to_datetime(lower["date"][0]).timestamp()) < 120
    assert REMAPPED_HEADERS["Server"] not in lower.get("server", [])
    # an ordinary header comes back with every value, and every Set-Cookie on a line of its own
    assert [v.strip() for h in lower["x-custom"] for v in h.split(",")] == X_CUSTOM
    assert lower["set-cookie"] == SET_COOKIES
    assert lower["content-length"] == [str(len(body))]
    assert lower.get("x-amzn-requestid") and lower.get("x-amz-apigw-id")


# --- what API Gateway answers itself ------------------------------------------------------------------------


def test_methods_that_are_not_open_are_forbidden(invoke_server, cg, backends):
    backend = backends(require="none")
    api_id = cg.create_rest_api(name="closed")["id"]
    root = cg.get_resources(restApiId=api_id)["items"][0]["id"]
    for part, kwargs in (("iam", {"authorizationType": "AWS_IAM"}),
                         ("keyed", {"authorizationType": "NONE", "apiKeyRequired": True})):
        rid = cg.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
        cg.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET", **kwargs)
        cg.put_integration(restApiId=api_id, resourceId=rid, httpMethod="GET", type="HTTP_PROXY",
                           integrationHttpMethod="GET", uri=backend.url + "/" + part)
    cg.create_deployment(restApiId=api_id, stageName=STAGE)
    inv = Invoker(invoke_server, api_id)
    for path in ("/iam", "/keyed"):
        assert_answer(inv.get(path), 403, FORBIDDEN)
    assert not backend.records


def test_a_slow_backend_times_out_with_504(invoke_server, cg, backends):
    backend = backends(require="none")
    inv = Invoker(invoke_server, proxy_api(cg, backend.url, timeoutInMillis=300)["api"])
    before = failures(invoke_server, "timeout")
    started = time.monotonic()
    resp = inv.get("/delay/3000")
    took = time.monotonic() - started
    assert_answer(resp, 504, TIMED_OUT)
    assert 0.25 < took < 2.5, took
    assert failures(invoke_server, "timeout") == before + 1
    assert invoke_line(invoke_server, request_id(resp))["failure"] == "timeout"
    # a quick answer on the same integration is fine
    assert echo(inv.get("/delay/10"))["path"] == "/delay/10"


def test_an_unreachable_backend_is_500(invoke_server, cg):
    inv = Invoker(invoke_server, proxy_api(cg, f"https://127.0.0.1:{closed_port()}")["api"])
    before = failures(invoke_server, "connect")
    resp = inv.get("/")
    assert_internal(resp)
    assert failures(invoke_server, "connect") == before + 1
    line = invoke_line(invoke_server, request_id(resp))
    assert line["failure"] == "connect" and line.get("cause")


@pytest.mark.parametrize("server_cert,cause,skip_verification_passes", [
    ("untrusted", "unknown_issuer", True),
    ("wrong_host", "name_mismatch", False),
    ("expired", "expired", False),
])
def test_the_backends_own_certificate_is_verified(invoke_server, cg, backends, server_cert, cause,
                                                   skip_verification_passes):
    backend = backends(require="none", server_cert=server_cert)
    strict = Invoker(invoke_server, proxy_api(cg, backend.url)["api"])
    before = failures(invoke_server, cause)
    resp = strict.get("/")
    assert_internal(resp)
    assert failures(invoke_server, cause) == before + 1
    assert invoke_line(invoke_server, request_id(resp))["failure"] == cause
    assert not backend.records
    # tlsConfig.insecureSkipVerification skips the CA check only: expiry and host name still count
    lax = Invoker(invoke_server, proxy_api(cg, backend.url, tlsConfig={"insecureSkipVerification": True})["api"])
    resp = lax.get("/lax")
    if skip_verification_passes:
        assert echo(resp)["path"] == "/lax"
    else:
        assert_internal(resp)
        assert not backend.records


def test_skipping_verification_still_presents_the_certificate(invoke_server, cg, backends):
    cid, pem = generate(cg)
    backend = backends(trusted=[pem], server_cert="untrusted")
    api = proxy_api(cg, backend.url, cert_id=cid, tlsConfig={"insecureSkipVerification": True})
    assert echo(Invoker(invoke_server, api["api"]).get("/"))["certificate_sha256"] == pem_fingerprint(pem)


@pytest.mark.parametrize("content", [None, "", "not a certificate\n"], ids=["missing", "empty", "garbage"])
def test_a_backend_ca_file_without_certificates_stops_the_server(tmp_path, content):
    import subprocess

    from certgate_helpers import server_binary

    ca_file = tmp_path / "ca.pem"
    if content is not None:
        ca_file.write_text(content)
    done = subprocess.run([str(server_binary()), "serve", "--listen", "127.0.0.1:0",
                           "--store", f"sqlite://{tmp_path}/c.db", "--backend-ca-file", str(ca_file)],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode != 0
    assert str(ca_file) in done.stderr, done.stderr


def test_the_public_web_pki_alone_does_not_trust_a_test_backend(cg, backends, tmp_path):
    """Without --backend-ca-file, the test backend's CA is unknown."""
    from invoke_helpers import start_server
    from mtls_backend import TestCA

    other_ca = TestCA("some other company CA")
    srv = start_server(tmp_path, other_ca.write(tmp_path / "other.pem"))
    try:
        client = make_boto_client(srv.url, key=new_account())
        backend = backends(require="none")
        resp = Invoker(srv, proxy_api(client, backend.url)["api"]).get("/")
        assert_internal(resp)
        assert invoke_line(srv, request_id(resp))["failure"] == "unknown_issuer"
    finally:
        srv.terminate()


def test_aws_and_aws_proxy_integrations_are_500(invoke_server, cg):
    api_id = cg.create_rest_api(name="lambda")["id"]
    root = cg.get_resources(restApiId=api_id)["items"][0]["id"]
    lambda_uri = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                  "arn:aws:lambda:us-east-1:123456789012:function:f/invocations")
    for part, kind in (("proxy", "AWS_PROXY"), ("aws", "AWS")):
        rid = cg.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
        cg.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
        cg.put_integration(restApiId=api_id, resourceId=rid, httpMethod="GET", type=kind,
                           integrationHttpMethod="POST", uri=lambda_uri)
    cg.create_deployment(restApiId=api_id, stageName=STAGE)
    inv = Invoker(invoke_server, api_id)
    before = failures(invoke_server, "configuration")
    for path, kind in (("/proxy", "AWS_PROXY"), ("/aws", "AWS")):
        resp = inv.get(path)
        assert_answer(resp, 500, INTERNAL, "InternalServerErrorException")
        line = invoke_line(invoke_server, request_id(resp))
        assert line["status"] == 500 and line["failure"] == "configuration", line
        assert kind in line["cause"] and "not supported" in line["cause"], line
    assert failures(invoke_server, "configuration") == before + 2
