"""Limits against abuse, each set by its flag on the real binary and driven over raw sockets: too many
connections (503), too many requests in flight (429), heads and bodies too large (431, 413), and
clients too slow with their head (closed) or body (408)."""

from __future__ import annotations

import re
import socket
from urllib.parse import urlparse

import pytest
import requests

from certgate_helpers import RawClient, assert_aws_error

REQUEST = b"GET /clientcertificates HTTP/1.1\r\nHost: certgate\r\n\r\n"


@pytest.fixture
def limited(tmp_path):
    """Starts a server with extra flags on its own store."""
    from certgate_helpers import CertgateServer

    started = []

    def start(*flags: str) -> CertgateServer:
        srv = CertgateServer(tmp_path / f"s{len(started)}" / "c.db", tmp_path / f"w{len(started)}",
                             extra_args=list(flags))
        srv.store.parent.mkdir(parents=True, exist_ok=True)
        started.append(srv)
        return srv.start()

    yield start
    for srv in started:
        srv.terminate()


def connect(url: str, timeout: float = 30.0) -> socket.socket:
    u = urlparse(url)
    return socket.create_connection((u.hostname, u.port), timeout=timeout)


def read_response(sock: socket.socket) -> tuple[int, dict, bytes]:
    """Reads one HTTP/1.1 response with a Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed: reads return EOF or the connection is reset."""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_connections_over_the_limit_get_503_and_are_closed(limited):
    srv = limited("--max-connections=2")
    held = [connect(srv.url) for _ in range(2)]
    for s in held:
        s.sendall(REQUEST)
        assert read_response(s)[0] == 200
    extra = connect(srv.url)
    extra.sendall(REQUEST)
    status, headers, body = read_response(extra)
    assert status == 503 and headers["x-amzn-errortype"] == "ServiceUnavailableException", body
    assert headers.get("connection") == "close"
    assert closed_by_server(extra)
    # The connections within the limit still work; once one closes, a new one is served again.
    held[0].sendall(REQUEST)
    assert read_response(held[0])[0] == 200
    # The server frees a connection's place before it closes its side, so once this client has seen
    # the close, the place is free: one new connection must be served, with no retry and no sleep.
    held[1].shutdown(socket.SHUT_WR)
    assert closed_by_server(held[1])
    again = connect(srv.url)
    again.sendall(REQUEST)
    assert read_response(again)[0] == 200


def test_requests_over_the_in_flight_limit_get_429(limited):
    """A place in flight is held while a request is worked on, from the end of its body (a body
    still on its way holds an upload place instead: test_uploads_and_idle.py). With one place and
    no key pool, each generate holds it for an RSA key generation (40-190 ms in a debug build): of
    sixteen released at once by a barrier, some find it taken (for none to, all sixteen would have
    to arrive one after another, each after the previous key was made)."""
    import threading

    srv = limited("--max-in-flight=1", "--key-pool-size=0", "--keygen-threads=1")
    raw = RawClient(srv.url)
    start = threading.Barrier(16)
    answers: list = []

    def generate():
        start.wait()
        answers.append(raw.generate(description="racing"))

    threads = [threading.Thread(target=generate) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in answers)
    assert 201 in statuses and 429 in statuses, statuses
    refused = next(r for r in answers if r.status_code == 429)
    assert_aws_error(refused, "TooManyRequestsException", 429)
    assert refused.headers.get("Retry-After") == "1"
    assert raw.list().status_code == 200
    # The refusals were counted and logged as requests of the operation they asked for (the place
    # in flight is taken once the request is routed and its body read).
    metrics = requests.get(srv.url + "/metrics", timeout=30).text
    line = f'certgate_requests_total{{operation="GenerateClientCertificate",status="429"}} {statuses.count(429)}'
    assert line in metrics, metrics
    assert re.search(r"GenerateClientCertificate.*status=\"?429", srv.stderr()), srv.stderr()


def test_head_larger_than_the_limit_is_431(limited):
    srv = limited("--max-header-bytes=8192")
    raw = RawClient(srv.url, sign=False)
    assert raw.request("GET", "/clientcertificates", headers={"X-Pad": "a" * 2000}).status_code == 200
    resp = raw.request("GET", "/clientcertificates", headers={"X-Pad": "a" * 20000})
    assert resp.status_code == 431


def test_body_larger_than_the_limit_is_413(limited):
    srv = limited("--max-body-bytes=100")
    raw = RawClient(srv.url)
    assert raw.generate(description="small").status_code == 201
    assert_aws_error(raw.generate(description="x" * 200), "RequestEntityTooLargeException", 413)


def test_client_sending_its_head_one_byte_at_a_time_is_cut_off(limited):
    srv = limited("--header-read-timeout-seconds=1")
    s = connect(srv.url, timeout=0.2)
    request = b"GET /clientcertificates HTTP/1.1\r\nHost: certgate\r\nX-Pad: " + b"a" * 60 + b"\r\n\r\n"
    cut_off = False
    for byte in request:
        try:
            s.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            cut_off = True
            break
        if closed_by_server(s):
            cut_off = True
            break
    assert cut_off, "the server let a client send its head at five bytes a second to the end"


def test_client_that_connects_and_says_nothing_is_closed(limited):
    srv = limited("--header-read-timeout-seconds=1")
    s = connect(srv.url, timeout=30)
    assert closed_by_server(s)


def test_client_sending_its_body_one_byte_at_a_time_gets_408(limited):
    srv = limited("--body-read-timeout-seconds=1")
    s = connect(srv.url, timeout=0.2)
    body = b'{"description": "' + b"d" * 100 + b'"}'
    s.sendall(b"POST /clientcertificates HTTP/1.1\r\nHost: certgate\r\nContent-Type: application/json\r\n"
              + f"Content-Length: {len(body)}\r\n\r\n".encode())
    answer = b""
    for byte in body:
        try:
            s.sendall(bytes([byte]))
            answer += s.recv(65536)
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
        if answer:
            break
    # A read returns what has arrived so far, which may be part of the head: read on until the head
    # is whole or the server has closed, instead of judging a fragment.
    s.settimeout(30)
    while b"\r\n\r\n" not in answer:
        try:
            chunk = s.recv(65536)
        except (BrokenPipeError, ConnectionResetError):
            break
        if not chunk:
            break
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"x-amzn-errortype: RequestTimeoutException" in answer.lower().replace(
        b"requesttimeoutexception", b"RequestTimeoutException")
    assert b"connection: close" in answer.lower()
