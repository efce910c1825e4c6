/*
 * The rules of the store's constraints when synced rows meet, on the device's side
 * (docs/protocol.md, "Collisions: a rule per constraint"; the gateway keeps the same rules in
 * sync/gateway/natural.c). The unique keys among a user's live rows are a vehicle's VIN and a
 * maintenance item's type on its vehicle. When a pulled row takes a key a local row holds:
 *   - the local row never synced: it is the same thing registered twice, and merges into the
 *     pulled one (the gateway would alias it the same way);
 *   - the key is a local change not pushed yet: the gateway will refuse it, so it gives way now
 *     (a VIN is cleared, an item is hidden until the gateway answers) and is recorded as a
 *     conflict;
 *   - otherwise the local value is stale (the change that freed it comes later in the pull) and
 *     gives way without a record.
 * Rows that hang off a row that goes, go with it; a fill-up's total follows its volume and price.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/decimal.h"
#include "storage/replica_internal.h"

#define MERGES_MAX 64 /* items merged for one vehicle merge; a vehicle has a few dozen types */

static const char SQL_VIN_HOLDER[] =
    "SELECT id, rev FROM vehicles WHERE user_id = ?1 AND vin = ?2 AND deleted_at IS NULL AND "
    "id <> ?3";
static const char SQL_TYPE_HOLDER[] =
    "SELECT id, rev FROM maintenance WHERE user_id = ?1 AND vehicle_id = ?2 AND type = ?3 AND "
    "deleted_at IS NULL AND id <> ?4";
static const char SQL_SAME_TYPE[] =
    "SELECT m.id, m.rev, n.id, n.rev FROM maintenance AS m JOIN maintenance AS n ON "
    "n.vehicle_id = ?2 AND n.type = m.type AND n.deleted_at IS NULL AND n.id <> m.id WHERE "
    "m.vehicle_id = ?1 AND m.deleted_at IS NULL AND m.user_id = ?3";
static const char SQL_TOTAL[] =
    "SELECT volume, unit_price, total_cost FROM fuel_logs WHERE id = ?1 AND unit_price IS NOT "
    "NULL AND total_cost IS NOT NULL";
static const char SQL_SET_TOTAL[] = "UPDATE fuel_logs SET total_cost = ?2 WHERE id = ?1";

/* ---- what the pulled row will hold ------------------------------------------------------ */

/* A key column of the row being applied: the value it will hold (the pulled one, or the local
 * one where the column stays local or is not pulled), and whether that is a local change. */
struct key_val {
    char text[128];
    bool null, local_change;
};

static int key_value(struct odo_store *s, const char *tbl, const char *id, const char *const *cols,
                     const bool *pending, int ncols, const struct odo_cell *cells, const char *name,
                     struct key_val *out, struct odo_err *err)
{
    char sql[160];
    sqlite3_stmt *st;
    int i, rc;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < ncols && strcmp(cols[i], name) != 0; i++)
        ;
    if (i < ncols && !pending[i]) {
        const struct odo_cell *c = &cells[i];
        out->null = c->kind == ODO_CELL_NULL;
        if (c->kind == ODO_CELL_TEXT)
            snprintf(out->text, sizeof(out->text), "%s", c->s);
        else if (c->kind == ODO_CELL_INT)
            snprintf(out->text, sizeof(out->text), "%lld", (long long)c->i);
        return 0;
    }
    out->local_change = i < ncols;
    snprintf(sql, sizeof(sql), "SELECT %s IS NULL, %s FROM %s WHERE id = ?1", name, name, tbl);
    if (!(st = odo_store_stmt_text(s, sql, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    out->null = rc != SQLITE_ROW || sqlite3_column_int(st, 0);
    if (rc == SQLITE_ROW)
        odo_column_text(st, 1, out->text, sizeof(out->text));
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
                                                 : odo_store_sqlerr(s, rc, err, "reading a key");
}

/* The local row holding the key: its id ("" when none) and revision. */
static int holder(struct odo_store *s, sqlite3_stmt *st, char id[ODO_UUID_TEXT_LEN + 1],
                  int64_t *rev)
{
    int rc = sqlite3_step(st);

    id[0] = '\0';
    *rev = 0;
    if (rc == SQLITE_ROW) {
        odo_column_text(st, 0, id, ODO_UUID_TEXT_LEN + 1);
        *rev = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
                                                 : odo_store_sqlerr(s, rc, NULL, "finding a key");
}

/* ---- giving way ----------------------------------------------------------------------------- */

/* Clears a vehicle's VIN (capture being off, a pending `vin` mark stays). */
static int clear_vin(struct odo_store *s, const char *id, struct odo_err *err)
{
    return odo_rep_run2(s, "UPDATE vehicles SET vin = NULL WHERE id = ?1", id, NULL,
                        "making way for a pulled row", err);
}

/* Hides row id (its deleted_at set, capture being off) until its real state arrives. */
static int hide(struct odo_store *s, const char *tbl, const char *id, struct odo_err *err)
{
    char sql[128], now[ODO_TIME_TEXT_LEN + 1];
    odo_store_now_text(s, now);
    snprintf(sql, sizeof(sql), "UPDATE %s SET deleted_at = ?2 WHERE id = ?1", tbl);
    return odo_rep_run2(s, sql, id, now, "making way for a pulled row", err);
}

/* Records the values cols of row (tbl, id) as a conflict with reason. */
static int record(struct odo_store *s, const char *user, const char *tbl, const char *id,
                  const char *reason, const char *const *cols, int ncols, struct odo_err *err)
{
    char *vals = NULL;
    int rc = odo_rep_row_json(s, tbl, id, cols, ncols, &vals, err);
    if (rc == 0)
        rc = odo_rep_conflict(s, user, tbl, id, reason, vals, err);
    free(vals);
    return rc;
}

int odo_rep_move_children(struct odo_store *s, const char *tbl, const char *from, const char *to,
                          struct odo_err *err)
{
    char sql[160];
    int rc = 0;

    if (strcmp(tbl, "vehicles") == 0) {
        for (size_t i = 0; i < ODO_ARRAY_LEN(odo_rep_vehicle_children) && rc == 0; i++) {
            snprintf(sql, sizeof(sql), "UPDATE %s SET vehicle_id = ?1 WHERE vehicle_id = ?2",
                     odo_rep_vehicle_children[i]);
            rc = odo_rep_run2(s, sql, to, from, "re-keying a row", err);
        }
    } else if (strcmp(tbl, "maintenance") == 0) {
        rc = odo_rep_run2(s,
                          "UPDATE service_records SET maintenance_id = ?1 WHERE maintenance_id = "
                          "?2",
                          to, from, "re-keying a row", err);
        /* What undoes a completion here (a device's own table) follows the item too. */
        if (rc == 0)
            rc = odo_rep_run2(s,
                              "UPDATE maintenance_undo SET maintenance_id = ?1 WHERE "
                              "maintenance_id = ?2",
                              to, from, "re-keying a row", err);
    }
    return rc;
}

/*
 * Merges local row `from` of tbl into row `to` (which may arrive only later in the page): what
 * hangs off it moves, its unpushed changes are dropped (the gateway aliases it when its insert,
 * already on the way, arrives), its values are recorded as a conflict, and it goes.
 */
static int merge_into(struct odo_store *s, const char *user, const char *tbl, const char *from,
                      const char *to, struct odo_err *err)
{
    char sql[128];
    int rc;

    if ((rc = record(s, user, tbl, from, ODO_CONFLICT_MERGED, NULL, 0, err)))
        return rc;
    if (strcmp(tbl, "vehicles") == 0 && (rc = odo_rep_merge_items(s, user, from, to, err)))
        return rc;
    snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ?1", tbl);
    if ((rc = odo_rep_move_children(s, tbl, from, to, err)) ||
        (rc = odo_rep_run2(s, "DELETE FROM outbox WHERE row_id = ?1 AND tbl = ?2 AND batch IS NULL",
                           from, tbl, "merging a row", err)))
        return rc;
    return odo_rep_run2(s, sql, from, NULL, "merging a row", err);
}

int odo_rep_merge_items(struct odo_store *s, const char *user, const char *from, const char *to,
                        struct odo_err *err)
{
    for (int n = 0; n < MERGES_MAX; n++) {
        sqlite3_stmt *st = odo_store_stmt(s, SQL_SAME_TYPE, err);
        char m[ODO_UUID_TEXT_LEN + 1] = "", k[ODO_UUID_TEXT_LEN + 1] = "";
        int64_t mrev = 0, krev = 0;
        bool keep_m;
        int rc;

        if (!st)
            return ODO_ESTORAGE;
        sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, user, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            odo_column_text(st, 0, m, sizeof(m));
            mrev = sqlite3_column_int64(st, 1);
            odo_column_text(st, 2, k, sizeof(k));
            krev = sqlite3_column_int64(st, 3);
        }
        sqlite3_reset(st);
        if (rc == SQLITE_DONE)
            return 0;
        if (rc != SQLITE_ROW)
            return odo_store_sqlerr(s, rc, err, "merging maintenance items");
        /* The item the gateway knows survives, else the older one (UUIDv7 ids order by
         * creation). */
        keep_m = (mrev > 0) != (krev > 0) ? mrev > 0 : strcmp(m, k) < 0;
        if ((rc = merge_into(s, user, "maintenance", keep_m ? k : m, keep_m ? m : k, err)))
            return rc;
    }
    return 0;
}

/* ---- a pulled row on a key --------------------------------------------------------------- */

/* The key's holder (id, rev) gives way to the pulled row id; *resolved when it did. */
static int give_way(struct odo_store *s, const char *user, const char *tbl, const char *id,
                    bool id_exists, const char *hid, int64_t hrev, const char *const *keys,
                    int nkeys, const char *refusal, bool *resolved, struct odo_err *err)
{
    bool pending[4];
    bool any = false, key_pending = false;
    int rc;

    if (hrev == 0) {
        /* Never synced: the same thing registered twice. A vehicle not here yet takes the
         * local one's place whole (its rows and unpushed changes come along). */
        *resolved = true;
        if (strcmp(tbl, "vehicles") == 0 && !id_exists)
            return odo_replica_rekey(s, user, tbl, hid, id, err);
        return merge_into(s, user, tbl, hid, id, err);
    }
    if ((rc = odo_rep_pending_columns(s, tbl, hid, keys, NULL, nkeys, pending, err)))
        return rc;
    for (int i = 0; i < nkeys; i++) {
        any |= pending[i];
        key_pending |= pending[i] && strcmp(keys[i], "deleted_at") != 0;
    }
    *resolved = true;
    if (any && (rc = record(s, user, tbl, hid, refusal, keys, nkeys, err)))
        return rc;
    /* A VIN can be cleared; an item's type cannot, so the item is hidden until the gateway's
     * answer (or a later pull) brings its real state. Pending marks stay: the push makes the
     * gateway agree, or refuses and sends the row back. */
    if (strcmp(tbl, "vehicles") == 0 && (key_pending || !any))
        return clear_vin(s, hid, err);
    return hide(s, tbl, hid, err);
}

int odo_rep_resolve(struct odo_store *s, const char *user, const char *tbl, const char *const *cols,
                    const int *groups, int ncols, const char *id, const struct odo_cell *cells,
                    bool *resolved, struct odo_err *err)
{
    static const char *const vehicle_keys[] = {"vin", "deleted_at"};
    static const char *const item_keys[] = {"vehicle_id", "type", "deleted_at"};
    bool pending[ODO_READ_COLS_MAX], exists, vehicle = strcmp(tbl, "vehicles") == 0;
    const char *const *keys = vehicle ? vehicle_keys : item_keys;
    int nkeys = vehicle ? 2 : 3;
    struct key_val kv[3];
    char hid[ODO_UUID_TEXT_LEN + 1];
    int64_t hrev;
    sqlite3_stmt *st;
    bool own_change = false;
    int rc;

    *resolved = false;
    if (!vehicle && strcmp(tbl, "maintenance") != 0)
        return 0;
    if ((rc = odo_rep_row_exists(s, tbl, id, &exists, err)))
        return rc;
    memset(pending, 0, sizeof(pending));
    if (exists && (rc = odo_rep_pending_columns(s, tbl, id, cols, groups, ncols, pending, err)))
        return rc;
    for (int k = 0; k < nkeys; k++) {
        if ((rc = key_value(s, tbl, id, cols, pending, ncols, cells, keys[k], &kv[k], err)))
            return rc;
        own_change |= kv[k].local_change;
    }
    if (!kv[nkeys - 1].null || kv[0].null || (!vehicle && kv[1].null))
        return 0; /* not live, or no key: nothing of it is unique */
    if (!(st = odo_store_stmt(s, vehicle ? SQL_VIN_HOLDER : SQL_TYPE_HOLDER, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kv[0].text, -1, SQLITE_TRANSIENT);
    if (vehicle) {
        sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_text(st, 3, kv[1].text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
    }
    if ((rc = holder(s, st, hid, &hrev)))
        return odo_err_set(err, rc, "finding the row that holds a key");
    if (!hid[0])
        return 0;
    if (own_change) {
        /* The key is this row's own unpushed change (a VIN, an undelete): it is the one the
         * gateway will refuse, so it gives way. A change of an item's type or vehicle cannot,
         * and the caller sets the row aside. */
        bool undelete = kv[nkeys - 1].local_change;
        if (!(vehicle && kv[0].local_change) && !undelete)
            return 0;
        *resolved = true;
        if ((rc = record(s, user, tbl, id,
                         vehicle ? "vin already registered" : "maintenance item already exists",
                         keys, nkeys, err)))
            return rc;
        return vehicle && kv[0].local_change ? clear_vin(s, id, err) : hide(s, tbl, id, err);
    }
    return give_way(s, user, tbl, id, exists, hid, hrev, keys, nkeys,
                    vehicle ? "vin already registered" : "maintenance item already exists",
                    resolved, err);
}

/* ---- rows that lost their parent --------------------------------------------------------- */

/* Records and unqueues the rows of tbl matching `lost` (an SQL condition on tbl's row t) that
 * carry local work: never synced, or with a change waiting. */
static int record_lost(struct odo_store *s, const char *user, const char *tbl, const char *lost,
                       const char *reason, struct odo_err *err)
{
    char sql[512], (*ids)[ODO_UUID_TEXT_LEN + 1] = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st;
    int rc;

    snprintf(sql, sizeof(sql),
             "SELECT t.id FROM %s AS t WHERE t.user_id = ?1 AND %s AND (t.rev = 0 OR EXISTS "
             "(SELECT 1 FROM outbox AS o WHERE o.tbl = '%s' AND o.row_id = t.id))",
             tbl, lost, tbl);
    if (!(st = odo_store_stmt_text(s, sql, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    /* Collected first: recording runs statements of its own. */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t c = cap ? cap * 2 : 16;
            void *p = realloc(ids, c * sizeof(*ids));
            if (!p) {
                rc = SQLITE_NOMEM;
                break;
            }
            ids = p;
            cap = c;
        }
        odo_column_text(st, 0, ids[n++], sizeof(ids[0]));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(ids);
        return odo_store_sqlerr(s, rc, err, "finding rows left without a parent");
    }
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = record(s, user, tbl, ids[i], reason, NULL, 0, err);
        if (rc == 0 && strcmp(reason, ODO_CONFLICT_DROPPED) == 0)
            rc = odo_rep_run2(s,
                              "DELETE FROM outbox WHERE row_id = ?1 AND tbl = ?2 AND batch IS "
                              "NULL",
                              ids[i], tbl, "dropping rows left without a parent", err);
    }
    free(ids);
    return rc;
}

/* Runs the statement head, cond, tail (a condition on rows t of the user), ?1 bound to user. */
static int user_run(struct odo_store *s, const char *head, const char *cond, const char *tail,
                    const char *user, const char *doing, struct odo_err *err)
{
    char sql[640];
    sqlite3_stmt *st;

    snprintf(sql, sizeof(sql), "%s%s%s", head, cond, tail);
    if (!(st = odo_store_stmt_text(s, sql, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    return odo_store_step_done(s, st, err, doing);
}

int odo_rep_drop_orphans(struct odo_store *s, const char *user, int *dropped, struct odo_err *err)
{
    static const char no_vehicle[] =
        "NOT EXISTS (SELECT 1 FROM vehicles AS v WHERE v.id = t.vehicle_id)";
    static const char no_item[] = "t.maintenance_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                                  "maintenance AS m WHERE m.id = t.maintenance_id)";
    int rc;

    for (size_t i = 0; i < ODO_ARRAY_LEN(odo_rep_vehicle_children); i++) {
        const char *tbl = odo_rep_vehicle_children[i];
        char head[96];
        if ((rc = record_lost(s, user, tbl, no_vehicle, ODO_CONFLICT_DROPPED, err)))
            return rc;
        snprintf(head, sizeof(head), "DELETE FROM %s AS t WHERE t.user_id = ?1 AND ", tbl);
        if ((rc = user_run(s, head, no_vehicle, "", user, "dropping rows left without a parent",
                           err)))
            return rc;
        *dropped += sqlite3_changes(s->db);
    }
    /* How to undo a completion whose record or item is gone goes too (this device's own
     * table). */
    if ((rc = odo_store_exec(s,
                             "DELETE FROM maintenance_undo WHERE NOT EXISTS (SELECT 1 FROM "
                             "service_records AS r WHERE r.id = maintenance_undo.service_id) OR "
                             "NOT EXISTS (SELECT 1 FROM maintenance AS m WHERE m.id = "
                             "maintenance_undo.maintenance_id)",
                             err, "dropping rows left without a parent")))
        return rc;
    /* Work recorded against a maintenance item that is gone stays, without the link; a record
     * the gateway never took (its push refused for the item) goes out again without it. */
    if ((rc = record_lost(s, user, "service_records", no_item, ODO_CONFLICT_UNLINKED, err)) ||
        (rc = user_run(s,
                       "UPDATE sync_state SET hlc = odo_hlc_next(hlc) WHERE id = 1 AND EXISTS "
                       "(SELECT 1 FROM service_records AS t WHERE t.user_id = ?1 AND t.rev = 0 "
                       "AND ",
                       no_item, ")", user, "unlinking service records", err)) ||
        (rc = user_run(s,
                       "INSERT INTO outbox (tbl, row_id, user_id, cols, hlc, base_rev, queued_at) "
                       "SELECT 'service_records', t.id, t.user_id, json_object('*', h.hlc), "
                       "h.hlc, 0, odo_now() FROM service_records AS t, sync_state AS h WHERE "
                       "h.id = 1 AND t.user_id = ?1 AND t.rev = 0 AND ",
                       no_item, " ON CONFLICT (tbl, row_id) WHERE batch IS NULL DO NOTHING", user,
                       "unlinking service records", err)))
        return rc;
    return user_run(s,
                    "UPDATE service_records AS t SET maintenance_id = NULL WHERE t.user_id = ?1 "
                    "AND ",
                    no_item, "", user, "unlinking service records", err);
}

/* ---- derived values ------------------------------------------------------------------------ */

int odo_rep_derive_total(struct odo_store *s, const char *id, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_TOTAL, err);
    int64_t volume, price, total, derived;
    int rc;

    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    volume = sqlite3_column_int64(st, 0);
    price = sqlite3_column_int64(st, 1);
    total = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return 0; /* no price or no total: nothing to keep in step */
    if (rc != SQLITE_ROW)
        return odo_store_sqlerr(s, rc, err, "deriving a total");
    if (volume <= 0 || price < 0 || total < 0)
        return 0;
    /* volume (scale 3) × price (scale 3) is scale 6; the total has scale 2; a price derived
     * from a total is total × 10⁴ / volume (storage/fuel.c makes them the same way). */
    derived = odo_muldiv_round((uint64_t)volume, (uint64_t)price, 10000, 1);
    if (total == derived || price == odo_muldiv_round((uint64_t)total, 10000, (uint64_t)volume, 1))
        return 0;
    if (!(st = odo_store_stmt(s, SQL_SET_TOTAL, err)))
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, derived);
    return odo_store_step_done(s, st, err, "deriving a total");
}
