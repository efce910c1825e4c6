/*
 * Push, pull, reconcile and purge against PostgreSQL. SQL here is assembled only from the wire
 * schema's constant table and column names and from numbers; everything a device sent travels
 * as COPY data or as bound parameters.
 */
#include "sync/gateway/apply.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/gateway/pg.h"

#define SQL_MAX (256u << 10)

struct result {
    int64_t rev;
    char reason[ODO_REASON_MAX];
};

struct row_ref {
    const struct odo_wire_table *table;
    char id[ODO_UUID_TEXT_LEN + 1];
};

struct rekey {
    const struct odo_wire_table *table;
    char from[ODO_UUID_TEXT_LEN + 1], to[ODO_UUID_TEXT_LEN + 1];
};

struct push_state {
    const struct odo_gw_call *call;
    const struct odo_push_req *req;
    struct result *results;
    struct row_ref *winners;
    size_t nwinners, capwinners;
    struct rekey *rekeys;
    size_t nrekeys, caprekeys;
    struct odo_err *err;
};

/* ---- small helpers ---------------------------------------------------------------------- */

static PGresult *q(PGconn *c, const char *sql, int n, const char *const *params)
{
    return PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
}

/* Runs a statement and checks it; returns the result (caller clears) or NULL on error. */
static PGresult *run(PGconn *c, const char *sql, int n, const char *const *params,
                     const char *doing, struct odo_err *err)
{
    PGresult *r = q(c, sql, n, params);
    if (odo_pg_check(r, doing, err) != 0) {
        PQclear(r);
        return NULL;
    }
    return r;
}

static int run_ok(PGconn *c, const char *sql, int n, const char *const *params, const char *doing,
                  struct odo_err *err)
{
    PGresult *r = run(c, sql, n, params, doing, err);
    if (!r)
        return ODO_ESTORAGE;
    PQclear(r);
    return 0;
}

static int add_winner(struct push_state *ps, const struct odo_wire_table *t, const char *id)
{
    for (size_t i = 0; i < ps->nwinners; i++)
        if (ps->winners[i].table == t && strcmp(ps->winners[i].id, id) == 0)
            return 0;
    if (ps->nwinners == ps->capwinners) {
        size_t cap = ps->capwinners ? ps->capwinners * 2 : 16;
        struct row_ref *w = realloc(ps->winners, cap * sizeof(*w));
        if (!w)
            return odo_err_set(ps->err, ODO_ENOMEM, "out of memory");
        ps->winners = w;
        ps->capwinners = cap;
    }
    ps->winners[ps->nwinners].table = t;
    snprintf(ps->winners[ps->nwinners].id, ODO_UUID_TEXT_LEN + 1, "%s", id);
    ps->nwinners++;
    return 0;
}

static int add_rekey(struct push_state *ps, const struct odo_wire_table *t, const char *from,
                     const char *to)
{
    if (ps->nrekeys == ps->caprekeys) {
        size_t cap = ps->caprekeys ? ps->caprekeys * 2 : 8;
        struct rekey *k = realloc(ps->rekeys, cap * sizeof(*k));
        if (!k)
            return odo_err_set(ps->err, ODO_ENOMEM, "out of memory");
        ps->rekeys = k;
        ps->caprekeys = cap;
    }
    ps->rekeys[ps->nrekeys].table = t;
    snprintf(ps->rekeys[ps->nrekeys].from, ODO_UUID_TEXT_LEN + 1, "%s", from);
    snprintf(ps->rekeys[ps->nrekeys].to, ODO_UUID_TEXT_LEN + 1, "%s", to);
    ps->nrekeys++;
    return 0;
}

static void refuse(struct push_state *ps, size_t ord, const char *reason)
{
    struct result *r = &ps->results[ord];
    if (!r->reason[0])
        snprintf(r->reason, sizeof(r->reason), "%s", reason);
    r->rev = 0;
}

/* An HLC no further ahead of the gateway's time than ODO_MAX_SKEW_MS. */
static odo_hlc clamp(const struct odo_gw_call *call, odo_hlc h, bool *clamped)
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

/* A column's value as SQL expects it from a text-typed stage column. */
static void cast_expr(struct odo_buf *sql, const struct odo_wire_col *c, int j)
{
    if (c->type == ODO_W_TIME) /* milliseconds since 1970, exactly */
        odo_buf_printf(sql, "(timestamptz 'epoch' + s.v%d::bigint * interval '1 millisecond')", j);
    else
        odo_buf_printf(sql, "s.v%d::%s", j, c->pg_type);
}

/* The key of column j of a stage row: its own, or the row's. */
static void key_expr(struct odo_buf *sql, int j)
{
    odo_buf_printf(sql, "coalesce(s.k%d, s.kr)", j);
}

/* The index of a named column within a group, or -1. */
static int group_col(const struct odo_push_group *g, const char *name)
{
    for (int j = 0; j < g->ncols; j++)
        if (strcmp(g->table->cols[g->cols[j]].name, name) == 0)
            return j;
    return -1;
}

/* Collects "ord" values a query returns and refuses them with reason; then drops them from the
 * stage. The query may use $1, the user. */
static int refuse_query(struct push_state *ps, int k, const char *sql, const char *reason)
{
    const char *params[1] = {ps->call->user};
    PGresult *r =
        run(ps->call->pg, sql, strstr(sql, "$1") ? 1 : 0, params, "checking the batch", ps->err);
    char del[96];

    if (!r)
        return ODO_ESTORAGE;
    for (int i = 0; i < PQntuples(r); i++) {
        size_t ord = (size_t)atol(PQgetvalue(r, i, 0));
        if (ord < ps->req->nrows)
            refuse(ps, ord, reason);
        snprintf(del, sizeof(del), "DELETE FROM s%d WHERE ord = %zu", k, ord);
        if (run_ok(ps->call->pg, del, 0, NULL, "checking the batch", ps->err)) {
            PQclear(r);
            return ODO_ESTORAGE;
        }
    }
    PQclear(r);
    return 0;
}

/* ---- staging ---------------------------------------------------------------------------- */

static int stage_group(struct push_state *ps, const struct odo_push_group *g, int k,
                       struct odo_buf *sql)
{
    PGconn *c = ps->call->pg;
    struct odo_buf data, keys;
    bool clamped = false;
    int rc = 0;

    odo_buf_reset(sql);
    odo_buf_printf(sql, "CREATE TEMP TABLE s%d (ord int, id uuid, br bigint, kr text", k);
    for (int j = 0; j < g->ncols; j++)
        odo_buf_printf(sql, ", v%d text, k%d text", j, j);
    odo_buf_puts(sql, ", h jsonb) ON COMMIT DROP");
    if ((rc = run_ok(c, sql->data, 0, NULL, "staging the batch", ps->err)))
        return rc;
    odo_buf_reset(sql);
    odo_buf_printf(sql, "COPY s%d FROM STDIN", k);
    {
        PGresult *r = PQexec(c, sql->data);
        if (PQresultStatus(r) != PGRES_COPY_IN) {
            odo_pg_check(r, "staging the batch", ps->err);
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

        if (row->refused[0]) {
            refuse(ps, ord, row->refused);
            continue;
        }
        odo_buf_printf(&data, "%zu\t%s\t%" PRId64 "\t", ord, row->id, row->base_rev);
        copy_key(&data, clamp(ps->call, row->hlc, &clamped), ps->req->device);
        /* h: the row's hlcs were it new, {"*": row key, column: own key...}; the keys are hex,
         * ':' and a UUID, and the names identifiers, so nothing needs escaping. */
        odo_buf_reset(&keys);
        odo_buf_puts(&keys, "\t{\"*\": \"");
        copy_key(&keys, clamp(ps->call, row->hlc, &clamped), ps->req->device);
        odo_buf_putc(&keys, '"');
        for (int j = 0; j < g->ncols; j++)
            if (row->vals[j].hlc) {
                odo_buf_printf(&keys, ", \"%s\": \"", g->table->cols[g->cols[j]].name);
                copy_key(&keys, clamp(ps->call, row->vals[j].hlc, &clamped), ps->req->device);
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
                copy_key(&data, clamp(ps->call, v->hlc, &clamped), ps->req->device);
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
        rc = odo_err_set(ps->err, ODO_ENOMEM, "the batch is too large to stage");
    if (rc == 0 && data.len && PQputCopyData(c, data.data, (int)data.len) != 1)
        rc = ODO_ESTORAGE;
    odo_buf_free(&data);
    odo_buf_free(&keys);
    if (PQputCopyEnd(c, rc ? "abandoned" : NULL) != 1)
        rc = ODO_ESTORAGE;
    {
        PGresult *r = PQgetResult(c);
        if (odo_pg_check(r, "staging the batch", ps->err) != 0 && rc == 0)
            rc = ODO_ESTORAGE;
        PQclear(r);
        while ((r = PQgetResult(c)))
            PQclear(r);
    }
    if (clamped)
        odo_log(ps->call->log, ODO_LOG_WARN,
                "device %s sent HLCs more than %d s ahead of the gateway: clamped", ps->req->device,
                ODO_MAX_SKEW_MS / 1000);
    return rc;
}

/* ---- merging ---------------------------------------------------------------------------- */

/* Re-points anything that names a vehicle alias to its canonical vehicle. */
static int rewrite_aliases(struct push_state *ps, const struct odo_push_group *g, int k,
                           struct odo_buf *sql)
{
    const char *params[1] = {ps->call->user};
    int vid = group_col(g, "vehicle_id");

    if (vid >= 0) {
        odo_buf_reset(sql);
        odo_buf_printf(sql,
                       "UPDATE s%d s SET v%d = a.canonical_id::text FROM vehicle_aliases a "
                       "WHERE a.user_id = $1 AND a.alias_id = s.v%d::uuid",
                       k, vid, vid);
        if (run_ok(ps->call->pg, sql->data, 1, params, "re-pointing aliases", ps->err))
            return ODO_ESTORAGE;
    }
    if (strcmp(g->table->name, "vehicles") == 0) {
        PGresult *r;
        odo_buf_reset(sql);
        odo_buf_printf(sql,
                       "UPDATE s%d s SET id = a.canonical_id FROM vehicle_aliases a WHERE "
                       "a.user_id = $1 AND a.alias_id = s.id "
                       "RETURNING a.alias_id::text, a.canonical_id::text",
                       k);
        r = run(ps->call->pg, sql->data, 1, params, "re-pointing aliases", ps->err);
        if (!r)
            return ODO_ESTORAGE;
        for (int i = 0; i < PQntuples(r); i++)
            if (add_rekey(ps, g->table, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1))) {
                PQclear(r);
                return ODO_ENOMEM;
            }
        PQclear(r);
    }
    return 0;
}

/* A vehicle registered again under a new id (same VIN, another offline device) becomes an
 * alias of the live one: the device is told to re-key and gets the canonical row. */
static int alias_new_vehicles(struct push_state *ps, const struct odo_push_group *g, int k,
                              struct odo_buf *sql)
{
    const char *params[1] = {ps->call->user};
    int vin = group_col(g, "vin"), del = group_col(g, "deleted_at");
    PGresult *r;
    int rc = 0;

    if (strcmp(g->table->name, "vehicles") != 0 || vin < 0 || del < 0)
        return 0;
    odo_buf_reset(sql);
    odo_buf_printf(
        sql,
        "SELECT s.ord, s.id::text, v.id::text, v.rev FROM s%d s JOIN vehicles v ON "
        "v.user_id = $1 AND v.deleted_at IS NULL AND v.vin = s.v%d AND v.id <> s.id "
        "WHERE s.v%d IS NULL AND NOT EXISTS (SELECT 1 FROM vehicles x WHERE x.id = s.id)",
        k, vin, del);
    r = run(ps->call->pg, sql->data, 1, params, "matching VINs", ps->err);
    if (!r)
        return ODO_ESTORAGE;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        size_t ord = (size_t)atol(PQgetvalue(r, i, 0));
        const char *alias = PQgetvalue(r, i, 1), *canonical = PQgetvalue(r, i, 2);
        const char *p3[3] = {alias, canonical, ps->call->user};
        char drop[96];

        rc = run_ok(ps->call->pg,
                    "INSERT INTO vehicle_aliases (alias_id, canonical_id, user_id) VALUES "
                    "($1, $2, $3) ON CONFLICT (alias_id) DO NOTHING",
                    3, p3, "recording an alias", ps->err);
        if (rc == 0)
            rc = add_rekey(ps, g->table, alias, canonical);
        if (rc == 0)
            rc = add_winner(ps, g->table, canonical);
        ps->results[ord].rev = atoll(PQgetvalue(r, i, 3));
        snprintf(drop, sizeof(drop), "DELETE FROM s%d WHERE ord = %zu", k, ord);
        if (rc == 0)
            rc = run_ok(ps->call->pg, drop, 0, NULL, "matching VINs", ps->err);
        odo_log(ps->call->log, ODO_LOG_INFO, "user %s: vehicle %s is an alias of %s (same VIN)",
                ps->call->user, alias, canonical);
    }
    PQclear(r);
    return rc;
}

/* Refuses a vehicle change that would leave the row live with a VIN another live vehicle of
 * the user has. The other refusals are made by the merge itself. */
static int check_vins(struct push_state *ps, const struct odo_push_group *g, int k,
                      struct odo_buf *sql)
{
    int vin = group_col(g, "vin"), del = group_col(g, "deleted_at");

    if (strcmp(g->table->name, "vehicles") != 0 || (vin < 0 && del < 0))
        return 0;
    odo_buf_reset(sql);
    odo_buf_printf(
        sql,
        "SELECT s.ord FROM s%d s JOIN vehicles t ON t.id = s.id AND t.user_id = $1 WHERE "
        "EXISTS (SELECT 1 "
        "FROM vehicles o WHERE o.user_id = $1 AND o.deleted_at IS NULL AND "
        "o.id <> s.id AND o.vin = ",
        k);
    if (vin >= 0)
        odo_buf_printf(sql, "coalesce(s.v%d, t.vin)", vin);
    else
        odo_buf_puts(sql, "t.vin");
    odo_buf_puts(sql, ") AND ");
    if (del >= 0)
        odo_buf_printf(sql, "s.v%d IS NULL", del);
    else
        odo_buf_puts(sql, "t.deleted_at IS NULL");
    return refuse_query(ps, k, sql->data, "vin already registered");
}

/*
 * Checks and merges a staged group in one statement. Its parts:
 *   s    each stage row with the stored row of its id, found by one primary-key probe per row
 *        (a LATERAL subquery behind OFFSET 0, so that the plan cannot turn into a scan of the
 *        whole table, whose cost would grow with every user's data); the reason it is refused,
 *        if any: another user's row ("forbidden", nothing more said), a parent that is not the
 *        user's, a new row without its required columns; and per column whether the pushed
 *        value wins by last-writer-wins (its key is later than the stored one);
 *   ins, upd   new rows inserted; existing rows take their winning columns, and a new revision
 *        when any column won;
 * and the result: per stage row its refusal, or its revision and whether the device lost a
 * column (then the row goes back as a winner). A row twice in one batch never gets here: the
 * gateway refuses such a batch as malformed.
 *
 * hlcs stores the row's key under "*" and a column's key only where it differs (the stage's h
 * is that object for a new row), so a row that arrived whole and was never edited carries one
 * key, not one per column.
 */
static int merge_group(struct push_state *ps, const struct odo_push_group *g, int k,
                       struct odo_buf *sql)
{
    const struct odo_wire_table *t = g->table;
    const char *params[2] = {ps->call->user, ps->call->device};
    int vid = group_col(g, "vehicle_id"), mid = group_col(g, "maintenance_id");
    bool complete = true;
    PGresult *r;

    for (size_t c = 0; c < t->ncols; c++) {
        bool present = false;
        for (int j = 0; j < g->ncols; j++)
            present |= g->cols[j] == (int)c;
        complete &= present || t->cols[c].nullable;
    }
    odo_buf_reset(sql);
    odo_buf_printf(sql,
                   "WITH s AS MATERIALIZED (SELECT x.*, t.tid, t.owner IS NULL AS is_new, CASE "
                   "WHEN t.owner IS NOT NULL AND t.owner <> $1 THEN 'forbidden' ");
    if (vid >= 0)
        odo_buf_printf(sql,
                       "WHEN NOT EXISTS (SELECT 1 FROM vehicles v WHERE v.id = x.v%d::uuid AND "
                       "v.user_id = $1) THEN 'unknown vehicle' ",
                       vid);
    if (mid >= 0)
        odo_buf_printf(sql,
                       "WHEN x.v%d IS NOT NULL AND NOT EXISTS (SELECT 1 FROM maintenance m "
                       "WHERE m.id = x.v%d::uuid AND m.user_id = $1) THEN "
                       "'unknown maintenance item' ",
                       mid, mid);
    if (!complete)
        odo_buf_puts(sql, "WHEN t.owner IS NULL THEN 'unknown row' ");
    odo_buf_puts(sql, "END AS reason");
    for (int j = 0; j < g->ncols; j++)
        odo_buf_printf(sql,
                       ", (t.owner IS NULL OR coalesce(x.k%d, x.kr) > coalesce(t.hlcs->>'%s', "
                       "t.hlcs->>'*', '')) AS w%d",
                       j, t->cols[g->cols[j]].name, j);
    odo_buf_printf(sql,
                   " FROM s%d x LEFT JOIN LATERAL (SELECT t.ctid AS tid, t.user_id AS owner, "
                   "t.hlcs FROM %s t WHERE t.id = x.id OFFSET 0) t ON true), ",
                   k, t->name);

    /* New rows. */
    odo_buf_printf(sql, "ins AS (INSERT INTO %s (id, user_id", t->name);
    for (int j = 0; j < g->ncols; j++)
        odo_buf_printf(sql, ", %s", t->cols[g->cols[j]].name);
    odo_buf_puts(sql, ", rev, hlcs, origin) SELECT s.id, $1");
    for (int j = 0; j < g->ncols; j++) {
        odo_buf_puts(sql, ", ");
        cast_expr(sql, &t->cols[g->cols[j]], j);
    }
    odo_buf_puts(sql, ", nextval('rev_seq'), s.h, $2::uuid FROM s WHERE s.reason IS NULL AND "
                      "s.is_new RETURNING id, rev), ");

    /* Existing rows: each column keeps the later writer. */
    odo_buf_printf(sql, "upd AS (UPDATE %s t SET ", t->name);
    for (int j = 0; j < g->ncols; j++) {
        const char *name = t->cols[g->cols[j]].name;
        odo_buf_printf(sql, "%s = CASE WHEN s.w%d THEN ", name, j);
        cast_expr(sql, &t->cols[g->cols[j]], j);
        odo_buf_printf(sql, " ELSE t.%s END, ", name);
    }
    odo_buf_puts(sql, "hlcs = t.hlcs || jsonb_strip_nulls(jsonb_build_object(");
    for (int j = 0; j < g->ncols; j++) {
        odo_buf_printf(sql, "%s'%s', CASE WHEN s.w%d THEN ", j ? ", " : "",
                       t->cols[g->cols[j]].name, j);
        key_expr(sql, j);
        odo_buf_puts(sql, " END");
    }
    /* The device holds the new version only if it had seen the one it changed (its base
     * revision is the stored one) and all its columns won; else the row must reach it (and
     * every other device) by pull. */
    odo_buf_puts(sql, ")), origin = CASE WHEN t.rev = s.br");
    for (int j = 0; j < g->ncols; j++)
        odo_buf_printf(sql, " AND s.w%d", j);
    odo_buf_puts(sql, " THEN $2::uuid WHEN false");
    for (int j = 0; j < g->ncols; j++)
        odo_buf_printf(sql, " OR s.w%d", j);
    odo_buf_puts(sql, " THEN NULL ELSE t.origin END, rev = CASE WHEN false");
    for (int j = 0; j < g->ncols; j++)
        odo_buf_printf(sql, " OR s.w%d", j);
    /* The stored row is found again by its tuple id (a TID scan), still checked by id and user. */
    odo_buf_puts(sql, " THEN nextval('rev_seq') ELSE t.rev END FROM s WHERE t.ctid = s.tid AND "
                      "t.id = s.id AND s.reason IS NULL AND NOT s.is_new AND t.user_id = $1 "
                      "RETURNING t.id, t.rev, "
                      "NOT (true");
    for (int j = 0; j < g->ncols; j++)
        odo_buf_printf(sql, " AND s.w%d", j);
    odo_buf_puts(sql, ") AS lost) ");

    odo_buf_puts(sql, "SELECT s.ord, s.reason, coalesce(i.rev, u.rev), s.id::text, "
                      "coalesce(u.lost, false) FROM s LEFT JOIN ins i ON i.id = s.id "
                      "LEFT JOIN upd u ON u.id = s.id");
    r = run(ps->call->pg, sql->data, 2, params, "merging the batch", ps->err);
    if (!r)
        return ODO_ESTORAGE;
    for (int i = 0; i < PQntuples(r); i++) {
        size_t ord = (size_t)atol(PQgetvalue(r, i, 0));
        if (ord >= ps->req->nrows)
            continue;
        if (!PQgetisnull(r, i, 1)) {
            refuse(ps, ord, PQgetvalue(r, i, 1));
            continue;
        }
        if (PQgetisnull(r, i, 2))
            continue; /* cannot happen: accepted rows are inserted or updated */
        ps->results[ord].rev = atoll(PQgetvalue(r, i, 2));
        if (PQgetvalue(r, i, 4)[0] == 't' && add_winner(ps, t, PQgetvalue(r, i, 3))) {
            PQclear(r);
            return ODO_ENOMEM;
        }
    }
    PQclear(r);
    return 0;
}

/* ---- reading rows back out -------------------------------------------------------------- */

/* The select list of a table's full rows for a device of `schema`: id, rev, then each column
 * as text in its wire form. cols[] receives the column indexes. */
static void select_list(struct odo_buf *sql, const struct odo_wire_table *t, int schema, int *cols,
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

/* Writes row i of r (from select_list) as a full row. */
static void write_pg_row(struct odo_buf *b, bool first, const struct odo_wire_table *t,
                         const int *cols, int ncols, PGresult *r, int i)
{
    struct odo_val vals[ODO_WIRE_COLS_MAX];

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
    odo_rows_write_row(b, first, PQgetvalue(r, i, 0), atoll(PQgetvalue(r, i, 1)), vals, ncols);
}

static int write_winners(struct push_state *ps, struct odo_buf *ans, struct odo_buf *sql)
{
    bool first_group = true;
    size_t n;
    const struct odo_wire_table *tables = odo_wire_tables(&n);

    for (size_t ti = 0; ti < n; ti++) {
        const struct odo_wire_table *t = &tables[ti];
        int cols[ODO_WIRE_COLS_MAX], ncols, nrows = 0;
        PGresult *r;

        odo_buf_reset(sql);
        select_list(sql, t, ps->req->schema, cols, &ncols);
        odo_buf_puts(sql, " WHERE user_id = $1 AND id = ANY($2::uuid[])");
        {
            struct odo_buf ids;
            odo_buf_init(&ids, 1u << 20);
            odo_buf_putc(&ids, '{');
            for (size_t i = 0; i < ps->nwinners; i++)
                if (ps->winners[i].table == t)
                    odo_buf_printf(&ids, "%s%s", nrows++ ? "," : "", ps->winners[i].id);
            odo_buf_putc(&ids, '}');
            if (nrows == 0) {
                odo_buf_free(&ids);
                continue;
            }
            const char *params[2] = {ps->call->user, ids.data};
            r = run(ps->call->pg, sql->data, 2, params, "reading winners", ps->err);
            odo_buf_free(&ids);
        }
        if (!r)
            return ODO_ESTORAGE;
        odo_rows_write_group(ans, first_group, t, cols, ncols);
        first_group = false;
        for (int i = 0; i < PQntuples(r); i++)
            write_pg_row(ans, i == 0, t, cols, ncols, r, i);
        PQclear(r);
    }
    if (!first_group)
        odo_rows_write_end(ans);
    return 0;
}

/* ---- push ------------------------------------------------------------------------------- */

static int write_answer(struct push_state *ps, struct odo_buf *ans, struct odo_buf *sql)
{
    char h[ODO_HLC_TEXT_LEN + 1];
    bool any = false;
    int rc;

    odo_hlc_format(*ps->call->clock, h);
    odo_buf_printf(ans, "{\"v\":%d,\"batch\":%" PRId64 ",\"hlc\":\"%s\",\"revs\":[",
                   ODO_PROTOCOL_VERSION, ps->req->batch, h);
    /* Runs [first, count]: consecutive changes with consecutive revisions (or refused: 0). */
    for (size_t i = 0, n = 0; i < ps->req->nrows; i += n) {
        int64_t first = ps->results[i].reason[0] ? 0 : ps->results[i].rev;
        for (n = 1; i + n < ps->req->nrows; n++) {
            int64_t r = ps->results[i + n].reason[0] ? 0 : ps->results[i + n].rev;
            if (r != (first ? first + (int64_t)n : 0))
                break;
        }
        odo_buf_printf(ans, "%s[%" PRId64 ",%zu]", i ? "," : "", first, n);
    }
    odo_buf_puts(ans, "],\"refused\":[");
    for (size_t i = 0; i < ps->req->nrows; i++) {
        if (!ps->results[i].reason[0])
            continue;
        odo_buf_printf(ans, "%s[%zu,", any ? "," : "", i);
        odo_buf_json_str(ans, ps->results[i].reason);
        odo_buf_putc(ans, ']');
        any = true;
    }
    odo_buf_puts(ans, "],\"winners\":[");
    if ((rc = write_winners(ps, ans, sql)))
        return rc;
    odo_buf_puts(ans, "],\"rekey\":[");
    for (size_t i = 0; i < ps->nrekeys; i++)
        odo_buf_printf(ans, "%s[\"%s\",\"%s\",\"%s\"]", i ? "," : "", ps->rekeys[i].table->name,
                       ps->rekeys[i].from, ps->rekeys[i].to);
    odo_buf_puts(ans, "]}");
    return ans->overflow ? odo_err_set(ps->err, ODO_ETOOBIG, "the answer is too large") : 0;
}

/* Moves the gateway's clock past everything in the batch (clamped). */
static void receive_clock(const struct odo_gw_call *call, const struct odo_push_req *req)
{
    bool clamped = false;
    odo_hlc seen = clamp(call, req->hlc, &clamped);

    for (size_t g = 0; g < req->ngroups; g++)
        for (size_t i = 0; i < req->groups[g].nrows; i++) {
            odo_hlc h = clamp(call, req->groups[g].rows[i].hlc, &clamped);
            if (h > seen)
                seen = h;
        }
    *call->clock = odo_hlc_recv(*call->clock, seen, call->now_ms);
}

int odo_gw_push(const struct odo_gw_call *call, const struct odo_push_req *req, struct odo_buf *ans,
                enum odo_pe *pe, struct odo_err *err)
{
    const char *p2[2] = {call->device, call->user};
    struct push_state ps;
    struct odo_buf sql;
    size_t order[ODO_GROUPS_MAX];
    int64_t last;
    PGresult *r;
    int rc;

    *pe = ODO_PE_UNAVAILABLE;
    memset(&ps, 0, sizeof(ps));
    ps.call = call;
    ps.req = req;
    ps.err = err;
    ps.results = calloc(req->nrows + 1, sizeof(*ps.results));
    odo_buf_init(&sql, SQL_MAX);
    if (!ps.results) {
        rc = odo_err_set(err, ODO_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = odo_pg_exec(call->pg, "BEGIN", err)))
        goto out;
    /* One batch of a user at a time, so that revisions commit in order for each user. */
    if ((rc = run_ok(call->pg, "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", 1,
                     &call->user, "locking", err)) ||
        (rc = run_ok(call->pg,
                     "INSERT INTO device_batches (device_id, user_id) VALUES ($1, $2) "
                     "ON CONFLICT DO NOTHING",
                     2, p2, "recording the device", err)))
        goto out_rollback;
    r = run(call->pg,
            "SELECT last_batch, answer FROM device_batches WHERE device_id = $1 AND user_id = $2 "
            "FOR UPDATE",
            2, p2, "reading the device's batches", err);
    if (!r) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    last = atoll(PQgetvalue(r, 0, 0));
    if (req->batch <= last) {
        /* Exactly once: a batch already applied changes nothing and gets its answer again. */
        if (req->batch == last && !PQgetisnull(r, 0, 1)) {
            odo_buf_puts(ans, PQgetvalue(r, 0, 1));
            rc = 0;
            odo_log(call->log, ODO_LOG_INFO, "device %s user %s: batch %" PRId64 " replayed",
                    call->device, call->user, req->batch);
        } else {
            *pe = ODO_PE_CONFLICT;
            rc = odo_err_set(err, ODO_EPROTO,
                             "batch %" PRId64 " is older than the last applied (%" PRId64 ")",
                             req->batch, last);
        }
        PQclear(r);
        goto out_rollback;
    }
    PQclear(r);

    receive_clock(call, req);
    /* Parents before children: vehicles, then maintenance, then the rest. */
    for (size_t i = 0; i < req->ngroups; i++)
        order[i] = i;
    for (size_t i = 1; i < req->ngroups; i++)
        for (size_t j = i; j > 0 && req->groups[order[j]].table->apply_order <
                                        req->groups[order[j - 1]].table->apply_order;
             j--) {
            size_t tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    for (size_t i = 0; i < req->ngroups; i++) {
        const struct odo_push_group *g = &req->groups[order[i]];
        int k = (int)i;
        if ((rc = stage_group(&ps, g, k, &sql)) || (rc = rewrite_aliases(&ps, g, k, &sql)) ||
            (rc = alias_new_vehicles(&ps, g, k, &sql)) || (rc = check_vins(&ps, g, k, &sql)) ||
            (rc = merge_group(&ps, g, k, &sql)))
            goto out_rollback;
    }
    if ((rc = write_answer(&ps, ans, &sql)))
        goto out_rollback;
    {
        char batch[24];
        const char *p4[4] = {call->device, call->user, batch, ans->data};
        snprintf(batch, sizeof(batch), "%" PRId64, req->batch);
        if ((rc = run_ok(call->pg,
                         "UPDATE device_batches SET last_batch = $3, answer = $4, updated_at = "
                         "now() WHERE device_id = $1 AND user_id = $2",
                         4, p4, "recording the batch", err)))
            goto out_rollback;
    }
    if ((rc = odo_pg_exec(call->pg, "COMMIT", err)))
        goto out;
    goto out;
out_rollback:
    odo_pg_rollback(call->pg);
out:
    if (rc != 0 && *pe == ODO_PE_UNAVAILABLE && rc == ODO_ETOOBIG)
        *pe = ODO_PE_TOO_LARGE;
    odo_buf_free(&sql);
    free(ps.results);
    free(ps.winners);
    free(ps.rekeys);
    return rc;
}

/* ---- pull ------------------------------------------------------------------------------- */

static int64_t watermark(PGconn *c, struct odo_err *err, int *rc)
{
    PGresult *r = run(c, "SELECT value::bigint FROM sync_meta WHERE key = 'purge_watermark'", 0,
                      NULL, "reading the watermark", err);
    int64_t w = 0;

    *rc = r ? 0 : ODO_ESTORAGE;
    if (r && PQntuples(r) == 1)
        w = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return w;
}

/* A reconcile page: the ids of the user's live rows, table by table, after `after`. */
static int reconcile_page(const struct odo_gw_call *call, const struct odo_pull_req *req, int64_t w,
                          struct odo_buf *ans, struct odo_err *err)
{
    size_t n, ti = 0;
    const struct odo_wire_table *tables = odo_wire_tables(&n);
    char after_id[ODO_UUID_TEXT_LEN + 1] = "00000000-0000-0000-0000-000000000000", last[80] = "";
    int budget = req->limit;
    bool first_group = true, done = true;
    char h[ODO_HLC_TEXT_LEN + 1];

    if (req->after && req->after[0]) {
        const char *slash = strchr(req->after, '/');
        const struct odo_wire_table *t = NULL;
        char name[41];
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
    odo_hlc_format(*call->clock, h);
    odo_buf_printf(ans, "{\"v\":%d,\"hlc\":\"%s\",\"live\":[", ODO_PROTOCOL_VERSION, h);
    for (; ti < n && budget > 0; ti++) {
        const struct odo_wire_table *t = &tables[ti];
        char sql[256], lim[16];
        const char *params[3] = {call->user, after_id, lim};
        PGresult *r;

        if (!t->user_scoped)
            continue;
        snprintf(lim, sizeof(lim), "%d", budget + 1);
        snprintf(sql, sizeof(sql),
                 "SELECT id::text FROM %s WHERE user_id = $1 AND deleted_at IS NULL AND id > "
                 "$2::uuid ORDER BY id LIMIT $3",
                 t->name);
        r = run(call->pg, sql, 3, params, "listing live rows", err);
        if (!r)
            return ODO_ESTORAGE;
        int rows = PQntuples(r), take = rows > budget ? budget : rows;
        if (take > 0) {
            odo_buf_printf(ans, "%s{\"t\":\"%s\",\"ids\":[", first_group ? "" : ",", t->name);
            for (int i = 0; i < take; i++)
                odo_buf_printf(ans, "%s\"%s\"", i ? "," : "", PQgetvalue(r, i, 0));
            odo_buf_puts(ans, "]}");
            first_group = false;
            snprintf(last, sizeof(last), "%s/%s", t->name, PQgetvalue(r, take - 1, 0));
        }
        budget -= take;
        if (rows > take || (budget == 0 && ti + 1 < n))
            done = false;
        PQclear(r);
        strcpy(after_id, "00000000-0000-0000-0000-000000000000");
    }
    odo_buf_puts(ans, "],\"next\":");
    if (done || !last[0])
        odo_buf_puts(ans, "null");
    else
        odo_buf_json_str(ans, last);
    odo_buf_puts(ans, "}");
    if (call->rows_out)
        *call->rows_out = (size_t)(req->limit - budget);
    (void)w;
    return 0;
}

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

    odo_buf_init(&sql, SQL_MAX);
    odo_buf_puts(&sql, "SELECT coalesce(max(m), 0) FROM (");
    for (size_t ti = 0; ti < n; ti++)
        odo_buf_printf(&sql, "%s(SELECT max(rev) AS m FROM %s%s)", ti ? " UNION ALL " : "",
                       tables[ti].name, tables[ti].user_scoped ? " WHERE user_id = $1" : "");
    odo_buf_puts(&sql, ") x");
    r = run(call->pg, sql.data, 1, &call->user, "reading the newest revision", err);
    odo_buf_free(&sql);
    if (!r)
        return ODO_ESTORAGE;
    *top = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int odo_gw_pull(const struct odo_gw_call *call, const struct odo_pull_req *req, struct odo_buf *ans,
                enum odo_pe *pe, struct odo_err *err)
{
    size_t n;
    const struct odo_wire_table *tables = odo_wire_tables(&n);
    struct fetched f[16];
    struct odo_buf sql;
    char since[24], lim[16], acked[24], h[ODO_HLC_TEXT_LEN + 1];
    int64_t w, cursor = req->since;
    bool more = false, in_tx = false;
    int rc = 0, taken = 0;

    *pe = ODO_PE_UNAVAILABLE;
    memset(f, 0, sizeof(f));
    w = watermark(call->pg, err, &rc);
    if (rc)
        return rc;
    if (req->reconcile)
        return reconcile_page(call, req, w, ans, err);
    *call->clock = odo_hlc_tick(*call->clock, call->now_ms);
    odo_hlc_format(*call->clock, h);
    if (req->since > 0 && req->since < w && req->swept < w) {
        /* Tombstones the device never saw may be gone: it must reconcile first. */
        odo_buf_printf(ans, "{\"v\":%d,\"hlc\":\"%s\",\"reconcile_required\":%" PRId64 "}",
                       ODO_PROTOCOL_VERSION, h, w);
        return 0;
    }
    snprintf(since, sizeof(since), "%" PRId64, req->since);
    snprintf(lim, sizeof(lim), "%d", req->limit + 1);
    snprintf(acked, sizeof(acked), "%" PRId64, req->acked);
    odo_buf_init(&sql, SQL_MAX);
    /* One snapshot for every table: a batch committing between two of the reads would
     * otherwise show its later rows and hide its earlier ones behind the new cursor. */
    if ((rc = odo_pg_exec(call->pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err)))
        goto out;
    in_tx = true;
    for (size_t ti = 0; ti < n && ti < 16; ti++) {
        const struct odo_wire_table *t = &tables[ti];
        const char *user_params[5] = {call->user, since, lim, req->device, acked};
        const char *ref_params[2] = {since, lim};

        f[ti].t = t;
        odo_buf_reset(&sql);
        select_list(&sql, t, req->schema, f[ti].cols, &f[ti].ncols);
        /* Rows whose current version this device wrote and was answered for are left out. */
        if (t->user_scoped)
            odo_buf_puts(&sql, " WHERE user_id = $1 AND rev > $2 AND (origin IS DISTINCT FROM "
                               "$4::uuid OR rev > $5) ORDER BY rev LIMIT $3");
        else
            odo_buf_puts(&sql, " WHERE rev > $1 ORDER BY rev LIMIT $2");
        f[ti].r = run(call->pg, sql.data, t->user_scoped ? 5 : 2,
                      t->user_scoped ? user_params : ref_params, "reading changes", err);
        if (!f[ti].r) {
            rc = ODO_ESTORAGE;
            goto out;
        }
        f[ti].rows = PQntuples(f[ti].r);
    }
    /* Merge the tables in revision order up to the limit. */
    odo_buf_printf(ans, "{\"v\":%d,\"hlc\":\"%s\",\"tables\":[", ODO_PROTOCOL_VERSION, h);
    {
        struct fetched *open_group = NULL;
        bool first_group = true, first_row = true;
        for (;;) {
            struct fetched *best = NULL;
            int64_t best_rev = 0;
            for (size_t ti = 0; ti < n && ti < 16; ti++) {
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
                more = true;
                break;
            }
            if (best != open_group) {
                odo_rows_write_group(ans, first_group, best->t, best->cols, best->ncols);
                first_group = false;
                first_row = true;
                open_group = best;
            }
            write_pg_row(ans, first_row, best->t, best->cols, best->ncols, best->r, best->next);
            first_row = false;
            best->next++;
            cursor = best_rev;
            taken++;
        }
        if (!first_group)
            odo_rows_write_end(ans);
    }
    if (!more) {
        /* Everything after `since` was read: the cursor moves past the rows left out too. */
        int64_t top = 0;
        if ((rc = top_revision(call, tables, n, &top, err)))
            goto out;
        if (top > cursor)
            cursor = top;
    }
    odo_buf_printf(ans, "],\"cursor\":%" PRId64 ",\"more\":%s}", cursor, more ? "true" : "false");
    if (call->rows_out)
        *call->rows_out = (size_t)taken;
    if (ans->overflow)
        rc = odo_err_set(err, ODO_ETOOBIG, "the page is too large; ask for fewer rows");
out:
    if (in_tx)
        odo_pg_rollback(call->pg); /* read only: nothing to keep */
    for (size_t ti = 0; ti < 16; ti++)
        PQclear(f[ti].r);
    odo_buf_free(&sql);
    if (rc == ODO_ETOOBIG)
        *pe = ODO_PE_TOO_LARGE;
    return rc;
}

/* ---- purge ------------------------------------------------------------------------------ */

int odo_gw_purge(PGconn *pg, int64_t older_than_s, int64_t *purged, int64_t *wm,
                 struct odo_err *err)
{
    static const char *const children[] = {"service_records", "fuel_logs", "odometer_readings",
                                           "renewals", "maintenance"};
    char age[32], sql[2048];
    const char *params[1] = {age};
    int64_t top = 0;
    int rc;

    *purged = 0;
    snprintf(age, sizeof(age), "%" PRId64 " seconds", older_than_s);
    if ((rc = odo_pg_exec(pg, "BEGIN", err)))
        return rc;
    for (size_t i = 0; i <= sizeof(children) / sizeof(children[0]); i++) {
        PGresult *r;
        if (i < sizeof(children) / sizeof(children[0]))
            snprintf(sql, sizeof(sql),
                     "WITH d AS (DELETE FROM %s WHERE deleted_at < now() - $1::interval%s "
                     "RETURNING rev) SELECT count(*), coalesce(max(rev), 0) FROM d",
                     children[i],
                     strcmp(children[i], "maintenance") == 0
                         ? " AND NOT EXISTS (SELECT 1 FROM service_records s WHERE "
                           "s.maintenance_id = maintenance.id)"
                         : "");
        else
            snprintf(sql, sizeof(sql),
                     "WITH d AS (DELETE FROM vehicles v WHERE deleted_at < now() - "
                     "$1::interval AND NOT EXISTS (SELECT 1 FROM vehicle_aliases a WHERE "
                     "a.canonical_id = v.id) AND NOT EXISTS (SELECT 1 FROM fuel_logs c WHERE "
                     "c.vehicle_id = v.id) AND NOT EXISTS (SELECT 1 FROM odometer_readings c "
                     "WHERE c.vehicle_id = v.id) AND NOT EXISTS (SELECT 1 FROM maintenance c "
                     "WHERE c.vehicle_id = v.id) AND NOT EXISTS (SELECT 1 FROM service_records c "
                     "WHERE c.vehicle_id = v.id) AND NOT EXISTS (SELECT 1 FROM renewals c WHERE "
                     "c.vehicle_id = v.id) RETURNING rev) SELECT count(*), coalesce(max(rev), 0) "
                     "FROM d");
        r = run(pg, sql, 1, params, "purging tombstones", err);
        if (!r) {
            odo_pg_rollback(pg);
            return ODO_ESTORAGE;
        }
        *purged += atoll(PQgetvalue(r, 0, 0));
        if (atoll(PQgetvalue(r, 0, 1)) > top)
            top = atoll(PQgetvalue(r, 0, 1));
        PQclear(r);
    }
    {
        char t[24];
        const char *p1[1] = {t};
        PGresult *r;
        snprintf(t, sizeof(t), "%" PRId64, top);
        r = run(pg,
                "UPDATE sync_meta SET value = greatest(value::bigint, $1::bigint)::text WHERE "
                "key = 'purge_watermark' RETURNING value::bigint",
                1, p1, "raising the watermark", err);
        if (!r) {
            odo_pg_rollback(pg);
            return ODO_ESTORAGE;
        }
        *wm = atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    return odo_pg_exec(pg, "COMMIT", err);
}
