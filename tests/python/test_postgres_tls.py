"""PostgreSQL over TLS (issue 15): `sslmode` disable, prefer, require, verify-ca and verify-full, and
`sslrootcert`, against a throwaway PostgreSQL cluster this file starts with `ssl=on`, a certificate
from a CA it makes, and a pg_hba.conf that takes TLS connections only. Skipped where the PostgreSQL
server programs (initdb, pg_ctl) are not installed; .ci/run installs them (scripts/ensure-postgres)."""

from __future__ import annotations

import datetime
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pg_helpers import PgServer, run_certgate


def pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def make_cert(subject: str, issuer_key, issuer_name, key, ca: bool, dns: list[str]) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in dns]),
                                        critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def write_ca(directory: Path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = make_cert(name, key, None, key, True, [])
    (directory / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


@pytest.fixture(scope="module")
def tls_cluster():
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("the PostgreSQL server programs (initdb, pg_ctl) are not installed")
    # PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
    run_as: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to own a cluster")
        run_as = ["runuser", "-u", "postgres", "--"]
    work = Path(tempfile.mkdtemp(prefix="certgate-pgtls-"))
    os.chmod(work, 0o755)
    ca_key, ca = write_ca(work, "ca")
    write_ca(work, "other-ca")
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = make_cert("localhost", ca_key, ca.subject, server_key, False, ["localhost"])
    (work / "server.crt").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (work / "server.key").write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    os.chmod(work / "server.key", 0o600)
    data = work / "data"
    if owner:
        for p in (work, work / "server.crt", work / "server.key"):
            os.chown(p, owner.pw_uid, owner.pw_gid)
        data.mkdir()
        os.chown(data, owner.pw_uid, owner.pw_gid)
    subprocess.run(run_as + [initdb, "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True, timeout=120)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{work}'\n"
                   f"ssl = on\nssl_cert_file = '{work}/server.crt'\nssl_key_file = '{work}/server.key'\n")
    # TLS connections only: a client that does not use TLS is turned away.
    (data / "pg_hba.conf").write_text("hostssl all all 127.0.0.1/32 trust\n")
    if owner:
        os.chown(data / "pg_hba.conf", owner.pw_uid, owner.pw_gid)
    subprocess.run(run_as + [pg_ctl, "-D", str(data), "-l", str(work / "log"), "-w", "start"],
                   check=True, capture_output=True, timeout=120)
    try:
        yield {"port": port, "work": work}
    finally:
        subprocess.run(run_as + [pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(work, ignore_errors=True)


def url(cluster, host: str, query: str) -> str:
    return f"postgres://postgres@{host}:{cluster['port']}/postgres?{query}"


def migrate(store: str) -> subprocess.CompletedProcess:
    return run_certgate("migrate", "--store", store, timeout=60)


def test_each_sslmode_does_what_libpq_does(tls_cluster):
    ca = tls_cluster["work"] / "ca.pem"
    other = tls_cluster["work"] / "other-ca.pem"
    ok = [
        url(tls_cluster, "localhost", "sslmode=prefer"),
        url(tls_cluster, "127.0.0.1", "sslmode=require"),
        url(tls_cluster, "127.0.0.1", f"sslmode=verify-ca&sslrootcert={ca}"),
        url(tls_cluster, "localhost", f"sslmode=verify-full&sslrootcert={ca}"),
    ]
    for store in ok:
        res = migrate(store)
        assert res.returncode == 0, (store, res.stderr)
    refused = [
        # The server takes TLS only.
        url(tls_cluster, "localhost", "sslmode=disable"),
        # The certificate names localhost, not 127.0.0.1.
        url(tls_cluster, "127.0.0.1", f"sslmode=verify-full&sslrootcert={ca}"),
        # Another CA signed nothing here.
        url(tls_cluster, "localhost", f"sslmode=verify-ca&sslrootcert={other}"),
        url(tls_cluster, "localhost", f"sslmode=verify-full&sslrootcert={other}"),
        # With a root certificate, require checks the chain, as libpq's does.
        url(tls_cluster, "localhost", f"sslmode=require&sslrootcert={other}"),
    ]
    for store in refused:
        res = migrate(store)
        assert res.returncode != 0, (store, res.stdout, res.stderr)
    # verify-ca and verify-full need to know whom to trust.
    res = migrate(url(tls_cluster, "localhost", "sslmode=verify-full"))
    assert res.returncode != 0 and "sslrootcert" in res.stderr, res.stderr
    res = migrate(url(tls_cluster, "localhost", "sslmode=bogus"))
    assert res.returncode != 0 and "sslmode" in res.stderr, res.stderr


def test_a_server_on_verify_full_serves_over_tls(tls_cluster, tmp_path):
    ca = tls_cluster["work"] / "ca.pem"
    store = url(tls_cluster, "localhost", f"sslmode=verify-full&sslrootcert={ca}&schema=certgate_tls")
    srv = PgServer(store, tmp_path).start()
    try:
        created = requests.post(srv.url + "/clientcertificates", json={"description": "over tls"}, timeout=60)
        assert created.status_code == 201, created.text
        listed = requests.get(srv.url + "/clientcertificates", timeout=60)
        assert listed.status_code == 200 and "over tls" in listed.text
    finally:
        srv.terminate()
    assert "sslmode=verify-full" in srv.stderr()
