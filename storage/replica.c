/*
 * The sync engine's side of the store (storage/replica.h).
 */
#include "storage/replica.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/uuid.h"
#include "storage/internal.h"

#define SQL_CAP 4096

/* The synced tables, and the order in which a sweep may delete (children first). */
static const char *const synced[] = {"vehicles",          "maintenance",     "fuel_logs",
                                     "odometer_readings", "service_records", "renewals",
                                     "stations"};
static const char *const children_first[] = {"service_records", "fuel_logs",   "odometer_readings",
                                             "renewals",        "maintenance", "vehicles"};
static const char *const vehicle_children[] = {"fuel_logs", "odometer_readings", "maintenance",
                                               "service_records", "renewals"};

static const char SQL_PENDING[] =
    "SELECT seq, tbl, row_id, cols, hlc, base_rev FROM outbox WHERE user_id = ?1 AND batch IS NULL "
    "ORDER BY seq LIMIT ?2";
static const char SQL_ENSURE_USER[] =
    "INSERT INTO sync_users (user_id) VALUES (?1) ON CONFLICT (user_id) DO NOTHING";
static const char SQL_NEXT_BATCH[] = "SELECT next_batch FROM sync_users WHERE user_id = ?1";
static const char SQL_MARK_BATCH[] =
    "UPDATE outbox SET batch = ?2 WHERE user_id = ?1 AND batch IS NULL AND seq <= ?3";
static const char SQL_STORE_BATCH[] =
    "INSERT INTO sync_batches (user_id, batch, body, rows, created_at, manifest) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_BUMP_BATCH[] = "UPDATE sync_users SET next_batch = ?2 + 1 WHERE user_id = ?1";
static const char SQL_INFLIGHT[] =
    "SELECT batch, body, manifest FROM sync_batches WHERE user_id = ?1 ORDER BY batch LIMIT 1";
/* Unsealing: a frozen entry whose row has a newer pending entry merges into it. */
static const char SQL_UNSEAL_MERGE[] =
    "UPDATE outbox AS p SET cols = json_patch(f.cols, p.cols), base_rev = f.base_rev, "
    "queued_at = min(p.queued_at, f.queued_at) FROM outbox AS f WHERE f.user_id = ?1 AND "
    "f.batch = ?2 AND p.batch IS NULL AND p.tbl = f.tbl AND p.row_id = f.row_id";
static const char SQL_UNSEAL_DROP[] =
    "DELETE FROM outbox WHERE user_id = ?1 AND batch = ?2 AND EXISTS (SELECT 1 FROM outbox p "
    "WHERE p.batch IS NULL AND p.tbl = outbox.tbl AND p.row_id = outbox.row_id)";
static const char SQL_UNSEAL_REST[] =
    "UPDATE outbox SET batch = NULL WHERE user_id = ?1 AND batch = ?2";
static const char SQL_FORGET_BATCH[] = "DELETE FROM sync_batches WHERE user_id = ?1 AND batch = ?2";
static const char SQL_SETTLE[] = "DELETE FROM outbox WHERE user_id = ?1 AND batch = ?2";
static const char SQL_PENDING_COLS[] = "SELECT cols FROM outbox WHERE tbl = ?1 AND row_id = ?2";
static const char SQL_HLC_GET[] = "SELECT hlc FROM sync_state WHERE id = 1";
static const char SQL_HLC_SET[] = "UPDATE sync_state SET hlc = ?1 WHERE id = 1";
static const char SQL_REFUSED[] =
    "UPDATE sync_users SET refused = refused + 1, last_refusal = ?2 WHERE user_id = ?1";
static const char SQL_SEEN[] =
    "INSERT OR IGNORE INTO sync_seen (user_id, tbl, row_id) VALUES (?1, ?2, ?3)";
static const char SQL_SEEN_CLEAR[] = "DELETE FROM sync_seen WHERE user_id = ?1";
static const char SQL_SWEPT[] = "UPDATE sync_users SET swept = ?2 WHERE user_id = ?1";
static const char SQL_STATE[] =
    "SELECT cursor, swept, next_batch, refused, last_refusal, last_success_at, last_error, "
    "last_error_at, token IS NOT NULL, acked FROM sync_users WHERE user_id = ?1";
static const char SQL_ACKED[] = "UPDATE sync_users SET acked = max(acked, ?2) WHERE user_id = ?1";
static const char SQL_OUTBOX_DEPTH[] =
    "SELECT count(*), min(queued_at) FROM outbox WHERE user_id = ?1";
static const char SQL_CURSOR[] = "UPDATE sync_users SET cursor = ?2 WHERE user_id = ?1";
static const char SQL_RECORD_OK[] =
    "UPDATE sync_users SET last_success_at = ?2, last_error = NULL WHERE user_id = ?1";
static const char SQL_RECORD_ERR[] =
    "UPDATE sync_users SET last_error = ?2, last_error_at = ?3 WHERE user_id = ?1";
static const char SQL_LOGIN[] = "INSERT INTO sync_users (user_id, token) VALUES (?1, ?2) "
                                "ON CONFLICT (user_id) DO UPDATE SET token = excluded.token";
static const char SQL_TOKEN[] = "SELECT token FROM sync_users WHERE user_id = ?1";
static const char SQL_USERS[] =
    "SELECT user_id FROM sync_users WHERE token IS NOT NULL ORDER BY user_id";
static const char SQL_CONFIG_GET[] = "SELECT value FROM sync_config WHERE key = ?1";
static const char SQL_CONFIG_SET[] =
    "INSERT INTO sync_config (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = "
    "excluded.value";

/* ---- names ------------------------------------------------------------------------------ */

static int check_table(const char *tbl, struct odo_err *err)
{
    for (size_t i = 0; i < ODO_ARRAY_LEN(synced); i++)
        if (strcmp(tbl, synced[i]) == 0)
            return 0;
    return odo_err_set(err, ODO_EINVAL, "'%.40s' is not a synced table", tbl);
}

static int check_columns(const char *const *cols, int n, struct odo_err *err)
{
    for (int i = 0; i < n; i++) {
        size_t len = strlen(cols[i]);
        if (len == 0 || len > 40 || strspn(cols[i], "abcdefghijklmnopqrstuvwxyz_") != len)
            return odo_err_set(err, ODO_EINVAL, "'%.40s' is not a column name", cols[i]);
    }
    return 0;
}

static bool has_user(const char *tbl)
{
    return strcmp(tbl, "stations") != 0;
}

static void bind_cell(sqlite3_stmt *st, int idx, const struct odo_cell *c)
{
    if (c->kind == ODO_CELL_INT)
        sqlite3_bind_int64(st, idx, c->i);
    else if (c->kind == ODO_CELL_TEXT)
        sqlite3_bind_text(st, idx, c->s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, idx);
}

static void ensure_user(struct odo_store *s, const char *user)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_ENSURE_USER, NULL);
    if (st) {
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        (void)!odo_store_step_done(s, st, NULL, "");
    }
}

/* ---- outbox and batches ----------------------------------------------------------------- */

int odo_replica_pending(struct odo_store *s, const char *user, int limit,
                        int (*fn)(const struct odo_pending *p, void *ctx), void *ctx,
                        struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_PENDING, err);
    struct odo_pending p;
    int rc;

    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char hlc[ODO_HLC_TEXT_LEN + 1];
        memset(&p, 0, sizeof(p));
        p.seq = sqlite3_column_int64(st, 0);
        odo_column_text(st, 1, p.tbl, sizeof(p.tbl));
        odo_column_text(st, 2, p.row_id, sizeof(p.row_id));
        p.cols = (const char *)sqlite3_column_text(st, 3);
        odo_column_text(st, 4, hlc, sizeof(hlc));
        if (odo_hlc_parse(hlc, &p.hlc) != 0)
            p.hlc = 0;
        p.base_rev = sqlite3_column_int64(st, 5);
        if (fn(&p, ctx) != 0)
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? 0
               : odo_store_sqlerr(s, rc, err, "reading the outbox");
}

/* ids as a JSON array of strings, for json_each(); NULL when out of memory or not all UUIDs. */
static char *id_array(const char *const *ids, int n, const int64_t *revs)
{
    size_t cap = (size_t)n * (ODO_UUID_TEXT_LEN + 26) + 3, len = 0;
    char *out = malloc(cap);

    if (!out)
        return NULL;
    out[len++] = '[';
    for (int i = 0; i < n; i++) {
        if (!odo_uuid_valid(ids[i])) {
            free(out);
            return NULL;
        }
        if (revs)
            len += (size_t)snprintf(out + len, cap - len, "%s[\"%s\",%lld]", i ? "," : "", ids[i],
                                    (long long)revs[i]);
        else
            len += (size_t)snprintf(out + len, cap - len, "%s\"%s\"", i ? "," : "", ids[i]);
    }
    out[len++] = ']';
    out[len] = '\0';
    return out;
}

int odo_replica_read_rows(struct odo_store *s, const char *user, const char *tbl,
                          const char *const *ids, int n, const char *const *cols, int ncols,
                          int (*fn)(int index, const struct odo_cell *cells, void *ctx), void *ctx,
                          struct odo_err *err)
{
    struct odo_cell out[ODO_READ_COLS_MAX];
    char sql[SQL_CAP], *list;
    size_t len = 0;
    sqlite3_stmt *st;
    int rc;

    if ((rc = check_table(tbl, err)) || (rc = check_columns(cols, ncols, err)))
        return rc;
    if (ncols > ODO_READ_COLS_MAX)
        return odo_err_set(err, ODO_EINVAL, "%d columns is more than a row has", ncols);
    if (n <= 0)
        return 0;
    len += (size_t)snprintf(sql + len, sizeof(sql) - len, "SELECT j.key");
    for (int i = 0; i < ncols; i++)
        len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", t.%s", cols[i]);
    snprintf(sql + len, sizeof(sql) - len,
             " FROM json_each(?1) AS j JOIN %s AS t ON t.id = j.value%s ORDER BY j.key", tbl,
             has_user(tbl) ? " AND t.user_id = ?2" : "");
    if (!(list = id_array(ids, n, NULL)))
        return odo_err_set(err, ODO_EINVAL, "reading rows to push: an id is not a UUID");
    if (!(st = odo_store_stmt_text(s, sql, err))) {
        free(list);
        return ODO_ESTORAGE;
    }
    sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
    if (has_user(tbl))
        sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < ncols; i++) {
            switch (sqlite3_column_type(st, i + 1)) {
            case SQLITE_NULL:
                out[i].kind = ODO_CELL_NULL;
                break;
            case SQLITE_INTEGER:
                out[i].kind = ODO_CELL_INT;
                out[i].i = sqlite3_column_int64(st, i + 1);
                break;
            default:
                out[i].kind = ODO_CELL_TEXT;
                out[i].s = (const char *)sqlite3_column_text(st, i + 1);
                break;
            }
        }
        if ((rc = fn(sqlite3_column_int(st, 0), out, ctx)) != 0)
            break;
    }
    sqlite3_reset(st);
    free(list);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc == SQLITE_ROW)
        return odo_store_sqlerr(s, rc, err, "reading rows to push");
    return rc; /* fn's result */
}

int odo_replica_next_batch(struct odo_store *s, const char *user, int64_t *batch,
                           struct odo_err *err)
{
    sqlite3_stmt *st;
    int rc;

    ensure_user(s, user);
    if (!(st = odo_store_stmt(s, SQL_NEXT_BATCH, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *batch = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : odo_store_sqlerr(s, rc, err, "numbering the batch");
}

int odo_replica_seal(struct odo_store *s, const char *user, const int64_t *seqs, int n,
                     const char *body, const char *manifest, int64_t batch, struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1];
    sqlite3_stmt *st;
    int64_t max_seq = 0, next;
    int rc;

    /* The entries are the user's oldest pending ones, so "pending with seq <= the largest" is
     * exactly them. */
    for (int i = 0; i < n; i++)
        if (seqs[i] > max_seq)
            max_seq = seqs[i];
    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_replica_next_batch(s, user, &next, err)))
        goto out_rollback;
    if (next != batch) {
        rc = odo_err_set(err, ODO_ESTORAGE, "batch %lld was built as %lld: another sync ran",
                         (long long)next, (long long)batch);
        goto out_rollback;
    }
    odo_store_now_text(s, now);
    if (!(st = odo_store_stmt(s, SQL_MARK_BATCH, err))) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, batch);
    sqlite3_bind_int64(st, 3, max_seq);
    if ((rc = odo_store_step_done(s, st, err, "sealing the batch")))
        goto out_rollback;
    if (sqlite3_changes(s->db) != n) {
        rc = odo_err_set(err, ODO_ESTORAGE, "the outbox changed while the batch was built");
        goto out_rollback;
    }
    if (!(st = odo_store_stmt(s, SQL_STORE_BATCH, err))) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, batch);
    sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, n);
    sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
    if (manifest)
        sqlite3_bind_text(st, 6, manifest, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 6);
    if ((rc = odo_store_step_done(s, st, err, "storing the batch")))
        goto out_rollback;
    if (!(st = odo_store_stmt(s, SQL_BUMP_BATCH, err))) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, batch);
    if ((rc = odo_store_step_done(s, st, err, "numbering the batch")))
        goto out_rollback;
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}

int odo_replica_inflight(struct odo_store *s, const char *user, int64_t *batch, char **body,
                         char **manifest, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_INFLIGHT, err);
    int rc;

    *batch = 0;
    *body = NULL;
    if (manifest)
        *manifest = NULL;
    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *batch = sqlite3_column_int64(st, 0);
        *body = strdup((const char *)sqlite3_column_text(st, 1));
        if (!*body)
            rc = SQLITE_NOMEM;
        if (manifest && sqlite3_column_type(st, 2) != SQLITE_NULL &&
            !(*manifest = strdup((const char *)sqlite3_column_text(st, 2))))
            rc = SQLITE_NOMEM;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return 0;
    free(*body);
    *body = NULL;
    if (manifest) {
        free(*manifest);
        *manifest = NULL;
    }
    return odo_store_sqlerr(s, rc, err, "reading the batch in flight");
}

/* Runs a statement with (user, batch). */
static int user_batch(struct odo_store *s, const char *sql, const char *user, int64_t batch,
                      struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, sql, err);
    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, batch);
    return odo_store_step_done(s, st, err, "updating the outbox");
}

int odo_replica_unseal(struct odo_store *s, const char *user, int64_t batch, struct odo_err *err)
{
    int rc;

    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = user_batch(s, SQL_UNSEAL_MERGE, user, batch, err)) ||
        (rc = user_batch(s, SQL_UNSEAL_DROP, user, batch, err)) ||
        (rc = user_batch(s, SQL_UNSEAL_REST, user, batch, err)) ||
        (rc = user_batch(s, SQL_FORGET_BATCH, user, batch, err))) {
        odo_store_rollback(s);
        return rc;
    }
    return odo_store_commit(s, err);
}

int odo_replica_settle(struct odo_store *s, const char *user, int64_t batch, int64_t acked,
                       struct odo_err *err)
{
    int rc = user_batch(s, SQL_SETTLE, user, batch, err);
    if (rc == 0)
        rc = user_batch(s, SQL_FORGET_BATCH, user, batch, err);
    if (rc == 0 && acked > 0)
        rc = user_batch(s, SQL_ACKED, user, acked, err);
    return rc;
}

/* ---- applying --------------------------------------------------------------------------- */

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

/* Which of cols have an unpushed local change on row (tbl, id): pending[i] set; all when "*". */
static int pending_columns(struct odo_store *s, const char *tbl, const char *id,
                           const char *const *cols, int ncols, bool *pending, struct odo_err *err)
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
    return rc == SQLITE_DONE ? 0 : odo_store_sqlerr(s, rc, err, "reading pending changes");
}

/* The id of a different live local vehicle with this VIN, or "" . */
static int vin_holder(struct odo_store *s, const char *user, const char *vin, const char *id,
                      char out[ODO_UUID_TEXT_LEN + 1], struct odo_err *err)
{
    static const char SQL[] = "SELECT id FROM vehicles WHERE user_id = ?1 AND vin = ?2 AND "
                              "deleted_at IS NULL AND id <> ?3";
    sqlite3_stmt *st = odo_store_stmt(s, SQL, err);

    out[0] = '\0';
    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, vin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    return odo_store_text(s, st, out, ODO_UUID_TEXT_LEN + 1, "matching a VIN", err);
}

static int row_exists(struct odo_store *s, const char *tbl, const char *id, bool *exists,
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

int odo_replica_apply_row(struct odo_store *s, const char *user, const char *tbl,
                          const char *const *cols, int ncols, const char *id, int64_t rev,
                          const struct odo_cell *cells, struct odo_err *err)
{
    char sql[SQL_CAP];
    bool exists, pending[ODO_READ_COLS_MAX];
    sqlite3_stmt *st;
    size_t n = 0;
    int rc, idx;

    if ((rc = check_table(tbl, err)) || (rc = check_columns(cols, ncols, err)))
        return rc;
    if (ncols > ODO_READ_COLS_MAX)
        return odo_err_set(err, ODO_EINVAL, "too many columns");
    if ((rc = row_exists(s, tbl, id, &exists, err)))
        return rc;
    if (!exists && strcmp(tbl, "vehicles") == 0) {
        /* The same vehicle registered here under another id and not synced yet: it becomes
         * the pulled one, keeping its rows and its unpushed changes. */
        int vin = -1, del = -1;
        char local[ODO_UUID_TEXT_LEN + 1];
        for (int i = 0; i < ncols; i++) {
            vin = strcmp(cols[i], "vin") == 0 ? i : vin;
            del = strcmp(cols[i], "deleted_at") == 0 ? i : del;
        }
        if (vin >= 0 && cells[vin].kind == ODO_CELL_TEXT &&
            (del < 0 || cells[del].kind == ODO_CELL_NULL)) {
            if ((rc = vin_holder(s, user, cells[vin].s, id, local, err)))
                return rc;
            if (local[0]) {
                if ((rc = odo_replica_rekey(s, user, tbl, local, id, err)))
                    return rc;
                exists = true;
            }
        }
    }
    if (!exists) {
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "INSERT INTO %s (id, rev%s", tbl,
                              has_user(tbl) ? ", user_id" : "");
        for (int i = 0; i < ncols; i++)
            n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", %s", cols[i]);
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, ") VALUES (?1, ?2%s",
                              has_user(tbl) ? ", ?3" : "");
        for (int i = 0; i < ncols; i++)
            n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", ?%d", i + 4);
        snprintf(sql + n, sizeof(sql) - n, ")");
        memset(pending, 0, sizeof(pending));
    } else {
        if ((rc = pending_columns(s, tbl, id, cols, ncols, pending, err)))
            return rc;
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "UPDATE %s SET rev = max(rev, ?2)", tbl);
        for (int i = 0; i < ncols; i++)
            if (!pending[i])
                n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", %s = ?%d", cols[i], i + 4);
        snprintf(sql + n, sizeof(sql) - n, " WHERE id = ?1%s",
                 has_user(tbl) ? " AND user_id = ?3" : "");
    }
    if (!(st = odo_store_stmt_text(s, sql, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, rev);
    if (has_user(tbl))
        sqlite3_bind_text(st, 3, user, -1, SQLITE_STATIC);
    for (idx = 0; idx < ncols; idx++)
        if (!pending[idx])
            bind_cell(st, idx + 4, &cells[idx]);
    return odo_store_step_done(s, st, err, "applying a pulled row");
}

int odo_replica_accepted(struct odo_store *s, const char *user, const char *tbl,
                         const char *const *ids, const int64_t *revs, int n, struct odo_err *err)
{
    char sql[256], *list;
    sqlite3_stmt *st;
    int rc;

    if ((rc = check_table(tbl, err)))
        return rc;
    if (n <= 0)
        return 0;
    snprintf(sql, sizeof(sql),
             "UPDATE %s SET rev = max(rev, j.value ->> 1) FROM json_each(?1) AS j "
             "WHERE %s.id = j.value ->> 0%s",
             tbl, tbl, has_user(tbl) ? " AND user_id = ?2" : "");
    if (!(list = id_array(ids, n, revs)))
        return odo_err_set(err, ODO_EINVAL, "recording accepted changes: an id is not a UUID");
    if (!(st = odo_store_stmt_text(s, sql, err))) {
        free(list);
        return ODO_ESTORAGE;
    }
    sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
    if (has_user(tbl))
        sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
    rc = odo_store_step_done(s, st, err, "recording accepted changes");
    free(list);
    return rc;
}

int odo_replica_refused(struct odo_store *s, const char *user, const char *tbl, const char *id,
                        const char *reason, struct odo_err *err)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = check_table(tbl, err)))
        return rc;
    if (strcmp(reason, "unknown row") == 0) {
        char sql[160];
        snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ?1 AND user_id = ?2 AND rev > 0",
                 tbl);
        if (!(st = odo_store_stmt_text(s, sql, err)))
            return ODO_ESTORAGE;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
        if ((rc = odo_store_step_done(s, st, err, "dropping a purged row")))
            return rc;
    }
    ensure_user(s, user);
    if (!(st = odo_store_stmt(s, SQL_REFUSED, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
    return odo_store_step_done(s, st, err, "recording a refusal");
}

/* Runs sql with ?1 = to, ?2 = from. */
static int from_to(struct odo_store *s, const char *sql, const char *from, const char *to,
                   struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt_text(s, sql, err);
    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
    return odo_store_step_done(s, st, err, "re-keying a row");
}

int odo_replica_rekey(struct odo_store *s, const char *user, const char *tbl, const char *from,
                      const char *to, struct odo_err *err)
{
    char sql[512];
    bool to_exists;
    int rc;

    (void)user;
    if ((rc = check_table(tbl, err)) || (rc = row_exists(s, tbl, to, &to_exists, err)))
        return rc;
    if (strcmp(tbl, "vehicles") == 0)
        for (size_t i = 0; i < ODO_ARRAY_LEN(vehicle_children); i++) {
            snprintf(sql, sizeof(sql), "UPDATE %s SET vehicle_id = ?1 WHERE vehicle_id = ?2",
                     vehicle_children[i]);
            if ((rc = from_to(s, sql, from, to, err)))
                return rc;
        }
    if (!to_exists) {
        snprintf(sql, sizeof(sql), "UPDATE %s SET id = ?1 WHERE id = ?2", tbl);
        if ((rc = from_to(s, sql, from, to, err)))
            return rc;
    } else {
        /* Merged into a row this device has: pending changes of `from` join those of `to`. */
        if ((rc = from_to(s,
                          "UPDATE outbox AS t SET cols = json_patch(f.cols, t.cols) FROM outbox AS "
                          "f WHERE f.row_id = ?2 AND t.row_id = ?1 AND f.tbl = t.tbl AND "
                          "f.batch IS NULL AND t.batch IS NULL",
                          from, to, err)) ||
            (rc = from_to(s,
                          "DELETE FROM outbox WHERE row_id = ?2 AND batch IS NULL AND EXISTS "
                          "(SELECT 1 FROM outbox t WHERE t.row_id = ?1 AND t.tbl = outbox.tbl "
                          "AND t.batch IS NULL)",
                          from, to, err)))
            return rc;
        snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ?2 AND ?1 IS NOT NULL", tbl);
        if ((rc = from_to(s, sql, from, to, err)))
            return rc;
    }
    /* Pending changes follow the row; entries in flight keep naming `from` (the gateway
     * re-points aliases) and go when their batch settles. */
    return from_to(s, "UPDATE outbox SET row_id = ?1 WHERE row_id = ?2 AND batch IS NULL", from, to,
                   err);
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

/* ---- reconcile -------------------------------------------------------------------------- */

int odo_replica_mark_live(struct odo_store *s, const char *user, const char *tbl,
                          const char *const *ids, int n, struct odo_err *err)
{
    int rc;

    if ((rc = check_table(tbl, err)) || (rc = odo_store_begin(s, err)))
        return rc;
    for (int i = 0; i < n; i++) {
        sqlite3_stmt *st = odo_store_stmt(s, SQL_SEEN, err);
        if (!st) {
            rc = ODO_ESTORAGE;
            break;
        }
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, tbl, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, ids[i], -1, SQLITE_STATIC);
        if ((rc = odo_store_step_done(s, st, err, "remembering live rows")))
            break;
    }
    if (rc) {
        odo_store_rollback(s);
        return rc;
    }
    return odo_store_commit(s, err);
}

int odo_replica_sweep(struct odo_store *s, const char *user, int64_t watermark, int *dropped,
                      struct odo_err *err)
{
    int rc;

    *dropped = 0;
    if ((rc = odo_replica_begin_apply(s, err)))
        return rc;
    ensure_user(s, user);
    for (size_t i = 0; i < ODO_ARRAY_LEN(children_first); i++) {
        char sql[512];
        sqlite3_stmt *st;
        snprintf(sql, sizeof(sql),
                 "DELETE FROM %s WHERE user_id = ?1 AND rev > 0 AND NOT EXISTS (SELECT 1 FROM "
                 "sync_seen v WHERE v.user_id = ?1 AND v.tbl = '%s' AND v.row_id = %s.id) AND "
                 "NOT EXISTS (SELECT 1 FROM outbox o WHERE o.tbl = '%s' AND o.row_id = %s.id)",
                 children_first[i], children_first[i], children_first[i], children_first[i],
                 children_first[i]);
        if (!(st = odo_store_stmt_text(s, sql, err))) {
            rc = ODO_ESTORAGE;
            goto out;
        }
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        if ((rc = odo_store_step_done(s, st, err, "sweeping")))
            goto out;
        *dropped += sqlite3_changes(s->db);
    }
    if ((rc = user_batch(s, SQL_SEEN_CLEAR, user, 0, err)) ||
        (rc = user_batch(s, SQL_SWEPT, user, watermark, err)))
        goto out;
out:
    return odo_replica_end_apply(s, rc == 0, err) ? ODO_ESTORAGE : rc;
}

/* ---- state ------------------------------------------------------------------------------ */

int odo_replica_state(struct odo_store *s, const char *user, struct odo_sync_state *out,
                      struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_STATE, err);
    int rc;

    memset(out, 0, sizeof(*out));
    snprintf(out->user, sizeof(out->user), "%s", user);
    out->next_batch = 1;
    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->cursor = sqlite3_column_int64(st, 0);
        out->swept = sqlite3_column_int64(st, 1);
        out->next_batch = sqlite3_column_int64(st, 2);
        out->refused = sqlite3_column_int64(st, 3);
        odo_column_text(st, 4, out->last_refusal, sizeof(out->last_refusal));
        odo_column_text(st, 5, out->last_success, sizeof(out->last_success));
        odo_column_text(st, 6, out->last_error, sizeof(out->last_error));
        odo_column_text(st, 7, out->last_error_at, sizeof(out->last_error_at));
        out->logged_in = sqlite3_column_int(st, 8) != 0;
        out->acked = sqlite3_column_int64(st, 9);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return odo_store_sqlerr(s, rc, err, "reading the sync state");
    if (!(st = odo_store_stmt(s, SQL_OUTBOX_DEPTH, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->outbox = sqlite3_column_int64(st, 0);
        odo_column_text(st, 1, out->oldest, sizeof(out->oldest));
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : odo_store_sqlerr(s, rc, err, "reading the outbox");
}

int odo_replica_set_cursor(struct odo_store *s, const char *user, int64_t cursor,
                           struct odo_err *err)
{
    ensure_user(s, user);
    return user_batch(s, SQL_CURSOR, user, cursor, err);
}

int odo_replica_record(struct odo_store *s, const char *user, const char *error,
                       struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1];
    sqlite3_stmt *st;

    ensure_user(s, user);
    odo_store_now_text(s, now);
    if (!(st = odo_store_stmt(s, error ? SQL_RECORD_ERR : SQL_RECORD_OK, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    if (error) {
        sqlite3_bind_text(st, 2, error, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    }
    return odo_store_step_done(s, st, err, "recording the sync outcome");
}

int odo_replica_login(struct odo_store *s, const char *user, const char *token, struct odo_err *err)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = odo_user_check(user, err)))
        return rc;
    if (!(st = odo_store_stmt(s, SQL_LOGIN, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    odo_bind_text(st, 2, token);
    return odo_store_step_done(s, st, err, "storing the token");
}

int odo_replica_token(struct odo_store *s, const char *user, char *out, size_t cap,
                      struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_TOKEN, err);
    int rc;

    out[0] = '\0';
    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    if ((rc = odo_store_text(s, st, out, cap, "reading the token", err)))
        return rc;
    if (!out[0])
        return odo_err_set(err, ODO_EAUTH,
                           "user '%s' is not logged in on this device: run 'odolog login'", user);
    return 0;
}

int odo_replica_users(struct odo_store *s, int (*fn)(const char *user, void *ctx), void *ctx,
                      struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_USERS, err);
    char users[64][ODO_USER_MAX + 1];
    int n = 0, rc;

    if (!st)
        return ODO_ESTORAGE;
    /* Collected first: fn runs whole sync cycles, which need the statement free. */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 64)
        odo_column_text(st, 0, users[n++], sizeof(users[0]));
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return odo_store_sqlerr(s, rc, err, "listing users");
    for (int i = 0; i < n; i++)
        if (fn(users[i], ctx) != 0)
            break;
    return 0;
}

int odo_replica_config_get(struct odo_store *s, const char *key, char *out, size_t cap,
                           struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_CONFIG_GET, err);

    out[0] = '\0';
    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    return odo_store_text(s, st, out, cap, "reading settings", err);
}

int odo_replica_config_set(struct odo_store *s, const char *key, const char *value,
                           struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_CONFIG_SET, err);
    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return odo_store_step_done(s, st, err, "saving settings");
}
