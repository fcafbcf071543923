"""The OpenAPI description at /_certgate/openapi.json, checked against the running server by
schemathesis (bounded in examples and time), and read by a client the way tools read it."""

import json
import subprocess
import sys
from pathlib import Path

import requests

from certgate_helpers import REPO_ROOT

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CONFIG = REPO_ROOT / "tests" / "schemathesis.toml"


REST_API_OPERATIONS = {
    "CreateRestApi", "GetRestApi", "GetRestApis", "UpdateRestApi", "DeleteRestApi",
    "GetResources", "GetResource", "CreateResource", "UpdateResource", "DeleteResource",
    "PutMethod", "GetMethod", "UpdateMethod", "DeleteMethod",
    "PutMethodResponse", "GetMethodResponse", "UpdateMethodResponse", "DeleteMethodResponse",
    "PutIntegration", "GetIntegration", "UpdateIntegration", "DeleteIntegration",
    "PutIntegrationResponse", "GetIntegrationResponse", "UpdateIntegrationResponse",
    "DeleteIntegrationResponse",
    "CreateDeployment", "GetDeployment", "GetDeployments", "UpdateDeployment", "DeleteDeployment",
    "CreateStage", "GetStage", "GetStages", "UpdateStage", "DeleteStage",
    "TestInvokeMethod",
}


def test_openapi_document_lists_every_operation(server):
    resp = requests.get(server.url + "/_certgate/openapi.json", timeout=30)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    doc = resp.json()
    assert doc["openapi"].startswith("3.")
    ops = {
        op["operationId"]
        for item in doc["paths"].values()
        for method, op in item.items()
        if method != "parameters"
    }
    assert ops == {
        "GenerateClientCertificate", "GetClientCertificate", "GetClientCertificates",
        "UpdateClientCertificate", "DeleteClientCertificate", "TagResource", "UntagResource",
        "GetTags",
    } | REST_API_OPERATIONS


def test_schemathesis_finds_nothing(server_factory, tmp_path):
    # A server of its own: schemathesis generates many certificates, and a raised quota keeps most
    # of them real generations instead of quota refusals.
    srv = server_factory(max_certificates=100000)
    cmd = [
        str(SCHEMATHESIS), "--config-file", str(CONFIG), "--no-color",
        "run", srv.url + "/_certgate/openapi.json", "--url", srv.url,
        "--checks", "all",
        "--exclude-checks", "unsupported_method,ignored_auth,object_level_authorization",
        "--max-examples", "20", "--max-time", "120", "--seed", "7",
        "--request-timeout", "30",
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert res.returncode == 0, f"schemathesis found problems:\n{res.stdout[-20000:]}\n{res.stderr[-5000:]}"
    assert "45 selected / 45 total" in res.stdout, res.stdout[-5000:]
    assert srv.alive()


def test_array_bodies_are_refused(raw):
    """Found by schemathesis: serde took `[null, null]` field by field as an empty Generate input
    and created a certificate. Every body of the model is an object; anything else is a 400."""
    from certgate_helpers import assert_aws_error

    for body in ("[null, null]", "[null]", "null", '"text"'):
        resp = raw.request("POST", "/clientcertificates", body=body)
        assert_aws_error(resp, "BadRequestException", 400)
    assert raw.list().json()["item"] == []
