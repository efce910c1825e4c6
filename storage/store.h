/*
 * The device store: one SQLite database file holding every user's logbook on this device.
 *
 * odo_store_open() opens (or creates) the file with write-ahead logging, synchronous=FULL,
 * foreign keys on and a busy timeout, checks that it is an odolog database, and applies pending
 * migrations, all in one call. Every read and write API of the storage module takes the user it
 * acts for; none reads across users.
 *
 * A store handle belongs to one thread at a time.
 */
#ifndef ODO_STORAGE_STORE_H
#define ODO_STORAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "platform/clock.h"
#include "platform/error.h"
#include "platform/text.h"
#include "storage/migrate.h"

struct odo_store;

/* Listings show the last ODO_SHORT_ID_LEN characters of an id; any 4 or more characters from
 * the start of that short id find the row again (as do the whole id, and its start or end). */
#define ODO_SHORT_ID_LEN 8

struct odo_store_options {
    const struct odo_clock *clock; /* NULL: the system clock */
    const char *vfs;               /* SQLite VFS name; NULL: the default */
    int busy_timeout_ms;           /* 0: 5000 */
    bool no_migrate;               /* open without applying migrations (db status) */
    bool read_only; /* open for reading only: nothing is migrated or written (a read-only file) */
    const struct odo_migration *migrations; /* NULL: the built-in set */
    size_t migration_count;
};

/*
 * Opens the database at path, creating the file (not its directory) when it does not exist, and
 * migrates it unless opt->no_migrate. opt may be NULL. With opt->read_only the file must exist
 * and be up to date (no pending migration, unless opt->no_migrate too): it is opened for reading
 * only, which works on a file nobody may write, and every write through the handle fails with
 * ODO_EREADONLY. Only a regular file is a database: a device, directory or link is refused before
 * SQLite sees it (no journal is ever created beside it). On success *out is a handle the caller
 * closes with odo_store_close(). Errors, each with a sentence in err: ODO_ENOTDB (not a regular
 * file, not an SQLite or not an odolog database), ODO_EREADONLY (file or directory not writable; a
 * read-only file that needs migrating), ODO_ENOTFOUND (read_only and no such file), ODO_EMIGRATE,
 * ODO_ENEWER, ODO_EBUSY, ODO_ESTORAGE. On error nothing in the file has changed.
 */
int odo_store_open(const char *path, const struct odo_store_options *opt, struct odo_store **out,
                   struct odo_err *err) ODO_MUST_CHECK;

/* Closes the store and frees the handle; NULL is fine. */
void odo_store_close(struct odo_store *s);

/*
 * Calls fn for each migration, built-in ones in order and then any recorded that this program
 * does not know. Returns 0 or an error.
 */
int odo_store_migration_status(struct odo_store *s,
                               void (*fn)(const struct odo_migration_status *st, void *ctx),
                               void *ctx, struct odo_err *err) ODO_MUST_CHECK;

/* Applies pending migrations (what odo_store_open does unless told not to). */
int odo_store_migrate(struct odo_store *s, struct odo_err *err) ODO_MUST_CHECK;

/*
 * Transactions. begin takes the write lock at once (BEGIN IMMEDIATE), so a transaction never
 * fails half-way for lack of it; nested begin/commit pairs become savepoints. Every repository
 * call runs in its own transaction, or in the caller's when one is open. A commit that fails
 * (I/O error, full disk) has rolled the transaction back when it returns.
 */
int odo_store_begin(struct odo_store *s, struct odo_err *err) ODO_MUST_CHECK;
int odo_store_commit(struct odo_store *s, struct odo_err *err) ODO_MUST_CHECK;
void odo_store_rollback(struct odo_store *s);

/* The clock the store was opened with. */
const struct odo_clock *odo_store_clock(const struct odo_store *s);

/* This device's id (a UUID made when the database was created). */
const char *odo_store_device_id(struct odo_store *s);

#endif
