"""Memory under big rows (issue 15, finding 3): descriptions are at most 1024 characters, refused
beyond with AWS's BadRequestException; `/metrics` reads only expiry dates, and the console's listing
reads a few rows at a time within a byte budget, so rows made big before the limit (written here
straight into the SQLite file) cost a scrape nothing and a listing a bounded amount."""

from __future__ import annotations

import sqlite3
import threading

import requests

from certgate_helpers import RawClient, assert_aws_error

MIB = 1024 * 1024


def test_descriptions_over_1024_characters_are_refused(server, account):
    raw = RawClient(server.url, key=account)
    assert raw.generate(description="é" * 1024).status_code == 201
    body = assert_aws_error(raw.generate(description="a" * 1025), "BadRequestException", 400)
    assert "at most 1024 characters" in body["message"], body
    cid = raw.generate(description="short").json()["clientCertificateId"]
    patch = {"patchOperations": [{"op": "replace", "path": "/description", "value": "b" * 1025}]}
    resp = raw.request("PATCH", f"/clientcertificates/{cid}", json_body=patch)
    assert_aws_error(resp, "BadRequestException", 400)
    assert raw.get(cid).json()["description"] == "short"


def anon_mib(pid: int) -> float:
    """The process's anonymous memory (its heap), without the SQLite file it maps."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no RssAnon")


def peak_growth(srv, paths: list[str]) -> tuple[float, list]:
    """Sends `paths` at once and returns how far the heap grew at its highest (sampled every 5 ms)
    while they were answered, and the answers."""
    base = anon_mib(srv.proc.pid)
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], anon_mib(srv.proc.pid))
            done.wait(0.005)

    answers: list = []
    sampler = threading.Thread(target=sample)
    sampler.start()
    threads = [threading.Thread(target=lambda p=p: answers.append(requests.get(srv.url + p, timeout=300)))
               for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    sampler.join()
    return peak[0] - base, answers


def test_scrapes_and_listings_of_big_rows_stay_within_bounded_memory(server_factory, account):
    srv = server_factory()
    raw = RawClient(srv.url, key=account)
    for _ in range(40):
        assert raw.generate(description="small").status_code == 201
    with sqlite3.connect(srv.store, timeout=30) as db:
        db.execute("UPDATE client_certificates SET description = ?", ("x" * MIB,))
    # The rows hold 40 MiB of descriptions. Before, four scrapes grew the heap by about 130 MiB
    # (every row read whole) and four listings by about 400 MiB (every row, and its JSON).
    grown, answers = peak_growth(srv, ["/metrics"] * 4)
    print(f"4 scrapes of 40 rows of 1 MiB: heap peak +{grown:.0f} MiB")
    assert [a.status_code for a in answers] == [200] * 4
    assert grown < 32, f"four scrapes grew the heap by {grown:.0f} MiB"
    grown, answers = peak_growth(srv, ["/_certgate/api/certificates"] * 4)
    print(f"4 console listings of 40 rows of 1 MiB: heap peak +{grown:.0f} MiB")
    assert [a.status_code for a in answers] == [200] * 4
    assert grown < 250, f"four listings grew the heap by {grown:.0f} MiB"
    listing = answers[0].json()
    # Rows longer than the API now allows are shown cut, with an ellipsis.
    assert len(listing["certificates"]) == 40
    assert all(len(c["description"]) == 1025 for c in listing["certificates"]), listing["certificates"][0]
