/*
 * The migration runner of storage/migrate.h.
 */
#include "storage/internal.h"

#include <stdio.h>
#include <string.h>

#include "platform/hash.h"

static const char SQL_MIGRATIONS_TABLE[] =
    "CREATE TABLE IF NOT EXISTS _migrations ("
    " name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT";

const char *odo_migration_state_name(enum odo_migration_state st)
{
    static const char *const names[] = {"applied", "pending", "changed", "unknown"};
    return names[st];
}

/* Reads the record of one migration: 1 found (checksum copied), 0 not found, <0 error. */
static int applied_checksum(struct odo_store *s, const char *name, char sum[65],
                            struct odo_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT checksum FROM _migrations WHERE name = ?1", -1, &st,
                                NULL);
    if (rc != SQLITE_OK) {
        /* No _migrations table yet: nothing was applied. */
        sqlite3_finalize(st);
        return 0;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        odo_column_text(st, 0, sum, 65);
        rc = 1;
    } else if (rc == SQLITE_DONE) {
        rc = 0;
    } else {
        rc = odo_store_sqlerr(s, sqlite3_extended_errcode(s->db), err,
                              "reading the migration record");
    }
    sqlite3_finalize(st);
    return rc;
}

/* The first line of a statement, shortened, to name it in an error. */
static void statement_excerpt(const char *sql, size_t len, char *out, size_t cap)
{
    size_t n = 0;

    while (len > 0 && (*sql == ' ' || *sql == '\n' || *sql == '\t' || *sql == '\r')) {
        sql++;
        len--;
    }
    while (n < len && sql[n] != '\n' && n + 4 < cap)
        n++;
    memcpy(out, sql, n);
    strcpy(out + n, n < len && sql[n] != '\n' ? "..." : "");
}

/* Applies one migration file in the open transaction, statement by statement. */
static int apply_file(struct odo_store *s, const struct odo_migration *m, struct odo_err *err)
{
    const char *p = m->sql, *end = m->sql + m->len;
    int index = 0;

    while (p < end) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        int rc = sqlite3_prepare_v2(s->db, p, (int)(end - p), &st, &tail);

        if (rc != SQLITE_OK || st)
            index++; /* a statement, even one that does not prepare */
        if (rc == SQLITE_OK && st) {
            do
                rc = sqlite3_step(st);
            while (rc == SQLITE_ROW);
            if (rc == SQLITE_DONE)
                rc = SQLITE_OK;
        }
        if (rc != SQLITE_OK) {
            char excerpt[96];
            statement_excerpt(p, (size_t)((tail ? tail : end) - p), excerpt, sizeof(excerpt));
            odo_err_set(err, ODO_EMIGRATE,
                        "migration %s failed at statement %d (%s): %s; the database was left "
                        "as it was before this file",
                        m->name, index, excerpt, sqlite3_errmsg(s->db));
            sqlite3_finalize(st);
            return ODO_EMIGRATE;
        }
        sqlite3_finalize(st);
        if (!tail || tail == p)
            break;
        p = tail;
    }
    return 0;
}

static int changed_error(const struct odo_migration *m, struct odo_err *err)
{
    return odo_err_set(err, ODO_EMIGRATE,
                       "migration %s was changed after it was applied to this database; "
                       "applied migrations must never be edited: restore the file and put the "
                       "change in a new migration",
                       m->name);
}

/* Refuses a database whose record names migrations this program does not have. */
static int check_unknown(struct odo_store *s, struct odo_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT name FROM _migrations ORDER BY name", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return 0;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        bool known = false;
        for (size_t i = 0; i < s->migration_count && !known; i++)
            known = strcmp(s->migrations[i].name, name) == 0;
        if (!known) {
            odo_err_set(err, ODO_ENEWER,
                        "the database has migration %s, which this odolog does not know: it "
                        "was written by a newer version; upgrade odolog",
                        name);
            sqlite3_finalize(st);
            return ODO_ENEWER;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : odo_store_sqlerr(s, rc, err, "reading the migration record");
}

int odo_migrate_run(struct odo_store *s, struct odo_err *err)
{
    int rc = check_unknown(s, err);
    if (rc != 0)
        return rc;

    for (size_t i = 0; i < s->migration_count; i++) {
        const struct odo_migration *m = &s->migrations[i];
        char want[ODO_SHA256_HEX_LEN + 1], have[65], now[ODO_TIME_TEXT_LEN + 1];
        sqlite3_stmt *st = NULL;
        int found;

        odo_sha256_hex(m->sql, m->len, want);
        /* Check outside a write transaction first: the common case is "all applied". */
        found = applied_checksum(s, m->name, have, err);
        if (found < 0)
            return found;
        if (found == 1) {
            if (strcmp(have, want) != 0)
                return changed_error(m, err);
            continue;
        }

        rc = odo_store_begin(s, err);
        if (rc != 0)
            return rc;
        rc = odo_store_exec(s, SQL_MIGRATIONS_TABLE, err, "creating the migration record");
        if (rc != 0)
            goto out_rollback;
        /* Another process may have applied it while we waited for the lock. */
        found = applied_checksum(s, m->name, have, err);
        if (found < 0) {
            rc = found;
            goto out_rollback;
        }
        if (found == 1) {
            odo_store_rollback(s);
            if (strcmp(have, want) != 0)
                return changed_error(m, err);
            continue;
        }
        rc = apply_file(s, m, err);
        if (rc != 0)
            goto out_rollback;
        odo_store_now_text(s, now);
        rc =
            sqlite3_prepare_v2(s->db, "INSERT INTO _migrations VALUES (?1, ?2, ?3)", -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, want, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
            rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_extended_errcode(s->db);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_OK) {
            rc = odo_store_sqlerr(s, rc, err, "recording a migration");
            goto out_rollback;
        }
        rc = odo_store_commit(s, err);
        if (rc != 0)
            return rc;
    }
    return 0;
out_rollback:
    odo_store_rollback(s);
    return rc;
}

int odo_store_migrate(struct odo_store *s, struct odo_err *err)
{
    return odo_migrate_run(s, err);
}

int odo_store_migration_status(struct odo_store *s,
                               void (*fn)(const struct odo_migration_status *st, void *ctx),
                               void *ctx, struct odo_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    for (size_t i = 0; i < s->migration_count; i++) {
        const struct odo_migration *m = &s->migrations[i];
        char want[ODO_SHA256_HEX_LEN + 1], applied_at[ODO_TIME_TEXT_LEN + 1] = "";
        struct odo_migration_status ms = {m->name, ODO_MIGRATION_PENDING, want, NULL};

        odo_sha256_hex(m->sql, m->len, want);
        rc = sqlite3_prepare_v2(
            s->db, "SELECT checksum, applied_at FROM _migrations WHERE name = ?1", -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW) {
                const char *have = (const char *)sqlite3_column_text(st, 0);
                ms.state = strcmp(have, want) == 0 ? ODO_MIGRATION_APPLIED : ODO_MIGRATION_CHANGED;
                odo_column_text(st, 1, applied_at, sizeof(applied_at));
                ms.applied_at = applied_at;
            }
        }
        sqlite3_finalize(st);
        st = NULL;
        fn(&ms, ctx);
    }
    rc = sqlite3_prepare_v2(s->db, "SELECT name, applied_at FROM _migrations ORDER BY name", -1,
                            &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return 0; /* no record yet */
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        bool known = false;
        for (size_t i = 0; i < s->migration_count && !known; i++)
            known = strcmp(s->migrations[i].name, name) == 0;
        if (!known) {
            struct odo_migration_status ms = {name, ODO_MIGRATION_UNKNOWN, NULL,
                                              (const char *)sqlite3_column_text(st, 1)};
            fn(&ms, ctx);
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : odo_store_sqlerr(s, rc, err, "reading the migration record");
}
