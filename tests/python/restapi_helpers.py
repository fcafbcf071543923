"""Helpers for the REST API family (issue 13): REST APIs, resources, methods, integrations,
deployments and stages.

The exact texts below are AWS's answers as recorded in LocalStack's snapshot files
(tests/aws/services/apigateway/*.snapshot.json, recorded against AWS); where AWS's answer is not
recorded, the text is certgate's documented choice (README).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from certgate_helpers import DEFAULT_REGION, assert_client_error

REST_API_ID_RE = re.compile(r"^[a-z0-9]{10}$")
# AWS's child resources and deployments have 6-character ids (aws-cli examples `024ace`, `rbh1fj`);
# the root resource has a 10-character one like the API.
SHORT_ID_RE = re.compile(r"^[a-z0-9]{6}$")
LOWER_ID_RE = re.compile(r"^[a-z0-9]+$")

RESOURCE_NF = "Invalid Resource identifier specified"
METHOD_NF = "Invalid Method identifier specified"
INTEGRATION_NF = "Invalid Integration identifier specified"
STATUS_NF = "Invalid Response status code specified"
# certgate's documented choices (no recording of AWS's exists)
STAGE_NF = "Invalid Stage identifier specified"
DEPLOYMENT_NF = "Invalid Deployment identifier specified"

NO_METHODS = "The REST API doesn't contain any methods"
NO_INTEGRATION = "No integration defined for method"
ACTIVE_STAGES = "Active stages pointing to this deployment must be moved or deleted"
STAGE_EXISTS = "Stage already exists"
BAD_HTTP_METHOD = "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"
HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"]

# UpdateStage's list of valid paths, verbatim from AWS (COMMON::test_create_update_stages), its
# missing separators after burstLimit and rateLimit included.
STAGE_PATHS = (
    "[/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, "
    "/accessLogSettings, /accessLogSettings/destinationArn, /accessLogSettings/format, "
    "/{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, "
    "/{resourcePath}/{httpMethod}/logging/loglevel, "
    "/{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit"
    "/{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, "
    "/{resourcePath}/{httpMethod}/caching/dataEncrypted, "
    "/{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, "
    "/{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, "
    "/*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit "
    "/*/*/throttling/rateLimit /*/*/caching/ttlInSeconds, /*/*/caching/enabled, "
    "/*/*/caching/dataEncrypted, /*/*/caching/requireAuthorizationForCacheControl, "
    "/*/*/caching/unauthorizedCacheControlHeaderStrategy, /variables/{variable_name}, /tracingEnabled]"
)

# A new entry of a stage's methodSettings gets all of these (COMMON::test_update_stage_remove_wildcard
# / update-stage; aws-cli examples/apigateway/update-stage.rst).
METHOD_SETTING_DEFAULTS = {
    "cacheDataEncrypted": False,
    "cacheTtlInSeconds": 300,
    "cachingEnabled": False,
    "dataTraceEnabled": False,
    "metricsEnabled": False,
    "requireAuthorizationForCacheControl": True,
    "throttlingBurstLimit": 5000,
    "throttlingRateLimit": 10000.0,
    "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER",
}


def api_nf(account: str, api_id: str) -> str:
    return f"Invalid API identifier specified {account}:{api_id}"


def stage_paths_error(path: str) -> str:
    return f"Invalid method setting path: {path}. Must be one of: {STAGE_PATHS}"


def rest_api_arn(api_id: str, region: str = DEFAULT_REGION) -> str:
    return f"arn:aws:apigateway:{region}::/restapis/{api_id}"


def stage_arn(api_id: str, stage: str, region: str = DEFAULT_REGION) -> str:
    return f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}"


def tags_path(arn: str) -> str:
    return "/tags/" + quote(arn, safe="")


def body(resp: dict) -> dict:
    """A boto3 response without its ResponseMetadata."""
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def status(resp: dict) -> int:
    return resp["ResponseMetadata"]["HTTPStatusCode"]


def expect_error(fn, code: str, http_status: int, message: str | None = None, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as ei:
        fn(**kwargs)
    assert_client_error(ei.value, code, http_status, message)
    return ei.value


def op(o: str, path: str, value: str | None = None) -> dict:
    d = {"op": o, "path": path}
    if value is not None:
        d["value"] = value
    return d


def new_api(client, name: str = "payments-api", **kwargs) -> tuple[str, str]:
    """(rest api id, root resource id)"""
    api = client.create_rest_api(name=name, **kwargs)
    return api["id"], api["rootResourceId"]


def mock_method(client, api_id: str, resource_id: str, http_method: str = "GET") -> None:
    client.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=http_method, authorizationType="NONE")
    client.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=http_method,
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )


def http_method_integration(client, api_id: str, resource_id: str, http_method: str = "GET",
                            uri: str = "https://backend.example.com/") -> dict:
    client.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=http_method, authorizationType="NONE")
    return client.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=http_method,
        type="HTTP",
        integrationHttpMethod="GET",
        uri=uri,
    )


def deployable_api(client, name: str = "payments-api", **kwargs) -> tuple[str, str]:
    """A REST API with GET / on a MOCK integration, ready to deploy: (api id, root id)."""
    api_id, root = new_api(client, name, **kwargs)
    mock_method(client, api_id, root)
    return api_id, root


def api_with_stage(client, stage: str = "prod", name: str = "payments-api") -> tuple[str, str]:
    """A deployed REST API with one stage: (api id, deployment id)."""
    api_id, _ = deployable_api(client, name)
    dep = client.create_deployment(restApiId=api_id)["id"]
    client.create_stage(restApiId=api_id, stageName=stage, deploymentId=dep)
    return api_id, dep


def resources_by_path(client, api_id: str, **kwargs) -> dict:
    items = []
    for page in client.get_paginator("get_resources").paginate(restApiId=api_id, **kwargs):
        items.extend(page.get("items", []))
    return {r["path"]: r for r in items}


def count_rest_apis(client) -> int:
    n = 0
    for page in client.get_paginator("get_rest_apis").paginate(PaginationConfig={"PageSize": 500}):
        n += len(page.get("items", []))
    return n
