"""Real parts for integration tests: a throwaway PostgreSQL cluster, the real odolog-gateway
(coaps, HTTPS, and plain coap for the tests), devices driven through the real odolog binary on
their own database files (tests/cli/cli_harness.py), an in-process fault proxy for TCP and UDP,
and GatewayTest, a test class that shares one cluster and one gateway. Standard library only.

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
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
import uuid

# odolog on a database file, shared with the command-line tests; the integration tests import
# these names from here.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from cli_harness import (CRV, F150, ODOLOG, ROOT, VPIC, Odolog,  # noqa: E402,F401
                         assert_clean_log, need_vpic, odolog_env, wait_for)

GATEWAY = os.environ.get("ODOLOG_GATEWAY", os.path.join(ROOT, "build/sync/odolog-gateway"))
ODOLOGD = os.environ.get("ODOLOGD", os.path.join(ROOT, "build/firmware/odologd"))
SECRET = "integration-test-secret-0123456789abcdef"
VIN = CRV  # the VIN the tests register


def fresh_user(prefix):
    """A user id no other test uses, so tests can share one cluster and one gateway."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


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
        if not wait_for(self.healthy, 60, step=0.1):
            raise RuntimeError("the gateway did not come up:\n" + self.log_text())

    def healthy(self):
        if self.proc.poll() is not None:
            raise RuntimeError("the gateway exited:\n" + self.log_text())
        try:
            return self.https("GET", "/health")[0] == 200
        except OSError:
            return False

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
        assert_clean_log("the gateway", text)
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

    def outside_device(self, key):
        """Registers a device whose key is the printable text key, so that coap-client can be
        given it; its id."""
        ident = str(uuid.uuid4())
        self.add_device(ident, key.encode().hex())
        return ident

    def coap_client(self, ident, key, method, path, payload=None):
        """coap-client (a client we did not write) over coaps as device ident with key."""
        args = ["coap-client-openssl", "-B", "20", "-u", ident, "-k", key, "-m", method]
        if payload is not None:
            args += ["-t", "json", "-e", payload]
        return subprocess.run(args + [f"coaps://127.0.0.1:{self.coaps_port}{path}"],
                              capture_output=True, text=True, timeout=60)

    def curl(self, path, *args):
        """curl (another client we did not write) over HTTPS, verifying the certificate."""
        return subprocess.run(["curl", "-sS", "--cacert", self.ca, *args,
                               f"https://localhost:{self.https_port}{path}"],
                              capture_output=True, text=True, timeout=60)

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


class Device(Odolog):
    """A device: its own database, driven through the real odolog binary as one user, and
    logged in to a gateway."""

    timeout = 300

    def __init__(self, gateway, user, transport="coaps", name="device"):
        super().__init__(tempfile.mkdtemp(prefix=f"odolog-{name}-"), user)
        self.gw = gateway
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

    def sync(self, *args):
        return self.json("sync", *args)

    def destroy(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class GatewayTest(unittest.TestCase):
    """Tests that share one throwaway PostgreSQL and one gateway (started with gateway_env);
    what a test makes (devices, other gateways, proxies) goes when the test ends."""

    gateway_env = None
    device_name = "device"  # the start of a device directory's name

    @classmethod
    def setUpClass(cls):
        cls.pg = Postgres()
        try:
            cls.gw = Gateway(cls.pg, cls.gateway_env)
        except BaseException:
            cls.pg.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.destroy()
        cls.pg.stop()

    def device(self, user, transport="coaps", name=None, gw=None):
        d = Device(gw or self.gw, user, transport, name or self.device_name)
        self.addCleanup(d.destroy)
        return d

    def gateway(self, extra_env):
        """Another gateway on the same cluster, stopped (cleanly, or the test fails) at the end."""
        gw = Gateway(self.pg, extra_env)
        self.addCleanup(gw.destroy)
        return gw

    def proxy(self, upstream_port, proto="tcp", **kw):
        p = FaultProxy(upstream_port, proto, **kw)
        self.addCleanup(p.stop)
        return p


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
