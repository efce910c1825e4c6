"""odologd's rough edges (issue 12), without a gateway: the real daemon on a real database whose
gateway does not answer. ODOLOGD names the binary (ctest sets it).
"""
import os
import re
import signal
import subprocess
import time
import unittest

from cli_harness import ODOLOG, ROOT, Odolog, odolog_env, scratch_dir, wait_for

ODOLOGD = os.environ.get("ODOLOGD", os.path.join(ROOT, "build/firmware/odologd"))
GATEWAY_DOWN = "coap://127.0.0.1:9"  # nothing listens there: every sync fails at once
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZWZhdWx0In0.c2ln"  # shaped like a JWT


def cpu_seconds(pid):
    """User and system CPU time the process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class DaemonTest(unittest.TestCase):
    def setUp(self):
        self.dir = scratch_dir(self, "odologd-")
        self.o = Odolog(self.dir)
        self.o.ok("vehicle", "add", "--name", "Golf")
        self.log = os.path.join(self.dir, "odologd.log")  # beside the database

    def start(self, *args):
        """odologd on the database, its log in a file beside it; stopped when the test ends."""
        log = open(self.log, "w")
        self.addCleanup(log.close)
        p = subprocess.Popen([ODOLOGD, "--db", self.o.db, *args], stdout=log, stderr=log,
                             env=odolog_env())
        self.addCleanup(self.stop, p)
        return p

    @staticmethod
    def stop(p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def text(self):
        with open(self.log) as f:
            return f.read()

    def test_version_and_help_that_lists_the_log_levels(self):
        out = subprocess.run([ODOLOGD, "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0)
        version = subprocess.run([ODOLOG, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout.split()[-1]
        self.assertEqual(out.stdout.strip(), f"odologd {version}")
        out = subprocess.run([ODOLOGD, "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0)
        for word in ("--log-level", "error", "warn", "info", "debug", "SIGHUP", "--version"):
            self.assertIn(word, out.stdout)

    def test_its_own_log_beside_the_database_does_not_keep_it_busy(self):
        p = self.start("--log-level", "debug", "--interval", "3600")
        self.assertTrue(wait_for(lambda: "running" in self.text(), 20), self.text())
        start = cpu_seconds(p.pid)
        time.sleep(3)
        used = cpu_seconds(p.pid) - start
        self.assertLess(used, 0.5, f"{used:.2f} s of CPU in 3 s idle")
        self.assertEqual(self.text().count("the database changed"), 0, self.text()[-2000:])
        # A write to the database itself is still seen.
        self.o.ok("odo", "add", "--odometer", "100")
        self.assertTrue(wait_for(lambda: "the database changed" in self.text(), 20),
                        self.text())
        self.assertIsNone(p.poll())

    def test_a_retry_never_comes_before_the_backoff_given(self):
        self.o.ok("login", "--gateway", GATEWAY_DOWN, "--token", TOKEN)
        p = self.start("--interval", "3600", "--backoff", "2", "--max-backoff", "8")
        seen = []  # (when, the delay announced) of each failure, as it appears
        deadline = time.monotonic() + 60
        while len(seen) < 3 and time.monotonic() < deadline:
            delays = re.findall(r"retry in ([0-9.]+) s", self.text())
            if len(delays) > len(seen):
                seen.append((time.monotonic(), float(delays[len(seen)])))
            time.sleep(0.02)
        self.assertEqual(len(seen), 3, self.text())
        for n, (_, delay) in enumerate(seen):
            step = min(2 * 2 ** n, 8)
            self.assertGreaterEqual(delay, step, seen)
            self.assertLessEqual(delay, min(step * 1.5, 8), seen)
        for (t0, d0), (t1, _) in zip(seen, seen[1:]):
            self.assertGreaterEqual(t1 - t0, d0 - 0.1, f"retried early: {seen}")
        self.assertIsNone(p.poll())

    def test_sighup_syncs_at_once_and_does_not_kill_it(self):
        self.o.ok("login", "--gateway", GATEWAY_DOWN, "--token", TOKEN)
        p = self.start("--interval", "3600", "--backoff", "600")
        self.assertTrue(wait_for(lambda: "retry in" in self.text(), 20), self.text())
        p.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: "SIGHUP: syncing now" in self.text(), 20), self.text())
        # The sync it started fails too (the gateway is down) and is announced as the second.
        self.assertTrue(wait_for(lambda: "(2 in a row)" in self.text(), 20), self.text())
        self.assertIsNone(p.poll(), "SIGHUP ended odologd")
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(timeout=20), 0)


if __name__ == "__main__":
    unittest.main()
