"""Private keys at rest: sealed under a master key before they reach the store, the key file made
on first start, a wrong key refused at start-up, and rotate-master-key that can be interrupted and
run again."""

from __future__ import annotations

import base64
import os
import re
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from certgate_helpers import CertgateServer, make_boto_client, new_account, server_binary


def clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("CERTGATE_")}


def start(tmp_path: Path, db: Path, *args: str, env: dict | None = None) -> CertgateServer:
    n = len(list(tmp_path.glob("run-*")))
    return CertgateServer(db, tmp_path / f"run-{n}", extra_args=list(args), env=env or clean_env()).start()


def serve_fails(db: Path, *args: str) -> subprocess.CompletedProcess:
    res = subprocess.run([str(server_binary()), "serve", "--listen", "127.0.0.1:0", "--store", f"sqlite://{db}", *args],
                         capture_output=True, text=True, timeout=60, env=clean_env())
    assert res.returncode != 0, res.stdout
    assert "listening" not in res.stdout
    return res


def rotate(db: Path, *args: str) -> subprocess.CompletedProcess:
    res = subprocess.run([str(server_binary()), "rotate-master-key", "--store", f"sqlite://{db}", *args],
                         capture_output=True, text=True, timeout=120, env=clean_env())
    assert res.returncode == 0, f"stdout={res.stdout}\nstderr={res.stderr}"
    return res


def generate(url: str, account: str, n: int) -> list[str]:
    client = make_boto_client(url, key=account)
    return [client.generate_client_certificate()["clientCertificateId"] for _ in range(n)]


def all_stored_bytes(db: Path) -> bytes:
    """Every value of every table, read straight from the SQLite file."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out = bytearray()
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    out += value if isinstance(value, bytes) else str(value).encode()
                    out += b"\0"
        return bytes(out)
    finally:
        conn.close()


def modulus_bytes(pem: str) -> bytes:
    """The RSA modulus of a certificate: every encoding of its private key contains it in clear."""
    n = x509.load_pem_x509_certificate(pem.encode()).public_key().public_numbers().n
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def test_no_private_key_is_stored_in_clear(tmp_path):
    db = tmp_path / "data" / "certgate.db"
    db.parent.mkdir()
    srv = start(tmp_path, db)
    account = new_account()
    client = make_boto_client(srv.url, key=account)
    pems = [client.generate_client_certificate()["pemEncodedCertificate"] for _ in range(3)]
    srv.terminate()

    stored = all_stored_bytes(db)
    raw_files = b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith("certgate.db"))
    for pem in pems:
        # The check can see what it looks for: the certificate itself is stored, as PEM text.
        body = "".join(pem.strip().splitlines()[1:-1])
        assert body in stored.decode(errors="replace").replace("\n", "")
        modulus = modulus_bytes(pem)
        assert modulus not in stored and modulus not in raw_files
        # A clear key would hold the modulus in DER, or in base64 in a PEM.
        assert base64.b64encode(modulus[:48]) not in stored
    assert b"PRIVATE KEY" not in stored and b"PRIVATE KEY" not in raw_files


def test_the_master_key_is_created_once_beside_the_store_owner_only(tmp_path):
    db = tmp_path / "data" / "certgate.db"
    db.parent.mkdir()
    srv = start(tmp_path, db)
    generate(srv.url, new_account(), 1)
    srv.terminate()
    key_file = db.parent / "master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(base64.b64decode(key_file.read_text().strip())) == 32
    assert srv.stderr().count("created a new master key") == 1
    assert base64.b64decode(key_file.read_text().strip()).hex() not in srv.stderr()
    again = start(tmp_path, db)
    again.terminate()
    assert "created a new master key" not in again.stderr()


def test_a_wrong_master_key_stops_the_start(tmp_path):
    db = tmp_path / "certgate.db"
    srv = start(tmp_path, db)
    account = new_account()
    ids = generate(srv.url, account, 2)
    srv.terminate()
    other = tmp_path / "other.key"
    other.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    res = serve_fails(db, "--master-key-file", str(other))
    assert "wrong master key" in res.stderr, res.stderr
    # An explicit key file that does not exist is an error too, not a new key.
    res = serve_fails(db, "--master-key-file", str(tmp_path / "missing.key"))
    assert "cannot read master key file" in res.stderr
    assert not (tmp_path / "missing.key").exists()
    (tmp_path / "short.key").write_text(base64.b64encode(b"short").decode())
    res = serve_fails(db, "--master-key-file", str(tmp_path / "short.key"))
    assert "32 bytes" in res.stderr
    # The right key (here through the environment variable) still serves every certificate.
    env = clean_env() | {"CERTGATE_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    srv = start(tmp_path, db, env=env)
    listed = make_boto_client(srv.url, key=account).get_client_certificates()["items"]
    srv.terminate()
    assert sorted(c["clientCertificateId"] for c in listed) == sorted(ids)


def sealed_fingerprints(db: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(client_certificates)")]
        col = next(c for c in cols if "key" in c)
        return [bytes(r[0])[1:9].hex() for r in conn.execute(f"SELECT {col} FROM client_certificates")]
    finally:
        conn.close()


def test_an_interrupted_rotation_is_run_again_and_loses_no_key(tmp_path):
    db = tmp_path / "certgate.db"
    srv = start(tmp_path, db)
    account = new_account()
    ids = generate(srv.url, account, 5)
    srv.terminate()
    old_fp = set(sealed_fingerprints(db))
    assert len(old_fp) == 1

    new_key = tmp_path / "new.key"
    first = rotate(db, "--new-key-file", str(new_key), "--limit", "2")
    assert "not finished" in first.stdout
    assert stat.S_IMODE(new_key.stat().st_mode) == 0o600
    fps = sealed_fingerprints(db)
    assert len(set(fps)) == 2 and len([f for f in fps if f not in old_fp]) == 2
    # Half rotated: no server may seal keys under either key until the rotation is finished.
    res = serve_fails(db)
    assert "rotate-master-key" in res.stderr and "again" in res.stderr
    serve_fails(db, "--master-key-file", str(new_key))

    second = rotate(db, "--new-key-file", str(new_key))
    assert "re-encrypted 3 keys" in second.stdout and "2 already under the new key" in second.stdout
    assert "done" in second.stdout
    assert len(set(sealed_fingerprints(db)) - old_fp) == 1 and not set(sealed_fingerprints(db)) & old_fp

    # The old key no longer opens the store; the new one does, with every certificate there.
    assert "wrong master key" in serve_fails(db).stderr
    srv = start(tmp_path, db, "--master-key-file", str(new_key))
    client = make_boto_client(srv.url, key=account)
    assert sorted(c["clientCertificateId"] for c in client.get_client_certificates()["items"]) == sorted(ids)
    client.generate_client_certificate()
    srv.terminate()
    assert len(set(sealed_fingerprints(db))) == 1

    # Running it again changes nothing.
    third = rotate(db, "--new-key-file", str(new_key), "--master-key-file", str(tmp_path / "master.key"))
    assert "re-encrypted 0 keys" in third.stdout and "6 already" in third.stdout
