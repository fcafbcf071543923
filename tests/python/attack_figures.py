"""The attack figures of issue 15 in TESTING.md, measured against a certgate binary:

    CERTGATE_BIN=target/release/certgate .venv/bin/python tests/python/attack_figures.py [stall h2stall idle memory]

Not a test (pytest does not collect it): it prints what it measures."""
import os, sys, socket, sqlite3, tempfile, threading, time
from pathlib import Path
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import requests, h2.connection, h2.config, h2.events, h2.exceptions
from certgate_helpers import CertgateServer, RawClient
from urllib.parse import urlparse

def status(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key): return int(line.split()[1]) / 1024

def conn(url, t=30):
    u = urlparse(url); return socket.create_connection((u.hostname, u.port), timeout=t)

work = Path(tempfile.mkdtemp())
def start(name, *flags):
    (work / name).mkdir()
    return CertgateServer(work / name / "c.db", work / f"w-{name}", extra_args=list(flags)).start()

which = sys.argv[1:] or ["stall", "h2stall", "idle", "memory"]

if "stall" in which:
    srv = start("stall")
    socks = []
    for _ in range(256):
        s = conn(srv.url)
        s.sendall(b"POST /clientcertificates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n")
        socks.append(s)
    time.sleep(2)
    raw = RawClient(srv.url)
    gets = [raw.list().status_code for _ in range(50)]
    gens = [raw.generate(description="probe").status_code for _ in range(20)]
    print(f"256 stalled HTTP/1 uploads: probe lists {gets.count(200)}/50 ok (429: {gets.count(429)}), generates {gens.count(201)}/20 ok (429: {gens.count(429)})")
    for s in socks: s.close()
    srv.terminate()

if "h2stall" in which:
    srv = start("h2stall")
    conns = []
    opened = refused = 0
    for _ in range(2):
        s = conn(srv.url, 10)
        c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        c.initiate_connection(); s.sendall(c.data_to_send())
        # read the server's SETTINGS (max concurrent streams)
        s.settimeout(1)
        try:
            c.receive_data(s.recv(65536)); s.sendall(c.data_to_send())
        except socket.timeout:
            pass
        for _ in range(200):
            try:
                sid = c.get_next_available_stream_id()
                c.send_headers(sid, [(":method", "POST"), (":path", "/clientcertificates"), (":scheme", "http"),
                                     (":authority", "x"), ("content-type", "application/json"), ("content-length", "10")])
                opened += 1
            except h2.exceptions.TooManyStreamsError:
                refused += 1
        s.sendall(c.data_to_send())
        conns.append((s, c))
    time.sleep(2)
    answered429 = 0
    for s, c in conns:
        s.settimeout(0.5)
        try:
            while True:
                d = s.recv(65536)
                if not d: break
                for e in c.receive_data(d):
                    if isinstance(e, h2.events.ResponseReceived) and dict(e.headers)[b":status"] == b"429":
                        answered429 += 1
        except socket.timeout:
            pass
    raw = RawClient(srv.url)
    gets = [raw.list().status_code for _ in range(50)]
    gens = [raw.generate(description="probe").status_code for _ in range(20)]
    print(f"2 HTTP/2 connections asking 200 stalled streams each: {opened} streams opened ({refused} held back by the 32-stream limit), {answered429} answered 429 at once, {opened - answered429} hold upload places; probe lists {gets.count(200)}/50 ok, generates {gens.count(201)}/20 ok")
    srv.terminate()

if "idle" in which:
    srv = start("idle", "--max-connections=3")
    socks = []
    t0 = time.monotonic()
    for _ in range(3):
        s = conn(srv.url, 60); s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"); socks.append(s)
    ends = []
    for s in socks:
        try:
            while s.recv(65536): pass
        except OSError: pass
        ends.append(time.monotonic() - t0)
    ok = RawClient(srv.url).list().status_code
    print(f"3 HTTP/2 preface-only sockets under --max-connections 3: closed after {min(ends):.1f}-{max(ends):.1f} s; next client got {ok}")
    srv.terminate()

if "memory" in which:
    srv = start("memory")
    raw = RawClient(srv.url)
    for _ in range(200): raw.generate(description="s")
    with sqlite3.connect(srv.store) as db: db.execute("UPDATE client_certificates SET description = ?", ("x" * 1024 * 1024,))
    pid = srv.proc.pid
    def burst(path):
        peak = [status(pid, "RssAnon:")]; done = threading.Event()
        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], status(pid, "RssAnon:")); time.sleep(0.005)
        st = threading.Thread(target=sample); st.start()
        ts = [threading.Thread(target=lambda: requests.get(srv.url + path, timeout=600)) for _ in range(4)]
        t0 = time.monotonic(); [t.start() for t in ts]; [t.join() for t in ts]; took = time.monotonic() - t0
        done.set(); st.join()
        return peak[0], took
    base = status(pid, "VmRSS:")
    pm, tm = burst("/metrics")
    hwm_m = status(pid, "VmHWM:")
    pc, tc = burst("/_certgate/api/certificates")
    print(f"200 rows of 1 MiB descriptions; RSS at rest {base:.0f} MiB. 4 concurrent /metrics: heap peak {pm:.0f} MiB, VmHWM {hwm_m:.0f} MiB, {tm:.1f} s. "
          f"4 concurrent console listings: heap peak {pc:.0f} MiB, VmHWM {status(pid, 'VmHWM:'):.0f} MiB, {tc:.1f} s; RSS after {status(pid, 'VmRSS:'):.0f} MiB")
    srv.terminate()
