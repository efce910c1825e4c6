"""Attack clients for the gateway's abuse tests, and what the tests measure beside them: honest
sync latency and the gateway's memory. Standard library only; every client sends from a
loopback address of its own (127.0.0.2 and up), so the gateway sees the attacker and the honest
devices (127.0.0.1) as different addresses, as it would on the internet.

The DTLS clients (handshake floods, block-wise bodies) are C: tests/attack/odo_attack.c, whose
binary comes from ODOLOG_ATTACK.
"""
import asyncio
import http.client
import json
import os
import select
import socket
import ssl
import subprocess
import threading
import time

from harness import ROOT

ATTACK = os.environ.get("ODOLOG_ATTACK", os.path.join(ROOT, "build/tests/odo_attack"))
ATTACKER = "127.0.0.2"


def percentile(values, p):
    """The p-th percentile (nearest rank) of values; None when there are none."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def peak_rss_kb(pid):
    """The process's peak resident memory (VmHWM) in KiB, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc status")



class Honest:
    """A device syncing again and again beside an attack, in its own thread: each round writes
    a fill-up and syncs it through the real odolog; the time of each sync and every failure are
    kept. `every` spaces the rounds so the honest device stays under its own rate limit."""

    def __init__(self, device, vehicle="Honest", every=0.3):
        self.dev = device
        self.vehicle = vehicle
        self.every = every
        self.times = []
        self.failures = []
        self.odometer = 1000
        self.stop_flag = threading.Event()
        self.thread = None

    def round(self):
        self.odometer += 10
        self.dev.ok("fuel", "add", "--vehicle", self.vehicle, "--odometer", str(self.odometer),
                    "--volume", "30", "--date", "2024-05-01")
        t0 = time.monotonic()
        p = self.dev.run("--json", "sync")
        dt = time.monotonic() - t0
        if p.returncode == 0:
            self.times.append(dt)
        else:
            self.failures.append((p.returncode, (p.stdout + p.stderr).strip()[-300:]))

    def _run(self):
        while not self.stop_flag.is_set():
            t0 = time.monotonic()
            self.round()
            rest = self.every - (time.monotonic() - t0)
            if rest > 0:
                self.stop_flag.wait(rest)

    def start(self):
        self.dev.ok("vehicle", "add", "--name", self.vehicle)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stop_flag.set()
        if self.thread:
            self.thread.join(timeout=120)

    def summary(self):
        """p50 and p99 in milliseconds, syncs and failures."""
        ms = [t * 1000 for t in self.times]
        return {"syncs": len(ms), "failures": len(self.failures),
                "p50_ms": round(percentile(ms, 50) or 0, 1),
                "p99_ms": round(percentile(ms, 99) or 0, 1)}


class Slowloris:
    """n connections to the gateway's HTTPS port from one address, each held open as long as
    the gateway allows and opened again when it closes one:
      mode "tcp":     a bare TCP connection that never starts TLS;
      mode "idle":    TLS done, then nothing;
      mode "trickle": TLS done, a request line, then one header line every `every` seconds.
    Counts connections opened, refused (closed before or during the handshake) and closed
    later by the gateway."""

    def __init__(self, port, n, mode="trickle", every=1.0, src=ATTACKER):
        self.port, self.n, self.mode, self.every, self.src = port, n, mode, every, src
        self.opened = self.refused = self.closed = self.alive = self.most_alive = 0
        self.loop = None
        self.stop_flag = False
        self.thread = threading.Thread(target=self._thread, daemon=True)

    def _ctx(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx

    async def _one(self, ctx):
        while not self.stop_flag:
            writer = None
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(
                    "127.0.0.1", self.port, local_addr=(self.src, 0),
                    ssl=None if self.mode == "tcp" else ctx,
                    server_hostname=None if self.mode == "tcp" else "localhost"), 10)
            except (OSError, asyncio.TimeoutError, ssl.SSLError):
                self.refused += 1
                await asyncio.sleep(0.5)
                continue
            self.opened += 1
            self.alive += 1
            self.most_alive = max(self.most_alive, self.alive)
            try:
                if self.mode == "trickle":
                    writer.write(b"POST /v1/sync/push HTTP/1.1\r\nHost: localhost\r\n")
                    await writer.drain()
                    i = 0
                    while not self.stop_flag:
                        try:
                            data = await asyncio.wait_for(reader.read(1024), self.every)
                            if not data:
                                break
                        except asyncio.TimeoutError:
                            pass
                        writer.write(b"X-Slow-%d: x\r\n" % i)
                        await writer.drain()
                        i += 1
                else:
                    while not self.stop_flag:
                        try:
                            data = await asyncio.wait_for(reader.read(1024), 0.5)
                            if not data:
                                break
                        except asyncio.TimeoutError:
                            pass
                if not self.stop_flag:
                    self.closed += 1
            except (OSError, ssl.SSLError):
                if not self.stop_flag:
                    self.closed += 1
            finally:
                self.alive -= 1
                try:
                    writer.close()
                except Exception:
                    pass
            await asyncio.sleep(0.1)

    def _thread(self):
        self.loop = asyncio.new_event_loop()
        ctx = self._ctx()

        async def main():
            # Open in waves, as a real attacker would, so the TLS handshakes do not all land
            # in the same instant.
            tasks = []
            for i in range(self.n):
                tasks.append(asyncio.ensure_future(self._one(ctx)))
                if i % 50 == 49:
                    await asyncio.sleep(0.05)
            while not self.stop_flag:
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.5)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.loop.run_until_complete(main())
        self.loop.close()

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_flag = True
        self.thread.join(timeout=60)

    def stats(self):
        return {"opened": self.opened, "refused": self.refused, "closed": self.closed,
                "most_alive": self.most_alive}


def chunked_push(port, ca, megabytes, src=ATTACKER, chunk=64 * 1024):
    """POSTs `megabytes` of a never-ending JSON string to /v1/sync/push with chunked transfer
    encoding (no Content-Length, so the gateway cannot refuse it from the headers). Returns
    (bytes sent before the gateway stopped it, HTTP status or None, seconds taken)."""
    ctx = ssl.create_default_context(cafile=ca)
    sock = socket.create_connection(("127.0.0.1", port), timeout=30,
                                    source_address=(src, 0))
    tls = ctx.wrap_socket(sock, server_hostname="localhost")
    sent = 0
    status = None
    t0 = time.monotonic()
    try:
        tls.sendall(b"POST /v1/sync/push HTTP/1.1\r\nHost: localhost\r\n"
                    b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        piece = b"%x\r\n" % chunk + b"x" * chunk + b"\r\n"
        while sent < megabytes * 1024 * 1024:
            tls.sendall(piece)
            sent += chunk
        tls.sendall(b"0\r\n\r\n")
    except (OSError, ssl.SSLError):
        pass
    try:
        tls.settimeout(5)
        head = tls.recv(4096)
        if head.startswith(b"HTTP/1."):
            status = int(head.split()[1])
    except (OSError, ssl.SSLError, ValueError, IndexError):
        pass
    tls.close()
    return sent, status, time.monotonic() - t0


def https_request(port, ca, method, path, body=None, token=None, src="127.0.0.1", timeout=30):
    """One HTTPS request from address src; (status, headers dict, decoded JSON body)."""
    ctx = ssl.create_default_context(cafile=ca)
    conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=timeout,
                                       source_address=(src, 0))
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers=headers)
        r = conn.getresponse()
        text = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, \
            (json.loads(text) if text else None)
    finally:
        conn.close()


def attack_tool(*args, timeout=120):
    """Runs tests/attack/odo_attack; its last stdout line is a JSON report."""
    p = subprocess.run([ATTACK, *args], capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"odo_attack {' '.join(args)} exited {p.returncode}:\n"
                           f"{p.stdout}{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def dtls_transcript(gateway_port, client):
    """Relays one DTLS client's datagrams to the gateway and records what the gateway sends
    back. client(port) runs the client against the relay's port. Returns the records the gateway
    sent, as (content type, handshake type or None, length), and the seconds at which each
    datagram came."""
    relay = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    relay.bind(("127.0.0.1", 0))
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.connect(("127.0.0.1", gateway_port))
    got, peer, stop = [], [None], threading.Event()
    t0 = time.monotonic()

    def run():
        while not stop.is_set():
            ready, _, _ = select.select([relay, up], [], [], 0.1)
            for s in ready:
                if s is relay:
                    data, peer[0] = relay.recvfrom(65536)
                    up.send(data)
                else:
                    data = up.recv(65536)
                    got.append((time.monotonic() - t0, data))
                    relay.sendto(data, peer[0])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        client(relay.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        relay.close()
        up.close()
    records = []
    for _, d in got:
        i = 0
        while i + 13 <= len(d):  # DTLS record header: type, version, epoch, sequence, length
            ctype, epoch, length = d[i], int.from_bytes(d[i + 3:i + 5], "big"), \
                int.from_bytes(d[i + 11:i + 13], "big")
            records.append((ctype, d[i + 13] if ctype == 22 and epoch == 0 else None, length))
            i += 13 + length
    return records, [round(t, 1) for t, _ in got]


class PostgresControl:
    """Stops and starts a harness.Postgres cluster in place (pg_ctl), for outages."""

    def __init__(self, pg):
        self.pg = pg
        bins = subprocess.run("ls -d /usr/lib/postgresql/*/bin", shell=True,
                              capture_output=True, text=True).stdout.split()
        self.bin = sorted(bins)[-1]

    def _ctl(self, *args):
        cmd = [os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.pg.dir, "data"), *args]
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"pg_ctl {' '.join(args)}: {p.stdout}{p.stderr}")

    def stop(self):
        """An immediate stop: what a crash or a pulled plug looks like to the gateway."""
        self._ctl("-m", "immediate", "-w", "stop")

    def start(self):
        # The options scripts/throwaway-pg starts it with.
        self._ctl("-l", os.path.join(self.pg.dir, "server.log"), "-w", "-t", "60", "start", "-o",
                  f"-c listen_addresses='' -c unix_socket_directories='{self.pg.dir}' "
                  f"-c max_connections=50 -c shared_buffers=64MB")
