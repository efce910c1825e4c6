"""A serial barcode scanner for the UI tests: opens a pseudo-terminal, prints the path of its
device end (odologd opens it with --scanner PATH --scanner-type tty), then writes each line it
reads on stdin to the scanner's end at once, ended by a carriage return as scanners send.
Standard library only; ends when stdin closes."""
import os
import pty
import sys

master, slave = pty.openpty()
print(os.ttyname(slave), flush=True)
pending = b""
while True:
    chunk = os.read(0, 4096)  # unbuffered: a scan goes out as soon as it is written
    if not chunk:
        break
    pending += chunk
    while b"\n" in pending:
        line, pending = pending.split(b"\n", 1)
        os.write(master, line.strip() + b"\r")
os.close(master)
os.close(slave)
