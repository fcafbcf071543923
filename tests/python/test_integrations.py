"""Integrations and integration responses (issue 13). AWS's answers as recorded in LocalStack's
test_apigateway_integrations.py.snapshot.json and test_apigateway_api.py.snapshot.json."""

import pytest

from certgate_helpers import assert_aws_error, assert_client_error, client_error
from restapi_helpers import (
    INTEGRATION_NF,
    METHOD_NF,
    RESOURCE_NF,
    STATUS_NF,
    body,
    expect_error,
    http_method_integration,
    mock_method,
    new_api,
    op,
    status,
)

LAMBDA_URI = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
              "arn:aws:lambda:us-east-1:123456789012:function:MyLambda/invocations")


def _api_with_method(client, http_method="GET", path_part=None):
    api_id, root = new_api(client)
    rid = root
    if path_part:
        rid = client.create_resource(restApiId=api_id, parentId=root, pathPart=path_part)["id"]
    client.put_method(restApiId=api_id, resourceId=rid, httpMethod=http_method, authorizationType="NONE")
    return api_id, rid


def _put(client, api_id, rid, http_method="GET", **kwargs):
    return client.put_integration(restApiId=api_id, resourceId=rid, httpMethod=http_method, **kwargs)


@pytest.mark.parametrize("kind", ["HTTP", "HTTP_PROXY"])
def test_http_integration_shape_and_defaults(client, kind):
    # test_put_integration_validation / http-method-HTTP, http-method-HTTP_PROXY
    api_id, rid = _api_with_method(client)
    resp = _put(client, api_id, rid, type=kind, uri="http://example.com", integrationHttpMethod="POST")
    assert status(resp) == 201
    expected = {
        "cacheKeyParameters": [],
        "cacheNamespace": rid,  # AWS defaults the namespace to the resource id
        "connectionType": "INTERNET",
        "httpMethod": "POST",
        "passthroughBehavior": "WHEN_NO_MATCH",
        "timeoutInMillis": 29000,
        "type": kind,
        "uri": "http://example.com",
    }
    assert body(resp) == expected
    got = client.get_integration(restApiId=api_id, resourceId=rid, httpMethod="GET")
    assert status(got) == 200 and body(got) == expected
    assert client.get_method(restApiId=api_id, resourceId=rid, httpMethod="GET")["methodIntegration"] == expected


def test_mock_integration_needs_no_http_method_and_drops_the_uri(client):
    # test_put_integration_validation / not-required-integration-method-MOCK
    api_id, rid = _api_with_method(client)
    resp = _put(client, api_id, rid, type="MOCK", uri="http://example.com")
    assert body(resp) == {
        "cacheKeyParameters": [],
        "cacheNamespace": rid,
        "passthroughBehavior": "WHEN_NO_MATCH",
        "timeoutInMillis": 29000,
        "type": "MOCK",
    }


def test_mock_with_request_templates_and_parameters(client):
    # test_integration_mock_with_path_param / integration
    api_id, root = new_api(client)
    rid = client.create_resource(restApiId=api_id, parentId=root, pathPart="{testPath}")["id"]
    client.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType="NONE",
                      requestParameters={"method.request.path.testPath": True})
    resp = _put(client, api_id, rid, type="MOCK",
                requestParameters={"integration.request.path.integrationPath": "method.request.path.testPath"},
                requestTemplates={"application/json": "{statusCode: 200}"})
    assert resp["requestParameters"] == {"integration.request.path.integrationPath": "method.request.path.testPath"}
    assert resp["requestTemplates"] == {"application/json": "{statusCode: 200}"}


def test_aws_and_aws_proxy_integrations_are_stored(client):
    # test_put_integration_validation / aws-integration-AWS, aws-integration-type-AWS_PROXY
    api_id, rid = _api_with_method(client)
    role = "arn:aws:iam::123456789012:role/service-role/testfunction-role-oe783psq"
    aws = _put(client, api_id, rid, type="AWS", integrationHttpMethod="POST",
               uri="arn:aws:apigateway:us-east-1:s3:path/b/k", credentials=role)
    assert body(aws) == {
        "cacheKeyParameters": [], "cacheNamespace": rid, "credentials": role, "httpMethod": "POST",
        "passthroughBehavior": "WHEN_NO_MATCH", "timeoutInMillis": 29000, "type": "AWS",
        "uri": "arn:aws:apigateway:us-east-1:s3:path/b/k",
    }
    proxy = _put(client, api_id, rid, type="AWS_PROXY", integrationHttpMethod="POST", uri=LAMBDA_URI)
    assert body(proxy) == {
        "cacheKeyParameters": [], "cacheNamespace": rid, "httpMethod": "POST",
        "passthroughBehavior": "WHEN_NO_MATCH", "timeoutInMillis": 29000, "type": "AWS_PROXY", "uri": LAMBDA_URI,
    }
    # putting again overwrites: the AWS_PROXY one is what is stored now
    assert body(client.get_integration(restApiId=api_id, resourceId=rid, httpMethod="GET")) == body(proxy)


@pytest.mark.parametrize("kind", ["HTTP", "HTTP_PROXY", "AWS"])
def test_integration_http_method_is_required(client, kind):
    # test_put_integration_validation / required-integration-method-*
    api_id, rid = _api_with_method(client)
    expect_error(client.put_integration, "BadRequestException", 400, "Enumeration value for HttpMethod must be non-empty",
                 restApiId=api_id, resourceId=rid, httpMethod="GET", type=kind, uri="http://example.com")
    expect_error(client.get_integration, "NotFoundException", 404, INTEGRATION_NF,
                 restApiId=api_id, resourceId=rid, httpMethod="GET")


@pytest.mark.parametrize("kind", ["HTTP", "HTTP_PROXY"])
@pytest.mark.parametrize("uri", ["non-valid-http", "ftp://example.com/x", "example.com", "http//example.com"])
def test_http_uri_must_be_http_or_https(client, kind, uri):
    # test_put_integration_validation / invalid-uri-HTTP, invalid-uri-HTTP_PROXY
    api_id, rid = _api_with_method(client)
    expect_error(client.put_integration, "BadRequestException", 400, "Invalid HTTP endpoint specified for URI",
                 restApiId=api_id, resourceId=rid, httpMethod="GET", type=kind, uri=uri, integrationHttpMethod="POST")
    expect_error(client.get_integration, "NotFoundException", 404, INTEGRATION_NF,
                 restApiId=api_id, resourceId=rid, httpMethod="GET")


def test_https_uri_with_path_parameters_is_accepted(client):
    api_id, rid = _api_with_method(client, path_part="{proxy+}")
    resp = _put(client, api_id, rid, type="HTTP_PROXY", integrationHttpMethod="ANY",
                uri="https://backend.example.com:8443/api/{proxy}")
    assert resp["uri"] == "https://backend.example.com:8443/api/{proxy}"
    assert resp["httpMethod"] == "ANY"


def test_http_integration_without_uri_is_refused(client):
    api_id, rid = _api_with_method(client)
    err = client_error(client.put_integration, restApiId=api_id, resourceId=rid, httpMethod="GET", type="HTTP",
                       integrationHttpMethod="GET")
    assert_client_error(err, "BadRequestException", 400)


def test_aws_uri_must_be_an_arn_with_path_or_action(client):
    api_id, rid = _api_with_method(client)
    expect_error(client.put_integration, "BadRequestException", 400, "Invalid ARN specified in the request",
                 restApiId=api_id, resourceId=rid, httpMethod="GET", type="AWS", uri="non-valid-arn",
                 integrationHttpMethod="POST")
    expect_error(client.put_integration, "BadRequestException", 400, "AWS ARN for integration must contain path or action",
                 restApiId=api_id, resourceId=rid, httpMethod="GET", type="AWS",
                 uri="arn:aws:iam::0000000000:role/service-role/asdf", integrationHttpMethod="POST")
    expect_error(client.put_integration, "BadRequestException", 400,
                 "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.",
                 restApiId=api_id, resourceId=rid, httpMethod="GET", type="AWS_PROXY",
                 uri="arn:aws:apigateway:us-east-1:s3:path/b/k", integrationHttpMethod="POST")


def test_unknown_integration_type_is_a_validation_exception(client):
    # test_put_integration_wrong_type
    api_id, rid = _api_with_method(client)
    expect_error(client.put_integration, "ValidationException", 400,
                 "1 validation error detected: Value 'HTTPS_PROXY' at 'putIntegrationInput.type' failed to satisfy "
                 "constraint: Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]",
                 restApiId=api_id, resourceId=rid, httpMethod="GET", type="HTTPS_PROXY",
                 uri="http://example.com", integrationHttpMethod="GET")


@pytest.mark.parametrize("timeout", [50, 1000, 29000])
def test_timeout_in_range_is_kept(client, timeout):
    api_id, rid = _api_with_method(client)
    resp = _put(client, api_id, rid, type="HTTP", uri="https://example.com", integrationHttpMethod="GET",
                timeoutInMillis=timeout)
    assert resp["timeoutInMillis"] == timeout
    assert client.get_integration(restApiId=api_id, resourceId=rid, httpMethod="GET")["timeoutInMillis"] == timeout


@pytest.mark.parametrize("timeout", [0, 49, 29001, 300000])
def test_timeout_out_of_range_is_refused(client, timeout):
    api_id, rid = _api_with_method(client)
    expect_error(client.put_integration, "BadRequestException", 400, "Timeout should be between 50 ms and 29000 ms",
                 restApiId=api_id, resourceId=rid, httpMethod="GET", type="HTTP", uri="https://example.com",
                 integrationHttpMethod="GET", timeoutInMillis=timeout)
    expect_error(client.get_integration, "NotFoundException", 404, INTEGRATION_NF,
                 restApiId=api_id, resourceId=rid, httpMethod="GET")


def test_tls_config_is_kept(client):
    api_id, rid = _api_with_method(client)
    resp = _put(client, api_id, rid, type="HTTP", uri="https://self-signed.example.com", integrationHttpMethod="GET",
                tlsConfig={"insecureSkipVerification": True})
    assert resp["tlsConfig"] == {"insecureSkipVerification": True}
    assert client.get_integration(restApiId=api_id, resourceId=rid, httpMethod="GET")["tlsConfig"] == {
        "insecureSkipVerification": True}
    updated = client.update_integration(restApiId=api_id, resourceId=rid, httpMethod="GET",
                                        patchOperations=[op("replace", "/tlsConfig/insecureSkipVerification", "false")])
    assert updated["tlsConfig"] == {"insecureSkipVerification": False}


def test_request_parameters_mapped_from_declared_method_parameters(client):
    api_id, rid = _api_with_method(client, "ANY", "{proxy+}")
    client.update_method(restApiId=api_id, resourceId=rid, httpMethod="ANY", patchOperations=[
        op("add", "/requestParameters/method.request.path.proxy", "true"),
        op("add", "/requestParameters/method.request.header.X-Tenant", "false"),
    ])
    mapping = {
        "integration.request.path.proxy": "method.request.path.proxy",
        "integration.request.header.X-Tenant": "method.request.header.X-Tenant",
        "integration.request.header.X-Static": "'static'",
    }
    resp = _put(client, api_id, rid, http_method="ANY", type="HTTP_PROXY", integrationHttpMethod="ANY",
                uri="https://backend.example.com/{proxy}", requestParameters=mapping)
    assert resp["requestParameters"] == mapping


@pytest.mark.parametrize("source", ["method.request.path.other", "method.request.querystring.q",
                                    "method.request.header.X-Undeclared"])
def test_request_parameters_from_undeclared_method_parameters_are_refused(client, source):
    api_id, rid = _api_with_method(client, "ANY", "{proxy+}")
    client.update_method(restApiId=api_id, resourceId=rid, httpMethod="ANY",
                         patchOperations=[op("add", "/requestParameters/method.request.path.proxy", "true")])
    expect_error(client.put_integration, "BadRequestException", 400,
                 "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
                 f"[Invalid mapping expression parameter specified: {source}]",
                 restApiId=api_id, resourceId=rid, httpMethod="ANY", type="HTTP_PROXY", integrationHttpMethod="ANY",
                 uri="https://backend.example.com/{proxy}", requestParameters={"integration.request.path.proxy": source})
    expect_error(client.get_integration, "NotFoundException", 404, INTEGRATION_NF,
                 restApiId=api_id, resourceId=rid, httpMethod="ANY")


def test_integration_on_missing_method_or_resource(client):
    # test_put_integration_response_validation / put-integration-wrong-method, put-integration-wrong-resource;
    # test_get_integration_non_existent
    api_id, root = new_api(client)
    client.put_method(restApiId=api_id, resourceId=root, httpMethod="POST", authorizationType="NONE")
    expect_error(client.put_integration, "NotFoundException", 404, METHOD_NF,
                 restApiId=api_id, resourceId=root, httpMethod="GET", integrationHttpMethod="GET", type="MOCK")
    expect_error(client.put_integration, "NotFoundException", 404, RESOURCE_NF,
                 restApiId=api_id, resourceId="badresource", httpMethod="GET", integrationHttpMethod="GET", type="MOCK")
    expect_error(client.get_integration, "NotFoundException", 404, RESOURCE_NF,
                 restApiId="zzzzzzzzzz", resourceId=root, httpMethod="GET")
    expect_error(client.get_integration, "NotFoundException", 404, RESOURCE_NF,
                 restApiId=api_id, resourceId="nosuch", httpMethod="GET")
    expect_error(client.get_integration, "NotFoundException", 404, METHOD_NF,
                 restApiId=api_id, resourceId=root, httpMethod="GET")
    expect_error(client.get_integration, "NotFoundException", 404, INTEGRATION_NF,
                 restApiId=api_id, resourceId=root, httpMethod="POST")


def test_update_integration(client):
    api_id, rid = _api_with_method(client)
    http_method_integration(client, api_id, rid, "PUT", "https://old.example.com/")
    resp = client.update_integration(restApiId=api_id, resourceId=rid, httpMethod="PUT", patchOperations=[
        op("replace", "/uri", "https://new.example.com/"),
        op("replace", "/timeoutInMillis", "5000"),
    ])
    assert status(resp) == 200
    assert resp["uri"] == "https://new.example.com/"
    assert resp["timeoutInMillis"] == 5000
    assert resp["connectionType"] == "INTERNET" and resp["type"] == "HTTP"
    assert body(client.get_integration(restApiId=api_id, resourceId=rid, httpMethod="PUT")) == body(resp)


def test_update_integration_refusals_change_nothing(client):
    api_id, rid = _api_with_method(client)
    before = body(http_method_integration(client, api_id, rid, "PUT", "https://old.example.com/"))
    for patch in (
        [op("replace", "/timeoutInMillis", "29001")],
        [op("replace", "/timeoutInMillis", "49")],
        [op("replace", "/uri", "not-a-url")],
        [op("replace", "/uri", "https://new.example.com/"), op("replace", "/nosuchpath", "x")],
    ):
        err = client_error(client.update_integration, restApiId=api_id, resourceId=rid, httpMethod="PUT",
                           patchOperations=patch)
        assert_client_error(err, "BadRequestException", 400)
    assert body(client.get_integration(restApiId=api_id, resourceId=rid, httpMethod="PUT")) == before
    expect_error(client.update_integration, "NotFoundException", 404, INTEGRATION_NF, restApiId=api_id,
                 resourceId=rid, httpMethod="GET", patchOperations=[op("replace", "/uri", "https://x.example.com/")])


def test_delete_integration(client, raw):
    api_id, rid = _api_with_method(client)
    mock_method_integration = _put(client, api_id, rid, type="MOCK")
    assert mock_method_integration["type"] == "MOCK"
    resp = raw.request("DELETE", f"/restapis/{api_id}/resources/{rid}/methods/GET/integration")
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    expect_error(client.get_integration, "NotFoundException", 404, INTEGRATION_NF,
                 restApiId=api_id, resourceId=rid, httpMethod="GET")
    assert "methodIntegration" not in client.get_method(restApiId=api_id, resourceId=rid, httpMethod="GET")
    expect_error(client.delete_integration, "NotFoundException", 404, INTEGRATION_NF,
                 restApiId=api_id, resourceId=rid, httpMethod="GET")


# --- integration responses -------------------------------------------------------------------------


def test_integration_response_lifecycle(client, raw):
    # test_lifecycle_integration_response
    api_id, root = new_api(client)
    mock_method(client, api_id, root)
    common = {"restApiId": api_id, "resourceId": root, "httpMethod": "GET", "statusCode": "200"}
    put = client.put_integration_response(selectionPattern="", responseTemplates={"application/json": '"created"'}, **common)
    assert status(put) == 201
    assert body(put) == {"responseTemplates": {"application/json": '"created"'}, "selectionPattern": "", "statusCode": "200"}
    assert body(client.get_integration_response(**common)) == body(put)
    updated = client.update_integration_response(patchOperations=[op("replace", "/selectionPattern", "updated-pattern")],
                                                 **common)
    assert status(updated) == 200
    assert updated["selectionPattern"] == "updated-pattern"
    over = client.put_integration_response(selectionPattern="overwrite-pattern",
                                           responseTemplates={"application/json": "overwrite"}, **common)
    assert status(over) == 201
    expected = {"responseTemplates": {"application/json": "overwrite"}, "selectionPattern": "overwrite-pattern",
                "statusCode": "200"}
    assert body(over) == expected
    method = client.get_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    assert method["methodIntegration"]["integrationResponses"] == {"200": expected}
    assert client.get_integration(restApiId=api_id, resourceId=root, httpMethod="GET")["integrationResponses"] == {
        "200": expected}
    resp = raw.request("DELETE", f"/restapis/{api_id}/resources/{root}/methods/GET/integration/responses/200")
    assert resp.status_code == 204, resp.text
    expect_error(client.get_integration_response, "NotFoundException", 404, STATUS_NF, **common)
    assert "integrationResponses" not in client.get_integration(restApiId=api_id, resourceId=root, httpMethod="GET")


def test_integration_response_members(client):
    # INTEG::test_put_integration_responses; API::test_put_integration_response_templates
    api_id, root = new_api(client)
    mock_method(client, api_id, root)
    common = {"restApiId": api_id, "resourceId": root, "httpMethod": "GET"}
    r = client.put_integration_response(statusCode="200", selectionPattern="2\\d{2}", responseTemplates={}, **common)
    assert body(r) == {"responseTemplates": {}, "selectionPattern": "2\\d{2}", "statusCode": "200"}
    r = client.put_integration_response(statusCode="201", selectionPattern="", **common)
    assert body(r) == {"selectionPattern": "", "statusCode": "201"}
    r = client.put_integration_response(statusCode="202", contentHandling="CONVERT_TO_BINARY", **common)
    assert body(r) == {"contentHandling": "CONVERT_TO_BINARY", "statusCode": "202"}
    assert set(client.get_integration(**common)["integrationResponses"]) == {"200", "201", "202"}


def test_integration_response_refusals(client):
    # test_integration_response_wrong_api / _wrong_resource / _wrong_method / _invalid_integration /
    # _wrong_status_code / _invalid_statuscode; test_delete_integration_response_errors
    api_id, root = new_api(client)
    client.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    expect_error(client.put_integration_response, "NotFoundException", 404, RESOURCE_NF,
                 restApiId="wrong-api", resourceId="dummy-value", httpMethod="GET", statusCode="200")
    expect_error(client.get_integration_response, "NotFoundException", 404, RESOURCE_NF,
                 restApiId=api_id, resourceId="wrong-resource", httpMethod="GET", statusCode="200")
    expect_error(client.put_integration_response, "NotFoundException", 404, METHOD_NF,
                 restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="200")
    expect_error(client.get_integration_response, "NotFoundException", 404, INTEGRATION_NF,
                 restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    client.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    client.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    expect_error(client.get_integration_response, "NotFoundException", 404, STATUS_NF,
                 restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="201")
    expect_error(client.delete_integration_response, "NotFoundException", 404, STATUS_NF,
                 restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="201")
    expect_error(client.delete_integration_response, "NotFoundException", 404, INTEGRATION_NF,
                 restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="200")
    expect_error(client.put_integration_response, "ValidationException", 400,
                 "1 validation error detected: Value 'wrong' at 'statusCode' failed to satisfy constraint: "
                 "Member must satisfy regular expression pattern: [1-5]\\d\\d",
                 restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="wrong",
                 responseTemplates={"application/json": '"created"'}, selectionPattern="")


def test_integration_request_parameter_values_must_be_strings(client, raw):
    # test_put_integration_request_parameter_bool_type / put-integration-request-param-bool-value
    api_id, rid = _api_with_method(client)
    resp = raw.request("PUT", f"/restapis/{api_id}/resources/{rid}/methods/GET/integration", json_body={
        "type": "HTTP_PROXY", "requestParameters": {"integration.request.path.testPath": True}})
    assert resp.status_code == 400, resp.text
    assert resp.headers.get("x-amzn-ErrorType", "").startswith("SerializationException"), resp.headers
    expect_error(client.get_integration, "NotFoundException", 404, INTEGRATION_NF,
                 restApiId=api_id, resourceId=rid, httpMethod="GET")


def test_update_integration_request_parameters_are_checked_too(client):
    api_id, rid = _api_with_method(client, "ANY", "{proxy+}")
    client.update_method(restApiId=api_id, resourceId=rid, httpMethod="ANY",
                         patchOperations=[op("add", "/requestParameters/method.request.path.proxy", "true")])
    _put(client, api_id, rid, http_method="ANY", type="HTTP_PROXY", integrationHttpMethod="ANY",
         uri="https://backend.example.com/{proxy}")
    ok = client.update_integration(restApiId=api_id, resourceId=rid, httpMethod="ANY", patchOperations=[
        op("add", "/requestParameters/integration.request.path.proxy", "method.request.path.proxy")])
    assert ok["requestParameters"] == {"integration.request.path.proxy": "method.request.path.proxy"}
    expect_error(client.update_integration, "BadRequestException", 400,
                 "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
                 "[Invalid mapping expression parameter specified: method.request.header.Nope]",
                 restApiId=api_id, resourceId=rid, httpMethod="ANY", patchOperations=[
                     op("add", "/requestParameters/integration.request.header.X", "method.request.header.Nope")])
    assert client.get_integration(restApiId=api_id, resourceId=rid, httpMethod="ANY")["requestParameters"] == {
        "integration.request.path.proxy": "method.request.path.proxy"}


def test_integration_response_template_null_is_refused_and_empty_kept(client, raw):
    # AWS (test_put_integration_response_templates / -template-none, -template-empty) stores a
    # null or empty template as null. certgate's templates are strings, so it refuses a null with a
    # 400 and keeps an empty one as it is (README lists this among certgate's choices).
    api_id, root = new_api(client)
    mock_method(client, api_id, root)
    path = f"/restapis/{api_id}/resources/{root}/methods/GET/integration/responses/200"
    resp = raw.request("PUT", path, json_body={"selectionPattern": "", "responseTemplates": {"application/json": None}})
    assert_aws_error(resp, "BadRequestException", 400)
    resp = raw.request("PUT", path, json_body={"selectionPattern": "", "responseTemplates": {"application/json": ""}})
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"responseTemplates": {"application/json": ""}, "selectionPattern": "", "statusCode": "200"}
    resp = raw.request("PUT", path, json_body={"selectionPattern": ""})
    assert resp.status_code == 201 and resp.json() == {"selectionPattern": "", "statusCode": "200"}


def test_integration_response_template_key_must_be_a_content_type(client, raw):
    # test_integration_response_invalid_responsetemplates / -1 (a number as template), -2 (a number as key)
    api_id, root = new_api(client)
    mock_method(client, api_id, root)
    path = f"/restapis/{api_id}/resources/{root}/methods/GET/integration/responses/200"
    resp = raw.request("PUT", path, json_body={"selectionPattern": "", "responseTemplates": {"123": '{"statusCode": 200}'}})
    assert_aws_error(resp, "BadRequestException", 400,
                     "Validation Result: warnings : [], errors : [Invalid content type specified: 123]")
    resp = raw.request("PUT", path, json_body={"selectionPattern": "", "responseTemplates": {"application/json": 123}})
    assert resp.status_code == 400, resp.text
    assert resp.headers.get("x-amzn-ErrorType", "").startswith("SerializationException"), resp.headers
    expect_error(client.get_integration_response, "NotFoundException", 404, STATUS_NF,
                 restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
