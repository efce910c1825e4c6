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

#define STORE_STMT_CACHE  128
#define STORE_TEXT_CACHE  32
#define STORE_RANDOM_POOL 640 /* bytes: 64 ids' worth */

struct odo_store {
    sqlite3 *db;
    const struct odo_clock *clock;
    const struct odo_migration *migrations;
    size_t migration_count;
    bool capture_off; /* the sync engine is applying pulled rows: triggers must not capture */
    bool read_only;   /* opened with odo_store_options.read_only */
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
    /* Randomness for new ids, drawn from the kernel a pool at a time. */
    unsigned char random[STORE_RANDOM_POOL];
    size_t random_used;
    int64_t last_id_ms;   /* the time in the last new id, and how many ids had it before: */
    unsigned last_id_seq; /* ids made in one millisecond still sort in the order made */
    bool staging;         /* the staging tables of odo_fuel_stage and odo_odometer_stage exist */
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

/*
 * odo_store_stmt with ?1 and ?2 bound to the texts p1 and p2 (NULL binds NULL), as nearly every
 * repository statement begins: the user and an id, or a vehicle's id and the user. Neither text
 * is copied: both must outlive the statement's run. NULL with a sentence on failure, which the
 * helpers below accept (see odo_store_each).
 */
sqlite3_stmt *odo_store_bound(struct odo_store *s, const char *sql, const char *p1, const char *p2,
                              struct odo_err *err);

/* Maps an SQLite result code to an ODO_E* code with a sentence saying what was being done. */
int odo_store_sqlerr(struct odo_store *s, int rc, struct odo_err *err, const char *doing);

/* Runs a statement that returns no rows; SQLITE_DONE is success. Resets it either way. */
int odo_store_step_done(struct odo_store *s, sqlite3_stmt *st, struct odo_err *err,
                        const char *doing);

/* Runs one or more SQL statements with no parameters. */
int odo_store_exec(struct odo_store *s, const char *sql, struct odo_err *err, const char *doing);

/* The store clock's time as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void odo_store_now_text(struct odo_store *s, char out[ODO_TIME_TEXT_LEN + 1]);

/* Registers on s->db the SQL functions the capture triggers call (odo_capture, odo_hlc_next,
 * odo_now, odo_uuid). An SQLite result code. */
int odo_store_register_functions(struct odo_store *s);

/* A new UUIDv7 for a row born now: greater than every id this store made before (within a
 * millisecond a 12-bit counter follows the time, RFC 9562 method 1), so rows made together
 * (an import's vehicles) list in the order they were made. */
int odo_store_new_id(struct odo_store *s, char out[ODO_UUID_TEXT_LEN + 1], struct odo_err *err);

/* Binds text, or NULL when v is NULL or empty. */
int odo_bind_text(sqlite3_stmt *st, int idx, const char *v);
/* Binds an integer, or NULL when present is false. */
int odo_bind_int(sqlite3_stmt *st, int idx, int64_t v, bool present);
/* Copies column col as text into dst (empty for NULL), truncating to cap-1 bytes. */
void odo_column_text(sqlite3_stmt *st, int col, char *dst, size_t cap);
/* Column col as an integer, or dflt when it is NULL. */
int64_t odo_column_int(sqlite3_stmt *st, int col, int64_t dflt);
/* Column col, a timestamp, in milliseconds since the epoch; 0 when it is not one. */
int64_t odo_column_time(sqlite3_stmt *st, int col);
/* Column col, a calendar date, in days since the epoch; ODO_NO_DATE when it is not one. */
int32_t odo_column_date(sqlite3_stmt *st, int col);
/* Binds a calendar date as "YYYY-MM-DD", or NULL when days is ODO_NO_DATE. */
int odo_bind_date(sqlite3_stmt *st, int idx, int32_t days);

/*
 * Checks a free-text field: at most max bytes of valid UTF-8 without control characters.
 * Returns 0 or ODO_EINVAL with a sentence naming `what`.
 */
int odo_text_check(const char *v, size_t max, const char *what, struct odo_err *err) ODO_MUST_CHECK;

/* A number macro as SQL text. */
#define ODO_STORE_STR_(x) #x
#define ODO_STORE_STR(x)  ODO_STORE_STR_(x)

/*
 * SQL condition: column `col` is the id a person typed as parameter `p`: the whole id, or at
 * least 4 characters from its start or its end (UUIDv7 ids start with their creation time, so
 * ids made together share a prefix), or the start of the short id that listings show (its last
 * ODO_SHORT_ID_LEN characters), so that what a person copies from a listing always matches.
 */
#define ODO_SQL_ID_MATCH(col, p)                                                                   \
    "(" col " = lower(" p ") OR (length(" p ") >= 4 AND (substr(" col ", 1, length(" p             \
    ")) = lower(" p ") OR substr(" col ", -length(" p ")) = lower(" p ") OR (length(" p            \
    ") <= " ODO_STORE_STR(ODO_SHORT_ID_LEN) " AND substr(" col                                     \
                                            ", -" ODO_STORE_STR(ODO_SHORT_ID_LEN) ", length(" p    \
                                                                                  ")) = lower(" p  \
                                                                                  ")))))"

/*
 * Steps st, a bound query, and hands each row to row(st, ctx): 0 goes on, a positive value stops
 * (that is no error: a listing's callback had enough), a negative one stops and is returned as it
 * is (row filled err). st is reset whatever happens, so no read stays open. A failing step is
 * reported as "<doing>: ...". A NULL st is a statement that did not prepare: ODO_ESTORAGE, with
 * the sentence odo_store_stmt left in err. odo_store_row, odo_store_one and odo_store_text are
 * built on this one and take a NULL st the same way.
 */
int odo_store_each(struct odo_store *s, sqlite3_stmt *st, int (*row)(sqlite3_stmt *st, void *ctx),
                   void *ctx, const char *doing, struct odo_err *err) ODO_MUST_CHECK;

/*
 * Defines the reader odo_store_each calls for a listing that hands each row, read by
 * read(st, &row) into a `type`, to a callback int fn(const type *row, void *ctx): a struct
 * `name` {fn, ctx} to pass as its context and `static int name##_row(st, ctx)`. A callback that
 * returns nonzero ends the listing, without error.
 */
#define ODO_STORE_LISTING(name, type, read)                                                        \
    struct name {                                                                                  \
        int (*fn)(const type *row, void *ctx);                                                     \
        void *ctx;                                                                                 \
    };                                                                                             \
    static int name##_row(sqlite3_stmt *st, void *ctx)                                             \
    {                                                                                              \
        const struct name *l = ctx;                                                                \
        type row;                                                                                  \
                                                                                                   \
        read(st, &row);                                                                            \
        return l->fn(&row, l->ctx) != 0;                                                           \
    }

/*
 * Steps st, a bound query, once: when it gives a row, read(st, out) copies it (read may be NULL)
 * and *found (may be NULL) becomes true. st is reset. A failing step is reported as "<doing>".
 */
int odo_store_row(struct odo_store *s, sqlite3_stmt *st, void (*read)(sqlite3_stmt *st, void *out),
                  void *out, bool *found, const char *doing, struct odo_err *err) ODO_MUST_CHECK;

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

/*
 * Soft delete. No row of a user table is ever deleted: a delete sets deleted_at and updated_at to
 * the store's time now, and a restore clears deleted_at on exactly the rows that carry the
 * timestamp the delete set. These build the UPDATE for `table`, choosing rows by `key` = ?1 (the
 * row's id, or a parent's in a cascade) and user_id = ?2; ?3 is now and, in a restore, ?4 the
 * deleted_at that comes back.
 */
#define ODO_SQL_SOFT_DELETE(table, key)                                                            \
    "UPDATE " table " SET deleted_at = ?3, updated_at = ?3 "                                       \
    "WHERE " key " = ?1 AND user_id = ?2 AND deleted_at IS NULL"
#define ODO_SQL_RESTORE(table, key)                                                                \
    "UPDATE " table " SET deleted_at = NULL, updated_at = ?3 "                                     \
    "WHERE " key " = ?1 AND user_id = ?2 AND deleted_at = ?4"

/* The most statements one soft delete runs: a vehicle and its five kinds of children. */
#define ODO_CASCADE_MAX 6

/* A repository's soft delete (or restore) of one row and, in a cascade, of its children. */
struct odo_soft_delete {
    const char *kind;                 /* names the row: "no live <kind> <id>" */
    const char *doing;                /* "deleting the fuel log": begins a storage error */
    const char *sql[ODO_CASCADE_MAX]; /* static; sql[0] the row itself, then its children */
};

/*
 * Runs d's statements in order, all with the same now: a delete when restore_at is NULL, else
 * a restore of the rows whose deleted_at is restore_at. sql[0] must change exactly one row;
 * when it changes none, nothing more runs and the result is ODO_ENOTFOUND "no live <kind> <id>"
 * ("no deleted <kind> <id>" for a restore). A cascade belongs inside the caller's transaction.
 */
int odo_store_soft_delete(struct odo_store *s, const struct odo_soft_delete *d, const char *user,
                          const char *id, const char *restore_at,
                          struct odo_err *err) ODO_MUST_CHECK;

struct odo_vehicle;
struct odo_service;
struct odo_fuel_log;
struct odo_reading;
struct odo_maint;

/*
 * The inserts of odo_fuel_add and odo_odometer_add without their checks, for a caller that has
 * made them (the importer checks a run of rows against each other and the store once): a new
 * id and timestamps, captured for sync as any insert. In the caller's transaction.
 */
int odo_fuel_insert(struct odo_store *s, const char *user, struct odo_fuel_log *f,
                    struct odo_err *err) ODO_MUST_CHECK;
int odo_odometer_insert(struct odo_store *s, const char *user, struct odo_reading *r,
                        struct odo_err *err) ODO_MUST_CHECK;

/*
 * Staging, for many rows at once (an import): odo_fuel_stage and odo_odometer_stage keep rows
 * the caller has checked in temporary tables (with their new ids and timestamps filled in);
 * odo_fuel_flush and odo_odometer_flush write all of them with one INSERT ... SELECT each,
 * captured for sync as any insert, and empty the tables. A row staged is not yet in the store:
 * flush before anything reads the vehicle's rows. odo_store_staging creates the tables (once
 * per connection). In the caller's transaction.
 */
int odo_store_staging(struct odo_store *s, struct odo_err *err) ODO_MUST_CHECK;
int odo_fuel_stage(struct odo_store *s, const char *user, struct odo_fuel_log *f,
                   struct odo_err *err) ODO_MUST_CHECK;
int odo_fuel_flush(struct odo_store *s, struct odo_err *err) ODO_MUST_CHECK;
int odo_odometer_stage(struct odo_store *s, const char *user, struct odo_reading *r,
                       struct odo_err *err) ODO_MUST_CHECK;
int odo_odometer_flush(struct odo_store *s, struct odo_err *err) ODO_MUST_CHECK;

/*
 * The outbox capture of the rows of `staged` (a staging table: seq, id, user_id) just inserted
 * into synced table `table` with capture off: one entry each, as the insert trigger writes it
 * ({"*": hlc}, base revision 0), at one new HLC. Both names are the program's own constants.
 */
int odo_store_capture_inserts(struct odo_store *s, const char *table, const char *staged,
                              struct odo_err *err) ODO_MUST_CHECK;

/* Adds item m as it is (imported): its schedule is not counted again, and an item that is
 * only done (no due, no interval) is taken; otherwise checked as odo_maint_add checks. */
int odo_maint_add_as_is(struct odo_store *s, const char *user, struct odo_maint *m,
                        struct odo_err *err) ODO_MUST_CHECK;

/*
 * Inserts service record rec for live vehicle v (checked: its odometer obeys the rule) with a new
 * id, inside the caller's transaction. The maintenance and service repositories share it.
 */
int odo_service_insert(struct odo_store *s, const char *user, const struct odo_vehicle *v,
                       struct odo_service *rec, struct odo_err *err) ODO_MUST_CHECK;

/* The schedule of live item maint_id ("" or a deleted item: nothing) counted again from its
 * latest live completion, when it has one. In the caller's transaction. */
int odo_maint_follow_completions(struct odo_store *s, const char *user, const char *maint_id,
                                 struct odo_err *err) ODO_MUST_CHECK;

/* After `removed` was soft-deleted: when it was the latest completion of a live item, that
 * item's schedule goes back (*restored says whether). In the caller's transaction. */
int odo_maint_undo_completion(struct odo_store *s, const char *user,
                              const struct odo_service *removed, bool *restored,
                              struct odo_err *err) ODO_MUST_CHECK;

/* Runs migrations against s->db; see storage/migrate.h. */
int odo_migrate_run(struct odo_store *s, struct odo_err *err) ODO_MUST_CHECK;

/* SQLite's side of the migration runner (platform/migration.h); its handle is the store. */
extern const struct odo_migration_backend odo_migrate_sqlite;

#endif
