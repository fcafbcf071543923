"""An HTTPS backend for invoking stages (issue 14), in this process: Python's ``ssl`` with
``CERT_REQUIRED`` and, as the only client certificates it trusts, the PEMs certgate generated.

* ``TestCA`` makes a CA with ``cryptography`` and issues the backend's own certificate (for
  ``localhost`` and ``127.0.0.1``); ``TestCA.write(path)`` gives the file for ``--backend-ca-file``.
* ``MtlsBackend(ca, trusted=[pem, ...])`` listens on 127.0.0.1:0 with HTTP/1.1 keep-alive (and
  HTTP/2 by ALPN with ``http2=True``). ``require="required"`` (default) demands a client certificate
  chaining to ``trusted``; ``"none"`` never asks for one. ``trust(pems)`` changes the accepted set for
  the handshakes that follow (open connections keep theirs). ``server_cert`` picks the backend's own
  certificate: ``"good"``, ``"untrusted"`` (signed by a CA certgate was not given), ``"wrong_host"``
  (for another name) or ``"expired"``.
* Every request is recorded (``records``): method, raw path, query pairs, every header with every
  value, body, the protocol, the connection it came on and the DER of the client certificate that
  connection presented. Every failed handshake is recorded too (``handshake_failures``).
* Answers: a JSON echo by default; ``.../status/{code}`` answers that status (with the echo);
  ``.../delay/{ms}`` waits that long first; ``.../headers`` answers the headers API Gateway remaps
  (Server, Date, Connection, Content-MD5, Max-Forwards, User-Agent, WWW-Authenticate, Authorization)
  and a two-valued ``X-Custom``; ``.../big/{n}`` answers n bytes; ``.../chunked-answer`` answers
  ``CHUNKS`` with Transfer-Encoding: chunked; ``.../hangup`` closes the
  connection without an answer. Every answer has a Content-Length. ``plain=True``: no TLS at all.
  ``idle_timeout``: how long a kept-alive connection may idle before the backend closes it.
"""

from __future__ import annotations

import datetime
import hashlib
import http.server
import ipaddress
import json
import re
import socket
import socketserver
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# The odd headers /headers answers, with values a test can look for.
BACKEND_DATE = "Mon, 01 Jan 2001 00:00:00 GMT"
REMAPPED_HEADERS = {
    "Server": "mtls-backend/1.0",
    "Date": BACKEND_DATE,
    "Connection": "keep-alive",
    "Content-MD5": "Q2hlY2sgSW50ZWdyaXR5IQ==",
    "Max-Forwards": "7",
    "User-Agent": "backend-agent/1.0",
    "WWW-Authenticate": 'Basic realm="backend"',
    "Authorization": "Bearer backend-token",
}
X_CUSTOM = ["first", "second"]
SET_COOKIES = ["a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT"]


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def der_of_pem(pem: str) -> bytes:
    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)


def fingerprint(der: bytes | None) -> str | None:
    return hashlib.sha256(der).hexdigest() if der else None


def pem_fingerprint(pem: str) -> str:
    return fingerprint(der_of_pem(pem))


class TestCA:
    """A certificate authority for test backends (EC P-256: quick to make)."""

    __test__ = False  # not a pytest test class

    def __init__(self, cn: str = "certgate test backend CA"):
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(_name(cn))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = _pem(self.cert)

    def write(self, path: Path) -> Path:
        path = Path(path)
        path.write_text(self.pem)
        return path

    def issue(self, hosts=("localhost", "127.0.0.1"), expired: bool = False) -> tuple[str, str]:
        """A server certificate for `hosts` (names or IP addresses): (certificate PEM, key PEM)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        if expired:
            not_before, not_after = now - datetime.timedelta(days=60), now - datetime.timedelta(days=30)
        else:
            not_before, not_after = now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)
        sans = []
        for h in hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(h)))
            except ValueError:
                sans.append(x509.DNSName(h))
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(hosts[0]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        return _pem(cert), key_pem


@dataclass
class Record:
    """One request as the backend received it."""

    method: str
    raw_path: str  # the request target's path, as sent (percent-encoded)
    query: list  # [(name, value)], in order, repeated names kept
    headers: list  # [(name, value)], in order, every value
    body: bytes
    cert: bytes | None  # DER of the client certificate the connection presented
    conn: int  # which connection (1, 2, ... in accept order)
    protocol: str  # "HTTP/1.1" or "h2"
    raw_query: str = ""  # the query string, as sent
    at: float = field(default_factory=time.monotonic)

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def header_names(self) -> set[str]:
        return {k.lower() for k, _ in self.headers}

    @property
    def cert_sha256(self) -> str | None:
        return fingerprint(self.cert)


@dataclass
class Connection:
    id: int
    cert: bytes | None
    alpn: str | None
    at: float = field(default_factory=time.monotonic)


def _echo(rec: Record) -> dict:
    try:
        text = rec.body.decode() if len(rec.body) <= 65536 else None
    except UnicodeDecodeError:
        text = None
    return {
        "method": rec.method,
        "path": rec.raw_path,
        "query": rec.query,
        "headers": rec.headers,
        "body": text,
        "body_length": len(rec.body),
        "body_sha256": hashlib.sha256(rec.body).hexdigest(),
        "certificate_sha256": rec.cert_sha256,
        "protocol": rec.protocol,
        "conn": rec.conn,
    }


STATUS_RE = re.compile(r"/status/(\d{3})$")
DELAY_RE = re.compile(r"/delay/(\d+)$")
CHUNKS = [b"one, ", b"two, ", b"three"]
BIG_RE = re.compile(r"/big/(\d+)$")


def _answer(rec: Record) -> tuple[int, list, bytes, float]:
    """(status, headers, body, delay in seconds) for a request."""
    path = urlsplit(rec.raw_path).path
    delay = 0.0
    status = 200
    headers = [("Content-Type", "application/json")]
    if m := DELAY_RE.search(path):
        delay = int(m.group(1)) / 1000
    if m := STATUS_RE.search(path):
        status = int(m.group(1))
    if m := BIG_RE.search(path):
        return status, [("Content-Type", "application/octet-stream")], b"b" * int(m.group(1)), delay
    if path.endswith("/headers"):
        headers = [("Content-Type", "application/json"), *REMAPPED_HEADERS.items()]
        headers += [("X-Custom", v) for v in X_CUSTOM]
        headers += [("Set-Cookie", v) for v in SET_COOKIES]
        return status, headers, b'{"headers": true}', delay
    body = b"" if status in (204, 304) else json.dumps(_echo(rec)).encode()
    return status, headers, body, delay


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mtls-backend/1.0"

    def log_message(self, *args):  # quiet
        pass

    # --- TLS, in this connection's own thread -----------------------------------------------
    def setup(self):
        backend: MtlsBackend = self.server.backend
        self.tls_ok = False
        raw = self.request
        raw.settimeout(backend.idle_timeout)
        if backend.plain:
            self.conn = backend._connected(raw)
            self.tls_ok = True
            super().setup()
            return
        try:
            tls = backend.context().wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as e:
            backend._failed_handshake(e)
            try:
                raw.close()
            except OSError:
                pass
            return
        self.request = self.connection = tls
        self.conn = backend._connected(tls)
        self.tls_ok = True
        super().setup()

    def handle(self):
        if not self.tls_ok:
            return
        if self.conn.alpn == "h2":
            _serve_h2(self.server.backend, self.request, self.conn)
            return
        try:
            super().handle()
        except (ssl.SSLError, OSError):
            pass

    def finish(self):
        if not self.tls_ok:
            return
        try:
            super().finish()
        except (ssl.SSLError, OSError):
            pass
        self.server.backend._disconnected(self.request)
        try:
            self.request.close()
        except OSError:
            pass

    # --- HTTP/1.1 ------------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self):
        backend: MtlsBackend = self.server.backend
        # (an Expect: 100-continue is answered by http.server itself)
        body = self._read_body()
        split = urlsplit(self.path)
        rec = Record(
            method=self.command,
            raw_path=split.path,
            query=parse_qsl(split.query, keep_blank_values=True),
            headers=list(self.headers.items()),
            body=body,
            cert=self.conn.cert,
            conn=self.conn.id,
            protocol="HTTP/1.1",
            raw_query=split.query,
        )
        backend._record(rec)
        if split.path.endswith("/chunked-answer"):
            # an answer framed by Transfer-Encoding: chunked, no Content-Length
            self.send_response_only(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in CHUNKS:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return
        if split.path.endswith("/hangup"):
            # no answer at all: the connection is closed under the request
            self.close_connection = True
            self.request.shutdown(socket.SHUT_RDWR)
            return
        status, headers, payload, delay = _answer(rec)
        if delay:
            time.sleep(delay)
        # send_response_only: no Server or Date unless the route asks for them.
        self.send_response_only(status)
        for k, v in headers:
            self.send_header(k, v)
        if self.command == "HEAD":
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
        else:
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        self.wfile.flush()

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)


def _serve_h2(backend: "MtlsBackend", sock: ssl.SSLSocket, conn: Connection) -> None:
    import h2.config
    import h2.connection
    import h2.events

    h2c = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    h2c.initiate_connection()
    sock.sendall(h2c.data_to_send())
    streams: dict[int, list] = {}
    while True:
        try:
            data = sock.recv(65535)
        except (OSError, ssl.SSLError):
            return
        if not data:
            return
        for event in h2c.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                streams[event.stream_id] = [event.headers, bytearray()]
            elif isinstance(event, h2.events.DataReceived):
                streams[event.stream_id][1] += event.data
                h2c.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                hdrs, body = streams.pop(event.stream_id)
                pseudo = {k: v for k, v in hdrs if k.startswith(":")}
                split = urlsplit(pseudo.get(":path", "/"))
                rec = Record(
                    method=pseudo.get(":method", "GET"),
                    raw_path=split.path,
                    query=parse_qsl(split.query, keep_blank_values=True),
                    headers=[(k, v) for k, v in hdrs if not k.startswith(":")]
                    + ([("host", pseudo[":authority"])] if ":authority" in pseudo else []),
                    body=bytes(body),
                    cert=conn.cert,
                    conn=conn.id,
                    protocol="h2",
                    raw_query=split.query,
                )
                backend._record(rec)
                status, headers, payload, _ = _answer(rec)
                out = [(":status", str(status))] + [(k.lower(), v) for k, v in headers
                                                    if k.lower() not in ("connection",)]
                out.append(("content-length", str(len(payload))))
                h2c.send_headers(event.stream_id, out, end_stream=not payload)
                if payload:
                    h2c.send_data(event.stream_id, payload, end_stream=True)
            elif isinstance(event, h2.events.ConnectionTerminated):
                sock.sendall(h2c.data_to_send())
                return
        out = h2c.data_to_send()
        if out:
            sock.sendall(out)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):  # quiet
        pass


class MtlsBackend:
    """See the module's docstring."""

    def __init__(self, ca: TestCA, trusted=(), require: str = "required", server_cert: str = "good",
                 http2: bool = False, idle_timeout: float = 30.0, plain: bool = False):
        assert require in ("required", "none"), require
        self.ca = ca
        self.plain = plain  # no TLS at all: plain HTTP/1.1
        self.require = require
        self.http2 = http2
        self.idle_timeout = idle_timeout
        self._dir = Path(tempfile.mkdtemp(prefix="mtls-backend-"))
        if server_cert == "good":
            cert_pem, key_pem = ca.issue()
        elif server_cert == "untrusted":
            cert_pem, key_pem = TestCA("a CA certgate does not trust").issue()
        elif server_cert == "wrong_host":
            cert_pem, key_pem = ca.issue(hosts=("wrong.example.com",))
        elif server_cert == "expired":
            cert_pem, key_pem = ca.issue(expired=True)
        else:
            raise ValueError(server_cert)
        self.cert_file = self._dir / "server.pem"
        self.key_file = self._dir / "server.key"
        self.cert_file.write_text(cert_pem)
        self.key_file.write_text(key_pem)
        self._lock = threading.Lock()
        self.records: list[Record] = []
        self.connections: list[Connection] = []
        self.handshake_failures: list[str] = []
        self._open: set = set()
        self._trusted: list[str] = []
        self._context = None
        self.trust(trusted)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.backend = self
        self.port = self._server.server_address[1]
        self.url = f"{'http' if plain else 'https'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    # --- trust -------------------------------------------------------------------------------
    def trust(self, pems) -> None:
        """Accept exactly these client certificates (PEM strings) from the next handshake on."""
        pems = [pems] if isinstance(pems, str) else list(pems)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.cert_file, self.key_file)
        if self.http2:
            ctx.set_alpn_protocols(["h2", "http/1.1"])
        else:
            ctx.set_alpn_protocols(["http/1.1"])
        if self.require == "required":
            ctx.verify_mode = ssl.CERT_REQUIRED
            # Every certificate certgate generates has the same subject (C=US, L=Seattle,
            # CN=ApiGateway, as AWS's): with two of them trusted, OpenSSL looks the issuer of a
            # self-signed certificate up by name, takes the first, and refuses the second
            # ("self-signed certificate"). A partial chain lets a trusted certificate anchor
            # itself, so that both are accepted during a rotation.
            ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
            if pems:
                ctx.load_verify_locations(cadata="\n".join(pems))
            else:
                # Demand a certificate but trust none: every client certificate is refused.
                ctx.load_verify_locations(cadata=TestCA("trusts nobody").pem)
        else:
            ctx.verify_mode = ssl.CERT_NONE
        with self._lock:
            self._trusted = pems
            self._context = ctx

    def context(self) -> ssl.SSLContext:
        with self._lock:
            return self._context

    # --- bookkeeping (called from connection threads) ------------------------------------------
    def _connected(self, sock) -> Connection:
        tls = isinstance(sock, ssl.SSLSocket)
        cert = sock.getpeercert(binary_form=True) if tls and self.require == "required" else None
        alpn = sock.selected_alpn_protocol() if tls else None
        with self._lock:
            conn = Connection(id=len(self.connections) + 1, cert=cert, alpn=alpn)
            self.connections.append(conn)
            self._open.add(sock)
        return conn

    def _disconnected(self, tls) -> None:
        with self._lock:
            self._open.discard(tls)

    def _failed_handshake(self, e: Exception) -> None:
        with self._lock:
            self.handshake_failures.append(f"{type(e).__name__}: {e}")

    def _record(self, rec: Record) -> None:
        with self._lock:
            self.records.append(rec)

    # --- for tests -----------------------------------------------------------------------------
    def last(self) -> Record:
        with self._lock:
            assert self.records, "the backend received no request"
            return self.records[-1]

    def snapshot(self) -> list[Record]:
        with self._lock:
            return list(self.records)

    def clear(self) -> None:
        with self._lock:
            self.records.clear()
            self.handshake_failures.clear()

    def wait_for(self, predicate, timeout: float = 5.0, interval: float = 0.02):
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                value = predicate(self)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"backend: condition not met within {timeout} s")
            time.sleep(interval)

    def drop_connections(self) -> None:
        """Closes every open connection (as a backend restart would)."""
        with self._lock:
            open_, self._open = list(self._open), set()
        for s in open_:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.drop_connections()

    def __enter__(self) -> "MtlsBackend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def closed_port() -> int:
    """A local port nothing listens on."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
