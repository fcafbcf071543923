"""Clients that hold the server's places without doing any work (issue 15, findings 1 and 2): bodies
that never arrive, over HTTP/1 and HTTP/2, must not hold the places meant for work; what the head
alone refuses is refused before the body; idle HTTP/2 connections are closed like idle HTTP/1 ones."""

from __future__ import annotations

import socket
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import pytest

from certgate_helpers import RawClient, assert_aws_error
from test_limits import closed_by_server, connect, limited, read_response  # noqa: F401 (fixture)

HEAD = (b"POST /clientcertificates HTTP/1.1\r\nHost: certgate\r\nContent-Type: application/json\r\n"
        b"Content-Length: 10\r\n")


def stall_after_continue(url: str) -> socket.socket:
    """Sends the head of a generate with `Expect: 100-continue` and returns once the server has
    asked for the body (hyper sends the 100 when the handler first reads it): from then on the
    request waits for a body that never comes, with no timing assumed."""
    s = connect(url)
    s.sendall(HEAD + b"Expect: 100-continue\r\n\r\n")
    status, _, extra = read_response(s)
    assert (status, extra) == (100, b""), (status, extra)
    return s


def test_stalled_uploads_hold_no_place_in_flight(limited):
    srv = limited("--max-in-flight=2", "--max-uploads=5", "--body-read-timeout-seconds=120")
    stalled = [stall_after_continue(srv.url) for _ in range(4)]
    # Twice as many stalled bodies as places in flight: work still gets done.
    raw = RawClient(srv.url)
    assert raw.list().status_code == 200
    assert raw.generate(description="while four bodies stall").status_code == 201
    # The upload places are all taken: a sixth body is refused at once, before it is read, while
    # requests without a body are still served.
    stalled.append(stall_after_continue(srv.url))
    s = connect(srv.url, timeout=5)
    s.sendall(HEAD + b"\r\n")
    status, headers, _ = read_response(s)
    assert status == 429 and headers.get("retry-after") == "1", (status, headers)
    assert raw.list().status_code == 200
    for s in stalled:
        s.close()


def test_stalled_uploads_without_expect_hold_no_place_in_flight(limited):
    srv = limited("--max-in-flight=1", "--body-read-timeout-seconds=120")
    stalled = []
    for _ in range(8):
        s = connect(srv.url)
        s.sendall(HEAD + b"\r\n")
        stalled.append(s)
    time.sleep(1)  # the heads are read and their handlers wait for the bodies
    raw = RawClient(srv.url)
    for _ in range(5):
        assert raw.list().status_code == 200


def answered_within(s: socket.socket, seconds: float) -> tuple[int, dict, bytes]:
    s.settimeout(seconds)
    try:
        return read_response(s)
    except socket.timeout:
        pytest.fail(f"no answer within {seconds} s: the server waited for the body")


def test_what_the_head_refuses_is_refused_before_the_body(limited, tmp_path):
    creds = tmp_path / "credentials.toml"
    creds.write_text('[[credential]]\naccess_key_id = "AKIAHEADONLY0001"\nsecret_access_key = "s"\n'
                     'account_id = "111111111111"\npermission = "full"\n')
    srv = limited("--auth=sigv4", f"--credentials={creds}", "--body-read-timeout-seconds=120")
    # No credentials at all.
    s = connect(srv.url)
    s.sendall(HEAD + b"\r\n")
    status, headers, body = answered_within(s, 5)
    assert status == 403 and b"MissingAuthenticationToken" in body + str(headers).encode(), (status, body)
    # An access key the credentials file does not list.
    auth = (b"Authorization: AWS4-HMAC-SHA256 Credential=AKIANOTLISTED000/20260101/us-east-1/apigateway/"
            b"aws4_request, SignedHeaders=host;x-amz-date, Signature=" + b"0" * 64 + b"\r\n"
            b"X-Amz-Date: 20260101T000000Z\r\n")
    s = connect(srv.url)
    s.sendall(HEAD + auth + b"\r\n")
    status, headers, body = answered_within(s, 5)
    assert status == 403 and b"UnrecognizedClient" in body + str(headers).encode(), (status, body)


def test_unknown_routes_and_oversized_lengths_are_refused_before_the_body(limited):
    srv = limited("--max-body-bytes=1000", "--body-read-timeout-seconds=120")
    s = connect(srv.url)
    s.sendall(b"POST /nothing-here HTTP/1.1\r\nHost: certgate\r\nContent-Length: 10\r\n\r\n")
    status, _, _ = answered_within(s, 5)
    assert status in (404, 400), status
    # Without `Expect`: the answer comes at once, not after the body (or the drain's 5 s wait).
    s = connect(srv.url)
    started = time.monotonic()
    s.sendall(HEAD.replace(b"Content-Length: 10", b"Content-Length: 5000") + b"\r\n")
    status, _, _ = answered_within(s, 3)
    assert status == 413 and time.monotonic() - started < 3
    # A body that is sent anyway is read and thrown away, so its client sees the answer.
    raw = RawClient(srv.url)
    assert_aws_error(raw.generate(description="x" * 3000), "RequestEntityTooLargeException", 413)


class H2:
    """An HTTP/2 connection driven frame by frame with the h2 package."""

    def __init__(self, url: str):
        self.sock = connect(url, timeout=10)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.flush()
        self.responses: dict[int, int] = {}
        self.closed = False
        self.goaway = False

    def flush(self) -> None:
        self.sock.sendall(self.conn.data_to_send())

    def stall(self) -> int:
        """Opens a stream with the head of a generate and no body."""
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(":method", "POST"), (":path", "/clientcertificates"),
                                     (":scheme", "http"), (":authority", "certgate"),
                                     ("content-type", "application/json"), ("content-length", "10")])
        self.flush()
        return sid

    def get(self, path: str) -> int:
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(":method", "GET"), (":path", path), (":scheme", "http"),
                                     (":authority", "certgate")], end_stream=True)
        self.flush()
        return sid

    def pump(self, seconds: float) -> None:
        """Reads frames for `seconds` (or until the server closes), recording answers."""
        end = time.monotonic() + seconds
        while not self.closed and time.monotonic() < end:
            self.sock.settimeout(max(0.05, end - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if not data:
                self.closed = True
                break
            if self.goaway:
                continue  # after GOAWAY only the end of the socket is awaited
            try:
                events = self.conn.receive_data(data)
            except h2.exceptions.ProtocolError:
                # Frames after a GOAWAY in the same read (its ping): the connection is closing.
                self.goaway = True
                continue
            for event in events:
                if isinstance(event, h2.events.ResponseReceived):
                    self.responses[event.stream_id] = int(dict(event.headers)[b":status"])
                if isinstance(event, h2.events.ConnectionTerminated):
                    self.goaway = True
            self.flush()


def test_http2_streams_waiting_for_bodies_hold_no_place_in_flight(limited):
    srv = limited("--max-in-flight=1", "--body-read-timeout-seconds=120")
    conn = H2(srv.url)
    stalled = [conn.stall() for _ in range(4)]
    conn.pump(1)
    assert all(sid not in conn.responses for sid in stalled), conn.responses
    raw = RawClient(srv.url)
    for _ in range(3):
        assert raw.list().status_code == 200
    # One connection holds at most four upload places: further stalled streams get 429 at once.
    more = [conn.stall() for _ in range(3)]
    conn.pump(2)
    assert [conn.responses.get(sid) for sid in more] == [429, 429, 429], conn.responses


def test_idle_http2_connections_are_closed_and_free_their_places(limited):
    srv = limited("--max-connections=3", "--header-read-timeout-seconds=2")
    preface_only = []
    for _ in range(3):
        s = connect(srv.url, timeout=10)
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        preface_only.append(s)
    started = time.monotonic()
    for s in preface_only:
        assert closed_by_server(s), "an HTTP/2 connection that sent only its preface stayed open"
    # The header timeout, plus the 2 s an idle connection is given to take its GOAWAY.
    assert time.monotonic() - started < 8
    assert RawClient(srv.url).list().status_code == 200
    # A client that made a request, answers pings and then says nothing is closed too.
    conn = H2(srv.url)
    sid = conn.get("/clientcertificates")
    conn.pump(1)
    assert conn.responses.get(sid) == 200
    conn.pump(8)
    assert conn.goaway and conn.closed, "an idle HTTP/2 connection that had made a request stayed open"
