"""Wire-level behaviour via raw HTTP: headers, content types, malformed input."""

import json

import pytest
import requests

from certgate_helpers import assert_aws_error, media_type


def _count(raw):
    resp = raw.list(limit=500)
    assert resp.status_code == 200, resp.text
    return len(resp.json().get("item", []))


# --- headers --------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "*/*"])
def test_content_type_is_json_whatever_accept_says(raw, accept):
    headers = {"Accept": accept}
    cid = raw.generate().json()["clientCertificateId"]
    for resp in (
        raw.request("GET", "/clientcertificates", headers=headers),
        raw.request("GET", f"/clientcertificates/{cid}", headers=headers),
        raw.request("POST", "/clientcertificates", json_body={}, headers=headers),
        raw.request("GET", raw.tags_path(cid), headers=headers),
        raw.request("GET", "/clientcertificates/zzzzzz", headers=headers),  # error response too
    ):
        assert resp.status_code in (200, 201, 404), resp.text
        assert media_type(resp) == "application/json", (resp.request.method, resp.url, resp.headers)
        json.loads(resp.content)  # and the body is JSON


def test_content_type_is_json_on_bodiless_responses(raw):
    cid = raw.generate().json()["clientCertificateId"]
    tag = raw.request("PUT", raw.tags_path(cid), json_body={"tags": {"a": "b"}}, headers={"Accept": "text/html"})
    delete = raw.request("DELETE", f"/clientcertificates/{cid}", headers={"Accept": "text/html"})
    assert (tag.status_code, delete.status_code) == (204, 202)
    assert media_type(tag) == "application/json"
    assert media_type(delete) == "application/json"


def test_every_response_has_a_request_id(raw):
    cid = raw.generate().json()["clientCertificateId"]
    responses = [
        raw.request("POST", "/clientcertificates", json_body={"description": "rid"}),
        raw.request("GET", f"/clientcertificates/{cid}"),
        raw.request("GET", "/clientcertificates"),
        raw.request("PATCH", f"/clientcertificates/{cid}", json_body={"patchOperations": []}),
        raw.request("PUT", raw.tags_path(cid), json_body={"tags": {"a": "b"}}),
        raw.request("GET", raw.tags_path(cid)),
        raw.request("DELETE", raw.tags_path(cid), params={"tagKeys": "a"}),
        raw.request("DELETE", f"/clientcertificates/{cid}"),
        raw.request("GET", "/clientcertificates/zzzzzz"),
        raw.request("POST", "/clientcertificates", body=b"{not json"),
        raw.request("GET", "/nope"),
    ]
    for resp in responses:
        assert resp.headers.get("x-amzn-RequestId"), (resp.request.method, resp.url, resp.status_code)


def test_unsigned_request_is_accepted(server):
    from certgate_helpers import RawClient

    resp = RawClient(server.url, sign=False).list()
    assert resp.status_code == 200, resp.text


# --- malformed bodies --------------------------------------------------------


BAD_GENERATE_BODIES = [
    (b"{not json", "malformed"),
    (b'{"description": "unterminated', "truncated"),
    (b"[]", "array-top-level"),
    (b'"just a string"', "string-top-level"),
    (b'{"tags": "x"}', "tags-string"),
    (b'{"tags": ["a", "b"]}', "tags-array"),
    (b'{"description": 42}', "description-number"),
    (b'{"description": ["x"]}', "description-array"),
    (b'{"tags": {"a": 1}}', "tag-value-number"),
    (b'{"description": "\xff\xfe bad utf8"}', "invalid-utf8"),
    (b'{"tags": {"k\xc3": "v"}}', "invalid-utf8-in-key"),
]


@pytest.mark.parametrize("body", [b for b, _ in BAD_GENERATE_BODIES], ids=[i for _, i in BAD_GENERATE_BODIES])
def test_bad_generate_body_is_rejected_and_stores_nothing(raw, body):
    raw.generate()
    before = _count(raw)
    resp = raw.request("POST", "/clientcertificates", body=body)
    assert_aws_error(resp, "BadRequestException", 400)
    assert _count(raw) == before


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"patchOperations": "x"}',
        b'{"patchOperations": [{"op": 1, "path": "/description", "value": "x"}]}',
        b'{"patchOperations": [{"op": "replace", "path": "/description", "value": 7}]}',
        b'{"patchOperations": [{"op": "replace", "path": "/description", "value": "\xff"}]}',
    ],
    ids=["malformed", "ops-string", "op-number", "value-number", "invalid-utf8"],
)
def test_bad_update_body_is_rejected(raw, body):
    cid = raw.generate(description="orig").json()["clientCertificateId"]
    resp = raw.request("PATCH", f"/clientcertificates/{cid}", body=body)
    assert_aws_error(resp, "BadRequestException", 400)
    assert raw.get(cid).json()["description"] == "orig"


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"tags": "x"}', b'{"tags": {"a": 1}}', b'{"tags": {"a": "\xff"}}'],
    ids=["malformed", "tags-string", "tag-value-number", "invalid-utf8"],
)
def test_bad_tag_body_is_rejected(raw, body):
    cid = raw.generate(tags={"orig": "1"}).json()["clientCertificateId"]
    resp = raw.request("PUT", raw.tags_path(cid), body=body)
    assert_aws_error(resp, "BadRequestException", 400)
    assert raw.get(cid).json()["tags"] == {"orig": "1"}


def test_body_over_one_mib_is_rejected_with_413(raw):
    raw.generate()
    before = _count(raw)
    big = json.dumps({"description": "x" * (1024 * 1024 + 100)}).encode()
    resp = raw.request("POST", "/clientcertificates", body=big)
    assert resp.status_code == 413, resp.status_code
    assert resp.headers.get("x-amzn-ErrorType")
    assert resp.headers.get("x-amzn-RequestId")
    assert media_type(resp) == "application/json"
    assert isinstance(resp.json().get("message"), str)
    assert _count(raw) == before


def test_chunked_body_over_one_mib_is_rejected_with_413(raw):
    """Without a Content-Length the limit is found while reading; the sender still gets the 413."""
    raw.generate()
    before = _count(raw)
    chunk = b"x" * 65536
    chunks = [b'{"description": "'] + [chunk] * 24 + [b'"}']  # about 1.5 MiB
    resp = raw.http.post(
        raw.url + "/clientcertificates",
        data=iter(chunks),
        headers={"Content-Type": "application/json"},
        timeout=120,
    )
    assert "Content-Length" not in resp.request.headers
    assert resp.status_code == 413, resp.status_code
    assert resp.headers.get("x-amzn-ErrorType") == "RequestEntityTooLargeException"
    assert isinstance(resp.json().get("message"), str)
    assert _count(raw) == before


# --- unknown routes ------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/nope"),
        ("POST", "/clientcertificates/abcdef"),
        ("PUT", "/clientcertificates"),
        ("GET", "/"),
        ("POST", "/restapis/abcdefghij/nope"),
    ],
)
def test_unknown_route_gets_aws_shaped_error(raw, method, path):
    resp = raw.request(method, path, json_body={} if method in ("POST", "PUT") else None)
    assert_aws_error(resp, None, (404, 405))


def test_server_survives_bad_input_and_stored_nothing(raw):
    raw.generate(description="survivor")
    before = _count(raw)
    bad = [
        ("POST", "/clientcertificates", b"\x00\x01\x02garbage"),
        ("POST", "/clientcertificates", b'{"description": "\xc3\x28"}'),
        ("PATCH", "/clientcertificates/zzzzzz", b"{"),
        ("GET", "/nope/nope/nope", None),
        ("POST", "/clientcertificates", json.dumps({"tags": {"aws:x": "y"}}).encode()),
        ("POST", "/clientcertificates", b"x" * (2 * 1024 * 1024)),
    ]
    for method, path, body in bad:
        try:
            resp = raw.request(method, path, body=body)
        except requests.ConnectionError:
            if body is not None and len(body) > 1024 * 1024:
                continue  # the server may hang up on an oversized upload
            raise
        assert 400 <= resp.status_code < 500, (method, path, resp.status_code)
    # still serving, nothing extra stored
    assert _count(raw) == before
    resp = raw.generate(description="still works")
    assert resp.status_code == 201, resp.text
    assert _count(raw) == before + 1


# --- heads HTTP/1.1 refuses ---------------------------------------------------------------


def _raw_exchange(url: str, head: bytes, body: bytes = b"") -> tuple[int, dict, bytes]:
    """Sends bytes as they are on a new connection and reads the answer until the server closes."""
    import socket
    from urllib.parse import urlsplit

    u = urlsplit(url)
    with socket.create_connection((u.hostname, u.port), timeout=30) as s:
        s.sendall(head + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head_text, _, rest = data.partition(b"\r\n\r\n")
    lines = head_text.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return int(lines[0].split()[1]), headers, rest


@pytest.mark.parametrize(
    "head,message",
    [
        (b"GET /clientcertificates HTTP/1.1\r\nConnection: close\r\n\r\n",
         "The request must carry exactly one Host header"),
        (b"GET /clientcertificates HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
         "The request must carry exactly one Host header"),
        (b"POST /clientcertificates HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
         "Transfer-Encoding other than chunked is not supported"),
        (b"POST /clientcertificates HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n",
         "Transfer-Encoding other than chunked is not supported"),
    ],
)
def test_heads_that_http_1_1_refuses_get_400(server, raw, head, message):
    before = _count(raw)
    status, headers, body = _raw_exchange(server.url, head, b"2\r\n{}\r\n0\r\n\r\n" if b"POST" in head else b"")
    assert status == 400, body
    assert headers["x-amzn-errortype"] == "BadRequestException"
    assert json.loads(body)["message"] == message
    assert _count(raw) == before


def test_a_chunked_body_and_an_http_1_0_request_without_host_are_served(server):
    status, _, body = _raw_exchange(
        server.url,
        b"POST /clientcertificates HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n"
        b"Content-Type: application/json\r\nConnection: close\r\n\r\n",
        b"2\r\n{}\r\n0\r\n\r\n",
    )
    assert status == 201, body
    status, _, body = _raw_exchange(server.url, b"GET /clientcertificates HTTP/1.0\r\n\r\n")
    assert status == 200, body


def test_an_oversized_body_behind_expect_100_continue_is_refused_before_it_is_sent(server):
    import time

    started = time.monotonic()
    status, headers, body = _raw_exchange(
        server.url,
        b"POST /clientcertificates HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
        b"Content-Length: 10485760\r\nExpect: 100-continue\r\n\r\n",
    )
    # The first answer is the 413 itself (no `100 Continue` inviting 10 MiB), at once (no wait for
    # a body to drain), and the connection is closed after it.
    assert status == 413, body
    assert headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    assert headers.get("connection") == "close"
    assert time.monotonic() - started < 3
