"""odolog import and export, driven as a user drives them: the real binary, real database files,
and the sample exports of tests/data (whose README says where each layout comes from).

Two logbooks recur in the samples: the US one (seven fills, a partial and a missed one, 34.78 mpg
over the five that count) and the metric one (seven fills, 6.39 L/100km). Each format is checked
against the same answer, so that a format whose mapping is wrong shows as a wrong average.
"""
import json
import os
import pty
import random
import subprocess
import unittest

from cli_harness import CRV, F150, ODOLOG, Odolog, odolog_env, scratch_dir

DATA = os.environ.get("ODO_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
ALTIMA = "1N4AL2AP9CC248968"  # the aCar sample's vehicle, a valid VIN


def sample(name):
    return os.path.join(DATA, name)


class ImportTest(unittest.TestCase):
    def setUp(self):
        self.dir = scratch_dir(self, "odolog-import-")
        self.o = Odolog(self.dir)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", newline="") as f:
            f.write(text)
        return path

    def fills(self, vehicle=None):
        return self.o.json("fuel", "list", *(["--vehicle", vehicle] if vehicle else []))

    def stats(self, vehicle=None):
        every = self.o.json("stats")
        return every[0] if vehicle is None else next(s for s in every if s["vehicle"] == vehicle)

    def flags(self, vehicle=None):
        """(full, missed) of each fill, oldest first."""
        return [(f["full"], f["missed"]) for f in self.fills(vehicle)]

    US_FLAGS = [(True, False), (True, False), (False, False), (True, False), (True, False),
                (True, True), (True, False)]

    # ---- each format ----------------------------------------------------------------------

    def test_a_fuelly_us_export_gives_34_78_mpg_with_its_partial_and_missed_fills(self):
        self.o.ok("init", "--units", "us")
        rep = self.o.json("import", "--create-vehicles", sample("fuelly_export_sample_us.csv"))
        self.assertEqual((rep["format"], rep["added"]["fuel"], rep["added"]["vehicles"]),
                         ("fuelly", 7, 1))
        s = self.stats()
        self.assertEqual((s["vehicle"], s["economy"], s["counted_fills"]), ("Civic", "34.78", 5))
        self.assertEqual(self.flags(), self.US_FLAGS)
        # Fuelly gives a price: the total is volume x price, to the cent.
        self.assertEqual([f["total_cost"] for f in self.fills()][:2], ["30.37", "31.87"])

    def test_a_fuelly_metric_export_gives_6_39_l_per_100km_in_a_kilometre_vehicle(self):
        self.o.ok("init", "--units", "us")  # the file's units, not the user's, make the vehicle
        self.o.ok("import", "--create-vehicles", sample("fuelly_export_sample_metric.csv"))
        self.assertEqual(self.o.json("vehicle", "list")[0]["odometer_unit"], "km")
        self.o.ok("init", "--units", "metric")
        s = self.stats()
        self.assertEqual((s["economy"], s["counted_fills"], s["fills"]), ("6.39", 5, 7))
        self.assertEqual(self.flags(), self.US_FLAGS)

    def test_an_acar_export_brings_two_vehicles_their_units_money_signs_and_a_service(self):
        self.o.ok("init", "--units", "us")
        rep = self.o.json("import", "--create-vehicles", sample("acar_export_sample.csv"))
        self.assertEqual((rep["format"], rep["added"]["fuel"], rep["added"]["services"],
                          rep["added"]["vehicles"]), ("acar", 10, 1, 2))
        cars = {v["name"]: v for v in self.o.json("vehicle", "list")}
        self.assertEqual((cars["Altima"]["vin"], cars["Altima"]["odometer_unit"],
                          cars["Altima"]["model_year"]), (ALTIMA, "mi", 2012))
        self.assertEqual(cars["Clio"]["odometer_unit"], "km")
        altima = self.stats("Altima")
        self.assertEqual((altima["economy"], altima["currency"], altima["cost"]),
                         ("34.78", "USD", "207.85"))
        self.assertEqual(self.flags("Altima"), self.US_FLAGS)
        # "106,421"-style odometers and "$3.969" prices; the Clio's are in euros.
        first = self.fills("Altima")[0]
        self.assertEqual((first["odometer"], first["unit_price"]), ("41000.0", "3.099"))
        self.assertEqual({f["currency"] for f in self.fills("Clio")}, {"EUR"})
        # Only the event of type Service is a service record (the parking expense is not).
        work = self.o.json("service", "list", "--vehicle", "Altima")
        self.assertEqual([(w["description"], w["cost"], w["odometer"], w["shop"]) for w in work],
                         [("Engine Oil, Oil Filter", "22.00", "42400.0", "Home")])

    def test_a_lubelogger_fuel_export_in_the_users_units_gives_34_78_mpg(self):
        self.o.ok("init", "--units", "us")
        self.o.ok("vehicle", "add", "--vin", CRV, "--name", "Civic", "--no-decode")
        rep = self.o.json("import", "--vehicle", "Civic", sample("lubelogger_fuel_sample.csv"))
        self.assertEqual((rep["format"], rep["added"]["fuel"]), ("lubelogger", 7))
        self.assertEqual(self.stats()["economy"], "34.78")
        self.assertEqual(self.flags(), self.US_FLAGS)

    def test_lubelogger_import_aliases_are_read_and_a_missing_total_is_volume_times_price(self):
        self.o.ok("init", "--units", "us")
        self.o.ok("import", "--create-vehicles", sample("lubelogger_aliases_sample.csv"))
        fills = self.fills()
        self.assertEqual([f["total_cost"] for f in fills],
                         ["30.37", "31.87", "12.76", "36.38", "31.55", "32.95", "31.97"])
        self.assertEqual(fills[0]["volume_unit"], "gal_us")  # the header says gallons
        self.assertEqual(self.stats()["economy"], "34.78")
        self.assertEqual(self.flags(), self.US_FLAGS)

    def test_lubelogger_service_records_become_service_records(self):
        self.o.ok("init", "--units", "us")
        self.o.ok("vehicle", "add", "--name", "Civic")
        rep = self.o.json("import", sample("lubelogger_service_sample.csv"))
        self.assertEqual((rep["added"]["services"], rep["added"]["fuel"]), (3, 0))
        work = self.o.json("service", "list")
        self.assertEqual([(w["performed_at"][:10], w["description"], w["cost"]) for w in work],
                         [("2024-03-01", "Brake pads, front", "180.50"),
                          ("2024-02-20", "Tire rotation", "25.00"),
                          ("2024-01-15", "Oil change", "49.99")])

    def test_a_spritmonitor_export_reads_semicolons_decimal_commas_and_its_fill_types(self):
        self.o.ok("init", "--units", "metric")
        self.o.ok("vehicle", "add", "--name", "Golf")
        rep = self.o.json("import", sample("spritmonitor_fuelings_sample.csv"))
        self.assertEqual((rep["format"], rep["added"]["fuel"]), ("spritmonitor", 7))
        s = self.stats()
        self.assertEqual((s["economy"], s["counted_fills"], s["cost"]), ("6.39", 5, "430.99"))
        # Type 3 (the first fill) and 0 (an invalid one: a fill was missed) start the chain
        # afresh; 2 is a partial fill.
        self.assertEqual(self.flags(), [(True, True), (True, False), (False, False),
                                        (True, False), (True, False), (True, True), (True, False)])
        self.assertEqual(self.fills()[3]["notes"], "Autobahn; Stau")  # a backslash escape
        costs = self.o.json("import", sample("spritmonitor_costs_sample.csv"))
        self.assertEqual(costs["added"]["services"], 2)  # not insurance, not the toll
        self.assertEqual(sorted(w["description"] for w in self.o.json("service", "list")),
                         ["HU/AU (Inspection)", "Ölwechsel (Change oil)"])

    def test_a_drivvo_export_reads_its_sections_and_gives_its_vehicle_the_fills(self):
        self.o.ok("init", "--units", "metric")
        rep = self.o.json("import", "--create-vehicles", sample("drivvo_sample.csv"))
        self.assertEqual((rep["format"], rep["added"]["fuel"], rep["added"]["services"],
                          rep["added"]["vehicles"]), ("drivvo", 5, 1, 1))
        car = self.o.json("vehicle", "list")[0]
        self.assertEqual((car["name"], car["plate"], car["model_year"]), ("Golf", "M-AB 1234", 2019))
        self.assertEqual(self.flags()[2], (False, False))  # "No" full tank
        self.assertEqual(self.stats()["economy"], "6.33")  # 127.3 L over 2010 km
        work = self.o.json("service", "list")[0]
        self.assertEqual((work["description"], work["shop"]), ("Oil change", "Autohaus Meier"))

    def test_a_drivvo_export_with_russian_headers_is_read_by_column_position(self):
        self.o.ok("init", "--units", "metric")
        self.o.ok("vehicle", "add", "--name", "Lada")
        self.o.ok("import", sample("drivvo_sample_ru.csv"))
        fills = self.fills()
        self.assertEqual([(f["odometer"], f["volume"], f["total_cost"], f["full"]) for f in fills],
                         [("12000.0", "40.000", "71.56", True), ("12580.0", "38.500", "67.72", True),
                          ("12960.0", "15.200", "27.50", False)])

    def test_a_gasbuddy_export_reads_utc_times_yes_no_fillups_and_its_economy_words(self):
        self.o.ok("init", "--units", "us")
        self.o.ok("import", "--create-vehicles", sample("gasbuddy_sample.csv"))
        self.assertEqual(self.o.json("vehicle", "list")[0]["odometer_unit"], "mi")  # "MPG"
        # missingPrevious marks the fill after one that was not logged.
        self.assertEqual(self.flags(), [(True, True)] + self.US_FLAGS[1:])
        self.assertEqual(self.stats()["economy"], "34.78")
        # 13:15 UTC is 08:15 in New York.
        p = self.o.run("--json", "fuel", "list", env={"TZ": "America/New_York"})
        self.assertEqual(json.loads(p.stdout)[0]["filled_at"], "2024-01-02T13:15:00.000Z")
        self.assertIn("2024-01-02 08:15", self.o.ok("fuel", "list", env={"TZ": "America/New_York"}))

    def test_odologs_own_csv_and_json_samples_come_back_byte_for_byte(self):
        for ext, fmt in (("csv", "csv"), ("json", "json")):
            o = Odolog(scratch_dir(self, "odolog-own-"))
            o.ok("init", "--units", "us")
            o.ok("import", "--create-vehicles", sample(f"odolog_export_sample.{ext}"))
            with open(sample(f"odolog_export_sample.{ext}"), newline="") as f:
                self.assertEqual(o.ok("export", "--format", fmt), f.read(), ext)

    def test_an_unknown_layout_is_refused_naming_the_formats_and_format_forces_one(self):
        path = self.write("mystery.csv", "when,km,litres\n2024-01-02,1000,40\n")
        self.o.ok("vehicle", "add", "--name", "Golf")
        self.o.fails(2, "import", path, says="--format")
        path = self.write("fuelly.csv", "fuelup_date,odometer,litres,price\n"
                                        "2024-01-02,1000,40,1.8\n")
        rep = self.o.json("import", "--format", "lubelogger", path)
        self.assertEqual((rep["format"], rep["added"]["fuel"]), ("lubelogger", 1))

    # ---- dates ----------------------------------------------------------------------------

    def test_a_file_whose_every_date_reads_both_ways_stops_and_asks_for_date_format(self):
        self.o.ok("vehicle", "add", "--name", "Golf")
        path = self.write("ambiguous.csv", "Date,Odometer,FuelConsumed,Cost\n"
                                           "02/03/2024,1000,40,72\n"
                                           "05/04/2024,1500,38,68\n")
        before = self.o.snapshot()
        p = self.o.fails(2, "import", path, says="--date-format")
        self.assertIn("line 2", p.stderr)
        self.assertEqual(self.o.snapshot(), before)
        self.o.ok("import", "--date-format", "dmy", path)
        self.assertEqual([f["filled_at"][:10] for f in self.fills()], ["2024-03-02", "2024-04-05"])

    def test_one_date_that_can_only_be_day_first_settles_the_whole_file(self):
        self.o.ok("vehicle", "add", "--name", "Golf")
        path = self.write("dmy.csv", "Date,Odometer,FuelConsumed,Cost\n"
                                     "02/03/2024,1000,40,72\n"
                                     "25/03/2024,1500,38,68\n")
        self.o.ok("import", path)
        self.assertEqual([f["filled_at"][:10] for f in self.fills()], ["2024-03-02", "2024-03-25"])

    def test_dates_that_disagree_within_a_file_are_refused_naming_both_lines(self):
        self.o.ok("vehicle", "add", "--name", "Golf")
        path = self.write("mixed.csv", "Date,Odometer,FuelConsumed,Cost\n"
                                       "13/03/2024,1000,40,72\n"
                                       "03/25/2024,1500,38,68\n")
        p = self.o.fails(2, "import", path, says="disagree")
        self.assertIn("line 2", p.stderr)
        self.assertIn("line 3", p.stderr)

    # ---- vehicles -------------------------------------------------------------------------

    def fleet_file(self):
        return self.write("fleet.csv",
                          "record,vehicle,vin,date,odometer,odometer_unit,volume,volume_unit\n"
                          f"fuel,Truck,{F150},2024-01-02T08:00:00.000Z,1000,mi,20,gal_us\n"
                          f"fuel,Any name,{CRV},2024-01-03T08:00:00.000Z,5000,km,40,L\n"
                          "fuel,Truck,,2024-01-09T08:00:00.000Z,1300,mi,18,gal_us\n")

    def test_rows_go_to_vehicles_by_vin_then_by_name(self):
        self.o.ok("vehicle", "add", "--vin", F150, "--name", "Truck", "--unit", "mi",
                  "--no-decode")
        self.o.ok("vehicle", "add", "--vin", CRV, "--name", "Honda", "--no-decode")
        rep = self.o.json("import", self.fleet_file())
        self.assertEqual((rep["added"]["fuel"], rep["vehicles_matched"]), (3, 2))
        self.assertEqual(len(self.fills("Truck")), 2)
        self.assertEqual(len(self.fills("Honda")), 1)  # its VIN, whatever the file calls it

    def test_a_vehicle_not_in_the_logbook_is_a_bad_row_unless_create_vehicles(self):
        self.o.ok("vehicle", "add", "--vin", F150, "--name", "Truck", "--unit", "mi",
                  "--no-decode")
        before = self.o.snapshot()
        p = self.o.fails(2, "import", self.fleet_file(), says="--create-vehicles")
        self.assertIn("line 3", p.stderr)
        self.assertEqual(self.o.snapshot(), before)
        rep = self.o.json("import", "--create-vehicles", self.fleet_file())
        self.assertEqual((rep["added"]["fuel"], rep["added"]["vehicles"]), (3, 1))
        self.assertEqual(self.o.json("vehicle", "show", CRV)["name"], "Any name")

    def test_vehicle_puts_every_row_on_one_vehicle(self):
        self.o.ok("vehicle", "add", "--name", "Civic", "--unit", "mi")
        self.o.ok("vehicle", "add", "--name", "Other")
        rep = self.o.json("import", "--vehicle", "Civic", sample("fuelly_export_sample_metric.csv"))
        self.assertEqual((rep["added"]["fuel"], rep["added"]["vehicles"]), (7, 0))
        self.assertEqual(len(self.fills("Civic")), 7)
        self.assertEqual(self.fills("Other"), [])

    def test_odometer_values_are_converted_to_the_vehicles_unit_and_volumes_keep_theirs(self):
        self.o.ok("init", "--units", "metric")
        self.o.ok("vehicle", "add", "--name", "Civic", "--unit", "km")
        rep = self.o.json("import", "--vehicle", "Civic", sample("fuelly_export_sample_us.csv"))
        self.assertEqual(rep["converted"], 7)
        fills = self.fills()
        self.assertEqual((fills[0]["odometer"], fills[0]["volume"], fills[0]["volume_unit"]),
                         ("65983.1", "9.800", "gal_us"))  # 41000 mi
        self.assertEqual(self.stats()["economy"], "6.76")  # 34.78 mpg

    # ---- rows -----------------------------------------------------------------------------

    def test_every_bad_row_is_reported_with_its_line_and_nothing_is_stored(self):
        self.o.ok("vehicle", "add", "--name", "Golf")
        path = self.write("bad.csv", "Date,Odometer,FuelConsumed,Cost\n"
                                     "2024-01-02,1000,40,72\n"
                                     "2024-01-09,1x00,38,68\n"
                                     "2024-01-16,1800,35,63\n"
                                     "2024-13-40,2200,36,64\n"
                                     "2024-01-30,1700,36,64\n")
        before = self.o.snapshot()
        p = self.o.fails(2, "import", path, says="nothing was imported")
        lines = [ln for ln in p.stderr.splitlines() if ": line " in ln]
        self.assertEqual(len(lines), 3, p.stderr)
        self.assertIn("line 3: the odometer '1x00' is not a number", p.stderr)
        self.assertIn("line 5: ", p.stderr)  # no 13th month
        self.assertIn("line 6: odometer 1700", p.stderr)  # below line 4's 1800
        self.assertEqual(self.o.snapshot(), before)
        # Under --json the bad rows are data.
        p = self.o.run("--json", "import", path)
        self.assertEqual(p.returncode, 2)
        rep = json.loads(p.stdout)
        self.assertEqual(([x["line"] for x in rep["problems"]], rep["stored"]),
                         ([3, 5, 6], False))
        self.assertEqual(json.loads(p.stderr)["error"]["exit"], 2)

    def test_skip_bad_stores_the_good_rows_and_still_lists_the_bad(self):
        self.o.ok("vehicle", "add", "--name", "Golf")
        path = self.write("bad.csv", "Date,Odometer,FuelConsumed,Cost\n"
                                     "2024-01-02,1000,40,72\n"
                                     "2024-01-09,,,68\n"
                                     "2024-01-16,1800,35,63\n")
        p = self.o.run("import", "--skip-bad", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("line 3:", p.stderr)
        self.assertIn("1 bad row skipped", p.stdout)
        self.assertEqual(len(self.fills()), 2)

    def test_dry_run_says_what_would_be_added_and_stores_nothing(self):
        self.o.ok("init")
        before = self.o.snapshot()
        out = self.o.ok("import", "--dry-run", "--create-vehicles",
                        sample("fuelly_export_sample_us.csv"))
        self.assertIn("would import from fuelly: 7 fill-ups", out)
        self.assertIn("1 vehicle to add", out)
        self.assertEqual(self.o.snapshot(), before)

    def test_importing_the_same_file_twice_adds_nothing_the_second_time(self):
        self.o.ok("import", "--create-vehicles", sample("acar_export_sample.csv"))
        first = self.o.snapshot()
        rep = self.o.json("import", "--create-vehicles", sample("acar_export_sample.csv"))
        self.assertEqual(rep["added"], {"fuel": 0, "readings": 0, "services": 0,
                                        "maintenance": 0, "renewals": 0, "vehicles": 0})
        self.assertEqual(rep["duplicates"], 11)
        self.assertEqual(self.o.snapshot(), first)

    def test_imported_rows_reach_the_outbox_like_any_other(self):
        self.o.ok("import", "--create-vehicles", sample("acar_export_sample.csv"))
        waiting = dict(self.o.query("SELECT tbl, count(*) FROM outbox GROUP BY tbl"))
        self.assertEqual((waiting["vehicles"], waiting["fuel_logs"], waiting["service_records"]),
                         (2, 10, 1))
        self.assertEqual(self.o.json("sync", "status")["outbox"], 13)

    def test_distance_only_rows_become_odometer_readings_and_trips_place_fills(self):
        self.o.ok("init", "--units", "us")
        self.o.ok("vehicle", "add", "--name", "Civic", "--unit", "mi")
        # LubeLogger's odometer records: no fuel, an odometer.
        path = self.write("odo.csv", "Date,Odometer,Notes\n"
                                     "1/5/2024,41100,oil check\n"
                                     "1/25/2024,41800,\n")
        rep = self.o.json("import", path)
        self.assertEqual((rep["added"]["readings"], rep["added"]["fuel"]), (2, 0))
        # A Fuelly row with no odometer is placed by the distance since the fill before it.
        path = self.write("trip.csv", "car_name,model,mpg,odometer,miles,gallons,price,fuelup_date\n"
                                      "Civic,Honda,0,42000,0,10,3.10,02/01/2024 8:00\n"
                                      "Civic,Honda,30,0,300,10,3.10,02/15/2024 8:00\n")
        self.o.ok("import", path)
        self.assertEqual([f["odometer"] for f in self.fills()], ["42000.0", "42300.0"])

    def test_an_implausible_jump_in_a_file_is_a_bad_row_unless_confirmed(self):
        self.o.ok("vehicle", "add", "--name", "Golf")
        path = self.write("typo.csv", "Date,Odometer,FuelConsumed,Cost\n"
                                      "2024-01-02,50000,40,72\n"
                                      "2024-01-09,505000,38,68\n")
        self.o.fails(2, "import", path, says="line 3")
        self.o.ok("import", "--confirm-distance", path)
        self.assertEqual(len(self.fills()), 2)

    def test_a_progress_bar_is_drawn_on_a_terminal_and_not_in_a_pipe(self):
        self.o.ok("vehicle", "add", "--name", "Golf")
        rows = "".join(f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z,{1000 + i},1,2\n"
                       for i in range(3000))
        path = self.write("long.csv", "Date,Odometer,FuelConsumed,Cost\n" + rows)
        p = self.o.run("import", "--dry-run", path)
        self.assertNotIn("importing [", p.stderr)
        master, slave = pty.openpty()
        seen = b""
        try:
            q = subprocess.Popen([ODOLOG, "--db", self.o.db, "import", "--dry-run", path],
                                 stdout=subprocess.DEVNULL, stderr=slave, env=odolog_env())
            os.close(slave)
            while True:  # read as it comes, so that the terminal never fills up
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the last writer closed it
                    break
                if not chunk:
                    break
                seen += chunk
            self.assertEqual(q.wait(timeout=120), 0, seen)
        finally:
            os.close(master)
        self.assertIn(b"importing [", seen)
        self.assertIn(b"100%", seen)


class ExportTest(unittest.TestCase):
    def setUp(self):
        self.dir = scratch_dir(self, "odolog-export-")
        self.o = Odolog(self.dir)

    def test_export_writes_one_vehicle_or_all(self):
        self.o.ok("import", "--create-vehicles", sample("acar_export_sample.csv"))
        every = self.o.ok("export")
        clio = self.o.ok("export", "--vehicle", "Clio")
        self.assertIn("Altima", every)
        self.assertNotIn("Altima", clio)
        self.assertEqual(clio.count("\nfuel,Clio"), 3)

    def test_out_replaces_the_file_whole_and_a_failed_export_leaves_no_trace(self):
        self.o.ok("import", "--create-vehicles", sample("acar_export_sample.csv"))
        out = os.path.join(self.dir, "export.json")
        with open(out, "w") as f:
            f.write("an older export\n")
        self.o.ok("export", "--format", "json", "--out", out)
        with open(out) as f:
            self.assertEqual(f.read(), self.o.ok("export", "--format", "json"))
        mask = os.umask(0)
        os.umask(mask)
        self.assertEqual(os.stat(out).st_mode & 0o777, 0o666 & ~mask)  # not mkstemp's 0600
        self.assertEqual(sorted(os.listdir(self.dir)), ["export.json", "odolog.db"])
        self.o.fails(6, "export", "--out", os.path.join(self.dir, "no", "such", "dir.csv"))
        self.o.fails(1, "export", "--format", "lubelogger", says="one vehicle")
        self.assertEqual(sorted(os.listdir(self.dir)), ["export.json", "odolog.db"])

    def test_a_lubelogger_export_imports_back_with_the_same_economy(self):
        self.o.ok("init", "--units", "us")
        self.o.ok("import", "--create-vehicles", sample("fuelly_export_sample_us.csv"))
        path = os.path.join(self.dir, "lube.csv")
        self.o.ok("export", "--format", "lubelogger", "--vehicle", "Civic", "--out", path)
        with open(path) as f:
            self.assertTrue(f.readline().startswith("Date,Odometer,FuelConsumed,Cost"))
        other = Odolog(scratch_dir(self, "odolog-lube-"))
        other.ok("init", "--units", "us")
        other.ok("vehicle", "add", "--name", "Civic", "--unit", "mi")
        other.ok("import", path)
        self.assertEqual(other.json("stats")[0]["economy"], "34.78")
        self.assertEqual([(f["full"], f["missed"]) for f in other.json("fuel", "list")],
                         ImportTest.US_FLAGS)


# ---- import(export(x)) == x ------------------------------------------------------------------

TEXT = ["Shell", "Aral, Süd", 'the "good" one', "日本語のメモ", "🚗 trip", "  spaced  "]
NAMES = TEXT[:-1]
VINS = [CRV, F150, ALTIMA]


class RoundTripTest(unittest.TestCase):
    """Random logbooks, built through odolog's own commands, exported and imported into an empty
    database: the second logbook holds the same records, field for field, and exports to the
    same bytes."""

    def build(self, o, rnd):
        units = rnd.choice(["metric", "us", "uk"])
        o.ok("init", "--units", units)
        day = 0
        for n in range(rnd.randint(1, 3)):
            args = ["vehicle", "add", "--name", f"car {n} {rnd.choice(NAMES)}",
                    "--unit", rnd.choice(["km", "mi"]), "--no-decode"]
            if n < len(VINS) and rnd.random() < 0.6:
                args += ["--vin", VINS[n]]
            for opt in ("--make", "--model", "--trim", "--engine"):
                if rnd.random() < 0.5:
                    args += [opt, rnd.choice(NAMES)]
            if rnd.random() < 0.5:
                args += ["--plate", rnd.choice(["B-AB 123", "京A·12345", "F96 2HK"])]
            if rnd.random() < 0.5:
                args += ["--notes", rnd.choice(TEXT)]
            if rnd.random() < 0.5:
                args += ["--year", str(rnd.randint(1990, 2025))]
            car = o.json(*args)["id"]
            odo = rnd.randint(0, 90000)
            items = []
            for i in range(rnd.randint(2, 12)):
                day += rnd.randint(1, 20)
                odo += rnd.randint(150, 700) + rnd.randint(0, 9) / 10
                when = f"2023-01-01 {rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}"
                date = self.day(day, when)
                kind = rnd.random()
                if kind < 0.65:
                    args = ["fuel", "add", "--vehicle", car, "--odometer", f"{odo:.1f}",
                            "--volume", f"{rnd.uniform(5, 60):.3f}", "--date", date,
                            "--unit", rnd.choice(["L", "gal_us", "gal_imp"])]
                    money = rnd.random()
                    if money < 0.4:
                        args += ["--price", f"{rnd.uniform(0.8, 4):.3f}"]
                    elif money < 0.8:
                        args += ["--total", f"{rnd.uniform(10, 150):.2f}"]
                    if money < 0.8 and rnd.random() < 0.3:
                        args += ["--currency", rnd.choice(["EUR", "USD", "GBP", "JPY"])]
                    if rnd.random() < 0.2:
                        args.append("--partial")
                    if rnd.random() < 0.1:
                        args.append("--missed")
                    for opt in ("--station", "--notes"):
                        if rnd.random() < 0.4:
                            args += [opt, rnd.choice(TEXT)]
                    o.ok(*args)
                elif kind < 0.8:
                    args = ["odo", "add", "--vehicle", car, "--odometer", f"{odo:.1f}",
                            "--date", date]
                    if rnd.random() < 0.5:
                        args += ["--notes", rnd.choice(TEXT)]
                    o.ok(*args)
                elif kind < 0.9:
                    args = ["service", "add", "--vehicle", car, "--description",
                            rnd.choice(NAMES), "--date", date]
                    if rnd.random() < 0.7:
                        args += ["--odometer", f"{odo:.1f}"]
                    if rnd.random() < 0.7:
                        args += ["--cost", f"{rnd.uniform(10, 900):.2f}"]
                    if rnd.random() < 0.5:
                        args += ["--shop", rnd.choice(TEXT)]
                    o.ok(*args)
                else:
                    t = f"item_{len(items)}"
                    o.ok("maint", "add", "--vehicle", car, "--type", t,
                         "--every-months", str(rnd.randint(1, 24)),
                         "--every-distance", str(rnd.randint(1, 30) * 1000),
                         "--last-date", date[:10], "--last-odometer", f"{odo - 100:.1f}")
                    items.append(t)
                    if rnd.random() < 0.6:
                        o.ok("maint", "done", t, "--vehicle", car, "--date", date,
                             "--odometer", f"{odo:.1f}", "--cost", f"{rnd.uniform(20, 300):.2f}")
            if rnd.random() < 0.6:
                args = ["renewal", "add", "--vehicle", car,
                        "--kind", rnd.choice(["insurance", "registration", "emissions"]),
                        "--from", "2023-01-01", "--until", "2023-12-31"]
                if rnd.random() < 0.5:
                    args += ["--cost", f"{rnd.uniform(50, 900):.2f}", "--number", "DOC-7",
                             "--issuer", rnd.choice(TEXT)]
                o.ok(*args)
            if rnd.random() < 0.3:
                fills = o.json("fuel", "list", "--vehicle", car)
                o.ok("fuel", "rm", rnd.choice(fills)["id"])  # what is deleted is not exported

    @staticmethod
    def day(n, when):
        import datetime
        d = datetime.date(2023, 1, 1) + datetime.timedelta(days=n)
        return f"{d.isoformat()} {when[11:]}"

    LOCAL = {"id", "user_id", "rev", "created_at", "updated_at", "deleted_at", "vehicle_id",
             "maintenance_id", "station_id"}

    def records(self, o):
        """Every live record, keyed by what it is rather than by its id."""
        out = {}
        cars = {i: (r["name"], r["vin"]) for i, r in o.rows("vehicles").items()}
        items = {i: r["type"] for i, r in o.rows("maintenance").items()}
        for table in ("vehicles", "fuel_logs", "odometer_readings", "maintenance",
                      "service_records", "renewals"):
            rows = []
            for r in o.rows(table, "deleted_at IS NULL").values():
                key = {k: v for k, v in r.items() if k not in self.LOCAL}
                if "vehicle_id" in r:
                    key["vehicle"] = cars[r["vehicle_id"]]
                if r.get("maintenance_id"):
                    key["maintenance"] = items[r["maintenance_id"]]
                rows.append(json.dumps(key, sort_keys=True, ensure_ascii=False))
            out[table] = sorted(rows)
        return out

    def test_import_of_export_gives_back_random_logbooks_exactly(self):
        for seed in range(4):
            rnd = random.Random(seed)
            x = Odolog(scratch_dir(self, "odolog-x-"))
            self.build(x, rnd)
            for fmt in ("csv", "json"):
                with self.subTest(seed=seed, format=fmt):
                    exported = x.ok("export", "--format", fmt)
                    path = os.path.join(x.dir, f"export.{fmt}")
                    with open(path, "w", newline="") as f:
                        f.write(exported)
                    y = Odolog(scratch_dir(self, "odolog-y-"))
                    y.ok("init", "--units", rnd.choice(["metric", "us", "uk"]))
                    y.ok("import", "--create-vehicles", path)
                    self.assertEqual(self.records(y), self.records(x))
                    self.assertEqual(y.ok("export", "--format", fmt), exported)


if __name__ == "__main__":
    unittest.main()
