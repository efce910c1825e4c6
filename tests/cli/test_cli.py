"""The odolog command line, driven as a user drives it: the real binary against real database
files in a throwaway directory. ODOLOG_BIN names the binary (ctest sets it); ODO_TEST_DATA the
shared sample data. cli_harness.py drives the binary.

Every refusal is checked three ways: the exit code, a message that says what was wrong, and a
snapshot of every stored row before and after, so that bad input provably loses nothing.
"""
import csv
import datetime
import json
import os
import sqlite3
import stat
import unittest

from cli_harness import CRV as VIN, F150, VPIC, Odolog, need_vpic, scratch_dir

DATA = os.environ.get("ODO_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))


class CliTest(unittest.TestCase):
    def setUp(self):
        self.dir = scratch_dir(self, "odolog-cli-")
        os.chmod(self.dir, 0o755)  # nobody, too, runs odolog in it
        self.o = Odolog(self.dir)

    def civic(self, units="us"):
        self.o.ok("init", "--units", units)
        self.o.ok("vehicle", "add", "--vin", VIN, "--name", "Civic")

    def test_fuelly_export_sample_gives_the_same_per_fill_mpg_and_the_totals_average(self):
        self.civic()
        with open(os.path.join(DATA, "fuelly_export_sample_us.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        for r in rows:
            when = datetime.datetime.strptime(r["fuelup_date"], "%m/%d/%Y %H:%M")
            args = ["fuel", "add", "--odometer", r["odometer"], "--volume", r["gallons"],
                    "--price", r["price"], "--date", when.strftime("%Y-%m-%d %H:%M"),
                    "--station", r["brand"]]
            if r["partial_fuelup"] == "1":
                args.append("--partial")
            if r["missed_fuelup"] == "1":
                args.append("--missed")
            self.o.ok(*args)
        fills = self.o.json("fuel", "list")
        self.assertEqual(len(fills), len(rows))
        for r, f in zip(rows, fills):
            want = None if float(r["mpg"]) == 0 else "%.2f" % float(r["mpg"])
            self.assertEqual(f["economy"], want, f"fill at {r['odometer']}")
            self.assertEqual(f["odometer"], r["odometer"] + ".0")
        stats = self.o.json("stats")[0]
        self.assertEqual(stats["economy"], "34.78")  # total distance / total fuel, not 34.76
        self.assertEqual(stats["economy_unit"], "mpg_us")
        self.assertEqual(stats["fills"], 7)
        # The totals are exact: 10.12 gal at 3.149 is 31.87, and so on.
        self.assertEqual(fills[1]["total_cost"], "31.87")
        self.assertEqual(stats["volume"], "65.870")

    def test_the_shared_vin_sample_through_vin_check_on_standard_input(self):
        with open(os.path.join(DATA, "vins-public.tsv")) as f:
            rows = [line.rstrip("\n").split("\t") for line in f][1:]
        text = "".join(r[0] + "\n" for r in rows)
        p = self.o.run("--json", "vin", "check", "-", stdin=text, db=False)
        self.assertEqual(p.returncode, 2)  # the sample holds invalid VINs
        results = json.loads(p.stdout)
        self.assertEqual(len(results), len(rows))
        for r, got in zip(rows, results):
            vin, check_ok = r[0], r[1] == "1"
            if len(vin) != 17 or any(c in vin for c in "IOQ"):
                self.assertFalse(got["valid"], vin)
                continue
            self.assertEqual(got["check_digit"]["ok"], check_ok, vin)
            if vin[0] in "12345" and not check_ok:
                self.assertFalse(got["valid"], vin)
            if r[3]:
                self.assertEqual(got["model_year"], int(r[3]), vin)

    def test_bad_input_is_refused_with_exit_2_and_nothing_stored_changes(self):
        self.civic()
        self.o.ok("fuel", "add", "--odometer", "41000", "--volume", "9.8", "--date", "2024-01-02")
        self.o.ok("fuel", "add", "--odometer", "41352", "--volume", "10.12", "--date",
                  "2024-01-12")
        before = self.o.snapshot()
        cases = [
            (["vehicle", "add", "--vin", "1HGCM82643A004352"], "check digit"),
            (["vehicle", "add", "--vin", "1HGCM8263"], "17 characters"),
            (["vehicle", "add", "--vin", "1HGCM82633AO04352"], "letter O"),
            (["vehicle", "add", "--vin", VIN, "--name", "Again"], "already registered"),
            (["vehicle", "add", "--name", "X", "--year", "nineteen"], "model year"),
            (["vehicle", "add", "--name", "X", "--unit", "furlongs"], "distance unit"),
            (["fuel", "add", "--odometer", "41500", "--volume", "-5"], "more than zero"),
            (["fuel", "add", "--odometer", "41500", "--volume", "0"], "more than zero"),
            (["fuel", "add", "--odometer", "41500", "--volume", "900"], "not plausible"),
            (["fuel", "add", "--odometer", "41500", "--volume", "10", "--price", "-3"],
             "negative"),
            (["fuel", "add", "--odometer", "41500", "--volume", "10", "--price", "1e3"],
             "not a number"),
            (["fuel", "add", "--odometer", "41500", "--volume", "10.1234"], "decimals"),
            (["fuel", "add", "--odometer", "41500", "--volume", "10", "--total", "9999999999"],
             "between 0 and"),
            (["fuel", "add", "--odometer", "41500", "--volume", "10", "--date", "last tuesday"],
             "not a date"),
            (["fuel", "add", "--odometer", "41500", "--volume", "10", "--date", "2024-02-30"],
             "real date"),
            (["fuel", "add", "--odometer", "41500", "--volume", "10", "--date", "2099-01-01"],
             "ahead"),
            (["fuel", "add", "--odometer", "40000", "--volume", "10", "--date", "2024-02-01"],
             "backwards"),
            (["fuel", "add", "--odometer", "41200", "--volume", "10", "--date", "2024-01-20"],
             "lower than"),
            (["fuel", "add", "--odometer", "forty", "--volume", "10"], "not a number"),
            (["fuel", "add", "--odometer", "41500", "--volume", "10", "--unit", "barrel"],
             "volume unit"),
            (["fuel", "add", "--odometer", "41500", "--volume", "10", "--total", "5",
              "--currency", "EURO"], "currency"),
            (["odo", "add", "--odometer", "100"], "lower than"),
            (["odo", "add", "--odometer", "-1"], "between 0"),
            (["maint", "add", "--type", "oil", "--category", "magic", "--due-date",
              "2027-01-01"], "unknown category"),
            (["maint", "add", "--type", "oil"], "needs a due date"),
            (["maint", "add", "--type", "oil", "--due-date", "2027-13-01"], "real calendar"),
            (["maint", "add", "--type", "oil", "--every-months", "0"], "--every-months"),
            (["renewal", "add", "--kind", "insurance", "--from", "2026-05-01", "--until",
              "2026-04-01"], "expires before"),
            (["renewal", "add", "--kind", "parking", "--until", "2026-04-01"], "renewal kind"),
            (["init", "--units", "imperial"], "unit system"),
            (["init", "--currency", "E1"], "three-letter"),
            (["--user", "bob smith", "vehicle", "list"], "user id"),
            (["vehicle", "add", "--name", "x" * 65], "too long"),
            (["vehicle", "add", "--name", "bad\x01name"], "control character"),
        ]
        for args, says in cases:
            with self.subTest(args=args):
                self.o.fails(2, *args, says=says)
                self.assertEqual(self.o.snapshot(), before, f"{args} changed the database")

    def test_unknown_ids_exit_3_and_change_nothing(self):
        self.civic()
        self.o.ok("fuel", "add", "--odometer", "41000", "--volume", "9.8")
        before = self.o.snapshot()
        cases = [
            ["vehicle", "show", "Truck"],
            ["vehicle", "rm", "ffffffff"],
            ["vehicle", "restore", "Civic"],  # it is not deleted
            ["fuel", "rm", "deadbeef"],
            ["fuel", "edit", "deadbeef", "--volume", "3"],
            ["fuel", "list", "--vehicle", "1FTFW5L86RFB45612"],
            ["fuel", "add", "--vehicle", "Truck", "--odometer", "1", "--volume", "1"],
            ["maint", "done", "timing_belt"],
            ["maint", "rm", "abcd1234"],
            ["renewal", "rm", "abcd1234"],
        ]
        for args in cases:
            with self.subTest(args=args):
                self.o.fails(3, *args)
                self.assertEqual(self.o.snapshot(), before)

    def test_a_file_that_is_not_a_database_exits_4_and_is_left_byte_for_byte(self):
        path = os.path.join(self.dir, "notes.txt")
        content = b"This is my logbook, typed by hand.\n" * 40
        with open(path, "wb") as f:
            f.write(content)
        p = self.o.run("--db", path, "vehicle", "list", db=False)
        self.assertEqual(p.returncode, 4)
        self.assertIn("not an odolog database", p.stderr)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), content)
        self.assertFalse(os.path.exists(path + "-wal"))
        # An SQLite database of another program is refused too.
        other = os.path.join(self.dir, "contacts.db")
        con = sqlite3.connect(other)
        con.execute("CREATE TABLE contacts (name TEXT)")
        con.commit()
        con.close()
        p = self.o.run("--db", other, "init", db=False)
        self.assertEqual(p.returncode, 4)
        self.assertIn("another program", p.stderr)

    def unprivileged(self):
        """A prefix that runs a command as nobody when we are root (root ignores permissions)."""
        if os.geteuid() != 0:
            return ()
        return ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")

    def test_a_read_only_database_directory_exits_4_with_a_clear_message(self):
        self.civic()
        self.o.ok("fuel", "add", "--odometer", "41000", "--volume", "9.8")
        before = self.o.snapshot()
        os.chmod(self.o.db, 0o666)
        os.chmod(self.dir, 0o555)
        p = self.o.run("fuel", "add", "--odometer", "41400", "--volume", "10",
                       prefix=self.unprivileged())
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
        self.assertIn("writable", p.stderr)
        os.chmod(self.dir, 0o755)
        self.assertEqual(self.o.snapshot(), before)
        # A new database in a read-only directory: refused the same way.
        ro = os.path.join(self.dir, "ro")
        os.mkdir(ro, 0o555)
        p = self.o.run("--db", os.path.join(ro, "new.db"), "init", db=False,
                       prefix=self.unprivileged())
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
        self.assertFalse(os.path.exists(os.path.join(ro, "new.db")))

    def test_a_migration_edited_after_it_was_applied_exits_4_naming_the_file(self):
        self.civic()
        self.o.write("UPDATE _migrations SET checksum = 'f' || substr(checksum, 2) "
                     "WHERE name = '001_init.sql'")
        before = self.o.snapshot()
        self.o.fails(4, "vehicle", "list", says="001_init.sql")
        self.assertEqual(self.o.snapshot(), before)
        status = self.o.json("db", "status")
        self.assertEqual(status[0]["state"], "changed")

    def test_a_database_from_a_newer_odolog_exits_4(self):
        self.civic()
        self.o.write("INSERT INTO _migrations VALUES ('999_future.sql', 'x', '2030-01-01')")
        self.o.fails(4, "vehicle", "list", says="newer")

    def test_db_status_lists_applied_migrations(self):
        self.o.ok("init")
        status = self.o.json("db", "status")
        self.assertGreaterEqual(len(status), 1)
        self.assertEqual(status[0]["name"], "001_init.sql")
        self.assertEqual(status[0]["state"], "applied")
        self.assertEqual(len(status[0]["checksum"]), 64)
        self.assertIn("up to date", self.o.ok("db", "status"))

    def test_usage_errors_exit_1(self):
        cases = [["frobnicate"], ["vehicle"], ["vehicle", "fly"], ["fuel", "add", "--bogus"],
                 ["fuel", "add", "--volume", "3"], ["vehicle", "show"],
                 ["vehicle", "show", "a", "b"], ["vin", "check"], ["--db"],
                 ["vehicle", "edit", "Civic"]]
        for args in cases:
            with self.subTest(args=args):
                p = self.o.run(*args)
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertTrue(p.stderr.strip(), "a usage error says what was wrong")
        self.assertEqual(self.o.run(db=False).returncode, 1)

    def test_every_command_has_help_and_the_main_help_lists_exit_codes(self):
        main = self.o.ok("--help", db=False)
        for code in ["0  success", "1  usage", "2  invalid input", "3  not found",
                     "4  storage"]:
            self.assertIn(code, main)
        commands = [line[2:20].split() for line in main.splitlines()
                    if line.startswith("  ") and not line.startswith("   ")
                    and not line.strip().startswith("-") and line.strip()[0].isalpha()]
        commands = [c for c in commands if c[0] in
                    {"init", "vehicle", "fuel", "odo", "maint", "renewal", "due", "stats",
                     "vin", "db"}]
        self.assertGreaterEqual(len(commands), 25)
        for c in commands:
            args = c
            with self.subTest(command=args):
                out = self.o.ok(*args, "--help", db=False)
                self.assertIn("usage: odolog " + " ".join(args), out)

    def test_every_data_command_prints_valid_json(self):
        self.civic()
        self.o.ok("fuel", "add", "--odometer", "41000", "--volume", "9.8", "--price", "3.1")
        self.o.ok("maint", "add", "--type", "oil", "--due-date", "2030-01-01")
        self.o.ok("renewal", "add", "--kind", "insurance", "--until", "2030-01-01")
        for args in [["init"], ["vehicle", "list"], ["vehicle", "show", "Civic"],
                     ["fuel", "list"], ["odo", "list"], ["maint", "list"],
                     ["maint", "list", "--history"], ["renewal", "list"], ["due", "--all"],
                     ["stats"], ["vin", "decode", VIN], ["db", "status"],
                     ["odo", "add", "--odometer", "41100"],
                     ["vehicle", "edit", "Civic", "--plate", "AB-1"]]:
            with self.subTest(args=args):
                json.loads(self.o.ok("--json", *args))

    def test_deleting_a_vehicle_hides_its_records_and_restore_brings_them_back(self):
        self.civic()
        self.o.ok("fuel", "add", "--odometer", "41000", "--volume", "9.8")
        self.o.ok("fuel", "add", "--odometer", "41300", "--volume", "9.1")
        self.o.ok("maint", "add", "--type", "oil", "--due-date", "2030-01-01")
        self.o.ok("vehicle", "rm", "Civic")
        self.assertEqual(self.o.json("vehicle", "list"), [])
        self.assertEqual(self.o.json("maint", "list"), [])
        self.o.fails(3, "fuel", "list", "--vehicle", "Civic")
        listed = self.o.json("vehicle", "list", "--all")
        self.assertTrue(listed[0]["deleted_at"])
        self.o.ok("vehicle", "restore", "Civic")
        self.assertEqual(len(self.o.json("fuel", "list")), 2)
        self.assertEqual(len(self.o.json("maint", "list")), 1)
        # Deleted rows are tombstones, not gone: the device keeps them for sync.
        self.assertEqual(self.o.scalar("SELECT count(*) FROM fuel_logs"), 2)

    def test_users_on_one_device_never_see_each_other(self):
        self.o.ok("vehicle", "add", "--vin", VIN, "--name", "Civic", user="alice")
        self.o.ok("fuel", "add", "--odometer", "100", "--volume", "30", user="alice")
        self.assertEqual(self.o.json("vehicle", "list", user="bob"), [])
        self.o.fails(3, "fuel", "list", "--vehicle", "Civic", user="bob")
        self.o.fails(3, "vehicle", "rm", VIN, user="bob")
        # Bob may register the same VIN on his own logbook.
        self.o.ok("vehicle", "add", "--vin", VIN, "--name", "Mine", user="bob")
        self.assertEqual(len(self.o.json("fuel", "list", user="alice")), 1)
        self.assertEqual(len(self.o.json("fuel", "list", user="bob")), 0)

    def test_a_metric_user_sees_litres_per_100_km(self):
        self.o.ok("init", "--units", "metric")
        self.o.ok("vehicle", "add", "--name", "Golf", "--make", "Volkswagen")
        self.o.ok("fuel", "add", "--odometer", "10000", "--volume", "40", "--total", "60",
                  "--date", "2026-01-01")
        self.o.ok("fuel", "add", "--odometer", "10500", "--volume", "40", "--total", "60",
                  "--date", "2026-01-10")
        fills = self.o.json("fuel", "list")
        self.assertEqual(fills[1]["economy"], "8.00")
        self.assertEqual(fills[1]["economy_unit"], "l_per_100km")
        self.assertEqual(fills[1]["unit_price"], "1.500")
        out = self.o.ok("stats")
        self.assertIn("8.00 L/100km", out)
        self.assertIn("12.00 EUR per 100 km", out)

    def test_a_fill_up_the_driver_saw_saved_is_in_the_outbox(self):
        self.civic()
        saved = self.o.json("fuel", "add", "--odometer", "41000", "--volume", "9.8")
        rows = self.o.query("SELECT cols, batch FROM outbox WHERE tbl = 'fuel_logs' "
                            "AND row_id = ?", saved["id"])
        self.assertEqual(len(rows), 1)
        cols = json.loads(rows[0][0])
        self.assertEqual(list(cols), ["*"])  # a new row: every column
        self.assertIsNone(rows[0][1])

    def test_the_default_database_is_created_under_the_data_directory(self):
        home = os.path.join(self.dir, "home")
        os.mkdir(home)
        env = {"HOME": home, "XDG_DATA_HOME": ""}
        self.o.ok("init", db=False, env=env)
        path = os.path.join(home, ".local", "share", "odolog", "odolog.db")
        self.assertTrue(os.path.exists(path))
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode), 0o700)
        self.o.ok("vehicle", "add", "--name", "Van", db=False, env=env)
        self.assertEqual(len(json.loads(self.o.ok("--json", "vehicle", "list", db=False,
                                                  env=env))), 1)

    def test_due_lists_overdue_first_then_due_soon(self):
        today = datetime.date.today()
        self.civic(units="metric")
        self.o.ok("odo", "add", "--odometer", "49500")
        self.o.ok("maint", "add", "--type", "tires",
                  "--due-date", (today - datetime.timedelta(days=3)).isoformat())
        self.o.ok("maint", "add", "--type", "timing_belt", "--due-odometer", "50000")
        self.o.ok("maint", "add", "--type", "brakes",
                  "--due-date", (today + datetime.timedelta(days=200)).isoformat())
        self.o.ok("renewal", "add", "--kind", "registration",
                  "--until", (today + datetime.timedelta(days=10)).isoformat())
        due = self.o.json("due")
        self.assertEqual([(d["label"] or d["kind"], d["level"]) for d in due],
                         [("tires", "overdue"), ("timing_belt", "due_soon"),
                          ("registration", "due_soon")])
        self.assertEqual(due[1]["by"], "distance")
        self.assertEqual(due[1]["distance_left"], "500.0")
        self.assertEqual(len(self.o.json("due", "--all")), 4)
        out = self.o.ok("maint", "done", "tires", "--cost", "420")
        self.assertIn("does not recur", out)
        self.assertNotIn("tires", [d["label"] for d in self.o.json("due")])


class VinDecodeTest(unittest.TestCase):
    """Decoding with the vPIC database installed on the device (ODO_VPIC_DB, from scripts/dev)."""

    def setUp(self):
        self.env = {"ODOLOG_VPIC": need_vpic()}
        self.dir = scratch_dir(self, "odolog-vin-")
        self.o = Odolog(self.dir)

    def test_vin_decode_json_prints_every_decoded_field(self):
        got = self.o.json("vin", "decode", F150, env=self.env, db=False)
        d = got["decoded"]
        self.assertEqual((got["valid"], got["source"], d["source"], d["cached"]),
                         (True, "vpic", "vpic", False))
        self.assertEqual((d["make"], d["model"], d["model_year"], d["series"]),
                         ("Ford", "F-150", 2024, "Lariat"))
        self.assertEqual((d["body_class"], d["vehicle_type"], d["fuel_type"]),
                         ("Pickup", "Truck", "Gasoline"))
        self.assertEqual((d["engine_cylinders"], d["displacement_l"], d["engine_model"]),
                         ("6", "3.5", "GTDI"))
        self.assertEqual((d["plant_country"], d["plant_city"]), ("UNITED STATES (USA)", "DEARBORN"))
        self.assertEqual(d["manufacturer"], "FORD MOTOR COMPANY")
        self.assertEqual((d["error_codes"], d["error_text"]), ([0], "0 - VIN decoded clean"))
        for field in ("trim", "drive_type", "transmission", "doors", "engine_hp", "gvwr",
                      "electrification", "fuel_type_secondary", "plant_state", "region",
                      "country", "engine_configuration", "note"):
            self.assertIn(field, d)
        text = self.o.ok("vin", "decode", F150, env=self.env, db=False)
        self.assertIn("model:        F-150", text)
        self.assertIn("source:       the vPIC database on this device", text)

    def test_a_decode_is_cached_and_an_invalid_vin_is_refused_with_nothing_stored(self):
        self.o.ok("init")
        self.o.json("vin", "decode", VIN, env=self.env)
        self.assertEqual(self.o.json("vin", "decode", VIN, env=self.env)["decoded"]["cached"],
                         True)
        before = self.o.snapshot()
        p = self.o.fails(2, "--json", "vin", "decode", "1HGCM82633AO04352", env=self.env)
        self.assertIn("letter O", json.loads(p.stdout)["message"])
        self.o.fails(2, "vin", "decode", "ABC", env=self.env, says="17 characters")
        self.assertEqual(self.o.snapshot(), before)

    def test_registering_by_vin_fills_what_was_not_given(self):
        v = self.o.json("vehicle", "add", "--vin", F150, "--model", "F-150 Lariat",
                        env=self.env)
        self.assertEqual((v["name"], v["make"], v["model"], v["model_year"]),
                         ("2024 Ford F-150 Lariat", "Ford", "F-150 Lariat", 2024))
        self.assertEqual((v["trim"], v["body_class"], v["fuel_type"]),
                         ("Lariat", "Pickup", "Gasoline"))
        self.assertEqual(v["engine"], "3.5 L, 6 cyl V-Shaped, GTDI")
        shown = self.o.ok("vehicle", "show", F150)
        self.assertIn("engine:    3.5 L, 6 cyl V-Shaped, GTDI", shown)
        v = self.o.json("vehicle", "add", "--vin", VIN, "--no-decode", env=self.env)
        self.assertEqual((v["make"], v["body_class"], v["name"]), (None, None, VIN))
        self.assertEqual(v["model_year"], 2022)  # the VIN's own year code

    def test_vin_db_status_and_a_bad_file_refused_by_install(self):
        st = self.o.json("vin", "db", "status", env=self.env, db=False)
        self.assertEqual((st["installed"], st["path"]), (True, VPIC))
        self.assertTrue(st["installed_at"])
        missing = {"ODOLOG_VPIC": os.path.join(self.dir, "none.db")}
        self.o.fails(3, "vin", "db", "status", env=missing, db=False)
        junk = os.path.join(self.dir, "junk.db.gz")
        with open(junk, "wb") as f:
            f.write(b"\x1f\x8b not really gzip")
        target = os.path.join(self.dir, "vpic.db")
        self.o.fails(2, "vin", "db", "install", junk, "--to", target, says="damaged")
        self.assertFalse(os.path.exists(target))
        self.assertFalse(os.path.exists(target + ".installing"))
        # Without a database the decode falls back to the VIN alone and says so.
        got = self.o.json("vin", "decode", F150, env=missing, db=False)
        self.assertEqual((got["decoded"]["source"], got["decoded"]["make"]), ("vin", None))
        self.assertIn("vin db install", got["decoded"]["note"])


if __name__ == "__main__":
    unittest.main()
