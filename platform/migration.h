/*
 * An SQL migration file built into a program: its name and its text. Both the device store
 * (SQLite) and the gateway (PostgreSQL) run sets of these with the same rules; see
 * storage/migrate.h and docs/migrations.md. The sets are generated at build time from
 * migrations/<side>/NNN_name.sql by cmake/EmbedSql.cmake.
 */
#ifndef ODO_PLATFORM_MIGRATION_H
#define ODO_PLATFORM_MIGRATION_H

#include <stddef.h>

struct odo_migration {
    const char *name; /* file name, e.g. "001_init.sql"; the set is in lexicographic order */
    const char *sql;  /* the whole file, NUL-terminated */
    size_t len;       /* its length in bytes */
};

#endif
