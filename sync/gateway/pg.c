/*
 * Connection pool and central migrations.
 */
#include "sync/gateway/pg.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform/hash.h"
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
    /* A migration this program does not have means a newer gateway wrote the database. */
    {
        PGresult *r = PQexec(c, "SELECT name FROM _migrations ORDER BY name");
        if ((rc = odo_pg_check(r, "reading _migrations", err))) {
            PQclear(r);
            return rc;
        }
        for (int i = 0; i < PQntuples(r); i++) {
            const char *name = PQgetvalue(r, i, 0);
            int known = 0;
            for (size_t k = 0; k < n && !known; k++)
                known = strcmp(set[k].name, name) == 0;
            if (!known) {
                odo_err_set(err, ODO_ENEWER,
                            "the database has migration %s, which this gateway does not know: "
                            "it was written by a newer version",
                            name);
                PQclear(r);
                return ODO_ENEWER;
            }
        }
        PQclear(r);
    }
    for (size_t i = 0; i < n; i++) {
        char sum[ODO_SHA256_HEX_LEN + 1];
        const char *params[2] = {set[i].name, sum};
        PGresult *r;

        odo_sha256_hex(set[i].sql, set[i].len, sum);
        if ((rc = odo_pg_exec(c, "BEGIN", err)))
            return rc;
        /* One migrator at a time, whatever process it is. */
        if ((rc = odo_pg_exec(c, "SELECT pg_advisory_xact_lock(7007001)", err)))
            goto out_rollback;
        r = PQexecParams(c, "SELECT checksum FROM _migrations WHERE name = $1", 1, NULL, params,
                         NULL, NULL, 0);
        if ((rc = odo_pg_check(r, "reading _migrations", err))) {
            PQclear(r);
            goto out_rollback;
        }
        if (PQntuples(r) == 1) {
            int same = strcmp(PQgetvalue(r, 0, 0), sum) == 0;
            PQclear(r);
            odo_pg_rollback(c);
            if (!same)
                return odo_err_set(err, ODO_EMIGRATE,
                                   "migration %s was changed after it was applied to this "
                                   "database; put the change in a new migration",
                                   set[i].name);
            continue;
        }
        PQclear(r);
        r = PQexec(c, set[i].sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
            const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
            const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
            char line[100] = "";
            int ln = pos ? line_of(set[i].sql, atol(pos), line, sizeof(line)) : 0;
            odo_err_set(err, ODO_EMIGRATE,
                        "migration %s failed at line %d (%s): %s; the database was left as it "
                        "was before this file",
                        set[i].name, ln, line, msg ? msg : PQresultErrorMessage(r));
            PQclear(r);
            rc = ODO_EMIGRATE;
            goto out_rollback;
        }
        PQclear(r);
        r = PQexecParams(c, "INSERT INTO _migrations VALUES ($1, $2, now())", 2, NULL, params, NULL,
                         NULL, 0);
        if ((rc = odo_pg_check(r, "recording the migration", err))) {
            PQclear(r);
            goto out_rollback;
        }
        PQclear(r);
        if ((rc = odo_pg_exec(c, "COMMIT", err)))
            return rc;
        (*applied)++;
    }
    return 0;
out_rollback:
    odo_pg_rollback(c);
    return rc;
}
