/*
 * Applying a push batch in PostgreSQL (apply.h): each table group staged with COPY into a
 * temporary table, then checked and merged with one statement per group, and the answer written
 * by the protocol's writer and stored with the batch record in the same transaction.
 */
#include "sync/gateway/apply.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/gateway/pg.h"
#include "sync/gateway/sql.h"

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

/* Refuses the rows of g that a domain check refused when the batch was decoded. */
static void refuse_domain(struct push_state *ps, const struct odo_push_group *g)
{
    for (size_t i = 0; i < g->nrows; i++)
        if (g->rows[i].refused[0])
            refuse(ps, g->first + i, g->rows[i].refused);
}

/* Collects "ord" values a query returns and refuses them with reason; then drops them from the
 * stage. The query may use $1, the user. */
static int refuse_query(struct push_state *ps, int k, const char *sql, const char *reason)
{
    const char *params[1] = {ps->call->user};
    PGresult *r = odo_gw_run(ps->call->pg, sql, strstr(sql, "$1") ? 1 : 0, params,
                             "checking the batch", ps->err);
    char del[96];

    if (!r)
        return ODO_ESTORAGE;
    for (int i = 0; i < PQntuples(r); i++) {
        size_t ord = (size_t)atol(PQgetvalue(r, i, 0));
        if (ord < ps->req->nrows)
            refuse(ps, ord, reason);
        snprintf(del, sizeof(del), "DELETE FROM s%d WHERE ord = %zu", k, ord);
        if (odo_gw_run_ok(ps->call->pg, del, 0, NULL, "checking the batch", ps->err)) {
            PQclear(r);
            return ODO_ESTORAGE;
        }
    }
    PQclear(r);
    return 0;
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
        if (odo_gw_run_ok(ps->call->pg, sql->data, 1, params, "re-pointing aliases", ps->err))
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
        r = odo_gw_run(ps->call->pg, sql->data, 1, params, "re-pointing aliases", ps->err);
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
    r = odo_gw_run(ps->call->pg, sql->data, 1, params, "matching VINs", ps->err);
    if (!r)
        return ODO_ESTORAGE;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        size_t ord = (size_t)atol(PQgetvalue(r, i, 0));
        const char *alias = PQgetvalue(r, i, 1), *canonical = PQgetvalue(r, i, 2);
        const char *p3[3] = {alias, canonical, ps->call->user};
        char drop[96];

        rc = odo_gw_run_ok(ps->call->pg,
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
            rc = odo_gw_run_ok(ps->call->pg, drop, 0, NULL, "matching VINs", ps->err);
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
    r = odo_gw_run(ps->call->pg, sql->data, 2, params, "merging the batch", ps->err);
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

/* ---- the answer ------------------------------------------------------------------------- */

/* The winning rows, read again as they now stand, one group per table. */
static int write_winners(struct push_state *ps, struct odo_push_ans_writer *w, struct odo_buf *sql)
{
    size_t n;
    const struct odo_wire_table *tables = odo_wire_tables(&n);

    for (size_t ti = 0; ti < n; ti++) {
        const struct odo_wire_table *t = &tables[ti];
        int cols[ODO_WIRE_COLS_MAX], ncols, nrows = 0;
        PGresult *r;

        odo_buf_reset(sql);
        odo_gw_select_list(sql, t, ps->req->schema, cols, &ncols);
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
            r = odo_gw_run(ps->call->pg, sql->data, 2, params, "reading winners", ps->err);
            odo_buf_free(&ids);
        }
        if (!r)
            return ODO_ESTORAGE;
        odo_push_ans_write_winners(w, t, cols, ncols);
        for (int i = 0; i < PQntuples(r); i++) {
            struct odo_val vals[ODO_WIRE_COLS_MAX];
            const char *id;
            int64_t rev;
            odo_gw_row_vals(t, cols, ncols, r, i, &id, &rev, vals);
            odo_push_ans_write_winner(w, id, rev, vals, ncols);
        }
        PQclear(r);
    }
    return 0;
}

static int write_answer(struct push_state *ps, struct odo_buf *ans, struct odo_buf *sql)
{
    struct odo_push_ans_writer w;
    int rc;

    odo_push_ans_write_begin(&w, ans, ps->req->batch, *ps->call->clock);
    for (size_t i = 0; i < ps->req->nrows; i++)
        odo_push_ans_write_rev(&w, ps->results[i].reason[0] ? 0 : ps->results[i].rev);
    for (size_t i = 0; i < ps->req->nrows; i++)
        if (ps->results[i].reason[0])
            odo_push_ans_write_refused(&w, i, ps->results[i].reason);
    if ((rc = write_winners(ps, &w, sql)))
        return rc;
    for (size_t i = 0; i < ps->nrekeys; i++)
        odo_push_ans_write_rekey(&w, ps->rekeys[i].table, ps->rekeys[i].from, ps->rekeys[i].to);
    odo_push_ans_write_end(&w);
    return ans->overflow ? odo_err_set(ps->err, ODO_ETOOBIG, "the answer is too large") : 0;
}

/* ---- push ------------------------------------------------------------------------------- */

/* Moves the gateway's clock past everything in the batch (clamped). */
static void receive_clock(const struct odo_gw_call *call, const struct odo_push_req *req)
{
    bool clamped = false;
    odo_hlc seen = odo_gw_clamp(call, req->hlc, &clamped);

    for (size_t g = 0; g < req->ngroups; g++)
        for (size_t i = 0; i < req->groups[g].nrows; i++) {
            odo_hlc h = odo_gw_clamp(call, req->groups[g].rows[i].hlc, &clamped);
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
    odo_buf_init(&sql, ODO_GW_SQL_MAX);
    if (!ps.results) {
        rc = odo_err_set(err, ODO_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = odo_pg_exec(call->pg, "BEGIN", err)))
        goto out;
    /* One batch of a user at a time, so that revisions commit in order for each user. */
    if ((rc = odo_gw_run_ok(call->pg, "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", 1,
                            &call->user, "locking", err)) ||
        (rc = odo_gw_run_ok(call->pg,
                            "INSERT INTO device_batches (device_id, user_id) VALUES ($1, $2) "
                            "ON CONFLICT DO NOTHING",
                            2, p2, "recording the device", err)))
        goto out_rollback;
    r = odo_gw_run(
        call->pg,
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
        refuse_domain(&ps, g);
        if ((rc = odo_gw_stage(call, req, g, k, &sql, err)) ||
            (rc = rewrite_aliases(&ps, g, k, &sql)) || (rc = alias_new_vehicles(&ps, g, k, &sql)) ||
            (rc = check_vins(&ps, g, k, &sql)) || (rc = merge_group(&ps, g, k, &sql)))
            goto out_rollback;
    }
    if ((rc = write_answer(&ps, ans, &sql)))
        goto out_rollback;
    {
        char batch[24];
        const char *p4[4] = {call->device, call->user, batch, ans->data};
        snprintf(batch, sizeof(batch), "%" PRId64, req->batch);
        if ((rc = odo_gw_run_ok(
                 call->pg,
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
