"""Graceful shutdown: SIGTERM stops accepting, finishes the requests in flight within the grace
period and exits 0; every generate that was answered is there after a restart, whole, and none that
was not answered was half done."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlparse

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from certgate_helpers import DEFAULT_REGION, CertgateServer, list_all_ids, make_boto_client, new_account


def start(tmp_path, name: str, *flags: str, store=None) -> CertgateServer:
    store = store or tmp_path / name / "c.db"
    store.parent.mkdir(parents=True, exist_ok=True)
    return CertgateServer(store, tmp_path / f"w-{name}", extra_args=list(flags)).start()


def test_sigterm_finishes_generates_in_flight_and_loses_none(tmp_path):
    # One key at a time and no key pool, so that most generates are still queued or running when
    # SIGTERM comes.
    srv = start(tmp_path, "a", "--keygen-threads=1", "--key-pool-size=0", "--shutdown-grace-seconds=60")
    account = new_account()
    acked: dict[str, str] = {}
    failed: list[str] = []
    first_done = threading.Event()
    lock = threading.Lock()

    # Clients are made first (that is slow in Python), so every request goes out at once.
    clients = [make_boto_client(srv.url, DEFAULT_REGION, account) for _ in range(12)]
    refused: list[str] = []

    def generate(n: int) -> None:
        try:
            cert = clients[n].generate_client_certificate(description=f"in flight {n}")
        except EndpointConnectionError as e:
            # Never connected: the request was not in flight, so it is not lost either.
            with lock:
                refused.append(repr(e))
            return
        except (BotoCoreError, ClientError) as e:
            with lock:
                failed.append(repr(e))
            return
        with lock:
            acked[cert["clientCertificateId"]] = cert["pemEncodedCertificate"]
        first_done.set()

    threads = [threading.Thread(target=generate, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    assert first_done.wait(60)
    srv.proc.send_signal(15)
    with lock:
        acked_before_term = len(acked)
    for t in threads:
        t.join(120)
    assert srv.proc.wait(60) == 0, srv.stderr()
    assert not failed, failed
    # Some generates were answered after SIGTERM: the test really had requests in flight.
    assert len(acked) > acked_before_term
    assert len(acked) + len(refused) == 12
    assert "stopped accepting" in srv.stderr()
    # SQLite removes the write-ahead log when its last connection closes: the store was closed
    # cleanly, not abandoned (a SIGKILL leaves the file behind).
    assert not srv.store.with_name(srv.store.name + "-wal").exists()

    again = start(tmp_path, "a2", store=srv.store)
    try:
        client = make_boto_client(again.url, DEFAULT_REGION, account)
        ids = list_all_ids(client)
        assert sorted(ids) == sorted(acked), "a certificate answered before the stop is missing, or one appeared"
        for cert_id, pem in acked.items():
            assert client.get_client_certificate(clientCertificateId=cert_id)["pemEncodedCertificate"] == pem
    finally:
        again.terminate()


def test_sigterm_stops_accepting_and_new_connections_are_refused(tmp_path):
    srv = start(tmp_path, "b")
    u = urlparse(srv.url)
    srv.proc.send_signal(15)
    assert srv.proc.wait(30) == 0, srv.stderr()
    try:
        socket.create_connection((u.hostname, u.port), timeout=5).close()
        refused = False
    except OSError:
        refused = True
    assert refused


def test_grace_period_bounds_the_wait_for_a_stuck_request(tmp_path):
    # A client that never finishes its body would hold the stop for the 300 s body timeout; the
    # grace period of 1 s ends the wait instead, and the exit is still clean.
    srv = start(tmp_path, "c", "--shutdown-grace-seconds=1", "--body-read-timeout-seconds=300")
    u = urlparse(srv.url)
    stuck = socket.create_connection((u.hostname, u.port), timeout=5)
    stuck.sendall(b"POST /clientcertificates HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    # Give the server a moment to read the head, so the request is in flight when SIGTERM comes.
    time.sleep(1.0)
    srv.proc.send_signal(15)
    assert srv.proc.wait(60) == 0, srv.stderr()
    assert "grace period over" in srv.stderr()
    stuck.close()
