"""Real parts for integration tests: a throwaway PostgreSQL cluster, the real odolog-gateway
(coaps, HTTPS, and plain coap for the tests), device databases driven through the real odolog
binary, and an in-process fault proxy for TCP and UDP. Standard library only.

Binaries come from ODOLOG_BIN, ODOLOG_GATEWAY and ODOLOGD (ctest sets them); scripts from the
repository.
"""
import base64
import hashlib
import hmac
import json
import os
import random
import select
import shutil
import socket
import sqlite3
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ODOLOG = os.environ.get("ODOLOG_BIN", os.path.join(ROOT, "build/firmware/odolog/odolog"))
GATEWAY = os.environ.get("ODOLOG_GATEWAY", os.path.join(ROOT, "build/sync/odolog-gateway"))
ODOLOGD = os.environ.get("ODOLOGD", os.path.join(ROOT, "build/firmware/odologd"))
SECRET = "integration-test-secret-0123456789abcdef"
VIN = "2HKRW2H20NH207506"


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Postgres:
    """A throwaway cluster (scripts/throwaway-pg), listening on a unix socket only."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="odolog-pg-")
        out = subprocess.run([os.path.join(ROOT, "scripts/throwaway-pg"), "start", self.dir],
                             capture_output=True, text=True, timeout=180)
        if out.returncode != 0:
            raise RuntimeError("PostgreSQL did not start:\n" + out.stderr)
        self.conninfo = out.stdout.strip().splitlines()[-1]

    def sql(self, query):
        """Runs query with psql; rows as lists of strings."""
        out = subprocess.run(["psql", "-X", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                              self.conninfo, "-c", query],
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"psql: {out.stderr}")
        return [line.split("\t") for line in out.stdout.splitlines() if line]

    def scalar(self, query):
        rows = self.sql(query)
        return rows[0][0] if rows else None

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts/throwaway-pg"), "stop", self.dir],
                       capture_output=True, timeout=120)


class Gateway:
    """odolog-gateway serving HTTPS, coaps and (for tests) plain coap on free loopback ports."""

    def __init__(self, pg, extra_env=None):
        self.pg = pg
        self.dir = tempfile.mkdtemp(prefix="odolog-gw-")
        subprocess.run([os.path.join(ROOT, "scripts/test-certs"), self.dir], check=True,
                       timeout=60)
        self.ca = os.path.join(self.dir, "ca.pem")
        self.https_port = free_port()
        self.coaps_port = free_port(socket.SOCK_DGRAM)
        self.coap_port = free_port(socket.SOCK_DGRAM)
        self.env = dict(os.environ)
        self.env.update({
            "DATABASE_URL": pg.conninfo,
            "ODOLOG_JWT_SECRET": SECRET,
            "ODOLOG_LISTEN": "127.0.0.1",
            "ODOLOG_HTTPS_PORT": str(self.https_port),
            "ODOLOG_COAPS_PORT": str(self.coaps_port),
            "ODOLOG_COAP_PORT": str(self.coap_port),
            "ODOLOG_TLS_CERT": os.path.join(self.dir, "server.pem"),
            "ODOLOG_TLS_KEY": os.path.join(self.dir, "server.key"),
        })
        if extra_env:
            self.env.update(extra_env)
        self.log_path = os.path.join(self.dir, "gateway.log")
        self.proc = None
        self.start()

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([GATEWAY, "serve", "--insecure-coap"], env=self.env,
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the gateway exited:\n" + self.log_text())
            try:
                if self.https("GET", "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the gateway did not come up:\n" + self.log_text())

    def stop(self):
        """SIGTERM, and the gateway must stop cleanly: exit 0, no sanitizer report."""
        code = None
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            code = self.proc.wait(timeout=30)
        if self.proc:
            self.log.close()
        self.proc = None
        text = self.log_text()
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if bad in text:
                raise AssertionError(f"the gateway reported {bad}:\n{text[-4000:]}")
        if code not in (None, 0):
            raise AssertionError(f"the gateway exited {code} on SIGTERM:\n{text[-2000:]}")

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def cmd(self, *args, check=True):
        out = subprocess.run([GATEWAY, *args], env=self.env, capture_output=True, text=True,
                             timeout=120)
        if check and out.returncode != 0:
            raise RuntimeError(f"odolog-gateway {' '.join(args)}: {out.stderr}")
        return out

    def token(self, user, ttl=3600):
        return self.cmd("token", "--user", user, "--ttl", str(ttl)).stdout.strip()

    def add_device(self, device_id, psk_hex=None):
        args = ["device", "add", "--id", device_id]
        if psk_hex:
            args += ["--psk", psk_hex]
        out = self.cmd(*args).stdout
        return dict(line.split("=", 1) for line in out.split())["psk"]

    def https(self, method, path, body=None, token=None, content_type="application/json",
              raw=None):
        """A request through Python's own TLS stack (a client we did not write)."""
        ctx = ssl.create_default_context(cafile=self.ca)
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                             else None)
        req = urllib.request.Request(f"https://localhost:{self.https_port}{path}", data=data,
                                     method=method)
        if content_type and data is not None:
            req.add_header("Content-Type", content_type)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            text = e.read()
            return e.code, json.loads(text) if text else None


def forge_token(claims, secret=SECRET, alg="HS256"):
    """A JWT made here, for tokens the gateway's own minting would never produce."""
    def b64(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig) if alg != 'none' else ''}"


class Device:
    """A device: its own database, driven through the real odolog binary."""

    def __init__(self, gateway, user, transport="coaps", name="device"):
        self.gw = gateway
        self.user = user
        self.dir = tempfile.mkdtemp(prefix=f"odolog-{name}-")
        self.db = os.path.join(self.dir, "odolog.db")
        self.ok("init", "--units", "us")
        self.id = self.json("sync", "status")["device_id"]
        self.transport = transport
        self.login(transport)

    def login(self, transport, token=None, url=None):
        token = token or self.gw.token(self.user)
        if transport == "coaps":
            psk = self.gw.add_device(self.id)
            self.ok("login", "--gateway", url or f"coaps://127.0.0.1:{self.gw.coaps_port}",
                    "--psk", psk, "--token", token)
        elif transport == "coap":
            self.ok("login", "--gateway", url or f"coap://127.0.0.1:{self.gw.coap_port}",
                    "--token", token)
        else:
            self.ok("login", "--gateway", url or f"https://localhost:{self.gw.https_port}",
                    "--ca", self.gw.ca, "--token", token)

    def run(self, *args, env=None):
        e = dict(os.environ)
        e.pop("ODOLOG_DB", None)
        e["ODOLOG_USER"] = self.user
        e["TZ"] = "UTC"
        if env:
            e.update(env)
        return subprocess.run([ODOLOG, "--db", self.db, *args], capture_output=True, text=True,
                              env=e, timeout=300)

    def ok(self, *args):
        p = self.run(*args)
        if p.returncode != 0:
            raise AssertionError(f"odolog {' '.join(args)} exited {p.returncode}:\n"
                                 f"{p.stdout}{p.stderr}")
        return p.stdout

    def json(self, *args):
        return json.loads(self.ok("--json", *args))

    def sync(self, *args):
        return self.json("sync", *args)

    def rows(self, table, where="1=1"):
        """Synced rows as the device holds them, keyed by id (rev and local-only columns out)."""
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        con.row_factory = sqlite3.Row
        try:
            out = {}
            for r in con.execute(f"SELECT * FROM {table} WHERE {where}"):
                d = dict(r)
                d.pop("rev", None)
                out[d["id"]] = d
            return out
        finally:
            con.close()

    def scalar(self, query):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return con.execute(query).fetchone()[0]
        finally:
            con.close()

    def destroy(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class FaultProxy:
    """A relay between a client and the gateway, in this process, that counts bytes and can
    misbehave: for TCP, swallow the answer on the next connection once the client has sent
    `swallow_after` bytes (the request arrives, the client never hears back); for UDP, drop a
    fraction of datagrams either way."""

    def __init__(self, upstream_port, proto="tcp", loss=0.0, listen_port=0):
        self.upstream = ("127.0.0.1", upstream_port)
        self.proto = proto
        self.loss = loss
        self.swallow_next_answer = False
        self.swallow_after = 2000
        self.to_upstream = 0
        self.to_client = 0
        self.datagrams = 0
        self.stop_flag = False
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", listen_port))
        self.port = self.sock.getsockname()[1]
        if proto == "tcp":
            self.sock.listen(16)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        if self.proto == "tcp":
            while not self.stop_flag:
                r, _, _ = select.select([self.sock], [], [], 0.2)
                if r:
                    conn, _ = self.sock.accept()
                    swallow = self.swallow_next_answer
                    self.swallow_next_answer = False
                    threading.Thread(target=self._tcp, args=(conn, swallow), daemon=True).start()
        else:
            self._udp()

    def _tcp(self, client, swallow):
        up = socket.create_connection(self.upstream)
        socks = [client, up]
        sent = 0
        try:
            while not self.stop_flag:
                r, _, _ = select.select(socks, [], [], 0.2)
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    if s is client:
                        self.to_upstream += len(data)
                        sent += len(data)
                        up.sendall(data)
                    elif swallow and sent >= self.swallow_after:
                        # The gateway answered; the device never hears it.
                        time.sleep(0.2)
                        return
                    else:
                        self.to_client += len(data)
                        client.sendall(data)
        finally:
            client.close()
            up.close()

    def _udp(self):
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.connect(self.upstream)
        client = None
        while not self.stop_flag:
            r, _, _ = select.select([self.sock, up], [], [], 0.2)
            for s in r:
                if s is self.sock:
                    data, client = self.sock.recvfrom(65536)
                    self.datagrams += 1
                    if random.random() >= self.loss:
                        self.to_upstream += len(data)
                        up.send(data)
                else:
                    data = up.recv(65536)
                    self.datagrams += 1
                    if client and random.random() >= self.loss:
                        self.to_client += len(data)
                        self.sock.sendto(data, client)
        up.close()

    def stop(self):
        self.stop_flag = True
        self.thread.join(timeout=5)
        self.sock.close()
