"""odolog scan: VINs from a handheld scanner on standard input, a serial scanner (a
pseudo-terminal stands in for the serial port), a keyboard-mode scanner (its Linux input events
recorded in a file), and from photos of VIN labels made here with zint, qrencode, dmtxwrite and
ImageMagick (turned, scaled, noisy, JPEG). Decoding uses the installed vPIC database
(ODO_VPIC_DB). Bad scans get a message, exit 2, and change nothing stored.
"""
import json
import os
import pty
import struct
import subprocess
import time
import unittest

from cli_harness import CRV, F150, ODOLOG, Odolog, need_vpic, odolog_env, scratch_dir, wait_for

ODYSSEY = "5FNRL38488B411196"
TAYCAN = "WP0AB2Y18LSA50759"
# ImageMagick's own convert: another program of that name may come first on PATH.
CONVERT = next((p for p in ("/usr/bin/convert-im6.q16", "/usr/bin/convert")
                if os.path.exists(p)), "convert")


class ScanTest(unittest.TestCase):
    def setUp(self):
        self.env = {"ODOLOG_VPIC": need_vpic()}
        self.dir = scratch_dir(self, "odolog-scan-")
        self.o = Odolog(self.dir)
        self.o.ok("init")

    def vins(self):
        return sorted(v["vin"] for v in self.o.json("vehicle", "list"))

    def lines(self, out):
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    # ---- scanners ----------------------------------------------------------------------

    def test_scans_on_standard_input_register_valid_vins_and_refuse_the_rest(self):
        scans = (f"{F150}\r\n*{CRV}*\n"      # Code 39 start/stop characters
                 "NOTAVIN\n"
                 "1HGCM82643A004352\n"          # a misread check digit
                 f" i{ODYSSEY.lower()}\t"       # the import marker, lower case, a tab
                 f"{F150}\n")                   # scanned again
        p = self.o.run("--json", "scan", "--register", stdin=scans, env=self.env)
        self.assertEqual(p.returncode, 2, p.stderr)
        got = self.lines(p.stdout)
        self.assertEqual([g["valid"] for g in got], [True, True, False, False, True, True])
        self.assertEqual([g.get("registered") for g in got], [True, True, None, None, True,
                                                              False])
        self.assertEqual(got[0]["vehicle"]["name"], "2024 Ford F-150")
        self.assertEqual(got[4]["vin"], ODYSSEY)
        self.assertEqual(got[4]["decoded"]["model"], "Odyssey")
        self.assertIn("'NOTAVIN': a VIN has 17 characters", p.stderr)
        self.assertIn("check digit", p.stderr)
        self.assertIn("nothing stored", p.stderr)
        self.assertEqual(self.vins(), sorted([F150, CRV, ODYSSEY]))

    def test_a_serial_scanner_on_a_tty_is_read_scan_by_scan_until_it_hangs_up(self):
        master, slave = pty.openpty()
        name = os.ttyname(slave)
        before = self.o.snapshot()
        proc = subprocess.Popen([ODOLOG, "--db", self.o.db, "--json", "scan", "--device", name,
                                 "--tty", "--baud", "9600", "--register"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=odolog_env(extra=self.env))
        os.close(slave)
        # Wait until odolog holds the port, as a scanner is plugged in before it scans.
        wait_for(lambda: any(os.path.realpath(os.path.join(f"/proc/{proc.pid}/fd", fd)) == name
                             for fd in os.listdir(f"/proc/{proc.pid}/fd")), 20, step=0.02)
        time.sleep(0.1)  # and has set the port up
        try:
            # A scanner sends each code with a carriage return, in pieces as the UART does.
            for chunk in (CRV[:7].encode(), CRV[7:].encode() + b"\r", b"GARBAGE\r",
                          TAYCAN.encode() + b"\r"):
                os.write(master, chunk)
                time.sleep(0.05)
            time.sleep(0.5)
        finally:
            os.close(master)  # the scanner is unplugged: odolog reads the end and stops
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 2, err)
        got = self.lines(out)
        self.assertEqual([(g["valid"], g.get("vin")) for g in got],
                         [(True, CRV), (False, None), (True, TAYCAN)])
        self.assertEqual(got[2]["decoded"]["make"], "Porsche")
        self.assertIn("GARBAGE", err)
        self.assertEqual(self.vins(), sorted([CRV, TAYCAN]))
        self.assertNotEqual(self.o.snapshot(), before)

    def test_a_keyboard_mode_scanner_is_read_from_its_input_events(self):
        # struct input_event on 64-bit Linux: a timeval, then type, code and value.
        keys = {c: k for k, c in enumerate("1234567890", start=2)}
        for row, first in (("QWERTYUIOP", 16), ("ASDFGHJKL", 30), ("ZXCVBNM", 44)):
            keys.update({c: first + i for i, c in enumerate(row)})
        ev = []

        def key(code, value):
            ev.append(struct.pack("qqHHi", 0, 0, 1, code, value))
            ev.append(struct.pack("qqHHi", 0, 0, 0, 0, 0))  # SYN_REPORT

        for vin in (F150, "BADSCAN"):
            for c in vin:
                if c.isalpha():
                    key(42, 1)  # left shift down: scanners type capitals
                key(keys[c], 1)
                key(keys[c], 0)
                if c.isalpha():
                    key(42, 0)
            key(28, 1)  # Enter
            key(28, 0)
        path = os.path.join(self.dir, "events")
        with open(path, "wb") as f:
            f.write(b"".join(ev))
        p = self.o.run("scan", "--device", path, "--evdev", "--register", env=self.env)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(f"{F150}  2024 Ford F-150", p.stdout)
        self.assertIn("registered as '2024 Ford F-150'", p.stdout)
        self.assertIn("'BADSCAN'", p.stderr)
        self.assertEqual(self.vins(), [F150])

    def test_once_stops_after_the_first_scan_and_a_missing_device_is_a_clear_error(self):
        p = self.o.run("scan", "--once", stdin=f"{CRV}\n{F150}\n", env=self.env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(CRV, p.stdout)
        self.assertNotIn(F150, p.stdout)
        self.o.fails(6, "scan", "--device", os.path.join(self.dir, "nodevice"),
                     says="cannot open scanner")
        self.o.fails(1, "scan", "stray", says="unexpected argument")
        self.o.fails(1, "scan", "--image", says="give the image files")

    # ---- images ------------------------------------------------------------------------

    def make(self, name, *cmd):
        path = os.path.join(self.dir, name)
        subprocess.run([c.replace("{out}", path) for c in cmd], check=True, timeout=60,
                       capture_output=True)
        return path

    def variant(self, src, name, *ops):
        path = os.path.join(self.dir, name)
        subprocess.run([CONVERT, src, "-background", "white", *ops, path], check=True,
                       timeout=60, capture_output=True)
        return path

    def test_vin_labels_in_photos_decode_in_every_symbology_turned_scaled_and_noisy(self):
        labels = {
            "code39": (CRV, self.make("c39.png", "zint", "-b", "8", "-d", CRV, "--scale=3",
                                      "-o", "{out}")),
            "code128": (ODYSSEY, self.make("c128.png", "zint", "-b", "20", "-d", ODYSSEY,
                                           "--scale=3", "-o", "{out}")),
            "qr": (TAYCAN, self.make("qr.png", "qrencode", "-s", "6", "-o", "{out}", TAYCAN)),
            "datamatrix": (F150, self.make("dm.png", "zint", "-b", "71", "-d", F150,
                                           "--scale=5", "-o", "{out}")),
        }
        # dmtxwrite, another Data Matrix writer, on standard input.
        dm2 = os.path.join(self.dir, "dm2.png")
        subprocess.run(["dmtxwrite", "-o", dm2], input=CRV.encode(), check=True, timeout=60)
        labels["dmtxwrite"] = (CRV, dm2)
        variants = {
            "as made": [],
            "turned 90": ["-rotate", "90"],
            "turned 27": ["-rotate", "27"],
            "turned 135": ["-rotate", "135"],
            "half size": ["-resize", "70%"],
            "twice the size": ["-resize", "200%"],
            "noisy jpeg": ["-resize", "150%", "-attenuate", "0.4", "+noise", "Gaussian",
                           "-quality", "70"],
            "turned, noisy jpeg": ["-rotate", "-17", "-attenuate", "0.3", "+noise", "Gaussian",
                                   "-quality", "80"],
        }
        for kind, (vin, src) in labels.items():
            for vname, ops in variants.items():
                with self.subTest(label=kind, variant=vname):
                    ext = "jpg" if "jpeg" in vname else "png"
                    img = self.variant(src, f"{kind}-{vname.replace(' ', '_')}.{ext}", *ops)
                    p = self.o.run("--json", "scan", "--image", img, env=self.env)
                    self.assertEqual(p.returncode, 0, p.stderr)
                    got = self.lines(p.stdout)
                    self.assertEqual(got[0]["vin"], vin)
                    self.assertEqual(got[0]["decoded"]["source"], "vpic")
        # zbarimg, a decoder we did not write, reads the same files.
        out = subprocess.run(["zbarimg", "-q", labels["code39"][1]], capture_output=True,
                             text=True, timeout=60)
        self.assertIn(CRV, out.stdout)

    def test_an_image_without_a_vin_registers_nothing_and_says_what_it_found(self):
        other = self.make("other.png", "zint", "-b", "20", "-d", "PART-4711", "--scale=3",
                          "-o", "{out}")
        blank = self.variant(other, "blank.png", "-fill", "white", "-colorize", "100")
        text = os.path.join(self.dir, "notes.png")
        with open(text, "w") as f:
            f.write("not an image\n")
        label = self.make("label.png", "qrencode", "-s", "6", "-o", "{out}", F150)
        before = self.o.snapshot()
        p = self.o.run("scan", "--register", "--image", other, blank, text, env=self.env)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no VIN barcode found in the image; found CODE-128 'PART-4711'", p.stderr)
        self.assertIn("blank.png': no VIN barcode found", p.stderr)
        self.assertIn("is not a PNG, JPEG or PGM image", p.stderr)
        self.assertEqual(self.o.snapshot(), before)
        p = self.o.run("scan", "--register", "--image", label, env=self.env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.vins(), [F150])


if __name__ == "__main__":
    unittest.main()
