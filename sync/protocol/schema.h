/*
 * The synced tables as the wire sees them: every column's name, wire type, limits, and the
 * schema version that introduced it. Both ends validate against this one table, and it is
 * what docs/protocol.md describes. The envelope columns (id, user_id, rev) are not listed: they
 * travel outside the column lists.
 */
#ifndef ODO_SYNC_SCHEMA_H
#define ODO_SYNC_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ODO_PROTOCOL_VERSION 1
#define ODO_SCHEMA_MIN       1 /* the oldest device schema this build serves */
#define ODO_SCHEMA_CURRENT   2 /* this build (2: vehicles body_class, engine, fuel_type) */
#define ODO_TIME_MAX_MS      253402300799999LL /* 9999-12-31T23:59:59.999Z */
#define ODO_WIRE_COLS_MAX    48 /* columns of one synced table, at most (a test checks them) */

enum odo_wire_type {
    ODO_W_UUID,     /* string, canonical UUID */
    ODO_W_TEXT,     /* string, UTF-8 without control characters, at most max bytes */
    ODO_W_ENUM,     /* string from a fixed list */
    ODO_W_TIME,     /* integer, milliseconds since 1970-01-01T00:00:00Z, 0..ODO_TIME_MAX_MS */
    ODO_W_DATE,     /* string "YYYY-MM-DD" */
    ODO_W_DEC,      /* string, exact decimal with at most `scale` decimals, within [min, max] */
    ODO_W_INT,      /* integer within [min, max] */
    ODO_W_BOOL,     /* integer 0 or 1 */
    ODO_W_CURRENCY, /* string, three upper-case letters */
};

struct odo_wire_col {
    const char *name;
    enum odo_wire_type type;
    bool nullable;
    int scale;        /* ODO_W_DEC: decimals; the device stores value * 10^scale */
    int64_t min, max; /* ODO_W_DEC (scaled) and ODO_W_INT bounds; ODO_W_TEXT: length in bytes */
    const char *const *allowed; /* ODO_W_ENUM: NULL-terminated */
    int since_schema;           /* the schema version that introduced the column */
    const char *pg_type;        /* the column's type in PostgreSQL */
    int merge_group; /* columns bound by one rule merge as a unit (ODO_MERGE_*); 0: alone */
};

/*
 * Merge groups: columns a multi-column rule binds together (a CHECK, a derived value). A
 * device sends a group whole when any of its columns changed; the gateway lets a pushed group
 * win as a unit or not at all; a pull keeps the whole group local when any of its columns has
 * an unpushed change. So a merged row never mixes half of one writer's schedule with half of
 * another's (docs/protocol.md, "Collisions").
 */
enum odo_merge_group {
    ODO_MERGE_ALONE = 0,
    ODO_MERGE_SCHEDULE = 1, /* maintenance: due and last-done dates and odometers, intervals */
    ODO_MERGE_VALIDITY = 2, /* renewals: valid_from, valid_until */
};

struct odo_wire_table {
    const char *name;
    const struct odo_wire_col *cols;
    size_t ncols;
    bool user_scoped; /* false: reference data, pulled by everyone, never pushed */
    int apply_order;  /* parents first: vehicles 0, maintenance 1, the rest 2 */
};

/* The synced tables, in apply order. */
const struct odo_wire_table *odo_wire_tables(size_t *count);

/* The table called name, or NULL. */
const struct odo_wire_table *odo_wire_table(const char *name);

/* The index of column name in t, or -1. */
int odo_wire_col_index(const struct odo_wire_table *t, const char *name);

#endif
