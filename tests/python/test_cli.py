"""The AWS CLI (python -m awscli) against certgate."""

import json

from cryptography import x509

from certgate_helpers import ID_RE, ONE_YEAR, awscli_env, cert_arn, new_account, run_awscli

REGION = "us-west-2"


def test_cli_full_lifecycle(server, tmp_path):
    env = awscli_env(tmp_path, new_account())

    def cli(*args):
        res = run_awscli(server.url, REGION, env, *args)
        return json.loads(res.stdout) if res.stdout.strip() else None

    created = cli("generate-client-certificate", "--description", "cli cert", "--tags", "env=dev,team=edge")
    cid = created["clientCertificateId"]
    assert ID_RE.match(cid)
    assert created["description"] == "cli cert"
    assert created["tags"] == {"env": "dev", "team": "edge"}
    x509.load_pem_x509_certificate(created["pemEncodedCertificate"].encode())
    # the CLI prints epoch timestamps as numbers
    assert created["expirationDate"] - created["createdDate"] == ONE_YEAR

    got = cli("get-client-certificate", "--client-certificate-id", cid)
    assert got["pemEncodedCertificate"] == created["pemEncodedCertificate"]

    listed = cli("get-client-certificates")
    assert [i["clientCertificateId"] for i in listed["items"]] == [cid]

    updated = cli(
        "update-client-certificate",
        "--client-certificate-id", cid,
        "--patch-operations", "op=replace,path=/description,value=new",
    )
    assert updated["description"] == "new"
    assert cli("get-client-certificate", "--client-certificate-id", cid)["description"] == "new"

    arn = cert_arn(REGION, cid)
    assert cli("tag-resource", "--resource-arn", arn, "--tags", "owner=me,env=prod") is None
    assert cli("get-tags", "--resource-arn", arn)["tags"] == {"env": "prod", "team": "edge", "owner": "me"}

    assert cli("untag-resource", "--resource-arn", arn, "--tag-keys", "team", "owner") is None
    assert cli("get-tags", "--resource-arn", arn)["tags"] == {"env": "prod"}
    assert cli("get-client-certificate", "--client-certificate-id", cid)["tags"] == {"env": "prod"}

    assert cli("delete-client-certificate", "--client-certificate-id", cid) is None
    assert cli("get-client-certificates").get("items", []) == []


def test_cli_get_unknown_id_fails_with_not_found(server, tmp_path):
    env = awscli_env(tmp_path, new_account())
    res = run_awscli(server.url, REGION, env, "get-client-certificate", "--client-certificate-id", "zzzzzz", check=False)
    assert res.returncode != 0
    assert "NotFoundException" in res.stderr
    assert "Invalid Client Certificate identifier specified" in res.stderr


def test_cli_surfaces_bad_request(server, tmp_path):
    env = awscli_env(tmp_path, new_account())
    res = run_awscli(server.url, REGION, env, "generate-client-certificate", "--tags", "aws:reserved=x", check=False)
    assert res.returncode != 0
    assert "BadRequestException" in res.stderr
