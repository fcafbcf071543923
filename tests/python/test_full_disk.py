"""A full disk (issue 15): SQLite then refuses every write while reads go on, and
`/_certgate/health` must say so instead of ok, then ok again once there is room. The store lives on
a small tmpfs this test mounts (root only); where mounting is not possible the test is skipped."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from certgate_helpers import CertgateServer, RawClient


@pytest.fixture
def small_disk():
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    where = Path(tempfile.mkdtemp(prefix="certgate-fulldisk-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        os.rmdir(where)
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)
        os.rmdir(where)


def fill(directory: Path) -> Path:
    """Writes a file until the filesystem is full."""
    filler = directory / "filler"
    # Unbuffered, so that the write that finds the disk full is the one that fails, not the close.
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def health(url: str) -> requests.Response:
    return requests.get(url + "/_certgate/health", timeout=30)


def wait_for(url: str, status: int, seconds: float = 20) -> requests.Response:
    end = time.monotonic() + seconds
    while True:
        resp = health(url)
        if resp.status_code == status or time.monotonic() > end:
            return resp
        time.sleep(0.5)


def test_health_reports_a_store_that_cannot_write(small_disk, tmp_path):
    srv = CertgateServer(small_disk / "certgate.db", tmp_path, extra_args=["--key-pool-size=0"]).start()
    try:
        raw = RawClient(srv.url)
        assert raw.generate(description="before the disk filled").status_code == 201
        assert health(srv.url).status_code == 200
        filler = fill(small_disk)
        statuses = [raw.generate(description="x" * 1000).status_code for _ in range(3)]
        assert all(s >= 500 for s in statuses), statuses
        resp = wait_for(srv.url, 503)
        assert resp.status_code == 503, resp.text
        report = resp.json()
        assert report["status"] == "unavailable" and report["store"]["ok"] is False, report
        assert report["store"]["error"] == "store cannot write", report
        # Reads still work; the node is out of rotation for writes it cannot take.
        assert raw.list().status_code == 200
        filler.unlink()
        assert wait_for(srv.url, 200).status_code == 200
        assert raw.generate(description="after").status_code == 201
    finally:
        srv.terminate()
