/*
 * The service-record repository: work done on a vehicle, on its own or as the completion of a
 * maintenance item. Editing, removing or restoring a completion keeps the item's schedule in
 * step (storage/maintenance.c holds how).
 */
#include "storage/maintenance.h"

#include <stdio.h>
#include <string.h>

#include "storage/internal.h"
#include "storage/odometer.h"

#define SERVICE_COLS                                                                               \
    "id, vehicle_id, maintenance_id, performed_at, odometer, description, cost, currency, shop, "  \
    "notes, deleted_at"

static const char SQL_INSERT[] =
    "INSERT INTO service_records (id, user_id, vehicle_id, maintenance_id, performed_at, "
    "odometer, description, cost, currency, shop, notes, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)";
static const char SQL_UPDATE[] =
    "UPDATE service_records SET performed_at = ?3, odometer = ?4, description = ?5, cost = ?6, "
    "currency = ?7, shop = ?8, notes = ?9, updated_at = ?10 "
    "WHERE id = ?1 AND user_id = ?2 AND deleted_at IS NULL";
static const char SQL_GET[] =
    "SELECT " SERVICE_COLS " FROM service_records WHERE user_id = ?1 AND id = ?2";
static const char SQL_BY_REF[] =
    "SELECT " SERVICE_COLS " FROM service_records WHERE user_id = ?1 AND " ODO_SQL_ID_MATCH(
        "id", "?2") " AND (deleted_at IS NULL) = (?3 = 0) LIMIT 2";
static const char SQL_LIST[] =
    "SELECT " SERVICE_COLS " FROM service_records WHERE user_id = ?1 AND vehicle_id = ?2 "
    "AND deleted_at IS NULL ORDER BY performed_at DESC";
static const struct odo_soft_delete REMOVE = {"service record",
                                              "deleting the service record",
                                              {ODO_SQL_SOFT_DELETE("service_records", "id")}};
static const struct odo_soft_delete RESTORE = {
    "service record", "restoring the service record", {ODO_SQL_RESTORE("service_records", "id")}};

static void read_row(sqlite3_stmt *st, void *out)
{
    struct odo_service *r = out;

    memset(r, 0, sizeof(*r));
    odo_column_text(st, 0, r->id, sizeof(r->id));
    odo_column_text(st, 1, r->vehicle_id, sizeof(r->vehicle_id));
    odo_column_text(st, 2, r->maintenance_id, sizeof(r->maintenance_id));
    r->performed_at = odo_column_time(st, 3);
    r->odometer = odo_column_int(st, 4, ODO_NONE);
    odo_column_text(st, 5, r->description, sizeof(r->description));
    r->cost = odo_column_int(st, 6, ODO_NONE);
    odo_column_text(st, 7, r->currency, sizeof(r->currency));
    odo_column_text(st, 8, r->shop, sizeof(r->shop));
    odo_column_text(st, 9, r->notes, sizeof(r->notes));
    odo_column_text(st, 10, r->deleted_at, sizeof(r->deleted_at));
}

int odo_service_check(struct odo_store *s, struct odo_service *rec, struct odo_err *err)
{
    int rc;

    if ((rc = odo_text_check(rec->description, ODO_DESCRIPTION_MAX, "the description", err)) ||
        (rc = odo_text_check(rec->shop, ODO_LABEL_MAX, "the shop", err)) ||
        (rc = odo_text_check(rec->notes, ODO_NOTES_MAX, "the notes", err)) ||
        (rc = odo_currency_check(rec->currency, err)))
        return rc;
    if (rec->cost != ODO_NONE && (rec->cost < 0 || rec->cost > ODO_SERVICE_COST_MAX))
        return odo_err_set(err, ODO_EINVAL, "the cost must be between 0 and 10000000");
    if (rec->odometer != ODO_NONE && (rec->odometer < 0 || rec->odometer > ODO_ODOMETER_MAX))
        return odo_err_set(err, ODO_EINVAL, "an odometer reads 0 to 9999999.9");
    if (rec->performed_at > odo_clock_now(s->clock) + 86400000LL)
        return odo_err_set(err, ODO_EINVAL, "the work is dated more than a day ahead");
    return 0;
}

/* Binds performed_at..notes from `first` on, as SQL_INSERT (5..11) and SQL_UPDATE (3..9) list
 * them; `at` holds the time's text. */
static void bind_work(sqlite3_stmt *st, int first, const struct odo_service *rec, const char *at)
{
    sqlite3_bind_text(st, first, at, -1, SQLITE_STATIC);
    odo_bind_int(st, first + 1, rec->odometer, rec->odometer != ODO_NONE);
    sqlite3_bind_text(st, first + 2, rec->description, -1, SQLITE_STATIC);
    odo_bind_int(st, first + 3, rec->cost, rec->cost != ODO_NONE);
    odo_bind_text(st, first + 4, rec->cost != ODO_NONE ? rec->currency : NULL);
    odo_bind_text(st, first + 5, rec->shop);
    odo_bind_text(st, first + 6, rec->notes);
}

int odo_service_insert(struct odo_store *s, const char *user, const struct odo_vehicle *v,
                       struct odo_service *rec, struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1], at[ODO_TIME_TEXT_LEN + 1];
    sqlite3_stmt *st;
    int rc;

    if (rec->odometer != ODO_NONE &&
        (rc = odo_odometer_check(s, user, v, rec->performed_at, rec->odometer, false, NULL, err)))
        return rc;
    if ((rc = odo_store_new_id(s, rec->id, err)))
        return rc;
    st = odo_store_bound(s, SQL_INSERT, rec->id, user, err);
    if (!st)
        return ODO_ESTORAGE;
    odo_store_now_text(s, now);
    odo_time_format(rec->performed_at, at);
    sqlite3_bind_text(st, 3, rec->vehicle_id, -1, SQLITE_STATIC);
    odo_bind_text(st, 4, rec->maintenance_id);
    bind_work(st, 5, rec, at);
    sqlite3_bind_text(st, 12, now, -1, SQLITE_STATIC);
    return odo_store_step_done(s, st, err, "recording the service");
}

int odo_service_add(struct odo_store *s, const char *user, struct odo_service *rec,
                    struct odo_err *err)
{
    struct odo_vehicle v;
    int rc;

    rec->maintenance_id[0] = '\0';
    if ((rc = odo_user_check(user, err)) || (rc = odo_service_check(s, rec, err)))
        return rc;
    if (!rec->description[0])
        return odo_err_set(err, ODO_EINVAL,
                           "a service record says what was done: give a "
                           "description");
    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_vehicle_require_live(s, user, rec->vehicle_id, &v, err)) ||
        (rc = odo_service_insert(s, user, &v, rec, err)))
        goto out_rollback;
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}

int odo_service_get(struct odo_store *s, const char *user, const char *id, struct odo_service *rec,
                    struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_GET, user, id, err);

    return odo_store_one(s, st, read_row, rec, "service record", id, err);
}

int odo_service_find(struct odo_store *s, const char *user, const char *ref, bool deleted,
                     struct odo_service *rec, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_BY_REF, user, ref, err);

    if (st)
        sqlite3_bind_int(st, 3, deleted);
    return odo_store_one(s, st, read_row, rec,
                         deleted ? "deleted service record" : "live service record", ref, err);
}

int odo_service_update(struct odo_store *s, const char *user, struct odo_service *rec,
                       struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1], at[ODO_TIME_TEXT_LEN + 1];
    struct odo_service old;
    struct odo_vehicle v;
    sqlite3_stmt *st;
    int rc;

    if ((rc = odo_user_check(user, err)) || (rc = odo_service_check(s, rec, err)))
        return rc;
    if (!rec->description[0])
        return odo_err_set(err, ODO_EINVAL,
                           "a service record says what was done: give a "
                           "description");
    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_service_get(s, user, rec->id, &old, err)))
        goto out_rollback;
    if (old.deleted_at[0]) {
        rc = odo_err_set(err, ODO_ENOTFOUND, "service record %s is deleted", rec->id);
        goto out_rollback;
    }
    if ((rc = odo_vehicle_require_live(s, user, old.vehicle_id, &v, err)) ||
        (rec->odometer != ODO_NONE &&
         (rc = odo_odometer_check(s, user, &v, rec->performed_at, rec->odometer, false, rec->id,
                                  err))))
        goto out_rollback;
    st = odo_store_bound(s, SQL_UPDATE, rec->id, user, err);
    if (!st) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    odo_store_now_text(s, now);
    odo_time_format(rec->performed_at, at);
    bind_work(st, 3, rec, at);
    sqlite3_bind_text(st, 10, now, -1, SQLITE_STATIC);
    if ((rc = odo_store_step_done(s, st, err, "saving the service record")) ||
        (rc = odo_maint_follow_completions(s, user, old.maintenance_id, err)))
        goto out_rollback;
    memcpy(rec->vehicle_id, old.vehicle_id, sizeof(rec->vehicle_id));
    memcpy(rec->maintenance_id, old.maintenance_id, sizeof(rec->maintenance_id));
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}

int odo_service_remove(struct odo_store *s, const char *user, const char *id,
                       bool *schedule_restored, struct odo_err *err)
{
    struct odo_service rec;
    bool restored = false;
    int rc;

    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_service_get(s, user, id, &rec, err)) ||
        (rc = odo_store_soft_delete(s, &REMOVE, user, id, NULL, err)) ||
        (rc = odo_maint_undo_completion(s, user, &rec, &restored, err)))
        goto out_rollback;
    if ((rc = odo_store_commit(s, err)))
        return rc;
    if (schedule_restored)
        *schedule_restored = restored;
    return 0;
out_rollback:
    odo_store_rollback(s);
    return rc;
}

int odo_service_restore(struct odo_store *s, const char *user, const char *id, struct odo_err *err)
{
    struct odo_service rec;
    struct odo_vehicle v;
    int rc;

    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_service_get(s, user, id, &rec, err)))
        goto out_rollback;
    if (!rec.deleted_at[0]) {
        rc = odo_err_set(err, ODO_ENOTFOUND, "service record %s is not deleted", id);
        goto out_rollback;
    }
    if ((rc = odo_vehicle_require_live(s, user, rec.vehicle_id, &v, err)) ||
        (rec.odometer != ODO_NONE && (rc = odo_odometer_check(s, user, &v, rec.performed_at,
                                                              rec.odometer, false, rec.id, err))) ||
        (rc = odo_store_soft_delete(s, &RESTORE, user, id, rec.deleted_at, err)) ||
        (rc = odo_maint_follow_completions(s, user, rec.maintenance_id, err)))
        goto out_rollback;
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}

ODO_STORE_LISTING(list, struct odo_service, read_row)

int odo_service_list(struct odo_store *s, const char *user, const char *vehicle_id,
                     int (*fn)(const struct odo_service *r, void *ctx), void *ctx,
                     struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_LIST, user, vehicle_id, err);
    struct list l = {fn, ctx};

    return odo_store_each(s, st, list_row, &l, "listing service records", err);
}
