"""Collisions end to end (docs/protocol.md, "Collisions: a rule per constraint"): devices of one
user that were offline at the same time create or edit rows that meet on a unique key, a
derived value or a vanished parent. Real devices (the odolog binary on real SQLite files), the
real gateway, a real PostgreSQL, coaps and HTTPS. After each story every device holds the same
rows as the others and as PostgreSQL, nothing is wedged (syncs exit 0, outboxes empty), SQLite's
own checks find nothing wrong, and what one device lost is in its conflicts list.
"""
import hashlib
import os
import subprocess
import time
import unittest
import uuid

from harness import (GATEWAY, ROOT, SYNCED_TABLES, VIN, GatewayTest, conflicts, fresh_user, raw_push,
                     store_problems)

OTHER_VIN = "1FTFW5L86RFB45612"


class CollisionTest(GatewayTest):
    device_name = "collide"

    def pair(self, prefix):
        """Two devices of a fresh user, one on each transport."""
        user = fresh_user(prefix)
        return user, self.device(user, "coaps", "a"), self.device(user, "https", "b")

    def settle(self, *devices):
        """Syncs each device twice, in order: every change reaches everyone."""
        for _ in range(2):
            for d in devices:
                d.sync()

    def assert_converged(self, user, *devices, where="1=1"):
        """Every device holds the same rows (those matching where), PostgreSQL holds them too,
        no outbox is waiting, no sync failed, and SQLite's checks are clean."""
        first = devices[0]
        for d in devices:
            for t in SYNCED_TABLES:
                self.assertEqual(d.rows(t, where), first.rows(t, where),
                                 f"{t} differs between devices")
            self.assertEqual(d.scalar("SELECT count(*) FROM outbox"), 0, "an outbox is stuck")
            self.assertEqual(d.json("sync", "status")["last_error"], None)
            self.assertEqual(store_problems(d), [])
        for t in SYNCED_TABLES:
            central = {r[0] for r in self.pg.sql(
                f"SELECT id FROM {t} WHERE user_id = '{user}' AND {where}")}
            self.assertEqual(central, set(first.rows(t, where)), f"{t} differs from PostgreSQL")

    def live(self, device, table, where="1=1"):
        return device.rows(table, f"deleted_at IS NULL AND {where}")

    # ---- case 1: one maintenance type added on two devices ----------------------------------

    def test_one_maintenance_type_added_on_two_offline_devices_becomes_one_item_with_both_histories(
            self):
        stories = {
            "vehicle synced first, A pushes first": (True, ["a", "b", "a"]),
            "vehicle synced first, B pulls before it pushes": (True, ["a", "b-pull", "b", "a"]),
            "the same VIN registered on both, A first": (False, ["a", "b", "a"]),
            "the same VIN registered on both, B pulls first": (False, ["a", "b-pull", "b", "a"]),
        }
        for story, (vehicle_first, order) in stories.items():
            with self.subTest(story):
                user, a, b = self.pair("maint")
                if vehicle_first:
                    a.ok("vehicle", "add", "--vin", VIN, "--name", "Van")
                    self.settle(a, b)
                else:
                    for d in (a, b):
                        d.ok("vehicle", "add", "--vin", VIN, "--name", "Van")
                for d, when, odo in ((a, "2024-03-01", "1000"), (b, "2024-04-01", "2000")):
                    d.ok("maint", "add", "--type", "oil_change", "--category", "fluids",
                         "--every-months", "12", "--last-date", "2023-12-01")
                    d.ok("maint", "done", "oil_change", "--date", when, "--odometer", odo)
                for step in order:
                    dev = a if step[0] == "a" else b
                    dev.sync("--pull-only") if step.endswith("-pull") else dev.sync()
                self.settle(a, b)
                self.assert_converged(user, a, b)
                items = self.live(a, "maintenance")
                self.assertEqual(len(items), 1, "one item of the type, not two")
                item = next(iter(items))
                records = self.live(a, "service_records")
                self.assertEqual(len(records), 2, "both histories are kept")
                self.assertEqual({r["maintenance_id"] for r in records.values()}, {item})
                self.assertEqual(self.pg.scalar(
                    f"SELECT count(*) FROM service_records WHERE user_id = '{user}' AND "
                    f"maintenance_id = '{item}'"), "2")
                # The item B made is one with A's now; what B's held is on B's list.
                self.assertIn("merged with the same item from another device",
                              [c["reason"] for c in conflicts(b) if c["table"] == "maintenance"])
        # An item that aliases point at is kept by the purge while it has them; the purge runs.
        a.ok("maint", "rm", "oil_change")
        a.sync()
        self.assertIn("purged", self.gw.cmd("purge", "--older-than", "0").stdout)

    def test_the_central_migration_merges_maintenance_items_registered_twice_before_it(self):
        db = f"legacy_{uuid.uuid4().hex[:8]}"
        self.pg.sql(f"CREATE DATABASE {db}")
        conninfo = self.pg.conninfo.replace("dbname=odolog", f"dbname={db}")

        def psql(*args):
            out = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", conninfo, *args],
                                 capture_output=True, text=True, timeout=120)
            self.assertEqual(out.returncode, 0, out.stderr)
            return out.stdout.strip()

        # A database migrated by a gateway from before 004, holding one type twice on a vehicle.
        psql("-c", "CREATE TABLE _migrations (name text PRIMARY KEY, checksum text NOT NULL, "
                   "applied_at timestamptz NOT NULL)")
        for name in ("001_init.sql", "002_origin.sql", "003_vehicle_details.sql"):
            path = os.path.join(ROOT, "migrations", "central", name)
            psql("-f", path)
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            psql("-c", f"INSERT INTO _migrations VALUES ('{name}', '{digest}', now())")
        vehicle, first, second, other, record = (str(uuid.uuid4()) for _ in range(5))
        first, second = sorted([first, second])  # ids order by creation
        psql("-c", f"""
            INSERT INTO vehicles (id, user_id, name, odometer_unit, created_at, updated_at, rev)
              VALUES ('{vehicle}', 'u', 'Van', 'km', now(), now(), nextval('rev_seq'));
            INSERT INTO maintenance (id, user_id, vehicle_id, type, category, due_date,
                                     created_at, updated_at, rev)
              VALUES ('{first}', 'u', '{vehicle}', 'oil_change', 'fluids', '2026-01-01', now(),
                      now(), nextval('rev_seq')),
                     ('{second}', 'u', '{vehicle}', 'oil_change', 'fluids', '2026-02-01', now(),
                      now(), nextval('rev_seq')),
                     ('{other}', 'u', '{vehicle}', 'tires', 'tires', '2026-03-01', now(), now(),
                      nextval('rev_seq'));
            INSERT INTO service_records (id, user_id, vehicle_id, maintenance_id, performed_at,
                                         description, created_at, updated_at, rev)
              VALUES ('{record}', 'u', '{vehicle}', '{second}', now(), 'oil', now(), now(),
                      nextval('rev_seq'));""")
        before = int(psql("-c", "SELECT last_value FROM rev_seq"))
        env = dict(self.gw.env, DATABASE_URL=conninfo)
        out = subprocess.run([GATEWAY, "migrate"], env=env, capture_output=True,
                             text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(psql("-c", "SELECT string_agg(id::text, ',' ORDER BY id) FROM "
                                    "maintenance WHERE deleted_at IS NULL"),
                         ",".join(sorted([first, other])))
        self.assertEqual(psql("-c", "SELECT alias_id || ' ' || canonical_id FROM "
                                    "maintenance_aliases"), f"{second} {first}")
        self.assertEqual(psql("-c", f"SELECT maintenance_id FROM service_records WHERE "
                                    f"id = '{record}'"), first)
        # Devices pull the merge: the rows it changed took new revisions.
        self.assertEqual(psql("-c", f"SELECT count(*) FROM maintenance WHERE id = '{second}' "
                                    f"AND rev > {before}"), "1")
        self.assertEqual(psql("-c", f"SELECT count(*) FROM service_records WHERE rev > {before}"),
                         "1")
        # From now on one live item per vehicle and type.
        dup = subprocess.run(
            ["psql", "-X", "-At", conninfo, "-c",
             f"INSERT INTO maintenance (id, user_id, vehicle_id, type, category, due_date, "
             f"created_at, updated_at, rev) VALUES ('{uuid.uuid4()}', 'u', '{vehicle}', "
             f"'oil_change', 'fluids', '2026-01-01', now(), now(), 1)"],
            capture_output=True, text=True, timeout=60)
        self.assertIn("maintenance_live_type", dup.stderr)

    # ---- case 2: one VIN set on two vehicles ----------------------------------------------

    def test_one_vin_set_on_two_vehicles_offline_stays_with_the_first_and_the_other_is_told(self):
        for order in (["a", "b", "a"], ["a", "b-pull", "b", "a"]):
            with self.subTest(order=order):
                user, a, b = self.pair("vin")
                a.ok("vehicle", "add", "--name", "Van")
                a.ok("vehicle", "add", "--name", "Car")
                self.settle(a, b)
                a.ok("vehicle", "edit", "Van", "--vin", VIN)
                b.ok("vehicle", "edit", "Car", "--vin", VIN)
                for step in order:
                    dev = a if step[0] == "a" else b
                    dev.sync("--pull-only") if step.endswith("-pull") else dev.sync()
                self.settle(a, b)
                self.assert_converged(user, a, b)
                by_name = {v["name"]: v["vin"] for v in self.live(a, "vehicles").values()}
                self.assertEqual(by_name, {"Van": VIN, "Car": None})
                self.assertEqual(dict(self.pg.sql(
                    f"SELECT name, coalesce(vin, '') FROM vehicles WHERE user_id = '{user}'")),
                    {"Van": VIN, "Car": ""})
                lost = [c for c in conflicts(b) if c["reason"] == "vin already registered"]
                self.assertEqual(len(lost), 1, conflicts(b))
                self.assertEqual(lost[0]["values"]["vin"], VIN, "the VIN B typed is kept in view")
                self.assertIn("VIN", lost[0]["what_to_do"])
                text = b.ok("sync", "status")
                self.assertIn("vin already registered", text)
                self.assertIn("what to do:", text)

    # ---- case 3: a new vehicle with a VIN the user has, in any shape ------------------------

    def test_a_new_vehicle_with_a_live_vin_is_aliased_whatever_its_columns_and_never_retried(self):
        cols = ["vin", "name", "odometer_unit", "created_at", "updated_at"]  # no deleted_at
        for transport in ("https", "coaps"):
            with self.subTest(transport=transport):
                user = fresh_user("alias")
                d = self.device(user, "coaps")
                d.ok("vehicle", "add", "--vin", VIN, "--name", "Van")
                d.sync()
                first = next(iter(d.rows("vehicles")))
                key = uuid.uuid4().hex
                device_id = self.gw.outside_device(key)
                again, twin_a, twin_b, fill = (str(uuid.uuid4()) for _ in range(4))
                now = int(time.time() * 1000)
                tables = [
                    {"t": "vehicles", "cols": cols,
                     "rows": [[again, 0, "0190000000000001", VIN, "Van again", "km", now, now],
                              [twin_a, 0, "0190000000000002", OTHER_VIN, "Twin", "mi", now, now],
                              [twin_b, 0, "0190000000000003", OTHER_VIN, "Twin 2", "mi", now,
                               now]]},
                    {"t": "fuel_logs",
                     "cols": ["vehicle_id", "filled_at", "odometer", "volume", "volume_unit",
                              "is_full", "missed", "created_at", "updated_at"],
                     "rows": [[fill, 0, "0190000000000004", twin_b, now, "100.0", "30.000",
                               "L", 1, 0, now, now]]}]
                status, ans = raw_push(self.gw, transport, user, device_id, 1, tables, key=key)
                self.assertEqual(status, 200, ans)
                self.assertEqual(ans.get("refused", []), [])
                self.assertIn(["vehicles", again, first], ans["rekey"])
                self.assertIn(["vehicles", twin_b, twin_a], ans["rekey"])
                # The same batch again gets the same answer (exactly once), not "retry".
                self.assertEqual(raw_push(self.gw, transport, user, device_id, 1, tables,
                                          key=key), (200, ans))
                self.assertEqual(dict(self.pg.sql(
                    f"SELECT vin, count(*) FROM vehicles WHERE user_id = '{user}' AND "
                    f"deleted_at IS NULL GROUP BY vin")), {VIN: "1", OTHER_VIN: "1"})
                self.assertEqual(self.pg.scalar(
                    f"SELECT vehicle_id FROM fuel_logs WHERE id = '{fill}'"), twin_a)
                self.assertNotIn("could not be applied", self.gw.log_text())
                d.sync()
                self.assertEqual(len(self.live(d, "vehicles")), 2)
                self.assertEqual(store_problems(d), [])

    # ---- case 4: a fill-up's total after two corrections --------------------------------------

    def test_volume_and_price_corrected_on_two_devices_give_a_total_that_follows_both(self):
        for order in (["a", "b", "a"], ["b", "a", "b"], ["a", "b-pull", "b", "a"]):
            with self.subTest(order=order):
                user, a, b = self.pair("total")
                a.ok("vehicle", "add", "--name", "Van")
                fill = a.json("fuel", "add", "--odometer", "1000", "--volume", "40",
                              "--price", "1.500", "--date", "2024-05-01")["id"]
                self.settle(a, b)
                self.assertEqual(b.rows("fuel_logs")[fill]["total_cost"], 6000)
                a.ok("fuel", "edit", fill, "--volume", "50")
                b.ok("fuel", "edit", fill, "--price", "2.000")
                for step in order:
                    dev = a if step[0] == "a" else b
                    dev.sync("--pull-only") if step.endswith("-pull") else dev.sync()
                self.settle(a, b)
                self.assert_converged(user, a, b)
                row = a.rows("fuel_logs")[fill]
                self.assertEqual((row["volume"], row["unit_price"], row["total_cost"]),
                                 (50000, 2000, 10000), "50 L x 2.000 = 100.00")
                self.assertEqual(self.pg.sql(
                    f"SELECT volume, unit_price, total_cost FROM fuel_logs WHERE id = '{fill}'"),
                    [["50.000", "2.000", "100.00"]])

    # ---- case 5: a fill-up added to a vehicle deleted and purged elsewhere ---------------------

    def test_a_fill_up_under_a_vehicle_deleted_and_purged_elsewhere_goes_with_it_and_is_listed(
            self):
        user, a, b = self.pair("orphan")
        a.ok("vehicle", "add", "--vin", VIN, "--name", "Van")
        a.ok("fuel", "add", "--odometer", "1000", "--volume", "40", "--date", "2024-05-01")
        self.settle(a, b)
        b.ok("vehicle", "rm", "Van")
        b.sync()
        self.assertIn("purged", self.gw.cmd("purge", "--older-than", "0").stdout)
        fill = a.json("fuel", "add", "--odometer", "1400", "--volume", "35",
                      "--date", "2024-05-08")["id"]
        report = a.sync()
        self.assertEqual(report["refused"], 1)
        self.assertTrue(report["reconciled"])
        self.assertEqual(a.rows("vehicles"), {})
        self.assertEqual(a.rows("fuel_logs"), {}, "nothing is left under the vehicle")
        self.assertEqual(store_problems(a), [])
        dropped = [c for c in conflicts(a) if c["id"] == fill]
        self.assertIn("dropped with its vehicle", [c["reason"] for c in dropped])
        self.assertEqual({c["values"]["volume"] for c in dropped if c["values"]}, {35000},
                         "the fill-up's values are kept in view")
        # B keeps the tombstones it had before the purge; the live rows agree everywhere.
        self.assert_converged(user, a, b, where="deleted_at IS NULL")
        self.assertEqual(a.sync()["refused"], 0, "nothing is sent again")

    def test_a_deleted_vehicle_a_fill_up_from_another_device_hangs_off_survives_a_reconcile(self):
        user, a, b = self.pair("kept")
        c = self.device(user, "https", "c")
        a.ok("vehicle", "add", "--name", "Van")
        a.ok("vehicle", "add", "--name", "Old")
        self.settle(a, b, c)
        # A deletes the van; B, not having heard, adds a fill-up to it: the gateway takes it
        # under the tombstone. The old vehicle is deleted and purged, so C, which slept
        # through it all, must reconcile.
        a.ok("vehicle", "rm", "Van")
        a.ok("vehicle", "rm", "Old")
        a.sync()
        fill = b.json("fuel", "add", "--vehicle", "Van", "--odometer", "900", "--volume", "30",
                      "--date", "2024-05-02")["id"]
        b.sync("--push-only")
        self.assertIn("purged", self.gw.cmd("purge", "--older-than", "0").stdout)
        self.assertTrue(c.sync()["reconciled"])
        self.assertIn(fill, c.rows("fuel_logs", "deleted_at IS NULL"))
        self.assertEqual(store_problems(c), [], "the fill-up's vehicle is kept with it")
        self.settle(a, b, c)
        self.assert_converged(user, a, b, c, where="deleted_at IS NULL")

    # ---- case 7: a refused change does not move the gateway's clock --------------------------

    def test_a_refused_change_from_far_in_the_future_moves_no_clock(self):
        owner, intruder = fresh_user("owner"), fresh_user("intruder")
        victim_device = self.device(owner, "coaps", "owner")
        victim_device.ok("vehicle", "add", "--name", "Mine")
        victim_device.sync()
        victim = next(iter(victim_device.rows("vehicles")))
        key = uuid.uuid4().hex
        device_id = self.gw.outside_device(key)
        future = "ffffffffffff0000"
        for batch, transport in enumerate(("https", "coaps"), start=1):
            with self.subTest(transport=transport):
                status, ans = raw_push(
                    self.gw, transport, intruder, device_id, batch,
                    [{"t": "vehicles", "cols": ["name"], "rows": [[victim, 0, future, "x"]]}],
                    hlc=future, key=key)
                self.assertEqual(status, 200, ans)
                self.assertEqual(ans["refused"], [[0, "forbidden"]])
                self.assertLess(int(ans["hlc"], 16) >> 16, (time.time() + 60) * 1000,
                                "the answer's clock did not jump ahead")
        # A device syncing next is not pulled ahead either.
        d = self.device(owner, "https", "next")
        d.sync()
        self.assertLess(int(d.scalar("SELECT hlc FROM sync_state"), 16) >> 16,
                        (time.time() + 60) * 1000)


if __name__ == "__main__":
    unittest.main()
