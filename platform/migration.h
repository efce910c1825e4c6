/*
 * Schema migrations, device and central alike: the rules live here, the databases elsewhere.
 *
 * A migration is an SQL file built into a program: migrations/<side>/NNN_name.sql, embedded at
 * build time by cmake/EmbedSql.cmake as a set of struct odo_migration in lexicographic order of
 * name. odo_migration_run applies a set with the rules both sides share (docs/migrations.md):
 *
 * - a database that records a migration this program does not know was written by a newer
 *   version and is refused (ODO_ENEWER), before anything runs;
 * - an applied file whose SHA-256 differs from the record stops the runner (ODO_EMIGRATE), naming
 *   the file; nothing after it runs;
 * - each pending file runs in its own transaction together with its record in _migrations, so a
 *   file that fails leaves the database as it was before that file (ODO_EMIGRATE, naming the file,
 *   where in it, and the database's message);
 * - another process may be migrating the same database: each pending file is looked up again
 *   under the lock that serialises runners, and one applied meanwhile is not applied twice.
 *
 * The database is a table of functions (struct odo_migration_backend) over an opaque handle:
 * storage/migrate.c provides SQLite's (the device store), sync/gateway/pg.c PostgreSQL's (the
 * gateway). Later additions fit beside what is here: a down script kept with each record (a
 * field of struct odo_migration_record, written by `record`) and a rollback runner over two more
 * backend functions; when, how long and by whom, as further record fields.
 */
#ifndef ODO_PLATFORM_MIGRATION_H
#define ODO_PLATFORM_MIGRATION_H

#include <stddef.h>

#include "platform/error.h"
#include "platform/hash.h"

struct odo_migration {
    const char *name; /* file name, e.g. "001_init.sql"; the set is in lexicographic order */
    const char *sql;  /* the whole file, NUL-terminated */
    size_t len;       /* its length in bytes */
};

/* Room for applied_at as either database writes it ("2024-05-01 12:00:00.123456+00" is 29). */
#define ODO_MIGRATION_TIME_MAX 40
/* Room for where a file failed: "statement 3 (CREATE TABLE ...)", "line 12 (...)". */
#define ODO_MIGRATION_WHERE_MAX 160

/* One row of _migrations. */
struct odo_migration_record {
    char checksum[ODO_SHA256_HEX_LEN + 1];       /* SHA-256 of the file, lower-case hex */
    char applied_at[ODO_MIGRATION_TIME_MAX + 1]; /* read back only: `record` stamps the time */
};

/*
 * What the runner needs from a database. Every function receives the backend's handle `db`;
 * fallible ones return 0 or a negative ODO_E* code with a sentence in err.
 */
struct odo_migration_backend {
    const char *program; /* names this program: "which this <program> does not know" */
    const char *upgrade; /* what to upgrade to read a newer database: "upgrade <upgrade>" */
    /* The record of `name`: 1 (rec filled), 0 when not applied or there is no record yet. */
    int (*read)(void *db, const char *name, struct odo_migration_record *rec, struct odo_err *err);
    /* Calls fn for every record in order of name; stops at, and returns, fn's first nonzero. */
    int (*each)(void *db,
                int (*fn)(const char *name, const struct odo_migration_record *rec, void *arg),
                void *arg, struct odo_err *err);
    /* Opens the transaction one file runs in, holding the lock that serialises runners and
     * creating the record table if needed. A failure leaves no transaction open. */
    int (*begin)(void *db, struct odo_err *err);
    /* Runs the file in that transaction. On failure fills `where` (where in the file, or ""
     * when the database does not say) and err with the database's own message; the runner
     * words the sentence. */
    int (*apply)(void *db, const struct odo_migration *m, char where[ODO_MIGRATION_WHERE_MAX],
                 struct odo_err *err);
    /* Records m as applied with rec (its checksum), in that transaction. */
    int (*record)(void *db, const struct odo_migration *m, const struct odo_migration_record *rec,
                  struct odo_err *err);
    /* Commits; a commit that fails has ended the transaction. */
    int (*commit)(void *db, struct odo_err *err);
    /* Ends the open transaction, undoing it; nothing to report. */
    void (*rollback)(void *db);
};

/*
 * Applies the pending migrations of set[0..n) to db with the rules above. *applied (may be NULL)
 * receives how many files ran. Errors: ODO_ENEWER, ODO_EMIGRATE, and what the backend reports
 * (ODO_ESTORAGE, ODO_EBUSY, ...). Files applied before an error stay applied.
 */
int odo_migration_run(const struct odo_migration_backend *b, void *db,
                      const struct odo_migration *set, size_t n, int *applied,
                      struct odo_err *err) ODO_MUST_CHECK;

enum odo_migration_state {
    ODO_MIGRATION_APPLIED,
    ODO_MIGRATION_PENDING,
    ODO_MIGRATION_CHANGED, /* applied, but the file differs from what was applied */
    ODO_MIGRATION_UNKNOWN  /* applied by another (newer) program; this one has no such file */
};

struct odo_migration_status {
    const char *name;
    enum odo_migration_state state;
    const char *checksum;   /* of the built-in file; NULL for UNKNOWN */
    const char *applied_at; /* NULL when pending */
};

/* "applied", "pending", "changed" or "unknown". */
const char *odo_migration_state_name(enum odo_migration_state s);

/*
 * Calls fn for each migration of set[0..n) in order, then for each recorded one the set does not
 * have (UNKNOWN). Changes nothing. Returns 0 or what the backend reports.
 */
int odo_migration_status(const struct odo_migration_backend *b, void *db,
                         const struct odo_migration *set, size_t n,
                         void (*fn)(const struct odo_migration_status *st, void *ctx), void *ctx,
                         struct odo_err *err) ODO_MUST_CHECK;

#endif
