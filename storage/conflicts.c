/*
 * The conflicts list (storage/replica.h, migrations/device/006_sync_conflicts.sql): what sync
 * could not keep, one entry per (user, table, row, reason), the newest ODO_CONFLICTS_MAX of a
 * user kept, each with the values concerned as a JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/replica_internal.h"

static const char SQL_RECORD[] =
    "INSERT INTO sync_conflicts (user_id, tbl, row_id, reason, vals, at) VALUES (?1, ?2, ?3, "
    "?4, ?5, ?6) ON CONFLICT (user_id, tbl, row_id, reason) DO UPDATE SET vals = excluded.vals, "
    "at = excluded.at";
static const char SQL_TRIM[] =
    "DELETE FROM sync_conflicts WHERE user_id = ?1 AND rowid NOT IN (SELECT rowid FROM "
    "sync_conflicts WHERE user_id = ?1 ORDER BY at DESC, rowid DESC LIMIT ?2)";
static const char SQL_LIST[] = "SELECT tbl, row_id, reason, vals, at FROM sync_conflicts WHERE "
                               "user_id = ?1 ORDER BY at DESC, rowid DESC";
static const char SQL_COUNT[] =
    "SELECT count(*) FROM sync_conflicts WHERE user_id = ?1 AND at >= ?2";
static const char SQL_CLEAR[] = "DELETE FROM sync_conflicts WHERE user_id = ?1";
/* Every synced column of a table but the envelope the gateway keeps apart. */
static const char SQL_COLUMNS[] = "SELECT name FROM pragma_table_info(?1) WHERE name NOT IN "
                                  "('id', 'user_id', 'rev') ORDER BY cid";

void odo_replica_now(struct odo_store *s, char out[ODO_TIME_TEXT_LEN + 1])
{
    odo_store_now_text(s, out);
}

int odo_rep_conflict(struct odo_store *s, const char *user, const char *tbl, const char *id,
                     const char *reason, const char *vals, struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1], why[ODO_CONFLICT_REASON_MAX + 1];
    sqlite3_stmt *st = odo_store_stmt(s, SQL_RECORD, err);
    int rc;

    if (!st)
        return ODO_ESTORAGE;
    odo_store_now_text(s, now);
    snprintf(why, sizeof(why), "%s", reason);
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, tbl, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, why, -1, SQLITE_STATIC);
    odo_bind_text(st, 5, vals);
    sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
    if ((rc = odo_store_step_done(s, st, err, "recording a conflict")))
        return rc;
    if (!(st = odo_store_stmt(s, SQL_TRIM, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, ODO_CONFLICTS_MAX);
    return odo_store_step_done(s, st, err, "recording a conflict");
}

int odo_rep_row_json(struct odo_store *s, const char *tbl, const char *id, const char *const *cols,
                     int ncols, char **out, struct odo_err *err)
{
    char sql[ODO_REP_SQL_CAP], names[ODO_READ_COLS_MAX][48];
    const char *all[ODO_READ_COLS_MAX];
    sqlite3_stmt *st;
    size_t n = 0;
    int rc;

    *out = NULL;
    if (!cols) {
        /* Every column, from the table itself. */
        if (!(st = odo_store_stmt(s, SQL_COLUMNS, err)))
            return ODO_ESTORAGE;
        sqlite3_bind_text(st, 1, tbl, -1, SQLITE_STATIC);
        ncols = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && ncols < ODO_READ_COLS_MAX) {
            odo_column_text(st, 0, names[ncols], sizeof(names[ncols]));
            all[ncols] = names[ncols];
            ncols++;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return odo_store_sqlerr(s, rc, err, "recording a conflict");
        cols = all;
    }
    if ((rc = odo_rep_check_columns(cols, ncols, err)))
        return rc;
    n += (size_t)snprintf(sql + n, sizeof(sql) - n, "SELECT json_object(");
    for (int i = 0; i < ncols; i++)
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s'%s', %s", i ? ", " : "", cols[i],
                              cols[i]);
    snprintf(sql + n, sizeof(sql) - n, ") FROM %s WHERE id = ?1", tbl);
    if (!(st = odo_store_stmt_text(s, sql, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && !(*out = strdup((const char *)sqlite3_column_text(st, 0))))
        rc = SQLITE_NOMEM;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? 0
               : odo_store_sqlerr(s, rc, err, "recording a conflict");
}

int odo_replica_conflicts(struct odo_store *s, const char *user,
                          int (*fn)(const struct odo_conflict *c, void *ctx), void *ctx,
                          struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_LIST, err);
    struct odo_conflict c;
    int rc;

    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&c, 0, sizeof(c));
        odo_column_text(st, 0, c.tbl, sizeof(c.tbl));
        odo_column_text(st, 1, c.row_id, sizeof(c.row_id));
        odo_column_text(st, 2, c.reason, sizeof(c.reason));
        c.vals = (const char *)sqlite3_column_text(st, 3);
        odo_column_text(st, 4, c.at, sizeof(c.at));
        if (fn(&c, ctx) != 0)
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? 0
               : odo_store_sqlerr(s, rc, err, "reading the conflicts");
}

int odo_replica_conflict_count(struct odo_store *s, const char *user, const char *since,
                               int64_t *count, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_COUNT, err);
    int rc;

    *count = 0;
    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, since ? since : "", -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : odo_store_sqlerr(s, rc, err, "counting the conflicts");
}

int odo_replica_conflicts_clear(struct odo_store *s, const char *user, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_CLEAR, err);
    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    return odo_store_step_done(s, st, err, "clearing the conflicts");
}
