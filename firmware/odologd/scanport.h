/*
 * odologd's barcode scanner: kept open by whichever loop owns it (the main loop, or the touch
 * UI's thread when the UI shows the scans), looked for again every SCANPORT_RETRY_MS while it
 * is unplugged, and read when it has input; each scan goes to on_scan.
 */
#ifndef ODO_ODOLOGD_SCANPORT_H
#define ODO_ODOLOGD_SCANPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/log.h"
#include "platform/scanner.h"

/* How long an unplugged scanner waits before it is looked for again (the usage says 5 s). */
#define SCANPORT_RETRY_MS 5000

struct scanport {
    const char *path; /* NULL: no scanner; every call is then a no-op */
    struct odo_scanner_options opt;
    const struct odo_log *log;
    const char *owner; /* who the scans are for, in the log: "alice", "the technician page" */
    int (*on_scan)(const char *text, bool too_long, void *ctx);
    void *ctx;
    struct odo_scanner *scanner;
    int64_t retry; /* monotonic ms: when to look again; 0 at first */
};

/* Opens the scanner when it is not open and its retry time has come; logs what happened. */
void scanport_attach(struct scanport *p);

/* The descriptor to poll, or -1 while the scanner is not open. */
int scanport_fd(const struct scanport *p);

/* How long the loop may sleep before scanport_attach wants to run, in ms from now (INT64_MAX
 * when the scanner is open or none is configured). */
int64_t scanport_wait_ms(const struct scanport *p);

/* Reads what arrived and hands each scan to on_scan; a scanner that went away is closed and
 * looked for again. */
void scanport_read(struct scanport *p);

/* Closes the scanner (if open). */
void scanport_close(struct scanport *p);

#endif
