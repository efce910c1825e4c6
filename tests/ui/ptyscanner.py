"""A serial barcode scanner for the UI tests: opens a pseudo-terminal, prints the path of its
device end (odologd opens it with --scanner PATH --scanner-type tty), then writes each line it
reads on stdin to the scanner's end at once, ended by a carriage return as scanners send.
Standard library only; ends when stdin closes."""
import os
import pty
import sys

# The kernel hands out the lowest free pty number, and a scanner test that ran just before may
# have left a daemon looking every 5 s for the pty it had (/dev/pts/N, gone and now free): held
# here, the lowest free numbers go to spares that such a daemon may open harmlessly.
spares = [pty.openpty() for _ in range(3)]
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
