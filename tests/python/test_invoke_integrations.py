"""Invoking stages, continued: HTTP integrations with passthrough, MOCK, backends that fail in
other ways, the data plane's limits, and its log line and metrics (see test_invoke.py)."""

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


# --- HTTP with passthrough, and MOCK ---------------------------------------------------------------------------


def http_integration(client, api_id, rid, uri, responses, method="GET", **kwargs):
    """A non-proxy HTTP method whose integration responses are `responses`:
    [(statusCode, selectionPattern or None, has a method response)]."""
    client.put_method(restApiId=api_id, resourceId=rid, httpMethod=method, authorizationType="NONE")
    client.put_integration(restApiId=api_id, resourceId=rid, httpMethod=method, type="HTTP",
                           integrationHttpMethod=method, uri=uri, **kwargs)
    for code, pattern, _ in responses:
        client.put_method_response(restApiId=api_id, resourceId=rid, httpMethod=method, statusCode=code)
        extra = {"selectionPattern": pattern} if pattern is not None else {}
        client.put_integration_response(restApiId=api_id, resourceId=rid, httpMethod=method, statusCode=code,
                                        **extra)
    for code, _, has_method_response in responses:
        if not has_method_response:
            client.delete_method_response(restApiId=api_id, resourceId=rid, httpMethod=method, statusCode=code)


def test_http_integration_selects_its_response_by_the_backends_status(invoke_server, cg, backends):
    backend = backends(require="none")
    api_id = cg.create_rest_api(name="http")["id"]
    root = cg.get_resources(restApiId=api_id)["items"][0]["id"]

    def resource(part, uri_path, responses, **kwargs):
        rid = cg.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
        http_integration(cg, api_id, rid, backend.url + uri_path, responses, **kwargs)
        return rid

    mapping = [("200", None, True), ("404", "404", True), ("502", r"5\d{2}", True)]
    resource("ok", "/echo", mapping)
    resource("missing", "/status/404", mapping)
    resource("broken", "/status/503", mapping)
    resource("teapot", "/status/418", mapping)  # no pattern matches: the default response
    resource("nodefault", "/status/404", [("200", r"2\d{2}", True)])
    resource("nomethodresponse", "/status/409", [("200", None, True), ("409", "409", False)])
    post = cg.create_resource(restApiId=api_id, parentId=root, pathPart="post")["id"]
    http_integration(cg, api_id, post, backend.url + "/posted", [("200", None, True)], method="POST",
                     passthroughBehavior="WHEN_NO_MATCH")
    cg.create_deployment(restApiId=api_id, stageName=STAGE)
    inv = Invoker(invoke_server, api_id)

    ok = inv.get("/ok")
    assert ok.status_code == 200 and ok.json()["path"] == "/echo"  # the backend's body passes
    assert inv.get("/missing").status_code == 404
    assert inv.get("/broken").status_code == 502
    teapot = inv.get("/teapot")
    assert teapot.status_code == 200 and teapot.json()["path"] == "/status/418"
    assert_internal(inv.get("/nodefault"))
    assert_internal(inv.get("/nomethodresponse"))
    posted = inv("POST", "/post", data=b'{"passed": "through"}', headers={"Content-Type": "application/json"})
    assert posted.status_code == 200, posted.text
    assert backend.last().body == b'{"passed": "through"}'


def test_passthrough_behaviour_and_mapping_templates(invoke_server, cg, backends):
    backend = backends(require="none")
    api_id = cg.create_rest_api(name="passthrough")["id"]
    root = cg.get_resources(restApiId=api_id)["items"][0]["id"]
    never = cg.create_resource(restApiId=api_id, parentId=root, pathPart="never")["id"]
    http_integration(cg, api_id, never, backend.url + "/never", [("200", None, True)], method="POST",
                     passthroughBehavior="NEVER")
    templated = cg.create_resource(restApiId=api_id, parentId=root, pathPart="templated")["id"]
    http_integration(cg, api_id, templated, backend.url + "/templated", [("200", None, True)], method="POST",
                     passthroughBehavior="WHEN_NO_TEMPLATES",
                     requestTemplates={"application/json": '{"mapped": $input.json(\'$\')}'})
    cg.create_deployment(restApiId=api_id, stageName=STAGE)
    inv = Invoker(invoke_server, api_id)
    # NEVER with no template for the content type: API Gateway's 415
    resp = inv("POST", "/never", data=b"{}", headers={"Content-Type": "application/json"})
    assert_answer(resp, 415, UNSUPPORTED_MEDIA_TYPE)
    # a template for another content type under WHEN_NO_TEMPLATES: 415 too
    resp = inv("POST", "/templated", data=b"x", headers={"Content-Type": "text/plain"})
    assert_answer(resp, 415, UNSUPPORTED_MEDIA_TYPE)
    # mapping templates are not in this issue: 500, and the log says why
    resp = inv("POST", "/templated", data=b"{}", headers={"Content-Type": "application/json"})
    assert_internal(resp)
    assert invoke_line(invoke_server, request_id(resp)).get("cause")
    assert not backend.records


def test_mock_integration_returns_its_template(invoke_server, cg):
    api_id = cg.create_rest_api(name="mock")["id"]
    root = cg.get_resources(restApiId=api_id)["items"][0]["id"]

    def mock(part, request_status, responses):
        rid = cg.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
        cg.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
        cg.put_integration(restApiId=api_id, resourceId=rid, httpMethod="GET", type="MOCK",
                           requestTemplates={"application/json": f'{{"statusCode": {request_status}}}'})
        for code, pattern, template in responses:
            cg.put_method_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode=code)
            extra = {"selectionPattern": pattern} if pattern else {}
            cg.put_integration_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode=code,
                                        responseTemplates={"application/json": template}, **extra)

    responses = [("200", None, '{"mocked": "ok", "n": 1}'), ("404", "404", '{"mocked": "missing"}')]
    mock("ok", 200, responses)
    mock("missing", 404, responses)
    cg.create_deployment(restApiId=api_id, stageName=STAGE)
    inv = Invoker(invoke_server, api_id)
    ok = inv.get("/ok")
    assert (ok.status_code, ok.text) == (200, '{"mocked": "ok", "n": 1}')
    assert ok.headers["Content-Type"].startswith("application/json")
    assert_gateway_ids(ok)
    missing = inv.get("/missing")
    assert (missing.status_code, missing.text) == (404, '{"mocked": "missing"}')


def test_http_integration_sends_back_only_the_mapped_headers(invoke_server, cg, backends):
    backend = backends(require="none")
    api_id = cg.create_rest_api(name="mapped")["id"]
    root = cg.get_resources(restApiId=api_id)["items"][0]["id"]
    rid = cg.create_resource(restApiId=api_id, parentId=root, pathPart="mapped")["id"]
    cg.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
    cg.put_integration(restApiId=api_id, resourceId=rid, httpMethod="GET", type="HTTP",
                       integrationHttpMethod="GET", uri=backend.url + "/headers")
    cg.put_method_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="200",
                           responseParameters={"method.response.header.X-Out": False,
                                               "method.response.header.X-Static": False})
    cg.put_integration_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="200",
                                responseParameters={"method.response.header.X-Out": "integration.response.header.X-Custom",
                                                    "method.response.header.X-Static": "'fixed'"})
    cg.create_deployment(restApiId=api_id, stageName=STAGE)
    resp = Invoker(invoke_server, api_id).get("/mapped")
    assert resp.status_code == 200 and resp.content == b'{"headers": true}'
    assert resp.headers["X-Out"] == X_CUSTOM[-1] and resp.headers["X-Static"] == "fixed"
    for name in ("X-Custom", "x-amzn-Remapped-Server", "x-amzn-Remapped-Authorization", "Authorization"):
        assert name not in resp.headers, dict(resp.headers)


def test_a_backend_answer_over_10_mb_is_500(invoke_server, cg, backends):
    backend = backends(require="none")
    inv = Invoker(invoke_server, proxy_api(cg, backend.url)["api"])
    size = 3 * 1024 * 1024
    ok = inv.get(f"/big/{size}")
    assert ok.status_code == 200 and ok.content == b"b" * size
    before = failures(invoke_server, "too_large")
    resp = inv.get(f"/big/{MAX_PAYLOAD + 1}")
    assert_internal(resp)
    assert failures(invoke_server, "too_large") == before + 1


def test_a_backend_hanging_up_is_500_and_the_next_request_is_fine(invoke_server, cg, backends):
    backend = backends(require="none")
    inv = Invoker(invoke_server, proxy_api(cg, backend.url)["api"])
    assert echo(inv.get("/warm"))["path"] == "/warm"
    resp = inv.get("/hangup")
    assert_internal(resp)
    assert invoke_line(invoke_server, request_id(resp))["failure"] == "protocol"
    assert echo(inv.get("/again"))["path"] == "/again"


def test_connections_the_backend_closed_while_idle_lose_no_request(invoke_server, cg, backends):
    backend = backends(require="none", idle_timeout=0.2)
    inv = Invoker(invoke_server, proxy_api(cg, backend.url)["api"])
    for n in range(5):
        assert echo(inv.get(f"/idle/{n}"))["path"] == f"/idle/{n}"
        time.sleep(0.35)  # the backend has closed the kept-alive connection by now
    assert len(backend.connections) >= 5


def test_a_backend_that_does_not_speak_tls(invoke_server, cg, backends):
    backend = backends(plain=True)
    https_url = backend.url.replace("http://", "https://")
    resp = Invoker(invoke_server, proxy_api(cg, https_url)["api"]).get("/")
    assert_internal(resp)
    assert invoke_line(invoke_server, request_id(resp))["failure"] == "handshake"
    # an http:// integration is plain HTTP, with no certificate to present
    cid, _ = generate(cg)
    assert echo(Invoker(invoke_server, proxy_api(cg, backend.url, cert_id=cid)["api"]).get("/plain"))["path"] == \
        "/plain"


# --- limits -------------------------------------------------------------------------------------------------------


def test_payloads_up_to_10_mb_pass_and_larger_are_413(invoke_server, cg, backends):
    backend = backends(require="none")
    inv = Invoker(invoke_server, proxy_api(cg, backend.url)["api"])
    # the control plane's 1 MiB limit does not apply to invocations
    big = b"x" * (2 * 1024 * 1024 + 3)
    got = echo(inv("PUT", "/big", data=big))
    assert got["body_length"] == len(big)
    assert echo(inv("PUT", "/max", data=b"y" * MAX_PAYLOAD))["body_length"] == MAX_PAYLOAD
    count = len(backend.records)
    resp = inv("PUT", "/too-big", data=b"z" * (MAX_PAYLOAD + 1))
    assert_answer(resp, 413, TOO_LONG)
    # the same without a Content-Length: a chunked body is cut off at the limit as well
    chunks = (b"c" * (1024 * 1024) for _ in range(11))
    resp = requests.put(local_url(invoke_server, inv.api_id, path="/too-big-chunked"), data=chunks, timeout=30)
    assert_answer(resp, 413, TOO_LONG)
    assert len(backend.records) == count


def test_invocations_have_their_own_in_flight_bound(backend_ca, backends, tmp_path):
    from invoke_helpers import start_server

    srv = start_server(tmp_path, backend_ca.file, "--max-invokes-in-flight", "2", "--max-in-flight", "4")
    try:
        client = make_boto_client(srv.url, key=new_account())
        backend = backends(require="none")
        inv = Invoker(srv, proxy_api(client, backend.url)["api"])
        with ThreadPoolExecutor(4) as pool:
            slow = [pool.submit(inv.get, "/delay/1500") for _ in range(2)]
            backend.wait_for(lambda b: len(b.records) >= 2)
            # both places are taken: a third invocation is refused at once...
            started = time.monotonic()
            refused = inv.get("/quick")
            assert_answer(refused, 429, TOO_MANY_REQUESTS, "TooManyRequestsException")
            assert time.monotonic() - started < 1.0
            # ...while the control plane answers as usual
            for _ in range(3):
                client.get_rest_apis()
            assert [f.result().status_code for f in slow] == [200, 200]
        assert echo(inv.get("/after"))["path"] == "/after"
    finally:
        srv.terminate()


# --- log line and metrics ------------------------------------------------------------------------------------------


def test_one_log_line_and_counts_per_invocation(invoke_server, cg, backends):
    cid, pem = generate(cg)
    backend = backends(trusted=[pem])
    api = proxy_api(cg, backend.url, cert_id=cid)
    api_id = api["api"]
    inv = Invoker(invoke_server, api_id)
    ids = [request_id(inv.get(f"/pets/{n}")) for n in range(3)]
    missing = request_id(inv.get("/status/404"))
    for rid in ids:
        line = invoke_line(invoke_server, rid)
        assert line["api"] == api_id and line["stage"] == STAGE
        assert line["resource"] == "/{proxy+}" and line["method"] == "GET"
        assert line["status"] == 200 and line["backend_status"] == 200
        assert line["certificate"] == cid and line["certificate_expired"] is False
        assert line["latency_ms"] >= line["backend_ms"] >= 0
    assert invoke_line(invoke_server, missing)["backend_status"] == 404
    assert len([r for r in invoke_lines(invoke_server) if r.get("request_id") in ids]) == 3
    m = metrics(invoke_server)
    assert metric(m, "certgate_invokes_total", api=api_id, stage=STAGE, status=200) == 3
    assert metric(m, "certgate_invokes_total", api=api_id, stage=STAGE, status=404) == 1
    days = metric(m, "certgate_presented_certificate_days_left", api=api_id, stage=STAGE, certificate=cid)
    assert days in (364, 365), m
    assert m.get("certgate_invoke_backend_duration_seconds_count", 0) >= 4
    assert metric(m, "certgate_requests_total", operation="Invoke", status=200) >= 3
    # an unknown stage is counted under "-", not under a name the caller made up...
    before = metric(m, "certgate_invokes_total", api="-", stage="-", status=403)
    Invoker(invoke_server, api_id, "made-up-stage").get("/")
    m = metrics(invoke_server)
    assert metric(m, "certgate_invokes_total", api="-", stage="-", status=403) == before + 1
    assert metric(m, "certgate_invokes_total", api=api_id, stage="made-up-stage", status=403) == 0


def test_a_stages_own_refusals_are_counted_under_the_stage(invoke_server, cg, backends):
    """The stage exists, so its 403 for a path it has no route for is the stage's: only invocations
    of stages that do not exist go under "-" (ops/invokes.rs's own rule)."""
    backend = backends(require="none")
    only_pets = proxy_api_with_one_route(cg, backend.url)
    inv = Invoker(invoke_server, only_pets)
    assert echo(inv.get("/pets"))["path"] == "/pets"
    assert_missing_token(inv.get("/not-a-route"))
    assert_missing_token(inv("POST", "/pets"))
    m = metrics(invoke_server)
    assert metric(m, "certgate_invokes_total", api=only_pets, stage=STAGE, status=200) == 1
    assert metric(m, "certgate_invokes_total", api=only_pets, stage=STAGE, status=403) == 2


def proxy_api_with_one_route(client, backend_url: str) -> str:
    api_id = client.create_rest_api(name="one-route")["id"]
    root = client.get_resources(restApiId=api_id)["items"][0]["id"]
    pets = client.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    proxy_method(client, api_id, pets, backend_url + "/pets", http_method="GET", integration_method="GET")
    client.create_deployment(restApiId=api_id, stageName=STAGE)
    return api_id
