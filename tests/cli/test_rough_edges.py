"""The bugs and rough edges a new user found by trying the command line (issue 12), each a test
named for the behaviour it pins: the real odolog binary on real database files.
"""
import json
import os
import re
import stat
import subprocess
import unicodedata
import unittest

from cli_harness import CRV, ODOLOG, Odolog, odolog_env, scratch_dir

GATEWAY_DOWN = "coap://127.0.0.1:9"  # nothing listens there: every sync fails at once
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZWZhdWx0In0.c2ln"  # shaped like a JWT; never checked


def width(text):
    """Terminal columns text takes: wide (CJK, emoji) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def column_of(line, index):
    """The display column at which character index of line starts."""
    return width(line[:index])


class RoughEdgesTest(unittest.TestCase):
    def setUp(self):
        self.dir = scratch_dir(self, "odolog-rough-")
        os.chmod(self.dir, 0o755)
        self.o = Odolog(self.dir)

    def golf(self, units="metric"):
        self.o.ok("init", "--units", units)
        self.o.ok("vehicle", "add", "--name", "Golf")

    def unprivileged(self):
        """Runs a command as nobody when we are root (root ignores permissions)."""
        if os.geteuid() != 0:
            return ()
        return ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")

    # ---- fill-ups -------------------------------------------------------------------------

    def test_a_price_and_a_total_that_contradict_each_other_are_refused(self):
        self.golf()
        before = self.o.snapshot()
        self.o.fails(2, "fuel", "add", "--odometer", "1000", "--volume", "10", "--price", "1.8",
                     "--total", "50", says="not the total 50.00")
        self.assertEqual(self.o.snapshot(), before)
        # They agree to the cent (a pump that cuts the last digit is a cent off).
        self.o.ok("fuel", "add", "--odometer", "1000", "--volume", "10", "--price", "1.8",
                  "--total", "18.00", "--date", "2024-01-01")
        self.o.ok("fuel", "add", "--odometer", "1400", "--volume", "10.005", "--price", "1.8",
                  "--total", "18.00", "--date", "2024-01-05")
        # A price computed from the total (as every stored fill-up holds it) agrees with it.
        self.o.ok("fuel", "add", "--odometer", "1900", "--volume", "53.45", "--price", "2.802",
                  "--total", "149.79", "--date", "2024-01-10")
        self.assertEqual([f["total_cost"] for f in self.o.json("fuel", "list")],
                         ["18.00", "18.00", "149.79"])

    def test_an_implausible_odometer_jump_is_refused_and_the_refusal_points_to_fuel_edit(self):
        self.golf()
        first = self.o.json("fuel", "add", "--odometer", "50000", "--volume", "40",
                            "--date", "2024-01-01")
        before = self.o.snapshot()
        p = self.o.fails(2, "fuel", "add", "--odometer", "505000", "--volume", "38",
                         "--date", "2024-01-10", says="fuel edit")
        self.assertIn("--confirm-distance", p.stderr)
        self.assertEqual(self.o.snapshot(), before)
        # Confirmed, it is stored; then the correct next fill is refused, and the refusal
        # names the command that fixes the typo: 'fuel edit' of that fill, not 'odo add --forced'.
        typo = self.o.json("fuel", "add", "--odometer", "505000", "--volume", "38",
                           "--date", "2024-01-10", "--confirm-distance")
        p = self.o.fails(2, "fuel", "add", "--odometer", "50900", "--volume", "39",
                         "--date", "2024-01-20")
        short = typo["id"].replace("-", "")[-8:]
        self.assertIn(f"odolog fuel edit {short} --odometer N", p.stderr)
        self.o.ok("fuel", "edit", short, "--odometer", "50500")
        self.o.ok("fuel", "add", "--odometer", "50900", "--volume", "39", "--date", "2024-01-20")
        # Fill-ups were not logged: --missed says so, and the distance is no typo.
        self.o.ok("fuel", "add", "--odometer", "60000", "--volume", "40", "--date", "2024-03-01",
                  "--missed")
        self.assertEqual(len(self.o.json("fuel", "list")), 4, first)

    def test_short_ids_match_what_listings_show(self):
        self.golf()
        self.o.ok("fuel", "add", "--odometer", "1000", "--volume", "40")
        shown = self.o.ok("fuel", "list").splitlines()[1].split()[0]
        self.assertEqual(len(shown), 8)
        self.o.ok("fuel", "edit", shown[:4], "--notes", "found by what is shown")
        self.assertEqual(self.o.json("fuel", "list")[0]["notes"], "found by what is shown")
        full = self.o.json("fuel", "list")[0]["id"]
        self.o.ok("fuel", "edit", full, "--notes", "and by the whole id")

    def test_a_duplicate_vehicle_name_is_refused_and_the_message_says_name(self):
        self.o.ok("vehicle", "add", "--name", "Accord")
        before = self.o.snapshot()
        self.o.fails(2, "vehicle", "add", "--name", "accord", says="name 'accord'")
        self.assertEqual(self.o.snapshot(), before)
        other = self.o.json("vehicle", "add", "--name", "Civic")
        self.o.fails(2, "vehicle", "edit", other["id"], "--name", "Accord", says="name")
        self.o.fails(3, "fuel", "list", "--vehicle", "Acord", says="name")
        # A deleted vehicle's name is free again.
        self.o.ok("vehicle", "rm", "Accord")
        self.o.ok("vehicle", "add", "--name", "Accord")

    def test_vin_decode_of_seventeen_zeros_is_not_valid_no_manufacturer_has_that_code(self):
        p = self.o.run("--json", "vin", "decode", "00000000000000000",
                       env={"ODOLOG_VPIC": "/nonexistent"})
        self.assertEqual(p.returncode, 2)
        got = json.loads(p.stdout)
        self.assertEqual((got["valid"], got["errors"]), (False, ["manufacturer"]))
        self.assertIn("manufacturer", got["message"])
        self.assertEqual(json.loads(self.o.ok("--json", "vin", "check", CRV))[0]["valid"], True)

    # ---- exit codes -----------------------------------------------------------------------

    def test_exit_codes_mean_what_help_says_and_json_errors_are_json(self):
        helptext = self.o.ok("--help", db=False)
        for code in range(7):
            self.assertIn(f"\n  {code}  ", helptext)
        self.golf()
        # Sync that is not set up: 5, with or without a gateway.
        self.o.fails(5, "sync", says="odolog login")
        self.o.ok("login", "--gateway", GATEWAY_DOWN, "--token", TOKEN)
        self.o.fails(5, "sync")
        # Another file or device: 6, never the database's 4.
        self.o.fails(6, "scan", "--device", os.path.join(self.dir, "no-scanner"), "--once")
        self.o.fails(6, "login", "--token-file", os.path.join(self.dir, "no-token"))
        self.o.fails(6, "vin", "db", "install", os.path.join(self.dir, "no-vpic.zip"))
        self.o.fails(6, "import", os.path.join(self.dir, "no-file.csv"))
        # Under --json, the error is JSON on standard error, with the exit code in it.
        for args, code, kind in ((["fuel", "add", "--odometer", "x", "--volume", "1"], 2,
                                  "invalid"),
                                 (["fuel", "edit", "deadbeef", "--notes", "x"], 3, "not_found"),
                                 (["sync"], 5, "sync"),
                                 (["import", os.path.join(self.dir, "none.csv")], 6, "file")):
            p = self.o.run("--json", *args)
            self.assertEqual(p.returncode, code, args)
            err = json.loads(p.stderr)["error"]
            self.assertEqual((err["exit"], err["kind"]), (code, kind), args)
            self.assertTrue(err["message"])

    def test_vin_db_help_and_help_fuel_print_the_help_of_that_group(self):
        out = self.o.ok("vin", "db", "--help", db=False)
        self.assertIn("install", out)
        self.assertIn("status", out)
        self.assertNotIn("has no subcommand", out)
        out = self.o.ok("help", "fuel", db=False)
        for sub in ("add", "list", "edit", "rm", "restore"):
            self.assertRegex(out, rf"\n  {sub} ")
        self.assertNotIn("vin decode", out)  # not the top-level help
        self.assertIn("usage: odolog fuel add", self.o.ok("help", "fuel", "add", db=False))

    # ---- stats ----------------------------------------------------------------------------

    def test_stats_say_that_cost_per_distance_leaves_out_the_baseline_fill(self):
        self.golf()
        self.o.ok("fuel", "add", "--odometer", "1000", "--volume", "40", "--price", "1.8",
                  "--date", "2024-01-01")
        self.o.ok("fuel", "add", "--odometer", "1500", "--volume", "35", "--price", "1.8",
                  "--date", "2024-01-10")
        out = self.o.ok("stats")
        self.assertIn("63.00 EUR of fuel after the first fill-up", out)
        self.assertIn("1 in the economy average", out)
        basis = self.o.json("stats")[0]["cost_per_distance_basis"]
        self.assertEqual((basis["cost"], basis["fills"], basis["distance"]), ("63.00", 1, "500.0"))
        self.assertIn("first fill-up", basis["left_out"])

    def test_a_uk_logbook_of_euro_fills_keeps_its_cost_line(self):
        self.golf("uk")
        self.o.ok("fuel", "add", "--odometer", "1000", "--volume", "40", "--price", "1.8",
                  "--currency", "EUR", "--date", "2024-01-01")
        self.o.ok("fuel", "add", "--odometer", "1400", "--volume", "30", "--price", "1.7",
                  "--currency", "EUR", "--date", "2024-01-10")
        out = self.o.ok("stats")
        self.assertIn("cost:            123.00 EUR", out)
        self.assertIn("your currency is GBP", out)
        s = self.o.json("stats")[0]
        self.assertEqual((s["cost"], s["currency"], s["cost_per_distance"]), ("123.00", "EUR",
                                                                               "0.128"))

    # ---- dates and files ------------------------------------------------------------------

    def test_a_local_time_the_clocks_jumped_over_is_refused(self):
        self.golf()
        ny = {"TZ": "America/New_York"}
        before = self.o.snapshot()
        p = self.o.run("fuel", "add", "--odometer", "1000", "--volume", "40",
                       "--date", "2026-03-08 02:30", env=ny)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("does not exist", p.stderr)
        self.assertEqual(self.o.snapshot(), before)
        for when, utc in (("2026-03-08 01:30", "2026-03-08T06:30"),
                          ("2026-03-08 03:30", "2026-03-08T07:30")):
            p = self.o.run("--json", "odo", "add", "--odometer", "1000", "--date", when, env=ny)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(json.loads(p.stdout)["read_at"].startswith(utc), when)

    def test_a_db_that_is_not_a_regular_file_is_refused_and_nothing_appears_beside_it(self):
        for path in ("/dev/null", self.dir):
            p = self.o.run("--db", path, "vehicle", "list", db=False)
            self.assertEqual(p.returncode, 4, path)
            self.assertIn("not a database file", p.stderr)
        self.assertFalse(os.path.exists("/dev/null-journal"))
        self.assertEqual(os.listdir(self.dir), [])
        real = os.path.join(self.dir, "real.db")
        link = os.path.join(self.dir, "link.db")
        Odolog(self.dir).ok("--db", real, "init", db=False)
        os.symlink(real, link)
        self.o.fails(4, "--db", link, "init", db=False, says="link")

    def test_reading_commands_open_a_read_only_database_read_only(self):
        self.golf()
        self.o.ok("fuel", "add", "--odometer", "1000", "--volume", "40", "--price", "1.8")
        os.chmod(self.o.db, 0o444)
        os.chmod(self.dir, 0o555)
        try:
            for args in (["vehicle", "list"], ["fuel", "list"], ["stats"], ["due"],
                         ["odo", "list"], ["service", "list"], ["renewal", "list"],
                         ["export"], ["sync", "status"], ["db", "status"]):
                p = self.o.run(*args, prefix=self.unprivileged())
                self.assertEqual(p.returncode, 0, f"{args}: {p.stderr}")
            p = self.o.run("fuel", "add", "--odometer", "1400", "--volume", "30",
                           prefix=self.unprivileged())
            self.assertEqual(p.returncode, 4, p.stderr)
        finally:
            os.chmod(self.dir, 0o755)
        self.assertEqual(sorted(os.listdir(self.dir)), ["odolog.db"])  # no journal left

    # ---- tables ---------------------------------------------------------------------------

    def test_columns_stay_aligned_with_three_decimal_prices_mixed_units_and_wide_names(self):
        self.o.ok("init", "--units", "metric")
        for name in ("日本の車", "🚗 Golf", "Van"):
            self.o.ok("vehicle", "add", "--name", name)
        self.o.ok("fuel", "add", "--vehicle", "Van", "--odometer", "1000", "--volume", "40",
                  "--price", "1.8", "--date", "2024-01-01")
        self.o.ok("fuel", "add", "--vehicle", "Van", "--odometer", "1500", "--volume", "10.5",
                  "--unit", "gal_us", "--price", "3.129", "--date", "2024-01-10")
        self.o.ok("fuel", "add", "--vehicle", "Van", "--odometer", "2000", "--volume", "8.25",
                  "--unit", "gal_imp", "--total", "60", "--currency", "GBP",
                  "--date", "2024-01-20")
        lines = self.o.ok("vehicle", "list").splitlines()
        vin_at = {column_of(ln, ln.index("-", 10)) for ln in lines[1:]}
        self.assertEqual(vin_at, {column_of(lines[0], lines[0].index("VIN"))}, lines)
        lines = self.o.ok("fuel", "list", "--vehicle", "Van").splitlines()
        # Every price's decimal point, and every volume's, in one column.
        prices = [m.start() for m in (re.search(r"\d\.\d+  +\d+\.\d\d [A-Z]{3}", ln)
                                      for ln in lines[1:])]
        self.assertEqual(len(prices), 3, lines)
        self.assertEqual(len({column_of(ln, p + 1) for ln, p in zip(lines[1:], prices)}), 1,
                         lines)
        volumes = [ln.index(".", ln.index(" ", 30)) for ln in lines[1:]]
        self.assertEqual(len({column_of(ln, v) for ln, v in zip(lines[1:], volumes)}), 1, lines)
        header_end = width(lines[0])
        for ln in lines[1:]:
            self.assertLessEqual(width(ln.split("  baseline")[0].rstrip()), header_end + 1, ln)

    # ---- shell completion -----------------------------------------------------------------

    def complete(self, script, words):
        """What bash offers for the command line words (the last one being completed)."""
        line = " ".join(words)
        prog = (f"{script}\nCOMP_WORDS=({' '.join(repr(w) for w in words)}); "
                f"COMP_CWORD={len(words) - 1}; COMP_LINE={line!r}; COMP_POINT={len(line)}; "
                "_odolog; printf '%s\\n' \"${COMPREPLY[@]}\"")
        out = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.split()

    def test_bash_completion_offers_commands_subcommands_and_options(self):
        script = self.o.ok("completion", "bash", db=False)
        syntax = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        self.assertEqual(syntax.returncode, 0, syntax.stderr)
        self.assertIn("fuel", self.complete(script, ["odolog", "fu"]))
        words = self.complete(script, ["odolog", "fuel", ""])
        self.assertEqual(sorted(w for w in words if not w.startswith("-")),
                         ["add", "edit", "list", "restore", "rm"])
        self.assertIn("--volume", self.complete(script, ["odolog", "fuel", "add", "--vo"]))
        self.assertIn("--date-format", self.complete(script, ["odolog", "import", "--da"]))
        self.assertIn("--db", self.complete(script, ["odolog", "--d"]))


class InstallTest(unittest.TestCase):
    """What 'cmake --install' puts beside the programs: their man pages, written from their
    --help at build time, and odolog's bash completion."""

    def setUp(self):
        self.build = os.environ.get("ODO_BUILD_DIR")
        if not self.build or os.environ.get("ODO_DOCS") in ("OFF", "0"):
            self.skipTest("ctest runs this (it needs the build directory and ODO_DOCS=ON)")

    def test_man_pages_and_bash_completion_are_installed_with_the_programs(self):
        prefix = scratch_dir(self, "odolog-install-")
        out = subprocess.run([os.environ.get("ODO_CMAKE", "cmake"), "--install", self.build,
                              "--prefix", prefix], capture_output=True, text=True, timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr)
        man = os.path.join(prefix, "share", "man", "man1")
        for prog in ("odolog", "odologd", "odolog-gateway"):
            self.assertTrue(os.path.exists(os.path.join(prefix, "bin", prog)), prog)
            page = os.path.join(man, f"{prog}.1")
            # groff reads it without a warning; its synopsis is the program's usage line.
            check = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page],
                                   capture_output=True, text=True, timeout=60)
            self.assertEqual((check.returncode, check.stderr), (0, ""), page)
            with open(page) as f:
                text = f.read()
            self.assertIn(f".SH SYNOPSIS\n.nf\n{prog}", text.replace("\\-", "-"))
        # Every command odolog lists has its section, holding that command's own help.
        with open(os.path.join(man, "odolog.1")) as f:
            text = f.read().replace("\\-", "-")
        helptext = subprocess.run([ODOLOG, "--help"], capture_output=True, text=True).stdout
        commands = re.findall(r"^  ([a-z]+(?: [a-z]+)*)  ", helptext.split("Commands:")[1]
                              .split("\n\n")[0], re.M)
        self.assertGreater(len(commands), 40)
        for cmd in commands:
            self.assertIn(f".SS odolog {cmd}\n", text)
        self.assertIn("--date-format ORDER", text)
        completion = os.path.join(prefix, "share", "bash-completion", "completions", "odolog")
        with open(completion) as f:
            self.assertIn("complete -F _odolog odolog", f.read())


if __name__ == "__main__":
    unittest.main()
