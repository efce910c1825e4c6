/*
 * Applying what the gateway sent (storage/replica.h): pulled rows and push winners under the
 * pending-column rule and the rules of the store's constraints (collide.c), accepted
 * revisions, refusals, re-keys, and the persisted clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/replica_internal.h"

#define RESOLVE_TRIES 3 /* rules applied to one pulled row before it is set aside */

static const char SQL_PENDING_COLS[] = "SELECT cols FROM outbox WHERE tbl = ?1 AND row_id = ?2";
static const char SQL_HLC_GET[] = "SELECT hlc FROM sync_state WHERE id = 1";
static const char SQL_HLC_SET[] = "UPDATE sync_state SET hlc = ?1 WHERE id = 1";
static const char SQL_REFUSED[] =
    "UPDATE sync_users SET refused = refused + 1, last_refusal = ?2 WHERE user_id = ?1";
/* The columns of a change in flight: its outbox entry's keys ("*" for all of them). */
static const char SQL_INFLIGHT_COLS[] =
    "SELECT j.key FROM outbox AS o, json_each(o.cols) AS j WHERE o.tbl = ?1 AND o.row_id = ?2 "
    "AND o.batch IS NOT NULL";

int odo_replica_begin_apply(struct odo_store *s, struct odo_err *err)
{
    int rc;

    /* foreign_keys cannot change inside a transaction: set it first. */
    if ((rc = odo_store_exec(s, "PRAGMA foreign_keys = OFF", err, "preparing to apply")))
        return rc;
    if ((rc = odo_store_begin(s, err))) {
        (void)!odo_store_exec(s, "PRAGMA foreign_keys = ON", NULL, "");
        return rc;
    }
    s->capture_off = true;
    return 0;
}

int odo_replica_end_apply(struct odo_store *s, bool commit, struct odo_err *err)
{
    int rc = 0;

    if (commit)
        rc = odo_store_commit(s, err);
    else
        odo_store_rollback(s);
    s->capture_off = false;
    if (odo_store_exec(s, "PRAGMA foreign_keys = ON", err, "finishing the apply") && rc == 0)
        rc = ODO_ESTORAGE;
    return rc;
}

int odo_rep_run2(struct odo_store *s, const char *sql, const char *a, const char *b,
                 const char *doing, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt_text(s, sql, err);
    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    return odo_store_step_done(s, st, err, doing);
}

int odo_rep_row_exists(struct odo_store *s, const char *tbl, const char *id, bool *exists,
                       struct odo_err *err)
{
    char sql[128];
    sqlite3_stmt *st;
    int rc;

    snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE id = ?1", tbl);
    if (!(st = odo_store_stmt_text(s, sql, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *exists = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
                                                 : odo_store_sqlerr(s, rc, err, "finding a row");
}

int odo_rep_pending_columns(struct odo_store *s, const char *tbl, const char *id,
                            const char *const *cols, const int *groups, int ncols, bool *pending,
                            struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_PENDING_COLS, err);
    int rc;

    memset(pending, 0, (size_t)ncols * sizeof(*pending));
    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, tbl, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *json = (const char *)sqlite3_column_text(st, 0);
        bool all = strstr(json, "\"*\"") != NULL;
        for (int i = 0; i < ncols; i++) {
            char key[48];
            snprintf(key, sizeof(key), "\"%s\":", cols[i]);
            pending[i] |= all || strstr(json, key) != NULL;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return odo_store_sqlerr(s, rc, err, "reading pending changes");
    /* A merge group stays local whole when any of its columns does. */
    for (int i = 0; groups && i < ncols; i++)
        for (int j = 0; groups[i] > 0 && pending[i] && j < ncols; j++)
            pending[j] |= groups[j] == groups[i];
    return 0;
}

/* Writes a pulled row: inserted when absent, else updated except for pending columns, which
 * keep the local value (*kept tells whether any did). */
static int write_row(struct odo_store *s, const char *user, const char *tbl,
                     const char *const *cols, const int *groups, int ncols, const char *id,
                     int64_t rev, const struct odo_cell *cells, bool *kept, struct odo_err *err)
{
    char sql[ODO_REP_SQL_CAP];
    bool exists, pending[ODO_READ_COLS_MAX];
    bool user_row = odo_rep_has_user(tbl);
    sqlite3_stmt *st;
    size_t n = 0;
    int rc;

    *kept = false;
    memset(pending, 0, sizeof(pending));
    if ((rc = odo_rep_row_exists(s, tbl, id, &exists, err)))
        return rc;
    if (!exists) {
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "INSERT INTO %s (id, rev%s", tbl,
                              user_row ? ", user_id" : "");
        for (int i = 0; i < ncols; i++)
            n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", %s", cols[i]);
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, ") VALUES (?1, ?2%s",
                              user_row ? ", ?3" : "");
        for (int i = 0; i < ncols; i++)
            n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", ?%d", i + 4);
        snprintf(sql + n, sizeof(sql) - n, ")");
    } else {
        if ((rc = odo_rep_pending_columns(s, tbl, id, cols, groups, ncols, pending, err)))
            return rc;
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "UPDATE %s SET rev = max(rev, ?2)", tbl);
        for (int i = 0; i < ncols; i++) {
            if (!pending[i])
                n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", %s = ?%d", cols[i], i + 4);
            *kept |= pending[i];
        }
        snprintf(sql + n, sizeof(sql) - n, " WHERE id = ?1%s", user_row ? " AND user_id = ?3" : "");
    }
    if (!(st = odo_store_stmt_text(s, sql, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, rev);
    if (user_row)
        sqlite3_bind_text(st, 3, user, -1, SQLITE_STATIC);
    for (int i = 0; i < ncols; i++)
        if (!pending[i])
            odo_rep_bind_cell(st, i + 4, &cells[i]);
    return odo_store_step_done(s, st, err, "applying a pulled row");
}

/* A pulled row's values as a JSON object, for the conflicts list. */
static int cells_json(struct odo_store *s, const char *const *cols, const struct odo_cell *cells,
                      int ncols, char **out, struct odo_err *err)
{
    char sql[ODO_REP_SQL_CAP];
    size_t n = 0;
    sqlite3_stmt *st;
    int rc;

    *out = NULL;
    n += (size_t)snprintf(sql + n, sizeof(sql) - n, "SELECT json_object(");
    for (int i = 0; i < ncols; i++)
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s'%s', ?%d", i ? ", " : "", cols[i],
                              i + 1);
    snprintf(sql + n, sizeof(sql) - n, ")");
    if (!(st = odo_store_stmt_text(s, sql, err)))
        return ODO_ESTORAGE;
    for (int i = 0; i < ncols; i++)
        odo_rep_bind_cell(st, i + 1, &cells[i]);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && !(*out = strdup((const char *)sqlite3_column_text(st, 0))))
        rc = SQLITE_NOMEM;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : odo_store_sqlerr(s, rc, err, "recording a conflict");
}

/*
 * Each attempt runs under a savepoint: a row that breaks a unique key gets the key's rule
 * (collide.c) and is tried again; a row that breaks a rule nothing resolves (a CHECK) is set
 * aside in the conflicts list with its values, and the page goes on. Only storage trouble fails.
 */
int odo_replica_apply_row(struct odo_store *s, const char *user, const char *tbl,
                          const char *const *cols, const int *groups, int ncols, const char *id,
                          int64_t rev, const struct odo_cell *cells, struct odo_err *err)
{
    struct odo_err why = {0};
    char reason[ODO_CONFLICT_REASON_MAX + 1], *vals = NULL;
    int rc;

    if ((rc = odo_rep_check_table(tbl, err)) || (rc = odo_rep_check_columns(cols, ncols, err)))
        return rc;
    if (ncols > ODO_READ_COLS_MAX)
        return odo_err_set(err, ODO_EINVAL, "%d columns is more than a row has", ncols);
    for (int attempt = 0; attempt < RESOLVE_TRIES; attempt++) {
        bool kept = false, resolved = false;
        if ((rc = odo_store_begin(s, err)))
            return rc;
        rc = write_row(s, user, tbl, cols, groups, ncols, id, rev, cells, &kept, &why);
        if (rc == 0 && kept && strcmp(tbl, "fuel_logs") == 0)
            rc = odo_rep_derive_total(s, id, &why);
        if (rc == 0)
            return odo_store_commit(s, err);
        odo_store_rollback(s);
        if (rc != ODO_EEXIST && rc != ODO_EINVAL)
            return odo_err_set(err, rc, "%s", why.msg);
        if (rc == ODO_EINVAL ||
            (rc = odo_rep_resolve(s, user, tbl, cols, groups, ncols, id, cells, &resolved, err)))
            break;
        if (!resolved)
            break;
    }
    if (rc && rc != ODO_EINVAL && rc != ODO_EEXIST)
        return rc;
    {
        /* "not applied: <the rule it broke>", the rule as SQLite names it in the parentheses
         * of the sentence. */
        const char *open = strchr(why.msg, '('), *close = strrchr(why.msg, ')');
        const char *rule = open && close > open ? open + 1 : why.msg;
        int len = open && close > open ? (int)(close - rule) : (int)strlen(rule);
        int room = (int)(sizeof(reason) - sizeof(ODO_CONFLICT_NOT_APPLIED) - 2);
        snprintf(reason, sizeof(reason), "%s: %.*s", ODO_CONFLICT_NOT_APPLIED,
                 len < room ? len : room, rule);
    }
    if ((rc = cells_json(s, cols, cells, ncols, &vals, err)) == 0)
        rc = odo_rep_conflict(s, user, tbl, id, reason, vals, err);
    free(vals);
    return rc;
}

int odo_replica_accepted(struct odo_store *s, const char *user, const char *tbl,
                         const char *const *ids, const int64_t *revs, int n, struct odo_err *err)
{
    char sql[256], *list;
    sqlite3_stmt *st;
    int rc;

    if ((rc = odo_rep_check_table(tbl, err)))
        return rc;
    if (n <= 0)
        return 0;
    snprintf(sql, sizeof(sql),
             "UPDATE %s SET rev = max(rev, j.value ->> 1) FROM json_each(?1) AS j "
             "WHERE %s.id = j.value ->> 0%s",
             tbl, tbl, odo_rep_has_user(tbl) ? " AND user_id = ?2" : "");
    if ((rc = odo_rep_ids_stmt(s, sql, tbl, user, ids, n, revs, &list, &st,
                               "recording accepted changes", err)))
        return rc;
    rc = odo_store_step_done(s, st, err, "recording accepted changes");
    free(list);
    return rc;
}

/* The columns a change in flight carries, with the local values they have now: what a refusal
 * loses. *out is NULL when the row is gone. */
static int refused_values(struct odo_store *s, const char *tbl, const char *id, char **out,
                          struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_INFLIGHT_COLS, err);
    char names[ODO_READ_COLS_MAX][48];
    const char *cols[ODO_READ_COLS_MAX];
    bool all = false;
    int n = 0, rc;

    *out = NULL;
    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, tbl, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < ODO_READ_COLS_MAX) {
        odo_column_text(st, 0, names[n], sizeof(names[n]));
        all |= strcmp(names[n], "*") == 0;
        cols[n] = names[n];
        n++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return odo_store_sqlerr(s, rc, err, "reading a refused change");
    return odo_rep_row_json(s, tbl, id, all || n == 0 ? NULL : cols, all ? 0 : n, out, err);
}

/* Drops the parent (parent, named by column fk of row id of tbl) when it is only a synced
 * tombstone here with nothing to push. */
static int drop_purged_parent(struct odo_store *s, const char *user, const char *tbl,
                              const char *id, const char *parent, const char *fk,
                              struct odo_err *err)
{
    char sql[400];
    snprintf(sql, sizeof(sql),
             "DELETE FROM %s WHERE id = (SELECT %s FROM %s WHERE id = ?1) AND user_id = ?2 AND "
             "rev > 0 AND deleted_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM outbox o WHERE "
             "o.tbl = '%s' AND o.row_id = %s.id)",
             parent, fk, tbl, parent, parent);
    return odo_rep_run2(s, sql, id, user, "dropping a purged row", err);
}

int odo_replica_refused(struct odo_store *s, const char *user, const char *tbl, const char *id,
                        const char *reason, struct odo_err *err)
{
    sqlite3_stmt *st;
    char *vals = NULL;
    int rc, dropped = 0;

    if ((rc = odo_rep_check_table(tbl, err)))
        return rc;
    /* Read before a winner replaces them. */
    if ((rc = refused_values(s, tbl, id, &vals, err)) ||
        (rc = odo_rep_conflict(s, user, tbl, id, reason, vals, err))) {
        free(vals);
        return rc;
    }
    free(vals);
    if (strcmp(reason, "unknown row") == 0) {
        /* The gateway no longer knows a row this device had synced (its tombstone was
         * purged): the local copy goes, so that a delete never comes back. */
        char drop[160], unqueue[200];
        snprintf(drop, sizeof(drop), "DELETE FROM %s WHERE id = ?1 AND user_id = ?2 AND rev > 0",
                 tbl);
        snprintf(unqueue, sizeof(unqueue),
                 "DELETE FROM outbox WHERE tbl = ?1 AND row_id = ?2 AND batch IS NULL AND NOT "
                 "EXISTS (SELECT 1 FROM %s WHERE id = ?2)",
                 tbl);
        if ((rc = odo_rep_run2(s, drop, id, user, "dropping a purged row", err)) ||
            (rc = odo_rep_run2(s, unqueue, tbl, id, "dropping a purged row", err)))
            return rc;
    }
    /* The gateway does not know the parent: a tombstone of it here, synced and with nothing to
     * push, is one the gateway has purged since, and goes. */
    if (strcmp(reason, "unknown vehicle") == 0 && strcmp(tbl, "vehicles") != 0)
        rc = drop_purged_parent(s, user, tbl, id, "vehicles", "vehicle_id", err);
    else if (strcmp(reason, "unknown maintenance item") == 0)
        rc = drop_purged_parent(s, user, tbl, id, "maintenance", "maintenance_id", err);
    if (rc)
        return rc;
    /* A change refused under a parent that is gone here too goes with it (and what hung off a
     * dropped row). */
    if (strncmp(reason, "unknown ", 8) == 0)
        if ((rc = odo_rep_drop_orphans(s, user, &dropped, err)))
            return rc;
    odo_rep_ensure_user(s, user);
    if (!(st = odo_store_stmt(s, SQL_REFUSED, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
    return odo_store_step_done(s, st, err, "recording a refusal");
}

int odo_replica_rekey(struct odo_store *s, const char *user, const char *tbl, const char *from,
                      const char *to, struct odo_err *err)
{
    char sql[512], *vals = NULL;
    bool to_exists;
    int rc;

    if ((rc = odo_rep_check_table(tbl, err)) ||
        (rc = odo_rep_row_exists(s, tbl, to, &to_exists, err)) ||
        (rc = odo_rep_row_json(s, tbl, from, NULL, 0, &vals, err)))
        return rc;
    /* What `from` held goes into the conflicts list: from now on the row shows the values of
     * the one registered first. */
    if (vals) {
        rc = odo_rep_conflict(s, user, tbl, from, ODO_CONFLICT_MERGED, vals, err);
        free(vals);
        if (rc)
            return rc;
    }
    /* Two items of one type on the merged vehicle become one first. */
    if (to_exists && strcmp(tbl, "vehicles") == 0 &&
        (rc = odo_rep_merge_items(s, user, from, to, err)))
        return rc;
    if ((rc = odo_rep_move_children(s, tbl, from, to, err)))
        return rc;
    if (!to_exists) {
        snprintf(sql, sizeof(sql), "UPDATE %s SET id = ?1 WHERE id = ?2", tbl);
        if ((rc = odo_rep_run2(s, sql, to, from, "re-keying a row", err)))
            return rc;
    } else {
        /* Merged into a row this device has: pending changes of `from` join those of `to`. */
        if ((rc = odo_rep_run2(s,
                               "UPDATE outbox AS t SET cols = json_patch(f.cols, t.cols) FROM "
                               "outbox AS f WHERE f.row_id = ?2 AND t.row_id = ?1 AND f.tbl = "
                               "t.tbl AND f.batch IS NULL AND t.batch IS NULL",
                               to, from, "re-keying a row", err)) ||
            (rc = odo_rep_run2(s,
                               "DELETE FROM outbox WHERE row_id = ?2 AND batch IS NULL AND EXISTS "
                               "(SELECT 1 FROM outbox t WHERE t.row_id = ?1 AND t.tbl = "
                               "outbox.tbl AND t.batch IS NULL)",
                               to, from, "re-keying a row", err)))
            return rc;
        snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ?2 AND ?1 IS NOT NULL", tbl);
        if ((rc = odo_rep_run2(s, sql, to, from, "re-keying a row", err)))
            return rc;
    }
    /* Pending changes follow the row; entries in flight keep naming `from` (the gateway
     * re-points aliases) and go when their batch settles. */
    return odo_rep_run2(s, "UPDATE outbox SET row_id = ?1 WHERE row_id = ?2 AND batch IS NULL", to,
                        from, "re-keying a row", err);
}

static int get_hlc(struct odo_store *s, odo_hlc *out, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_HLC_GET, err);
    char text[ODO_HLC_TEXT_LEN + 1];
    int rc;

    if (!st)
        return ODO_ESTORAGE;
    if ((rc = odo_store_text(s, st, text, sizeof(text), "reading the clock", err)))
        return rc;
    if (odo_hlc_parse(text, out) != 0)
        return odo_err_set(err, ODO_ESTORAGE, "the persisted clock is damaged");
    return 0;
}

int odo_replica_hlc(struct odo_store *s, odo_hlc *out, struct odo_err *err)
{
    return get_hlc(s, out, err);
}

int odo_replica_receive_hlc(struct odo_store *s, odo_hlc remote, struct odo_err *err)
{
    char text[ODO_HLC_TEXT_LEN + 1];
    sqlite3_stmt *st;
    odo_hlc cur;
    int rc;

    if ((rc = get_hlc(s, &cur, err)))
        return rc;
    odo_hlc_format(odo_hlc_recv(cur, remote, odo_clock_now(s->clock)), text);
    if (!(st = odo_store_stmt(s, SQL_HLC_SET, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    return odo_store_step_done(s, st, err, "advancing the clock");
}
