"""The console at /_certgate/: its JSON, its PEM download, --no-console, and the page itself in
headless Chromium (tests/browser/console.test.mjs), fed with certificates made through boto3."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests

from certgate_helpers import REPO_ROOT, make_boto_client, new_account

DAY = 86400
BROWSER_DIR = REPO_ROOT / "tests" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def console_server(server_factory, monkeypatch):
    """A fresh server (own store, so the page shows exactly this test's certificates) whose clock
    the test can move through /_certgate/clock."""
    monkeypatch.delenv("CERTGATE_CLOCK_OFFSET", raising=False)
    monkeypatch.delenv("CERTGATE_NO_CONSOLE", raising=False)
    monkeypatch.setenv("CERTGATE_ADMIN_CLOCK", "true")
    srv = server_factory()
    monkeypatch.delenv("CERTGATE_ADMIN_CLOCK")
    return srv


def set_offset(srv, seconds: int) -> None:
    r = requests.post(f"{srv.url}/_certgate/clock", json={"offsetSeconds": seconds}, timeout=10)
    assert r.status_code == 200, r.text


def populate(srv) -> list[dict]:
    """Two accounts, two regions: valid certificates, one issued 350 days ago (expiring) and one
    400 days ago (expired); one description carries markup that the page must show as text."""
    a, b = new_account(), new_account()
    made = []

    def make(account, region, description, tags):
        c = make_boto_client(srv.url, region, account)
        kwargs = {"tags": tags}
        if description is not None:
            kwargs["description"] = description
        cert = c.generate_client_certificate(**kwargs)
        made.append(
            {
                "account": account,
                "region": region,
                "id": cert["clientCertificateId"],
                "description": description,
                "tags": dict(sorted(tags.items())),
                "pem": cert["pemEncodedCertificate"],
            }
        )
        return made[-1]

    make(a, "us-east-1", "payments backend", {"team": "payments", "env": "prod"})["status"] = "valid"
    make(a, "eu-west-1", '<img src=x onerror="document.title=1"><b>bold</b>', {})["status"] = "valid"
    set_offset(srv, -350 * DAY)
    make(b, "us-east-1", "legacy partner", {"owner": "ops"})["status"] = "expiring"
    set_offset(srv, -400 * DAY)
    make(b, "us-east-1", None, {"owner": "nobody"})["status"] = "expired"
    set_offset(srv, 0)
    return made


def test_console_api_lists_every_scope_with_expiry_and_serves_pem(console_server):
    srv = console_server
    made = populate(srv)
    r = requests.get(f"{srv.url}/_certgate/api/certificates", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    doc = r.json()
    assert doc["truncated"] is False and doc["windowSeconds"] == 30 * DAY and doc["clockOffsetSeconds"] == 0
    got = {(x["account"], x["region"], x["id"]): x for x in doc["certificates"]}
    assert set(got) == {(m["account"], m["region"], m["id"]) for m in made}
    for m in made:
        row = got[(m["account"], m["region"], m["id"])]
        assert (row["status"], row["description"], row["tags"]) == (m["status"], m["description"], m["tags"])
        pem = requests.get(srv.url + row["pemUrl"], timeout=10)
        assert pem.status_code == 200 and pem.text == m["pem"]
        assert pem.headers["Content-Disposition"] == f'attachment; filename="{m["id"]}.pem"'
    assert "PRIVATE KEY" not in r.text and "BEGIN" not in r.text

    # Filters and the warning window.
    b = made[2]["account"]
    only_b = requests.get(f"{srv.url}/_certgate/api/certificates", params={"account": b}, timeout=10).json()
    assert sorted(x["status"] for x in only_b["certificates"]) == ["expired", "expiring"]
    short = requests.get(f"{srv.url}/_certgate/api/certificates", params={"account": b, "region": "us-east-1", "within": "7d"}, timeout=10).json()
    assert sorted(x["status"] for x in short["certificates"]) == ["expired", "valid"]
    for params in ({"account": "12"}, {"region": "Not A Region"}, {"within": "soon"}, {"within": "-1d"}):
        bad = requests.get(f"{srv.url}/_certgate/api/certificates", params=params, timeout=10)
        assert bad.status_code == 400 and bad.json()["message"], params
    missing = requests.get(f"{srv.url}/_certgate/api/certificates/{b}/us-east-1/zzzzzz/pem", timeout=10)
    assert missing.status_code == 404

    page = requests.get(f"{srv.url}/_certgate/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in ("app.js", "app.css"):
        assert requests.get(f"{srv.url}/_certgate/ui/{asset}", timeout=10).status_code == 200
    # Paths the console does not serve get the API's own error shape.
    other = requests.get(f"{srv.url}/_certgate/ui/nope.js", timeout=10)
    assert other.status_code == 404 and other.headers["x-amzn-ErrorType"] == "UnknownOperationException"


def test_no_console_turns_the_page_and_its_json_off(server_factory, monkeypatch):
    monkeypatch.delenv("CERTGATE_ADMIN_CLOCK", raising=False)
    monkeypatch.setenv("CERTGATE_NO_CONSOLE", "1")
    srv = server_factory()
    for path in ("/_certgate/", "/_certgate/ui/app.js", "/_certgate/api/certificates"):
        r = requests.get(srv.url + path, timeout=10)
        assert r.status_code == 404 and r.headers["x-amzn-ErrorType"] == "UnknownOperationException", path


def browser_ready() -> None:
    """scripts/test installs Chromium and the npm packages; run alone, say what is missing."""
    if os.environ.get("CERTGATE_SKIP_BROWSER") == "1":
        pytest.skip("CERTGATE_SKIP_BROWSER=1")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test, which installs Debian's chromium")
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir() or not shutil.which("node"):
        pytest.fail("node or tests/browser/node_modules is missing: run scripts/test (npm ci)")


def test_console_page_in_headless_chromium(console_server, tmp_path):
    browser_ready()
    made = populate(console_server)
    expectations = tmp_path / "expected.json"
    expectations.write_text(json.dumps({"certificates": made}))
    out = Path(tempfile.mkdtemp(prefix="certgate-console-"))
    done = subprocess.run(
        ["node", "console.test.mjs", console_server.url, str(expectations), str(out)],
        cwd=BROWSER_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ok"] and result["rows"] == len(made)
    print(f"console screenshot: {result['screenshot']} ({result['screenshotBytes']} bytes)")
    assert (out / "console.png").stat().st_size == result["screenshotBytes"]


def test_console_names_the_stages_that_break_when_a_certificate_expires(console_server):
    """The REST API listing shows each stage with the certificate it presents; a certificate shows
    the stages presenting it, and its expiry warning names them."""
    srv = console_server
    account = new_account()
    c = make_boto_client(srv.url, "us-east-1", account)
    # A certificate made 353 days less an hour ago expires in 12 days (and an hour).
    set_offset(srv, -353 * DAY + 3600)
    cert = c.generate_client_certificate(description="payments backend")["clientCertificateId"]
    set_offset(srv, 0)
    spare = c.generate_client_certificate()["clientCertificateId"]
    api = c.create_rest_api(name="payments-api")
    c.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET",
                 authorizationType="NONE")
    c.put_integration(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET",
                      type="MOCK")
    deployment = c.create_deployment(restApiId=api["id"], stageName="prod")["id"]
    c.update_stage(restApiId=api["id"], stageName="prod", patchOperations=[
        {"op": "replace", "path": "/clientCertificateId", "value": cert}])
    c.create_stage(restApiId=api["id"], stageName="dev", deploymentId=deployment)
    bare = c.create_rest_api(name="no-stages")

    apis = requests.get(f"{srv.url}/_certgate/api/restapis?account={account}", timeout=10).json()
    by_id = {a["id"]: a for a in apis["restApis"]}
    assert by_id[api["id"]]["name"] == "payments-api"
    assert by_id[api["id"]]["stages"] == [
        {"stage": "dev", "deploymentId": deployment, "clientCertificateId": None},
        {"stage": "prod", "deploymentId": deployment, "clientCertificateId": cert},
    ]
    assert by_id[bare["id"]]["stages"] == []

    doc = requests.get(f"{srv.url}/_certgate/api/certificates?account={account}&within=30d",
                       timeout=10).json()
    certs = {x["id"]: x for x in doc["certificates"]}
    assert certs[cert]["stages"] == [
        {"restApiId": api["id"], "restApiName": "payments-api", "stage": "prod"}]
    assert certs[cert]["warnings"] == [
        "stage prod of payments-api presents a certificate that expires in 12 days"]
    assert certs[spare]["stages"] == [] and certs[spare]["warnings"] == []
