"""Fixtures for the certgate test-suite.

* ``server``          -- one certgate process shared by the whole session.
* ``server_factory``  -- starts fresh processes (own store) for quota/persistence tests.
* ``account``         -- a fresh 12-digit access key (= account id) per test, so tests
                         on the shared server never see each other's certificates.
* ``client`` / ``raw``-- boto3 / raw-HTTP clients for (server, account, us-east-1).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from certgate_helpers import (  # noqa: E402
    DEFAULT_REGION,
    CertgateServer,
    RawClient,
    make_boto_client,
    new_account,
)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("shared-server")
    srv = CertgateServer(workdir / "certgate.db", workdir).start()
    yield srv
    srv.terminate()


@pytest.fixture
def server_factory(tmp_path):
    """Call ``server_factory(store=None, max_certificates=None)`` to start a new server.

    Without ``store`` each call gets its own database file; pass an earlier
    server's ``.store`` to restart on the same data.
    """
    started: list[CertgateServer] = []

    def start(store: Path | None = None, max_certificates: int | None = None,
              extra_args: tuple[str, ...] = (), env: dict | None = None) -> CertgateServer:
        n = len(started)
        store = store or tmp_path / f"store-{n}" / "certgate.db"
        store.parent.mkdir(parents=True, exist_ok=True)
        srv = CertgateServer(store, tmp_path / f"server-{n}", max_certificates=max_certificates,
                             extra_args=extra_args, env=env)
        started.append(srv)
        return srv.start()

    yield start
    for srv in started:
        srv.terminate()


@pytest.fixture
def account() -> str:
    return new_account()


@pytest.fixture
def make_client(server, account):
    """``make_client(region=..., key=..., url=...)``; defaults: shared server, test's account."""

    def factory(region: str = DEFAULT_REGION, key: str | None = None, url: str | None = None):
        return make_boto_client(url or server.url, region=region, key=key or account)

    return factory


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def raw(server, account) -> RawClient:
    return RawClient(server.url, region=DEFAULT_REGION, key=account)
