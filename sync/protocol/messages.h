/*
 * Sync protocol version 1: the messages, their encoding and their strict decoding. Both ends use
 * this module; docs/protocol.md describes the same thing for other implementations.
 *
 * Rows travel in groups that share a column list:
 *   {"t": "fuel_logs", "cols": ["vehicle_id", "odometer", ...], "rows": [[...], ...]}
 * A pushed row is [id, base_rev, hlc, value...]; a pulled (or winning) row is [id, rev, value...].
 * A value is null, an integer (ODO_W_INT, ODO_W_BOOL, and ODO_W_TIME as milliseconds since
 * 1970) or a string (everything else); in a push a value may be {"h": hlc, "v": value} when that
 * column's last change has its own HLC.
 *
 * Decoders parse with cJSON, then check every field: unknown fields, wrong types, bad formats,
 * nesting deeper than the format has, and sizes over the documented limits are refused whole
 * (ODO_EPROTO / ODO_ETOOBIG, with a sentence). Values that are well-formed but outside their
 * column's domain (a negative volume, an unknown enum value, a text too long) do not fail the
 * request: that row carries a refusal reason instead, so one bad change is refused alone.
 * Decoded strings point into the parsed document, which the message owns until it is freed.
 *
 * Every message is written and read by the same module: push.c (the push and its answer),
 * pull.c (the pull, its pages, the order to reconcile and reconcile pages), vin.c (VIN decode),
 * status.c (error bodies, health), over rows.c (values and row groups) and json.c (reading and
 * writing JSON fields), which sync/protocol/internal.h shares among them.
 */
#ifndef ODO_SYNC_MESSAGES_H
#define ODO_SYNC_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/clock.h"
#include "platform/error.h"
#include "platform/uuid.h"
#include "sync/protocol/buf.h"
#include "sync/protocol/schema.h"

/* Documented limits (docs/protocol.md). */
#define ODO_PUSH_BODY_MAX      (4u << 20)  /* bytes of a push request */
#define ODO_SMALL_BODY_MAX     (16u << 10) /* bytes of any other request */
#define ODO_ANSWER_BODY_MAX    (8u << 20)  /* bytes of an answer a device accepts */
#define ODO_PUSH_ROWS_MAX      2000
#define ODO_GROUPS_MAX         64
#define ODO_PULL_LIMIT_MAX     5000
#define ODO_PULL_LIMIT_DEFAULT 1000
#define ODO_TOKEN_MAX          4096
#define ODO_REASON_MAX         120
#define ODO_TABLE_NAME_MAX     40 /* bytes of a table name in a group */
#define ODO_RECONCILE_KEY_MAX  80 /* bytes of a reconcile key, "table/id" */

enum odo_val_kind { ODO_VAL_NULL, ODO_VAL_INT, ODO_VAL_STR };

struct odo_val {
    enum odo_val_kind kind;
    int64_t i;     /* ODO_VAL_INT */
    const char *s; /* ODO_VAL_STR, borrowed */
    odo_hlc hlc;   /* push only: this column's own HLC, 0 when it is the row's */
};

/* Protocol errors, each with one HTTP status and one CoAP code (docs/protocol.md). */
enum odo_pe {
    ODO_PE_BAD_REQUEST,
    ODO_PE_UNAUTHORIZED,
    ODO_PE_FORBIDDEN,
    ODO_PE_NOT_FOUND,
    ODO_PE_METHOD,
    ODO_PE_CONFLICT,
    ODO_PE_TOO_LARGE,
    ODO_PE_MEDIA,
    ODO_PE_UPGRADE,
    ODO_PE_THROTTLED,
    ODO_PE_INTERNAL,
    ODO_PE_UNAVAILABLE,
};

const char *odo_pe_name(enum odo_pe e);
int odo_pe_http(enum odo_pe e);
/* The CoAP response code as class * 100 + detail (404 is 4.04). */
int odo_pe_coap(enum odo_pe e);
/* The error for a name in an error body; ODO_PE_INTERNAL when unknown. */
enum odo_pe odo_pe_parse(const char *name);

#define ODO_RETRY_AFTER_MAX 86400 /* seconds: the longest wait an error body may ask for */

/* {"error": name, "message": text, "retry_after": seconds}; retry_after_s 0 leaves the field
 * out (it is there with too_many_requests and unavailable). */
void odo_error_encode(struct odo_buf *b, enum odo_pe e, const char *message, int retry_after_s);
/*
 * Reads an error body; returns 0 and fills e and msg (a copy, at most cap bytes) and, when not
 * NULL, *retry_after_s (0 when the body names no wait, as older gateways' do). Fields it does not
 * know are ignored: an error must reach the person even from a newer gateway.
 */
int odo_error_decode(const char *body, size_t len, enum odo_pe *e, char *msg, size_t cap,
                     int *retry_after_s);

/* The answer to GET /health: {"status": "ok" | "degraded", "database": "ok" | "unreachable",
 * "protocol": 1, "schema": [oldest served, newest]}. */
void odo_health_encode(struct odo_buf *b, bool database_ok, int schema_min, int schema_max);

/* ---- push ---------------------------------------------------------------------------- */

struct odo_push_row {
    const char *id;
    int64_t base_rev;
    odo_hlc hlc;
    struct odo_val *vals;         /* the group's columns, in order */
    char refused[ODO_REASON_MAX]; /* "" or why this row alone is refused (a domain check) */
};

struct odo_push_group {
    const struct odo_wire_table *table;
    int ncols;
    int cols[ODO_WIRE_COLS_MAX]; /* indexes into table->cols */
    size_t nrows;
    struct odo_push_row *rows;
    size_t first; /* index of the first row in the request's flat order */
};

struct odo_push_req {
    int v;
    char device[ODO_UUID_TEXT_LEN + 1];
    int64_t batch;
    int schema;
    const char *token; /* NULL when absent (HTTP may carry it in a header) */
    odo_hlc hlc;       /* the device's clock when it sent the batch */
    size_t ngroups, nrows;
    struct odo_push_group *groups;
    void *doc; /* the parsed cJSON document */
};

/* Decodes and checks a push request. On error nothing is allocated. */
int odo_push_decode(const char *body, size_t len, struct odo_push_req *out,
                    struct odo_err *err) ODO_MUST_CHECK;
void odo_push_free(struct odo_push_req *r);

/*
 * Where a writer stands in an array of groups ({"t": ..., "rows": [...]}, ...): the buffer, the
 * groups it began and the items of the open one. Each writer below keeps one; its fields are
 * the writer's own.
 */
struct odo_groups_out {
    struct odo_buf *b;
    size_t groups, items;
};

/* Writing a push request, row by row, into a capped buffer. */
struct odo_push_writer {
    struct odo_groups_out out;
};
void odo_push_write_begin(struct odo_push_writer *w, struct odo_buf *b, const char *device,
                          int64_t batch, int schema, const char *token, odo_hlc hlc);
void odo_push_write_group(struct odo_push_writer *w, const struct odo_wire_table *t,
                          const int *cols, int ncols);
void odo_push_write_row(struct odo_push_writer *w, const char *id, int64_t base_rev, odo_hlc hlc,
                        const struct odo_val *vals, int ncols);
void odo_push_write_end(struct odo_push_writer *w);

/* ---- rows (pull answers and push winners) ------------------------------------------- */

struct odo_row {
    const char *id;
    int64_t rev;
    struct odo_val *vals;
};

struct odo_row_group {
    const struct odo_wire_table *table;
    int ncols;
    int cols[ODO_WIRE_COLS_MAX];
    size_t nrows;
    struct odo_row *rows;
};

/* ---- push answer -------------------------------------------------------------------- */

struct odo_push_result {
    int64_t rev;         /* the row's revision after the change; 0 when refused */
    const char *refused; /* the reason, when refused */
};

struct odo_rekey {
    const struct odo_wire_table *table;
    const char *from, *to;
};

struct odo_push_ans {
    int64_t batch;
    odo_hlc hlc;
    size_t nresults;
    struct odo_push_result *results; /* one per pushed row, in the request's order */
    size_t nwinners;
    struct odo_row_group *winners; /* full rows where the device lost a column */
    size_t nrekey;
    struct odo_rekey *rekey;
    void *doc;
};

int odo_push_ans_decode(const char *body, size_t len, struct odo_push_ans *out,
                        struct odo_err *err) ODO_MUST_CHECK;
void odo_push_ans_free(struct odo_push_ans *a);

/*
 * Writing a push answer into a capped buffer, in the order of the document: begin; one revision
 * per pushed row, in the request's order (0 for a refused row; consecutive revisions fold into
 * runs); the refusals; the winning rows, group by group; the re-keys; end. Calling a later part
 * closes the earlier ones, and a part never called is written empty. Rows are streamed: nothing
 * is held but the run being folded. Overflow shows in b->overflow.
 */
struct odo_push_ans_writer {
    struct odo_groups_out out;
    int part;          /* the part being written: revs, refused, winners, rekey */
    int64_t run_first; /* the run of revisions not written yet */
    size_t run_count;
};
void odo_push_ans_write_begin(struct odo_push_ans_writer *w, struct odo_buf *b, int64_t batch,
                              odo_hlc hlc);
void odo_push_ans_write_rev(struct odo_push_ans_writer *w, int64_t rev);
void odo_push_ans_write_refused(struct odo_push_ans_writer *w, size_t index, const char *reason);
/* Begins a group of winning rows of t with columns cols (indexes into t->cols). */
void odo_push_ans_write_winners(struct odo_push_ans_writer *w, const struct odo_wire_table *t,
                                const int *cols, int ncols);
void odo_push_ans_write_winner(struct odo_push_ans_writer *w, const char *id, int64_t rev,
                               const struct odo_val *vals, int ncols);
void odo_push_ans_write_rekey(struct odo_push_ans_writer *w, const struct odo_wire_table *t,
                              const char *from, const char *to);
void odo_push_ans_write_end(struct odo_push_ans_writer *w);

/* ---- pull --------------------------------------------------------------------------- */

struct odo_pull_req {
    int v;
    char device[ODO_UUID_TEXT_LEN + 1];
    int schema;
    const char *token;
    int64_t since;
    int limit;
    int64_t swept;     /* the watermark the device has reconciled against (0: none) */
    int64_t acked;     /* the highest revision its own push answers gave it (0: none) */
    bool reconcile;    /* a reconcile page is asked for */
    const char *after; /* reconcile: continue after "table/id" ("" = from the start) */
    void *doc;
};

int odo_pull_decode(const char *body, size_t len, struct odo_pull_req *out,
                    struct odo_err *err) ODO_MUST_CHECK;
void odo_pull_free(struct odo_pull_req *r);
void odo_pull_encode(struct odo_buf *b, const struct odo_pull_req *r);

/* A pull answer: a page of rows, or the order to reconcile, or a reconcile page. */
struct odo_pull_ans {
    odo_hlc hlc;
    int64_t cursor;
    bool more;
    size_t ngroups;
    struct odo_row_group *groups;
    int64_t reconcile_required; /* > 0: the purge watermark; the device must reconcile */
    /* a reconcile page: */
    bool is_reconcile;
    size_t nlive;
    struct {
        const struct odo_wire_table *table;
        size_t nids;
        const char **ids;
    } * live;
    const char *next; /* NULL at the last page */
    void *doc;
};

int odo_pull_ans_decode(const char *body, size_t len, struct odo_pull_ans *out,
                        struct odo_err *err) ODO_MUST_CHECK;
void odo_pull_ans_free(struct odo_pull_ans *a);

/*
 * Writing a page of rows into a capped buffer: begin with the gateway's clock, then groups of
 * full rows (a table may come back in a later group), then the cursor and whether more follows.
 * Rows are streamed. Overflow shows in b->overflow.
 */
struct odo_pull_page_writer {
    struct odo_groups_out out;
};
void odo_pull_page_write_begin(struct odo_pull_page_writer *w, struct odo_buf *b, odo_hlc hlc);
/* Begins a group of rows of t with columns cols (indexes into t->cols). */
void odo_pull_page_write_group(struct odo_pull_page_writer *w, const struct odo_wire_table *t,
                               const int *cols, int ncols);
void odo_pull_page_write_row(struct odo_pull_page_writer *w, const char *id, int64_t rev,
                             const struct odo_val *vals, int ncols);
void odo_pull_page_write_end(struct odo_pull_page_writer *w, int64_t cursor, bool more);

/* The order to reconcile first: {"v", "hlc", "reconcile_required": watermark}. */
void odo_reconcile_required_encode(struct odo_buf *b, odo_hlc hlc, int64_t watermark);

/*
 * Writing a reconcile page: begin, then for each table the ids of live rows, then `next`, the
 * key to continue after ("table/id"), or NULL on the last page.
 */
struct odo_reconcile_writer {
    struct odo_groups_out out;
};
void odo_reconcile_write_begin(struct odo_reconcile_writer *w, struct odo_buf *b, odo_hlc hlc);
void odo_reconcile_write_table(struct odo_reconcile_writer *w, const struct odo_wire_table *t);
void odo_reconcile_write_id(struct odo_reconcile_writer *w, const char *id);
void odo_reconcile_write_end(struct odo_reconcile_writer *w, const char *next);

/* ---- VIN decode (/v1/vin/{vin}) ----------------------------------------------------- */

#define ODO_VIN_FIELDS_MAX 48
#define ODO_VIN_VALUE_MAX  127 /* bytes of one decoded value */
#define ODO_VIN_ERRORS_MAX 8   /* vPIC error codes in one answer */

/*
 * A request body (POST; a GET carries nothing and authenticates at the transport):
 *   {"v": 1, "device": id, "token": jwt}
 * The answer:
 *   {"v": 1, "vin": vin, "source": "vpic", "model_year": 2022 | null,
 *    "fields": {"make": "Honda", ...}, "errors": [0], "error_text": "0 - VIN decoded clean"}
 * `fields` is a map of decoded values (strings); a reader keeps the names it knows and skips
 * the others, so a gateway may add fields without breaking older devices.
 */
struct odo_vin_req {
    char device[ODO_UUID_TEXT_LEN + 1];
    const char *token;
    void *doc;
};

struct odo_vin_answer {
    char vin[18];
    char source[12];
    int model_year; /* 0: unknown */
    size_t nfields;
    const char *names[ODO_VIN_FIELDS_MAX], *values[ODO_VIN_FIELDS_MAX];
    int errors[ODO_VIN_ERRORS_MAX];
    size_t nerrors;
    const char *error_text;
    void *doc; /* decoding only */
};

int odo_vin_req_decode(const char *body, size_t len, struct odo_vin_req *out,
                       struct odo_err *err) ODO_MUST_CHECK;
void odo_vin_req_free(struct odo_vin_req *r);
void odo_vin_req_encode(struct odo_buf *b, const char *device, const char *token);

void odo_vin_answer_encode(struct odo_buf *b, const struct odo_vin_answer *a);
int odo_vin_answer_decode(const char *body, size_t len, struct odo_vin_answer *out,
                          struct odo_err *err) ODO_MUST_CHECK;
void odo_vin_answer_free(struct odo_vin_answer *a);

/* Value checks shared with the stores: 0 when s fits column c, else a refusal reason. */
const char *odo_val_check(const struct odo_wire_col *c, const struct odo_val *v);

#endif
