"""--auth sigv4: boto3, the AWS CLI and hand-made requests against a server that verifies every
signature. Requests are also forged, altered, replayed and aged by hand with botocore's signer."""

from __future__ import annotations

import datetime
import os
import secrets
import signal
import subprocess
import time
from unittest import mock

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from certgate_helpers import (
    NO_RETRY,
    CertgateServer,
    assert_aws_error,
    assert_client_error,
    awscli_env,
    cert_arn,
    client_error,
    run_awscli,
    server_binary,
)

REGION = "us-east-1"
ACCOUNT = "111111111111"
FULL = ("AKIAPYFULL0001", "py/full+secret")
SECOND = ("AKIAPYFULL0002", "second-secret")
READER = ("AKIAPYREAD0001", "read-secret")
OTHER = ("AKIAPYOTHER001", "other-secret")

CREDENTIALS = f"""
# Who may call certgate.
[[credential]]
access_key_id = "{FULL[0]}"
secret_access_key = "{FULL[1]}"
account_id = "{ACCOUNT}"
permission = "full"

[[credential]]
access_key_id = "{SECOND[0]}"
secret_access_key = "{SECOND[1]}"
account_id = "{ACCOUNT}"
permission = "full"

[[credential]]
access_key_id = "{READER[0]}"
secret_access_key = "{READER[1]}"
account_id = "{ACCOUNT}"
permission = "read-only"

[[credential]]
access_key_id = "{OTHER[0]}"
secret_access_key = "{OTHER[1]}"
account_id = "222222222222"
permission = "full"
"""

MISMATCH = "The request signature we calculated does not match the signature you provided."


@pytest.fixture(scope="module")
def sigv4(tmp_path_factory):
    work = tmp_path_factory.mktemp("sigv4")
    creds = work / "credentials.toml"
    creds.write_text(CREDENTIALS)
    srv = CertgateServer(work / "certgate.db", work, extra_args=["--auth", "sigv4", "--credentials", str(creds)])
    srv.start()
    srv.credentials = creds
    yield srv
    srv.terminate()


def boto(url: str, key: tuple[str, str], config=NO_RETRY):
    return boto3.session.Session().client(
        "apigateway", endpoint_url=url, region_name=REGION,
        aws_access_key_id=key[0], aws_secret_access_key=key[1], config=config,
    )


def frozen_clock(when: datetime.datetime):
    """Makes botocore's signers see `when` as now (newer botocore asks get_current_datetime, older
    ones datetime.datetime.utcnow)."""
    import botocore.auth
    if hasattr(botocore.auth, "get_current_datetime"):
        return mock.patch("botocore.auth.get_current_datetime", return_value=when)
    dt = mock.MagicMock(wraps=datetime)
    dt.datetime.utcnow.return_value = when
    return mock.patch("botocore.auth.datetime", dt)


def signed(url: str, method: str, path: str, key=FULL, body: bytes = b"", when: datetime.datetime | None = None,
           headers: dict | None = None) -> AWSRequest:
    """A request signed by botocore's SigV4Auth, optionally at a fixed time."""
    req = AWSRequest(method=method, url=url + path, data=body, headers=dict(headers or {}))
    auth = SigV4Auth(Credentials(*key), "apigateway", REGION)
    if when is None:
        auth.add_auth(req)
    else:
        with frozen_clock(when):
            auth.add_auth(req)
    return req


def send(req: AWSRequest, **changes) -> requests.Response:
    headers = dict(req.headers.items())
    headers.update(changes.pop("headers", {}))
    return requests.request(
        changes.get("method", req.method), changes.get("url", req.url),
        data=changes.get("body", req.body), headers=headers, timeout=60,
    )


def test_full_keys_work_in_the_account_the_file_gives_them(sigv4):
    first = boto(sigv4.url, FULL)
    cert = first.generate_client_certificate(description="signed", tags={"team": "edge"})
    cid = cert["clientCertificateId"]
    second = boto(sigv4.url, SECOND)
    assert cid in [c["clientCertificateId"] for c in second.get_client_certificates(limit=500)["items"]]
    assert boto(sigv4.url, OTHER).get_client_certificates().get("items", []) == []
    # Tags put the ARN in the path: it is signed double-encoded, as every service but S3 does.
    second.tag_resource(resourceArn=cert_arn(REGION, cid), tags={"env": "prod"})
    assert first.get_tags(resourceArn=cert_arn(REGION, cid))["tags"] == {"team": "edge", "env": "prod"}
    first.delete_client_certificate(clientCertificateId=cid)


def test_the_aws_cli_signs_and_a_wrong_secret_fails(sigv4, tmp_path):
    env = awscli_env(tmp_path, FULL[0])
    env["AWS_SECRET_ACCESS_KEY"] = FULL[1]
    out = run_awscli(sigv4.url, REGION, env, "generate-client-certificate", "--description", "from the cli")
    assert '"clientCertificateId"' in out.stdout
    env["AWS_SECRET_ACCESS_KEY"] = "wrong"
    res = run_awscli(sigv4.url, REGION, env, "get-client-certificates", check=False)
    assert res.returncode != 0
    assert "InvalidSignatureException" in res.stderr, res.stderr
    assert FULL[1] not in res.stderr


def test_an_unsigned_request_is_missing_its_token(sigv4):
    resp = requests.get(sigv4.url + "/clientcertificates", timeout=60)
    assert_aws_error(resp, "MissingAuthenticationTokenException", 403, "Missing Authentication Token")


def test_an_unknown_key_is_unrecognized(sigv4):
    err = client_error(boto(sigv4.url, ("AKIANOBODY0001", "x")).get_client_certificates)
    assert_client_error(err, "UnrecognizedClientException", 403,
                        "The security token included in the request is invalid.")


def test_a_forged_signature_is_refused(sigv4):
    req = signed(sigv4.url, "GET", "/clientcertificates")
    auth = req.headers["Authorization"]
    forged = auth[: auth.index("Signature=") + len("Signature=")] + secrets.token_hex(32)
    resp = send(req, headers={"Authorization": forged})
    body = assert_aws_error(resp, "InvalidSignatureException", 403)
    assert body["message"].startswith(MISMATCH)
    # A signature made with someone else's secret for this key is no better.
    resp = send(signed(sigv4.url, "GET", "/clientcertificates", key=(FULL[0], OTHER[1])))
    assert_aws_error(resp, "InvalidSignatureException", 403)


def test_altering_any_signed_part_breaks_the_signature(sigv4):
    body = b'{"description": "original"}'
    req = signed(sigv4.url, "POST", "/clientcertificates", body=body, headers={"Content-Type": "application/json"})
    # Another second of the same minute: a request signed at second 00 must not get 00 back.
    date = req.headers["X-Amz-Date"]
    other_second = date[:-3] + ("01Z" if date.endswith("00Z") else "00Z")
    for change in (
        {"body": b'{"description": "altered"}'},
        {"url": sigv4.url + "/clientcertificates?limit=5"},
        {"method": "PUT"},
        {"headers": {"X-Amz-Date": other_second}},
    ):
        resp = send(req, **change)
        assert_aws_error(resp, "InvalidSignatureException", 403)
    # A header that was not signed may change freely.
    resp = send(req, headers={"User-Agent": "something else"})
    assert resp.status_code == 201, resp.text


def test_a_replayed_request_is_served_within_its_window_and_nowhere_else(sigv4):
    # AWS serves an identical replay within the 15 minutes; the signature only binds the request.
    cid = boto(sigv4.url, FULL).generate_client_certificate()["clientCertificateId"]
    req = signed(sigv4.url, "GET", f"/clientcertificates/{cid}")
    assert send(req).status_code == 200
    assert send(req).status_code == 200
    assert_aws_error(send(req, url=sigv4.url + "/clientcertificates"), "InvalidSignatureException", 403)
    assert_aws_error(send(req, method="DELETE"), "InvalidSignatureException", 403)
    assert boto(sigv4.url, FULL).get_client_certificate(clientCertificateId=cid)["clientCertificateId"] == cid


@pytest.mark.parametrize("minutes, word", [(-20, "earlier"), (20, "later")])
def test_a_request_signed_twenty_minutes_away_has_expired(sigv4, minutes, word):
    when = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(minutes=minutes)
    req = signed(sigv4.url, "GET", "/clientcertificates", when=when)
    assert req.headers["X-Amz-Date"] == when.strftime("%Y%m%dT%H%M%SZ")
    body = assert_aws_error(send(req), "InvalidSignatureException", 403)
    assert body["message"].startswith("Signature expired: " + req.headers["X-Amz-Date"] + f" is now {word} than")
    # Five minutes away is within the window.
    near = when - datetime.timedelta(minutes=minutes) + datetime.timedelta(minutes=5)
    assert send(signed(sigv4.url, "GET", "/clientcertificates", when=near)).status_code == 200


def test_presigned_urls_work_until_they_expire(sigv4):
    def presign(expires: int, when: datetime.datetime | None = None) -> str:
        req = AWSRequest(method="GET", url=sigv4.url + "/clientcertificates")
        auth = SigV4QueryAuth(Credentials(*FULL), "apigateway", REGION, expires=expires)
        if when is None:
            auth.add_auth(req)
        else:
            with frozen_clock(when):
                auth.add_auth(req)
        return req.url

    url = presign(300)
    assert "X-Amz-Signature=" in url
    resp = requests.get(url, timeout=60)
    assert resp.status_code == 200, resp.text
    old = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=10)
    resp = requests.get(presign(60, when=old), timeout=60)
    body = assert_aws_error(resp, "InvalidSignatureException", 403)
    assert body["message"].startswith("Signature expired:")
    assert_aws_error(requests.get(url.replace("X-Amz-Expires=300", "X-Amz-Expires=3000"), timeout=60),
                     "InvalidSignatureException", 403)


def test_a_read_only_key_reads_but_cannot_write(sigv4):
    cid = boto(sigv4.url, FULL).generate_client_certificate()["clientCertificateId"]
    reader = boto(sigv4.url, READER)
    assert reader.get_client_certificate(clientCertificateId=cid)["clientCertificateId"] == cid
    reader.get_tags(resourceArn=cert_arn(REGION, cid))
    for call in (
        lambda: reader.generate_client_certificate(),
        lambda: reader.delete_client_certificate(clientCertificateId=cid),
        lambda: reader.update_client_certificate(clientCertificateId=cid, patchOperations=[
            {"op": "replace", "path": "/description", "value": "x"}]),
        lambda: reader.tag_resource(resourceArn=cert_arn(REGION, cid), tags={"a": "b"}),
        lambda: reader.untag_resource(resourceArn=cert_arn(REGION, cid), tagKeys=["a"]),
    ):
        assert_client_error(client_error(call), "UnauthorizedException", 401)
    assert reader.get_client_certificate(clientCertificateId=cid)["clientCertificateId"] == cid


def wait_until(predicate, what: str, deadline: float = 20.0):
    """Polls until `predicate()` is true; a signal is delivered asynchronously."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_sighup_reloads_the_file_and_a_bad_file_keeps_the_old_one(tmp_path):
    creds = tmp_path / "credentials.toml"
    creds.write_text(CREDENTIALS)
    srv = CertgateServer(tmp_path / "c.db", tmp_path, extra_args=["--auth", "sigv4", "--credentials", str(creds)])
    srv.start()
    try:
        keep_alive = requests.Session()  # one connection across reloads
        def status(key) -> int:
            return send_on(keep_alive, signed(srv.url, "GET", "/clientcertificates", key=key)).status_code

        new = ("AKIAPYNEWKEY01", "brand-new-secret")
        assert status(new) == 403
        creds.write_text(CREDENTIALS.replace(SECOND[0], new[0]).replace(SECOND[1], new[1]))
        srv.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: status(new) == 200, "the new key to be accepted")
        assert status(SECOND) == 403
        assert status(FULL) == 200

        creds.write_text('[[credential]]\naccess_key_id = "AKIAX"\nsecret_access_key = "leaky-secret\n')
        srv.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "NOT reloaded" in srv.stderr(), "the failed reload to be logged")
        assert status(new) == 200 and status(FULL) == 200
        assert "leaky-secret" not in srv.stderr()
        assert FULL[1] not in srv.stderr() and new[1] not in srv.stderr()
    finally:
        srv.terminate()


def send_on(session: requests.Session, req: AWSRequest) -> requests.Response:
    return session.request(req.method, req.url, data=req.body, headers=dict(req.headers.items()), timeout=60)


@pytest.mark.parametrize("content, message", [
    (None, "needs --credentials"),
    ("", "no [[credential]]"),
    ('[[credential]]\naccess_key_id = "K1"\nsecret_access_key = "s"\naccount_id = "1"\npermission = "full"\n',
     "twelve digits"),
    ('[[credential]]\naccess_key_id = "K1"\nsecret_access_key = "start-secret\n', "line 3"),
])
def test_a_bad_credentials_file_stops_the_start(tmp_path, content, message):
    args = [str(server_binary()), "serve", "--listen", "127.0.0.1:0",
            "--store", f"sqlite://{tmp_path / 'c.db'}", "--auth", "sigv4"]
    if content is not None:
        creds = tmp_path / "credentials.toml"
        creds.write_text(content)
        args += ["--credentials", str(creds)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTGATE_")}
    res = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)
    assert res.returncode != 0
    assert message in res.stderr, res.stderr
    assert "start-secret" not in res.stderr
    assert "listening" not in res.stdout


ADMIN = ("AKIAPYADMIN001", "admin/secret+key")


@pytest.fixture(scope="module")
def sigv4_admin(tmp_path_factory):
    """A sigv4 server whose credentials file also lists an admin key."""
    work = tmp_path_factory.mktemp("sigv4-admin")
    creds = work / "credentials.toml"
    creds.write_text(CREDENTIALS + f"""
[[credential]]
access_key_id = "{ADMIN[0]}"
secret_access_key = "{ADMIN[1]}"
account_id = "{ACCOUNT}"
permission = "admin"
""")
    srv = CertgateServer(work / "certgate.db", work, extra_args=["--auth", "sigv4", "--credentials", str(creds)])
    srv.start()
    yield srv
    srv.terminate()


@pytest.mark.parametrize("path", ["/metrics", "/_certgate/", "/_certgate/api/certificates", "/_certgate/ui/app.js"])
def test_the_console_and_metrics_ask_for_an_admin_key(sigv4_admin, path):
    url = sigv4_admin.url + path
    bare = requests.get(url, timeout=30)
    assert bare.status_code == 401, (bare.status_code, bare.text[:200])
    assert bare.headers["WWW-Authenticate"].startswith("Basic "), bare.headers
    assert "message" in bare.json()
    # A key that may call every operation still may not read every account's certificates.
    assert requests.get(url, auth=FULL, timeout=30).status_code == 401
    assert requests.get(url, auth=(ADMIN[0], "wrong"), timeout=30).status_code == 401
    assert requests.get(url, auth=("AKIANOTLISTED01", ADMIN[1]), timeout=30).status_code == 401
    assert requests.get(url, auth=ADMIN, timeout=30).status_code == 200
    # A script may sign instead of sending the secret.
    assert send(signed(sigv4_admin.url, "GET", path, key=ADMIN)).status_code == 200
    assert send(signed(sigv4_admin.url, "GET", path, key=FULL)).status_code == 401


def test_health_and_the_api_document_stay_open_and_admin_keys_call_the_api(sigv4_admin):
    assert requests.get(sigv4_admin.url + "/_certgate/health", timeout=30).status_code == 200
    assert requests.get(sigv4_admin.url + "/_certgate/openapi.json", timeout=30).status_code == 200
    cert = boto(sigv4_admin.url, ADMIN).generate_client_certificate(description="by the admin")
    listed = requests.get(sigv4_admin.url + "/_certgate/api/certificates", auth=ADMIN, timeout=30).json()
    assert cert["clientCertificateId"] in [c["id"] for c in listed["certificates"]], listed


def test_without_an_admin_key_the_console_and_metrics_are_closed_to_everyone(sigv4):
    for path in ("/metrics", "/_certgate/api/certificates", "/_certgate/"):
        assert requests.get(sigv4.url + path, timeout=30).status_code == 401, path
        assert requests.get(sigv4.url + path, auth=FULL, timeout=30).status_code == 401, path
    assert requests.get(sigv4.url + "/_certgate/health", timeout=30).status_code == 200
