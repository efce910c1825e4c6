/*
 * The gateway's PostgreSQL side: a bounded pool of libpq connections, shared by the HTTP and
 * CoAP threads, and the central migration runner.
 */
#ifndef ODO_GATEWAY_PG_H
#define ODO_GATEWAY_PG_H

#include <libpq-fe.h>
#include <stddef.h>

#include "platform/error.h"

struct odo_pg_pool;

/* Opens `size` connections to conninfo (a libpq URL or key=value string). */
int odo_pg_pool_open(const char *conninfo, int size, struct odo_pg_pool **out,
                     struct odo_err *err) ODO_MUST_CHECK;
/* Closes every connection; NULL is fine. Callers must have released theirs. */
void odo_pg_pool_close(struct odo_pg_pool *p);

/*
 * Takes a connection, waiting up to wait_ms for one to be free. A connection found broken is
 * reset first. Returns NULL (ODO_EBUSY or ODO_ENET in err) when none can be had.
 */
PGconn *odo_pg_acquire(struct odo_pg_pool *p, int wait_ms, struct odo_err *err);
/* Gives a connection back; a connection left inside a transaction is rolled back. */
void odo_pg_release(struct odo_pg_pool *p, PGconn *c);

/* Runs sql (no parameters, no rows expected). Returns 0 or ODO_ESTORAGE with the message. */
int odo_pg_exec(PGconn *c, const char *sql, struct odo_err *err) ODO_MUST_CHECK;

/* Ends the open transaction, if any; a failure here leaves nothing to undo. */
void odo_pg_rollback(PGconn *c);

/* The status of a result as 0 or ODO_ESTORAGE with a sentence; clears r on error when
 * clear is nonzero. */
int odo_pg_check(PGresult *r, const char *doing, struct odo_err *err);

/*
 * Applies the central migrations (migrations/central, built in) with the runner the device
 * shares (platform/migration.h, docs/migrations.md): lexicographic order, one transaction each,
 * recorded with a SHA-256 checksum in _migrations, an edited applied file refused by name, a
 * failing file rolled back and named with the line PostgreSQL points at, a newer database
 * refused. Concurrent runners serialise on an advisory lock. *applied receives how many files
 * ran.
 */
int odo_pg_migrate(PGconn *c, int *applied, struct odo_err *err) ODO_MUST_CHECK;

#endif
