"""`certgate migrate` and `certgate copy`: from a SQLite file onto PostgreSQL and back, keys
included, safe to re-run."""

from __future__ import annotations

import base64
import os
import sqlite3
from urllib.parse import urlsplit, urlunsplit

import pytest

from certgate_helpers import (
    assert_client_error,
    cert_arn,
    client_error,
    list_all_ids,
    make_boto_client,
    new_account,
)
from pg_helpers import PG_URL, PgServer, drop_schema, new_schema, psql, run_certgate, store_url


@pytest.fixture
def pg_schema():
    schema = new_schema()
    yield schema
    drop_schema(schema)


def test_migrate_applies_the_schema_once_and_refuses_a_newer_one(pg_schema):
    url = store_url(pg_schema)
    for _ in range(2):
        res = run_certgate("migrate", "--store", url)
        assert res.returncode == 0, res.stderr
        assert "is at the current schema" in res.stdout
    assert psql(f"SELECT string_agg(version::text, ',' ORDER BY version) FROM {pg_schema}.certgate_migrations") == "1,2,3,4,5"

    psql(f"INSERT INTO {pg_schema}.certgate_migrations (version, name) VALUES (999, 'future')")
    res = run_certgate("migrate", "--store", url)
    assert res.returncode != 0
    assert "newer" in res.stderr


def test_migrate_names_a_bad_url(tmp_path):
    res = run_certgate("migrate", "--store", "postgres://u@h/d?schema=Not-Plain")
    assert res.returncode != 0
    assert "schema" in res.stderr
    res = run_certgate("migrate", "--store", "postgres://postgres:s3cret@127.0.0.1:9/test")
    assert res.returncode != 0
    assert "unavailable" in res.stderr
    assert "s3cret" not in res.stderr
    # The server's reason, not tokio-postgres's bare "db error".
    parts = urlsplit(PG_URL)
    missing = urlunsplit(parts._replace(path="/certgate_no_such_database"))
    res = run_certgate("migrate", "--store", missing)
    assert res.returncode != 0
    assert 'database "certgate_no_such_database" does not exist' in res.stderr, res.stderr


def test_copy_moves_everything_from_sqlite_to_postgres_and_back(server_factory, pg_schema, tmp_path):
    account = new_account()
    sqlite_node = server_factory()
    regions = ["us-east-1", "eu-west-1"]
    made = {}
    for region in regions:
        c = make_boto_client(sqlite_node.url, region=region, key=account)
        for i in range(3):
            cert = c.generate_client_certificate(description=f"{region} {i}", tags={"i": str(i)})
            made[cert["clientCertificateId"]] = (region, cert)
    sqlite_url = sqlite_node.store_url
    assert sqlite_node.terminate() == 0

    pg_url = store_url(pg_schema)
    res = run_certgate("copy", "--from", sqlite_url, "--to", pg_url)
    assert res.returncode == 0, res.stderr
    assert "copied 6 certificates" in res.stdout and "0 already there" in res.stdout, res.stdout

    # Again: nothing is duplicated or overwritten.
    res = run_certgate("copy", "--from", sqlite_url, "--to", pg_url)
    assert res.returncode == 0, res.stderr
    assert "copied 0 certificates" in res.stdout and "6 already there" in res.stdout, res.stdout

    # The keys travelled sealed, so the destination is bound to the source's master key: a node
    # with another key is refused at start-up, one with the source's key serves.
    other_key = tmp_path / "other.key"
    other_key.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    other_key.chmod(0o600)
    refused = run_certgate("serve", "--listen", "127.0.0.1:0", "--store", pg_url,
                           "--master-key-file", str(other_key))
    assert refused.returncode != 0 and "wrong master key" in refused.stderr, refused.stderr
    source_key = sqlite_node.store.parent / "master.key"
    pg_node = PgServer(pg_url, tmp_path / "pg-node", extra_args=["--master-key-file", str(source_key)]).start()
    try:
        for region in regions:
            c = make_boto_client(pg_node.url, region=region, key=account)
            ids = list_all_ids(c)
            assert sorted(ids) == sorted(cid for cid, (r, _) in made.items() if r == region)
            for cid in ids:
                got = c.get_client_certificate(clientCertificateId=cid)
                want = made[cid][1]
                for field in ("pemEncodedCertificate", "description", "createdDate", "expirationDate", "tags"):
                    assert got[field] == want[field], field
            assert c.get_tags(resourceArn=cert_arn(region, ids[0]))["tags"]
        assert pg_node.alive()
    finally:
        pg_node.terminate()

    # And back into a new SQLite file: the same six, with their keys.
    back = f"sqlite://{tmp_path / 'back' / 'certgate.db'}"
    res = run_certgate("copy", "--from", pg_url, "--to", back)
    assert res.returncode == 0, res.stderr
    assert "copied 6 certificates" in res.stdout, res.stdout


def test_copy_never_overwrites_a_different_certificate(pg_schema, tmp_path):
    a = f"sqlite://{tmp_path / 'a.db'}"
    pg_url = store_url(pg_schema)
    assert run_certgate("migrate", "--store", a).returncode == 0
    assert run_certgate("migrate", "--store", pg_url).returncode == 0
    account = "123456789012"
    psql(
        f"INSERT INTO {pg_schema}.client_certificates (account, region, id, pem, created_at, expires_at, tags, private_key) "
        f"VALUES ('{account}', 'us-east-1', 'abc123', 'theirs', 1, 2, '{{}}', 'k'::bytea)"
    )
    # The same id in the SQLite file (copied there), then changed in PostgreSQL behind its back.
    back = run_certgate("copy", "--from", pg_url, "--to", a)
    assert back.returncode == 0, back.stderr
    psql(f"UPDATE {pg_schema}.client_certificates SET pem = 'changed' WHERE id = 'abc123'")
    res = run_certgate("copy", "--from", a, "--to", pg_url)
    assert res.returncode != 0
    assert "1 conflicting" in res.stderr, res.stderr
    assert psql(f"SELECT pem FROM {pg_schema}.client_certificates WHERE id = 'abc123'") == "changed"


# A generated password of the kind `openssl rand -base64` makes, plus `?`, `&` and `=`: characters
# that split a URL's parts. The server runs with trust authentication, so any password logs in.
URL_PASSWORD = "Zq/4k?x&y=1+Pw=="


def password_url(schema: str) -> str:
    parts = urlsplit(store_url(schema))
    user = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else "postgres"
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{user}:{URL_PASSWORD}@{host}{parts.path}?{parts.query}"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_password_with_url_characters_is_never_printed(pg_schema, tmp_path, log_format):
    url = password_url(pg_schema)
    srv = PgServer(url, tmp_path, extra_args=["--log-format", log_format]).start()
    try:
        client = make_boto_client(srv.url, key=new_account())
        client.generate_client_certificate(description="after a secret URL")
    finally:
        assert srv.terminate() == 0
    log = srv.stderr()
    assert "ready" in log, log
    assert "***" in log, log
    migrated = run_certgate("migrate", "--store", url)
    assert migrated.returncode == 0, migrated.stderr
    for text in (log, migrated.stdout, migrated.stderr):
        for piece in (URL_PASSWORD, "Zq/4k", "x&y", "Pw=="):
            assert piece not in text, text


def test_a_nul_in_a_description_gets_one_answer_on_both_engines(server_factory, pg_schema, tmp_path):
    sqlite_node = server_factory()
    pg_node = PgServer(store_url(pg_schema), tmp_path / "pg").start()
    try:
        for node in (sqlite_node, pg_node):
            c = make_boto_client(node.url, key=new_account())
            kept = c.generate_client_certificate(description="kept")["clientCertificateId"]
            err = client_error(c.generate_client_certificate, description="a\x00b")
            assert_client_error(err, "BadRequestException", 400,
                                "Invalid description: it must not contain the NUL character (U+0000)")
            err = client_error(c.update_client_certificate, clientCertificateId=kept,
                               patchOperations=[{"op": "replace", "path": "/description", "value": "\x00"}])
            assert_client_error(err, "BadRequestException", 400)
            assert c.get_client_certificate(clientCertificateId=kept)["description"] == "kept"
            assert len(list_all_ids(c)) == 1
    finally:
        pg_node.terminate()


def test_a_nul_in_a_rest_api_id_or_name_gets_one_answer_on_both_engines(server_factory, pg_schema, tmp_path):
    """Found while making schemathesis pass over the REST API family: PostgreSQL's text cannot
    hold NUL, so an id with one made the store's query fail with a 500 where SQLite answered 404,
    and a REST API name with one was a 500 where SQLite stored it. Now an id with NUL names
    nothing and a name with NUL is refused, on both engines, without asking the store."""
    import requests

    sqlite_node = server_factory()
    pg_node = PgServer(store_url(pg_schema), tmp_path / "pg").start()
    try:
        for node in (sqlite_node, pg_node):
            def call(method, path, body=None):
                return requests.request(method, node.url + path, json=body, timeout=30)

            resp = call("POST", "/restapis", {"name": "a\x00b"})
            assert (resp.status_code, resp.json()["message"]) == (
                400, "Invalid name: it must not contain the NUL character (U+0000)")
            api = call("POST", "/restapis", {"name": "kept"}).json()["id"]
            for method, path, status in [
                ("GET", "/restapis/a%00", 404), ("DELETE", "/restapis/a%00", 404),
                ("GET", "/restapis/a%00/deployments", 404), ("GET", "/restapis/a%00/stages", 404),
                ("GET", f"/restapis/{api}/deployments/a%00", 404),
                ("DELETE", f"/restapis/{api}/deployments/a%00", 404),
                ("GET", f"/restapis/{api}/stages/a%00", 404),
                ("DELETE", f"/restapis/{api}/stages/a%00", 404),
                ("GET", f"/restapis/{api}/resources/a%00", 404),
            ]:
                assert call(method, path).status_code == status, (node.url, method, path)
            resp = call("POST", f"/restapis/{api}/stages", {"stageName": "s", "deploymentId": "a\x00"})
            assert (resp.status_code, resp.json()["message"]) == (400, "Deployment id does not exist")
            resp = call("POST", "/restapis", {"name": "copy", "cloneFrom": "a\x00"})
            assert resp.status_code == 404
            assert [a["name"] for a in call("GET", "/restapis").json()["item"]] == ["kept"]
    finally:
        pg_node.terminate()


def test_copy_goes_on_past_a_row_the_destination_cannot_hold(server_factory, pg_schema):
    # A SQLite store written before descriptions were checked can hold a NUL, which PostgreSQL's
    # text cannot: that one row is refused by name and every other row is copied.
    sqlite_node = server_factory()
    c = make_boto_client(sqlite_node.url, key=new_account())
    ids = sorted(c.generate_client_certificate(description=f"d{i}")["clientCertificateId"] for i in range(3))
    sqlite_url = sqlite_node.store_url
    assert sqlite_node.terminate() == 0
    db = sqlite3.connect(sqlite_node.store)
    with db:
        db.execute("UPDATE client_certificates SET description = 'a' || char(0) || 'b' WHERE id = ?", (ids[0],))
    db.close()

    pg_url = store_url(pg_schema)
    for run, already in ((1, 0), (2, 2)):
        res = run_certgate("copy", "--from", sqlite_url, "--to", pg_url)
        assert res.returncode != 0, (run, res.stdout)
        assert f"copied {2 - already} certificates" in res.stderr, res.stderr
        assert f"{already} already there" in res.stderr and "1 refused" in res.stderr, res.stderr
        assert ids[0] in res.stderr, res.stderr
    copied = psql(f"SELECT id FROM {pg_schema}.client_certificates ORDER BY id").split()
    assert copied == ids[1:]


@pytest.mark.parametrize("level", ["trace", "debug,tokio_postgres=trace"])
def test_no_secret_at_any_log_level(pg_schema, tmp_path, level):
    # At debug and trace, tokio-postgres logs every statement's parameters: descriptions, tags,
    # sealed keys and, at a first start, the pagination key.
    srv = PgServer(store_url(pg_schema), tmp_path, env=dict(os.environ, CERTGATE_LOG=level)).start()
    try:
        client = make_boto_client(srv.url, key=new_account())
        for _ in range(2):
            client.generate_client_certificate(description="SECRET-DESCRIPTION", tags={"k": "SECRET-TAG"})
        page = client.get_client_certificates(limit=1)
        client.get_client_certificates(limit=1, position=page["position"])
    finally:
        assert srv.terminate() == 0
    log = srv.stderr()
    assert "ready" in log, log[:2000]
    for secret in ("SECRET-DESCRIPTION", "SECRET-TAG", "pagination-key\"), Bytes", "Signature=", "parameters:"):
        assert secret not in log, secret


def test_a_restart_logs_no_postgres_notice(pg_schema, tmp_path):
    # Every start creates what is missing (`IF NOT EXISTS`); PostgreSQL's NOTICE that it was already
    # there used to reach the log at INFO on every start after the first.
    for n in range(2):
        srv = PgServer(store_url(pg_schema), tmp_path / f"n{n}").start()
        assert srv.terminate() == 0
        log = srv.stderr()
        assert "ready" in log, log
        assert "NOTICE" not in log and "already exists" not in log, log


def test_copy_carries_rest_apis_with_their_deployments_and_stages(server_factory, pg_schema, tmp_path):
    """A team moving from SQLite to PostgreSQL keeps its REST APIs: the tree, the deployments and
    the stage presenting its certificate, which still guards the certificate from deletion."""
    account = new_account()
    sqlite_node = server_factory()
    c = make_boto_client(sqlite_node.url, key=account)
    cert = c.generate_client_certificate()["clientCertificateId"]
    api = c.create_rest_api(name="payments-api", tags={"team": "pay"})
    pets = c.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets")
    c.put_method(restApiId=api["id"], resourceId=pets["id"], httpMethod="GET", authorizationType="NONE")
    c.put_integration(restApiId=api["id"], resourceId=pets["id"], httpMethod="GET", type="MOCK")
    deployment = c.create_deployment(restApiId=api["id"], stageName="prod")["id"]
    c.update_stage(restApiId=api["id"], stageName="prod", patchOperations=[
        {"op": "replace", "path": "/clientCertificateId", "value": cert}])
    before = c.get_resources(restApiId=api["id"], embed=["methods"])["items"]
    master_key = sqlite_node.store.parent / "master.key"
    sqlite_url = sqlite_node.store_url
    assert sqlite_node.terminate() == 0

    pg_url = store_url(pg_schema)
    res = run_certgate("copy", "--from", sqlite_url, "--to", pg_url)
    assert res.returncode == 0, res.stderr
    assert "copied 1 certificates and 1 REST APIs" in res.stdout, res.stdout
    res = run_certgate("copy", "--from", sqlite_url, "--to", pg_url)
    assert "copied 0 certificates and 0 REST APIs" in res.stdout and "2 already there" in res.stdout, res.stdout

    node = PgServer(pg_url, tmp_path / "pg-node", extra_args=["--master-key-file", str(master_key)]).start()
    try:
        p = make_boto_client(node.url, key=account)
        assert p.get_rest_api(restApiId=api["id"])["tags"] == {"team": "pay"}
        assert p.get_resources(restApiId=api["id"], embed=["methods"])["items"] == before
        stage = p.get_stage(restApiId=api["id"], stageName="prod")
        assert (stage["deploymentId"], stage["clientCertificateId"]) == (deployment, cert)
        err = client_error(p.delete_client_certificate, clientCertificateId=cert)
        assert err.response["Error"]["Code"] == "ConflictException"
    finally:
        node.terminate()
