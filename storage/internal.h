/*
 * Inside the storage module: the store handle and the helpers its repositories share. Nothing
 * outside storage/ includes this header.
 */
#ifndef ODO_STORAGE_INTERNAL_H
#define ODO_STORAGE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "platform/clock.h"
#include "platform/uuid.h"
#include "storage/store.h"

#define STORE_STMT_CACHE 128
#define STORE_TEXT_CACHE 32

struct odo_store {
    sqlite3 *db;
    const struct odo_clock *clock;
    const struct odo_migration *migrations;
    size_t migration_count;
    bool capture_off; /* the sync engine is applying pulled rows: triggers must not capture */
    int tx_depth;
    char device_id[ODO_UUID_TEXT_LEN + 1];
    struct {
        const char *sql; /* the statement's name: the address of its static text */
        sqlite3_stmt *st;
    } stmts[STORE_STMT_CACHE];
    struct {
        char *sql; /* statements built at run time (storage/replica.c), by their text */
        sqlite3_stmt *st;
    } texts[STORE_TEXT_CACHE];
    unsigned next_text; /* the slot the next new text statement replaces */
};

/*
 * The prepared statement for sql, a static string whose address names it; prepared once per
 * store and reset before it is handed out. Returns NULL with a sentence in err on failure.
 */
sqlite3_stmt *odo_store_stmt(struct odo_store *s, const char *sql, struct odo_err *err);

/*
 * The prepared statement for sql built at run time, cached by its text (a few dozen at most,
 * the oldest replaced first) and reset before it is handed out. NULL with a sentence on error.
 */
sqlite3_stmt *odo_store_stmt_text(struct odo_store *s, const char *sql, struct odo_err *err);

/* Maps an SQLite result code to an ODO_E* code with a sentence saying what was being done. */
int odo_store_sqlerr(struct odo_store *s, int rc, struct odo_err *err, const char *doing);

/* Runs a statement that returns no rows; SQLITE_DONE is success. Resets it either way. */
int odo_store_step_done(struct odo_store *s, sqlite3_stmt *st, struct odo_err *err,
                        const char *doing);

/* Runs one or more SQL statements with no parameters. */
int odo_store_exec(struct odo_store *s, const char *sql, struct odo_err *err, const char *doing);

/* The store clock's time as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void odo_store_now_text(struct odo_store *s, char out[ODO_TIME_TEXT_LEN + 1]);

/* A new UUIDv7 for a row born now. */
int odo_store_new_id(struct odo_store *s, char out[ODO_UUID_TEXT_LEN + 1], struct odo_err *err);

/* Binds text, or NULL when v is NULL or empty. */
int odo_bind_text(sqlite3_stmt *st, int idx, const char *v);
/* Binds an integer, or NULL when present is false. */
int odo_bind_int(sqlite3_stmt *st, int idx, int64_t v, bool present);
/* Copies column col as text into dst (empty for NULL), truncating to cap-1 bytes. */
void odo_column_text(sqlite3_stmt *st, int col, char *dst, size_t cap);
/* Column col as an integer, or dflt when it is NULL. */
int64_t odo_column_int(sqlite3_stmt *st, int col, int64_t dflt);

/*
 * Checks a free-text field: at most max bytes of valid UTF-8 without control characters.
 * Returns 0 or ODO_EINVAL with a sentence naming `what`.
 */
int odo_text_check(const char *v, size_t max, const char *what, struct odo_err *err) ODO_MUST_CHECK;

/*
 * SQL condition: column `col` is the id a person typed as parameter `p`: the whole id, or at
 * least 4 characters from its start or its end (UUIDv7 ids start with their creation time, so
 * ids made together share a prefix; listings show the end).
 */
#define ODO_SQL_ID_MATCH(col, p)                                                                   \
    "(" col " = lower(" p ") OR (length(" p ") >= 4 AND (substr(" col ", 1, length(" p             \
    ")) = lower(" p ") OR substr(" col ", -length(" p ")) = lower(" p "))))"

/*
 * Steps st, a query for rows matching `ref` (what a person typed), and expects exactly one:
 * read(st, out) copies it. ODO_ENOTFOUND "no <kind> matches '<ref>'" when none does,
 * ODO_EINVAL when several do.
 */
int odo_store_one(struct odo_store *s, sqlite3_stmt *st, void (*read)(sqlite3_stmt *st, void *out),
                  void *out, const char *kind, const char *ref, struct odo_err *err);

/*
 * Steps st, a bound query, and copies column 0 of its first row into out ("" when there is
 * none), then resets st. A failing step is reported as "<doing>".
 */
int odo_store_text(struct odo_store *s, sqlite3_stmt *st, char *out, size_t cap, const char *doing,
                   struct odo_err *err);

/* Runs migrations against s->db; see storage/migrate.h. */
int odo_migrate_run(struct odo_store *s, struct odo_err *err) ODO_MUST_CHECK;

#endif
