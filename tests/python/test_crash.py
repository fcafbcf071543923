"""Crash consistency: concurrent generates, updates and deletes while the server is killed with
SIGKILL at random moments, many times, and restarted on the same store: the embedded SQLite file,
and a fresh PostgreSQL schema (dropped afterwards). Every request that was answered with success
must be reflected exactly afterwards; a request cut off by the kill may or may not have happened,
but never half.

Bounded by CRASH_SECONDS per engine (default 30). The number of kills survived is printed (pytest -s
shows it) and written, one JSON line per engine, to the file named by CERTGATE_CRASH_REPORT, if set."""

from __future__ import annotations

import base64
import json
import os
import random
import threading
import time

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from cryptography import x509

from certgate_helpers import DEFAULT_REGION, CertgateServer, list_all_ids, make_boto_client, new_account
from pg_helpers import PgServer, drop_schema, new_schema, store_url

CRASH_SECONDS = float(os.environ.get("CERTGATE_CRASH_SECONDS", "30"))
WORKERS = 6
QUOTA = 1000


class Store:
    """Where every life of the server keeps its data: a SQLite file or a PostgreSQL schema URL."""

    def __init__(self, sqlite_file=None, pg_url: str | None = None, key_file=None):
        self.sqlite_file, self.pg_url, self.key_file = sqlite_file, pg_url, key_file

    def server(self, workdir, max_certificates: int | None, extra_args: list[str] | None = None) -> CertgateServer:
        if self.pg_url is not None:
            # The test's own master key, so that no life of the server takes (or leaves) one in
            # ./certgate-data, the default for stores that are not files.
            args = ["--master-key-file", str(self.key_file), *(extra_args or [])]
            return PgServer(self.pg_url, workdir, max_certificates=max_certificates, extra_args=args)
        return CertgateServer(self.sqlite_file, workdir, max_certificates=max_certificates, extra_args=extra_args)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "store" / "certgate.db"
        path.parent.mkdir(parents=True)
        yield Store(sqlite_file=path)
        return
    key_file = tmp_path / "master.key"
    key_file.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    key_file.chmod(0o600)
    schema = new_schema()
    try:
        yield Store(pg_url=store_url(schema), key_file=key_file)
    finally:
        drop_schema(schema)


class Cluster:
    """The one server process, replaced after every kill; workers follow its current URL."""

    def __init__(self, tmp_path, store: Store):
        self.tmp_path = tmp_path
        self.store = store
        self.lock = threading.Lock()
        self.up = threading.Event()
        self.restarts = 0
        self.srv = self._start()

    def _start(self) -> CertgateServer:
        srv = self.store.server(self.tmp_path / f"run-{self.restarts}", QUOTA,
                                extra_args=["--keygen-threads=2"]).start()
        self.up.set()
        return srv

    def url(self) -> str:
        self.up.wait(60)
        with self.lock:
            return self.srv.url

    def kill_and_restart(self) -> None:
        with self.lock:
            self.up.clear()
            self.srv.proc.kill()
            self.srv.proc.wait(10)
            self.restarts += 1
            self.srv = self._start()


class Worker(threading.Thread):
    """Works on its own account only, so what it was told is the whole truth of that scope."""

    def __init__(self, cluster: Cluster, stop: threading.Event, seed: int):
        super().__init__(daemon=True)
        self.cluster, self.stop, self.rng = cluster, stop, random.Random(seed)
        self.account = new_account()
        self.live: dict[str, dict] = {}          # acknowledged and not deleted: id -> {pem, description}
        self.deleted: set[str] = set()           # acknowledged deletes
        self.uncertain: dict[str, dict] = {}     # an update or delete was cut off: may or may not have happened
        self.generates_in_doubt = 0              # generates cut off: a certificate may exist that nobody was told of
        self.acked = 0
        self.errors: list[str] = []
        self.cutoffs: list[str] = []

    def run(self) -> None:
        url = self.cluster.url()
        client = make_boto_client(url, DEFAULT_REGION, self.account)
        while not self.stop.is_set():
            if self.cluster.url() != url:
                url = self.cluster.url()
                client = make_boto_client(url, DEFAULT_REGION, self.account)
            op = "generate" if len(self.live) < 3 else self.rng.choice(["generate", "update", "update", "delete"])
            cert_id = self.rng.choice(sorted(self.live)) if self.live and op != "generate" else None
            description = f"d{self.rng.randrange(10**9)}"
            try:
                if op == "generate":
                    out = client.generate_client_certificate(description=description)
                    self.live[out["clientCertificateId"]] = {"pem": out["pemEncodedCertificate"],
                                                             "description": description}
                elif op == "update":
                    client.update_client_certificate(
                        clientCertificateId=cert_id,
                        patchOperations=[{"op": "replace", "path": "/description", "value": description}])
                    self.live[cert_id]["description"] = description
                else:
                    client.delete_client_certificate(clientCertificateId=cert_id)
                    self.deleted.add(cert_id)
                    del self.live[cert_id]
                self.acked += 1
            except ClientError as e:
                # The server answered an error: nothing acknowledged, but nothing may be wrong either.
                self.errors.append(f"{op} {cert_id}: {e.response['Error']}")
            except BotoCoreError as e:
                self.cutoffs.append(type(e).__name__)
                # Cut off by the kill: the outcome is unknown until checked.
                if op == "generate":
                    self.generates_in_doubt += 1
                else:
                    self.uncertain[cert_id] = {**self.live.pop(cert_id), "op": op, "wanted": description}
                time.sleep(0.05)


class RestApiWorker(threading.Thread):
    """Grows one REST API's resource tree and rewrites a stage's description while the server is
    killed: every acknowledged resource must survive whole, in a tree whose paths still agree with
    its parents, and the stage must hold a description it was told (or the one cut off)."""

    def __init__(self, cluster: Cluster, stop: threading.Event, seed: int):
        super().__init__(daemon=True)
        self.cluster, self.stop, self.rng = cluster, stop, random.Random(seed)
        self.account = new_account()
        self.api_id = self.root = None
        self.resources: dict[str, str] = {}     # acknowledged: id -> path
        self.description = None                 # the last acknowledged stage description
        self.in_doubt: set[str] = set()         # descriptions whose update was cut off
        self.acked = 0
        self.errors: list[str] = []

    def setup(self, client) -> None:
        # A set-up cut off by a kill starts again on a new API: only a whole one is worked on.
        api = client.create_rest_api(name="crash")
        api_id, root = api["id"], api["rootResourceId"]
        client.put_method(restApiId=api_id, resourceId=root, httpMethod="GET",
                          authorizationType="NONE")
        client.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
        client.create_deployment(restApiId=api_id, stageName="prod")
        self.api_id, self.root = api_id, root

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            client = make_boto_client(self.cluster.url(), DEFAULT_REGION, self.account)
            try:
                if self.api_id is None:
                    self.setup(client)
                elif self.rng.random() < 0.5:
                    n += 1
                    parent = self.rng.choice([self.root, *sorted(self.resources)])
                    out = client.create_resource(restApiId=self.api_id, parentId=parent,
                                                 pathPart=f"p{n}")
                    self.resources[out["id"]] = out["path"]
                else:
                    wanted = f"d{self.rng.randrange(10**9)}"
                    self.in_doubt.add(wanted)
                    client.update_stage(restApiId=self.api_id, stageName="prod", patchOperations=[
                        {"op": "replace", "path": "/description", "value": wanted}])
                    self.in_doubt.discard(wanted)
                    self.description = wanted
                self.acked += 1
            except ClientError as e:
                self.errors.append(str(e.response["Error"]))
            except BotoCoreError:
                # Cut off by the kill: a resource may or may not exist; it was never acknowledged.
                time.sleep(0.05)

    def check(self, url: str) -> None:
        if self.api_id is None:
            return
        client = make_boto_client(url, DEFAULT_REGION, self.account)
        items = client.get_resources(restApiId=self.api_id, limit=500)["items"]
        by_id = {r["id"]: r for r in items}
        for rid, path in self.resources.items():
            assert rid in by_id and by_id[rid]["path"] == path, f"acknowledged resource {rid} lost"
        for r in items:
            if r["id"] != self.root:
                parent = by_id[r["parentId"]]
                base = "" if parent["path"] == "/" else parent["path"]
                assert r["path"] == f"{base}/{r['pathPart']}", r
        stage = client.get_stage(restApiId=self.api_id, stageName="prod")
        assert stage.get("description") in {self.description, *self.in_doubt}


def check_worker(worker: Worker, url: str) -> None:
    client = make_boto_client(url, DEFAULT_REGION, worker.account)
    listed = list_all_ids(client)
    assert len(listed) == len(set(listed)), "a certificate is listed twice"
    listed = set(listed)
    for cert_id, want in worker.live.items():
        assert cert_id in listed, f"acknowledged certificate {cert_id} is gone"
        got = client.get_client_certificate(clientCertificateId=cert_id)
        assert got["pemEncodedCertificate"] == want["pem"], cert_id
        assert got.get("description") == want["description"], cert_id
    for cert_id in worker.deleted:
        assert cert_id not in listed, f"acknowledged delete of {cert_id} came back"
    for cert_id, was in worker.uncertain.items():
        if cert_id in listed:
            got = client.get_client_certificate(clientCertificateId=cert_id)
            assert got["pemEncodedCertificate"] == was["pem"]
            # A cut-off update happened wholly or not at all.
            assert got.get("description") in (was["description"], was["wanted"])
        else:
            assert was["op"] == "delete", f"{cert_id} vanished though only an update was cut off"
    unknown = listed - set(worker.live) - set(worker.uncertain)
    assert len(unknown) <= worker.generates_in_doubt, "certificates appeared that no generate made"
    for cert_id in listed:
        # No half-written certificate: every one listed is whole and parses.
        got = client.get_client_certificate(clientCertificateId=cert_id)
        x509.load_pem_x509_certificate(got["pemEncodedCertificate"].encode())
        assert got["expirationDate"] > got["createdDate"]


def test_kill_9_at_random_points_loses_nothing_acknowledged(tmp_path, store, request):
    engine = request.node.callspec.params["store"]
    cluster = Cluster(tmp_path, store)
    stop = threading.Event()
    workers = [Worker(cluster, stop, seed) for seed in range(WORKERS)]
    api_worker = RestApiWorker(cluster, stop, 99)
    for w in [*workers, api_worker]:
        w.start()
    rng = random.Random(1234)
    deadline = time.monotonic() + CRASH_SECONDS
    kills = 0
    while time.monotonic() < deadline:
        # Kill at a random moment once the new process has acknowledged a random number of
        # requests, so every life of the server does some work however slow the machine is.
        acked_before = sum(w.acked for w in workers) + api_worker.acked
        wanted = rng.randint(2, 12)
        while sum(w.acked for w in workers) + api_worker.acked - acked_before < wanted \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.3))
        cluster.kill_and_restart()
        kills += 1
    stop.set()
    for w in [*workers, api_worker]:
        w.join(120)
    # A last kill with no traffic, then a clean restart for the checks.
    cluster.kill_and_restart()
    kills += 1
    url = cluster.url()
    acked = sum(w.acked for w in workers)
    try:
        for w in workers:
            assert not w.errors, w.errors[:5]
            check_worker(w, url)
        assert not api_worker.errors, api_worker.errors[:5]
        assert len(api_worker.resources) > 0, "the REST API worker acknowledged nothing"
        api_worker.check(url)
    finally:
        cluster.srv.terminate()

    # Quota usage equals what is listed: with a quota of (listed + 2), exactly two more generates
    # succeed and the third is refused.
    w = workers[0]
    final = store.server(tmp_path / "final", None).start()
    try:
        listed = len(list_all_ids(make_boto_client(final.url, DEFAULT_REGION, w.account)))
    finally:
        final.terminate()
    quota_srv = store.server(tmp_path / "quota", listed + 2).start()
    try:
        client = make_boto_client(quota_srv.url, DEFAULT_REGION, w.account)
        client.generate_client_certificate()
        client.generate_client_certificate()
        try:
            client.generate_client_certificate()
            raise AssertionError("the quota let a certificate past its count")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "LimitExceededException"
    finally:
        quota_srv.terminate()

    report = {"engine": engine, "kills": kills, "acknowledged": acked,
              "cut_off": sum(len(w.cutoffs) for w in workers),
              "in_doubt": sum(w.generates_in_doubt + len(w.uncertain) for w in workers),
              "seconds": CRASH_SECONDS}
    print(f"crash test: {json.dumps(report)}")
    if os.environ.get("CERTGATE_CRASH_REPORT"):
        with open(os.environ["CERTGATE_CRASH_REPORT"], "a") as f:
            f.write(json.dumps(report) + "\n")
    assert kills >= 10 and acked >= 2 * kills, (report, [w.cutoffs[:5] for w in workers])
