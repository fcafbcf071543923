"""Expiry that never surprises: the clock offset, the admin clock, expired certificates staying
usable through the API, and `certgate certs list` (its table, its JSON and its exit codes) as a cron
job would run it."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
import requests

from certgate_helpers import cert_arn, make_boto_client, new_account, server_binary

DAY = 86400
REGION = "eu-west-1"


def certs_list(store_url: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(server_binary()), "certs", "list", "--store", store_url, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def listing(store_url: str, *args: str) -> tuple[int, dict]:
    done = certs_list(store_url, "--output", "json", *args)
    assert done.returncode in (0, 1), (done.returncode, done.stderr)
    return done.returncode, json.loads(done.stdout)


@pytest.fixture
def clean_clock_env(monkeypatch):
    """Servers inherit the environment: make sure no clock setting leaks in from outside."""
    for name in ("CERTGATE_CLOCK_OFFSET", "CERTGATE_ADMIN_CLOCK", "CERTGATE_NO_CONSOLE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def start_with_offset(server_factory, monkeypatch, offset: str | None, store=None):
    """`certgate serve` with CERTGATE_CLOCK_OFFSET set (or unset) for this one process."""
    if offset is None:
        monkeypatch.delenv("CERTGATE_CLOCK_OFFSET", raising=False)
    else:
        monkeypatch.setenv("CERTGATE_CLOCK_OFFSET", offset)
    srv = server_factory(store=store)
    monkeypatch.delenv("CERTGATE_CLOCK_OFFSET", raising=False)
    return srv


def rotate_expiring(client, region: str, window: timedelta) -> list[tuple[str, str]]:
    """A user's rotation job, written against the plain AWS API and the machine's real clock:
    every certificate that expires within `window` (or has expired) is replaced by a new one with
    the same description and tags, and the old one is deleted. Returns (old id, new id) pairs."""
    now = datetime.now(timezone.utc)
    due = []
    for page in client.get_paginator("get_client_certificates").paginate():
        for cert in page.get("items", []):
            if cert["expirationDate"] - now <= window:
                due.append(cert)
    rotated = []
    for cert in due:
        old = cert["clientCertificateId"]
        tags = client.get_tags(resourceArn=cert_arn(region, old))["tags"]
        new = client.generate_client_certificate(description=cert.get("description", ""), tags=tags)
        client.delete_client_certificate(clientCertificateId=old)
        rotated.append((old, new["clientCertificateId"]))
    return rotated


def test_rotation_job_meets_an_expiring_then_an_expired_certificate(server_factory, clean_clock_env):
    monkeypatch = clean_clock_env
    account = new_account()
    window = timedelta(days=30)

    # A certificate issued 350 days ago (the server started with its clock 350 days back) has 15
    # days left in real time.
    past = start_with_offset(server_factory, monkeypatch, "-350d")
    c = make_boto_client(past.url, REGION, account)
    payments = c.generate_client_certificate(description="payments mTLS", tags={"team": "payments"})
    past.terminate()
    assert payments["expirationDate"] - datetime.now(timezone.utc) < timedelta(days=16)

    # Today's server: the job finds the expiring certificate, and only that one, and replaces it.
    today = start_with_offset(server_factory, monkeypatch, None, store=past.store)
    c = make_boto_client(today.url, REGION, account)
    fresh = c.generate_client_certificate(description="fresh", tags={"team": "web"})
    code, before = listing(today.store_url, "--account", account)
    assert code == 1
    assert {x["id"]: x["status"] for x in before["certificates"]} == {
        payments["clientCertificateId"]: "expiring",
        fresh["clientCertificateId"]: "valid",
    }
    rotated = rotate_expiring(c, REGION, window)
    assert [old for old, _ in rotated] == [payments["clientCertificateId"]]
    replacement = c.get_client_certificate(clientCertificateId=rotated[0][1])
    assert replacement["description"] == "payments mTLS" and replacement["tags"] == {"team": "payments"}
    assert replacement["expirationDate"] - datetime.now(timezone.utc) > timedelta(days=364)
    assert listing(today.store_url, "--account", account)[0] == 0
    today.terminate()

    # Someone's job was down for a while: a certificate issued 400 days ago has expired 35 days ago.
    # (A minute more than 400 days, so that its whole days left are -36 even when the listing below
    # runs within the same second as the generate.)
    older = start_with_offset(server_factory, monkeypatch, f"-{400 * 24 * 60 + 1}m", store=past.store)
    c = make_boto_client(older.url, REGION, account)
    reports = c.generate_client_certificate(description="reports mTLS", tags={"team": "data"})
    older.terminate()

    today = start_with_offset(server_factory, monkeypatch, None, store=past.store)
    c = make_boto_client(today.url, REGION, account)
    rid = reports["clientCertificateId"]
    code, before = listing(today.store_url, "--account", account, "--expiring-within", "30d")
    assert code == 1
    assert [(x["id"], x["status"], x["daysLeft"]) for x in before["certificates"]] == [(rid, "expired", -36)]
    # Expired, but still readable and still writable, as in AWS.
    got = c.get_client_certificate(clientCertificateId=rid)
    assert got["pemEncodedCertificate"] == reports["pemEncodedCertificate"]
    assert got["expirationDate"] < datetime.now(timezone.utc)
    assert rid in [x["clientCertificateId"] for x in c.get_client_certificates()["items"]]
    c.tag_resource(resourceArn=cert_arn(REGION, rid), tags={"expired": "yes"})
    c.update_client_certificate(
        clientCertificateId=rid, patchOperations=[{"op": "replace", "path": "/description", "value": "reports mTLS"}]
    )
    rotated = rotate_expiring(c, REGION, window)
    assert [old for old, _ in rotated] == [rid]
    assert c.get_client_certificate(clientCertificateId=rotated[0][1])["tags"] == {"team": "data", "expired": "yes"}
    code, after = listing(today.store_url, "--account", account, "--expiring-within", "30d")
    assert (code, after["expiring"], after["certificates"]) == (0, 0, [])


def test_admin_clock_moves_a_running_server(server_factory, clean_clock_env):
    clean_clock_env.setenv("CERTGATE_ADMIN_CLOCK", "1")
    srv = server_factory()
    account = new_account()
    c = make_boto_client(srv.url, REGION, account)
    state = requests.get(f"{srv.url}/_certgate/clock", timeout=10).json()
    assert state["offsetSeconds"] == 0

    moved = requests.post(f"{srv.url}/_certgate/clock", json={"offsetSeconds": -364 * DAY}, timeout=10)
    assert moved.status_code == 200 and moved.json()["offsetSeconds"] == -364 * DAY
    last_day = c.generate_client_certificate(description="one day left")
    left = last_day["expirationDate"] - datetime.now(timezone.utc)
    assert timedelta(hours=23) < left <= timedelta(days=1)

    # The server judges expiry at its own shifted time too: seen from 2 days later, it expired.
    requests.post(f"{srv.url}/_certgate/clock", json={"offsetSeconds": 2 * DAY}, timeout=10)
    api = requests.get(f"{srv.url}/_certgate/api/certificates", params={"account": account}, timeout=10).json()
    assert [(x["id"], x["status"]) for x in api["certificates"]] == [(last_day["clientCertificateId"], "expired")]
    assert api["clockOffsetSeconds"] == 2 * DAY

    for bad in ({"offsetSeconds": "1d"}, {"offset": 5}, {"offsetSeconds": 10**12}, []):
        r = requests.post(f"{srv.url}/_certgate/clock", json=bad, timeout=10)
        assert r.status_code == 400 and r.json()["message"], (bad, r.text)
    assert requests.get(f"{srv.url}/_certgate/clock", timeout=10).json()["offsetSeconds"] == 2 * DAY


def test_admin_clock_is_off_unless_asked_for(server_factory, clean_clock_env):
    srv = server_factory()
    r = requests.post(f"{srv.url}/_certgate/clock", json={"offsetSeconds": 5}, timeout=10)
    assert r.status_code == 404 and r.headers["x-amzn-ErrorType"] == "UnknownOperationException"


def test_certs_list_exit_codes_follow_the_window_and_the_clock_offset(server_factory, clean_clock_env):
    srv = server_factory()
    account = new_account()
    c = make_boto_client(srv.url, REGION, account)
    cert = c.generate_client_certificate(description="a year to go", tags={"k": "v"})
    cid = cert["clientCertificateId"]
    url = srv.store_url

    assert listing(url)[0] == 0
    assert listing(url, "--expiring-within", "365d")[0] == 1
    assert listing(url, "--expiring-within", "364d")[0] == 0
    # Judged 364 days and a minute from now the certificate is in its last day (a minute past 364
    # days, so that a listing in the same second as the generate still counts less than a whole day
    # left); 366 days from now it has expired.
    code, doc = listing(url, "--clock-offset", f"{364 * 24 * 60 + 1}m", "--expiring-within", "30d")
    assert code == 1 and [(x["id"], x["status"], x["daysLeft"]) for x in doc["certificates"]] == [(cid, "expiring", 0)]
    code, doc = listing(url, "--clock-offset", "366d")
    assert code == 1 and doc["certificates"][0]["status"] == "expired"
    # The environment variable serve reads works here too, and so does a negative offset.
    env = {"CERTGATE_CLOCK_OFFSET": "370d", "PATH": "/usr/bin:/bin"}
    assert certs_list(url, "--output", "json", env=env).returncode == 1
    assert listing(url, "--clock-offset", "-10d")[0] == 0
    # Other accounts and regions are filtered out.
    code, other = listing(url, "--account", "999999999999", "--clock-offset", "366d")
    assert (code, other["expiring"], other["certificates"]) == (0, 0, [])
    code, other = listing(url, "--account", account, "--region", "us-west-2", "--clock-offset", "366d")
    assert (code, other["certificates"]) == (0, [])
    code, mine = listing(url, "--account", account, "--region", REGION, "--clock-offset", "366d")
    assert code == 1 and [x["id"] for x in mine["certificates"]] == [cid]


def test_certs_list_json_and_table_show_every_field_and_no_key(server_factory, clean_clock_env):
    srv = server_factory()
    account = new_account()
    c = make_boto_client(srv.url, REGION, account)
    cert = c.generate_client_certificate(description="backend\nmTLS", tags={"team": "payments", "env": "prod"})
    cid = cert["clientCertificateId"]

    code, doc = listing(srv.store_url, "--account", account)
    assert code == 0
    assert set(doc) == {"now", "windowSeconds", "expiring", "certificates"}
    assert doc["windowSeconds"] == 30 * DAY and doc["expiring"] == 0
    [row] = doc["certificates"]
    # Days left are whole days, rounded down: 364 once a second has passed since the generate, 365
    # if the listing ran within the same second.
    now = int(datetime.strptime(doc["now"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
    days_left = (int(cert["expirationDate"].timestamp()) - now) // DAY
    assert days_left in (364, 365)
    assert row == {
        "account": account,
        "region": REGION,
        "id": cid,
        "description": "backend\nmTLS",
        "created": cert["createdDate"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expires": cert["expirationDate"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "createdEpoch": int(cert["createdDate"].timestamp()),
        "expiresEpoch": int(cert["expirationDate"].timestamp()),
        "daysLeft": days_left,
        "status": "valid",
        "tags": {"env": "prod", "team": "payments"},
        "stages": [],
        "warnings": [],
    }

    table = certs_list(srv.store_url, "--account", account)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ACCOUNT", "REGION", "ID", "DESCRIPTION", "CREATED", "EXPIRES", "DAYS", "LEFT", "STATUS", "STAGES"]
    # The newline inside the description is a space in the table: one certificate, one line.
    fields = lines[1].split()
    assert fields[7] in ("364", "365")
    assert fields == [account, REGION, cid, "backend", "mTLS", row["created"], row["expires"], fields[7], "valid"]
    assert lines[2].startswith("1 certificate(s) listed at ") and "0 expire within 30d" in lines[2]
    assert len(lines) == 3
    for out in (table.stdout, json.dumps(doc)):
        assert "PRIVATE KEY" not in out and "BEGIN" not in out


def test_certs_list_names_the_stages_a_cron_alert_is_about(server_factory, clean_clock_env):
    """A certificate that a stage presents: the listing names the stage, and once the certificate
    is within the window the warning says what will break."""
    srv = server_factory()
    account = new_account()
    c = make_boto_client(srv.url, REGION, account)
    cid = c.generate_client_certificate(description="payments backend")["clientCertificateId"]
    api = c.create_rest_api(name="payments-api")
    c.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="ANY",
                 authorizationType="NONE")
    c.put_integration(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="ANY",
                      type="HTTP_PROXY", integrationHttpMethod="ANY", uri="https://backend.example")
    c.create_deployment(restApiId=api["id"], stageName="prod")
    c.update_stage(restApiId=api["id"], stageName="prod", patchOperations=[
        {"op": "replace", "path": "/clientCertificateId", "value": cid}])

    code, doc = listing(srv.store_url, "--account", account)
    assert code == 0
    [row] = doc["certificates"]
    assert row["stages"] == [{"restApiId": api["id"], "restApiName": "payments-api", "stage": "prod"}]
    assert row["warnings"] == []
    table = certs_list(srv.store_url, "--account", account).stdout
    assert table.splitlines()[1].endswith("prod of payments-api"), table

    # 355 days on, the certificate expires within 30 days: exit 1, and the warning names the stage.
    done = certs_list(srv.store_url, "--account", account, "--clock-offset", "355d")
    assert done.returncode == 1, done.stderr
    assert "warning: stage prod of payments-api presents a certificate that expires in 9 days" in done.stdout or \
        "warning: stage prod of payments-api presents a certificate that expires in 10 days" in done.stdout, done.stdout


def test_certs_list_errors_exit_2(tmp_path, clean_clock_env):
    missing = "sqlite://" + str(tmp_path / "nowhere.db")
    done = certs_list(missing)
    assert done.returncode == 2 and "no store at" in done.stderr
    assert not (tmp_path / "nowhere.db").exists()
    for args in (["--expiring-within", "30x"], ["--account", "12"], ["--output", "xml"], ["--clock-offset", "d"]):
        done = certs_list(missing, *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert done.stderr.strip(), args
    done = certs_list("postgres://nope")
    assert done.returncode == 2 and done.stderr.strip()
