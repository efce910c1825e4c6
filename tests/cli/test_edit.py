"""Every record can be corrected: odometer readings, maintenance items, service records and
documents are edited, removed and restored through odolog, the real binary on a real database
file, and every change goes through the storage rules and into the outbox like a new record.
"""
import json
import unittest

from cli_harness import Odolog, scratch_dir


class EditTest(unittest.TestCase):
    def setUp(self):
        self.o = Odolog(scratch_dir(self, "odolog-edit-"))
        self.o.ok("init", "--units", "metric")
        self.o.ok("vehicle", "add", "--name", "Golf")

    def outbox(self, table, row_id):
        """The columns waiting in the outbox for one row, with the clock of their change
        ({} when nothing waits)."""
        rows = self.o.query("SELECT cols FROM outbox WHERE tbl = ? AND row_id = ? "
                            "AND batch IS NULL", table, row_id)
        return json.loads(rows[0][0]) if rows else {}

    def short(self, row_id):
        """The id as listings show it: its last 8 hex characters."""
        return row_id.replace("-", "")[-8:]

    def test_an_odometer_reading_is_edited_removed_and_restored_through_the_outbox(self):
        self.o.ok("fuel", "add", "--odometer", "1000", "--volume", "40", "--date", "2024-01-01")
        self.o.ok("fuel", "add", "--odometer", "1600", "--volume", "40", "--date", "2024-02-01")
        r = self.o.json("odo", "add", "--odometer", "1200", "--date", "2024-01-10")
        self.assertEqual(list(self.outbox("odometer_readings", r["id"])), ["*"])  # the insert

        got = self.o.json("odo", "edit", self.short(r["id"]), "--odometer", "1250",
                          "--notes", "misread")
        self.assertEqual((got["odometer"], got["notes"]), ("1250.0", "misread"))
        self.assertIn("odometer", self.outbox("odometer_readings", r["id"]))
        # The new value must fit the vehicle's other values, as a new reading would.
        self.o.fails(2, "odo", "edit", r["id"], "--odometer", "1700", says="1600")
        self.o.fails(2, "odo", "edit", r["id"], "--odometer", "900", says="1000")
        self.assertEqual(self.o.scalar("SELECT odometer FROM odometer_readings WHERE id = ?",
                                       r["id"]), 12500)

        self.o.ok("odo", "rm", r["id"])
        self.assertNotIn(r["id"], [x["id"] for x in self.o.json("odo", "list")])
        self.assertIn("deleted_at", self.outbox("odometer_readings", r["id"]))
        self.o.ok("odo", "restore", r["id"])
        self.assertIn(r["id"], [x["id"] for x in self.o.json("odo", "list")])

    def test_a_fill_up_in_the_odometer_list_is_corrected_with_fuel_edit_not_odo_edit(self):
        f = self.o.json("fuel", "add", "--odometer", "1000", "--volume", "40")
        self.o.fails(3, "odo", "edit", f["id"], "--odometer", "1100", says="fuel edit")

    def test_a_deleted_fill_up_is_restored_unless_its_odometer_no_longer_fits(self):
        self.o.ok("fuel", "add", "--odometer", "1000", "--volume", "40", "--date", "2024-01-01")
        f = self.o.json("fuel", "add", "--odometer", "1500", "--volume", "40",
                        "--date", "2024-01-20")
        self.o.ok("fuel", "rm", f["id"])
        self.assertEqual(len(self.o.json("fuel", "list")), 1)
        self.o.ok("fuel", "restore", self.short(f["id"]))
        self.assertEqual(len(self.o.json("fuel", "list")), 2)
        # Deleted again, and meanwhile a lower value was logged after its date: it cannot come
        # back, because the odometer would go backwards.
        self.o.ok("fuel", "rm", f["id"])
        self.o.ok("odo", "add", "--odometer", "1200", "--date", "2024-01-25")
        self.o.fails(2, "fuel", "restore", f["id"], says="1200")
        self.assertEqual(self.o.scalar("SELECT deleted_at IS NOT NULL FROM fuel_logs "
                                       "WHERE id = ?", f["id"]), 1)

    def test_maint_edit_changes_the_item_and_counts_the_next_due_again(self):
        self.o.ok("maint", "add", "--type", "oil_change", "--every-months", "6",
                  "--last-date", "2024-01-01", "--last-odometer", "1000")
        got = self.o.json("maint", "edit", "oil_change", "--every-months", "12",
                          "--category", "engine", "--description", "5W-30")
        self.assertEqual((got["interval_months"], got["due_date"], got["category"],
                          got["description"]), (12, "2025-01-01", "engine", "5W-30"))
        # An empty value clears an optional field.
        got = self.o.json("maint", "edit", "oil_change", "--description", "")
        self.assertIsNone(got["description"])
        self.o.ok("maint", "rm", "oil_change")
        self.assertEqual(self.o.json("maint", "list"), [])
        self.o.ok("maint", "restore", "oil_change")
        self.assertEqual([m["type"] for m in self.o.json("maint", "list")], ["oil_change"])

    def test_removing_the_service_record_maint_done_made_puts_the_schedule_back(self):
        self.o.ok("fuel", "add", "--odometer", "1000", "--volume", "40", "--date", "2024-01-01")
        self.o.ok("maint", "add", "--type", "oil_change", "--every-months", "6",
                  "--every-distance", "10000", "--last-date", "2023-12-01",
                  "--last-odometer", "900")
        before = self.o.json("maint", "list")[0]
        done = self.o.json("maint", "done", "oil_change", "--date", "2024-01-10",
                           "--odometer", "1300", "--cost", "80")
        self.assertEqual(done["maintenance"]["due_date"], "2024-07-10")
        services = self.o.json("service", "list")
        self.assertEqual([s["id"] for s in services], [done["service"]["id"]])

        self.o.ok("service", "rm", self.short(done["service"]["id"]))
        self.assertEqual(self.o.json("service", "list"), [])
        after = self.o.json("maint", "list")[0]
        for field in ("due_date", "due_odometer", "last_done_date", "last_done_odometer"):
            self.assertEqual(after[field], before[field], field)
        self.assertIn("due_date", self.outbox("maintenance", after["id"]))

        # Restoring the record completes the item again.
        self.o.ok("service", "restore", done["service"]["id"])
        again = self.o.json("maint", "list")[0]
        self.assertEqual((again["last_done_date"], again["due_date"]),
                         ("2024-01-10", "2024-07-10"))

    def test_a_service_record_is_edited_and_the_item_follows_its_latest_completion(self):
        self.o.ok("maint", "add", "--type", "tyres", "--every-months", "12",
                  "--last-date", "2023-06-01")
        done = self.o.json("maint", "done", "tyres", "--date", "2024-03-01", "--cost", "400",
                           "--shop", "Reifen Max")
        sid = done["service"]["id"]
        got = self.o.json("service", "edit", sid, "--date", "2024-04-01", "--shop", "",
                          "--notes", "winter to summer")
        self.assertEqual((got["performed_at"][:10], got["shop"], got["notes"]),
                         ("2024-04-01", None, "winter to summer"))
        item = self.o.json("maint", "list")[0]
        self.assertEqual((item["last_done_date"], item["due_date"]), ("2024-04-01", "2025-04-01"))
        # A service record of its own (imported history, 'service add') is listed and edited
        # the same way.
        own = self.o.json("service", "add", "--description", "wiper blades", "--cost", "25",
                          "--date", "2024-02-01")
        self.o.ok("service", "edit", own["id"], "--cost", "27.50")
        costs = {s["description"]: s["cost"] for s in self.o.json("service", "list")}
        self.assertEqual(costs, {"tyres": "400.00", "wiper blades": "27.50"})
        self.o.fails(2, "service", "edit", own["id"], "--description", "", says="description")

    def test_a_document_is_edited_removed_and_restored(self):
        r = self.o.json("renewal", "add", "--kind", "insurance", "--from", "2024-01-01",
                        "--until", "2024-12-31", "--cost", "300", "--number", "POL-1")
        got = self.o.json("renewal", "edit", self.short(r["id"]), "--until", "2025-01-31",
                          "--number", "", "--issuer", "Acme")
        self.assertEqual((got["valid_until"], got["document_number"], got["issuer"]),
                         ("2025-01-31", None, "Acme"))
        self.o.fails(2, "renewal", "edit", r["id"], "--until", "2023-12-31", says="expires before")
        self.o.ok("renewal", "rm", r["id"])
        self.assertEqual(self.o.json("renewal", "list"), [])
        self.o.ok("renewal", "restore", r["id"])
        self.assertEqual([x["id"] for x in self.o.json("renewal", "list")], [r["id"]])
        self.assertIn("deleted_at", self.outbox("renewals", r["id"]))

    def test_restoring_what_is_not_deleted_or_not_there_exits_3(self):
        f = self.o.json("fuel", "add", "--odometer", "1000", "--volume", "40")
        self.o.fails(3, "fuel", "restore", "deadbeef")
        self.o.fails(3, "odo", "restore", "deadbeef")
        self.o.fails(3, "service", "restore", "deadbeef")
        self.o.fails(3, "renewal", "restore", "deadbeef")
        self.o.fails(3, "maint", "restore", "oil_change")
        self.o.fails(3, "fuel", "restore", f["id"], says="no deleted fuel log")


if __name__ == "__main__":
    unittest.main()
