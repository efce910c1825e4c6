/*
 * Inside the gateway's push (push.c, natural.c, merge.c): the state of one batch being applied and
 * the steps that merge one staged group. Each step works on the stage table s<k> of the group
 * being merged, or on one row of it (row by row, after a rule broke the set-wise merge), and
 * records per pushed row its revision or its refusal, the rows to send back as winners and the
 * re-keys. Nothing outside sync/gateway/ includes this header.
 */
#ifndef ODO_GATEWAY_MERGE_H
#define ODO_GATEWAY_MERGE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "sync/gateway/apply.h"
#include "sync/protocol/buf.h"
#include "sync/protocol/messages.h"

struct odo_gw_result {
    int64_t rev;
    char reason[ODO_REASON_MAX]; /* "" unless refused */
};

struct odo_gw_row_ref {
    const struct odo_wire_table *table;
    char id[ODO_UUID_TEXT_LEN + 1];
};

struct odo_gw_rekey {
    const struct odo_wire_table *table;
    char from[ODO_UUID_TEXT_LEN + 1], to[ODO_UUID_TEXT_LEN + 1];
};

#define ODO_GW_SQLSTATE_LEN 5

struct odo_gw_push_state {
    const struct odo_gw_call *call;
    const struct odo_push_req *req;
    struct odo_gw_result *results; /* one per pushed row, in the request's order */
    struct odo_gw_row_ref *winners;
    size_t nwinners, capwinners;
    struct odo_gw_rekey *rekeys;
    size_t nrekeys, caprekeys;
    struct odo_err *err;
    /* the group being merged */
    const struct odo_push_group *g;
    int k;        /* its stage table is s<k> */
    int64_t only; /* row by row: the stage row (its ord) being merged; -1: every row */
    /* A change into a key another live row holds is put off (ODO_EEXIST, *deferred set)
     * rather than refused: a row later in the batch may free the key. */
    bool defer_keys, deferred;
    /* the last statement that failed: its SQLSTATE and the constraint it broke, if any */
    char sqlstate[ODO_GW_SQLSTATE_LEN + 1];
    char constraint[64];
};

/* Runs a statement of the merge with n parameters: params, or when NULL the user ($1) and the
 * device ($2). The result (the caller clears it), or NULL with ps->sqlstate and ps->constraint
 * saying why (push.c). */
PGresult *odo_gw_ps_run(struct odo_gw_push_state *ps, const char *sql, int n,
                        const char *const *params, const char *doing);
int odo_gw_ps_run_ok(struct odo_gw_push_state *ps, const char *sql, int n,
                     const char *const *params, const char *doing) ODO_MUST_CHECK;

/* Stage column v<j> of the stage row `alias` as column c's stored type. */
void odo_gw_ps_cast(struct odo_buf *sql, const struct odo_wire_col *c, const char *alias, int j);

/* Appends " AND <alias>.ord = N" when merging row by row. */
void odo_gw_ps_only(const struct odo_gw_push_state *ps, struct odo_buf *sql, const char *alias);

/* The index of a named column within the group being merged, or -1. */
int odo_gw_ps_col(const struct odo_gw_push_state *ps, const char *name);

/* Refuses pushed row ord with reason (the first reason given stays) and sends the row back as
 * it stands centrally, if the user has it. */
int odo_gw_ps_refuse(struct odo_gw_push_state *ps, size_t ord, const char *id,
                     const char *reason) ODO_MUST_CHECK;
int odo_gw_ps_winner(struct odo_gw_push_state *ps, const struct odo_wire_table *t,
                     const char *id) ODO_MUST_CHECK;
int odo_gw_ps_rekey(struct odo_gw_push_state *ps, const struct odo_wire_table *t, const char *from,
                    const char *to) ODO_MUST_CHECK;

/* ---- natural keys (natural.c) ---------------------------------------------------------- */

/* Re-points what names an alias (a vehicle_id, a maintenance_id, the row itself) to its
 * canonical row; a row pushed under an alias id is re-keyed for the device. *twice is set when
 * a row now appears twice in the stage (it was pushed under both ids). */
int odo_gw_keys_rewrite(struct odo_gw_push_state *ps, struct odo_buf *sql,
                        bool *twice) ODO_MUST_CHECK;

/* A new row whose natural key a live row of the user holds (the same VIN; the same type on the
 * vehicle) becomes an alias of that row: the device re-keys and gets the canonical row. */
int odo_gw_keys_alias_new(struct odo_gw_push_state *ps, struct odo_buf *sql) ODO_MUST_CHECK;

/* An edit or undelete that would give a live row a natural key another live row holds is
 * refused ("vin already registered", "maintenance item already exists"), or with
 * ps->defer_keys put off: ODO_EEXIST and ps->deferred. */
int odo_gw_keys_check(struct odo_gw_push_state *ps, struct odo_buf *sql) ODO_MUST_CHECK;

/* Whether the last failure broke the unique index of a natural key. */
bool odo_gw_keys_broken(const struct odo_gw_push_state *ps);

/* The refusal for a row whose merge broke ps->constraint (row by row). */
void odo_gw_keys_reason(const struct odo_gw_push_state *ps, char out[ODO_REASON_MAX]);

/* ---- merging (merge.c) ----------------------------------------------------------------- */

/* Checks and merges the staged rows: refusals (forbidden, unknown parent, unknown row), new rows
 * inserted, columns and merge groups by last writer wins, a revision per changed row. */
int odo_gw_merge(struct odo_gw_push_state *ps, struct odo_buf *sql) ODO_MUST_CHECK;

/* Derived values after the merge: a fill-up's total where volume × unit price no longer gives
 * it (the rows changed go back to the device as winners). */
int odo_gw_merge_derive(struct odo_gw_push_state *ps, struct odo_buf *sql) ODO_MUST_CHECK;

#endif
