/*
 * The device store's migrations: SQLite's side of the runner in platform/migration.h (the rules
 * are there; here is how SQLite reads and writes _migrations, runs a file statement by statement
 * and serialises runners with BEGIN IMMEDIATE).
 */
#include "storage/internal.h"

#include <stdio.h>
#include <string.h>

static const char SQL_MIGRATIONS_TABLE[] =
    "CREATE TABLE IF NOT EXISTS _migrations ("
    " name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT";

/*
 * A statement on _migrations, prepared for this one use: the table may not exist yet, so it is
 * kept out of the statement cache. NULL when it does not prepare, which means "no record yet".
 */
static sqlite3_stmt *record_stmt(struct odo_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* Columns (checksum, applied_at) from `col` on into a record. */
static void read_record(sqlite3_stmt *st, int col, struct odo_migration_record *rec)
{
    odo_column_text(st, col, rec->checksum, sizeof(rec->checksum));
    odo_column_text(st, col + 1, rec->applied_at, sizeof(rec->applied_at));
}

static void read_one(sqlite3_stmt *st, void *out)
{
    read_record(st, 0, out);
}

static int sqlite_read(void *db, const char *name, struct odo_migration_record *rec,
                       struct odo_err *err)
{
    struct odo_store *s = db;
    sqlite3_stmt *st =
        record_stmt(s, "SELECT checksum, applied_at FROM _migrations WHERE name = ?1");
    bool found = false;
    int rc;

    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = odo_store_row(s, st, read_one, rec, &found, "reading the migration record", err);
    sqlite3_finalize(st);
    return rc != 0 ? rc : found;
}

/* What sqlite_each hands on for each row. */
struct each_walk {
    int (*fn)(const char *name, const struct odo_migration_record *rec, void *arg);
    void *arg;
};

static int each_row(sqlite3_stmt *st, void *ctx)
{
    const struct each_walk *w = ctx;
    struct odo_migration_record rec;

    read_record(st, 1, &rec);
    return w->fn((const char *)sqlite3_column_text(st, 0), &rec, w->arg);
}

static int sqlite_each(void *db,
                       int (*fn)(const char *name, const struct odo_migration_record *rec,
                                 void *arg),
                       void *arg, struct odo_err *err)
{
    struct odo_store *s = db;
    sqlite3_stmt *st =
        record_stmt(s, "SELECT name, checksum, applied_at FROM _migrations ORDER BY name");
    struct each_walk w = {fn, arg};
    int rc;

    if (!st)
        return 0;
    rc = odo_store_each(s, st, each_row, &w, "reading the migration record", err);
    sqlite3_finalize(st);
    return rc;
}

/* BEGIN IMMEDIATE takes the write lock: one runner at a time, whatever process it is. */
static int sqlite_begin(void *db, struct odo_err *err)
{
    struct odo_store *s = db;
    int rc = odo_store_begin(s, err);

    if (rc == 0 &&
        (rc = odo_store_exec(s, SQL_MIGRATIONS_TABLE, err, "creating the migration record")))
        odo_store_rollback(s);
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

/* Runs the file statement by statement; a failure is placed by statement number and excerpt. */
static int sqlite_apply(void *db, const struct odo_migration *m,
                        char where[ODO_MIGRATION_WHERE_MAX], struct odo_err *err)
{
    struct odo_store *s = db;
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
            /* A statement that did not prepare leaves tail wherever parsing stopped. */
            statement_excerpt(p, (size_t)((st && tail ? tail : end) - p), excerpt, sizeof(excerpt));
            snprintf(where, ODO_MIGRATION_WHERE_MAX, "statement %d (%s)", index, excerpt);
            odo_err_set(err, ODO_EMIGRATE, "%s", sqlite3_errmsg(s->db));
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

static int sqlite_record(void *db, const struct odo_migration *m,
                         const struct odo_migration_record *rec, struct odo_err *err)
{
    struct odo_store *s = db;
    sqlite3_stmt *st = record_stmt(s, "INSERT INTO _migrations VALUES (?1, ?2, ?3)");
    char now[ODO_TIME_TEXT_LEN + 1];
    int rc;

    if (!st)
        return odo_store_sqlerr(s, sqlite3_extended_errcode(s->db), err, "recording a migration");
    odo_store_now_text(s, now);
    sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, rec->checksum, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    rc = odo_store_step_done(s, st, err, "recording a migration");
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_commit(void *db, struct odo_err *err)
{
    return odo_store_commit(db, err);
}

static void sqlite_rollback(void *db)
{
    odo_store_rollback(db);
}

const struct odo_migration_backend odo_migrate_sqlite = {
    .program = "odolog",
    .upgrade = "odolog",
    .read = sqlite_read,
    .each = sqlite_each,
    .begin = sqlite_begin,
    .apply = sqlite_apply,
    .record = sqlite_record,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
};

int odo_migrate_run(struct odo_store *s, struct odo_err *err)
{
    return odo_migration_run(&odo_migrate_sqlite, s, s->migrations, s->migration_count, NULL, err);
}

int odo_store_migrate(struct odo_store *s, struct odo_err *err)
{
    return odo_migrate_run(s, err);
}

int odo_store_migration_status(struct odo_store *s,
                               void (*fn)(const struct odo_migration_status *st, void *ctx),
                               void *ctx, struct odo_err *err)
{
    return odo_migration_status(&odo_migrate_sqlite, s, s->migrations, s->migration_count, fn, ctx,
                                err);
}
