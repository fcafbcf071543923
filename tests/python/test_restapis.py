"""REST APIs (issue 13): CreateRestApi, GetRestApi, GetRestApis, UpdateRestApi, DeleteRestApi, their
tags and their per-account, per-region quotas. AWS's answers are those recorded in LocalStack's
test_apigateway_api.py.snapshot.json (test names in the comments)."""

import pytest

from certgate_helpers import (
    assert_aws_error,
    assert_client_error,
    client_error,
    make_boto_client,
    new_account,
)
from restapi_helpers import (
    LOWER_ID_RE,
    REST_API_ID_RE,
    api_nf,
    body,
    count_rest_apis,
    expect_error,
    op,
    rest_api_arn,
    status,
    tags_path,
)

DEFAULT_KEYS = {
    "apiKeySource",
    "createdDate",
    "disableExecuteApiEndpoint",
    "endpointConfiguration",
    "id",
    "name",
    "rootResourceId",
}


# --- CreateRestApi / GetRestApi -------------------------------------------------------------------


def test_create_with_name_only_returns_aws_defaults(client):
    # test_create_rest_api_with_optional_params / create-only-name
    resp = client.create_rest_api(name="payments-api")
    assert status(resp) == 201
    api = body(resp)
    assert set(api) == DEFAULT_KEYS
    assert api["name"] == "payments-api"
    assert api["apiKeySource"] == "HEADER"
    assert api["disableExecuteApiEndpoint"] is False
    assert api["endpointConfiguration"] == {"ipAddressType": "ipv4", "types": ["EDGE"]}
    assert REST_API_ID_RE.match(api["id"]), api["id"]
    assert LOWER_ID_RE.match(api["rootResourceId"]), api["rootResourceId"]
    assert api["rootResourceId"] != api["id"]


def test_get_rest_api_matches_create(client):
    created = body(client.create_rest_api(name="a", description="this is my api", version="v1"))
    got = client.get_rest_api(restApiId=created["id"])
    assert status(got) == 200
    assert body(got) == created
    assert created["description"] == "this is my api"
    assert created["version"] == "v1"


def test_raw_create_shape_and_epoch_seconds(raw):
    resp = raw.request("POST", "/restapis", json_body={"name": "wire"})
    assert resp.status_code == 201, resp.text
    assert resp.headers.get("x-amzn-RequestId")
    api = resp.json()
    assert set(api) == DEFAULT_KEYS
    # createdDate is epoch seconds on the wire, a JSON number
    assert isinstance(api["createdDate"], (int, float)) and not isinstance(api["createdDate"], bool)
    assert 1_600_000_000 < api["createdDate"] < 4_000_000_000
    got = raw.request("GET", f"/restapis/{api['id']}")
    assert got.status_code == 200
    assert got.json() == api


def test_ids_are_unique(client):
    ids = {client.create_rest_api(name=f"n{i}")["id"] for i in range(20)}
    assert len(ids) == 20


def test_root_resource_is_slash(client):
    api = client.create_rest_api(name="root")
    items = client.get_resources(restApiId=api["id"])["items"]
    assert items == [{"id": api["rootResourceId"], "path": "/"}]


@pytest.mark.parametrize(
    "config, expected",
    [
        ({"types": ["REGIONAL"]}, {"ipAddressType": "ipv4", "types": ["REGIONAL"]}),
        ({"types": ["PRIVATE"]}, {"ipAddressType": "dualstack", "types": ["PRIVATE"]}),
        ({"types": ["EDGE"]}, {"ipAddressType": "ipv4", "types": ["EDGE"]}),
        ({}, {"ipAddressType": "ipv4", "types": ["EDGE"]}),
        ({"types": ["EDGE"], "ipAddressType": "dualstack"}, {"ipAddressType": "dualstack", "types": ["EDGE"]}),
        ({"types": ["REGIONAL"], "ipAddressType": "dualstack"}, {"ipAddressType": "dualstack", "types": ["REGIONAL"]}),
    ],
    ids=["regional", "private", "edge", "empty", "edge-dualstack", "regional-dualstack"],
)
def test_endpoint_configuration_defaults(client, config, expected):
    # test_create_rest_api_verify_defaults, test_create_rest_api_with_endpoint_configuration
    api = client.create_rest_api(name="e", endpointConfiguration=config)
    assert api["endpointConfiguration"] == expected
    assert client.get_rest_api(restApiId=api["id"])["endpointConfiguration"] == expected


def test_optional_members_are_kept(client):
    api = client.create_rest_api(
        name="full",
        description="d",
        binaryMediaTypes=["image/png"],
        apiKeySource="AUTHORIZER",
        disableExecuteApiEndpoint=True,
        tags={"env": "prod"},
    )
    got = body(client.get_rest_api(restApiId=api["id"]))
    assert got["binaryMediaTypes"] == ["image/png"]
    assert got["apiKeySource"] == "AUTHORIZER"
    assert got["disableExecuteApiEndpoint"] is True
    assert got["tags"] == {"env": "prod"}
    assert got["description"] == "d"


def test_empty_binary_media_types_are_omitted(client):
    # test_create_rest_api_with_optional_params / create-with-empty-binary-media
    api = client.create_rest_api(name="b", binaryMediaTypes=[])
    assert "binaryMediaTypes" not in api
    assert "binaryMediaTypes" not in client.get_rest_api(restApiId=api["id"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"description": ""}, "Description cannot be an empty string"),
        ({"endpointConfiguration": {"types": []}}, "REGIONAL Configuration and EDGE Configuration cannot be both DISABLED."),
        ({"endpointConfiguration": {"types": ["EDGE", "REGIONAL"]}}, "Cannot create an api with multiple Endpoint Types."),
        (
            {"endpointConfiguration": {"types": ["PRIVATE"], "ipAddressType": "ipv4"}},
            "Only dualstack ipAddressType is supported for Private APIs.",
        ),
        ({"minimumCompressionSize": -1}, "Invalid minimum compression size, must be between 0 and 10485760"),
        ({"minimumCompressionSize": 10485761}, "Invalid minimum compression size, must be between 0 and 10485760"),
    ],
    ids=["empty-description", "no-types", "two-types", "private-ipv4", "compression-negative", "compression-too-big"],
)
def test_create_refusals_are_aws_bad_requests(client, kwargs, message):
    expect_error(client.create_rest_api, "BadRequestException", 400, message, name="x", **kwargs)
    assert count_rest_apis(client) == 0


def test_create_with_invalid_endpoint_type_is_validation_exception(client):
    # test_create_rest_api_with_endpoint_configuration / create-with-invalid-types
    expect_error(
        client.create_rest_api,
        "ValidationException",
        400,
        "1 validation error detected: Value '[wrong]' at 'createRestApiInput.endpointConfiguration.types' "
        "failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
        "[PRIVATE, EDGE, REGIONAL]]",
        name="x",
        endpointConfiguration={"types": ["wrong"]},
    )
    assert count_rest_apis(client) == 0


def test_create_with_invalid_ip_address_type_is_validation_exception(client):
    expect_error(
        client.create_rest_api,
        "ValidationException",
        400,
        "1 validation error detected: Value 'wrong' at 'createRestApiInput.endpointConfiguration.ipAddressType' "
        "failed to satisfy constraint: Member must satisfy enum value set: [ipv4, dualstack]",
        name="x",
        endpointConfiguration={"types": ["EDGE"], "ipAddressType": "wrong"},
    )


def test_create_without_name_is_refused_and_stores_nothing(raw, client):
    resp = raw.request("POST", "/restapis", json_body={"description": "no name"})
    assert resp.status_code == 400, resp.text
    assert_aws_error(resp, None, 400)
    assert count_rest_apis(client) == 0


# --- unknown ids --------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["get", "update", "delete", "get_resources"])
def test_unknown_rest_api_is_not_found_with_account_and_id(client, account, operation):
    client.create_rest_api(name="exists")
    call = {
        "get": lambda: client.get_rest_api(restApiId="api_id"),
        "update": lambda: client.update_rest_api(restApiId="api_id", patchOperations=[op("replace", "/name", "n")]),
        "delete": lambda: client.delete_rest_api(restApiId="api_id"),
        "get_resources": lambda: client.get_resources(restApiId="api_id"),
    }[operation]
    with pytest.raises(client.exceptions.NotFoundException) as ei:
        call()
    # test_update_rest_api_invalid_api_id: "Invalid API identifier specified 111111111111:api_id"
    if operation != "get_resources":
        assert_client_error(ei.value, "NotFoundException", 404, api_nf(account, "api_id"))
    else:
        assert_client_error(ei.value, "NotFoundException", 404)


def test_ids_are_case_sensitive(client, account):
    # test_get_api_case_insensitive
    api_id = client.create_rest_api(name="lower")["id"]
    while api_id.upper() == api_id:  # all digits: take another
        api_id = client.create_rest_api(name="lower")["id"]
    upper = api_id.upper()
    expect_error(client.get_rest_api, "NotFoundException", 404, api_nf(account, upper), restApiId=upper)


def test_not_found_wire_shape(raw, account):
    resp = raw.request("GET", "/restapis/zzzzzzzzzz")
    b = assert_aws_error(resp, "NotFoundException", 404, api_nf(account, "zzzzzzzzzz"))
    assert set(b) == {"message"}


# --- GetRestApis --------------------------------------------------------------------------------


def test_get_rest_apis_lists_the_accounts_apis(client):
    # test_list_and_delete_apis
    assert client.get_rest_apis().get("items", []) == []
    a = body(client.create_rest_api(name="one", description="this is my api"))
    b = body(client.create_rest_api(name="two", description="this is my api2"))
    listed = client.get_rest_apis()
    assert status(listed) == 200
    assert "position" not in listed
    assert sorted(listed["items"], key=lambda x: x["id"]) == sorted([a, b], key=lambda x: x["id"])


def test_get_rest_apis_pages_with_position_and_limit(client):
    ids = {client.create_rest_api(name=f"p{i}")["id"] for i in range(12)}
    seen = []
    kwargs = {"limit": 5}
    pages = 0
    while True:
        page = client.get_rest_apis(**kwargs)
        pages += 1
        assert len(page["items"]) <= 5
        seen.extend(i["id"] for i in page["items"])
        if "position" not in page:
            break
        kwargs["position"] = page["position"]
    assert pages == 3
    assert len(seen) == 12 and set(seen) == ids
    assert seen == sorted(seen), "keyset order (by id), like the certificates"


def test_get_rest_apis_default_page_is_25_and_paginator_walks_all(client):
    ids = {client.create_rest_api(name=f"d{i}")["id"] for i in range(27)}
    first = client.get_rest_apis()
    assert len(first["items"]) == 25 and first.get("position")
    walked = [i["id"] for p in client.get_paginator("get_rest_apis").paginate(PaginationConfig={"PageSize": 4})
              for i in p["items"]]
    assert len(walked) == 27 and set(walked) == ids


def test_get_rest_apis_limit_bounds(client, raw):
    client.create_rest_api(name="x")
    assert len(client.get_rest_apis(limit=500)["items"]) == 1
    assert_client_error(client_error(client.get_rest_apis, limit=501), "BadRequestException", 400)
    assert_aws_error(raw.request("GET", "/restapis", params={"limit": "abc"}), "BadRequestException", 400)
    assert_aws_error(raw.request("GET", "/restapis", params={"position": "!!garbage!!"}), "BadRequestException", 400)


def test_rest_apis_are_per_account_and_region(client, make_client):
    api_id = client.create_rest_api(name="mine")["id"]
    other_account = make_client(key=new_account())
    other_region = make_client(region="eu-west-1")
    for other in (other_account, other_region):
        assert other.get_rest_apis().get("items", []) == []
        with pytest.raises(other.exceptions.NotFoundException):
            other.get_rest_api(restApiId=api_id)
        with pytest.raises(other.exceptions.NotFoundException):
            other.delete_rest_api(restApiId=api_id)
    assert client.get_rest_api(restApiId=api_id)["name"] == "mine"


# --- DeleteRestApi --------------------------------------------------------------------------------


def test_delete_returns_202_empty_and_removes_everything(raw, client, account):
    api = client.create_rest_api(name="gone")
    child = client.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets")
    resp = raw.request("DELETE", f"/restapis/{api['id']}")
    assert resp.status_code == 202, resp.text
    assert resp.content == b""
    expect_error(client.get_rest_api, "NotFoundException", 404, api_nf(account, api["id"]), restApiId=api["id"])
    assert client.get_rest_apis().get("items", []) == []
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_resource(restApiId=api["id"], resourceId=child["id"])
    expect_error(client.delete_rest_api, "NotFoundException", 404, api_nf(account, api["id"]), restApiId=api["id"])


def test_delete_removes_only_the_target(client):
    keep = client.create_rest_api(name="keep")
    gone = client.create_rest_api(name="gone")
    assert status(client.delete_rest_api(restApiId=gone["id"])) == 202
    assert [i["id"] for i in client.get_rest_apis()["items"]] == [keep["id"]]


# --- UpdateRestApi --------------------------------------------------------------------------------


def test_update_name_and_description(client):
    api_id = client.create_rest_api(name="old", description="this is my api")["id"]
    resp = client.update_rest_api(
        restApiId=api_id, patchOperations=[op("replace", "/name", "new"), op("replace", "/description", "d2")]
    )
    assert status(resp) == 200
    assert resp["name"] == "new" and resp["description"] == "d2"
    resp = client.update_rest_api(restApiId=api_id, patchOperations=[op("remove", "/description")])
    assert "description" not in resp
    got = client.get_rest_api(restApiId=api_id)
    assert got["name"] == "new" and "description" not in got


def test_update_response_carries_empty_tags(client):
    # every update-* key of test_update_rest_api_*: AWS answers "tags": {} for an untagged API
    api_id = client.create_rest_api(name="t")["id"]
    resp = client.update_rest_api(restApiId=api_id, patchOperations=[op("replace", "/description", "x")])
    assert resp["tags"] == {}


def test_update_binary_media_types_like_aws(client):
    # test_update_rest_api_operation_add_remove
    api_id = client.create_rest_api(name="bin", description="this is my api")["id"]
    resp = client.update_rest_api(
        restApiId=api_id,
        patchOperations=[op("add", "/binaryMediaTypes/image~1png"), op("add", "/binaryMediaTypes/image~1jpeg")],
    )
    assert resp["binaryMediaTypes"] == ["image/png", "image/jpeg"]
    assert resp["description"] == "this is my api"
    resp = client.update_rest_api(
        restApiId=api_id, patchOperations=[op("replace", "/binaryMediaTypes/image~1png", "image/gif")]
    )
    assert resp["binaryMediaTypes"] == ["image/jpeg", "image/gif"]
    resp = client.update_rest_api(
        restApiId=api_id, patchOperations=[op("remove", "/binaryMediaTypes/image~1gif"), op("remove", "/description")]
    )
    assert resp["binaryMediaTypes"] == ["image/jpeg"]
    assert "description" not in resp
    assert client.get_rest_api(restApiId=api_id)["binaryMediaTypes"] == ["image/jpeg"]


@pytest.mark.parametrize("o", ["add", "replace", "remove"])
def test_update_bare_binary_media_types_path_is_refused(client, o):
    # test_update_rest_api_behaviour / update-rest-api-*-base-path
    api_id = client.create_rest_api(name="bin")["id"]
    expect_error(
        client.update_rest_api, "BadRequestException", 400, "Invalid patch path /binaryMediaTypes",
        restApiId=api_id, patchOperations=[op(o, "/binaryMediaTypes", "image/gif")],
    )
    assert "binaryMediaTypes" not in client.get_rest_api(restApiId=api_id)


def test_update_minimum_compression_size(client):
    # test_update_rest_api_compression
    api_id = client.create_rest_api(name="c")["id"]
    path = "/minimumCompressionSize"
    assert client.update_rest_api(restApiId=api_id, patchOperations=[op("replace", path, "10")])[
        "minimumCompressionSize"] == 10
    assert client.get_rest_api(restApiId=api_id)["minimumCompressionSize"] == 10
    assert "minimumCompressionSize" not in client.update_rest_api(
        restApiId=api_id, patchOperations=[op("replace", path, "")])
    assert client.update_rest_api(restApiId=api_id, patchOperations=[op("replace", path, "0")])[
        "minimumCompressionSize"] == 0
    for bad in ("-1", "test"):
        expect_error(
            client.update_rest_api, "BadRequestException", 400,
            "Invalid minimum compression size, must be between 0 and 10485760",
            restApiId=api_id, patchOperations=[op("replace", path, bad)],
        )
    expect_error(
        client.update_rest_api, "BadRequestException", 400,
        "Invalid patch operation specified. Must be one of: [replace]",
        restApiId=api_id, patchOperations=[op("add", path, "10")],
    )
    assert client.get_rest_api(restApiId=api_id)["minimumCompressionSize"] == 0


def test_update_endpoint_type_and_ip_address_type(client):
    # test_update_rest_api_ip_address_type
    api_id = client.create_rest_api(name="ep")["id"]
    resp = client.update_rest_api(
        restApiId=api_id,
        patchOperations=[
            op("replace", "/endpointConfiguration/types/0", "EDGE"),
            op("replace", "/endpointConfiguration/types/0", "REGIONAL"),
            op("replace", "/endpointConfiguration/types/0", "PRIVATE"),
        ],
    )
    assert resp["endpointConfiguration"] == {"ipAddressType": "dualstack", "types": ["PRIVATE"]}
    refusals = [
        (op("replace", "/endpointConfiguration/ipAddressType", "ipv4"),
         "Only dualstack ipAddressType is supported for Private APIs."),
        (op("replace", "/endpointConfiguration/ipAddressType", "wrong"), "ipAddressType must be either ipv4 or dualstack."),
        (op("replace", "/endpointConfiguration/types/0", "wrong"),
         "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE"),
        (op("remove", "/endpointConfiguration/ipAddressType", "dualstack"),
         "Invalid patch operation specified. Must be one of: [replace]"),
        (op("remove", "/endpointConfiguration/types/0", "EDGE"),
         "Invalid patch operation specified. Must be 'add'|'remove'|'replace'"),
    ]
    for patch, message in refusals:
        expect_error(client.update_rest_api, "BadRequestException", 400, message,
                     restApiId=api_id, patchOperations=[patch])
    assert client.get_rest_api(restApiId=api_id)["endpointConfiguration"] == {
        "ipAddressType": "dualstack", "types": ["PRIVATE"]}


def test_update_disable_execute_api_endpoint(client):
    api_id = client.create_rest_api(name="x")["id"]
    resp = client.update_rest_api(restApiId=api_id, patchOperations=[op("replace", "/disableExecuteApiEndpoint", "true")])
    assert resp["disableExecuteApiEndpoint"] is True
    assert client.get_rest_api(restApiId=api_id)["disableExecuteApiEndpoint"] is True


def test_update_with_ops_outside_the_enum_is_a_validation_exception_listing_each(client):
    # test_update_rest_api_concatenation_of_errors
    api_id = client.create_rest_api(name="x")["id"]
    clause = ("Value 'wrong' at 'updateRestApiInput.patchOperations.{}.member.op' failed to satisfy constraint: "
              "Member must satisfy enum value set: [add, remove, move, test, replace, copy]")
    expect_error(
        client.update_rest_api, "ValidationException", 400,
        "2 validation errors detected: " + clause.format(1) + "; " + clause.format(2),
        restApiId=api_id,
        patchOperations=[op("wrong", "/endpointConfiguration/ipAddressType", "ipv4"),
                         op("wrong", "/endpointConfiguration/ipAddressType", "dualstack")],
    )


def test_update_unknown_path_is_refused_and_changes_nothing(client):
    api = body(client.create_rest_api(name="keep", description="d"))
    err = client_error(client.update_rest_api, restApiId=api["id"],
                       patchOperations=[op("replace", "/description", "changed"), op("replace", "/rootResourceId", "x")])
    assert_client_error(err, "BadRequestException", 400)
    got = body(client.get_rest_api(restApiId=api["id"]))
    assert got["description"] == "d" and got["rootResourceId"] == api["rootResourceId"]


# --- tags -------------------------------------------------------------------------------------------


def test_tags_given_at_create_are_the_same_set_everywhere(client):
    # test_create_rest_api_with_tags
    api = client.create_rest_api(name="t", description="this is my api", tags={"MY_TAG1": "MY_VALUE1"})
    assert api["tags"] == {"MY_TAG1": "MY_VALUE1"}
    assert client.get_rest_api(restApiId=api["id"])["tags"] == {"MY_TAG1": "MY_VALUE1"}
    assert client.get_rest_apis()["items"][0]["tags"] == {"MY_TAG1": "MY_VALUE1"}
    assert client.get_tags(resourceArn=rest_api_arn(api["id"]))["tags"] == {"MY_TAG1": "MY_VALUE1"}


def test_untagged_api_has_no_tags_key(client):
    api = client.create_rest_api(name="plain")
    assert "tags" not in api
    assert "tags" not in client.get_rest_apis()["items"][0]
    assert client.get_tags(resourceArn=rest_api_arn(api["id"])).get("tags", {}) == {}


def test_tag_and_untag_rest_api(client, raw):
    api_id = client.create_rest_api(name="t", tags={"a": "1"})["id"]
    arn = rest_api_arn(api_id)
    assert status(client.tag_resource(resourceArn=arn, tags={"b": "2", "a": "10"})) == 204
    assert client.get_tags(resourceArn=arn)["tags"] == {"a": "10", "b": "2"}
    assert client.get_rest_api(restApiId=api_id)["tags"] == {"a": "10", "b": "2"}
    assert status(client.untag_resource(resourceArn=arn, tagKeys=["a"])) == 204
    assert client.get_rest_api(restApiId=api_id)["tags"] == {"b": "2"}
    resp = raw.request("GET", tags_path(arn))
    assert resp.status_code == 200 and resp.json() == {"tags": {"b": "2"}}


def test_tags_of_unknown_or_deleted_rest_api_are_not_found(client, account):
    api_id = client.create_rest_api(name="t")["id"]
    client.delete_rest_api(restApiId=api_id)
    for rid in (api_id, "zzzzzzzzzz"):
        arn = rest_api_arn(rid)
        expect_error(client.tag_resource, "NotFoundException", 404, api_nf(account, rid), resourceArn=arn, tags={"a": "b"})
        expect_error(client.get_tags, "NotFoundException", 404, api_nf(account, rid), resourceArn=arn)
        expect_error(client.untag_resource, "NotFoundException", 404, api_nf(account, rid), resourceArn=arn, tagKeys=["a"])


def test_rest_api_tag_arn_of_another_region_is_not_found(client):
    api_id = client.create_rest_api(name="t")["id"]
    err = client_error(client.tag_resource, resourceArn=rest_api_arn(api_id, "eu-west-1"), tags={"a": "b"})
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 404)
    assert client.get_tags(resourceArn=rest_api_arn(api_id)).get("tags", {}) == {}


def test_invalid_tags_at_create_store_nothing(client):
    err = client_error(client.create_rest_api, name="t", tags={"aws:reserved": "x"})
    assert_client_error(err, "BadRequestException", 400)
    assert count_rest_apis(client) == 0


# --- quotas -----------------------------------------------------------------------------------------


def _create(c, kind):
    return c.create_rest_api(name=kind.lower(), endpointConfiguration={"types": [kind]})["id"]


def test_edge_and_regional_quotas_are_separate_flags(server_factory):
    srv = server_factory(extra_args=("--max-rest-apis-edge", "2", "--max-rest-apis-regional", "3"))
    c = make_boto_client(srv.url, "us-east-1", "123456789012")
    edge = [_create(c, "EDGE") for _ in range(2)]
    err = client_error(c.create_rest_api, name="edge3")  # EDGE is the default type
    assert_client_error(err, "LimitExceededException", 429)
    err = client_error(c.create_rest_api, name="edge3", endpointConfiguration={"types": ["EDGE"]})
    assert_client_error(err, "LimitExceededException", 429)
    # regional and private share the other quota
    _create(c, "REGIONAL")
    _create(c, "PRIVATE")
    _create(c, "REGIONAL")
    for kind in ("REGIONAL", "PRIVATE"):
        err = client_error(c.create_rest_api, name="over", endpointConfiguration={"types": [kind]})
        assert_client_error(err, "LimitExceededException", 429)
    assert count_rest_apis(c) == 5
    # deleting one frees exactly its own kind's slot
    c.delete_rest_api(restApiId=edge[0])
    with pytest.raises(c.exceptions.LimitExceededException):
        _create(c, "REGIONAL")
    _create(c, "EDGE")
    with pytest.raises(c.exceptions.LimitExceededException):
        _create(c, "EDGE")
    assert count_rest_apis(c) == 5


def test_rest_api_quota_is_per_account_and_region(server_factory):
    srv = server_factory(extra_args=("--max-rest-apis-edge", "1", "--max-rest-apis-regional", "1"))
    full = make_boto_client(srv.url, "us-east-1", "111111111111")
    _create(full, "EDGE")
    with pytest.raises(full.exceptions.LimitExceededException):
        _create(full, "EDGE")
    for other in (make_boto_client(srv.url, "eu-west-1", "111111111111"),
                  make_boto_client(srv.url, "us-east-1", "222222222222")):
        _create(other, "EDGE")
        _create(other, "REGIONAL")
        assert count_rest_apis(other) == 2
    assert count_rest_apis(full) == 1


def test_default_quotas_are_120_edge_and_600_regional(server_factory):
    srv = server_factory()
    c = make_boto_client(srv.url, "us-east-1", "123456789012")
    for _ in range(120):
        _create(c, "EDGE")
    with pytest.raises(c.exceptions.LimitExceededException) as ei:
        _create(c, "EDGE")
    assert_client_error(ei.value, "LimitExceededException", 429)
    for i in range(600):
        _create(c, "PRIVATE" if i % 2 else "REGIONAL")
    with pytest.raises(c.exceptions.LimitExceededException):
        _create(c, "REGIONAL")
    assert count_rest_apis(c) == 720


def test_refused_create_over_quota_stores_nothing(server_factory):
    srv = server_factory(extra_args=("--max-rest-apis-edge", "1"))
    c = make_boto_client(srv.url, "us-east-1", "123456789012")
    only = _create(c, "EDGE")
    for _ in range(3):
        with pytest.raises(c.exceptions.LimitExceededException):
            c.create_rest_api(name="x", tags={"k": "v"})
    assert [i["id"] for i in c.get_rest_apis()["items"]] == [only]


def test_position_of_another_account_or_region_is_refused(client, make_client):
    for i in range(3):
        client.create_rest_api(name=f"t{i}")
    token = client.get_rest_apis(limit=1)["position"]
    assert len(client.get_rest_apis(position=token, limit=500)["items"]) == 2
    other_account = make_client(key=new_account())
    other_account.create_rest_api(name="theirs")
    for other in (other_account, make_client(region="eu-west-1")):
        err = client_error(other.get_rest_apis, position=token)
        assert_client_error(err, "BadRequestException", 400)


def test_limit_exceeded_wire_shape(server_factory):
    from certgate_helpers import RawClient

    srv = server_factory(extra_args=("--max-rest-apis-edge", "1"))
    raw = RawClient(srv.url, key="123456789012")
    assert raw.request("POST", "/restapis", json_body={"name": "one"}).status_code == 201
    resp = raw.request("POST", "/restapis", json_body={"name": "two"})
    body_ = assert_aws_error(resp, "LimitExceededException", 429)
    assert set(body_) <= {"message", "retryAfterSeconds"}


def test_binary_media_types_dash_is_a_literal(client):
    # test_update_rest_api_behaviour / update-rest-api-array: "-" is not "append", it is the type "-"
    api_id = client.create_rest_api(name="bin")["id"]
    resp = client.update_rest_api(restApiId=api_id, patchOperations=[op("add", "/binaryMediaTypes/-", "image/png")])
    assert resp["binaryMediaTypes"] == ["-"]


def test_create_with_both_endpoint_members_invalid_lists_both(client):
    # test_create_rest_api_with_endpoint_configuration / create-with-invalid-ip-address-type-and-types
    expect_error(
        client.create_rest_api, "ValidationException", 400,
        "2 validation errors detected: Value '[wrong]' at 'createRestApiInput.endpointConfiguration.types' failed "
        "to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
        "[PRIVATE, EDGE, REGIONAL]]; Value 'wrong' at 'createRestApiInput.endpointConfiguration.ipAddressType' "
        "failed to satisfy constraint: Member must satisfy enum value set: [ipv4, dualstack]",
        name="x", endpointConfiguration={"ipAddressType": "wrong", "types": ["wrong"]},
    )
    # the enum errors come before the empty description (create-with-multiple-errors-1)
    expect_error(client.create_rest_api, "ValidationException", 400, None, name="x", description="",
                 endpointConfiguration={"ipAddressType": "wrong", "types": ["wrong"]})
    assert count_rest_apis(client) == 0
