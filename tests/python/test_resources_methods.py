"""Resources, methods and method responses (issue 13). AWS's answers as recorded in LocalStack's
test_apigateway_api.py.snapshot.json (test names in the comments)."""

import pytest

from certgate_helpers import assert_aws_error, assert_client_error, client_error, make_boto_client
from restapi_helpers import (
    BAD_HTTP_METHOD,
    HTTP_METHODS,
    LOWER_ID_RE,
    METHOD_NF,
    RESOURCE_NF,
    SHORT_ID_RE,
    STATUS_NF,
    body,
    expect_error,
    mock_method,
    new_api,
    op,
    resources_by_path,
    status,
)


def _res(client, api_id, parent, part):
    return client.create_resource(restApiId=api_id, parentId=parent, pathPart=part)


# --- resources --------------------------------------------------------------------------------------


def test_resource_lifecycle(client):
    # test_resource_lifecycle
    api_id, root = new_api(client)
    resp = _res(client, api_id, root, "pets")
    assert status(resp) == 201
    pets = body(resp)
    assert pets == {"id": pets["id"], "parentId": root, "path": "/pets", "pathPart": "pets"}
    sub = body(_res(client, api_id, pets["id"], "subpets"))
    assert sub == {"id": sub["id"], "parentId": pets["id"], "path": "/pets/subpets", "pathPart": "subpets"}
    assert body(client.get_resource(restApiId=api_id, resourceId=sub["id"])) == sub
    listed = sorted(client.get_resources(restApiId=api_id)["items"], key=lambda r: r["path"])
    assert listed == [{"id": root, "path": "/"}, pets, sub]

    renamed = client.update_resource(restApiId=api_id, resourceId=pets["id"], patchOperations=[op("replace", "/pathPart", "dogs")])
    assert status(renamed) == 200
    assert body(renamed) == {"id": pets["id"], "parentId": root, "path": "/dogs", "pathPart": "dogs"}
    # the descendants' paths follow
    assert client.get_resource(restApiId=api_id, resourceId=sub["id"])["path"] == "/dogs/subpets"

    assert status(client.delete_resource(restApiId=api_id, resourceId=pets["id"])) == 202
    assert client.get_resources(restApiId=api_id)["items"] == [{"id": root, "path": "/"}]


def test_delete_resource_is_202_empty_and_deletes_the_subtree(client, raw):
    # test_delete_resource
    api_id, root = new_api(client)
    pets = _res(client, api_id, root, "pets")["id"]
    sub = _res(client, api_id, pets, "subpets")["id"]
    leaf = _res(client, api_id, sub, "{id}")["id"]
    mock_method(client, api_id, leaf)
    resp = raw.request("DELETE", f"/restapis/{api_id}/resources/{pets}")
    assert resp.status_code == 202, resp.text
    assert resp.content == b""
    for rid in (pets, sub, leaf):
        expect_error(client.get_resource, "NotFoundException", 404, RESOURCE_NF, restApiId=api_id, resourceId=rid)
    expect_error(client.delete_resource, "NotFoundException", 404, RESOURCE_NF, restApiId=api_id, resourceId=sub)
    expect_error(client.get_method, "NotFoundException", 404, RESOURCE_NF, restApiId=api_id, resourceId=leaf, httpMethod="GET")
    assert client.get_resources(restApiId=api_id)["items"] == [{"id": root, "path": "/"}]


def test_unknown_parent_is_not_found(client):
    # test_create_resource_parent_invalid
    api_id, _ = new_api(client)
    expect_error(client.create_resource, "NotFoundException", 404, RESOURCE_NF,
                 restApiId=api_id, parentId="fake-resource-id", pathPart="subpets")
    assert len(client.get_resources(restApiId=api_id)["items"]) == 1


def test_unknown_resource_is_not_found(client):
    api_id, _ = new_api(client)
    for call in (
        lambda: client.get_resource(restApiId=api_id, resourceId="abc123"),
        lambda: client.delete_resource(restApiId=api_id, resourceId="abc123"),
        lambda: client.update_resource(restApiId=api_id, resourceId="fake-resource",
                                       patchOperations=[op("replace", "/pathPart", "dogs")]),
    ):
        with pytest.raises(client.exceptions.NotFoundException) as ei:
            call()
        assert_client_error(ei.value, "NotFoundException", 404, RESOURCE_NF)


def test_resource_of_another_api_is_not_found(client):
    a, a_root = new_api(client, "a")
    b, _ = new_api(client, "b")
    pets = _res(client, a, a_root, "pets")["id"]
    expect_error(client.get_resource, "NotFoundException", 404, RESOURCE_NF, restApiId=b, resourceId=pets)
    expect_error(client.create_resource, "NotFoundException", 404, RESOURCE_NF, restApiId=b, parentId=a_root, pathPart="x")


def test_sibling_with_the_same_path_part_is_a_conflict(client):
    api_id, root = new_api(client)
    pets = _res(client, api_id, root, "pets")["id"]
    expect_error(client.create_resource, "ConflictException", 409,
                 "Another resource with the same parent already has this name: pets",
                 restApiId=api_id, parentId=root, pathPart="pets")
    # the same name under another parent is fine, and names are case-sensitive
    assert _res(client, api_id, pets, "pets")["path"] == "/pets/pets"
    assert _res(client, api_id, root, "Pets")["path"] == "/Pets"
    assert len(client.get_resources(restApiId=api_id)["items"]) == 4


def test_path_parameters_and_greedy_leaves(client):
    # test_create_proxy_resource
    api_id, root = new_api(client)
    base_proxy = body(_res(client, api_id, root, "{proxy+}"))
    assert base_proxy["path"] == "/{proxy+}" and base_proxy["pathPart"] == "{proxy+}"
    parent = _res(client, api_id, root, "parent")["id"]
    proxy_child = _res(client, api_id, parent, "{proxy+}")["id"]
    child = _res(client, api_id, parent, "child")["id"]
    assert _res(client, api_id, child, "{proxy+}")["path"] == "/parent/child/{proxy+}"
    client.delete_resource(restApiId=api_id, resourceId=proxy_child)
    dyn = _res(client, api_id, parent, "{child}")["id"]
    assert _res(client, api_id, dyn, "{proxy+}")["path"] == "/parent/{child}/{proxy+}"
    assert set(resources_by_path(client, api_id)) == {
        "/", "/{proxy+}", "/parent", "/parent/child", "/parent/child/{proxy+}", "/parent/{child}",
        "/parent/{child}/{proxy+}",
    }


def test_greedy_path_part_must_be_a_leaf_and_only_one_variable_sibling(client):
    # test_create_proxy_resource_validation
    api_id, root = new_api(client)
    proxy = _res(client, api_id, root, "{proxy+}")["id"]
    expect_error(client.create_resource, "BadRequestException", 400,
                 "A sibling ({proxy+}) of this resource already has a variable path part -- only one is allowed",
                 restApiId=api_id, parentId=root, pathPart="{dynamic}")
    for part in ("child", "{child}"):
        expect_error(client.create_resource, "BadRequestException", 400,
                     "Cannot create a child of a resource with a greedy path variable: {proxy+}",
                     restApiId=api_id, parentId=proxy, pathPart=part)
    parent = _res(client, api_id, root, "parent")["id"]
    assert _res(client, api_id, parent, "{child+}")["path"] == "/parent/{child+}"
    assert set(resources_by_path(client, api_id)) == {"/", "/{proxy+}", "/parent", "/parent/{child+}"}


BAD_PATH_PART = ("Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end.")


@pytest.mark.parametrize("part", ["has space", "a/b", "pets?", "pé", "a*b", "a+", "{unclosed", "closed}", "{a}b", "a{b}", "{}",
                                  "{+}", "{a+b}"])
def test_invalid_path_parts_are_refused(client, part):
    api_id, root = new_api(client)
    err = client_error(client.create_resource, restApiId=api_id, parentId=root, pathPart=part)
    assert_client_error(err, "BadRequestException", 400)
    assert len(client.get_resources(restApiId=api_id)["items"]) == 1


def test_invalid_path_part_message(client):
    api_id, root = new_api(client)
    expect_error(client.create_resource, "BadRequestException", 400, BAD_PATH_PART,
                 restApiId=api_id, parentId=root, pathPart="has space")


@pytest.mark.parametrize("part", ["a-Z_0.9", "v1", "{id}", "{proxy+}", "{my_param}", "{petId}", "events.json"])
def test_valid_path_parts_are_accepted(client, part):
    api_id, root = new_api(client)
    assert _res(client, api_id, root, part)["pathPart"] == part


def test_empty_path_part_is_refused(client, raw):
    api_id, root = new_api(client)
    resp = raw.request("POST", f"/restapis/{api_id}/resources/{root}", json_body={"pathPart": ""})
    assert_aws_error(resp, None, 400)
    resp = raw.request("POST", f"/restapis/{api_id}/resources/{root}", json_body={})
    assert_aws_error(resp, None, 400)
    assert len(client.get_resources(restApiId=api_id)["items"]) == 1


def test_update_resource_moves_and_refusals(client):
    # test_update_resource_behaviour
    api_id, root = new_api(client)
    pets = _res(client, api_id, root, "pets")["id"]
    expect_error(client.update_resource, "BadRequestException", 400,
                 "Invalid patch path  '/invalid' specified for op 'replace'. Must be one of: [/parentId, /pathPart]",
                 restApiId=api_id, resourceId=pets, patchOperations=[op("replace", "/invalid", "dogs")])
    expect_error(client.update_resource, "NotFoundException", 404, RESOURCE_NF,
                 restApiId=api_id, resourceId=pets, patchOperations=[op("replace", "/parentId", "fake-parent-id")])
    sub = _res(client, api_id, pets, "subpets")["id"]
    sub_child = _res(client, api_id, sub, "pets")["id"]
    expect_error(client.update_resource, "ConflictException", 409,
                 "Another resource with the same parent already has this name: pets",
                 restApiId=api_id, resourceId=sub_child, patchOperations=[op("replace", "/parentId", root)])
    client.delete_resource(restApiId=api_id, resourceId=sub_child)
    expect_error(client.update_resource, "BadRequestException", 400, "Resources cannot be cyclical.",
                 restApiId=api_id, resourceId=pets, patchOperations=[op("replace", "/parentId", sub)])
    expect_error(client.update_resource, "BadRequestException", 400, "Resources cannot be cyclical.",
                 restApiId=api_id, resourceId=pets, patchOperations=[op("replace", "/parentId", pets)])
    moved = client.update_resource(restApiId=api_id, resourceId=sub, patchOperations=[op("replace", "/parentId", root)])
    assert body(moved) == {"id": sub, "parentId": root, "path": "/subpets", "pathPart": "subpets"}
    expect_error(client.update_resource, "ConflictException", 409,
                 "Another resource with the same parent already has this name: pets",
                 restApiId=api_id, resourceId=sub, patchOperations=[op("replace", "/pathPart", "pets")])
    # deleting the old parent leaves the moved child alone
    client.delete_resource(restApiId=api_id, resourceId=pets)
    assert sorted(client.get_resources(restApiId=api_id)["items"], key=lambda r: r["path"]) == [
        {"id": root, "path": "/"}, {"id": sub, "parentId": root, "path": "/subpets", "pathPart": "subpets"}]
    for o in ("remove", "add"):
        expect_error(client.update_resource, "BadRequestException", 400,
                     f"Invalid patch path  '/pathPart' specified for op '{o}'. Please choose supported operations",
                     restApiId=api_id, resourceId=sub, patchOperations=[op(o, "/pathPart", "added-pets")])


def test_moving_a_resource_moves_its_subtree_paths(client):
    api_id, root = new_api(client)
    a = _res(client, api_id, root, "a")["id"]
    b = _res(client, api_id, a, "b")["id"]
    c = _res(client, api_id, b, "c")["id"]
    x = _res(client, api_id, root, "x")["id"]
    client.update_resource(restApiId=api_id, resourceId=b, patchOperations=[op("replace", "/parentId", x)])
    assert client.get_resource(restApiId=api_id, resourceId=c)["path"] == "/x/b/c"
    assert set(resources_by_path(client, api_id)) == {"/", "/a", "/x", "/x/b", "/x/b/c"}


def test_moving_under_a_greedy_resource_or_next_to_a_variable_is_refused(client):
    api_id, root = new_api(client)
    proxy = _res(client, api_id, root, "{proxy+}")["id"]
    a = _res(client, api_id, root, "a")["id"]
    var = _res(client, api_id, a, "{var}")["id"]
    err = client_error(client.update_resource, restApiId=api_id, resourceId=var,
                       patchOperations=[op("replace", "/parentId", proxy)])
    assert_client_error(err, "BadRequestException", 400)
    err = client_error(client.update_resource, restApiId=api_id, resourceId=var,
                       patchOperations=[op("replace", "/parentId", root)])
    assert_client_error(err, "BadRequestException", 400)
    err = client_error(client.update_resource, restApiId=api_id, resourceId=a,
                       patchOperations=[op("replace", "/pathPart", "bad part")])
    assert_client_error(err, "BadRequestException", 400)
    assert set(resources_by_path(client, api_id)) == {"/", "/{proxy+}", "/a", "/a/{var}"}


def test_root_cannot_be_renamed_or_moved(client):
    # test_update_resource_on_root
    api_id, root = new_api(client)
    expect_error(client.update_resource, "BadRequestException", 400, "Root resource cannot update its pathPart.",
                 restApiId=api_id, resourceId=root, patchOperations=[op("replace", "/pathPart", "dogs")])
    expect_error(client.update_resource, "BadRequestException", 400, "Root resource cannot update its parentId.",
                 restApiId=api_id, resourceId=root, patchOperations=[op("replace", "/parentId", root)])


def test_get_resources_lists_method_names_and_embeds_methods(client, raw):
    api_id, root = new_api(client)
    pets = _res(client, api_id, root, "pets")["id"]
    mock_method(client, api_id, pets, "GET")
    client.put_method(restApiId=api_id, resourceId=pets, httpMethod="POST", authorizationType="NONE")
    # without embed: the names, each with an empty object (IMPORT::test_import_swagger_api / resources)
    plain = raw.request("GET", f"/restapis/{api_id}/resources").json()["item"]  # the wire name of `items`
    by_path = {r["path"]: r for r in plain}
    assert by_path["/pets"]["resourceMethods"] == {"GET": {}, "POST": {}}
    assert "resourceMethods" not in by_path["/"]
    # with embed=methods: whole Method objects, integration included
    embedded = resources_by_path(client, api_id, embed=["methods"])
    methods = embedded["/pets"]["resourceMethods"]
    assert methods["POST"] == {"apiKeyRequired": False, "authorizationType": "NONE", "httpMethod": "POST"}
    assert methods["GET"]["methodIntegration"]["type"] == "MOCK"
    assert methods["GET"] == body(client.get_method(restApiId=api_id, resourceId=pets, httpMethod="GET"))
    got = client.get_resource(restApiId=api_id, resourceId=pets, embed=["methods"])
    assert got["resourceMethods"]["GET"]["methodIntegration"]["type"] == "MOCK"


def test_get_resources_pages_with_position_and_limit(client):
    api_id, root = new_api(client)
    ids = {root} | {_res(client, api_id, root, f"r{i}")["id"] for i in range(16)}
    seen = []
    kwargs = {"limit": 5}
    while True:
        page = client.get_resources(restApiId=api_id, **kwargs)
        assert len(page["items"]) <= 5
        seen.extend(r["id"] for r in page["items"])
        if "position" not in page:
            break
        kwargs["position"] = page["position"]
    assert len(seen) == 17 and set(seen) == ids
    first = client.get_resources(restApiId=api_id)
    assert len(first["items"]) == 17 and "position" not in first  # 25 by default
    assert_client_error(client_error(client.get_resources, restApiId=api_id, limit=501), "BadRequestException", 400)


def test_resource_quota_is_a_flag_and_counts_the_root(server_factory):
    srv = server_factory(extra_args=("--max-resources-per-api", "3"))
    c = make_boto_client(srv.url, "us-east-1", "123456789012")
    api_id, root = new_api(c)
    a = _res(c, api_id, root, "a")["id"]
    _res(c, api_id, a, "b")
    err = client_error(c.create_resource, restApiId=api_id, parentId=root, pathPart="c")
    assert_client_error(err, "LimitExceededException", 429)
    assert len(c.get_resources(restApiId=api_id)["items"]) == 3
    # another API has its own count; deleting a subtree frees its resources
    other, other_root = new_api(c, "other")
    _res(c, other, other_root, "a")
    _res(c, other, other_root, "b")
    c.delete_resource(restApiId=api_id, resourceId=a)
    _res(c, api_id, root, "c")
    _res(c, api_id, root, "d")
    with pytest.raises(c.exceptions.LimitExceededException):
        _res(c, api_id, root, "e")


def test_default_resource_quota_is_300(server_factory):
    srv = server_factory()
    c = make_boto_client(srv.url, "us-east-1", "123456789012")
    api_id, root = new_api(c)
    for i in range(299):
        _res(c, api_id, root, f"r{i}")
    with pytest.raises(c.exceptions.LimitExceededException) as ei:
        _res(c, api_id, root, "one-too-many")
    assert_client_error(ei.value, "LimitExceededException", 429)
    assert len(resources_by_path(c, api_id)) == 300


# --- methods ------------------------------------------------------------------------------------------


def test_method_lifecycle(client, raw):
    # test_method_lifecycle
    api_id, root = new_api(client)
    put = client.put_method(restApiId=api_id, resourceId=root, httpMethod="ANY", authorizationType="NONE")
    assert status(put) == 201
    expected = {"apiKeyRequired": False, "authorizationType": "NONE", "httpMethod": "ANY"}
    assert body(put) == expected
    got = client.get_method(restApiId=api_id, resourceId=root, httpMethod="ANY")
    assert status(got) == 200 and body(got) == expected
    resp = raw.request("DELETE", f"/restapis/{api_id}/resources/{root}/methods/ANY")
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    expect_error(client.get_method, "NotFoundException", 404, METHOD_NF, restApiId=api_id, resourceId=root, httpMethod="ANY")
    expect_error(client.delete_method, "NotFoundException", 404, METHOD_NF, restApiId=api_id, resourceId=root, httpMethod="ANY")


@pytest.mark.parametrize("http_method", HTTP_METHODS)
def test_every_http_method_is_accepted(client, http_method):
    api_id, root = new_api(client)
    assert client.put_method(restApiId=api_id, resourceId=root, httpMethod=http_method,
                             authorizationType="NONE")["httpMethod"] == http_method
    assert client.get_method(restApiId=api_id, resourceId=root, httpMethod=http_method)["httpMethod"] == http_method


@pytest.mark.parametrize("bad", ["WRONG", "CONNECT", "TRACE"])
def test_bad_http_method_is_refused(client, bad):
    # test_put_method_validation / wrong-method
    api_id, root = new_api(client)
    expect_error(client.put_method, "BadRequestException", 400, BAD_HTTP_METHOD,
                 restApiId=api_id, resourceId=root, httpMethod=bad, authorizationType="NONE")
    assert "resourceMethods" not in client.get_resource(restApiId=api_id, resourceId=root)


def test_put_method_on_unknown_api_or_resource_is_resource_not_found(client):
    # test_put_method_validation / wrong-api, wrong-resource (the resource is checked before the method name)
    api_id, root = new_api(client)
    expect_error(client.put_method, "NotFoundException", 404, RESOURCE_NF,
                 restApiId="fake-api", resourceId=root, httpMethod="WRONG", authorizationType="NONE")
    expect_error(client.put_method, "NotFoundException", 404, RESOURCE_NF,
                 restApiId=api_id, resourceId="fake-resource-id", httpMethod="WRONG", authorizationType="NONE")


def test_get_method_on_unknown_api_or_resource_is_resource_not_found(client):
    api_id, root = new_api(client)
    expect_error(client.get_method, "NotFoundException", 404, RESOURCE_NF, restApiId="fake-api", resourceId=root, httpMethod="GET")
    expect_error(client.update_method, "NotFoundException", 404, RESOURCE_NF,
                 restApiId="fake-api", resourceId=root, httpMethod="ANY", patchOperations=[])
    expect_error(client.update_method, "NotFoundException", 404, RESOURCE_NF,
                 restApiId=api_id, resourceId="fake-resource-id", httpMethod="ANY", patchOperations=[])


def test_authorization_type_is_required(client, raw):
    api_id, root = new_api(client)
    resp = raw.request("PUT", f"/restapis/{api_id}/resources/{root}/methods/GET", json_body={"apiKeyRequired": True})
    assert_aws_error(resp, None, 400)
    expect_error(client.get_method, "NotFoundException", 404, METHOD_NF, restApiId=api_id, resourceId=root, httpMethod="GET")


def test_custom_authorization_needs_an_authorizer(client):
    # test_put_method_validation / missing-authorizer-id
    api_id, root = new_api(client)
    expect_error(client.put_method, "BadRequestException", 400,
                 "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS "
                 "requires a valid authorizer.",
                 restApiId=api_id, resourceId=root, httpMethod="ANY", authorizationType="CUSTOM")


def test_put_method_twice_is_a_conflict(client):
    # AWS: "ConflictException: Method already exists for this resource" (aws/aws-cli#3992)
    api_id, root = new_api(client)
    client.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    expect_error(client.put_method, "ConflictException", 409, "Method already exists for this resource",
                 restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="AWS_IAM")
    assert client.get_method(restApiId=api_id, resourceId=root, httpMethod="GET")["authorizationType"] == "NONE"


def test_request_parameters_are_kept(client):
    # test_method_request_parameters
    api_id, root = new_api(client)
    params = {
        "method.request.querystring.q_optional": False,
        "method.request.querystring.q_required": True,
        "method.request.header.h_optional": False,
        "method.request.header.h_required": True,
    }
    put = client.put_method(restApiId=api_id, resourceId=root, httpMethod="ANY", authorizationType="NONE",
                            requestParameters=params)
    assert body(put) == {"apiKeyRequired": False, "authorizationType": "NONE", "httpMethod": "ANY",
                         "requestParameters": params}
    assert client.get_method(restApiId=api_id, resourceId=root, httpMethod="ANY")["requestParameters"] == params
    expect_error(client.put_method, "BadRequestException", 400,
                 "Parameter names must be unique across querystring, header and path",
                 restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE",
                 requestParameters={"method.request.querystring.optional": False,
                                    "method.request.header.optional": False})
    expect_error(client.get_method, "NotFoundException", 404, METHOD_NF, restApiId=api_id, resourceId=root, httpMethod="GET")


def test_update_method_add_replace_remove(client):
    # test_update_method
    api_id, root = new_api(client)
    client.put_method(restApiId=api_id, resourceId=root, httpMethod="ANY", authorizationType="NONE")
    added = client.update_method(restApiId=api_id, resourceId=root, httpMethod="ANY", patchOperations=[
        op("add", "/requestParameters/method.request.querystring.optional", "true"),
    ])
    assert status(added) == 200
    assert added["requestParameters"] == {"method.request.querystring.optional": True}
    replaced = client.update_method(restApiId=api_id, resourceId=root, httpMethod="ANY", patchOperations=[
        op("replace", "/operationName", "ReplacedOperationName"),
        op("replace", "/apiKeyRequired", "true"),
        op("replace", "/authorizationType", "AWS_IAM"),
        op("replace", "/requestParameters/method.request.querystring.optional", "false"),
    ])
    assert body(replaced) == {
        "apiKeyRequired": True, "authorizationType": "AWS_IAM", "httpMethod": "ANY",
        "operationName": "ReplacedOperationName", "requestParameters": {"method.request.querystring.optional": False},
    }
    removed = client.update_method(restApiId=api_id, resourceId=root, httpMethod="ANY", patchOperations=[
        op("remove", "/requestParameters/method.request.querystring.optional", "true"),
    ])
    assert "requestParameters" not in removed
    assert body(client.get_method(restApiId=api_id, resourceId=root, httpMethod="ANY")) == body(removed)


def test_update_method_refusals(client):
    # test_update_method_validation
    api_id, root = new_api(client)
    expect_error(client.update_method, "NotFoundException", 404, METHOD_NF, restApiId=api_id, resourceId=root,
                 httpMethod="GET", patchOperations=[op("replace", "/operationName", "methodDoesNotExist")])
    client.put_method(restApiId=api_id, resourceId=root, httpMethod="ANY", authorizationType="NONE", apiKeyRequired=True)
    cases = [
        (op("add", "/operationName", "operationName"), "Invalid patch operation specified. Must be one of: [replace]"),
        (op("add", "/httpMethod", "PUT"), "Invalid patch path /httpMethod"),
        (op("replace", "/requestParameters", "method.request.querystring.optional=false"), "Invalid patch path /requestParameters"),
        (op("add", "/requestModels/application/json", "Empty"), "Invalid patch path /requestModels/application/json"),
    ]
    for patch, message in cases:
        expect_error(client.update_method, "BadRequestException", 400, message,
                     restApiId=api_id, resourceId=root, httpMethod="ANY", patchOperations=[patch])
    assert client.get_method(restApiId=api_id, resourceId=root, httpMethod="ANY")["apiKeyRequired"] is True
    # a non-boolean apiKeyRequired reads as false (wrong-value-type)
    assert client.update_method(restApiId=api_id, resourceId=root, httpMethod="ANY",
                                patchOperations=[op("replace", "/apiKeyRequired", "whatever")])["apiKeyRequired"] is False


def test_delete_method_deletes_its_integration_and_responses(client):
    api_id, root = new_api(client)
    mock_method(client, api_id, root)
    client.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    client.delete_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    expect_error(client.get_integration, "NotFoundException", 404, METHOD_NF, restApiId=api_id, resourceId=root, httpMethod="GET")
    expect_error(client.get_method_response, "NotFoundException", 404, METHOD_NF,
                 restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    # a new method of the same name starts empty
    new = client.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    assert "methodIntegration" not in new and "methodResponses" not in new


# --- method responses -------------------------------------------------------------------------------


def test_method_response_lifecycle(client, raw):
    # test_lifecycle_method_response, test_update_method_response
    api_id, root = new_api(client)
    mock_method(client, api_id, root)
    put = client.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    assert status(put) == 201 and body(put) == {"statusCode": "200"}
    added = client.update_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                          patchOperations=[
                                              op("add", "/responseParameters/method.response.header.my-header", "true"),
                                              op("add", "/responseModels/application~1json", "Empty"),
                                          ])
    assert status(added) == 201  # the model's (and AWS's) code for UpdateMethodResponse
    expected = {"responseModels": {"application/json": "Empty"},
                "responseParameters": {"method.response.header.my-header": True}, "statusCode": "200"}
    assert body(added) == expected
    assert body(client.get_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")) == expected
    assert client.get_method(restApiId=api_id, resourceId=root, httpMethod="GET")["methodResponses"] == {"200": expected}
    removed = client.update_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                            patchOperations=[
                                                op("remove", "/responseParameters/method.response.header.my-header"),
                                                op("remove", "/responseModels/application~1json"),
                                            ])
    assert body(removed) == {"statusCode": "200"}
    resp = raw.request("DELETE", f"/restapis/{api_id}/resources/{root}/methods/GET/responses/200")
    assert resp.status_code == 204, resp.text
    expect_error(client.get_method_response, "NotFoundException", 404, STATUS_NF,
                 restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")


def test_method_response_with_empty_maps_echoes_them(client):
    api_id, root = new_api(client)
    mock_method(client, api_id, root)
    put = client.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                     responseParameters={}, responseModels={})
    assert body(put) == {"responseModels": {}, "responseParameters": {}, "statusCode": "200"}


def test_method_response_refusals(client):
    # test_update_method_response_negative_tests, test_update_method_lack_response_parameters_and_models
    api_id, root = new_api(client)
    mock_method(client, api_id, root)
    client.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    common = {"restApiId": api_id, "resourceId": root, "httpMethod": "GET"}
    expect_error(client.update_method_response, "NotFoundException", 404, STATUS_NF, statusCode="201",
                 patchOperations=[op("add", "/responseParameters/method.response.header.my-header", "true")], **common)
    expect_error(client.get_method_response, "NotFoundException", 404, STATUS_NF, statusCode="404", **common)
    expect_error(client.update_method_response, "NotFoundException", 404, "Invalid parameter name specified",
                 statusCode="200", patchOperations=[op("remove", "/responseParameters/method.response.header.my-header")],
                 **common)
    expect_error(client.update_method_response, "NotFoundException", 404, "Content-Type specified was not found",
                 statusCode="200", patchOperations=[op("remove", "/responseModels/application~1json")], **common)
    expect_error(client.update_method_response, "BadRequestException", 400,
                 "Invalid patch path /wrong/method.response.header.my-header",
                 statusCode="200", patchOperations=[op("remove", "/wrong/method.response.header.my-header", "true")],
                 **common)
    expect_error(client.put_method_response, "NotFoundException", 404, METHOD_NF,
                 restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="200")
    expect_error(client.put_method_response, "NotFoundException", 404, RESOURCE_NF,
                 restApiId=api_id, resourceId="nosuch", httpMethod="GET", statusCode="200")
    expect_error(client.delete_method_response, "NotFoundException", 404, STATUS_NF, statusCode="500", **common)


def test_status_code_pattern_is_validated(client):
    api_id, root = new_api(client)
    mock_method(client, api_id, root)
    expect_error(client.get_method_response, "ValidationException", 400,
                 "1 validation error detected: Value 'wrong' at 'statusCode' failed to satisfy constraint: "
                 "Member must satisfy regular expression pattern: [1-5]\\d\\d",
                 restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="wrong")
    for bad in ("600", "099", "2000"):
        err = client_error(client.put_method_response, restApiId=api_id, resourceId=root, httpMethod="GET", statusCode=bad)
        assert_client_error(err, "ValidationException", 400)
    assert "methodResponses" not in client.get_method(restApiId=api_id, resourceId=root, httpMethod="GET")


def test_ids_of_resources_are_lowercase_alphanumerics(client):
    api_id, root = new_api(client)
    ids = [_res(client, api_id, root, f"p{i}")["id"] for i in range(10)]
    assert all(LOWER_ID_RE.match(i) for i in ids + [root])
    assert len(set(ids + [root])) == 11


def test_child_resource_ids_have_six_characters_like_aws(client):
    # aws-cli examples/apigateway/get-resources.rst: "024ace", "ai5b02"
    api_id, root = new_api(client)
    for i in range(5):
        rid = _res(client, api_id, root, f"p{i}")["id"]
        assert SHORT_ID_RE.match(rid), rid


def test_method_request_parameters_are_not_checked_against_the_path(client):
    # test_put_integration_request_parameter_bool_type / bool-method: a path parameter on the root is accepted
    api_id, root = new_api(client)
    put = client.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE",
                            requestParameters={"method.request.path.testPath": True})
    assert status(put) == 201
    assert put["requestParameters"] == {"method.request.path.testPath": True}


def test_method_request_parameter_that_is_no_mapping_expression(client, raw):
    # test_put_integration_request_parameter_bool_type / put-method-request-param-wrong-type
    api_id, root = new_api(client)
    resp = raw.request("PUT", f"/restapis/{api_id}/resources/{root}/methods/POST", json_body={
        "authorizationType": "NONE", "requestParameters": {"method.request.path.testPath": True, "true": True}})
    assert_aws_error(resp, "BadRequestException", 400,
                     "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
                     "[Invalid mapping expression specified: true]")
    expect_error(client.get_method, "NotFoundException", 404, METHOD_NF, restApiId=api_id, resourceId=root, httpMethod="POST")


def test_update_method_authorizer_and_validator_rules(client):
    # test_update_method_validation / wrong-auth-type, skip-auth-id-with-wrong-type, wrong-auth-id,
    # unsupported-operation-2, wrong-req-validator-id
    api_id, root = new_api(client)
    client.put_method(restApiId=api_id, resourceId=root, httpMethod="ANY", authorizationType="NONE")
    common = {"restApiId": api_id, "resourceId": root, "httpMethod": "ANY"}
    custom = ("Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS "
              "requires a valid authorizer.")
    expect_error(client.update_method, "BadRequestException", 400, custom,
                 patchOperations=[op("replace", "/authorizationType", "CUSTOM")], **common)
    ignored = client.update_method(patchOperations=[op("replace", "/authorizerId", "abc123")], **common)
    assert body(ignored) == {"apiKeyRequired": False, "authorizationType": "NONE", "httpMethod": "ANY"}
    expect_error(client.update_method, "BadRequestException", 400, custom,
                 patchOperations=[op("replace", "/authorizationType", "CUSTOM"), op("replace", "/authorizerId", "abc123")],
                 **common)
    expect_error(client.update_method, "BadRequestException", 400,
                 "Invalid patch operation specified. Must be one of: [replace]",
                 patchOperations=[op("add", "/requestValidatorId", "wrong-id")], **common)
    expect_error(client.update_method, "BadRequestException", 400, "Invalid Request Validator identifier specified",
                 patchOperations=[op("replace", "/requestValidatorId", "fake-id")], **common)
    assert body(client.get_method(**common)) == {"apiKeyRequired": False, "authorizationType": "NONE", "httpMethod": "ANY"}


def test_update_method_response_ops_outside_the_enum_are_listed_by_index(client):
    # test_update_method_response_wrong_operations / -5, test_update_method_response_negative_tests
    api_id, root = new_api(client)
    mock_method(client, api_id, root)
    client.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                               responseParameters={"method.response.header.my-header": False},
                               responseModels={"application/json": "Empty"})
    clause = ("Value 'wrong_op' at 'updateMethodResponseInput.patchOperations.{}.member.op' failed to satisfy "
              "constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]")
    expect_error(client.update_method_response, "ValidationException", 400,
                 "2 validation errors detected: " + clause.format(1) + "; " + clause.format(3),
                 restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200", patchOperations=[
                     op("wrong_op", "/responseParameters/method.response.header.my-header", "true"),
                     op("remove", "/responseModels/application~1json", "Empty"),
                     op("wrong_op", "/responseModels/application~1json", "Empty"),
                 ])
    expect_error(client.update_method_response, "ValidationException", 400,
                 "2 validation errors detected: " + clause.format(1) + "; Value 'wrong' at 'statusCode' failed to "
                 "satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d",
                 restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="wrong", patchOperations=[
                     op("wrong_op", "/responseParameters/method.response.header.my-header", "true")])
    # the valid remove in the refused request did not happen
    assert client.get_method_response(restApiId=api_id, resourceId=root, httpMethod="GET",
                                      statusCode="200")["responseModels"] == {"application/json": "Empty"}
