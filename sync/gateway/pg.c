/*
 * Connection pool and central migrations.
 */
#include "sync/gateway/pg.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform/migration.h"

const struct odo_migration *odo_migrations_central(size_t *count);

struct odo_pg_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    int size;
    PGconn **conns;
    char *busy; /* busy[i]: conns[i] is lent out */
    char *conninfo;
};

int odo_pg_pool_open(const char *conninfo, int size, struct odo_pg_pool **out, struct odo_err *err)
{
    struct odo_pg_pool *p = calloc(1, sizeof(*p));

    *out = NULL;
    if (!p || size < 1)
        return odo_err_set(err, ODO_ENOMEM, "cannot make a connection pool");
    p->size = size;
    p->conns = calloc((size_t)size, sizeof(*p->conns));
    p->busy = calloc((size_t)size, 1);
    p->conninfo = strdup(conninfo);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    if (!p->conns || !p->busy || !p->conninfo) {
        odo_pg_pool_close(p);
        return odo_err_set(err, ODO_ENOMEM, "cannot make a connection pool");
    }
    for (int i = 0; i < size; i++) {
        p->conns[i] = PQconnectdb(conninfo);
        if (PQstatus(p->conns[i]) != CONNECTION_OK) {
            odo_err_set(err, ODO_ENET, "cannot connect to PostgreSQL: %s",
                        PQerrorMessage(p->conns[i]));
            odo_pg_pool_close(p);
            return ODO_ENET;
        }
    }
    *out = p;
    return 0;
}

void odo_pg_pool_close(struct odo_pg_pool *p)
{
    if (!p)
        return;
    for (int i = 0; p->conns && i < p->size; i++)
        if (p->conns[i])
            PQfinish(p->conns[i]);
    free(p->conns);
    free(p->busy);
    free(p->conninfo);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->freed);
    free(p);
}

PGconn *odo_pg_acquire(struct odo_pg_pool *p, int wait_ms, struct odo_err *err)
{
    struct timespec until;
    PGconn *c = NULL;
    int slot = -1;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->lock);
    for (;;) {
        for (int i = 0; i < p->size && slot < 0; i++)
            if (!p->busy[i])
                slot = i;
        if (slot >= 0)
            break;
        if (pthread_cond_timedwait(&p->freed, &p->lock, &until) == ETIMEDOUT) {
            pthread_mutex_unlock(&p->lock);
            odo_err_set(err, ODO_EBUSY, "every database connection is busy");
            return NULL;
        }
    }
    p->busy[slot] = 1;
    c = p->conns[slot];
    pthread_mutex_unlock(&p->lock);
    if (PQstatus(c) != CONNECTION_OK) {
        PQreset(c);
        if (PQstatus(c) != CONNECTION_OK) {
            odo_err_set(err, ODO_ENET, "the database is unreachable: %s", PQerrorMessage(c));
            odo_pg_release(p, c);
            return NULL;
        }
    }
    return c;
}

void odo_pg_release(struct odo_pg_pool *p, PGconn *c)
{
    if (PQtransactionStatus(c) != PQTRANS_IDLE && PQstatus(c) == CONNECTION_OK)
        PQclear(PQexec(c, "ROLLBACK"));
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < p->size; i++)
        if (p->conns[i] == c)
            p->busy[i] = 0;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}

int odo_pg_check(PGresult *r, const char *doing, struct odo_err *err)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_IN)
        return 0;
    odo_err_set(err, ODO_ESTORAGE, "%s: %s", doing,
                r ? PQresultErrorMessage(r) : "no result from PostgreSQL");
    return ODO_ESTORAGE;
}

int odo_pg_exec(PGconn *c, const char *sql, struct odo_err *err)
{
    PGresult *r = PQexec(c, sql);
    int rc = odo_pg_check(r, "database", err);
    PQclear(r);
    return rc;
}

void odo_pg_rollback(PGconn *c)
{
    if (PQtransactionStatus(c) != PQTRANS_IDLE)
        PQclear(PQexec(c, "ROLLBACK"));
}

/* The line of `sql` holding character position pos (1-based), and that line's text. */
static int line_of(const char *sql, long pos, char *line, size_t cap)
{
    int n = 1;
    const char *start = sql, *p = sql;

    for (; *p && p - sql < pos - 1; p++)
        if (*p == '\n') {
            n++;
            start = p + 1;
        }
    size_t len = strcspn(start, "\n");
    if (len >= cap)
        len = cap - 1;
    memcpy(line, start, len);
    line[len] = '\0';
    return n;
}

/*
 * PostgreSQL's side of the migration runner (platform/migration.h): the rules are there; here is
 * how _migrations is read and written, a file run, and runners serialised (an advisory lock).
 */

/* Row `row` of r, columns (checksum, applied_at) from `col` on, into a record. */
static void pg_record_of(PGresult *r, int row, int col, struct odo_migration_record *rec)
{
    snprintf(rec->checksum, sizeof(rec->checksum), "%s", PQgetvalue(r, row, col));
    snprintf(rec->applied_at, sizeof(rec->applied_at), "%s", PQgetvalue(r, row, col + 1));
}

static int pg_mig_read(void *db, const char *name, struct odo_migration_record *rec,
                       struct odo_err *err)
{
    const char *params[1] = {name};
    PGresult *r = PQexecParams(db, "SELECT checksum, applied_at FROM _migrations WHERE name = $1",
                               1, NULL, params, NULL, NULL, 0);
    int rc = odo_pg_check(r, "reading _migrations", err);

    if (rc == 0 && PQntuples(r) == 1) {
        pg_record_of(r, 0, 0, rec);
        rc = 1;
    }
    PQclear(r);
    return rc;
}

static int pg_mig_each(void *db,
                       int (*fn)(const char *name, const struct odo_migration_record *rec,
                                 void *arg),
                       void *arg, struct odo_err *err)
{
    PGresult *r = PQexec(db, "SELECT name, checksum, applied_at FROM _migrations ORDER BY name");
    int rc = odo_pg_check(r, "reading _migrations", err);

    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        struct odo_migration_record rec;
        pg_record_of(r, i, 1, &rec);
        rc = fn(PQgetvalue(r, i, 0), &rec, arg);
    }
    PQclear(r);
    return rc;
}

/* One migrator at a time, whatever process it is. */
static int pg_mig_begin(void *db, struct odo_err *err)
{
    int rc = odo_pg_exec(db, "BEGIN", err);

    if (rc == 0 && (rc = odo_pg_exec(db, "SELECT pg_advisory_xact_lock(7007001)", err)))
        odo_pg_rollback(db);
    return rc;
}

/* Runs the file as one script; a failure is placed by the line PostgreSQL points at. */
static int pg_mig_apply(void *db, const struct odo_migration *m,
                        char where[ODO_MIGRATION_WHERE_MAX], struct odo_err *err)
{
    PGresult *r = PQexec(db, m->sql);
    const char *pos, *msg;
    char line[100] = "";

    if (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK) {
        PQclear(r);
        return 0;
    }
    pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
    msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    if (pos) {
        int ln = line_of(m->sql, atol(pos), line, sizeof(line));
        snprintf(where, ODO_MIGRATION_WHERE_MAX, "line %d (%s)", ln, line);
    }
    odo_err_set(err, ODO_EMIGRATE, "%s", msg ? msg : PQresultErrorMessage(r));
    PQclear(r);
    return ODO_EMIGRATE;
}

static int pg_mig_record(void *db, const struct odo_migration *m,
                         const struct odo_migration_record *rec, struct odo_err *err)
{
    const char *params[2] = {m->name, rec->checksum};
    PGresult *r = PQexecParams(db, "INSERT INTO _migrations VALUES ($1, $2, now())", 2, NULL,
                               params, NULL, NULL, 0);
    int rc = odo_pg_check(r, "recording the migration", err);

    PQclear(r);
    return rc;
}

static int pg_mig_commit(void *db, struct odo_err *err)
{
    return odo_pg_exec(db, "COMMIT", err);
}

static void pg_mig_rollback(void *db)
{
    odo_pg_rollback(db);
}

static const struct odo_migration_backend pg_backend = {
    .program = "gateway",
    .upgrade = "odolog-gateway",
    .read = pg_mig_read,
    .each = pg_mig_each,
    .begin = pg_mig_begin,
    .apply = pg_mig_apply,
    .record = pg_mig_record,
    .commit = pg_mig_commit,
    .rollback = pg_mig_rollback,
};

int odo_pg_migrate(PGconn *c, int *applied, struct odo_err *err)
{
    size_t n;
    const struct odo_migration *set = odo_migrations_central(&n);
    int rc;

    *applied = 0;
    if ((rc = odo_pg_exec(c,
                          "CREATE TABLE IF NOT EXISTS _migrations (name text PRIMARY KEY, "
                          "checksum text NOT NULL, applied_at timestamptz NOT NULL)",
                          err)))
        return rc;
    return odo_migration_run(&pg_backend, c, set, n, applied, err);
}
