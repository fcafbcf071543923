"""A stage takes its client certificate (issue 13): UpdateStage replace /clientCertificateId, the
refusals certgate adds where AWS's answer is not recorded, DeleteClientCertificate of a certificate in
use, the rotation AWS documents, Terraform's calls replayed one by one, and the AWS CLI flow."""

import json
import subprocess

import pytest

from certgate_helpers import (
    DEFAULT_REGION,
    NOT_FOUND_MSG,
    assert_client_error,
    awscli_env,
    client_error,
    make_boto_client,
    new_account,
    run_awscli,
    server_binary,
)
from restapi_helpers import (
    RESOURCE_NF,
    api_nf,
    api_with_stage,
    body,
    deployable_api,
    expect_error,
    op,
    stage_arn,
    status,
)


def _attach(client, api_id, cert_id, stage="prod"):
    return client.update_stage(restApiId=api_id, stageName=stage,
                               patchOperations=[op("replace", "/clientCertificateId", cert_id)])


def _stage(client, api_id, stage="prod"):
    return body(client.get_stage(restApiId=api_id, stageName=stage))


def _cert(client, **kwargs):
    return client.generate_client_certificate(**kwargs)["clientCertificateId"]


# --- attach / detach --------------------------------------------------------------------------------


def test_attach_and_detach_a_certificate(client):
    api_id, _ = api_with_stage(client)
    cid = _cert(client, description="backend mTLS")
    resp = _attach(client, api_id, cid)
    assert status(resp) == 200
    assert resp["clientCertificateId"] == cid
    assert _stage(client, api_id)["clientCertificateId"] == cid
    assert client.get_stages(restApiId=api_id)["item"][0]["clientCertificateId"] == cid
    detached = _attach(client, api_id, "")
    assert "clientCertificateId" not in detached
    assert "clientCertificateId" not in _stage(client, api_id)


def test_attach_changes_nothing_else(client):
    api_id, dep = api_with_stage(client)
    before = _stage(client, api_id)
    cid = _cert(client)
    after = body(_attach(client, api_id, cid))
    assert after.pop("clientCertificateId") == cid
    after.pop("lastUpdatedDate")
    before.pop("lastUpdatedDate")
    assert after == before


def test_replacing_the_certificate_and_detaching_twice(client):
    api_id, _ = api_with_stage(client)
    a, b = _cert(client), _cert(client)
    _attach(client, api_id, a)
    assert _attach(client, api_id, b)["clientCertificateId"] == b
    _attach(client, api_id, "")
    assert "clientCertificateId" not in _attach(client, api_id, "")  # detaching a bare stage is fine


def test_unknown_certificate_is_refused_naming_the_id(client):
    api_id, _ = api_with_stage(client)
    err = client_error(_attach, client, api_id, "zzzzzz")
    assert_client_error(err, "BadRequestException", 400)
    assert "zzzzzz" in err.response["Error"]["Message"]
    assert "clientCertificateId" not in _stage(client, api_id)


def test_deleted_certificate_is_refused(client):
    api_id, _ = api_with_stage(client)
    cid = _cert(client)
    client.delete_client_certificate(clientCertificateId=cid)
    err = client_error(_attach, client, api_id, cid)
    assert_client_error(err, "BadRequestException", 400)
    assert cid in err.response["Error"]["Message"]


def test_certificate_of_another_account_or_region_is_refused(server, client, make_client):
    api_id, _ = api_with_stage(client)
    foreign = [
        _cert(make_client(key=new_account())),
        _cert(make_client(region="eu-west-1")),
    ]
    for cid in foreign:
        err = client_error(_attach, client, api_id, cid)
        assert_client_error(err, "BadRequestException", 400)
        assert cid in err.response["Error"]["Message"]
    assert "clientCertificateId" not in _stage(client, api_id)


def test_refused_certificate_rejects_the_whole_update(client):
    api_id, _ = api_with_stage(client)
    err = client_error(client.update_stage, restApiId=api_id, stageName="prod", patchOperations=[
        op("replace", "/description", "changed"), op("replace", "/clientCertificateId", "zzzzzz")])
    assert_client_error(err, "BadRequestException", 400)
    assert "description" not in _stage(client, api_id)


def test_create_stage_has_no_client_certificate_member(client, raw):
    # CreateStage has no clientCertificateId in the model: the only way in is UpdateStage.
    api_id, _ = deployable_api(client)
    dep = client.create_deployment(restApiId=api_id)["id"]
    cid = _cert(client)
    resp = raw.request("POST", f"/restapis/{api_id}/stages",
                       json_body={"stageName": "prod", "deploymentId": dep, "clientCertificateId": cid})
    if resp.status_code == 201:
        assert "clientCertificateId" not in resp.json()
        assert "clientCertificateId" not in _stage(client, api_id)
        # and the certificate is not held by the stage
        assert status(client.delete_client_certificate(clientCertificateId=cid)) == 202
    else:
        assert resp.status_code == 400, resp.text


# --- DeleteClientCertificate of a certificate in use ---------------------------------------------------


def test_deleting_a_certificate_a_stage_uses_is_a_conflict_naming_the_stage(client):
    api_id, _ = api_with_stage(client, "prod")
    cid = _cert(client)
    _attach(client, api_id, cid)
    err = client_error(client.delete_client_certificate, clientCertificateId=cid)
    assert_client_error(err, "ConflictException", 409)
    assert "prod" in err.response["Error"]["Message"]
    # nothing was deleted
    assert client.get_client_certificate(clientCertificateId=cid)["clientCertificateId"] == cid
    assert _stage(client, api_id)["clientCertificateId"] == cid


def test_conflict_names_every_stage_that_uses_it(client):
    a, _ = api_with_stage(client, "prod", name="payments-api")
    b, _ = api_with_stage(client, "staging", name="orders-api")
    cid = _cert(client)
    _attach(client, a, cid, "prod")
    _attach(client, b, cid, "staging")
    err = client_error(client.delete_client_certificate, clientCertificateId=cid)
    assert_client_error(err, "ConflictException", 409)
    message = err.response["Error"]["Message"]
    assert "prod" in message and "staging" in message
    # detaching one is not enough
    _attach(client, a, "", "prod")
    err = client_error(client.delete_client_certificate, clientCertificateId=cid)
    assert_client_error(err, "ConflictException", 409)
    assert "staging" in err.response["Error"]["Message"]
    _attach(client, b, "", "staging")
    assert status(client.delete_client_certificate(clientCertificateId=cid)) == 202


@pytest.mark.parametrize("release", ["detach", "delete-stage", "delete-api"])
def test_certificate_can_be_deleted_once_no_stage_uses_it(client, release):
    api_id, _ = api_with_stage(client, "prod")
    cid = _cert(client)
    _attach(client, api_id, cid)
    if release == "detach":
        _attach(client, api_id, "")
    elif release == "delete-stage":
        client.delete_stage(restApiId=api_id, stageName="prod")
    else:
        client.delete_rest_api(restApiId=api_id)
    assert status(client.delete_client_certificate(clientCertificateId=cid)) == 202
    expect_error(client.get_client_certificate, "NotFoundException", 404, NOT_FOUND_MSG, clientCertificateId=cid)


def test_a_certificate_nobody_uses_is_deleted_as_before(client):
    api_id, _ = api_with_stage(client)
    used, unused = _cert(client), _cert(client)
    _attach(client, api_id, used)
    assert status(client.delete_client_certificate(clientCertificateId=unused)) == 202


def test_rotation_as_aws_documents_it(client):
    # generate a new certificate, (trust both at the backend), point the stage at the new one, delete the old
    api_id, _ = api_with_stage(client, "prod")
    old = _cert(client, description="2025")
    _attach(client, api_id, old)
    new = _cert(client, description="2026")
    assert _attach(client, api_id, new)["clientCertificateId"] == new
    assert status(client.delete_client_certificate(clientCertificateId=old)) == 202
    assert _stage(client, api_id)["clientCertificateId"] == new
    err = client_error(client.delete_client_certificate, clientCertificateId=new)
    assert_client_error(err, "ConflictException", 409)


def test_a_stage_holds_its_certificate_across_a_restart(server_factory):
    srv = server_factory()
    c = make_boto_client(srv.url, DEFAULT_REGION, "123456789012")
    api_id, _ = api_with_stage(c, "prod")
    cid = _cert(c)
    _attach(c, api_id, cid)
    srv.terminate()
    again = server_factory(store=srv.store)
    c = make_boto_client(again.url, DEFAULT_REGION, "123456789012")
    assert _stage(c, api_id)["clientCertificateId"] == cid
    err = client_error(c.delete_client_certificate, clientCertificateId=cid)
    assert_client_error(err, "ConflictException", 409)


# --- certgate certs list ------------------------------------------------------------------------------


def _certs_list(store_url, *args):
    done = subprocess.run([str(server_binary()), "certs", "list", "--store", store_url, *args],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode in (0, 1), (done.returncode, done.stderr)
    return done.stdout


def test_certs_list_shows_the_stages_using_each_certificate(server_factory):
    srv = server_factory()
    account = new_account()
    c = make_boto_client(srv.url, DEFAULT_REGION, account)
    api_id, _ = api_with_stage(c, "prod", name="payments-api")
    used, unused = _cert(c, description="used"), _cert(c, description="unused")
    _attach(c, api_id, used)
    doc = json.loads(_certs_list(srv.store_url, "--output", "json", "--account", account))
    rows = {row["id"]: row for row in doc["certificates"]}
    assert set(rows) == {used, unused}
    used_text, unused_text = json.dumps(rows[used]), json.dumps(rows[unused])
    assert "prod" in used_text and api_id in used_text
    assert "prod" not in unused_text and api_id not in unused_text
    table = _certs_list(srv.store_url, "--account", account)
    assert "prod" in table
    c.delete_stage(restApiId=api_id, stageName="prod")
    assert "prod" not in _certs_list(srv.store_url, "--account", account)


# --- Terraform, call by call ------------------------------------------------------------------------


def test_terraform_apply_remove_certificate_and_destroy(client, account):
    """What hashicorp/terraform-provider-aws sends (internal/service/apigateway/*.go) for
    aws_api_gateway_client_certificate + rest_api + resource + method + integration + deployment +
    stage{client_certificate_id}, then the attribute's removal, then `terraform destroy`."""
    # aws_api_gateway_client_certificate: Generate, then Read
    cid = client.generate_client_certificate(description="backend mTLS", tags={"managed-by": "terraform"})[
        "clientCertificateId"]
    client.get_client_certificate(clientCertificateId=cid)

    # aws_api_gateway_rest_api: Create{name, tags}, then Read = GetRestApi + GetResources (finds "/")
    api_id = client.create_rest_api(name="payments-api", tags={"managed-by": "terraform"})["id"]
    api = client.get_rest_api(restApiId=api_id)
    assert api["tags"] == {"managed-by": "terraform"}
    root = [r for p in client.get_paginator("get_resources").paginate(restApiId=api_id)
            for r in p["items"] if r["path"] == "/"][0]["id"]
    assert root == api["rootResourceId"]

    # aws_api_gateway_resource: Create, then GetResource
    pets = client.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    assert client.get_resource(restApiId=api_id, resourceId=pets)["path"] == "/pets"

    # aws_api_gateway_method: Put, then Get
    client.put_method(restApiId=api_id, resourceId=pets, httpMethod="GET", authorizationType="NONE",
                      apiKeyRequired=False)
    client.get_method(restApiId=api_id, resourceId=pets, httpMethod="GET")

    # aws_api_gateway_integration: Put (connection_type and timeout_milliseconds are schema defaults,
    # always sent), then Get
    client.put_integration(restApiId=api_id, resourceId=pets, httpMethod="GET", type="HTTP",
                           integrationHttpMethod="GET", uri="https://backend.example.com/pets",
                           connectionType="INTERNET", timeoutInMillis=29000)
    integ = client.get_integration(restApiId=api_id, resourceId=pets, httpMethod="GET")
    assert integ["connectionType"] == "INTERNET" and integ["timeoutInMillis"] == 29000

    # aws_api_gateway_deployment: Create{description: "", variables: {}}, then Get
    dep = client.create_deployment(restApiId=api_id, description="", variables={})["id"]
    client.get_deployment(restApiId=api_id, deploymentId=dep)

    # aws_api_gateway_stage: Create{stageName, deploymentId, tags}; client_certificate_id is set, so the
    # create goes on with Update [clientCertificateId, deploymentId] (HasChange is true for both on
    # create), then Read = GetStage
    created = client.create_stage(restApiId=api_id, stageName="prod", deploymentId=dep,
                                  tags={"managed-by": "terraform"})
    assert "clientCertificateId" not in created
    updated = client.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        op("replace", "/clientCertificateId", cid),
        op("replace", "/deploymentId", dep),
    ])
    assert updated["clientCertificateId"] == cid and updated["deploymentId"] == dep
    stage = client.get_stage(restApiId=api_id, stageName="prod")
    assert stage["clientCertificateId"] == cid
    assert stage["tags"] == {"managed-by": "terraform"}
    assert client.get_tags(resourceArn=stage_arn(api_id, "prod"))["tags"] == {"managed-by": "terraform"}

    # a second plan refreshes every resource; nothing has drifted
    assert client.get_stage(restApiId=api_id, stageName="prod")["clientCertificateId"] == cid
    assert client.get_deployment(restApiId=api_id, deploymentId=dep)["id"] == dep

    # the attribute is removed from the configuration: Update [replace /clientCertificateId ""], Read
    removed = client.update_stage(restApiId=api_id, stageName="prod",
                                  patchOperations=[op("replace", "/clientCertificateId", "")])
    assert "clientCertificateId" not in removed
    assert "clientCertificateId" not in client.get_stage(restApiId=api_id, stageName="prod")

    # terraform destroy, reverse dependency order; every delete succeeds
    assert status(client.delete_stage(restApiId=api_id, stageName="prod")) == 202
    assert status(client.delete_client_certificate(clientCertificateId=cid)) == 202
    assert status(client.delete_deployment(restApiId=api_id, deploymentId=dep)) == 202
    assert status(client.delete_integration(restApiId=api_id, resourceId=pets, httpMethod="GET")) == 204
    assert status(client.delete_method(restApiId=api_id, resourceId=pets, httpMethod="GET")) == 204
    assert status(client.delete_resource(restApiId=api_id, resourceId=pets)) == 202
    assert status(client.delete_rest_api(restApiId=api_id)) == 202

    # a refresh after destroy finds nothing (Terraform treats NotFound as gone)
    expect_error(client.get_rest_api, "NotFoundException", 404, api_nf(account, api_id), restApiId=api_id)
    expect_error(client.get_client_certificate, "NotFoundException", 404, NOT_FOUND_MSG, clientCertificateId=cid)
    assert client.get_rest_apis().get("items", []) == []


def test_terraform_destroy_with_the_certificate_still_attached(client):
    """destroy while client_certificate_id is still set: the stage goes first, then the certificate; a
    certificate deleted before its stage (a wrong order) is refused, so nothing breaks mid-way."""
    api_id, dep = api_with_stage(client, "prod")
    root = client.get_rest_api(restApiId=api_id)["rootResourceId"]
    cid = _cert(client)
    client.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        op("replace", "/clientCertificateId", cid), op("replace", "/deploymentId", dep)])
    # out of order: refused, the stage keeps serving with its certificate
    assert_client_error(client_error(client.delete_client_certificate, clientCertificateId=cid), "ConflictException", 409)
    assert _stage(client, api_id)["clientCertificateId"] == cid
    # Terraform's order
    client.delete_stage(restApiId=api_id, stageName="prod")
    client.delete_deployment(restApiId=api_id, deploymentId=dep)
    client.delete_client_certificate(clientCertificateId=cid)
    client.delete_integration(restApiId=api_id, resourceId=root, httpMethod="GET")
    client.delete_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    client.delete_rest_api(restApiId=api_id)
    assert client.get_rest_apis().get("items", []) == []


def test_terraform_deletes_tolerate_not_found(client):
    """Every Delete of the provider treats NotFoundException as success: each must answer it (not 500)
    for things already gone, e.g. a resource whose REST API was deleted first."""
    api_id, dep = api_with_stage(client, "prod")
    root = client.get_rest_api(restApiId=api_id)["rootResourceId"]
    client.delete_rest_api(restApiId=api_id)
    calls = [
        (client.delete_stage, {"restApiId": api_id, "stageName": "prod"}),
        (client.delete_deployment, {"restApiId": api_id, "deploymentId": dep}),
        (client.delete_integration, {"restApiId": api_id, "resourceId": root, "httpMethod": "GET"}),
        (client.delete_method, {"restApiId": api_id, "resourceId": root, "httpMethod": "GET"}),
        (client.delete_resource, {"restApiId": api_id, "resourceId": root}),
        (client.delete_rest_api, {"restApiId": api_id}),
    ]
    for fn, kwargs in calls:
        with pytest.raises(client.exceptions.NotFoundException):
            fn(**kwargs)


# --- the AWS CLI ------------------------------------------------------------------------------------


def test_cli_attach_a_certificate_flow(server, tmp_path):
    env = awscli_env(tmp_path, new_account())
    region = "us-west-2"

    def cli(*args, check=True):
        res = run_awscli(server.url, region, env, *args, check=check)
        if not check:
            return res
        return json.loads(res.stdout) if res.stdout.strip() else None

    cid = cli("generate-client-certificate", "--description", "backend mTLS")["clientCertificateId"]
    api = cli("create-rest-api", "--name", "payments-api", "--endpoint-configuration", "types=REGIONAL")
    api_id = api["id"]
    root = [r["id"] for r in cli("get-resources", "--rest-api-id", api_id)["items"] if r["path"] == "/"][0]
    assert root == api["rootResourceId"]
    pets = cli("create-resource", "--rest-api-id", api_id, "--parent-id", root, "--path-part", "pets")["id"]
    cli("put-method", "--rest-api-id", api_id, "--resource-id", pets, "--http-method", "GET",
        "--authorization-type", "NONE")
    integ = cli("put-integration", "--rest-api-id", api_id, "--resource-id", pets, "--http-method", "GET",
                "--type", "HTTP", "--integration-http-method", "GET", "--uri", "https://backend.example.com/pets")
    assert integ["uri"] == "https://backend.example.com/pets"
    dep = cli("create-deployment", "--rest-api-id", api_id, "--stage-name", "prod")["id"]
    assert cli("get-stage", "--rest-api-id", api_id, "--stage-name", "prod")["deploymentId"] == dep

    attached = cli("update-stage", "--rest-api-id", api_id, "--stage-name", "prod",
                   "--patch-operations", f"op=replace,path=/clientCertificateId,value={cid}")
    assert attached["clientCertificateId"] == cid
    assert cli("get-stage", "--rest-api-id", api_id, "--stage-name", "prod")["clientCertificateId"] == cid
    assert cli("get-stages", "--rest-api-id", api_id)["item"][0]["clientCertificateId"] == cid

    res = cli("delete-client-certificate", "--client-certificate-id", cid, check=False)
    assert res.returncode != 0
    assert "ConflictException" in res.stderr and "prod" in res.stderr

    detached = cli("update-stage", "--rest-api-id", api_id, "--stage-name", "prod", "--patch-operations",
                   json.dumps([{"op": "replace", "path": "/clientCertificateId", "value": ""}]))
    assert "clientCertificateId" not in detached
    assert cli("delete-client-certificate", "--client-certificate-id", cid) is None

    res = cli("update-stage", "--rest-api-id", api_id, "--stage-name", "prod",
              "--patch-operations", f"op=replace,path=/clientCertificateId,value={cid}", check=False)
    assert res.returncode != 0
    assert "BadRequestException" in res.stderr and cid in res.stderr

    assert cli("delete-stage", "--rest-api-id", api_id, "--stage-name", "prod") is None
    assert cli("delete-rest-api", "--rest-api-id", api_id) is None
    assert cli("get-rest-apis").get("items", []) == []


def test_cli_errors_are_aws_shaped(server, tmp_path):
    env = awscli_env(tmp_path, new_account())
    res = run_awscli(server.url, "us-west-2", env, "get-stage", "--rest-api-id", "zzzzzzzzzz", "--stage-name", "prod",
                     check=False)
    assert res.returncode != 0
    assert "NotFoundException" in res.stderr
    res = run_awscli(server.url, "us-west-2", env, "get-resource", "--rest-api-id", "zzzzzzzzzz", "--resource-id", "abc",
                     check=False)
    assert res.returncode != 0
    assert "NotFoundException" in res.stderr and RESOURCE_NF in res.stderr



def test_conflict_wire_shape(client, raw):
    api_id, _ = api_with_stage(client, "prod")
    cid = _cert(client)
    _attach(client, api_id, cid)
    resp = raw.request("DELETE", f"/clientcertificates/{cid}")
    from certgate_helpers import assert_aws_error

    b = assert_aws_error(resp, "ConflictException", 409)
    assert set(b) == {"message"}
    assert "prod" in b["message"]


# --- the console ---------------------------------------------------------------------------------------


def test_console_shows_the_stages_a_certificate_serves(server_factory, monkeypatch):
    import requests

    monkeypatch.delenv("CERTGATE_CLOCK_OFFSET", raising=False)
    monkeypatch.delenv("CERTGATE_NO_CONSOLE", raising=False)
    monkeypatch.setenv("CERTGATE_ADMIN_CLOCK", "true")
    srv = server_factory()
    monkeypatch.delenv("CERTGATE_ADMIN_CLOCK")
    account = new_account()
    c = make_boto_client(srv.url, DEFAULT_REGION, account)
    # a certificate issued 353 days ago expires in 12 days
    r = requests.post(f"{srv.url}/_certgate/clock", json={"offsetSeconds": -353 * 86400}, timeout=10)
    assert r.status_code == 200, r.text
    expiring = _cert(c, description="old")
    assert requests.post(f"{srv.url}/_certgate/clock", json={"offsetSeconds": 0}, timeout=10).status_code == 200
    fresh = _cert(c, description="fresh")
    api_id, _ = api_with_stage(c, "prod", name="payments-api")
    _attach(c, api_id, expiring)
    doc = requests.get(f"{srv.url}/_certgate/api/certificates", params={"account": account}, timeout=10).json()
    rows = {row["id"]: row for row in doc["certificates"]}
    assert rows[expiring]["status"] == "expiring"
    used = json.dumps(rows[expiring])
    assert "prod" in used and "payments-api" in used
    assert "prod" not in json.dumps(rows[fresh])


def test_readme_attach_flow_runs_as_written(server, tmp_path):
    """The sh block of README's "REST APIs and stages" section, run by bash with only the endpoint's
    port changed: every command succeeds and the stage ends up presenting the certificate."""
    from certgate_helpers import REPO_ROOT

    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("## REST APIs and stages", 1)[1]
    script = section.split("```sh\n", 1)[1].split("```", 1)[0]
    assert "update-stage" in script and "/clientCertificateId" in script
    account = new_account()
    script = script.replace("http://127.0.0.1:4566", server.url).replace("AWS_ACCESS_KEY_ID=test",
                                                                         f"AWS_ACCESS_KEY_ID={account}")
    env = awscli_env(tmp_path, account)
    env["PATH"] = str(REPO_ROOT / ".venv" / "bin") + ":" + env.get("PATH", "")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    c = make_boto_client(server.url, "us-east-1", account)
    [api] = c.get_rest_apis()["items"]
    [cert] = c.get_client_certificates()["items"]
    stage = c.get_stage(restApiId=api["id"], stageName="prod")
    assert stage["clientCertificateId"] == cert["clientCertificateId"]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == cert["clientCertificateId"]
