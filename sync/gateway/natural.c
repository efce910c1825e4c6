/*
 * Natural keys in a push (merge.h): the unique keys of the synced tables other than their ids,
 * and what happens when two offline devices claim one. The same thing registered twice (a new
 * row with a key a live row holds) is merged: the new id becomes an alias of the live row, and
 * everything that names the alias is re-pointed. A change of an existing row into a key another
 * live row holds is refused, and the device gets its row back. docs/protocol.md keeps the table.
 */
#include "sync/gateway/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A unique key among a user's live rows, and the table its aliases are recorded in. */
struct natural_key {
    const char *table, *aliases;
    const char *cols[2];
    int ncols;
    const char *index;   /* the unique index that holds it */
    const char *refusal; /* for a change into a key another live row holds */
    const char *same;    /* for the log */
};

static const struct natural_key natural_keys[] = {
    {"vehicles",
     "vehicle_aliases",
     {"vin", NULL},
     1,
     "vehicles_live_vin",
     "vin already registered",
     "the same VIN"},
    {"maintenance",
     "maintenance_aliases",
     {"vehicle_id", "type"},
     2,
     "maintenance_live_type",
     "maintenance item already exists",
     "the same type on the same vehicle"},
};

/* Columns that name a row of a table with aliases. */
static const struct {
    const char *col, *aliases;
} references[] = {{"vehicle_id", "vehicle_aliases"}, {"maintenance_id", "maintenance_aliases"}};

static const struct natural_key *key_of(const struct odo_wire_table *t)
{
    for (size_t i = 0; i < ODO_ARRAY_LEN(natural_keys); i++)
        if (strcmp(natural_keys[i].table, t->name) == 0)
            return &natural_keys[i];
    return NULL;
}

/* The pushed value of column j as its stored type. */
static void pushed(struct odo_buf *sql, const struct odo_gw_push_state *ps, int j)
{
    odo_gw_ps_cast(sql, &ps->g->table->cols[ps->g->cols[j]], "s", j);
}

/* The value column name of an existing row t will have after the merge: the pushed one if it
 * wins by last writer wins, else the stored one. */
static void after_merge(struct odo_buf *sql, const struct odo_gw_push_state *ps, const char *name)
{
    int j = odo_gw_ps_col(ps, name);

    if (j < 0) {
        odo_buf_printf(sql, "t.%s", name);
        return;
    }
    odo_buf_printf(sql,
                   "CASE WHEN coalesce(s.k%d, s.kr) > coalesce(t.hlcs->>'%s', t.hlcs->>'*', '') "
                   "THEN ",
                   j, name);
    pushed(sql, ps, j);
    odo_buf_printf(sql, " ELSE t.%s END", name);
}

int odo_gw_keys_rewrite(struct odo_gw_push_state *ps, struct odo_buf *sql, bool *twice)
{
    const struct natural_key *key = key_of(ps->g->table);
    PGresult *r;
    int rc = 0;

    *twice = false;
    for (size_t i = 0; i < ODO_ARRAY_LEN(references); i++) {
        int j = odo_gw_ps_col(ps, references[i].col);
        if (j < 0)
            continue;
        odo_buf_reset(sql);
        odo_buf_printf(sql,
                       "UPDATE s%d s SET v%d = a.canonical_id::text FROM %s a WHERE a.user_id = "
                       "$1 AND a.alias_id = s.v%d::uuid",
                       ps->k, j, references[i].aliases, j);
        odo_gw_ps_only(ps, sql, "s");
        if ((rc = odo_gw_ps_run_ok(ps, sql->data, 1, NULL, "re-pointing aliases")))
            return rc;
    }
    if (!key)
        return 0;
    /* The row itself pushed under an alias id: it is the canonical row now. */
    odo_buf_reset(sql);
    odo_buf_printf(sql,
                   "UPDATE s%d s SET id = a.canonical_id FROM %s a WHERE a.user_id = $1 AND "
                   "a.alias_id = s.id",
                   ps->k, key->aliases);
    odo_gw_ps_only(ps, sql, "s");
    odo_buf_puts(sql, " RETURNING a.alias_id::text, a.canonical_id::text");
    if (!(r = odo_gw_ps_run(ps, sql->data, 1, NULL, "re-pointing aliases")))
        return ODO_ESTORAGE;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++)
        rc = odo_gw_ps_rekey(ps, ps->g->table, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    if (rc == 0 && PQntuples(r) > 0 && ps->only < 0) {
        PGresult *d;
        odo_buf_reset(sql);
        odo_buf_printf(sql, "SELECT 1 FROM s%d GROUP BY id HAVING count(*) > 1 LIMIT 1", ps->k);
        if (!(d = odo_gw_ps_run(ps, sql->data, 0, NULL, "re-pointing aliases")))
            rc = ODO_ESTORAGE;
        else
            *twice = PQntuples(d) > 0;
        PQclear(d);
    }
    PQclear(r);
    return rc;
}

int odo_gw_keys_alias_new(struct odo_gw_push_state *ps, struct odo_buf *sql)
{
    const struct natural_key *key = key_of(ps->g->table);
    int del = odo_gw_ps_col(ps, "deleted_at");
    PGresult *r;
    int rc = 0;

    if (!key)
        return 0;
    for (int c = 0; c < key->ncols; c++)
        if (odo_gw_ps_col(ps, key->cols[c]) < 0)
            return 0; /* a new row without its key has none (or is refused as incomplete) */
    /* New (no row of its id exists) and live (deleted_at absent means live). */
    odo_buf_reset(sql);
    odo_buf_printf(sql,
                   "SELECT s.ord, s.id::text, t.id::text, t.rev FROM s%d s JOIN %s t ON "
                   "t.user_id = $1 AND t.deleted_at IS NULL AND t.id <> s.id",
                   ps->k, key->table);
    for (int c = 0; c < key->ncols; c++) {
        odo_buf_printf(sql, " AND t.%s = ", key->cols[c]);
        pushed(sql, ps, odo_gw_ps_col(ps, key->cols[c]));
    }
    odo_buf_printf(sql, " WHERE NOT EXISTS (SELECT 1 FROM %s x WHERE x.id = s.id)", key->table);
    if (del >= 0)
        odo_buf_printf(sql, " AND s.v%d IS NULL", del);
    odo_gw_ps_only(ps, sql, "s");
    if (!(r = odo_gw_ps_run(ps, sql->data, 1, NULL, "matching natural keys")))
        return ODO_ESTORAGE;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        size_t ord = (size_t)atol(PQgetvalue(r, i, 0));
        const char *alias = PQgetvalue(r, i, 1), *canonical = PQgetvalue(r, i, 2);
        const char *p3[3] = {ps->call->user, alias, canonical};
        char rec[160], drop[96];

        snprintf(rec, sizeof(rec),
                 "INSERT INTO %s (alias_id, canonical_id, user_id) VALUES ($2, $3, $1) ON "
                 "CONFLICT (alias_id) DO NOTHING",
                 key->aliases);
        snprintf(drop, sizeof(drop), "DELETE FROM s%d WHERE ord = %zu", ps->k, ord);
        if ((rc = odo_gw_ps_run_ok(ps, rec, 3, p3, "recording an alias")) ||
            (rc = odo_gw_ps_rekey(ps, ps->g->table, alias, canonical)) ||
            (rc = odo_gw_ps_winner(ps, ps->g->table, canonical)) ||
            (rc = odo_gw_ps_run_ok(ps, drop, 0, NULL, "recording an alias")))
            break;
        if (ord < ps->req->nrows)
            ps->results[ord].rev = atoll(PQgetvalue(r, i, 3));
        odo_log(ps->call->log, ODO_LOG_INFO, "user %s: %s %s is an alias of %s (%s)",
                ps->call->user, key->table, alias, canonical, key->same);
    }
    PQclear(r);
    return rc;
}

int odo_gw_keys_check(struct odo_gw_push_state *ps, struct odo_buf *sql)
{
    const struct natural_key *key = key_of(ps->g->table);
    bool touched = odo_gw_ps_col(ps, "deleted_at") >= 0;
    PGresult *r;
    int rc = 0;

    if (!key)
        return 0;
    for (int c = 0; c < key->ncols; c++)
        touched |= odo_gw_ps_col(ps, key->cols[c]) >= 0;
    if (!touched)
        return 0;
    odo_buf_reset(sql);
    odo_buf_printf(sql,
                   "SELECT s.ord, s.id::text FROM s%d s JOIN %s t ON t.id = s.id AND "
                   "t.user_id = $1 WHERE (",
                   ps->k, key->table);
    after_merge(sql, ps, "deleted_at");
    odo_buf_printf(sql,
                   ") IS NULL AND EXISTS (SELECT 1 FROM %s o WHERE o.user_id = $1 AND "
                   "o.deleted_at IS NULL AND o.id <> s.id",
                   key->table);
    for (int c = 0; c < key->ncols; c++) {
        odo_buf_printf(sql, " AND o.%s = ", key->cols[c]);
        after_merge(sql, ps, key->cols[c]);
    }
    odo_buf_putc(sql, ')');
    odo_gw_ps_only(ps, sql, "s");
    if (!(r = odo_gw_ps_run(ps, sql->data, 1, NULL, "checking natural keys")))
        return ODO_ESTORAGE;
    if (ps->defer_keys && PQntuples(r) > 0) {
        PQclear(r);
        ps->deferred = true;
        return odo_err_set(ps->err, ODO_EEXIST, "a change takes a key another row holds");
    }
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        size_t ord = (size_t)atol(PQgetvalue(r, i, 0));
        char drop[96];
        snprintf(drop, sizeof(drop), "DELETE FROM s%d WHERE ord = %zu", ps->k, ord);
        if (!(rc = odo_gw_ps_refuse(ps, ord, PQgetvalue(r, i, 1), key->refusal)))
            rc = odo_gw_ps_run_ok(ps, drop, 0, NULL, "checking natural keys");
    }
    PQclear(r);
    return rc;
}

bool odo_gw_keys_broken(const struct odo_gw_push_state *ps)
{
    for (size_t i = 0; i < ODO_ARRAY_LEN(natural_keys); i++)
        if (strcmp(ps->constraint, natural_keys[i].index) == 0)
            return strcmp(ps->sqlstate, "23505") == 0;
    return false;
}

void odo_gw_keys_reason(const struct odo_gw_push_state *ps, char out[ODO_REASON_MAX])
{
    const char *c = ps->constraint;

    for (size_t i = 0; i < ODO_ARRAY_LEN(natural_keys); i++)
        if (strcmp(c, natural_keys[i].index) == 0) {
            snprintf(out, ODO_REASON_MAX, "%s", natural_keys[i].refusal);
            return;
        }
    if (strcmp(c, "maintenance_schedule") == 0)
        snprintf(out, ODO_REASON_MAX,
                 "a maintenance item needs a due date, a due odometer or a last done date");
    else if (strcmp(c, "renewals_validity") == 0)
        snprintf(out, ODO_REASON_MAX, "valid_until is before valid_from");
    else if (strcmp(ps->sqlstate, "23503") == 0)
        snprintf(out, ODO_REASON_MAX, "%s",
                 strstr(c, "maintenance_id") ? "unknown maintenance item" : "unknown vehicle");
    else if (strncmp(ps->sqlstate, "22", 2) == 0)
        snprintf(out, ODO_REASON_MAX, "a value does not fit the central database");
    else
        snprintf(out, ODO_REASON_MAX, "refused by the central database (%.60s)",
                 c[0] ? c : ps->sqlstate);
}
