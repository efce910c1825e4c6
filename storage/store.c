/*
 * Opening the device database, the SQL functions the capture triggers call, transactions, the
 * statement cache, and error mapping.
 */
#include "storage/internal.h"

#include "platform/text.h"
#include "storage/maintenance.h" /* ODO_NO_DATE */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ODO_APPLICATION_ID 1329876812 /* 'ODOL' */

const struct odo_clock *odo_store_clock(const struct odo_store *s)
{
    return s->clock;
}

const char *odo_store_device_id(struct odo_store *s)
{
    return s->device_id;
}

int odo_store_sqlerr(struct odo_store *s, int rc, struct odo_err *err, const char *doing)
{
    const char *m = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

    switch (rc & 0xff) {
    case SQLITE_NOTADB:
        return odo_err_set(err, ODO_ENOTDB, "%s: the file is not an SQLite database", doing);
    case SQLITE_READONLY:
        return odo_err_set(err, ODO_EREADONLY,
                           "%s: the database is read-only (%s); check that the file and its "
                           "directory are writable",
                           doing, m);
    case SQLITE_CANTOPEN:
        return odo_err_set(err, ODO_EREADONLY,
                           "%s: cannot open the database or its journal (%s); check that the "
                           "directory exists and is writable",
                           doing, m);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return odo_err_set(err, ODO_EBUSY,
                           "%s: another program held the database too long; try again", doing);
    case SQLITE_NOMEM:
        return odo_err_set(err, ODO_ENOMEM, "%s: out of memory", doing);
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return odo_err_set(err, ODO_EEXIST, "%s: %s", doing, m);
        return odo_err_set(err, ODO_EINVAL, "%s: refused by the database (%s)", doing, m);
    case SQLITE_FULL:
        return odo_err_set(err, ODO_ESTORAGE, "%s: the disk is full", doing);
    case SQLITE_CORRUPT:
        return odo_err_set(err, ODO_ESTORAGE, "%s: the database file is damaged (%s)", doing, m);
    default:
        return odo_err_set(err, ODO_ESTORAGE, "%s: %s", doing, m);
    }
}

sqlite3_stmt *odo_store_stmt(struct odo_store *s, const char *sql, struct odo_err *err)
{
    size_t h = ((uintptr_t)sql >> 3) % STORE_STMT_CACHE;

    for (size_t i = 0; i < STORE_STMT_CACHE; i++) {
        size_t k = (h + i) % STORE_STMT_CACHE;
        if (s->stmts[k].sql == sql) {
            sqlite3_reset(s->stmts[k].st);
            sqlite3_clear_bindings(s->stmts[k].st);
            return s->stmts[k].st;
        }
        if (s->stmts[k].sql == NULL) {
            sqlite3_stmt *st = NULL;
            int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
            if (rc != SQLITE_OK) {
                odo_store_sqlerr(s, rc, err, "preparing a statement");
                return NULL;
            }
            s->stmts[k].sql = sql;
            s->stmts[k].st = st;
            return st;
        }
    }
    /* The cache is sized above the number of statements in the program; this is a bug. */
    odo_err_set(err, ODO_ENOMEM, "statement cache full");
    return NULL;
}

sqlite3_stmt *odo_store_stmt_text(struct odo_store *s, const char *sql, struct odo_err *err)
{
    unsigned slot;
    sqlite3_stmt *st = NULL;
    int rc;

    for (unsigned i = 0; i < STORE_TEXT_CACHE; i++) {
        if (s->texts[i].sql && strcmp(s->texts[i].sql, sql) == 0) {
            sqlite3_reset(s->texts[i].st);
            sqlite3_clear_bindings(s->texts[i].st);
            return s->texts[i].st;
        }
    }
    rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        odo_store_sqlerr(s, rc, err, "preparing a statement");
        return NULL;
    }
    slot = s->next_text++ % STORE_TEXT_CACHE;
    sqlite3_finalize(s->texts[slot].st);
    free(s->texts[slot].sql);
    s->texts[slot].sql = strdup(sql);
    s->texts[slot].st = st;
    if (!s->texts[slot].sql) {
        sqlite3_finalize(st);
        s->texts[slot].st = NULL;
        odo_err_set(err, ODO_ENOMEM, "out of memory");
        return NULL;
    }
    return st;
}

sqlite3_stmt *odo_store_bound(struct odo_store *s, const char *sql, const char *p1, const char *p2,
                              struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, sql, err);

    if (st) {
        sqlite3_bind_text(st, 1, p1, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, p2, -1, SQLITE_STATIC);
    }
    return st;
}

int odo_store_step_done(struct odo_store *s, sqlite3_stmt *st, struct odo_err *err,
                        const char *doing)
{
    int rc = sqlite3_step(st);
    int out =
        rc == SQLITE_DONE ? 0 : odo_store_sqlerr(s, sqlite3_extended_errcode(s->db), err, doing);
    sqlite3_reset(st);
    return out;
}

int odo_store_each(struct odo_store *s, sqlite3_stmt *st, int (*row)(sqlite3_stmt *st, void *ctx),
                   void *ctx, const char *doing, struct odo_err *err)
{
    int rc, out = 0;

    if (!st)
        return ODO_ESTORAGE;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && (out = row(st, ctx)) == 0)
        ;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return odo_store_sqlerr(s, rc, err, doing);
    return out < 0 ? out : 0;
}

/* The reader of odo_store_row and odo_store_one: copies the first row, counts up to `enough`. */
struct first_rows {
    void (*read)(sqlite3_stmt *st, void *out); /* may be NULL */
    void *out;
    int n, enough;
};

static int read_first(sqlite3_stmt *st, void *ctx)
{
    struct first_rows *f = ctx;

    if (++f->n == 1 && f->read)
        f->read(st, f->out);
    return f->n >= f->enough;
}

int odo_store_row(struct odo_store *s, sqlite3_stmt *st, void (*read)(sqlite3_stmt *st, void *out),
                  void *out, bool *found, const char *doing, struct odo_err *err)
{
    struct first_rows f = {read, out, 0, 1};
    int rc = odo_store_each(s, st, read_first, &f, doing, err);

    if (found)
        *found = f.n > 0;
    return rc;
}

int odo_store_one(struct odo_store *s, sqlite3_stmt *st, void (*read)(sqlite3_stmt *st, void *out),
                  void *out, const char *kind, const char *ref, struct odo_err *err)
{
    struct first_rows o = {read, out, 0, 2};
    int rc = odo_store_each(s, st, read_first, &o, "looking it up", err);

    if (rc != 0)
        return rc;
    if (o.n == 0)
        return odo_err_set(err, ODO_ENOTFOUND, "no %s matches '%.60s'", kind, ref);
    if (o.n > 1)
        return odo_err_set(err, ODO_EINVAL,
                           "'%.60s' matches more than one %s: give more characters of the id", ref,
                           kind);
    return 0;
}

/* odo_store_text's reader: column 0 into a capped buffer. */
struct text_out {
    char *out;
    size_t cap;
};

static void read_text(sqlite3_stmt *st, void *ctx)
{
    struct text_out *t = ctx;
    odo_column_text(st, 0, t->out, t->cap);
}

int odo_store_text(struct odo_store *s, sqlite3_stmt *st, char *out, size_t cap, const char *doing,
                   struct odo_err *err)
{
    struct text_out t = {out, cap};

    out[0] = '\0';
    return odo_store_row(s, st, read_text, &t, NULL, doing, err);
}

int odo_store_soft_delete(struct odo_store *s, const struct odo_soft_delete *d, const char *user,
                          const char *id, const char *restore_at, struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1];

    odo_store_now_text(s, now);
    for (size_t i = 0; i < ODO_CASCADE_MAX && d->sql[i]; i++) {
        sqlite3_stmt *st = odo_store_bound(s, d->sql[i], id, user, err);
        int rc;

        if (!st)
            return ODO_ESTORAGE;
        sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
        if (restore_at)
            sqlite3_bind_text(st, 4, restore_at, -1, SQLITE_STATIC);
        if ((rc = odo_store_step_done(s, st, err, d->doing)))
            return rc;
        if (i == 0 && sqlite3_changes(s->db) != 1)
            return odo_err_set(err, ODO_ENOTFOUND, "no %s %s %.40s",
                               restore_at ? "deleted" : "live", d->kind, id);
    }
    return 0;
}

int odo_store_exec(struct odo_store *s, const char *sql, struct odo_err *err, const char *doing)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : odo_store_sqlerr(s, sqlite3_extended_errcode(s->db), err, doing);
}

void odo_store_now_text(struct odo_store *s, char out[ODO_TIME_TEXT_LEN + 1])
{
    odo_time_format(odo_clock_now(s->clock), out);
}

int odo_bind_text(sqlite3_stmt *st, int idx, const char *v)
{
    if (!v || !*v)
        return sqlite3_bind_null(st, idx);
    return sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT);
}

int odo_bind_int(sqlite3_stmt *st, int idx, int64_t v, bool present)
{
    return present ? sqlite3_bind_int64(st, idx, v) : sqlite3_bind_null(st, idx);
}

void odo_column_text(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = t ? strlen((const char *)t) : 0;

    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

int64_t odo_column_int(sqlite3_stmt *st, int col, int64_t dflt)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, col);
}

int64_t odo_column_time(sqlite3_stmt *st, int col)
{
    char at[ODO_TIME_TEXT_LEN + 1];
    int64_t ms;

    odo_column_text(st, col, at, sizeof(at));
    return odo_time_parse(at, &ms, NULL) == 0 ? ms : 0;
}

int32_t odo_column_date(sqlite3_stmt *st, int col)
{
    int32_t d;
    const char *t = (const char *)sqlite3_column_text(st, col);
    return t && odo_date_parse(t, &d, NULL) == 0 ? d : ODO_NO_DATE;
}

int odo_bind_date(sqlite3_stmt *st, int idx, int32_t days)
{
    char text[ODO_DATE_TEXT_LEN + 1];

    if (days == ODO_NO_DATE)
        return sqlite3_bind_null(st, idx);
    odo_date_format(days, text);
    return sqlite3_bind_text(st, idx, text, -1, SQLITE_TRANSIENT);
}

int odo_text_check(const char *v, size_t max, const char *what, struct odo_err *err)
{
    size_t n;

    if (!v)
        return 0;
    n = strlen(v);
    if (n > max)
        return odo_err_set(err, ODO_EINVAL, "%s is too long: at most %zu bytes, got %zu", what, max,
                           n);
    if (!odo_text_valid(v))
        return odo_err_set(err, ODO_EINVAL,
                           "%s holds a control character or is not valid UTF-8 text", what);
    return 0;
}

/* Refuses a file that is an SQLite database but not ours (a foreign application id, or tables
 * and no migration record). */
static int check_identity(struct odo_store *s, const char *path, struct odo_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc, app_id = 0, tables = 0, has_migrations = 0;

    rc = sqlite3_prepare_v2(s->db, "PRAGMA application_id", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        app_id = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc != SQLITE_OK)
        goto sql_fail;
    rc = sqlite3_prepare_v2(s->db,
                            "SELECT count(*), count(*) FILTER (WHERE name = '_migrations') "
                            "FROM sqlite_schema WHERE type = 'table'",
                            -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        tables = sqlite3_column_int(st, 0);
        has_migrations = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        goto sql_fail;
    if ((app_id != 0 && app_id != ODO_APPLICATION_ID) || (tables > 0 && !has_migrations))
        return odo_err_set(err, ODO_ENOTDB,
                           "'%s' is an SQLite database of another program, not an odolog "
                           "database; nothing was changed",
                           path);
    return 0;
sql_fail:
    rc = odo_store_sqlerr(s, sqlite3_extended_errcode(s->db), err, "opening the database");
    if (rc == ODO_ENOTDB)
        odo_err_set(err, ODO_ENOTDB,
                    "'%s' is not an odolog database (not even an SQLite file); nothing was "
                    "changed",
                    path);
    return rc;
}

/* Runs a pragma and checks that it answers `want` when want is not NULL. */
static int pragma(struct odo_store *s, const char *sql, const char *want, struct odo_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    const char *got = NULL;

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            got = (const char *)sqlite3_column_text(st, 0);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        rc = sqlite3_extended_errcode(s->db);
        sqlite3_finalize(st);
        return odo_store_sqlerr(s, rc, err, "setting up the database");
    }
    if (want && (!got || strcmp(got, want) != 0)) {
        odo_err_set(err, ODO_ESTORAGE, "the database refused '%s' (answered '%s')", sql,
                    got ? got : "nothing");
        sqlite3_finalize(st);
        return ODO_ESTORAGE;
    }
    sqlite3_finalize(st);
    return 0;
}

static int load_device_id(struct odo_store *s, struct odo_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc =
        sqlite3_prepare_v2(s->db, "SELECT device_id FROM sync_state WHERE id = 1", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        odo_column_text(st, 0, s->device_id, sizeof(s->device_id));
    sqlite3_finalize(st);
    /* A database opened without migrating may not have the table yet. */
    if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc != SQLITE_ERROR)
        return odo_store_sqlerr(s, rc, err, "reading the device id");
    return 0;
}

/* Refuses a path that exists and is not a regular file (a device, a directory, a link): SQLite
 * would open /dev/null and leave a journal beside it. A missing file is fine unless it is to be
 * read. */
static int check_regular(const char *path, bool must_exist, struct odo_err *err)
{
    struct stat st;

    if (lstat(path, &st) != 0) {
        if (errno == ENOENT && !must_exist)
            return 0;
        if (errno == ENOENT)
            return odo_err_set(err, ODO_ENOTFOUND, "there is no database at '%s' yet", path);
        return odo_err_set(err, ODO_EREADONLY, "cannot look at '%s': %s", path, strerror(errno));
    }
    if (S_ISREG(st.st_mode))
        return 0;
    return odo_err_set(err, ODO_ENOTDB,
                       "'%s' is %s, not a database file: give the path of an odolog database "
                       "(or of one to create); nothing was changed",
                       path,
                       S_ISLNK(st.st_mode)                          ? "a symbolic link"
                       : S_ISDIR(st.st_mode)                        ? "a directory"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                    : "not a regular file");
}

/* Counts what a read-only store cannot do: migrations still to apply, or ones from a newer
 * program. */
struct ro_status {
    int pending, unknown;
};

static void count_status(const struct odo_migration_status *st, void *ctx)
{
    struct ro_status *r = ctx;
    r->pending += st->state == ODO_MIGRATION_PENDING;
    r->unknown += st->state == ODO_MIGRATION_UNKNOWN;
}

/* "file:PATH?immutable=1" with PATH escaped for a URI (caller frees), or NULL. */
static char *immutable_uri(const char *path)
{
    static const char suffix[] = "?immutable=1";
    char *uri = malloc(strlen("file:") + 3 * strlen(path) + sizeof(suffix)), *p;

    if (!uri)
        return NULL;
    p = uri + sprintf(uri, "file:");
    for (; *path; path++) {
        if (*path == '%' || *path == '?' || *path == '#')
            p += sprintf(p, "%%%02X", (unsigned char)*path);
        else
            *p++ = *path;
    }
    memcpy(p, suffix, sizeof(suffix));
    return uri;
}

/*
 * The read-only open: no migration, no pragma that writes, and a file that is up to date. A
 * database in WAL mode needs its -shm beside it; when nobody may create that (a read-only
 * directory), the file is opened as immutable, which is safe because nobody can write it either.
 */
static int open_read_only(struct odo_store *s, const char *path,
                          const struct odo_store_options *opt, struct odo_err *err)
{
    struct ro_status ro = {0, 0};
    char *uri;
    int rc;

    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE,
                         opt->vfs);
    if (rc == SQLITE_OK)
        rc = check_identity(s, path, err);
    if (rc != 0 && access(path, W_OK) != 0) {
        sqlite3_close_v2(s->db);
        s->db = NULL;
        if (!(uri = immutable_uri(path)))
            return odo_err_set(err, ODO_ENOMEM, "out of memory opening the database");
        rc = sqlite3_open_v2(
            uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE, opt->vfs);
        free(uri);
        if (rc == SQLITE_OK)
            rc = check_identity(s, path, err);
    }
    if (rc > 0)
        return odo_store_sqlerr(s, rc, err, "opening the database for reading");
    if (rc != 0)
        return rc;
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 5000);
    if ((rc = odo_store_register_functions(s)) != SQLITE_OK)
        return odo_store_sqlerr(s, rc, err, "registering SQL functions");
    if (!opt->no_migrate && (rc = odo_store_migration_status(s, count_status, &ro, err)))
        return rc;
    if (ro.unknown)
        return odo_err_set(err, ODO_ENEWER,
                           "'%s' was written by a newer odolog: upgrade odolog to read it", path);
    if (ro.pending)
        return odo_err_set(err, ODO_EREADONLY,
                           "'%s' is read-only and was written by an older odolog: it needs %d "
                           "migration%s, which only a writable file can take; make it writable "
                           "once",
                           path, ro.pending, ro.pending == 1 ? "" : "s");
    s->read_only = true;
    return load_device_id(s, err);
}

int odo_store_open(const char *path, const struct odo_store_options *opt, struct odo_store **out,
                   struct odo_err *err)
{
    static const struct odo_store_options defaults = {0};
    struct odo_store *s;
    size_t count;
    int rc;

    *out = NULL;
    if (!opt)
        opt = &defaults;
    s = calloc(1, sizeof(*s));
    if (!s)
        return odo_err_set(err, ODO_ENOMEM, "out of memory opening the database");
    s->clock = opt->clock ? opt->clock : odo_clock_system();
    s->migrations = opt->migrations ? opt->migrations : odo_migrations_device(&count);
    s->migration_count = opt->migrations ? opt->migration_count : count;

    if ((rc = check_regular(path, opt->read_only, err)))
        goto out_close;
    if (opt->read_only) {
        rc = open_read_only(s, path, opt, err);
        if (rc == 0)
            *out = s;
        else
            odo_store_close(s);
        return rc;
    }
    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW |
                             SQLITE_OPEN_EXRESCODE,
                         opt->vfs);
    if (rc != SQLITE_OK) {
        int ro = access(path, F_OK) == 0 && access(path, W_OK) != 0;
        if (ro || (rc & 0xff) == SQLITE_CANTOPEN)
            rc = odo_err_set(err, ODO_EREADONLY,
                             "cannot open '%s' for writing (%s); check that its directory "
                             "exists and that the file and directory are writable",
                             path, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        else
            rc = odo_store_sqlerr(s, rc, err, "opening the database");
        goto out_close;
    }
    sqlite3_extended_result_codes(s->db, 1);
    if (sqlite3_db_readonly(s->db, "main") == 1) {
        rc = odo_err_set(err, ODO_EREADONLY,
                         "'%s' is read-only: odolog needs to write its database; check the "
                         "file's permissions",
                         path);
        goto out_close;
    }
    sqlite3_busy_timeout(s->db, opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 5000);

    rc = check_identity(s, path, err);
    if (rc != 0)
        goto out_close;
    rc = pragma(s, "PRAGMA journal_mode = WAL", "wal", err);
    if (rc == 0)
        rc = pragma(s, "PRAGMA synchronous = FULL", NULL, err);
    if (rc == 0)
        rc = pragma(s, "PRAGMA foreign_keys = ON", NULL, err);
    if (rc != 0) {
        if (rc == ODO_EREADONLY || rc == ODO_ESTORAGE)
            odo_err_set(err, ODO_EREADONLY,
                        "cannot write '%s' or its directory (SQLite needs to create '%s-wal' "
                        "beside it): %s",
                        path, path, sqlite3_errmsg(s->db));
        rc = rc == ODO_ESTORAGE ? ODO_EREADONLY : rc;
        goto out_close;
    }
    rc = odo_store_register_functions(s);
    if (rc != SQLITE_OK) {
        rc = odo_store_sqlerr(s, rc, err, "registering SQL functions");
        goto out_close;
    }
    if (!opt->no_migrate) {
        rc = odo_migrate_run(s, err);
        if (rc != 0)
            goto out_close;
    }
    rc = load_device_id(s, err);
    if (rc != 0)
        goto out_close;
    *out = s;
    return 0;
out_close:
    odo_store_close(s);
    return rc;
}

void odo_store_close(struct odo_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < STORE_STMT_CACHE; i++)
        sqlite3_finalize(s->stmts[i].st);
    for (size_t i = 0; i < STORE_TEXT_CACHE; i++) {
        sqlite3_finalize(s->texts[i].st);
        free(s->texts[i].sql);
    }
    sqlite3_close_v2(s->db);
    free(s);
}

int odo_store_begin(struct odo_store *s, struct odo_err *err)
{
    int rc = odo_store_exec(s, s->tx_depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT odo_nested", err,
                            "starting a transaction");
    if (rc == 0)
        s->tx_depth++;
    return rc;
}

int odo_store_commit(struct odo_store *s, struct odo_err *err)
{
    int rc;

    if (s->tx_depth <= 0)
        return odo_err_set(err, ODO_ESTORAGE, "commit without a transaction");
    rc = odo_store_exec(s, s->tx_depth == 1 ? "COMMIT" : "RELEASE odo_nested", err, "committing");
    if (rc == 0) {
        s->tx_depth--;
    } else if (s->tx_depth == 1) {
        /* A failed COMMIT (I/O error, full disk) may leave the transaction open: end it so
         * the caller sees all or nothing. */
        if (!sqlite3_get_autocommit(s->db))
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        s->tx_depth = 0;
    }
    return rc;
}

void odo_store_rollback(struct odo_store *s)
{
    if (s->tx_depth <= 0)
        return;
    if (s->tx_depth == 1)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    else
        sqlite3_exec(s->db, "ROLLBACK TO odo_nested; RELEASE odo_nested", NULL, NULL, NULL);
    s->tx_depth--;
}
