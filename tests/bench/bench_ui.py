#!/usr/bin/env python3
"""The touch UI's budgets, on a device database with two years of weekly fill-ups, served by the
real odologd on loopback, each figure beside a baseline measured in the same run:

  time   server time per page (the Server-Timing odologd sends) and the time a client waits
         (median and 95th percentile of R requests on one keep-alive connection), against a
         built-in asset served by the same server.                       target < 50 ms
  bytes  the bytes of each page with every asset it loads.              target < 150 KB
  rss    odologd's peak RSS after every page was served R times (the UI in use), against the
         same odologd without the UI.                                   target <= 16 MiB

usage: bench_ui.py [--fills N] [--requests R]
Defaults: --fills 104 --requests 40. Binaries from build/ unless ODOLOG_BIN, ODOLOGD are set.
Exits 1 when a target is missed and ODO_BENCH_ENFORCE=1 is set.
"""
import argparse
import datetime
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ODOLOG = os.environ.get("ODOLOG_BIN", os.path.join(ROOT, "build/firmware/odolog/odolog"))
ODOLOGD = os.environ.get("ODOLOGD", os.path.join(ROOT, "build/firmware/odologd"))
PAGES = ["/", "/odometer", "/due", "/history", "/stats", "/renewals", "/sync", "/vin",
         "/settings", "/who"]
TIME_MS, BYTES_KB, RSS_MIB = 50, 150, 16
missed = []


def say(msg):
    print(msg, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def odolog(env, *args):
    subprocess.run([ODOLOG, *args], env=env, check=True, capture_output=True, timeout=60)


def seed(env, fills):
    """A driver's two years: weekly fill-ups, a partial now and then, maintenance, documents."""
    odolog(env, "init", "--units", "metric")
    odolog(env, "vehicle", "add", "--name", "Golf")
    day = datetime.datetime.now() - datetime.timedelta(days=7 * fills + 1)
    for i in range(fills):
        day += datetime.timedelta(days=7)
        odolog(env, "fuel", "add", "--odometer", str(10000 + 650 * i), "--volume",
               f"{40 + i % 7}.{i % 10}", "--price", f"1.{700 + (i * 37) % 250}", "--station",
               ["Shell", "Aral", "Esso"][i % 3], "--date", day.strftime("%Y-%m-%d %H:%M"),
               *(["--partial"] if i % 9 == 4 else []))
    odolog(env, "maint", "add", "--type", "oil_change", "--every-months", "12",
           "--every-distance", "15000", "--last-date", "2024-01-10")
    odolog(env, "renewal", "add", "--kind", "insurance", "--until",
           (datetime.date.today() + datetime.timedelta(days=40)).isoformat(), "--cost", "480")


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))


def start(db, env, ui_port=None):
    args = [ODOLOGD, "--db", db, "--interval", "3600"]
    if ui_port:
        args += ["--ui-port", str(ui_port)]
    p = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True)
    for line in p.stderr:
        if "running:" in line:
            return p
    raise RuntimeError("odologd did not start")


def stop(p):
    p.terminate()
    p.wait(timeout=30)


class Client:
    """One keep-alive connection with the browser's session cookie and token."""

    def __init__(self, port):
        self.host = f"127.0.0.1:{port}"
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def get(self, path):
        t0 = time.perf_counter()
        self.conn.request("GET", path, headers={"Host": self.host, "Cookie": self.cookie})
        r = self.conn.getresponse()
        body = r.read()
        wall = (time.perf_counter() - t0) * 1000
        if r.getheader("Set-Cookie"):
            self.cookie = r.getheader("Set-Cookie").split(";")[0]
        timing = re.search(r"dur=([\d.]+)", r.getheader("Server-Timing") or "")
        return r.status, body, wall, float(timing.group(1)) if timing else None

    def sign_in(self, user):
        _, body, _, _ = self.get("/who?out=1")
        csrf = re.search(rb'name="csrf" value="(\w+)"', body).group(1).decode()
        form = urllib.parse.urlencode({"csrf": csrf, "user": user})
        self.conn.request("POST", "/who", body=form, headers={
            "Host": self.host, "Cookie": self.cookie, "Origin": f"http://{self.host}",
            "Content-Type": "application/x-www-form-urlencoded"})
        r = self.conn.getresponse()
        r.read()
        if r.status != 303:
            raise RuntimeError(f"sign-in answered {r.status}")
        if r.getheader("Set-Cookie"):  # a new session on sign-in
            self.cookie = r.getheader("Set-Cookie").split(";")[0]


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fills", type=int, default=104)
    ap.add_argument("--requests", type=int, default=40)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="odolog-bench-ui-")
    db = os.path.join(tmp, "odolog.db")
    env = {**os.environ, "ODOLOG_DB": db, "ODOLOG_USER": "driver", "TZ": "UTC"}
    try:
        say(f"bench ui: seeding {a.fills} fill-ups")
        seed(env, a.fills)
        p = start(db, env)
        time.sleep(0.5)
        base_rss = peak_rss_kib(p.pid)
        stop(p)
        port = free_port()
        p = start(db, env, port)
        c = Client(port)
        c.sign_in("driver")
        _, page, _, _ = c.get("/")
        fill = re.search(rb'href="/fill/([0-9a-f-]{36})"', c.get("/history")[1]).group(1).decode()
        assets = sorted(set(re.findall(rb'(?:href|src)="(/a/[^"]+)"', page)))
        asset_bytes = {x.decode(): len(c.get(x.decode().replace("&amp;", "&"))[1]) for x in assets}
        asset_ms = [c.get(assets[0].decode())[2] for _ in range(a.requests)]
        say(f"  baseline: asset {assets[0].decode()} median {statistics.median(asset_ms):.2f} ms "
            f"({len(asset_ms)} requests); assets {sum(asset_bytes.values())} bytes in all")
        say(f"  {'page':<12} {'server ms':>9} {'p95':>6} {'client ms':>9} {'p95':>6} "
            f"{'x asset':>7} {'KB+assets':>9}")
        worst_server = worst_bytes = 0
        for path in PAGES + [f"/fill/{fill}"]:
            server, client, size = [], [], 0
            for _ in range(a.requests):
                status, body, wall, dur = c.get(path)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
                server.append(dur)
                client.append(wall)
                size = len(body)
            total_kb = (size + sum(asset_bytes.values())) / 1024
            ratio = statistics.median(client) / statistics.median(asset_ms)
            worst_server = max(worst_server, pct(server, 0.95))
            worst_bytes = max(worst_bytes, total_kb)
            say(f"  {path[:12]:<12} {statistics.median(server):9.2f} {pct(server, 0.95):6.2f} "
                f"{statistics.median(client):9.2f} {pct(client, 0.95):6.2f} {ratio:7.1f} "
                f"{total_kb:9.1f}")
        rss = peak_rss_kib(p.pid)
        stop(p)
        say(f"  rss: odologd without the UI {base_rss / 1024:.1f} MiB; with the UI in use "
            f"{rss / 1024:.1f} MiB ({rss / base_rss:.2f}x)")
        for name, value, target in (("server time, worst p95 (ms)", worst_server, TIME_MS),
                                    ("page with assets, largest (KB)", worst_bytes, BYTES_KB),
                                    ("odologd peak RSS with the UI (MiB)", rss / 1024, RSS_MIB)):
            ok = value < target if name.startswith(("server", "page")) else value <= target
            say(f"  => {name}: {value:.2f} (target {'<' if 'RSS' not in name else '<='} {target}) "
                f"{'met' if ok else 'MISSED'}")
            if not ok:
                missed.append(name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if missed and os.environ.get("ODO_BENCH_ENFORCE") == "1":
        sys.exit(1)


if __name__ == "__main__":
    main()
