#!/usr/bin/env python3
"""Sync benchmarks, each a ratio against a baseline measured in the same run on the same machine
(shared and noisy machines make absolute times meaningless). Real parts throughout: a throwaway
PostgreSQL, the real gateway, device databases synced by the real odolog binary.

  push       N fill-ups from one device into PostgreSQL, over coaps and over HTTPS, against
             COPY of the same rows into the same table.                      target <= 2x
  wire       bytes on the wire (TLS/DTLS records, headers and answers included) per pushed
             fill-up, against the same record as one CSV line.               target <= 1.3x
  noop       a sync with nothing to do: its round trips (target 1) and bytes.
  rss        peak RSS of the odolog process during the N-row sync; N/4 rows for flatness.
                                                                             target <= 16 MiB
  pull       a pull with nothing new for a user with 1,000,000 central rows against one with
             1,000 rows (server-side time, as the gateway logs it).          target <= 2x

usage: bench_sync.py [--rows N] [--wire-rows N] [--big M] [--only NAME[,NAME]]
Defaults: --rows 100000 --wire-rows 10000 --big 1000000. Binaries from build/ unless ODOLOG_BIN,
ODOLOG_GATEWAY are set. Prints one line per figure and a summary of ratios against targets;
exits 1 when a target is missed and ODO_BENCH_ENFORCE=1 is set.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import (ODOLOG, ROOT, Device, FaultProxy, Gateway, Postgres,  # noqa: E402
                     odolog_env)

SEED = os.path.join(ROOT, "build/tests/bench_seed")
PEAK = os.path.join(ROOT, "build/tests/bench_peak")
FUEL_COLS = ("id, vehicle_id, filled_at, odometer, volume, volume_unit, unit_price, total_cost, "
             "currency, is_full, missed, station_id, station, notes, created_at, updated_at, "
             "deleted_at")
results = []  # (name, value, target, unit)


def say(msg):
    print(msg, flush=True)


def report(name, value, target):
    results.append((name, value, target))
    verdict = "met" if value <= target else "MISSED"
    say(f"  => {name}: {value:.2f} (target <= {target}) {verdict}")


def run_measured(args, env=None):
    """Runs a command under bench_peak; returns (wall seconds, peak RSS in KiB, stdout)."""
    t0 = time.monotonic()
    p = subprocess.run([PEAK, *args], capture_output=True, text=True, env=env, timeout=3600)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {p.returncode}: {p.stderr}")
    peak = int(re.search(r"peak_rss_kib (\d+)", p.stderr).group(1))
    return wall, peak, p.stdout


def seeded(gw, transport, rows, tag):
    user = f"bench-{tag}-{uuid.uuid4().hex[:6]}"
    dev = Device(gw, user, transport, f"bench-{tag}")
    subprocess.run([SEED, dev.db, user, str(rows)], check=True, timeout=600)
    return dev


def sync_measured(dev, *args):
    return run_measured([ODOLOG, "--db", dev.db, "--json", "sync", *args],
                        env=odolog_env(dev.user))


def through_proxy(gw, dev, transport):
    """A relay that counts bytes in front of the gateway, and dev logged in through it (the same
    device, token and key)."""
    coaps = transport == "coaps"
    proxy = FaultProxy(gw.coaps_port if coaps else gw.https_port, "udp" if coaps else "tcp")
    dev.ok("login", "--gateway", f"coaps://127.0.0.1:{proxy.port}" if coaps
           else f"https://localhost:{proxy.port}")
    return proxy


def gateway_requests(gw, since_len, user):
    """Request lines the gateway logged for user after offset since_len of its log."""
    lines = gw.log_text()[since_len:].splitlines()
    out = []
    for line in lines:
        m = re.search(r" (POST|GET) (\S+) (\d+) .*user=(\S+) .* in=(\d+) out=(\d+) ([0-9.]+)ms",
                      line)
        if m and m.group(4) == user:
            out.append({"path": m.group(2), "status": int(m.group(3)), "in": int(m.group(5)),
                        "out": int(m.group(6)), "ms": float(m.group(7))})
    return out


def copy_baseline(pg, rows_csv_path, n):
    """COPY of n fill-ups (the pushed rows with fresh ids) into fuel_logs; seconds."""
    user = f"copy-{uuid.uuid4().hex[:6]}"
    vid = str(uuid.uuid4())
    pg.sql(f"INSERT INTO vehicles (id, user_id, name, odometer_unit, created_at, updated_at, rev)"
           f" VALUES ('{vid}', '{user}', 'Copy', 'km', now(), now(), nextval('rev_seq'))")
    first_rev = int(pg.scalar(f"SELECT nextval('rev_seq')"))
    pg.sql(f"SELECT setval('rev_seq', {first_rev + n})")
    src = rows_csv_path + ".copy"
    with open(rows_csv_path) as f, open(src, "w") as out:
        for i, line in enumerate(f):
            rest = line.split(",", 2)[2]  # drop id and vehicle_id
            out.write(f"{uuid.uuid4()},{user},{vid},{first_rev + i},{rest}")
    cols = ("id, user_id, vehicle_id, rev, filled_at, odometer, volume, volume_unit, unit_price, "
            "total_cost, currency, is_full, missed, station_id, station, notes, created_at, "
            "updated_at, deleted_at")
    t0 = time.monotonic()
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", pg.conninfo, "-c",
                    f"\\copy fuel_logs ({cols}) FROM '{src}' WITH (FORMAT csv)"],
                   check=True, timeout=600)
    secs = time.monotonic() - t0
    os.unlink(src)
    return secs


def export_csv(pg, user, path):
    """The user's fill-ups as CSV lines, the columns a push carries; returns total bytes."""
    with open(path, "w") as f:
        subprocess.run(["psql", "-X", "-q", pg.conninfo, "-c",
                        f"COPY (SELECT {FUEL_COLS} FROM fuel_logs WHERE user_id = '{user}' "
                        f"ORDER BY filled_at) TO STDOUT WITH (FORMAT csv)"],
                       stdout=f, check=True, timeout=600)
    return os.path.getsize(path)


def bench_push(pg, gw, rows, workdir):
    say(f"\n[push] {rows} fill-ups from one device, against COPY of the same rows")
    times = {}
    rss = {}
    csv_path = os.path.join(workdir, "rows.csv")
    copies = []
    for transport in ("coaps", "https"):
        dev = seeded(gw, transport, rows, transport)
        mark = len(gw.log_text())
        wall, peak, out = sync_measured(dev, "--push-only")
        reqs = gateway_requests(gw, mark, dev.user)
        server = sum(r["ms"] for r in reqs) / 1e3
        say(f"  {transport}: pushed in {wall:.2f} s ({rows / wall:,.0f} rows/s), "
            f"{len(reqs)} batches, {server:.2f} s of it in the gateway; peak RSS "
            f"{peak / 1024:.1f} MiB")
        times[transport] = wall
        rss[transport] = peak
        if transport == "coaps":
            n = export_csv(pg, dev.user, csv_path)
            say(f"  the same rows as CSV: {n / rows:.1f} bytes per line")
        c = copy_baseline(pg, csv_path, rows)
        copies.append(c)
        say(f"  COPY of the same {rows} rows into fuel_logs: {c:.2f} s")
        # The rest of the cycle: the pull that follows a push (what the device hears back).
        wall2, _, out2 = sync_measured(dev, "--pull-only")
        say(f"  {transport}: the pull after it took {wall2:.2f} s")
        dev.destroy()
    c = copy_baseline(pg, csv_path, rows)
    copies.append(c)
    say(f"  COPY of the same {rows} rows into fuel_logs, once more: {c:.2f} s")
    base = statistics.median(copies)
    say(f"  COPY baseline (median of {len(copies)}): {base:.2f} s")
    for transport in ("coaps", "https"):
        report(f"push {rows} rows over {transport} / COPY", times[transport] / base, 2.0)
    return rss


def bench_wire(pg, gw, rows, workdir):
    say(f"\n[wire] bytes on the wire per pushed fill-up ({rows} rows), against one CSV line")
    for transport in ("coaps", "https"):
        dev = seeded(gw, transport, rows, "wire")
        proxy = through_proxy(gw, dev, transport)
        mark = len(gw.log_text())
        sync_measured(dev, "--push-only")
        time.sleep(0.3)
        wire = proxy.to_upstream + proxy.to_client
        reqs = gateway_requests(gw, mark, dev.user)
        body = sum(r["in"] + r["out"] for r in reqs)
        csv_bytes = export_csv(pg, dev.user, os.path.join(workdir, "wire.csv"))
        say(f"  {transport}: {wire / rows:.1f} bytes per fill-up on the wire "
            f"({body / rows:.1f} of it request and answer bodies); CSV {csv_bytes / rows:.1f}")
        report(f"wire bytes per fill-up over {transport} / CSV line", wire / csv_bytes, 1.3)
        proxy.stop()
        dev.destroy()


def bench_noop(gw):
    say("\n[noop] a sync with nothing to do")
    for transport in ("coaps", "https"):
        dev = Device(gw, f"bench-noop-{uuid.uuid4().hex[:6]}", transport, "bench-noop")
        dev.ok("vehicle", "add", "--name", "one")
        dev.sync()
        proxy = through_proxy(gw, dev, transport)
        mark = len(gw.log_text())
        dev.sync()
        time.sleep(0.3)
        reqs = gateway_requests(gw, mark, dev.user)
        body = sum(r["in"] + r["out"] for r in reqs)
        say(f"  {transport}: {len(reqs)} round trip(s) ({', '.join(r['path'] for r in reqs)}); "
            f"{body} bytes of bodies; {proxy.to_upstream + proxy.to_client} bytes on the wire "
            f"in {proxy.datagrams if transport == 'coaps' else 'a TCP connection'}"
            f"{' datagrams' if transport == 'coaps' else ''}, handshake included")
        report(f"round trips of a sync with nothing to do over {transport}", len(reqs), 1)
        proxy.stop()
        dev.destroy()


def bench_rss(gw, rows, rss_full):
    small = max(rows // 4, 1000)
    say(f"\n[rss] peak RSS of odolog syncing {small} rows, against {rows} (measured above)")
    dev = seeded(gw, "coaps", small, "rss")
    _, peak_small, _ = sync_measured(dev, "--push-only")
    dev.destroy()
    say(f"  coaps: {small} rows {peak_small / 1024:.1f} MiB, {rows} rows "
        f"{rss_full['coaps'] / 1024:.1f} MiB; https {rows} rows {rss_full['https'] / 1024:.1f} MiB")
    worst = max(rss_full.values())
    report(f"peak RSS syncing {rows} rows, MiB", worst / 1024, 16)
    report(f"peak RSS growth {small} -> {rows} rows (x)", rss_full["coaps"] / peak_small, 1.1)


def bench_pull(pg, gw, big):
    say(f"\n[pull] a pull with nothing new: a user with {big} central rows against one with 1000")
    users = {}
    for n in (1000, big):
        user = f"bench-pull{n}-{uuid.uuid4().hex[:6]}"
        vid = str(uuid.uuid4())
        t0 = time.monotonic()
        pg.sql(f"INSERT INTO vehicles (id, user_id, name, odometer_unit, created_at, updated_at, "
               f"rev) VALUES ('{vid}', '{user}', 'Pull', 'km', now(), now(), nextval('rev_seq'))")
        pg.sql(f"INSERT INTO fuel_logs (id, user_id, vehicle_id, filled_at, odometer, volume, "
               f"volume_unit, unit_price, total_cost, currency, is_full, missed, station, "
               f"created_at, updated_at, rev) SELECT gen_random_uuid(), '{user}', '{vid}', "
               f"now() - i * interval '1 hour', i, 40.5, 'L', 1.789, 72.45, 'EUR', true, false, "
               f"'Aral', now(), now(), nextval('rev_seq') FROM generate_series(1, {n}) i")
        pg.sql("ANALYZE fuel_logs")
        top = int(pg.scalar(f"SELECT max(rev) FROM fuel_logs WHERE user_id = '{user}'"))
        say(f"  {n} rows for {user} inserted centrally in {time.monotonic() - t0:.1f} s")
        dev = Device(gw, user, "https", "bench-pull")
        # A device that is caught up: its cursor at the user's newest revision.
        dev.write("UPDATE sync_users SET cursor = ? WHERE user_id = ?", top, user)
        users[n] = dev
    server = {1000: [], big: []}
    client = {1000: [], big: []}
    for _ in range(25):
        for n, dev in users.items():
            mark = len(gw.log_text())
            wall, _, out = sync_measured(dev, "--pull-only")
            if '"pulled": 0' not in out.replace('"pulled":0', '"pulled": 0'):
                raise RuntimeError(f"the no-op pull pulled something: {out}")
            reqs = [r for r in gateway_requests(gw, mark, dev.user) if r["path"] == "/v1/sync/pull"]
            server[n].append(sum(r["ms"] for r in reqs))
            client[n].append(wall)
    for n in (1000, big):
        say(f"  {n} rows: gateway {statistics.median(server[n]):.2f} ms median, odolog sync "
            f"--pull-only {statistics.median(client[n]) * 1e3:.1f} ms median (process, TLS "
            f"handshake and all)")
    report(f"no-op pull, {big} vs 1000 central rows (gateway time)",
           statistics.median(server[big]) / statistics.median(server[1000]), 2.0)
    report(f"no-op pull, {big} vs 1000 central rows (device's wall time)",
           statistics.median(client[big]) / statistics.median(client[1000]), 2.0)
    for dev in users.values():
        dev.destroy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--wire-rows", type=int, default=10000)
    ap.add_argument("--big", type=int, default=1000000)
    ap.add_argument("--only", default="push,wire,noop,rss,pull")
    a = ap.parse_args()
    only = set(a.only.split(","))
    pg = Postgres()
    gw = Gateway(pg, {"ODOLOG_LOG_LEVEL": "info"})
    workdir = gw.dir
    try:
        rss = None
        if "push" in only or "rss" in only:
            rss = bench_push(pg, gw, a.rows, workdir)
        if "wire" in only:
            bench_wire(pg, gw, a.wire_rows, workdir)
        if "noop" in only:
            bench_noop(gw)
        if "rss" in only:
            bench_rss(gw, a.rows, rss)
        if "pull" in only:
            bench_pull(pg, gw, a.big)
    finally:
        gw.destroy()
        pg.stop()
    say("\nsummary")
    missed = 0
    for name, value, target in results:
        ok = value <= target
        missed += not ok
        say(f"  {'met   ' if ok else 'MISSED'} {name}: {value:.2f} (target <= {target})")
    return 1 if missed and os.environ.get("ODO_BENCH_ENFORCE") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
