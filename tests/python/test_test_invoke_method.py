"""TestInvokeMethod (issue 14), the console's Test button, with boto3 and the AWS CLI: the method's
current (undeployed) integration runs with the caller's path, query, headers, body, stage variables
and client certificate, against a backend that demands that certificate, and the answer has status,
body, headers, multiValueHeaders, log and latency."""

from __future__ import annotations

import json

from certgate_helpers import NOT_FOUND_MSG, awscli_env, run_awscli
from invoke_helpers import (  # noqa: F401  (fixtures)
    Invoker,
    backend_ca,
    backends,
    cg,
    generate,
    invoke_server,
    proxy_api,
)
from mtls_backend import der_of_pem, pem_fingerprint
from restapi_helpers import expect_error, op, status

RESPONSE_KEYS = {"status", "body", "headers", "multiValueHeaders", "log", "latency"}


def run_test_invoke(client, api, resource, method="ANY", **kwargs) -> dict:
    resp = client.test_invoke_method(restApiId=api, resourceId=resource, httpMethod=method, **kwargs)
    assert status(resp) == 200
    return resp


def test_runs_the_integration_presenting_the_given_certificate(cg, backends):
    cid, pem = generate(cg)
    backend = backends(trusted=[pem])
    api = proxy_api(cg, backend.url)
    resp = run_test_invoke(cg, api["api"], api["proxy"], "ANY", pathWithQueryString="/pets/7?a=1&a=2&b=x",
                       headers={"X-Test": "yes", "Content-Type": "application/json"},
                       body='{"k": "v"}', clientCertificateId=cid)
    assert RESPONSE_KEYS <= set(resp), resp
    assert resp["status"] == 200, resp
    got = json.loads(resp["body"])
    assert got["path"] == "/pets/7" and got["certificate_sha256"] == pem_fingerprint(pem)
    rec = backend.last()
    assert rec.cert == der_of_pem(pem)
    assert rec.query == [("a", "1"), ("a", "2"), ("b", "x")]
    assert rec.header("X-Test") == "yes" and rec.body == b'{"k": "v"}'
    content_type = {k.lower(): v for k, v in resp["headers"].items()}["content-type"]
    assert content_type.startswith("application/json"), resp["headers"]
    assert all(isinstance(v, list) for v in resp["multiValueHeaders"].values())
    assert isinstance(resp["latency"], int) and resp["latency"] >= 0
    log = resp["log"]
    assert "Endpoint request URI: " + backend.url + "/pets/7" in log, log
    assert cid in log and "Method completed with status: 200" in log, log


def test_without_a_certificate_the_backend_refuses_and_the_log_says_why(cg, backends):
    _, pem = generate(cg)
    backend = backends(trusted=[pem])
    api = proxy_api(cg, backend.url)
    resp = run_test_invoke(cg, api["api"], api["proxy"], "ANY", pathWithQueryString="/pets")
    assert resp["status"] == 500
    assert json.loads(resp["body"]) == {"message": "Internal server error"}
    assert "No client certificate offered" in resp["log"], resp["log"]
    assert "Execution failed" in resp["log"], resp["log"]
    assert not backend.records


def test_the_current_integration_runs_not_the_deployed_one(invoke_server, cg, backends):
    backend = backends(require="none")
    api = proxy_api(cg, backend.url)
    cg.update_integration(restApiId=api["api"], resourceId=api["proxy"], httpMethod="ANY",
                          patchOperations=[op("replace", "/uri", backend.url + "/undeployed/{proxy}")])
    resp = run_test_invoke(cg, api["api"], api["proxy"], pathWithQueryString="/pets")
    assert json.loads(resp["body"])["path"] == "/undeployed/pets"
    # the stage still runs its deployment
    assert Invoker(invoke_server, api["api"]).get("/pets").json()["path"] == "/pets"


def test_stage_variables_reach_the_integration(cg, backends):
    backend = backends(require="none")
    api_id = cg.create_rest_api(name="vars")["id"]
    root = cg.get_resources(restApiId=api_id)["items"][0]["id"]
    rid = cg.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    cg.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
    cg.put_integration(restApiId=api_id, resourceId=rid, httpMethod="GET", type="HTTP_PROXY",
                       integrationHttpMethod="GET", uri=backend.url + "/${stageVariables.color}/pets")
    resp = run_test_invoke(cg, api_id, rid, "GET", pathWithQueryString="/pets", stageVariables={"color": "blue"})
    assert resp["status"] == 200, resp
    assert backend.last().raw_path == "/blue/pets"


def mock_pets(client) -> tuple[str, str, str]:
    """AWS's recorded case (LocalStack's TestApigatewayTestInvoke::test_invoke_test_method, validated
    against AWS): /pets and /pets/{petId}, GET on MOCK with a static response template.
    Returns (api id, /pets id, /pets/{petId} id)."""
    api_id = client.create_rest_api(name="mock")["id"]
    root = client.get_resources(restApiId=api_id)["items"][0]["id"]
    pets = client.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    pet = client.create_resource(restApiId=api_id, parentId=pets, pathPart="{petId}")["id"]
    for rid in (pets, pet):
        client.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
        client.put_integration(restApiId=api_id, resourceId=rid, httpMethod="GET", type="MOCK",
                               requestTemplates={"application/json": '{"statusCode": 200}'})
        client.put_method_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="200")
        client.put_integration_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="200",
                                        responseTemplates={"application/json": '{"pets": "all the pets"}'})
    return api_id, pets, pet


def test_mock_with_the_resources_own_path_when_none_is_given(cg):
    api_id, pets, pet = mock_pets(cg)
    resp = run_test_invoke(cg, api_id, pets, "GET")
    assert (resp["status"], resp["body"]) == (200, '{"pets": "all the pets"}')
    assert "HTTP Method: GET, Resource Path: /pets\n" in resp["log"], resp["log"]
    assert "Method completed with status: 200" in resp["log"]
    resp = run_test_invoke(cg, api_id, pet, "GET")
    assert "HTTP Method: GET, Resource Path: /pets/{petId}\n" in resp["log"], resp["log"]


def test_headers_are_named_as_aws_names_them(cg):
    # AWS answers {"Content-Type": "application/json"} in headers and multiValueHeaders: the
    # header's usual spelling, which is what callers index the map with.
    api_id, pets, _ = mock_pets(cg)
    resp = run_test_invoke(cg, api_id, pets, "GET")
    assert resp["headers"] == {"Content-Type": "application/json"}, resp["headers"]
    assert resp["multiValueHeaders"] == {"Content-Type": ["application/json"]}, resp["multiValueHeaders"]


def test_the_log_names_the_path_that_was_tested(cg):
    # AWS: "HTTP Method: GET, Resource Path: /pets/123" for pathWithQueryString /pets/123
    api_id, _, pet = mock_pets(cg)
    resp = run_test_invoke(cg, api_id, pet, "GET", pathWithQueryString="/pets/123?foo=bar")
    assert resp["status"] == 200
    assert "HTTP Method: GET, Resource Path: /pets/123\n" in resp["log"], resp["log"]
    assert "Method request path: {petId=123}" in resp["log"], resp["log"]


def test_a_path_that_does_not_fit_the_resource_still_runs_its_method(cg):
    # AWS runs the method it was given whatever the path: /random/test on /pets and on
    # /pets/{petId} both answer 200 (the path parameter then empty).
    api_id, pets, pet = mock_pets(cg)
    for rid in (pets, pet):
        resp = run_test_invoke(cg, api_id, rid, "GET", pathWithQueryString="/random/test")
        assert (resp["status"], resp["body"]) == (200, '{"pets": "all the pets"}')


def test_unknown_resource_method_or_certificate(cg, backends):
    backend = backends(require="none")
    api = proxy_api(cg, backend.url)
    expect_error(cg.test_invoke_method, "NotFoundException", 404, "Invalid Resource identifier specified",
                 restApiId=api["api"], resourceId="nosuch", httpMethod="GET")
    expect_error(cg.test_invoke_method, "NotFoundException", 404, "Invalid Method identifier specified",
                 restApiId=api["api"], resourceId=api["root"], httpMethod="PATCH")
    expect_error(cg.test_invoke_method, "NotFoundException", 404, NOT_FOUND_MSG, restApiId=api["api"],
                 resourceId=api["proxy"], httpMethod="ANY", pathWithQueryString="/x", clientCertificateId="zzzzzz")
    assert not backend.records


def test_aws_cli_test_invoke_method(invoke_server, cg, backends, tmp_path):
    cid, pem = generate(cg)
    backend = backends(trusted=[pem])
    api = proxy_api(cg, backend.url)
    account = cg._request_signer._credentials.access_key
    res = run_awscli(invoke_server.url, "us-east-1", awscli_env(tmp_path, account), "test-invoke-method",
                     "--rest-api-id", api["api"], "--resource-id", api["proxy"], "--http-method", "ANY",
                     "--path-with-query-string", "/cli?x=1", "--client-certificate-id", cid)
    out = json.loads(res.stdout)
    assert RESPONSE_KEYS <= set(out), out
    assert out["status"] == 200
    assert json.loads(out["body"])["certificate_sha256"] == pem_fingerprint(pem)
    assert backend.last().raw_path == "/cli" and backend.last().query == [("x", "1")]
