/*
 * Serving pulls from PostgreSQL (apply.h): a page of rows in revision order across tables, read
 * from one snapshot; the order to reconcile for a device behind the purge watermark; and
 * reconcile pages of live ids. The answers are written by the protocol's writers, row by row.
 */
#include "sync/gateway/apply.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/gateway/pg.h"
#include "sync/gateway/sql.h"

#define NIL_UUID "00000000-0000-0000-0000-000000000000"

static int64_t watermark(PGconn *c, struct odo_err *err, int *rc)
{
    PGresult *r = odo_gw_run(c, "SELECT value::bigint FROM sync_meta WHERE key = 'purge_watermark'",
                             0, NULL, "reading the watermark", err);
    int64_t w = 0;

    *rc = r ? 0 : ODO_ESTORAGE;
    if (r && PQntuples(r) == 1)
        w = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return w;
}

/*
 * A reconcile page: the ids of the rows the gateway still holds, live or tombstones, table by
 * table, after `after`. A device drops the rows it had that are not listed (purged): a
 * tombstone still held stays listed, so a device keeps the parent of a row that arrives under
 * it later (a fill-up another device added to a deleted vehicle, or the fill-up's own
 * tombstone).
 */
static int reconcile_page(const struct odo_gw_call *call, const struct odo_pull_req *req,
                          struct odo_buf *ans, struct odo_err *err)
{
    size_t n, ti = 0;
    const struct odo_wire_table *tables = odo_wire_tables(&n);
    char after_id[ODO_UUID_TEXT_LEN + 1] = NIL_UUID, last[ODO_RECONCILE_KEY_MAX + 1] = "";
    struct odo_reconcile_writer w;
    int budget = req->limit;
    bool done = true;

    if (req->after && req->after[0]) {
        const char *slash = strchr(req->after, '/');
        const struct odo_wire_table *t = NULL;
        char name[ODO_TABLE_NAME_MAX + 1];
        if (slash && (size_t)(slash - req->after) < sizeof(name)) {
            memcpy(name, req->after, (size_t)(slash - req->after));
            name[slash - req->after] = '\0';
            t = odo_wire_table(name);
        }
        if (!t || strlen(slash + 1) != ODO_UUID_TEXT_LEN)
            return odo_err_set(err, ODO_EPROTO, "'after' must be \"table/id\"");
        ti = (size_t)(t - tables);
        snprintf(after_id, sizeof(after_id), "%s", slash + 1);
    }
    *call->clock = odo_hlc_tick(*call->clock, call->now_ms);
    odo_reconcile_write_begin(&w, ans, *call->clock);
    for (; ti < n && budget > 0; ti++) {
        const struct odo_wire_table *t = &tables[ti];
        char sql[256], lim[16];
        const char *params[3] = {call->user, after_id, lim};
        PGresult *r;

        if (!t->user_scoped)
            continue;
        snprintf(lim, sizeof(lim), "%d", budget + 1);
        snprintf(sql, sizeof(sql),
                 "SELECT id::text FROM %s WHERE user_id = $1 AND id > $2::uuid ORDER BY id "
                 "LIMIT $3",
                 t->name);
        r = odo_gw_run(call->pg, sql, 3, params, "listing rows", err);
        if (!r)
            return ODO_ESTORAGE;
        int rows = PQntuples(r), take = rows > budget ? budget : rows;
        if (take > 0) {
            odo_reconcile_write_table(&w, t);
            for (int i = 0; i < take; i++)
                odo_reconcile_write_id(&w, PQgetvalue(r, i, 0));
            snprintf(last, sizeof(last), "%s/%s", t->name, PQgetvalue(r, take - 1, 0));
        }
        budget -= take;
        if (rows > take || (budget == 0 && ti + 1 < n))
            done = false;
        PQclear(r);
        strcpy(after_id, NIL_UUID);
    }
    odo_reconcile_write_end(&w, done || !last[0] ? NULL : last);
    if (call->rows_out)
        *call->rows_out = (size_t)(req->limit - budget);
    return 0;
}

/* One table's changes since the cursor, read in revision order, and how far the merge got. */
struct fetched {
    const struct odo_wire_table *t;
    int cols[ODO_WIRE_COLS_MAX], ncols;
    PGresult *r;
    int next, rows;
};

/* The highest revision of the caller's rows (and of reference data) in the snapshot. */
static int top_revision(const struct odo_gw_call *call, const struct odo_wire_table *tables,
                        size_t n, int64_t *top, struct odo_err *err)
{
    struct odo_buf sql;
    PGresult *r;

    odo_buf_init(&sql, ODO_GW_SQL_MAX);
    odo_buf_puts(&sql, "SELECT coalesce(max(m), 0) FROM (");
    for (size_t ti = 0; ti < n; ti++)
        odo_buf_printf(&sql, "%s(SELECT max(rev) AS m FROM %s%s)", ti ? " UNION ALL " : "",
                       tables[ti].name, tables[ti].user_scoped ? " WHERE user_id = $1" : "");
    odo_buf_puts(&sql, ") x");
    r = odo_gw_run(call->pg, sql.data, 1, &call->user, "reading the newest revision", err);
    odo_buf_free(&sql);
    if (!r)
        return ODO_ESTORAGE;
    *top = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

/* Writes up to req->limit rows of f (one per table) in revision order; *cursor follows them. */
static int merge_tables(const struct odo_pull_req *req, struct fetched *f, size_t n,
                        struct odo_pull_page_writer *w, int64_t *cursor, bool *more)
{
    struct fetched *open_group = NULL;
    int taken = 0;

    for (;;) {
        struct fetched *best = NULL;
        int64_t best_rev = 0;
        for (size_t ti = 0; ti < n; ti++) {
            if (f[ti].next >= f[ti].rows)
                continue;
            int64_t rev = atoll(PQgetvalue(f[ti].r, f[ti].next, 1));
            if (!best || rev < best_rev) {
                best = &f[ti];
                best_rev = rev;
            }
        }
        if (!best)
            break;
        if (taken == req->limit) {
            *more = true;
            break;
        }
        if (best != open_group) {
            odo_pull_page_write_group(w, best->t, best->cols, best->ncols);
            open_group = best;
        }
        {
            struct odo_val vals[ODO_WIRE_COLS_MAX];
            const char *id;
            int64_t rev;
            odo_gw_row_vals(best->t, best->cols, best->ncols, best->r, best->next, &id, &rev, vals);
            odo_pull_page_write_row(w, id, rev, vals, best->ncols);
        }
        best->next++;
        *cursor = best_rev;
        taken++;
    }
    return taken;
}

int odo_gw_pull(const struct odo_gw_call *call, const struct odo_pull_req *req, struct odo_buf *ans,
                enum odo_pe *pe, struct odo_err *err)
{
    size_t n;
    const struct odo_wire_table *tables = odo_wire_tables(&n);
    struct fetched *f = NULL;
    struct odo_pull_page_writer w;
    struct odo_buf sql;
    char since[24], lim[16], acked[24];
    int64_t wm, cursor = req->since;
    bool more = false, in_tx = false;
    int rc = 0, taken;

    *pe = ODO_PE_UNAVAILABLE;
    wm = watermark(call->pg, err, &rc);
    if (rc)
        return rc;
    if (req->reconcile)
        return reconcile_page(call, req, ans, err);
    *call->clock = odo_hlc_tick(*call->clock, call->now_ms);
    if (req->since > 0 && req->since < wm && req->swept < wm) {
        /* Tombstones the device never saw may be gone: it must reconcile first. */
        odo_reconcile_required_encode(ans, *call->clock, wm);
        return 0;
    }
    /* One result per synced table, however many the wire schema lists. */
    f = calloc(n + 1, sizeof(*f));
    if (!f)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    snprintf(since, sizeof(since), "%" PRId64, req->since);
    snprintf(lim, sizeof(lim), "%d", req->limit + 1);
    snprintf(acked, sizeof(acked), "%" PRId64, req->acked);
    odo_buf_init(&sql, ODO_GW_SQL_MAX);
    /* One snapshot for every table: a batch committing between two of the reads would
     * otherwise show its later rows and hide its earlier ones behind the new cursor. */
    if ((rc = odo_pg_exec(call->pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err)))
        goto out;
    in_tx = true;
    for (size_t ti = 0; ti < n; ti++) {
        const struct odo_wire_table *t = &tables[ti];
        const char *user_params[5] = {call->user, since, lim, req->device, acked};
        const char *ref_params[2] = {since, lim};

        f[ti].t = t;
        odo_buf_reset(&sql);
        odo_gw_select_list(&sql, t, req->schema, f[ti].cols, &f[ti].ncols);
        /* Rows whose current version this device wrote and was answered for are left out. */
        if (t->user_scoped)
            odo_buf_puts(&sql, " WHERE user_id = $1 AND rev > $2 AND (origin IS DISTINCT FROM "
                               "$4::uuid OR rev > $5) ORDER BY rev LIMIT $3");
        else
            odo_buf_puts(&sql, " WHERE rev > $1 ORDER BY rev LIMIT $2");
        f[ti].r = odo_gw_run(call->pg, sql.data, t->user_scoped ? 5 : 2,
                             t->user_scoped ? user_params : ref_params, "reading changes", err);
        if (!f[ti].r) {
            rc = ODO_ESTORAGE;
            goto out;
        }
        f[ti].rows = PQntuples(f[ti].r);
    }
    /* Merge the tables in revision order up to the limit. */
    odo_pull_page_write_begin(&w, ans, *call->clock);
    taken = merge_tables(req, f, n, &w, &cursor, &more);
    if (!more) {
        /* Everything after `since` was read: the cursor moves past the rows left out too. */
        int64_t top = 0;
        if ((rc = top_revision(call, tables, n, &top, err)))
            goto out;
        if (top > cursor)
            cursor = top;
    }
    odo_pull_page_write_end(&w, cursor, more);
    if (call->rows_out)
        *call->rows_out = (size_t)taken;
    if (ans->overflow)
        rc = odo_err_set(err, ODO_ETOOBIG, "the page is too large; ask for fewer rows");
out:
    if (in_tx)
        odo_pg_rollback(call->pg); /* read only: nothing to keep */
    for (size_t ti = 0; ti < n; ti++)
        PQclear(f[ti].r);
    free(f);
    odo_buf_free(&sql);
    if (rc == ODO_ETOOBIG)
        *pe = ODO_PE_TOO_LARGE;
    return rc;
}
