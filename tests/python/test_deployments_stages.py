"""Deployments and stages (issue 13). AWS's answers as recorded in LocalStack's
test_apigateway_common.py.snapshot.json (TestStages, TestDeployments), test_apigateway_api.py
.snapshot.json (stage access-log settings, GetStages filter) and test_apigateway_basic.py
.snapshot.json (UpdateDeployment)."""

import time

import pytest

from certgate_helpers import assert_aws_error, assert_client_error, client_error, make_boto_client, new_account
from restapi_helpers import (
    ACTIVE_STAGES,
    DEPLOYMENT_NF,
    METHOD_SETTING_DEFAULTS,
    NO_INTEGRATION,
    NO_METHODS,
    SHORT_ID_RE,
    STAGE_EXISTS,
    STAGE_NF,
    api_with_stage,
    body,
    deployable_api,
    expect_error,
    mock_method,
    new_api,
    op,
    stage_arn,
    stage_paths_error,
    status,
    tags_path,
)

STAGE_KEYS = {
    "cacheClusterEnabled",
    "cacheClusterStatus",
    "createdDate",
    "deploymentId",
    "lastUpdatedDate",
    "methodSettings",
    "stageName",
    "tracingEnabled",
}
LOG_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:access-logs"


def _stage(client, api_id, name="prod"):
    return body(client.get_stage(restApiId=api_id, stageName=name))


def _update(client, api_id, *ops, name="prod"):
    return client.update_stage(restApiId=api_id, stageName=name, patchOperations=list(ops))


# --- deployments ----------------------------------------------------------------------------------


def test_create_deployment_shape(client, raw):
    api_id, _ = deployable_api(client)
    resp = client.create_deployment(restApiId=api_id)
    assert status(resp) == 201
    dep = body(resp)
    assert set(dep) == {"createdDate", "id"}
    got = client.get_deployment(restApiId=api_id, deploymentId=dep["id"])
    assert status(got) == 200 and body(got) == dep
    wire = raw.request("GET", f"/restapis/{api_id}/deployments/{dep['id']}").json()
    assert set(wire) == {"createdDate", "id"}
    assert isinstance(wire["createdDate"], (int, float))


def test_deployment_ids_have_six_characters_like_aws(client):
    # aws-cli examples: "rbh1fj", "5ubd17"; Terraform logs: "88om2m", "aqxk2w"
    api_id, _ = deployable_api(client)
    ids = {client.create_deployment(restApiId=api_id)["id"] for _ in range(5)}
    assert len(ids) == 5
    assert all(SHORT_ID_RE.match(i) for i in ids), ids


def test_deployment_description_and_update(client):
    # BASIC::test_update_rest_api_deployment / after-update
    api_id, _ = deployable_api(client)
    dep = client.create_deployment(restApiId=api_id, description="my deployment")
    assert dep["description"] == "my deployment"
    updated = client.update_deployment(restApiId=api_id, deploymentId=dep["id"],
                                       patchOperations=[op("replace", "/description", "new-description")])
    assert status(updated) == 200
    assert body(updated) == {"createdDate": dep["createdDate"], "description": "new-description", "id": dep["id"]}
    assert client.get_deployment(restApiId=api_id, deploymentId=dep["id"])["description"] == "new-description"


def test_deployment_with_empty_description_as_terraform_sends_it(client, raw):
    api_id, _ = deployable_api(client)
    resp = raw.request("POST", f"/restapis/{api_id}/deployments", json_body={"description": "", "variables": {}})
    assert resp.status_code == 201, resp.text
    dep = resp.json()
    assert client.get_deployment(restApiId=api_id, deploymentId=dep["id"])["id"] == dep["id"]


def test_deployment_of_an_api_without_methods_is_refused(client):
    api_id, root = new_api(client)
    client.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    expect_error(client.create_deployment, "BadRequestException", 400, NO_METHODS, restApiId=api_id)
    expect_error(client.create_deployment, "BadRequestException", 400, NO_METHODS, restApiId=api_id, stageName="prod")
    assert client.get_deployments(restApiId=api_id).get("items", []) == []
    assert client.get_stages(restApiId=api_id)["item"] == []


def test_deployment_with_a_method_without_integration_is_refused(client):
    api_id, root = deployable_api(client)
    pets = client.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    client.put_method(restApiId=api_id, resourceId=pets, httpMethod="POST", authorizationType="NONE")
    expect_error(client.create_deployment, "BadRequestException", 400, NO_INTEGRATION, restApiId=api_id)
    expect_error(client.create_deployment, "BadRequestException", 400, NO_INTEGRATION, restApiId=api_id, stageName="prod")
    assert client.get_deployments(restApiId=api_id).get("items", []) == []
    assert client.get_stages(restApiId=api_id)["item"] == []
    # with the integration in place it deploys
    client.put_integration(restApiId=api_id, resourceId=pets, httpMethod="POST", type="MOCK")
    dep = client.create_deployment(restApiId=api_id)["id"]
    assert [d["id"] for d in client.get_deployments(restApiId=api_id)["items"]] == [dep]


def test_get_deployments_and_paging(client):
    api_id, _ = deployable_api(client)
    ids = {client.create_deployment(restApiId=api_id)["id"] for _ in range(7)}
    listed = client.get_deployments(restApiId=api_id)
    assert status(listed) == 200 and "position" not in listed
    assert {d["id"] for d in listed["items"]} == ids
    assert all(set(d) == {"createdDate", "id"} for d in listed["items"])
    seen, kwargs = [], {"limit": 3}
    while True:
        page = client.get_deployments(restApiId=api_id, **kwargs)
        assert len(page["items"]) <= 3
        seen.extend(d["id"] for d in page["items"])
        if "position" not in page:
            break
        kwargs["position"] = page["position"]
    assert len(seen) == 7 and set(seen) == ids
    walked = [d["id"] for p in client.get_paginator("get_deployments").paginate(
        restApiId=api_id, PaginationConfig={"PageSize": 2}) for d in p["items"]]
    assert sorted(walked) == sorted(ids)
    assert_client_error(client_error(client.get_deployments, restApiId=api_id, limit=501), "BadRequestException", 400)


def test_unknown_deployment_is_not_found(client):
    api_id, _ = deployable_api(client)
    client.create_deployment(restApiId=api_id)
    expect_error(client.get_deployment, "NotFoundException", 404, DEPLOYMENT_NF, restApiId=api_id, deploymentId="abc123")
    expect_error(client.update_deployment, "NotFoundException", 404, DEPLOYMENT_NF, restApiId=api_id,
                 deploymentId="abc123", patchOperations=[op("replace", "/description", "x")])
    expect_error(client.delete_deployment, "NotFoundException", 404, DEPLOYMENT_NF, restApiId=api_id, deploymentId="abc123")


def test_deployment_of_another_api_is_not_found(client):
    a, _ = deployable_api(client, "a")
    b, _ = deployable_api(client, "b")
    dep = client.create_deployment(restApiId=a)["id"]
    expect_error(client.get_deployment, "NotFoundException", 404, DEPLOYMENT_NF, restApiId=b, deploymentId=dep)
    err = client_error(client.create_stage, restApiId=b, stageName="prod", deploymentId=dep)
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 404)
    assert client.get_stages(restApiId=b)["item"] == []


def test_delete_deployment_refused_while_a_stage_points_to_it(client, raw):
    # COMMON::test_create_delete_deployments / delete-deployment-error-*, test_create_update_deployments
    api_id, dep = api_with_stage(client, "s1")
    for _ in range(2):
        expect_error(client.delete_deployment, "BadRequestException", 400, ACTIVE_STAGES, restApiId=api_id, deploymentId=dep)
    assert client.get_deployment(restApiId=api_id, deploymentId=dep)["id"] == dep
    client.delete_stage(restApiId=api_id, stageName="s1")
    resp = raw.request("DELETE", f"/restapis/{api_id}/deployments/{dep}")
    assert resp.status_code == 202, resp.text
    assert resp.content == b""
    expect_error(client.get_deployment, "NotFoundException", 404, DEPLOYMENT_NF, restApiId=api_id, deploymentId=dep)


def test_create_deployment_with_stage_name_creates_then_moves_the_stage(client):
    # COMMON::test_create_delete_deployments[False], test_create_update_deployments
    api_id, _ = deployable_api(client)
    d1 = client.create_deployment(restApiId=api_id, stageName="s1", stageDescription="first")
    assert set(body(d1)) == {"createdDate", "id"}
    stage = _stage(client, api_id, "s1")
    assert stage["deploymentId"] == d1["id"]
    assert stage["description"] == "first"
    assert STAGE_KEYS <= set(stage)
    d2 = client.create_deployment(restApiId=api_id, stageName="s1")
    moved = _stage(client, api_id, "s1")
    assert moved["deploymentId"] == d2["id"]
    assert moved["createdDate"] == stage["createdDate"]
    assert [s["stageName"] for s in client.get_stages(restApiId=api_id)["item"]] == ["s1"]
    # the old deployment is free now; the new one is held by the stage
    assert status(client.delete_deployment(restApiId=api_id, deploymentId=d1["id"])) == 202
    expect_error(client.delete_deployment, "BadRequestException", 400, ACTIVE_STAGES, restApiId=api_id, deploymentId=d2["id"])


def test_create_deployment_with_stage_variables(client):
    api_id, _ = deployable_api(client)
    client.create_deployment(restApiId=api_id, stageName="dev", variables={"backend": "dev.example.com"})
    assert _stage(client, api_id, "dev")["variables"] == {"backend": "dev.example.com"}


def test_a_stage_keeps_its_deployment_until_moved(client):
    api_id, d1 = api_with_stage(client, "prod")
    d2 = client.create_deployment(restApiId=api_id)["id"]
    assert _stage(client, api_id)["deploymentId"] == d1
    updated = _update(client, api_id, op("replace", "/deploymentId", d2))
    assert updated["deploymentId"] == d2
    assert _stage(client, api_id)["deploymentId"] == d2
    assert status(client.delete_deployment(restApiId=api_id, deploymentId=d1)) == 202


def test_deployment_api_summary_is_the_snapshot_taken_when_it_was_made(client):
    api_id, root = deployable_api(client)
    d1 = client.create_deployment(restApiId=api_id)["id"]
    plain = body(client.get_deployment(restApiId=api_id, deploymentId=d1))
    assert "apiSummary" not in plain
    # edit after deploy: a new method and a new resource
    client.put_method(restApiId=api_id, resourceId=root, httpMethod="POST", authorizationType="AWS_IAM")
    client.put_integration(restApiId=api_id, resourceId=root, httpMethod="POST", type="MOCK")
    pets = client.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    mock_method(client, api_id, pets, "GET")
    old = client.get_deployment(restApiId=api_id, deploymentId=d1, embed=["apisummary"])["apiSummary"]
    assert old["/"] == {"GET": {"authorizationType": "NONE", "apiKeyRequired": False}}
    assert "/pets" not in old
    d2 = client.create_deployment(restApiId=api_id)["id"]
    new = client.get_deployment(restApiId=api_id, deploymentId=d2, embed=["apisummary"])["apiSummary"]
    assert new["/"] == {"GET": {"authorizationType": "NONE", "apiKeyRequired": False},
                        "POST": {"authorizationType": "AWS_IAM", "apiKeyRequired": False}}
    assert new["/pets"] == {"GET": {"authorizationType": "NONE", "apiKeyRequired": False}}
    # deleting what d1 served changes nothing in d1
    client.delete_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    again = client.get_deployment(restApiId=api_id, deploymentId=d1, embed=["apisummary"])["apiSummary"]
    assert again == old


# --- stages -----------------------------------------------------------------------------------------


def test_create_stage_shape(client):
    # API::test_stage_access_log_settings / create-stage
    api_id, _ = deployable_api(client)
    dep = client.create_deployment(restApiId=api_id)["id"]
    resp = client.create_stage(restApiId=api_id, stageName="dev", deploymentId=dep, description="dev stage")
    assert status(resp) == 201
    stage = body(resp)
    assert set(stage) == STAGE_KEYS | {"description"}
    assert stage["cacheClusterEnabled"] is False
    assert stage["cacheClusterStatus"] == "NOT_AVAILABLE"
    assert stage["deploymentId"] == dep
    assert stage["description"] == "dev stage"
    assert stage["methodSettings"] == {}
    assert stage["stageName"] == "dev"
    assert stage["tracingEnabled"] is False
    got = client.get_stage(restApiId=api_id, stageName="dev")
    assert status(got) == 200 and body(got) == stage


def test_create_stage_optional_members(client):
    api_id, _ = deployable_api(client)
    dep = client.create_deployment(restApiId=api_id)["id"]
    stage = body(client.create_stage(restApiId=api_id, stageName="s", deploymentId=dep, variables={"v": "1"},
                                     tracingEnabled=True, tags={"env": "prod"}))
    assert stage["variables"] == {"v": "1"}
    assert stage["tracingEnabled"] is True
    assert stage["tags"] == {"env": "prod"}
    assert "description" not in stage and "clientCertificateId" not in stage
    assert _stage(client, api_id, "s") == stage


def test_raw_stage_wire_shape(client, raw):
    api_id, dep = api_with_stage(client, "prod")
    resp = raw.request("GET", f"/restapis/{api_id}/stages/prod")
    assert resp.status_code == 200
    stage = resp.json()
    assert set(stage) == STAGE_KEYS
    for key in ("createdDate", "lastUpdatedDate"):
        assert isinstance(stage[key], (int, float)) and not isinstance(stage[key], bool)
    listed = raw.request("GET", f"/restapis/{api_id}/stages").json()
    assert listed == {"item": [stage]}


def test_duplicate_stage_is_a_conflict(client):
    api_id, dep = api_with_stage(client, "prod")
    expect_error(client.create_stage, "ConflictException", 409, STAGE_EXISTS, restApiId=api_id, stageName="prod",
                 deploymentId=dep, description="again")
    assert "description" not in _stage(client, api_id)


def test_create_stage_with_unknown_deployment_is_refused(client):
    api_id, _ = deployable_api(client)
    client.create_deployment(restApiId=api_id)
    err = client_error(client.create_stage, restApiId=api_id, stageName="prod", deploymentId="nosuch")
    assert err.response["Error"]["Code"] in ("BadRequestException", "NotFoundException")
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 404)
    expect_error(client.get_stage, "NotFoundException", 404, STAGE_NF, restApiId=api_id, stageName="prod")


def test_create_stage_needs_name_and_deployment(client, raw):
    api_id, _ = deployable_api(client)
    dep = client.create_deployment(restApiId=api_id)["id"]
    assert_aws_error(raw.request("POST", f"/restapis/{api_id}/stages", json_body={"deploymentId": dep}), None, 400)
    assert_aws_error(raw.request("POST", f"/restapis/{api_id}/stages", json_body={"stageName": "x"}), None, 400)
    assert client.get_stages(restApiId=api_id)["item"] == []


def test_get_stages_returns_the_whole_list_and_filters_by_deployment(client):
    # API::test_get_stages_filters_by_deployment_id
    api_id, _ = deployable_api(client)
    d1 = client.create_deployment(restApiId=api_id, stageName="stage1")["id"]
    d2 = client.create_deployment(restApiId=api_id, stageName="stage2")["id"]
    client.create_stage(restApiId=api_id, stageName="stage3", deploymentId=d2)
    everything = client.get_stages(restApiId=api_id)
    assert status(everything) == 200
    assert "position" not in everything
    assert sorted(s["stageName"] for s in everything["item"]) == ["stage1", "stage2", "stage3"]
    assert [s["stageName"] for s in client.get_stages(restApiId=api_id, deploymentId=d1)["item"]] == ["stage1"]
    assert sorted(s["stageName"] for s in client.get_stages(restApiId=api_id, deploymentId=d2)["item"]) == ["stage2", "stage3"]
    assert client.get_stages(restApiId=api_id, deploymentId="nosuch")["item"] == []
    for s in everything["item"]:
        assert s == _stage(client, api_id, s["stageName"])


def test_delete_stage(client, raw):
    api_id, dep = api_with_stage(client, "prod")
    resp = raw.request("DELETE", f"/restapis/{api_id}/stages/prod")
    assert resp.status_code == 202, resp.text
    assert resp.content == b""
    expect_error(client.get_stage, "NotFoundException", 404, STAGE_NF, restApiId=api_id, stageName="prod")
    expect_error(client.delete_stage, "NotFoundException", 404, STAGE_NF, restApiId=api_id, stageName="prod")
    expect_error(client.update_stage, "NotFoundException", 404, STAGE_NF, restApiId=api_id, stageName="prod",
                 patchOperations=[op("replace", "/description", "x")])
    assert client.get_stages(restApiId=api_id)["item"] == []


def test_stage_of_unknown_or_deleted_api(client):
    api_id, _ = api_with_stage(client, "prod")
    client.delete_rest_api(restApiId=api_id)
    for call in (lambda: client.get_stage(restApiId=api_id, stageName="prod"),
                 lambda: client.get_stages(restApiId=api_id),
                 lambda: client.get_deployments(restApiId=api_id)):
        with pytest.raises(client.exceptions.NotFoundException):
            call()


def test_update_stage_description_variables_tracing(client):
    # COMMON::test_create_update_stages / update-stage
    api_id, _ = api_with_stage(client, "s1")
    before = _stage(client, api_id, "s1")
    time.sleep(1.1)
    resp = _update(client, api_id,
                   op("replace", "/description", "stage new"),
                   op("replace", "/variables/var1", "test"),
                   op("replace", "/variables/var2", "test2"),
                   op("replace", "/tracingEnabled", "true"),
                   name="s1")
    assert status(resp) == 200
    stage = body(resp)
    assert stage["description"] == "stage new"
    assert stage["variables"] == {"var1": "test", "var2": "test2"}
    assert stage["tracingEnabled"] is True
    assert stage["createdDate"] == before["createdDate"]
    assert stage["lastUpdatedDate"] > before["lastUpdatedDate"]
    assert _stage(client, api_id, "s1") == stage
    stage = body(_update(client, api_id, op("remove", "/variables/var1"), name="s1"))
    assert stage["variables"] == {"var2": "test2"}
    stage = body(_update(client, api_id, op("remove", "/variables/var2"), name="s1"))
    assert "variables" not in stage


def test_update_stage_method_settings(client):
    # COMMON::test_create_update_stages / update-stage, update-stage-override; aws-cli update-stage.rst
    api_id, _ = api_with_stage(client, "s1")
    stage = body(_update(client, api_id,
                         op("replace", "/*/*/throttling/burstLimit", "123"),
                         op("replace", "/*/*/caching/enabled", "true"),
                         op("replace", "/test/GET/throttling/burstLimit", "124"),
                         op("replace", "/~1pets/GET/logging/dataTrace", "true"),
                         op("replace", "/~1pets/GET/logging/loglevel", "INFO"),
                         name="s1"))
    assert stage["methodSettings"]["*/*"] == {**METHOD_SETTING_DEFAULTS, "throttlingBurstLimit": 123, "cachingEnabled": True}
    assert stage["methodSettings"]["test/GET"] == {**METHOD_SETTING_DEFAULTS, "throttlingBurstLimit": 124}
    assert stage["methodSettings"]["~1pets/GET"] == {**METHOD_SETTING_DEFAULTS, "dataTraceEnabled": True,
                                                     "loggingLevel": "INFO"}
    assert set(stage["methodSettings"]) == {"*/*", "test/GET", "~1pets/GET"}
    # */* does not override a specific entry
    stage = body(_update(client, api_id, op("replace", "/*/*/throttling/burstLimit", "100"), name="s1"))
    assert stage["methodSettings"]["*/*"]["throttlingBurstLimit"] == 100
    assert stage["methodSettings"]["test/GET"]["throttlingBurstLimit"] == 124
    stage = body(_update(client, api_id, op("replace", "/*/*/throttling/rateLimit", "55.5"),
                         op("replace", "/*/*/metrics/enabled", "true"),
                         op("replace", "/*/*/caching/ttlInSeconds", "60"), name="s1"))
    assert stage["methodSettings"]["*/*"]["throttlingRateLimit"] == 55.5
    assert stage["methodSettings"]["*/*"]["metricsEnabled"] is True
    assert stage["methodSettings"]["*/*"]["cacheTtlInSeconds"] == 60
    assert _stage(client, api_id, "s1")["methodSettings"] == stage["methodSettings"]


def test_remove_wildcard_method_settings(client):
    # COMMON::test_update_stage_remove_wildcard
    api_id, _ = api_with_stage(client, "s1")
    expect_error(client.update_stage, "BadRequestException", 400,
                 "Cannot remove method setting */* because there is no method setting for this method ",
                 restApiId=api_id, stageName="s1", patchOperations=[op("remove", "/*/*")])
    _update(client, api_id, op("replace", "/*/*/caching/enabled", "true"), name="s1")
    assert _update(client, api_id, op("remove", "/*/*"), name="s1")["methodSettings"] == {}
    assert _stage(client, api_id, "s1")["methodSettings"] == {}


@pytest.mark.parametrize("path", ["/documentation_version", "/tags/tag1", "/canarySettings", "/stageName",
                                  "/createdDate", "/nosuch"])
def test_update_stage_invalid_path_lists_the_valid_ones(client, path):
    # COMMON::test_create_update_stages / error-update-doc-version, error-update-tags
    api_id, _ = api_with_stage(client, "s1")
    before = _stage(client, api_id, "s1")
    expect_error(client.update_stage, "BadRequestException", 400, stage_paths_error(path),
                 restApiId=api_id, stageName="s1", patchOperations=[op("replace", path, "123")])
    assert _stage(client, api_id, "s1") == before


def test_an_invalid_operation_rejects_the_whole_update(client):
    api_id, _ = api_with_stage(client, "s1")
    before = _stage(client, api_id, "s1")
    err = client_error(client.update_stage, restApiId=api_id, stageName="s1",
                       patchOperations=[op("replace", "/description", "changed"), op("replace", "/tags/x", "y")])
    assert_client_error(err, "BadRequestException", 400)
    assert _stage(client, api_id, "s1") == before


def test_update_stage_deployment_id(client):
    api_id, d1 = api_with_stage(client, "prod")
    d2 = client.create_deployment(restApiId=api_id)["id"]
    assert _update(client, api_id, op("replace", "/deploymentId", d2))["deploymentId"] == d2
    err = client_error(client.update_stage, restApiId=api_id, stageName="prod",
                       patchOperations=[op("replace", "/deploymentId", "nosuch")])
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 404)
    assert _stage(client, api_id)["deploymentId"] == d2


def test_update_stage_cache_cluster(client):
    api_id, _ = api_with_stage(client, "prod")
    stage = body(_update(client, api_id, op("replace", "/cacheClusterEnabled", "true"),
                         op("replace", "/cacheClusterSize", "1.6")))
    assert stage["cacheClusterEnabled"] is True
    assert stage["cacheClusterSize"] == "1.6"
    err = client_error(client.update_stage, restApiId=api_id, stageName="prod",
                       patchOperations=[op("replace", "/cacheClusterSize", "2.0")])
    assert_client_error(err, "BadRequestException", 400)
    assert _stage(client, api_id)["cacheClusterSize"] == "1.6"
    stage = body(_update(client, api_id, op("replace", "/cacheClusterEnabled", "false")))
    assert stage["cacheClusterEnabled"] is False


def test_access_log_settings(client):
    # API::test_stage_access_log_settings
    api_id, _ = api_with_stage(client, "dev")
    s = _update(client, api_id, op("add", "/accessLogSettings/destinationArn", LOG_ARN), name="dev")
    assert s["accessLogSettings"] == {"destinationArn": LOG_ARN}
    s = _update(client, api_id, op("replace", "/accessLogSettings/destinationArn", LOG_ARN + "a"), name="dev")
    assert s["accessLogSettings"] == {"destinationArn": LOG_ARN + "a"}
    fmt = "$context.requestId $context.identity.sourceIp"
    s = _update(client, api_id, op("add", "/accessLogSettings/format", fmt), name="dev")
    assert s["accessLogSettings"] == {"destinationArn": LOG_ARN + "a", "format": fmt}
    assert _stage(client, api_id, "dev")["accessLogSettings"] == {"destinationArn": LOG_ARN + "a", "format": fmt}
    s = _update(client, api_id, op("remove", "/accessLogSettings"), name="dev")
    assert "accessLogSettings" not in s


def test_access_log_settings_refusals(client):
    # API::test_stage_access_log_settings_validation
    api_id, _ = api_with_stage(client, "dev")
    bad_path = ("Invalid accessLogSettings path. Must be one of : "
                "[/accessLogSettings/destinationArn, /accessLogSettings/format]")
    for o, path in (("add", "/accessLogSettings/randomValue"), ("replace", "/accessLogSettings/randomValue"),
                    ("add", "/accessLogSettings/*"), ("replace", "/accessLogSettings/*"),
                    ("add", "/accessLogSettings"), ("replace", "/accessLogSettings")):
        expect_error(client.update_stage, "BadRequestException", 400, bad_path,
                     restApiId=api_id, stageName="dev", patchOperations=[op(o, path, "updated")])
    for path in ("accessLogSettings/randomValue", "accessLogSettings/*"):
        expect_error(client.update_stage, "BadRequestException", 400,
                     f"Cannot remove method setting {path} because there is no method setting for this method ",
                     restApiId=api_id, stageName="dev", patchOperations=[op("remove", "/" + path, "updated")])
    _update(client, api_id, op("add", "/accessLogSettings/destinationArn", LOG_ARN), name="dev")
    for path in ("destinationArn", "format"):
        expect_error(client.update_stage, "BadRequestException", 400, "Access Log value must not be empty",
                     restApiId=api_id, stageName="dev", patchOperations=[op("replace", f"/accessLogSettings/{path}", "")])
    expect_error(client.update_stage, "BadRequestException", 400,
                 "Cannot remove method setting accessLogSettings/destinationArn because there is no method setting "
                 "for this method ",
                 restApiId=api_id, stageName="dev", patchOperations=[op("remove", "/accessLogSettings/destinationArn")])
    assert _stage(client, api_id, "dev")["accessLogSettings"] == {"destinationArn": LOG_ARN}


# --- stage tags ---------------------------------------------------------------------------------------


def test_stage_tags(client, raw):
    api_id, _ = deployable_api(client)
    dep = client.create_deployment(restApiId=api_id)["id"]
    client.create_stage(restApiId=api_id, stageName="prod", deploymentId=dep, tags={"env": "prod"})
    arn = stage_arn(api_id, "prod")
    assert client.get_tags(resourceArn=arn)["tags"] == {"env": "prod"}
    assert status(client.tag_resource(resourceArn=arn, tags={"team": "edge"})) == 204
    assert _stage(client, api_id)["tags"] == {"env": "prod", "team": "edge"}
    assert client.get_stages(restApiId=api_id)["item"][0]["tags"] == {"env": "prod", "team": "edge"}
    assert status(client.untag_resource(resourceArn=arn, tagKeys=["env"])) == 204
    assert raw.request("GET", tags_path(arn)).json() == {"tags": {"team": "edge"}}
    # the REST API's own tags are another set
    assert client.get_rest_api(restApiId=api_id).get("tags", {}) == {}
    client.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert "tags" not in _stage(client, api_id) or _stage(client, api_id)["tags"] == {}


def test_tags_of_unknown_stage_are_not_found(client):
    api_id, _ = api_with_stage(client, "prod")
    arn = stage_arn(api_id, "nosuch")
    expect_error(client.get_tags, "NotFoundException", 404, STAGE_NF, resourceArn=arn)
    expect_error(client.tag_resource, "NotFoundException", 404, STAGE_NF, resourceArn=arn, tags={"a": "b"})
    client.delete_stage(restApiId=api_id, stageName="prod")
    expect_error(client.tag_resource, "NotFoundException", 404, STAGE_NF, resourceArn=stage_arn(api_id, "prod"),
                 tags={"a": "b"})


def test_recreated_stage_starts_without_the_old_tags(client):
    api_id, dep = api_with_stage(client, "prod")
    client.tag_resource(resourceArn=stage_arn(api_id, "prod"), tags={"old": "1"})
    client.delete_stage(restApiId=api_id, stageName="prod")
    client.create_stage(restApiId=api_id, stageName="prod", deploymentId=dep)
    assert client.get_tags(resourceArn=stage_arn(api_id, "prod")).get("tags", {}) == {}


# --- stage quota ------------------------------------------------------------------------------------


def test_stage_quota_is_a_flag(server_factory):
    srv = server_factory(extra_args=("--max-stages-per-api", "2"))
    c = make_boto_client(srv.url, "us-east-1", "123456789012")
    api_id, _ = deployable_api(c)
    dep = c.create_deployment(restApiId=api_id, stageName="one")["id"]
    c.create_stage(restApiId=api_id, stageName="two", deploymentId=dep)
    err = client_error(c.create_stage, restApiId=api_id, stageName="three", deploymentId=dep)
    assert_client_error(err, "LimitExceededException", 429)
    err = client_error(c.create_deployment, restApiId=api_id, stageName="three")
    assert_client_error(err, "LimitExceededException", 429)
    assert sorted(s["stageName"] for s in c.get_stages(restApiId=api_id)["item"]) == ["one", "two"]
    # moving an existing stage is no new stage
    c.create_deployment(restApiId=api_id, stageName="two")
    # another API has its own count; deleting a stage frees a slot
    other, _ = deployable_api(c, "other")
    c.create_deployment(restApiId=other, stageName="a")
    c.create_deployment(restApiId=other, stageName="b")
    c.delete_stage(restApiId=api_id, stageName="one")
    c.create_stage(restApiId=api_id, stageName="three", deploymentId=dep)
    with pytest.raises(c.exceptions.LimitExceededException):
        c.create_stage(restApiId=api_id, stageName="four", deploymentId=dep)


def test_default_stage_quota_is_10(server_factory):
    srv = server_factory()
    c = make_boto_client(srv.url, "us-east-1", "123456789012")
    api_id, _ = deployable_api(c)
    dep = c.create_deployment(restApiId=api_id)["id"]
    for i in range(10):
        c.create_stage(restApiId=api_id, stageName=f"s{i}", deploymentId=dep)
    with pytest.raises(c.exceptions.LimitExceededException) as ei:
        c.create_stage(restApiId=api_id, stageName="s10", deploymentId=dep)
    assert_client_error(ei.value, "LimitExceededException", 429)
    assert len(c.get_stages(restApiId=api_id)["item"]) == 10


# --- per account and region ---------------------------------------------------------------------------


def test_every_child_of_an_api_is_per_account_and_region(client, make_client):
    api_id, dep = api_with_stage(client, "prod")
    root = client.get_rest_api(restApiId=api_id)["rootResourceId"]
    for other in (make_client(key=new_account()), make_client(region="eu-west-1")):
        calls = [
            lambda: other.get_resources(restApiId=api_id),
            lambda: other.get_resource(restApiId=api_id, resourceId=root),
            lambda: other.create_resource(restApiId=api_id, parentId=root, pathPart="x"),
            lambda: other.get_method(restApiId=api_id, resourceId=root, httpMethod="GET"),
            lambda: other.put_method(restApiId=api_id, resourceId=root, httpMethod="POST", authorizationType="NONE"),
            lambda: other.get_integration(restApiId=api_id, resourceId=root, httpMethod="GET"),
            lambda: other.get_deployments(restApiId=api_id),
            lambda: other.get_deployment(restApiId=api_id, deploymentId=dep),
            lambda: other.create_deployment(restApiId=api_id),
            lambda: other.get_stages(restApiId=api_id),
            lambda: other.get_stage(restApiId=api_id, stageName="prod"),
            lambda: other.update_stage(restApiId=api_id, stageName="prod",
                                       patchOperations=[op("replace", "/description", "hijacked")]),
            lambda: other.delete_stage(restApiId=api_id, stageName="prod"),
        ]
        for call in calls:
            with pytest.raises(other.exceptions.NotFoundException):
                call()
    stage = _stage(client, api_id)
    assert "description" not in stage and stage["deploymentId"] == dep
    assert len(client.get_resources(restApiId=api_id)["items"]) == 1
    assert len(client.get_deployments(restApiId=api_id)["items"]) == 1


@pytest.mark.parametrize("name", ["prod", "my_stage", "v2-beta", "A1", "s" * 128])
def test_valid_stage_names(client, name):
    api_id, _ = deployable_api(client)
    dep = client.create_deployment(restApiId=api_id)["id"]
    assert client.create_stage(restApiId=api_id, stageName=name, deploymentId=dep)["stageName"] == name
    assert client.get_stage(restApiId=api_id, stageName=name)["stageName"] == name
    assert client.get_tags(resourceArn=stage_arn(api_id, name)).get("tags", {}) == {}


@pytest.mark.parametrize("name", ["has space", "a.b", "a/b", "ünï", "s" * 129, ""])
def test_invalid_stage_names_are_refused(client, raw, name):
    api_id, _ = deployable_api(client)
    dep = client.create_deployment(restApiId=api_id)["id"]
    resp = raw.request("POST", f"/restapis/{api_id}/stages", json_body={"stageName": name, "deploymentId": dep})
    assert_aws_error(resp, "BadRequestException", 400)
    if name:  # what CreateDeployment does with stageName "" is not recorded
        resp = raw.request("POST", f"/restapis/{api_id}/deployments", json_body={"stageName": name})
        assert_aws_error(resp, "BadRequestException", 400)
    assert client.get_stages(restApiId=api_id)["item"] == []


def test_stage_cannot_point_at_a_deployment_of_another_api(client):
    a, _ = api_with_stage(client, "prod", name="a")
    b, _ = deployable_api(client, "b")
    other = client.create_deployment(restApiId=b)["id"]
    before = _stage(client, a)
    err = client_error(client.update_stage, restApiId=a, stageName="prod",
                       patchOperations=[op("replace", "/deploymentId", other)])
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 404)
    assert _stage(client, a) == before
