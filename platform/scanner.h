/*
 * Handheld barcode scanners as Linux sees them: a keyboard (an evdev device under
 * /dev/input, sending key presses), a serial port (a tty, sending characters), or any byte
 * stream (stdin, a pipe). A scanner's reader assembles what arrives into scans: text ended by
 * Enter, a carriage return, a line feed or a tab, as scanners are configured to send. It never
 * blocks when asked to read what is there; the caller polls odo_scanner_fd().
 */
#ifndef ODO_PLATFORM_SCANNER_H
#define ODO_PLATFORM_SCANNER_H

#include <stdbool.h>
#include <stddef.h>

#include "platform/error.h"

#define ODO_SCAN_MAX 128 /* characters of one scan; a longer one is reported as too long */

enum odo_scanner_kind {
    ODO_SCANNER_AUTO,   /* evdev for /dev/input/event*, tty for a terminal, else a stream */
    ODO_SCANNER_EVDEV,  /* Linux input events (struct input_event) */
    ODO_SCANNER_TTY,    /* a serial port: raw mode, the given speed */
    ODO_SCANNER_STREAM, /* bytes as they come (stdin, a pipe, a file) */
};

struct odo_scanner_options {
    enum odo_scanner_kind kind;
    int baud;  /* tty: 1200..230400; 0: 9600 */
    bool grab; /* evdev: take the device for ourselves (keys reach no other program) */
};

struct odo_scanner;

/* Opens path ("-" is stdin). ODO_EIO with a sentence when it cannot be opened or set up. */
int odo_scanner_open(const char *path, const struct odo_scanner_options *opt,
                     struct odo_scanner **out, struct odo_err *err) ODO_MUST_CHECK;
void odo_scanner_close(struct odo_scanner *s);

/* The descriptor to poll for input. */
int odo_scanner_fd(const struct odo_scanner *s);

/* What kind the scanner was opened as (AUTO resolved). */
enum odo_scanner_kind odo_scanner_kind(const struct odo_scanner *s);

/*
 * Reads what is available and calls fn for each complete scan, in order: text is the scan
 * (printable ASCII, at most ODO_SCAN_MAX characters; control characters dropped), too_long set
 * when more arrived before the terminator (the text is then cut). Empty scans are skipped.
 * fn returning non-zero stops and that value is returned. Returns 0 when more may come, 1 at
 * the end of the input (a partial scan left is delivered first), or ODO_EIO.
 */
int odo_scanner_read(struct odo_scanner *s, int (*fn)(const char *text, bool too_long, void *ctx),
                     void *ctx, struct odo_err *err) ODO_MUST_CHECK;

#endif
