/*
 * Schema migrations of the device database.
 *
 * Migrations are the files migrations/device/NNN_name.sql, built into the program at build time,
 * and run by the shared runner of platform/migration.h (its rules are the device's and the
 * gateway's alike; docs/migrations.md). On the device each file runs in its own BEGIN IMMEDIATE
 * transaction, statement by statement, and is recorded in _migrations (name, checksum = SHA-256
 * of the file, applied_at). Running again is a no-op. A file whose content changed after it was
 * applied stops the runner with an error naming the file, and a file that fails leaves the
 * database exactly as it was before that file, with an error naming the file, the statement's
 * number and its first line. A database that records a migration this program does not know was
 * written by a newer odolog and is refused.
 */
#ifndef ODO_STORAGE_MIGRATE_H
#define ODO_STORAGE_MIGRATE_H

#include <stddef.h>

#include "platform/error.h"
#include "platform/migration.h"

/* The migrations built into this program, in order. */
const struct odo_migration *odo_migrations_device(size_t *count);

#endif
