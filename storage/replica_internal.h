/*
 * Inside the store's sync side (storage/replica.h): what replica.c (outbox, batches, reconcile,
 * state), apply.c (rows from the gateway, re-keys, refusals), collide.c (the rules of the
 * store's constraints when synced rows meet) and conflicts.c (the conflicts list) share.
 * Nothing outside storage/ includes this header.
 */
#ifndef ODO_STORAGE_REPLICA_INTERNAL_H
#define ODO_STORAGE_REPLICA_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>

#include "storage/internal.h"
#include "storage/replica.h"

#define ODO_REP_SQL_CAP 4096 /* bytes of a statement built from table and column names */

/* The tables whose rows hang off a vehicle (vehicle_id), in an order a delete may take. */
extern const char *const odo_rep_vehicle_children[5];

/* 0 when tbl is a synced table, else ODO_EINVAL. */
int odo_rep_check_table(const char *tbl, struct odo_err *err);
/* 0 when every name is a plain column name (so that it may be put into SQL), else ODO_EINVAL. */
int odo_rep_check_columns(const char *const *cols, int n, struct odo_err *err);
/* Whether tbl's rows belong to a user (everything but reference data). */
bool odo_rep_has_user(const char *tbl);
void odo_rep_bind_cell(sqlite3_stmt *st, int idx, const struct odo_cell *c);
/* Makes sure user has a sync_users row. */
void odo_rep_ensure_user(struct odo_store *s, const char *user);
/* ids as a JSON array of strings (with revs: of [id, rev] pairs), for json_each(); NULL when out
 * of memory or not all UUIDs. The caller frees it. */
char *odo_rep_id_array(const char *const *ids, int n, const int64_t *revs);
/* *st: the statement sql (built for tbl) with ?1 bound to odo_rep_id_array(ids, n, revs),
 * which *list receives and the caller frees after stepping, and ?2 to user when tbl has users.
 * ODO_EINVAL ("<doing>: an id is not a UUID") or ODO_ESTORAGE, with nothing to free. */
int odo_rep_ids_stmt(struct odo_store *s, const char *sql, const char *tbl, const char *user,
                     const char *const *ids, int n, const int64_t *revs, char **list,
                     sqlite3_stmt **st, const char *doing, struct odo_err *err) ODO_MUST_CHECK;
/* Runs sql with ?1 = a and, unless b is NULL, ?2 = b (text); "doing" names it in an error. */
int odo_rep_run2(struct odo_store *s, const char *sql, const char *a, const char *b,
                 const char *doing, struct odo_err *err) ODO_MUST_CHECK;
/* Whether row id of tbl exists (any user). */
int odo_rep_row_exists(struct odo_store *s, const char *tbl, const char *id, bool *exists,
                       struct odo_err *err) ODO_MUST_CHECK;

/* Which of cols have an unpushed local change on row (tbl, id): pending[i] set; all of them when
 * the row's insert is unpushed ("*"); a column of a merge group (groups[i] > 0) when any
 * column of its group is. groups may be NULL. */
int odo_rep_pending_columns(struct odo_store *s, const char *tbl, const char *id,
                            const char *const *cols, const int *groups, int ncols, bool *pending,
                            struct odo_err *err) ODO_MUST_CHECK;

/* ---- the conflicts list (conflicts.c) ------------------------------------------------- */

/* Records (or replaces) the conflict (user, tbl, id, reason) with vals, a JSON object or NULL;
 * the list keeps the newest ODO_CONFLICTS_MAX of the user. */
int odo_rep_conflict(struct odo_store *s, const char *user, const char *tbl, const char *id,
                     const char *reason, const char *vals, struct odo_err *err) ODO_MUST_CHECK;
/* The columns cols (every synced column when NULL) of row (tbl, id) as a JSON object, which the
 * caller frees; NULL with *out when the row is gone. */
int odo_rep_row_json(struct odo_store *s, const char *tbl, const char *id, const char *const *cols,
                     int ncols, char **out, struct odo_err *err) ODO_MUST_CHECK;

/* ---- the rules (collide.c) ------------------------------------------------------------- */

/*
 * A pulled row (tbl, id with cols/cells) broke a unique key of the store: applies the key's
 * rule so that it fits (a local row that never synced merges into it; a local change that will
 * be refused gives way and is recorded; a stale local value is cleared). *resolved says whether
 * the row can be tried again.
 */
int odo_rep_resolve(struct odo_store *s, const char *user, const char *tbl, const char *const *cols,
                    const int *groups, int ncols, const char *id, const struct odo_cell *cells,
                    bool *resolved, struct odo_err *err) ODO_MUST_CHECK;

/* Before vehicle `from` merges into `to`: a live maintenance item of `from` of a type `to` has
 * too merges into that item (the one the gateway knows survives, else the older). */
int odo_rep_merge_items(struct odo_store *s, const char *user, const char *from, const char *to,
                        struct odo_err *err) ODO_MUST_CHECK;

/* Moves what hangs off row `from` of tbl (a vehicle's rows, a maintenance item's service
 * records) to `to`. */
int odo_rep_move_children(struct odo_store *s, const char *tbl, const char *from, const char *to,
                          struct odo_err *err) ODO_MUST_CHECK;

/* Rows of user whose vehicle is gone go too, and service records whose maintenance item is gone
 * lose the link; what had local work not yet synced is recorded as a conflict. */
int odo_rep_drop_orphans(struct odo_store *s, const char *user, int *dropped,
                         struct odo_err *err) ODO_MUST_CHECK;

/* A fill-up whose total no longer follows from its volume and unit price gets the derived one
 * (docs/protocol.md, "Derived values"). */
int odo_rep_derive_total(struct odo_store *s, const char *id, struct odo_err *err) ODO_MUST_CHECK;

#endif
