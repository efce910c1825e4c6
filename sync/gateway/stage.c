/*
 * Staging a push group with COPY into a temporary table (sql.h): the COPY text format, and every
 * HLC clamped to the skew the gateway accepts.
 */
#include "sync/gateway/sql.h"

#include <inttypes.h>
#include <stdio.h>

#include "sync/gateway/pg.h"

odo_hlc odo_gw_clamp(const struct odo_gw_call *call, odo_hlc h, bool *clamped)
{
    int64_t max_ms = call->now_ms + ODO_MAX_SKEW_MS;
    if (ODO_HLC_MS(h) > max_ms) {
        *clamped = true;
        return (odo_hlc)max_ms << 16;
    }
    return h;
}

/* COPY text format: backslash, tab, newline and carriage return escaped. */
static void copy_text(struct odo_buf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *esc = *s == '\\'   ? "\\\\"
                          : *s == '\t' ? "\\t"
                          : *s == '\n' ? "\\n"
                          : *s == '\r' ? "\\r"
                                       : NULL;
        if (!esc)
            continue;
        odo_buf_append(b, run, (size_t)(s - run));
        odo_buf_puts(b, esc);
        run = s + 1;
    }
    odo_buf_append(b, run, (size_t)(s - run));
}

static void copy_key(struct odo_buf *b, odo_hlc h, const char *device)
{
    char t[ODO_HLC_TEXT_LEN + 1];
    odo_hlc_format(h, t);
    odo_buf_append(b, t, ODO_HLC_TEXT_LEN);
    odo_buf_putc(b, ':');
    odo_buf_puts(b, device);
}

int odo_gw_stage(const struct odo_gw_call *call, const struct odo_push_req *req,
                 const struct odo_push_group *g, int k, struct odo_buf *sql, struct odo_err *err)
{
    PGconn *c = call->pg;
    struct odo_buf data, keys;
    bool clamped = false;
    int rc = 0;

    odo_buf_reset(sql);
    odo_buf_printf(sql, "CREATE TEMP TABLE s%d (ord int, id uuid, br bigint, kr text", k);
    for (int j = 0; j < g->ncols; j++)
        odo_buf_printf(sql, ", v%d text, k%d text", j, j);
    odo_buf_puts(sql, ", h jsonb) ON COMMIT DROP");
    if ((rc = odo_gw_run_ok(c, sql->data, 0, NULL, "staging the batch", err)))
        return rc;
    odo_buf_reset(sql);
    odo_buf_printf(sql, "COPY s%d FROM STDIN", k);
    {
        PGresult *r = PQexec(c, sql->data);
        if (PQresultStatus(r) != PGRES_COPY_IN) {
            odo_pg_check(r, "staging the batch", err);
            PQclear(r);
            return ODO_ESTORAGE;
        }
        PQclear(r);
    }
    odo_buf_init(&data, 64u << 20);
    odo_buf_init(&keys, 64u << 10);
    for (size_t i = 0; i < g->nrows; i++) {
        const struct odo_push_row *row = &g->rows[i];
        size_t ord = g->first + i;

        if (row->refused[0])
            continue; /* refused by a domain check: the caller said so */
        odo_buf_printf(&data, "%zu\t%s\t%" PRId64 "\t", ord, row->id, row->base_rev);
        copy_key(&data, odo_gw_clamp(call, row->hlc, &clamped), req->device);
        /* h: the row's hlcs were it new, {"*": row key, column: own key...}; the keys are hex,
         * ':' and a UUID, and the names identifiers, so nothing needs escaping. */
        odo_buf_reset(&keys);
        odo_buf_puts(&keys, "\t{\"*\": \"");
        copy_key(&keys, odo_gw_clamp(call, row->hlc, &clamped), req->device);
        odo_buf_putc(&keys, '"');
        for (int j = 0; j < g->ncols; j++)
            if (row->vals[j].hlc) {
                odo_buf_printf(&keys, ", \"%s\": \"", g->table->cols[g->cols[j]].name);
                copy_key(&keys, odo_gw_clamp(call, row->vals[j].hlc, &clamped), req->device);
                odo_buf_putc(&keys, '"');
            }
        odo_buf_putc(&keys, '}');
        for (int j = 0; j < g->ncols; j++) {
            const struct odo_val *v = &row->vals[j];
            odo_buf_putc(&data, '\t');
            if (v->kind == ODO_VAL_NULL)
                odo_buf_puts(&data, "\\N");
            else if (v->kind == ODO_VAL_INT)
                odo_buf_int(&data, v->i);
            else
                copy_text(&data, v->s);
            odo_buf_putc(&data, '\t');
            if (v->hlc)
                copy_key(&data, odo_gw_clamp(call, v->hlc, &clamped), req->device);
            else
                odo_buf_puts(&data, "\\N");
        }
        odo_buf_append(&data, keys.data, keys.len);
        odo_buf_putc(&data, '\n');
        /* Hand over in chunks so the buffer stays small. */
        if (data.len > (1u << 20)) {
            if (PQputCopyData(c, data.data, (int)data.len) != 1)
                rc = ODO_ESTORAGE;
            odo_buf_reset(&data);
        }
    }
    if (data.overflow)
        rc = odo_err_set(err, ODO_ENOMEM, "the batch is too large to stage");
    if (rc == 0 && data.len && PQputCopyData(c, data.data, (int)data.len) != 1)
        rc = ODO_ESTORAGE;
    odo_buf_free(&data);
    odo_buf_free(&keys);
    if (PQputCopyEnd(c, rc ? "abandoned" : NULL) != 1)
        rc = ODO_ESTORAGE;
    {
        PGresult *r = PQgetResult(c);
        if (odo_pg_check(r, "staging the batch", err) != 0 && rc == 0)
            rc = ODO_ESTORAGE;
        PQclear(r);
        while ((r = PQgetResult(c)))
            PQclear(r);
    }
    if (clamped)
        odo_log(call->log, ODO_LOG_WARN,
                "device %s sent HLCs more than %d s ahead of the gateway: clamped", req->device,
                ODO_MAX_SKEW_MS / 1000);
    return rc;
}
