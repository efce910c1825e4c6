"""Sync protocol version 1 end to end: real devices (the odolog binary on real SQLite files),
the real gateway, a real PostgreSQL. Each test uses its own users, so they share one cluster
and one gateway.
"""
import json
import time
import unittest
import uuid

from harness import VIN, GatewayTest, forge_token, fresh_user

SYNCED = ["vehicles", "fuel_logs", "odometer_readings", "maintenance", "service_records",
          "renewals"]


class SyncTest(GatewayTest):
    def assert_same(self, a, b):
        """Both devices hold the same synced rows, column for column."""
        for t in SYNCED:
            self.assertEqual(a.rows(t), b.rows(t), f"table {t} differs between the devices")

    def central(self, table, user, cols):
        rows = self.pg.sql(f"SELECT id, {', '.join(cols)} FROM {table} WHERE user_id = "
                           f"'{user}' ORDER BY id")
        return {r[0]: r[1:] for r in rows}

    # ---- conflicts ----------------------------------------------------------------------

    def test_a_delete_and_an_edit_of_one_row_and_edits_of_different_columns_in_every_order(self):
        orders = [
            ["a", "b", "a"],                      # A first, then B, A hears B
            ["b", "a", "b"],                      # B first
            ["a-pull", "b-pull", "a", "b", "a"],  # both pull before anyone pushes
            ["b-push", "a-push", "a", "b"],       # pushes first, pulls after
        ]
        for order in orders:
            with self.subTest(order=order):
                user = fresh_user("conflict")
                a = self.device(user, "coaps", "a")
                b = self.device(user, "https", "b")
                a.ok("vehicle", "add", "--vin", VIN, "--name", "Civic")
                fill = a.json("fuel", "add", "--odometer", "41000", "--volume", "9.8",
                              "--date", "2024-01-02")
                a.sync()
                b.sync()
                self.assertEqual(len(b.rows("fuel_logs")), 1)
                # Offline: A deletes the fill-up, B edits it; each edits another column of
                # the vehicle.
                a.ok("fuel", "rm", fill["id"])
                b.ok("fuel", "edit", fill["id"], "--notes", "receipt in the glovebox")
                a.ok("vehicle", "edit", "Civic", "--plate", "AB-123")
                b.ok("vehicle", "edit", "Civic", "--notes", "winter tyres")
                for step in order:
                    dev = a if step[0] == "a" else b
                    if step.endswith("-pull"):
                        dev.sync("--pull-only")
                    elif step.endswith("-push"):
                        dev.sync("--push-only")
                    else:
                        dev.sync()
                # Everyone hears everything once more.
                a.sync()
                b.sync()
                self.assert_same(a, b)
                f = a.rows("fuel_logs")[fill["id"]]
                self.assertIsNotNone(f["deleted_at"], "the delete holds")
                self.assertEqual(f["notes"], "receipt in the glovebox", "the edit survives")
                v = next(iter(a.rows("vehicles").values()))
                self.assertEqual((v["plate"], v["notes"]), ("AB-123", "winter tyres"))
                c = self.central("fuel_logs", user, ["deleted_at IS NOT NULL", "notes"])
                self.assertEqual(c[fill["id"]], ["t", "receipt in the glovebox"])
                cv = self.central("vehicles", user, ["plate", "notes"])
                self.assertEqual(list(cv.values()), [["AB-123", "winter tyres"]])
                self.assertEqual(a.scalar("SELECT count(*) FROM outbox"), 0)
                self.assertEqual(b.scalar("SELECT count(*) FROM outbox"), 0)

    def test_the_same_vin_on_two_offline_devices_becomes_one_vehicle_everywhere(self):
        for first in ["a", "b"]:
            with self.subTest(first=first):
                user = fresh_user("vin")
                a = self.device(user, "coaps", "a")
                b = self.device(user, "https", "b")
                for dev, odo in [(a, 1000), (b, 5000)]:
                    dev.ok("vehicle", "add", "--vin", VIN, "--name", "Van")
                    dev.ok("fuel", "add", "--odometer", str(odo), "--volume", "40",
                           "--date", "2024-03-01")
                    dev.ok("fuel", "add", "--odometer", str(odo + 400), "--volume", "35",
                           "--date", "2024-03-08")
                one, two = (a, b) if first == "a" else (b, a)
                one.sync()
                report = two.sync()
                self.assertEqual(report["rekeyed"], 1)
                one.sync()
                two.sync()
                for dev in (a, b):
                    vehicles = [v for v in dev.rows("vehicles").values() if not v["deleted_at"]]
                    self.assertEqual(len(vehicles), 1, "one vehicle per device")
                    fills = dev.rows("fuel_logs")
                    self.assertEqual(len(fills), 4)
                    self.assertEqual({f["vehicle_id"] for f in fills.values()},
                                     {vehicles[0]["id"]}, "every fill-up under it")
                self.assert_same(a, b)
                self.assertEqual(self.pg.scalar(
                    f"SELECT count(*) FROM vehicles WHERE user_id = '{user}' "
                    f"AND deleted_at IS NULL"), "1")
                self.assertEqual(self.pg.scalar(
                    f"SELECT count(DISTINCT vehicle_id) || '/' || count(*) FROM fuel_logs "
                    f"WHERE user_id = '{user}'"), "1/4")
                self.assertEqual(self.pg.scalar(
                    f"SELECT count(*) FROM vehicle_aliases WHERE user_id = '{user}'"), "1")

    # ---- exactly once -------------------------------------------------------------------

    def test_a_device_is_not_sent_back_what_it_pushed_but_hears_every_other_change(self):
        user = fresh_user("echo")
        a = self.device(user, "coaps", "a")
        b = self.device(user, "https", "b")
        a.ok("vehicle", "add", "--vin", VIN, "--name", "Civic")
        for i in range(30):
            a.ok("fuel", "add", "--odometer", str(41000 + 300 * i), "--volume", "30",
                 "--date", f"2024-01-{i + 1:02d}")
        first = a.sync()
        self.assertEqual((first["pushed"], first["pulled"]), (31, 0), first)
        self.assertEqual(a.sync()["pulled"], 0)
        cursor = a.json("sync", "status")["cursor"]
        self.assertGreater(cursor, 0, "the cursor moved past the rows left out")
        # B hears all of them; an edit by B comes back to A, and A's answer carries no echo.
        self.assertEqual(b.sync()["pulled"], 31)
        fill = next(iter(b.rows("fuel_logs")))
        b.ok("fuel", "edit", fill, "--notes", "from B")
        b.sync()
        got = a.sync()
        self.assertEqual(got["pulled"], 1, got)
        self.assertEqual(a.rows("fuel_logs")[fill]["notes"], "from B")
        self.assertEqual(b.sync()["pulled"], 0)
        # A device that lost its database and starts over hears everything again.
        c = self.device(user, "https", "c")
        self.assertEqual(c.sync()["pulled"], 31)
        self.assert_same(a, b)
        self.assert_same(a, c)

    def test_a_replayed_batch_changes_nothing_and_gets_the_same_answer(self):
        user = fresh_user("replay")
        d = self.device(user, "https")
        token = self.gw.token(user)
        body = {"v": 1, "device": d.id, "batch": 1, "schema": 1, "hlc": "0190000000000000",
                "tables": [{"t": "vehicles",
                            "cols": ["name", "odometer_unit", "created_at", "updated_at"],
                            "rows": [[str(uuid.uuid4()), 0, "0190000000000000", "Truck", "km",
                                      1767225600000, 1767225600000]]}]}
        s1, a1 = self.gw.https("POST", "/v1/sync/push", body, token)
        revs = self.pg.scalar(f"SELECT string_agg(rev::text, ',') FROM vehicles "
                              f"WHERE user_id = '{user}'")
        s2, a2 = self.gw.https("POST", "/v1/sync/push", body, token)
        self.assertEqual((s1, s2), (200, 200))
        self.assertEqual(a1, a2)
        self.assertEqual(self.pg.scalar(f"SELECT string_agg(rev::text, ',') FROM vehicles "
                                        f"WHERE user_id = '{user}'"), revs)
        # Once a later batch is applied, the old number is stale: refused, nothing applied.
        self.assertEqual(self.gw.https("POST", "/v1/sync/push", dict(body, batch=2, tables=[]),
                                       token)[0], 200)
        s3, a3 = self.gw.https("POST", "/v1/sync/push", body, token)
        self.assertEqual((s3, a3["error"]), (409, "stale_batch"))

    def test_a_batch_whose_answer_was_lost_is_settled_on_retry_without_a_duplicate(self):
        user = fresh_user("lost")
        proxy = self.proxy(self.gw.https_port, "tcp")
        d = self.device(user, "https")
        d.login("https", url=f"https://localhost:{proxy.port}")
        d.ok("vehicle", "add", "--name", "Truck")
        for i in range(3):
            d.ok("fuel", "add", "--odometer", str(1000 + i * 300), "--volume", "50",
                 "--date", f"2024-05-0{i + 1}")
        proxy.swallow_next_answer = True
        p = d.run("sync", "--push-only")
        self.assertEqual(p.returncode, 5, p.stderr)
        # The gateway committed the batch; the device kept it sealed.
        self.assertEqual(self.pg.scalar(
            f"SELECT count(*) FROM fuel_logs WHERE user_id = '{user}'"), "3")
        self.assertEqual(d.scalar("SELECT count(*) FROM sync_batches"), 1)
        report = d.sync()
        self.assertEqual(report["pushed"], 4)
        self.assertEqual(self.pg.scalar(
            f"SELECT count(*) FROM fuel_logs WHERE user_id = '{user}'"), "3")
        self.assertEqual(d.scalar("SELECT count(*) FROM outbox"), 0)
        self.assertEqual(d.scalar("SELECT count(*) FROM fuel_logs WHERE rev = 0"), 0)
        self.assertIn("replayed", self.gw.log_text())

    # ---- isolation ----------------------------------------------------------------------

    def test_another_users_rows_never_come_back_and_a_push_naming_them_is_refused(self):
        owner, other = fresh_user("owner"), fresh_user("other")
        a = self.device(owner, "coaps", "owner")
        b = self.device(other, "coaps", "other")
        a.ok("vehicle", "add", "--vin", VIN, "--name", "Mine")
        a.ok("fuel", "add", "--odometer", "100", "--volume", "20")
        a.sync()
        b.ok("vehicle", "add", "--name", "Theirs")
        b.sync()
        self.assertEqual(len(b.rows("vehicles")), 1)
        self.assertEqual(len(b.rows("fuel_logs")), 0)
        victim = next(iter(a.rows("vehicles")))
        before = self.central("vehicles", owner, ["name", "rev"])
        token = self.gw.token(other)
        push = {"v": 1, "device": b.id, "batch": 100, "schema": 1, "hlc": "0f00000000000000",
                "tables": [
                    {"t": "vehicles", "cols": ["name"],
                     "rows": [[victim, 0, "0f00000000000000", "stolen"]]},
                    {"t": "fuel_logs",
                     "cols": ["vehicle_id", "filled_at", "odometer", "volume", "volume_unit",
                              "is_full", "missed", "created_at", "updated_at"],
                     "rows": [[str(uuid.uuid4()), 0, "0f00000000000000", victim,
                               1704067200000, "5.0", "1.000", "L", 1, 0,
                               1704067200000, 1704067200000]]}]}
        status, ans = self.gw.https("POST", "/v1/sync/push", push, token)
        self.assertEqual(status, 200)
        self.assertEqual(ans["revs"], [[0, 2]])
        self.assertEqual(sorted(r[1] for r in ans["refused"]), ["forbidden", "unknown vehicle"])
        self.assertNotIn(owner, json.dumps(ans))
        self.assertEqual(self.central("vehicles", owner, ["name", "rev"]), before)
        status, page = self.gw.https("POST", "/v1/sync/pull",
                                     {"v": 1, "device": b.id, "schema": 1, "since": 0}, token)
        ids = [r[0] for g in page["tables"] for r in g["rows"]]
        self.assertNotIn(victim, ids)

    # ---- clients we did not write -------------------------------------------------------

    def test_coap_client_and_curl_get_health_and_a_pull(self):
        user = fresh_user("outside")
        d = self.device(user, "coaps")
        d.ok("vehicle", "add", "--name", "Bus")
        d.sync()
        # A device registered with a printable key, so that coap-client can be given it.
        key = "outside-client-key-0001"
        ident = self.gw.outside_device(key)
        token = self.gw.token(user)
        health = self.gw.coap_client(ident, key, "get", "/health")
        self.assertEqual(json.loads(health.stdout)["status"], "ok", health.stderr)
        pull = json.dumps({"v": 1, "device": ident, "schema": 1, "since": 0, "token": token})
        out = self.gw.coap_client(ident, key, "post", "/v1/sync/pull", pull)
        page = json.loads(out.stdout)
        names = [r[2 + g["cols"].index("name")] for g in page["tables"] if g["t"] == "vehicles"
                 for r in g["rows"]]
        self.assertEqual(names, ["Bus"], out.stderr)
        # The same over HTTPS with curl, verifying the certificate.
        h = self.gw.curl("/health")
        self.assertEqual(json.loads(h.stdout)["status"], "ok", h.stderr)
        body = json.dumps({"v": 1, "device": d.id, "schema": 1, "since": 0})
        p = self.gw.curl("/v1/sync/pull", "-H", "Content-Type: application/json", "-H",
                         f"Authorization: Bearer {token}", "--data-binary", body)
        self.assertIn("Bus", p.stdout, p.stderr)
        # A coaps peer whose device id differs from its DTLS identity is refused.
        spoof = json.dumps({"v": 1, "device": d.id, "schema": 1, "since": 0, "token": token})
        out = self.gw.coap_client(ident, key, "post", "/v1/sync/pull", spoof)
        # coap-client prints an error answer on stderr, after its code.
        self.assertIn("4.03", out.stderr)
        self.assertEqual(json.loads(out.stderr.split(" ", 1)[1])["error"], "forbidden")

    # ---- tombstones and versions --------------------------------------------------------

    def test_a_device_behind_the_purge_watermark_reconciles_and_deletes_stay_dead(self):
        user = fresh_user("purge")
        a = self.device(user, "coaps", "a")
        b = self.device(user, "https", "b")
        a.ok("vehicle", "add", "--name", "Pickup")
        keep = a.json("fuel", "add", "--odometer", "100", "--volume", "30", "--date",
                      "2024-01-01")
        gone = a.json("fuel", "add", "--odometer", "400", "--volume", "30", "--date",
                      "2024-01-05")
        edited = a.json("fuel", "add", "--odometer", "700", "--volume", "30", "--date",
                        "2024-01-09")
        a.sync()
        b.sync()
        # A deletes two fill-ups; B, offline, edits one of them and another.
        a.ok("fuel", "rm", gone["id"])
        a.ok("fuel", "rm", edited["id"])
        a.sync()
        b.ok("fuel", "edit", edited["id"], "--notes", "offline edit")
        b.ok("fuel", "edit", keep["id"], "--notes", "kept edit")
        out = self.gw.cmd("purge", "--older-than", "0").stdout
        self.assertIn("purged", out)
        self.assertGreater(int(self.pg.scalar(
            "SELECT value FROM sync_meta WHERE key = 'purge_watermark'")), 0)
        report = b.sync()
        self.assertTrue(report["reconciled"], report)
        b.sync()
        a.sync()
        fills_b = {i: f for i, f in b.rows("fuel_logs").items()}
        self.assertNotIn(gone["id"], fills_b, "the purged delete is dropped on the device")
        self.assertNotIn(edited["id"], fills_b, "an edit does not bring a purged delete back")
        self.assertEqual(fills_b[keep["id"]]["notes"], "kept edit", "unpushed edits survive")
        self.assertEqual(self.pg.scalar(
            f"SELECT count(*) FROM fuel_logs WHERE id = '{edited['id']}'"), "0")
        self.assertEqual(self.central("fuel_logs", user, ["notes"])[keep["id"]], ["kept edit"])
        self.assertEqual(b.json("sync", "status")["refused"], 1)

    def test_a_device_older_than_the_gateway_serves_is_told_to_upgrade_and_keeps_its_outbox(self):
        strict = self.gateway({"ODOLOG_SCHEMA_MIN": "3"})  # this build is schema 2
        user = fresh_user("old")
        d = self.device(user, "coaps", "old", gw=strict)
        d.ok("vehicle", "add", "--name", "Old")
        d.ok("fuel", "add", "--odometer", "10", "--volume", "5")
        waiting = d.scalar("SELECT count(*) FROM outbox")
        p = d.run("sync")
        self.assertEqual(p.returncode, 5)
        self.assertIn("upgrade", p.stderr)
        self.assertEqual(d.scalar("SELECT count(*) FROM outbox"), waiting)
        self.assertEqual(d.scalar("SELECT count(*) FROM sync_batches"), 1)
        status = d.json("sync", "status")
        self.assertIn("upgrade", status["last_error"])
        # Served again by a gateway that accepts it: everything arrives once.
        d.login("coaps", url=f"coaps://127.0.0.1:{self.gw.coaps_port}")
        self.assertEqual(d.sync()["pushed"], 2)
        self.assertEqual(self.pg.scalar(
            f"SELECT count(*) FROM fuel_logs WHERE user_id = '{user}'"), "1")

    def test_clocks_from_the_future_are_clamped_and_logged(self):
        user = fresh_user("future")
        d = self.device(user, "https")
        token = self.gw.token(user)
        vid = str(uuid.uuid4())
        future = format((int(time.time() * 1000) + 10 * 365 * 86400000) << 16, "016x")
        body = {"v": 1, "device": d.id, "batch": 7, "schema": 1, "hlc": future,
                "tables": [{"t": "vehicles", "cols": ["name", "odometer_unit", "created_at",
                                                      "updated_at"],
                            "rows": [[vid, 0, future, "Delorean", "mi",
                                      1767225600000, 1767225600000]]}]}
        status, ans = self.gw.https("POST", "/v1/sync/push", body, token)
        self.assertEqual(status, 200)
        key = self.pg.scalar(f"SELECT coalesce(hlcs->>'name', hlcs->>'*') FROM vehicles "
                             f"WHERE id = '{vid}'")
        stored_ms = int(key.split(":")[0], 16) >> 16
        self.assertLessEqual(stored_ms, int(time.time() * 1000) + 5 * 60 * 1000 + 5000)
        self.assertLess(int(ans["hlc"], 16) >> 16, int(time.time() * 1000) + 6 * 60 * 1000)
        self.assertIn("clamped", self.gw.log_text())

    # ---- bad requests -------------------------------------------------------------------

    def test_bad_requests_get_the_documented_error_and_change_nothing(self):
        user = fresh_user("bad")
        d = self.device(user, "https")
        self.assertTrue(d.id)
        d.ok("vehicle", "add", "--name", "Car")
        d.sync()
        good = self.gw.token(user)
        now = int(time.time())
        before = self.pg.sql("SELECT 'v', count(*), max(rev) FROM vehicles UNION ALL "
                             "SELECT 'f', count(*), max(rev) FROM fuel_logs UNION ALL "
                             "SELECT 'b', count(*), sum(last_batch) FROM device_batches")
        row = [str(uuid.uuid4()), 0, "0190000000000000", "X", "km", 1767225600000,
               1767225600000]
        cols = ["name", "odometer_unit", "created_at", "updated_at"]

        def push(**kw):
            b = {"v": 1, "device": d.id, "batch": 1000, "schema": 1, "hlc": "0190000000000000",
                 "tables": [{"t": "vehicles", "cols": cols, "rows": [row]}]}
            b.update(kw)
            return b

        claims = {"sub": user, "iss": "odolog", "aud": "odolog-sync", "exp": now + 600}
        cases = [
            ("malformed JSON", dict(raw=b'{"v":1,'), good, 400, "bad_request"),
            ("wrong type", dict(body=push(batch="seven")), good, 400, "bad_request"),
            ("unknown field", dict(body=push(extra=1)), good, 400, "bad_request"),
            ("unknown table", dict(body=push(tables=[{"t": "secrets", "cols": [], "rows": []}])),
             good, 400, "bad_request"),
            ("unknown column", dict(body=push(tables=[{"t": "vehicles", "cols": ["owner"],
                                                       "rows": []}])), good, 400, "bad_request"),
            ("wrong row shape", dict(body=push(tables=[{"t": "vehicles", "cols": cols,
                                                        "rows": [row[:3]]}])), good, 400,
             "bad_request"),
            ("too deep", dict(raw=b'{"v":1,"tables":' + b"[" * 200 + b"]" * 200 + b"}"), good,
             400, "bad_request"),
            ("oversized", dict(raw=b'{"v":1,"pad":"' + b"x" * (5 << 20) + b'"}'), good, 413,
             "too_large"),
            ("not JSON", dict(raw=b"v=1", content_type="text/plain"), good, 415,
             "unsupported_media_type"),
            ("no token", dict(body=push()), None, 401, "unauthorized"),
            ("expired token", dict(body=push()), forge_token(dict(claims, exp=now - 3600)), 401,
             "unauthorized"),
            ("forged token", dict(body=push()), forge_token(claims, secret="x" * 40), 401,
             "unauthorized"),
            ("alg none", dict(body=push()), forge_token(claims, alg="none"), 401,
             "unauthorized"),
            ("wrong issuer", dict(body=push()), forge_token(dict(claims, iss="evil")), 401,
             "unauthorized"),
            ("wrong audience", dict(body=push()), forge_token(dict(claims, aud="other")), 401,
             "unauthorized"),
        ]
        for name, req, token, status, error in cases:
            with self.subTest(case=name):
                got, body = self.gw.https("POST", "/v1/sync/push", token=token,
                                          body=req.get("body"), raw=req.get("raw"),
                                          content_type=req.get("content_type",
                                                               "application/json"))
                self.assertEqual((got, body["error"]), (status, error), body)
                self.assertTrue(body["message"])
        self.assertEqual(self.gw.https("GET", "/v1/sync/push")[0], 405)
        self.assertEqual(self.gw.https("GET", "/v2/anything")[0], 404)
        self.assertEqual(self.pg.sql("SELECT 'v', count(*), max(rev) FROM vehicles UNION ALL "
                                     "SELECT 'f', count(*), max(rev) FROM fuel_logs UNION ALL "
                                     "SELECT 'b', count(*), sum(last_batch) FROM "
                                     "device_batches"), before)
        # A domain error refuses that change alone.
        bad_row = list(row)
        bad_row[0] = str(uuid.uuid4())
        bad_row[4] = "furlongs"
        status, ans = self.gw.https("POST", "/v1/sync/push", push(
            batch=2000, tables=[{"t": "vehicles", "cols": cols, "rows": [row, bad_row]}]), good)
        self.assertEqual(status, 200)
        self.assertEqual(ans["refused"], [[1, "odometer_unit is not one of the allowed values"]])
        # Revisions come as runs [first, count]; the refused change's run has first 0.
        self.assertEqual(len(ans["revs"]), 2, ans)
        self.assertGreater(ans["revs"][0][0], 0)
        self.assertEqual([r[1] for r in ans["revs"]], [1, 1])
        self.assertEqual(ans["revs"][1][0], 0)

    def test_repeated_failed_logins_are_throttled(self):
        # Its own gateway, so the throttle does not leak into other tests.
        gw = self.gateway(None)
        bad = forge_token({"sub": "x", "iss": "odolog", "aud": "odolog-sync",
                           "exp": int(time.time()) + 60}, secret="y" * 40)
        pull = {"v": 1, "device": str(uuid.uuid4()), "schema": 1, "since": 0}
        codes = [gw.https("POST", "/v1/sync/pull", pull, bad)[0] for _ in range(8)]
        self.assertEqual(codes[:5], [401] * 5)
        self.assertEqual(codes[-1], 429)
        # A good token from the same address is not held back; it resets the count.
        user = fresh_user("throttled")
        self.assertEqual(gw.https("POST", "/v1/sync/pull", pull, gw.token(user))[0], 200)
        self.assertEqual(gw.https("POST", "/v1/sync/pull", pull, bad)[0], 401)


if __name__ == "__main__":
    unittest.main()
