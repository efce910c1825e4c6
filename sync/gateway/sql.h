/*
 * Inside the gateway's apply (push.c, pull.c, purge.c): running a statement and checking it,
 * staging a pushed group with COPY (stage.c), and reading a synced table's rows in their wire
 * form (sql.c). SQL is assembled only from the wire schema's constant table and column names and
 * from numbers; everything a device sent travels as COPY data or as bound parameters. Nothing
 * outside sync/gateway/ includes this header.
 */
#ifndef ODO_GATEWAY_SQL_H
#define ODO_GATEWAY_SQL_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "platform/error.h"
#include "sync/gateway/apply.h"
#include "sync/protocol/buf.h"
#include "sync/protocol/messages.h"

#define ODO_GW_SQL_MAX (256u << 10) /* bytes of one statement the gateway builds */

/* Runs a statement with text parameters and checks it; returns the result (the caller clears
 * it) or NULL with a sentence saying what was being done. */
PGresult *odo_gw_run(PGconn *c, const char *sql, int n, const char *const *params,
                     const char *doing, struct odo_err *err);

/* The same for a statement whose rows nobody reads: 0 or ODO_ESTORAGE. */
int odo_gw_run_ok(PGconn *c, const char *sql, int n, const char *const *params, const char *doing,
                  struct odo_err *err) ODO_MUST_CHECK;

/* An HLC no further ahead of the call's time than ODO_MAX_SKEW_MS; sets *clamped when it was. */
odo_hlc odo_gw_clamp(const struct odo_gw_call *call, odo_hlc h, bool *clamped);

/*
 * Stages group g of req as the temporary table s<k> (dropped at commit): per row its index in
 * the request (ord), id, base revision (br), row key (kr), each value as text (v<j>) with its own
 * key (k<j>), and h, the keys a new row starts with. A key is "HLC:device", the HLC clamped
 * (logged once). Rows a domain check refused are left out. sql is scratch space.
 */
int odo_gw_stage(const struct odo_gw_call *call, const struct odo_push_req *req,
                 const struct odo_push_group *g, int k, struct odo_buf *sql,
                 struct odo_err *err) ODO_MUST_CHECK;

/*
 * Appends the select list of t's full rows for a device of `schema` to sql: "SELECT id, rev,
 * then each column the device knows as text in its wire form, FROM t". cols[] receives the
 * column indexes (at most ODO_WIRE_COLS_MAX) and *ncols their count.
 */
void odo_gw_select_list(struct odo_buf *sql, const struct odo_wire_table *t, int schema, int *cols,
                        int *ncols);

/*
 * Row i of r (read with odo_gw_select_list's columns) as the wire sees it: its id and revision,
 * and vals[] (ncols of them) pointing into r, which must outlive them.
 */
void odo_gw_row_vals(const struct odo_wire_table *t, const int *cols, int ncols, PGresult *r, int i,
                     const char **id, int64_t *rev, struct odo_val *vals);

#endif
