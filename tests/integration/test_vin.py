"""VIN decoding through the gateway (/v1/vin/{vin} on both transports, the central cache), the
device's fallbacks (its cache, the gateway, the VIN alone), and schema 2's vehicle details
between devices of different schemas. A real PostgreSQL, the real gateway with the installed
vPIC database (.data/vpic/vpic.db, ODOLOG_VPIC), devices without one of their own.
"""
import json
import os
import unittest
import uuid

from harness import CRV, F150, VPIC, GatewayTest, fresh_user, need_vpic


class VinTest(GatewayTest):
    gateway_env = {"ODOLOG_VPIC": VPIC}
    device_name = "vin"

    @classmethod
    def setUpClass(cls):
        need_vpic()
        super().setUpClass()

    def setUp(self):
        # The devices have no vPIC database of their own.
        self.no_vpic = {"ODOLOG_VPIC": os.path.join(self.gw.dir, "absent", "vpic.db")}

    def decode(self, d, *args):
        p = d.run("--json", "vin", "decode", *args, env=self.no_vpic)
        self.assertIn(p.returncode, (0, 2), p.stderr)
        return json.loads(p.stdout)["decoded"]

    def test_coap_client_and_curl_decode_a_vin_through_the_gateway(self):
        key = "vin-client-key-0001"
        ident = self.gw.outside_device(key)
        out = self.gw.coap_client(ident, key, "get", f"/v1/vin/{CRV}")
        ans = json.loads(out.stdout)
        self.assertEqual((ans["vin"], ans["source"], ans["model_year"]), (CRV, "vpic", 2022),
                         out.stderr)
        self.assertEqual((ans["fields"]["make"], ans["fields"]["model"]), ("Honda", "CR-V"))
        self.assertEqual(ans["errors"], [0])
        # curl with a bearer token; the second answer comes from the central cache.
        token = self.gw.token(fresh_user("curl"))
        for _ in range(2):
            p = self.gw.curl("/v1/vin/" + F150.lower(), "-H", f"Authorization: Bearer {token}")
            ans = json.loads(p.stdout)
            self.assertEqual((ans["fields"]["model"], ans["model_year"]), ("F-150", 2024))
        self.assertEqual(self.pg.scalar(f"SELECT payload->'fields'->>'model' FROM vin_cache "
                                        f"WHERE vin = '{F150}'"), "F-150")
        # No token over HTTPS: refused; no VIN: a clear 400.
        p = self.gw.curl("/v1/vin/" + CRV, "-o", "/dev/null", "-w", "%{http_code}")
        self.assertEqual(p.stdout, "401")
        status, body = self.gw.https("GET", "/v1/vin/NOTAVIN", token=token)
        self.assertEqual((status, body["error"]), (400, "bad_request"))
        self.assertIn("17 characters", body["message"])

    def test_a_device_without_vpic_asks_the_gateway_then_answers_from_its_cache_offline(self):
        for transport in ("coaps", "https"):
            with self.subTest(transport=transport):
                d = self.device(fresh_user("tech"), transport)
                got = self.decode(d, CRV)
                self.assertEqual((got["source"], got["cached"]), ("gateway", False))
                self.assertEqual((got["make"], got["model"], got["model_year"]),
                                 ("Honda", "CR-V", 2022))
                self.assertEqual(got["region"], "North America")
                # Offline now: the cached answer, not the VIN alone.
                got = self.decode(d, "--offline", CRV)
                self.assertEqual((got["source"], got["cached"], got["model"]),
                                 ("gateway", True, "CR-V"))
                # A VIN never decoded before, offline: the VIN alone, saying why.
                got = self.decode(d, "--offline", F150)
                self.assertEqual((got["source"], got["make"], got["model_year"]),
                                 ("vin", None, 2024))
                self.assertIn("vPIC", got["note"])

    def test_registering_by_vin_fills_the_vehicle_and_the_details_sync_to_other_devices(self):
        user = fresh_user("garage")
        tech = self.device(user, "https")
        p = tech.run("--json", "vehicle", "add", "--vin", F150, "--plate", "AB-123",
                     env=self.no_vpic)
        self.assertEqual(p.returncode, 0, p.stderr)
        v = json.loads(p.stdout)
        self.assertEqual((v["make"], v["model"], v["model_year"], v["name"]),
                         ("Ford", "F-150", 2024, "2024 Ford F-150"))
        self.assertEqual((v["body_class"], v["fuel_type"]), ("Pickup", "Gasoline"))
        self.assertIn("3.5 L", v["engine"])
        tech.sync()
        self.assertEqual(self.pg.sql(f"SELECT body_class, fuel_type FROM vehicles WHERE "
                                     f"user_id = '{user}'"), [["Pickup", "Gasoline"]])
        driver = self.device(user, "coaps")
        driver.sync()
        mine = next(iter(driver.rows("vehicles").values()))
        self.assertEqual((mine["body_class"], mine["engine"], mine["fuel_type"]),
                         (v["body_class"], v["engine"], v["fuel_type"]))

    def test_a_schema_1_device_neither_sees_nor_clears_the_schema_2_columns(self):
        user = fresh_user("old")
        new = self.device(user, "https")
        new.ok("vehicle", "add", "--vin", CRV, "--offline", "--body", "SUV",
               "--engine", "1.5 L", "--fuel", "Gasoline")
        new.sync()
        token = self.gw.token(user)
        old_device = str(uuid.uuid4())
        status, page = self.gw.https("POST", "/v1/sync/pull", {
            "v": 1, "device": old_device, "schema": 1, "since": 0}, token)
        self.assertEqual(status, 200)
        group = next(g for g in page["tables"] if g["t"] == "vehicles")
        for col in ("body_class", "engine", "fuel_type"):
            self.assertNotIn(col, group["cols"])
        vid, rev = group["rows"][0][0], group["rows"][0][1]
        # The old device renames the vehicle: its push knows nothing of the new columns...
        status, ans = self.gw.https("POST", "/v1/sync/push", {
            "v": 1, "device": old_device, "batch": 1, "schema": 1, "hlc": "0fffffffffff0000",
            "tables": [{"t": "vehicles", "cols": ["name"],
                        "rows": [[vid, rev, "0fffffffffff0000", "Family car"]]}]}, token)
        self.assertEqual(status, 200, ans)
        # ...and may not name them.
        status, ans = self.gw.https("POST", "/v1/sync/push", {
            "v": 1, "device": old_device, "batch": 2, "schema": 1, "hlc": "0fffffffffff0001",
            "tables": [{"t": "vehicles", "cols": ["engine"],
                        "rows": [[vid, rev, "0fffffffffff0001", "V8"]]}]}, token)
        self.assertEqual((status, ans["error"]), (400, "bad_request"))
        self.assertEqual(self.pg.sql(f"SELECT name, body_class, engine, fuel_type FROM vehicles "
                                     f"WHERE id = '{vid}'"),
                         [["Family car", "SUV", "1.5 L", "Gasoline"]])
        new.sync()
        mine = new.rows("vehicles")[vid]
        self.assertEqual((mine["name"], mine["engine"]), ("Family car", "1.5 L"))

    def test_a_gateway_without_vin_data_says_so_and_the_device_decodes_the_vin_alone(self):
        bare = self.gateway({"ODOLOG_VPIC": ""})
        d = self.device(fresh_user("bare"), "https", gw=bare)
        status, body = bare.https("GET", f"/v1/vin/{CRV}", token=bare.token("x"))
        self.assertEqual((status, body["error"]), (404, "not_found"))
        got = self.decode(d, CRV)
        self.assertEqual((got["source"], got["model_year"]), ("vin", 2022))
        self.assertIn("no VIN data", got["note"])


if __name__ == "__main__":
    unittest.main()
