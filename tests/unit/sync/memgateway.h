/*
 * A gateway in the test process, for the sync engine's unit tests: a transport (its struct
 * starts with struct odo_transport, its table of functions is the transport interface of
 * sync/client/transport_impl.h) that decodes each request with the protocol module and answers
 * from a few rows in memory and a revision counter, the way docs/protocol.md says the gateway
 * does: exactly-once batches, per-change refusals, aliases, rows that keep their version
 * (winners), pages after a cursor without the device's own echo, and reconcile after a purge.
 * A test sets what it should do wrong (be unreachable, lose an answer, refuse with an error)
 * and reads what it saw. No SQL and no network.
 */
#ifndef ODO_TESTS_MEMGATEWAY_H
#define ODO_TESTS_MEMGATEWAY_H

#include "sync/client/transport_impl.h"
#include "sync/protocol/messages.h"

#define GW_ROWS   (ODO_PUSH_ROWS_MAX + 64) /* rows the gateway holds, at most */
#define GW_TEXT   64                       /* bytes of one text value it keeps */
#define GW_PUSHES 16                       /* push bodies it keeps for a test to compare */

struct store_fixture;

struct gw_row {
    const struct odo_wire_table *t;
    char id[ODO_UUID_TEXT_LEN + 1];
    int64_t rev;
    char origin[ODO_UUID_TEXT_LEN + 1]; /* the device whose push made this version, or "" */
    bool keeps_its_version;             /* a push of it loses every column */
    bool purged;                        /* its tombstone is gone: not served, not live */
    struct odo_val vals[ODO_WIRE_COLS_MAX];
    char text[ODO_WIRE_COLS_MAX][GW_TEXT];
};

struct gateway {
    struct odo_transport base;    /* first: the engine holds a pointer to it */
    struct store_fixture *device; /* whose outbox it looks at */
    const char *token;            /* the one it accepts */
    struct gw_row rows[GW_ROWS];
    int nrows;
    int64_t rev;       /* the global revision counter */
    odo_hlc hlc;       /* its clock, sent in every answer */
    int64_t watermark; /* purge watermark: a device behind it must reconcile */
    /* exactly once: the last applied batch and its answer */
    int64_t last_batch;
    char *last_answer;
    /* behaviour */
    bool down;             /* every request fails as if the network were gone */
    bool lose_next_answer; /* the next push is applied and its answer lost */
    int fail_count;        /* the next fail_count requests are answered with fail_with */
    enum odo_pe fail_with;
    const char *refuse_id, *refuse_reason;
    const char *alias_id, *canonical_id; /* a pushed vehicle alias_id is made an alias */
    /* what it saw */
    int requests, pushes, pulls, applied, replays;
    char *push_body[GW_PUSHES];
    int64_t push_batch[GW_PUSHES];
    size_t push_rows[GW_PUSHES];
    int64_t outbox_during_push[GW_PUSHES]; /* the device's outbox as another process saw it */
    int64_t pull_since[GW_PUSHES], pull_acked, pull_swept;
    char after_key[96];
};

/* A gateway that accepts token and looks at device's store; freed with gw_free. Its clock
 * reads the device's wall clock until a test moves it. */
struct gateway *gw_open(struct store_fixture *device, const char *token);
void gw_free(struct gateway *gw);

/* Row id of t, or NULL. */
struct gw_row *gw_find(struct gateway *gw, const struct odo_wire_table *t, const char *id);
/* Sets column col of r (text NULL: SQL NULL); the revision stays. */
void gw_set(struct gw_row *r, const char *col, const struct odo_val *v);
void gw_set_text(struct gw_row *r, const char *col, const char *text);
/* A live vehicle written centrally (by another device) at the next revision; vin may be NULL. */
struct gw_row *gw_vehicle(struct gateway *gw, const char *id, const char *name, const char *vin);
/* Another device changed r: it takes the next revision. */
void gw_touch(struct gateway *gw, struct gw_row *r);

#endif
