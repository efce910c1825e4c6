/*
 * The head unit's touch UI: server-rendered pages over HTTP (libmicrohttpd) for drivers (a
 * fill-up in seconds, the odometer, what is due, history, stats, documents, sync state) and
 * technicians (VIN entry, live scans, registration). It opens its own connection to the store
 * and calls the storage functions the command line calls, so one set of rules holds everywhere.
 *
 * The UI has no thread of its own: the caller runs it from an event loop (poll odo_ui_fd() for
 * input, sleep at most odo_ui_timeout_ms(), then call odo_ui_run()) in a thread that does
 * nothing that waits on the network, and feeds it the scans of a barcode scanner with
 * odo_ui_scan() from that same thread. Every function here belongs to that one thread, but
 * odo_ui_open and odo_ui_close, which may run in another before and after it.
 */
#ifndef ODO_FIRMWARE_UI_H
#define ODO_FIRMWARE_UI_H

#include <stdbool.h>

#include "platform/error.h"
#include "platform/log.h"

/* The default address: loopback only. Another needs a pairing code. */
#define ODO_UI_LISTEN_DEFAULT "127.0.0.1"
/* A pairing code's shortest length. */
#define ODO_UI_PAIRING_MIN 8

struct odo_ui_options {
    const char *db_path;      /* the device database (the UI opens its own connection) */
    const char *vpic_path;    /* the vPIC database for offline VIN decoding; NULL: none */
    const char *listen;       /* an IPv4 or IPv6 address; NULL: ODO_UI_LISTEN_DEFAULT */
    int port;                 /* 1..65535 */
    const char *pairing_code; /* required when listen is not a loopback address */
    bool scanner; /* a barcode scanner feeds odo_ui_scan (the technician page says so) */
    const struct odo_log *log;
};

struct odo_ui;

/* Checks the address, the port and the pairing code of opt as odo_ui_open will, before anything
 * is opened: 0, or ODO_EINVAL with a sentence (for a usage message). */
int odo_ui_check(const struct odo_ui_options *opt, struct odo_err *err) ODO_MUST_CHECK;

/*
 * Opens the store at opt->db_path and listens on opt->listen:opt->port. Everything in opt is
 * borrowed and must outlive the UI. Errors, with a sentence in err: ODO_EINVAL (a bad address,
 * a port out of range, a non-loopback address without a pairing code of at least
 * ODO_UI_PAIRING_MIN characters), ODO_ENET (the address cannot be bound: in use, or not this
 * machine's), the store's errors.
 */
int odo_ui_open(const struct odo_ui_options *opt, struct odo_ui **out,
                struct odo_err *err) ODO_MUST_CHECK;

/* Stops listening, ends every open request and closes the store. NULL is fine. */
void odo_ui_close(struct odo_ui *ui);

/* The descriptor to poll for input (POLLIN). */
int odo_ui_fd(const struct odo_ui *ui);

/* How long the loop may sleep before odo_ui_run must be called, in ms (at most one second). */
int odo_ui_timeout_ms(struct odo_ui *ui);

/* Handles what is ready: requests, answers, waiting pages whose time has come. */
void odo_ui_run(struct odo_ui *ui);

/* One scan from a barcode scanner: decoded offline and shown to the technician pages that are
 * open, which register it when a technician confirms. Nothing is stored here. */
void odo_ui_scan(struct odo_ui *ui, const char *text, bool too_long);

/* The address the UI answers on, "http://127.0.0.1:8080/", into out. */
void odo_ui_address(const struct odo_ui *ui, char *out, size_t cap);

#endif
