/*
 * The libpq helpers push, pull and purge share (sql.h).
 */
#include "sync/gateway/sql.h"

#include <stdlib.h>
#include <string.h>

#include "sync/gateway/pg.h"

PGresult *odo_gw_run(PGconn *c, const char *sql, int n, const char *const *params,
                     const char *doing, struct odo_err *err)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    if (odo_pg_check(r, doing, err) != 0) {
        PQclear(r);
        return NULL;
    }
    return r;
}

int odo_gw_run_ok(PGconn *c, const char *sql, int n, const char *const *params, const char *doing,
                  struct odo_err *err)
{
    PGresult *r = odo_gw_run(c, sql, n, params, doing, err);
    if (!r)
        return ODO_ESTORAGE;
    PQclear(r);
    return 0;
}

void odo_gw_select_list(struct odo_buf *sql, const struct odo_wire_table *t, int schema, int *cols,
                        int *ncols)
{
    *ncols = 0;
    odo_buf_puts(sql, "SELECT id::text, rev");
    for (size_t c = 0; c < t->ncols; c++) {
        const struct odo_wire_col *col = &t->cols[c];
        if (col->since_schema > schema)
            continue; /* an older device does not know it */
        cols[(*ncols)++] = (int)c;
        switch (col->type) {
        case ODO_W_TIME: /* milliseconds since 1970 (extract gives an exact numeric) */
            odo_buf_printf(sql, ", floor(extract(epoch FROM %s) * 1000)::bigint::text", col->name);
            break;
        case ODO_W_DATE:
            odo_buf_printf(sql, ", to_char(%s, 'YYYY-MM-DD')", col->name);
            break;
        case ODO_W_BOOL:
            odo_buf_printf(sql, ", CASE WHEN %s THEN '1' WHEN NOT %s THEN '0' END", col->name,
                           col->name);
            break;
        default:
            odo_buf_printf(sql, ", %s::text", col->name);
            break;
        }
    }
    odo_buf_printf(sql, " FROM %s", t->name);
}

void odo_gw_row_vals(const struct odo_wire_table *t, const int *cols, int ncols, PGresult *r, int i,
                     const char **id, int64_t *rev, struct odo_val *vals)
{
    *id = PQgetvalue(r, i, 0);
    *rev = atoll(PQgetvalue(r, i, 1));
    for (int j = 0; j < ncols; j++) {
        const struct odo_wire_col *c = &t->cols[cols[j]];
        memset(&vals[j], 0, sizeof(vals[j]));
        if (PQgetisnull(r, i, 2 + j)) {
            vals[j].kind = ODO_VAL_NULL;
        } else if (c->type == ODO_W_INT || c->type == ODO_W_BOOL || c->type == ODO_W_TIME) {
            vals[j].kind = ODO_VAL_INT;
            vals[j].i = atoll(PQgetvalue(r, i, 2 + j));
        } else {
            vals[j].kind = ODO_VAL_STR;
            vals[j].s = PQgetvalue(r, i, 2 + j);
        }
    }
}
