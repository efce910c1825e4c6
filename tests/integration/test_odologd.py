"""odologd, the device's background sync, run as systemd runs it: a notify socket that reads
its READY/WATCHDOG/STOPPING messages, SIGTERM to stop it. Against the real gateway and a real
PostgreSQL; an unreachable gateway is a loopback port nobody listens on, until a relay opens it.
"""
import os
import pty
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import (ODOLOGD, VIN, GatewayTest, assert_clean_log, free_port, fresh_user,
                     odolog_env, wait_for)


def odologd(*args, timeout=120):
    """odologd run to its end (--once, or arguments it refuses)."""
    return subprocess.run([ODOLOGD, *args], capture_output=True, text=True, timeout=timeout)


class Notify:
    """The systemd side of sd_notify: a datagram socket that keeps what the daemon says."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="odolog-notify-")
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []  # (monotonic time, line)
        self.lock = threading.Lock()
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                for line in data.decode().splitlines():
                    self.messages.append((time.monotonic(), line))

    def lines(self, prefix):
        with self.lock:
            return [(t, m) for t, m in self.messages if m.startswith(prefix)]

    def wait_for(self, prefix, timeout, count=1):
        said = wait_for(lambda: len(self.lines(prefix)) >= count and self.lines(prefix), timeout)
        if said:
            return said
        raise AssertionError(f"odologd did not say {prefix!r} {count}x within {timeout} s; "
                             f"it said {[m for _, m in self.messages]}")

    def close(self):
        self.done = True
        self.thread.join(timeout=2)
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


class Daemon:
    def __init__(self, device, *args, notify=None, watchdog_usec=None):
        systemd = {}
        if notify:
            systemd["NOTIFY_SOCKET"] = notify.path
        if watchdog_usec:
            systemd["WATCHDOG_USEC"] = str(watchdog_usec)
        self.log_path = os.path.join(device.dir, "odologd.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([ODOLOGD, "--db", device.db, *args],
                                     env=odolog_env(extra=systemd),
                                     stdout=self.log, stderr=self.log)

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_log(self, pattern, timeout, count=1):
        def found():
            f = re.findall(pattern, self.text())
            return f if len(f) >= count else None
        got = wait_for(found, timeout, give_up=lambda: self.proc.poll() is not None)
        if got:
            return got
        raise AssertionError(f"no {count}x {pattern!r} in odologd's log:\n{self.text()}")

    def stop(self):
        """SIGTERM; returns the exit code. A clean stop prints no sanitizer report."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.log.close()
        assert_clean_log("odologd", self.text())
        return code


class OdologdTest(GatewayTest):
    def setUp(self):
        self.user = fresh_user("daemon")
        self.notify = Notify()
        self.addCleanup(self.notify.close)  # last: the daemons stop (and say so) before

    def device(self, transport="coaps"):
        return super().device(self.user, transport, "odologd")

    def daemon(self, device, *args, **kw):
        dm = Daemon(device, *args, notify=self.notify, **kw)
        self.addCleanup(lambda: dm.proc.poll() is None and dm.stop())
        return dm

    def central_fuel(self):
        return int(self.pg.scalar(f"SELECT count(*) FROM fuel_logs WHERE user_id = "
                                  f"'{self.user}' AND deleted_at IS NULL"))

    def wait_central(self, want, timeout):
        if wait_for(lambda: self.central_fuel() == want, timeout, step=0.1):
            return
        self.fail(f"the gateway holds {self.central_fuel()} fill-ups, not {want}, "
                  f"after {timeout} s")

    def test_systemd_hears_ready_then_watchdog_pings_then_stopping_and_sigterm_exits_0(self):
        dev = self.device()
        dm = self.daemon(dev, "--interval", "3600", watchdog_usec=400000)
        ready = self.notify.wait_for("READY=1", 20)
        # Half the watchdog interval apart, so ten pings come within a few seconds.
        pings = self.notify.wait_for("WATCHDOG=1", 20, count=10)
        self.assertGreaterEqual(pings[0][0], ready[0][0], "a watchdog ping came before READY")
        gaps = [b[0] - a[0] for a, b in zip(pings, pings[1:])]
        self.assertLess(max(gaps), 0.4, f"a watchdog gap reached its 0.4 s interval: {gaps}")
        self.notify.wait_for("STATUS=synced 1 user", 20)
        self.assertEqual(dm.stop(), 0)
        self.notify.wait_for("STOPPING=1", 5)

    def test_a_local_write_reaches_the_gateway_within_seconds_not_at_the_next_interval(self):
        dev = self.device()
        dev.ok("vehicle", "add", "--vin", VIN, "--name", "van")
        dm = self.daemon(dev, "--interval", "3600", "--debounce", "1")
        self.notify.wait_for("STATUS=synced", 30)
        self.assertEqual(self.central_fuel(), 0)
        started = time.monotonic()
        dev.ok("fuel", "add", "--odometer", "1000", "--volume", "40", "--price", "1.5")
        self.wait_central(1, 20)
        self.assertLess(time.monotonic() - started, 20)
        # And again: the daemon keeps seeing local writes after its own sync pushed, and after
        # it pulled and applied what another device of the user wrote.
        dev.ok("fuel", "add", "--odometer", "1400", "--volume", "38", "--price", "1.5")
        self.wait_central(2, 20)
        other = self.device()
        other.sync()
        other.ok("fuel", "add", "--odometer", "1800", "--volume", "30", "--price", "1.5")
        other.sync()
        self.wait_central(3, 20)
        dev.ok("fuel", "add", "--odometer", "2200", "--volume", "30", "--price", "1.5")
        self.wait_central(4, 20)
        wait_for(lambda: len(dev.json("fuel", "list")) >= 4, 20, step=0.2)
        self.assertEqual(len(dev.json("fuel", "list")), 4, "the other device's fill-up "
                         "never reached this one")
        self.assertEqual(dev.json("sync", "status")["outbox"], 0)
        self.assertEqual(dm.stop(), 0)

    def test_an_unreachable_gateway_is_retried_with_doubling_jittered_capped_delays(self):
        dev = self.device("https")
        port = free_port()
        dev.login("https", url=f"https://localhost:{port}")
        dev.ok("vehicle", "add", "--vin", VIN, "--name", "van")
        dm = self.daemon(dev, "--interval", "3600", "--backoff", "1", "--max-backoff", "2")
        delays = [float(x) for x in dm.wait_log(r"retry in ([0-9.]+) s", 30, count=5)]
        for n, got in enumerate(delays, start=1):
            # The n-th delay is the doubled backoff plus up to half again of jitter: never
            # before --backoff (nor before the doubled step), never after --max-backoff.
            step = min(1 * 2 ** (n - 1), 2)
            self.assertGreaterEqual(got, step - 0.05, f"retry {n}: {delays}")
            self.assertLessEqual(got, min(step * 1.5, 2) + 0.05, f"retry {n}: {delays}")
        self.assertTrue(self.notify.lines("STATUS=retrying"), "systemd was not told it retries")
        self.assertEqual(dev.json("sync", "status")["outbox"], 1, "the outbox was not kept")
        # The gateway becomes reachable on that port: the next retry syncs, and the backoff ends.
        self.proxy(self.gw.https_port, "tcp", listen_port=port)
        self.notify.wait_for("STATUS=synced 1 user", 20)
        self.assertEqual(int(self.pg.scalar(f"SELECT count(*) FROM vehicles WHERE user_id = "
                                            f"'{self.user}'")), 1)
        self.assertEqual(dm.stop(), 0)

    def test_once_exits_0_when_synced_and_5_when_the_gateway_is_unreachable(self):
        dev = self.device()
        dev.ok("vehicle", "add", "--vin", VIN, "--name", "van")
        out = odologd("--db", dev.db, "--once")
        self.assertEqual(out.returncode, 0, out.stderr)
        dev.login("https", url=f"https://localhost:{free_port()}")
        dev.ok("vehicle", "add", "--name", "second")
        out = odologd("--db", dev.db, "--once")
        self.assertEqual(out.returncode, 5, out.stderr)
        self.assertIn("sync failed", out.stderr)
        self.assertNotIn("retry in", out.stderr, "--once does not retry")
        self.assertEqual(dev.json("sync", "status")["outbox"], 1)

    def test_a_serial_scanner_registers_vehicles_that_then_reach_the_gateway(self):
        dev = self.device("https")
        master, slave = pty.openpty()
        name = os.ttyname(slave)
        dm = self.daemon(dev, "--interval", "3600", "--debounce", "1", "--scanner", name,
                         "--scanner-type", "tty", "--scan-user", self.user)
        os.close(slave)
        try:
            dm.wait_log(r"reading VIN scans from", 20)
            self.notify.wait_for("STATUS=synced", 30)
            for scan in (b"*1FTFW5L86RFB45612*\r", b"NOT-A-VIN\r", b"1FTFW5L86RFB45612\r"):
                os.write(master, scan)
            dm.wait_log(r"already registered as", 20)
        finally:
            os.close(master)
        self.assertIn("scan 'NOT-A-VIN' refused", dm.text())
        self.assertIn("registered '2024 Ford F-150'", dm.text())
        dm.wait_log(r"went away; looking again", 20)
        wait_for(lambda: self.pg.scalar(f"SELECT model FROM vehicles WHERE user_id = "
                                        f"'{self.user}'"), 20, step=0.2)
        self.assertEqual(self.pg.sql(f"SELECT make, model, model_year, body_class FROM vehicles "
                                     f"WHERE user_id = '{self.user}'"),
                         [["Ford", "F-150", "2024", "Pickup"]])
        self.assertEqual(dm.stop(), 0)

    def test_bad_arguments_exit_1_with_a_message(self):
        for args in (["--interval", "0"], ["--backoff", "x"], ["--bogus"], ["extra"],
                     ["--scanner-type", "usb"], ["--scanner-baud", "9"],
                     ["--scanner", "/dev/null", "--scan-user", "no spaces"]):
            out = odologd(*args, timeout=30)
            self.assertEqual(out.returncode, 1, args)
            self.assertTrue(out.stderr.strip(), f"no message for {args}")


if __name__ == "__main__":
    unittest.main()
