"""A serial barcode scanner for the UI tests: opens a pseudo-terminal, prints the path of its
device end (odologd opens it with --scanner PATH --scanner-type tty), then writes each line it
reads on stdin to the scanner's end, ended by a carriage return as scanners send. Standard
library only; ends when stdin closes."""
import os
import pty
import sys

master, slave = pty.openpty()
print(os.ttyname(slave), flush=True)
for line in sys.stdin:
    os.write(master, line.strip().encode("ascii", "replace") + b"\r")
os.close(master)
os.close(slave)
