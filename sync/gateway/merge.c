/*
 * Merging a staged group into its table (merge.h): one statement checks and merges every staged
 * row (or the one row being merged row by row), and derived values are recomputed after it.
 */
#include "sync/gateway/merge.h"

#include <stdlib.h>
#include <string.h>

/* The key of column j of a stage row: its own, or the row's. */
static void key_expr(struct odo_buf *sql, const char *alias, int j)
{
    odo_buf_printf(sql, "coalesce(%s.k%d, %s.kr)", alias, j, alias);
}

/* The stored key of column name of t: its own, or the row's first write's. */
static void stored_key(struct odo_buf *sql, const char *name)
{
    odo_buf_printf(sql, "coalesce(t.hlcs->>'%s', t.hlcs->>'*', '')", name);
}

/*
 * Whether pushed column j wins: a new row takes everything; else its key must be later than the
 * stored one. A column of a merge group wins with its group or not at all: the latest key the
 * push gives any column of the group must be later than every stored key of the group's
 * columns, pushed or not.
 */
static void win_expr(struct odo_buf *sql, const struct odo_push_group *g, int j)
{
    const struct odo_wire_table *t = g->table;
    int m = t->cols[g->cols[j]].merge_group;

    odo_buf_puts(sql, "(t.owner IS NULL OR ");
    if (m == ODO_MERGE_ALONE) {
        key_expr(sql, "x", j);
        odo_buf_puts(sql, " > ");
        stored_key(sql, t->cols[g->cols[j]].name);
        odo_buf_putc(sql, ')');
        return;
    }
    odo_buf_puts(sql, "greatest(");
    for (int i = 0, n = 0; i < g->ncols; i++)
        if (t->cols[g->cols[i]].merge_group == m) {
            odo_buf_puts(sql, n++ ? ", " : "");
            key_expr(sql, "x", i);
        }
    odo_buf_puts(sql, ") > greatest(");
    for (size_t c = 0, n = 0; c < t->ncols; c++)
        if (t->cols[c].merge_group == m) {
            odo_buf_puts(sql, n++ ? ", " : "");
            stored_key(sql, t->cols[c].name);
        }
    odo_buf_puts(sql, "))");
}

/*
 * The statement's parts:
 *   s    each stage row with the stored row of its id, found by one primary-key probe per row
 *        (a LATERAL subquery behind OFFSET 0, so that the plan cannot turn into a scan of the
 *        whole table, whose cost would grow with every user's data); the reason it is refused,
 *        if any: another user's row ("forbidden", nothing more said), a parent that is not the
 *        user's, a new row without its required columns; and per column whether the pushed
 *        value wins (win_expr);
 *   ins, upd   new rows inserted; existing rows take their winning columns, and a new revision
 *        when any column won;
 * and the result: per stage row its refusal, or its revision and whether the device lost a
 * column (then the row goes back as a winner). A row twice in one stage is merged row by row
 * (push.c), so each stored row meets one stage row here.
 *
 * hlcs stores the row's key under "*" and a column's key only where it differs (the stage's h
 * is that object for a new row), so a row that arrived whole and was never edited carries one
 * key, not one per column.
 */
int odo_gw_merge(struct odo_gw_push_state *ps, struct odo_buf *sql)
{
    const struct odo_push_group *g = ps->g;
    const struct odo_wire_table *t = g->table;
    int vid = odo_gw_ps_col(ps, "vehicle_id"), mid = odo_gw_ps_col(ps, "maintenance_id");
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
    for (int j = 0; j < g->ncols; j++) {
        odo_buf_puts(sql, ", ");
        win_expr(sql, g, j);
        odo_buf_printf(sql, " AS w%d", j);
    }
    odo_buf_printf(sql,
                   " FROM s%d x LEFT JOIN LATERAL (SELECT t.ctid AS tid, t.user_id AS owner, "
                   "t.hlcs FROM %s t WHERE t.id = x.id OFFSET 0) t ON true WHERE true",
                   ps->k, t->name);
    odo_gw_ps_only(ps, sql, "x");
    odo_buf_puts(sql, "), ");

    /* New rows. */
    odo_buf_printf(sql, "ins AS (INSERT INTO %s (id, user_id", t->name);
    for (int j = 0; j < g->ncols; j++)
        odo_buf_printf(sql, ", %s", t->cols[g->cols[j]].name);
    odo_buf_puts(sql, ", rev, hlcs, origin) SELECT s.id, $1");
    for (int j = 0; j < g->ncols; j++) {
        odo_buf_puts(sql, ", ");
        odo_gw_ps_cast(sql, &t->cols[g->cols[j]], "s", j);
    }
    odo_buf_puts(sql, ", nextval('rev_seq'), s.h, $2::uuid FROM s WHERE s.reason IS NULL AND "
                      "s.is_new RETURNING id, rev), ");

    /* Existing rows: each column (or merge group) keeps the later writer. */
    odo_buf_printf(sql, "upd AS (UPDATE %s t SET ", t->name);
    for (int j = 0; j < g->ncols; j++) {
        const char *name = t->cols[g->cols[j]].name;
        odo_buf_printf(sql, "%s = CASE WHEN s.w%d THEN ", name, j);
        odo_gw_ps_cast(sql, &t->cols[g->cols[j]], "s", j);
        odo_buf_printf(sql, " ELSE t.%s END, ", name);
    }
    odo_buf_puts(sql, "hlcs = t.hlcs || jsonb_strip_nulls(jsonb_build_object(");
    for (int j = 0; j < g->ncols; j++) {
        odo_buf_printf(sql, "%s'%s', CASE WHEN s.w%d THEN ", j ? ", " : "",
                       t->cols[g->cols[j]].name, j);
        key_expr(sql, "s", j);
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
    if (!(r = odo_gw_ps_run(ps, sql->data, 2, NULL, "merging the batch")))
        return ODO_ESTORAGE;
    for (int i = 0; i < PQntuples(r); i++) {
        size_t ord = (size_t)atol(PQgetvalue(r, i, 0));
        int rc = 0;
        if (ord >= ps->req->nrows)
            continue;
        if (!PQgetisnull(r, i, 1))
            rc = odo_gw_ps_refuse(ps, ord, PQgetvalue(r, i, 3), PQgetvalue(r, i, 1));
        else if (!PQgetisnull(r, i, 2) && !ps->results[ord].reason[0]) {
            ps->results[ord].rev = atoll(PQgetvalue(r, i, 2));
            if (PQgetvalue(r, i, 4)[0] == 't')
                rc = odo_gw_ps_winner(ps, t, PQgetvalue(r, i, 3));
        }
        if (rc) {
            PQclear(r);
            return rc;
        }
    }
    PQclear(r);
    return 0;
}

/*
 * A fill-up's total is derived from its volume and unit price (docs/protocol.md): two devices
 * correcting the volume and the price both win, and the total then follows them. A row is
 * consistent when total = round(volume × price) to cents, or when the price is the one derived
 * from the total, round(total / volume) to 3 decimals (written as a range, so that no division
 * rounds before the comparison); PostgreSQL's round() takes halves away from zero, like the
 * device's odo_muldiv_round. A row made consistent here takes a new revision, its total the
 * latest key of the three, and goes back to the device as a winner.
 */
int odo_gw_merge_derive(struct odo_gw_push_state *ps, struct odo_buf *sql)
{
    PGresult *r;
    int rc = 0;

    if (strcmp(ps->g->table->name, "fuel_logs") != 0 ||
        (odo_gw_ps_col(ps, "volume") < 0 && odo_gw_ps_col(ps, "unit_price") < 0 &&
         odo_gw_ps_col(ps, "total_cost") < 0))
        return 0;
    odo_buf_reset(sql);
    odo_buf_puts(sql, "UPDATE fuel_logs t SET total_cost = round(t.volume * t.unit_price, 2), "
                      "hlcs = t.hlcs || jsonb_build_object('total_cost', greatest(");
    stored_key(sql, "volume");
    odo_buf_puts(sql, ", ");
    stored_key(sql, "unit_price");
    odo_buf_puts(sql, ", ");
    stored_key(sql, "total_cost");
    odo_buf_printf(sql,
                   ")), origin = NULL, rev = nextval('rev_seq') FROM s%d s WHERE t.id = s.id AND "
                   "t.user_id = $1 AND t.unit_price IS NOT NULL AND t.total_cost IS NOT NULL "
                   "AND t.total_cost <> round(t.volume * t.unit_price, 2) AND NOT "
                   "(t.total_cost >= (t.unit_price - 0.0005) * t.volume AND "
                   "t.total_cost < (t.unit_price + 0.0005) * t.volume)",
                   ps->k);
    odo_gw_ps_only(ps, sql, "s");
    odo_buf_puts(sql, " RETURNING t.id::text");
    if (!(r = odo_gw_ps_run(ps, sql->data, 1, NULL, "deriving totals")))
        return ODO_ESTORAGE;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++)
        rc = odo_gw_ps_winner(ps, ps->g->table, PQgetvalue(r, i, 0));
    PQclear(r);
    return rc;
}
