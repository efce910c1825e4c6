/*
 * The store as the sync engine (sync/client) sees it: pending changes in the outbox, batches
 * sealed before they are sent and settled when their answer lands, rows pulled from the gateway
 * applied under the pending-column rule, re-keying of aliased rows, the reconcile sweep, and
 * the per-user sync state. Nothing here knows the wire format: values travel as cells (NULL, an
 * integer as SQLite holds it, or text), and the engine converts.
 *
 * Tables and columns are named by the caller (from the protocol's schema); they are checked
 * against the store's synced tables before any statement is built.
 */
#ifndef ODO_STORAGE_REPLICA_H
#define ODO_STORAGE_REPLICA_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/clock.h"
#include "platform/uuid.h"
#include "storage/store.h"

enum odo_cell_kind { ODO_CELL_NULL, ODO_CELL_INT, ODO_CELL_TEXT };

struct odo_cell {
    enum odo_cell_kind kind;
    int64_t i;
    const char *s; /* borrowed */
};

#define ODO_READ_COLS_MAX 48 /* more than any synced table has */

/* A change waiting in the outbox. */
struct odo_pending {
    int64_t seq;
    char tbl[32];
    char row_id[ODO_UUID_TEXT_LEN + 1];
    const char *cols; /* JSON object: column -> HLC ("*" for every column) */
    odo_hlc hlc;
    int64_t base_rev;
};

/* Streams up to limit pending (not yet batched) changes of user, oldest first. */
int odo_replica_pending(struct odo_store *s, const char *user, int limit,
                        int (*fn)(const struct odo_pending *p, void *ctx), void *ctx,
                        struct odo_err *err) ODO_MUST_CHECK;

/* Reads the named columns of the rows ids[0..n) of user, in one statement, and calls fn for
 * each row found (a row swept locally is skipped) with its index in ids and ncols cells (text
 * cells valid only during the call). Returns 0, the first non-zero result of fn, or a storage
 * error. Nothing of the read outlives the call: a statement left stepping would hold the
 * connection's read snapshot open, and a long-lived process would stop seeing other processes'
 * writes. ids must be UUIDs. */
int odo_replica_read_rows(struct odo_store *s, const char *user, const char *tbl,
                          const char *const *ids, int n, const char *const *cols, int ncols,
                          int (*fn)(int index, const struct odo_cell *cells, void *ctx), void *ctx,
                          struct odo_err *err) ODO_MUST_CHECK;

/* The number the user's next batch will have. Read it inside the transaction that seals. */
int odo_replica_next_batch(struct odo_store *s, const char *user, int64_t *batch,
                           struct odo_err *err) ODO_MUST_CHECK;

/*
 * Seals batch number `batch` (the user's next, else ODO_ESTORAGE): marks the outbox entries
 * seqs[0..n) with it, stores body and its manifest (the rows in body order, a "table id" line
 * each), and advances the user's counter, in one transaction (or the caller's, which should
 * also have read the entries and the number).
 */
int odo_replica_seal(struct odo_store *s, const char *user, const int64_t *seqs, int n,
                     const char *body, const char *manifest, int64_t batch,
                     struct odo_err *err) ODO_MUST_CHECK;

/* The sealed batch still waiting for its answer, if any: *batch 0 when none. The caller frees
 * *body and *manifest (which is NULL for a batch sealed without one). manifest may be NULL when
 * not wanted. */
int odo_replica_inflight(struct odo_store *s, const char *user, int64_t *batch, char **body,
                         char **manifest, struct odo_err *err) ODO_MUST_CHECK;

/* Puts a sealed batch's entries back in the outbox as pending and forgets the batch (the gateway
 * refused the batch as a whole, so it will be rebuilt). */
int odo_replica_unseal(struct odo_store *s, const char *user, int64_t batch,
                       struct odo_err *err) ODO_MUST_CHECK;

/*
 * Applying what the gateway sent. Between begin and end, capture is off (pulled rows do not go
 * back out) and foreign keys are not enforced (a child may arrive before its parent).
 * Everything between them is one transaction; end commits (or rolls back when commit is false).
 */
int odo_replica_begin_apply(struct odo_store *s, struct odo_err *err) ODO_MUST_CHECK;
int odo_replica_end_apply(struct odo_store *s, bool commit, struct odo_err *err) ODO_MUST_CHECK;

/*
 * Applies one full row of tbl (columns cols, values cells) at server revision rev: inserted when
 * absent, else updated except for columns with an unpushed local change, which keep the local
 * value. A pulled vehicle whose VIN a different live local vehicle has takes that vehicle's
 * place (its rows are re-keyed to the pulled id). Within begin/end apply.
 */
int odo_replica_apply_row(struct odo_store *s, const char *user, const char *tbl,
                          const char *const *cols, int ncols, const char *id, int64_t rev,
                          const struct odo_cell *cells, struct odo_err *err) ODO_MUST_CHECK;

/* Records changes the gateway accepted, in one statement: row ids[i] of tbl has revision
 * revs[i] now (or a later one it already knew). ids must be UUIDs. Within begin/end apply. */
int odo_replica_accepted(struct odo_store *s, const char *user, const char *tbl,
                         const char *const *ids, const int64_t *revs, int n,
                         struct odo_err *err) ODO_MUST_CHECK;

/*
 * Counts a refused change of row (tbl, id) and keeps its reason for `sync status`. When the
 * gateway no longer knows a row this device had synced (its tombstone was purged), the local
 * copy goes too, so that a delete never comes back. Within begin/end apply.
 */
int odo_replica_refused(struct odo_store *s, const char *user, const char *tbl, const char *id,
                        const char *reason, struct odo_err *err) ODO_MUST_CHECK;

/*
 * Re-keys row `from` of tbl to `to` (the gateway made `from` an alias of `to`): rows pointing at
 * it follow, pending changes move with it; when `to` already exists locally, `from` is merged
 * into it and removed. Within begin/end apply.
 */
int odo_replica_rekey(struct odo_store *s, const char *user, const char *tbl, const char *from,
                      const char *to, struct odo_err *err) ODO_MUST_CHECK;

/* Forgets a settled batch: its outbox entries and its stored body; acked (the highest revision
 * the answer gave an accepted change, 0 for none) raises the user's acked mark. Within
 * begin/end apply. */
int odo_replica_settle(struct odo_store *s, const char *user, int64_t batch, int64_t acked,
                       struct odo_err *err) ODO_MUST_CHECK;

/* Moves the persisted HLC past remote (receive rule). Within begin/end apply. */
int odo_replica_receive_hlc(struct odo_store *s, odo_hlc remote,
                            struct odo_err *err) ODO_MUST_CHECK;

/* The HLC as persisted now (for stamping a batch). */
int odo_replica_hlc(struct odo_store *s, odo_hlc *out, struct odo_err *err) ODO_MUST_CHECK;

/* Reconcile: remembers ids the gateway listed as live; the sweep then drops local synced rows
 * (known revision > 0) that were not listed and have no pending change, children first, and
 * records the watermark reconciled against. */
int odo_replica_mark_live(struct odo_store *s, const char *user, const char *tbl,
                          const char *const *ids, int n, struct odo_err *err) ODO_MUST_CHECK;
int odo_replica_sweep(struct odo_store *s, const char *user, int64_t watermark, int *dropped,
                      struct odo_err *err) ODO_MUST_CHECK;

/* The per-user sync state. */
struct odo_sync_state {
    char user[ODO_USER_MAX + 1];
    bool logged_in; /* a token is stored */
    int64_t cursor; /* highest revision pulled */
    int64_t swept;  /* watermark reconciled against */
    int64_t acked;  /* highest revision the gateway gave this device's own changes */
    int64_t next_batch;
    int64_t outbox;                     /* changes waiting (pending and in flight) */
    char oldest[ODO_TIME_TEXT_LEN + 1]; /* when the oldest waiting change was made, or "" */
    int64_t refused;
    char last_refusal[128];
    char last_success[ODO_TIME_TEXT_LEN + 1];
    char last_error[256];
    char last_error_at[ODO_TIME_TEXT_LEN + 1];
};

int odo_replica_state(struct odo_store *s, const char *user, struct odo_sync_state *out,
                      struct odo_err *err) ODO_MUST_CHECK;

/* Stores the new cursor (within begin/end apply, with the page it covers). */
int odo_replica_set_cursor(struct odo_store *s, const char *user, int64_t cursor,
                           struct odo_err *err) ODO_MUST_CHECK;

/* Records the outcome of a sync cycle: success (error NULL) or the error's text. */
int odo_replica_record(struct odo_store *s, const char *user, const char *error,
                       struct odo_err *err) ODO_MUST_CHECK;

/* Stores user's token (NULL or "" logs out). */
int odo_replica_login(struct odo_store *s, const char *user, const char *token,
                      struct odo_err *err) ODO_MUST_CHECK;

/* The token of user into out (cap bytes); ODO_EAUTH when none is stored. */
int odo_replica_token(struct odo_store *s, const char *user, char *out, size_t cap,
                      struct odo_err *err) ODO_MUST_CHECK;

/* Calls fn for each user with a stored token. */
int odo_replica_users(struct odo_store *s, int (*fn)(const char *user, void *ctx), void *ctx,
                      struct odo_err *err) ODO_MUST_CHECK;

/* Device-wide sync settings, by a key the sync client names (sync/client/login.c). get: "" when
 * unset. */
int odo_replica_config_get(struct odo_store *s, const char *key, char *out, size_t cap,
                           struct odo_err *err) ODO_MUST_CHECK;
int odo_replica_config_set(struct odo_store *s, const char *key, const char *value,
                           struct odo_err *err) ODO_MUST_CHECK;

#endif
