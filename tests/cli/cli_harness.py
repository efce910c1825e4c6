"""The odolog binary driven as a user drives it, on a database file of its own: what the
command-line tests (tests/cli), the integration tests (tests/integration/harness.py builds its
devices on it) and the sync benchmark share. Standard library only.

ODOLOG_BIN names the binary (ctest sets it). The installed vPIC database is ODO_VPIC_DB (the
command-line tests) or ODOLOG_VPIC (the integration tests, whose gateway reads that variable),
else the one scripts/dev installs.
"""
import atexit
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ODOLOG = os.environ.get("ODOLOG_BIN", os.path.join(ROOT, "build/firmware/odolog/odolog"))
VPIC = (os.environ.get("ODO_VPIC_DB") or os.environ.get("ODOLOG_VPIC")
        or os.path.join(ROOT, ".data/vpic/vpic.db"))

# Real VINs from the shared sample (tests/data/vins-public.tsv), both in vPIC.
CRV = "2HKRW2H20NH207506"  # a 2022 Honda CR-V
F150 = "1FTFW5L86RFB45612"  # a 2024 Ford F-150

# Every user and sync table of a device database, for snapshots that prove nothing changed.
DEVICE_TABLES = ["vehicles", "fuel_logs", "odometer_readings", "maintenance", "service_records",
                 "renewals", "settings", "outbox", "sync_state", "_migrations"]

SANITIZER_REPORTS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


_data_home = None


def _private_data_home():
    """One scratch data directory for this test process, removed when it exits."""
    global _data_home
    if _data_home is None:
        _data_home = tempfile.mkdtemp(prefix="odolog-xdg-")
        atexit.register(shutil.rmtree, _data_home, True)
    return _data_home


def odolog_env(user=None, extra=None):
    """The environment odolog (or odologd) runs in: this process's, without a default database
    (and with a private data directory), as user (or no user at all), in UTC, with extra on
    top."""
    env = dict(os.environ)
    env.pop("ODOLOG_DB", None)
    env.pop("ODOLOG_USER", None)
    # A run that names no database gets a data directory of its own, never the default one of
    # whoever runs the tests (whatever an earlier run left there would leak into this one).
    env["XDG_DATA_HOME"] = _private_data_home()
    if user:
        env["ODOLOG_USER"] = user
    env["TZ"] = "UTC"
    if extra:
        env.update(extra)
    return env


def wait_for(check, timeout, step=0.05, give_up=None):
    """Calls check() until it returns something true and returns that; None once timeout
    seconds have passed, or as soon as give_up() is true."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() >= deadline or (give_up and give_up()):
            return None
        time.sleep(step)


def assert_clean_log(program, text):
    """Fails, quoting the log, when a sanitizer reported something in program's output."""
    for bad in SANITIZER_REPORTS:
        if bad in text:
            raise AssertionError(f"{program} reported {bad}:\n{text[-4000:]}")


def need_vpic():
    """The installed vPIC database's path; a failure saying how to get one when it is missing."""
    if not os.path.exists(VPIC):
        raise AssertionError(f"no vPIC database at '{VPIC}': run ./scripts/dev setup and build")
    return VPIC


def scratch_dir(test, prefix):
    """A fresh directory that is removed when test ends, even where the test made parts of it
    read-only."""
    path = tempfile.mkdtemp(prefix=prefix)

    def remove():
        for root, dirs, _ in os.walk(path):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        os.chmod(path, 0o755)
        shutil.rmtree(path, ignore_errors=True)

    test.addCleanup(remove)
    return path


class Odolog:
    """odolog on the database odolog.db in directory: run it, insist that it succeeds (or fails
    as expected), and read the file with plain SQLite, as another program would."""

    timeout = 60

    def __init__(self, directory, user=None):
        self.dir = directory
        self.db = os.path.join(directory, "odolog.db")
        self.user = user  # the ODOLOG_USER of every run; none: odolog's default user

    def run(self, *args, user=None, stdin=None, env=None, db=True, prefix=()):
        """odolog args (after --db, and --user when user is given), prefix before it."""
        cmd = [*prefix, ODOLOG]
        if db:
            cmd += ["--db", self.db]
        if user:
            cmd += ["--user", user]
        cmd += args
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                              env=odolog_env(self.user, env), timeout=self.timeout)

    def ok(self, *args, **kw):
        """Runs odolog, which must exit 0; its standard output."""
        p = self.run(*args, **kw)
        if p.returncode != 0:
            raise AssertionError(f"odolog {' '.join(args)} exited {p.returncode}:\n"
                                 f"{p.stdout}{p.stderr}")
        return p.stdout

    def json(self, *args, **kw):
        return json.loads(self.ok("--json", *args, **kw))

    def fails(self, code, *args, says=None, **kw):
        """Runs odolog, which must exit code and, when says is given, say it on stderr."""
        p = self.run(*args, **kw)
        if p.returncode != code:
            raise AssertionError(f"odolog {' '.join(args)} exited {p.returncode}, not {code}\n"
                                 f"{p.stdout}{p.stderr}")
        if says and says not in p.stderr:
            raise AssertionError(f"odolog {' '.join(args)} did not say {says!r}:\n{p.stderr}")
        return p

    def query(self, sql, *params):
        """All rows of a query on the file, opened read-only."""
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def scalar(self, sql, *params):
        return self.query(sql, *params)[0][0]

    def write(self, sql, *params):
        """One statement written to the file behind odolog's back (an edit by another program;
        the capture triggers on user tables refuse it)."""
        con = sqlite3.connect(self.db)
        try:
            con.execute(sql, params)
            con.commit()
        finally:
            con.close()

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

    def snapshot(self):
        """Every row of every user and sync table, in a stable order."""
        return {t: self.query(f"SELECT * FROM {t} ORDER BY 1, 2") for t in DEVICE_TABLES}
