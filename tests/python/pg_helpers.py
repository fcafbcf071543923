"""PostgreSQL for the certgate tests: a schema per test on the shared server, certgate processes on
it, and a TCP proxy that can cut the database off without touching the server.

The server is the one ``CERTGATE_TEST_POSTGRES`` names (default
``postgres://postgres@127.0.0.1:5432/test``; ``scripts/ensure-postgres`` starts it). Other people and
runs use it at the same time: tests only create and drop their own ``certgate_pytest_*`` schemas and
never stop the server.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from certgate_helpers import CertgateServer, server_binary

PG_URL = os.environ.get("CERTGATE_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")


def new_schema() -> str:
    return f"certgate_pytest_{os.getpid()}_{uuid.uuid4().hex[:12]}"


def store_url(schema: str, via_port: int | None = None) -> str:
    """The ``--store`` URL of ``schema``, optionally through a proxy on ``via_port``."""
    parts = urlsplit(PG_URL)
    if via_port is not None:
        userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        parts = parts._replace(netloc=f"{userinfo}127.0.0.1:{via_port}")
    query = f"{parts.query}&schema={schema}" if parts.query else f"schema={schema}"
    return urlunsplit(parts._replace(query=query))


def psql(sql: str) -> str:
    res = subprocess.run(
        ["psql", PG_URL, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def drop_schema(schema: str) -> None:
    assert schema.startswith("certgate_pytest_")
    psql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def run_certgate(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(server_binary()), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


class PgServer(CertgateServer):
    """A ``certgate serve`` process on a PostgreSQL store URL."""

    def __init__(self, url: str, workdir: Path, max_certificates: int | None = None, **kwargs):
        super().__init__(workdir / "unused.db", workdir, max_certificates=max_certificates, **kwargs)
        self._url = url

    @property
    def store_url(self) -> str:
        return self._url


class CuttableProxy:
    """Forwards TCP connections from a local port to PostgreSQL until told otherwise.

    ``blackhole()`` stalls every open connection and accepts new ones without ever answering: what a
    dead network looks like to certgate. ``refuse()`` closes every connection, open or new: what a
    stopped database looks like. ``restore()`` forwards again (connections that were stalled are
    closed, as a real network failure would have broken them).
    """

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.mode = "forward"
        self.lock = threading.Lock()
        self.conns: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _track(self, *socks: socket.socket) -> None:
        with self.lock:
            self.conns.extend(socks)

    def _close_all(self) -> None:
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            mode = self.mode
            if mode == "refuse":
                client.close()
                continue
            if mode == "blackhole":
                self._track(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            self._track(client, upstream)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                # A stalled network: hold the bytes back for as long as the blackhole lasts.
                while self.mode == "blackhole" and not self.closed:
                    threading.Event().wait(0.05)
                if self.mode != "forward":
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def blackhole(self) -> None:
        self.mode = "blackhole"

    def refuse(self) -> None:
        self.mode = "refuse"
        self._close_all()

    def restore(self) -> None:
        previous, self.mode = self.mode, "forward"
        if previous == "blackhole":
            self._close_all()

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        self._close_all()
