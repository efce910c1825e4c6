/*
 * Schema migrations of the device database.
 *
 * Migrations are the files migrations/device/NNN_name.sql, built into the program at build time.
 * They are applied in lexicographic order of name, each in its own transaction, and recorded in
 * _migrations (name, checksum = SHA-256 of the file, applied_at). Running again is a no-op. A file
 * whose content changed after it was applied stops the runner with an error naming the file, and
 * a file that fails leaves the database exactly as it was before that file, with an error naming
 * the file and the statement. A database that records a migration this program does not know was
 * written by a newer odolog and is refused.
 */
#ifndef ODO_STORAGE_MIGRATE_H
#define ODO_STORAGE_MIGRATE_H

#include <stddef.h>

#include "platform/error.h"
#include "platform/migration.h"

/* The migrations built into this program, in order. */
const struct odo_migration *odo_migrations_device(size_t *count);

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

const char *odo_migration_state_name(enum odo_migration_state s);

#endif
