/*
 * The maintenance and service-record repositories.
 */
#include "storage/maintenance.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "platform/decimal.h"
#include "storage/internal.h"
#include "storage/odometer.h"

#define MAINT_COLS                                                                                 \
    "id, vehicle_id, type, category, description, due_date, due_odometer, interval_months, "       \
    "interval_distance, last_done_date, last_done_odometer, notes, created_at, updated_at, "       \
    "deleted_at"

static const char SQL_INSERT[] =
    "INSERT INTO maintenance (id, user_id, vehicle_id, type, category, description, due_date, "
    "due_odometer, interval_months, interval_distance, last_done_date, last_done_odometer, "
    "notes, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)";
static const char SQL_GET[] =
    "SELECT " MAINT_COLS " FROM maintenance WHERE user_id = ?1 AND id = ?2";
static const char SQL_BY_REF[] =
    "SELECT " MAINT_COLS " FROM maintenance WHERE user_id = ?1 AND " ODO_SQL_ID_MATCH(
        "id", "?2") " AND deleted_at IS NULL LIMIT 2";
static const char SQL_BY_TYPE[] =
    "SELECT " MAINT_COLS " FROM maintenance m WHERE user_id = ?1 AND type = ?2 "
    "AND deleted_at IS NULL AND (?3 IS NULL OR vehicle_id = ?3) "
    "AND EXISTS (SELECT 1 FROM vehicles v WHERE v.id = m.vehicle_id AND v.deleted_at IS NULL) "
    "LIMIT 2";
static const char SQL_TYPE_TAKEN[] =
    "SELECT 1 FROM maintenance WHERE vehicle_id = ?1 AND type = ?2 AND deleted_at IS NULL";
static const char SQL_LIST[] =
    "SELECT " MAINT_COLS " FROM maintenance WHERE user_id = ?1 AND deleted_at IS NULL "
    "AND (?2 IS NULL OR vehicle_id = ?2) ORDER BY coalesce(due_date, '9999-12-31'), "
    "due_odometer, type";
static const struct odo_soft_delete REMOVE = {"maintenance item",
                                              "removing the maintenance item",
                                              {ODO_SQL_SOFT_DELETE("maintenance", "id")}};
static const char SQL_DONE[] =
    "UPDATE maintenance SET last_done_date = ?3, last_done_odometer = ?4, due_date = ?5, "
    "due_odometer = ?6, updated_at = ?7 WHERE id = ?1 AND user_id = ?2 AND deleted_at IS NULL";
static const char SQL_SERVICE_INSERT[] =
    "INSERT INTO service_records (id, user_id, vehicle_id, maintenance_id, performed_at, "
    "odometer, description, cost, currency, shop, notes, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)";
static const char SQL_SERVICE_LIST[] =
    "SELECT id, vehicle_id, maintenance_id, performed_at, odometer, description, cost, "
    "currency, shop, notes FROM service_records WHERE user_id = ?1 AND vehicle_id = ?2 "
    "AND deleted_at IS NULL ORDER BY performed_at DESC";

static const char *const categories[] = {"engine",     "transmission", "brakes",     "tires",
                                         "suspension", "electrical",   "climate",    "body",
                                         "fluids",     "filters",      "inspection", "other"};

const char *odo_maint_category_name(enum odo_maint_category c)
{
    return categories[c];
}

int odo_maint_category_parse(const char *s, enum odo_maint_category *out, struct odo_err *err)
{
    for (size_t i = 0; i < ODO_ARRAY_LEN(categories); i++) {
        if (strcasecmp(s, categories[i]) == 0) {
            *out = (enum odo_maint_category)i;
            return 0;
        }
    }
    return odo_err_set(err, ODO_EINVAL,
                       "unknown category '%s': use engine, transmission, brakes, tires, "
                       "suspension, electrical, climate, body, fluids, filters, inspection or "
                       "other",
                       s);
}

static void read_row(sqlite3_stmt *st, void *out)
{
    struct odo_maint *m = out;
    char cat[16];

    memset(m, 0, sizeof(*m));
    odo_column_text(st, 0, m->id, sizeof(m->id));
    odo_column_text(st, 1, m->vehicle_id, sizeof(m->vehicle_id));
    odo_column_text(st, 2, m->type, sizeof(m->type));
    odo_column_text(st, 3, cat, sizeof(cat));
    if (odo_maint_category_parse(cat, &m->category, NULL) != 0)
        m->category = ODO_MAINT_OTHER;
    odo_column_text(st, 4, m->description, sizeof(m->description));
    m->due_date = odo_column_date(st, 5);
    m->due_odometer = odo_column_int(st, 6, ODO_NONE);
    m->interval_months = (int)odo_column_int(st, 7, 0);
    m->interval_distance = odo_column_int(st, 8, 0);
    m->last_done_date = odo_column_date(st, 9);
    m->last_done_odometer = odo_column_int(st, 10, ODO_NONE);
    odo_column_text(st, 11, m->notes, sizeof(m->notes));
    odo_column_text(st, 12, m->created_at, sizeof(m->created_at));
    odo_column_text(st, 13, m->updated_at, sizeof(m->updated_at));
    odo_column_text(st, 14, m->deleted_at, sizeof(m->deleted_at));
}

static int normalise_type(char *type, struct odo_err *err)
{
    size_t n = strlen(type);

    if (n == 0 || n > ODO_MAINT_TYPE_MAX)
        return odo_err_set(err, ODO_EINVAL, "a maintenance type has 1 to %d characters",
                           ODO_MAINT_TYPE_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = (char)tolower((unsigned char)type[i]);
        if (c == ' ')
            c = '_';
        if (!isalnum((unsigned char)c) && c != '_' && c != '-')
            return odo_err_set(err, ODO_EINVAL,
                               "maintenance type '%s' may hold only letters, digits, '_' and '-'",
                               type);
        type[i] = c;
    }
    return 0;
}

int odo_maint_add(struct odo_store *s, const char *user, struct odo_maint *m, struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1];
    struct odo_vehicle v;
    sqlite3_stmt *st;
    int64_t odo;
    bool taken;
    int rc;

    if ((rc = odo_user_check(user, err)) || (rc = normalise_type(m->type, err)) ||
        (rc = odo_text_check(m->description, ODO_DESCRIPTION_MAX, "the description", err)) ||
        (rc = odo_text_check(m->notes, ODO_NOTES_MAX, "the notes", err)))
        return rc;
    if (m->interval_months < 0 || m->interval_months > 240)
        return odo_err_set(err, ODO_EINVAL, "an interval is 1 to 240 months");
    if (m->interval_distance < 0 || m->interval_distance > 10000000)
        return odo_err_set(err, ODO_EINVAL, "an interval distance is at most 1000000");
    if (m->due_odometer != ODO_NONE && (m->due_odometer < 0 || m->due_odometer > 99999999))
        return odo_err_set(err, ODO_EINVAL, "a due odometer reads 0 to 9999999.9");
    if (m->last_done_odometer != ODO_NONE &&
        (m->last_done_odometer < 0 || m->last_done_odometer > 99999999))
        return odo_err_set(err, ODO_EINVAL, "an odometer reads 0 to 9999999.9");

    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_vehicle_require_live(s, user, m->vehicle_id, &v, err)) ||
        (rc = odo_vehicle_odometer(s, user, m->vehicle_id, &odo, err)))
        goto out_rollback;
    st = odo_store_bound(s, SQL_TYPE_TAKEN, m->vehicle_id, m->type, err);
    if ((rc = odo_store_row(s, st, NULL, NULL, &taken, "checking the maintenance type", err)))
        goto out_rollback;
    if (taken) {
        rc = odo_err_set(err, ODO_EEXIST,
                         "'%s' already has a maintenance item '%s': complete it with 'odolog "
                         "maint done' or remove it first",
                         v.name, m->type);
        goto out_rollback;
    }

    /* A recurring item is due one interval after it was last done (or from now). */
    if (m->due_date == ODO_NO_DATE && m->interval_months > 0)
        m->due_date = odo_date_add_months(m->last_done_date != ODO_NO_DATE
                                              ? m->last_done_date
                                              : odo_date_local(odo_clock_now(s->clock)),
                                          m->interval_months);
    if (m->due_odometer == ODO_NONE && m->interval_distance > 0) {
        int64_t base = m->last_done_odometer != ODO_NONE ? m->last_done_odometer : odo;
        if (base != ODO_NONE)
            m->due_odometer = base + m->interval_distance;
    }
    if (m->due_date == ODO_NO_DATE && m->due_odometer == ODO_NONE) {
        rc = odo_err_set(err, ODO_EINVAL,
                         m->interval_distance > 0
                             ? "'%s' has no odometer reading to count the interval from: give "
                               "--due-odometer or --last-odometer"
                             : "a maintenance item needs a due date, a due odometer or an "
                               "interval ('%s' has none)",
                         v.name);
        goto out_rollback;
    }
    if ((rc = odo_store_new_id(s, m->id, err)))
        goto out_rollback;
    st = odo_store_bound(s, SQL_INSERT, m->id, user, err);
    if (!st) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    odo_store_now_text(s, now);
    sqlite3_bind_text(st, 3, m->vehicle_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, m->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, categories[m->category], -1, SQLITE_STATIC);
    odo_bind_text(st, 6, m->description);
    odo_bind_date(st, 7, m->due_date);
    odo_bind_int(st, 8, m->due_odometer, m->due_odometer != ODO_NONE);
    odo_bind_int(st, 9, m->interval_months, m->interval_months > 0);
    odo_bind_int(st, 10, m->interval_distance, m->interval_distance > 0);
    odo_bind_date(st, 11, m->last_done_date);
    odo_bind_int(st, 12, m->last_done_odometer, m->last_done_odometer != ODO_NONE);
    odo_bind_text(st, 13, m->notes);
    sqlite3_bind_text(st, 14, now, -1, SQLITE_STATIC);
    if ((rc = odo_store_step_done(s, st, err, "adding the maintenance item")))
        goto out_rollback;
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}

int odo_maint_get(struct odo_store *s, const char *user, const char *id, struct odo_maint *m,
                  struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_GET, user, id, err);

    return odo_store_one(s, st, read_row, m, "maintenance item", id, err);
}

int odo_maint_resolve(struct odo_store *s, const char *user, const char *ref,
                      const char *vehicle_id, struct odo_maint *m, struct odo_err *err)
{
    char type[ODO_MAINT_TYPE_MAX + 1];
    sqlite3_stmt *st;
    int rc;

    if (!ref || !*ref)
        return odo_err_set(err, ODO_EINVAL, "no maintenance item given");
    st = odo_store_bound(s, SQL_BY_REF, user, ref, err);
    rc = odo_store_one(s, st, read_row, m, "live maintenance item", ref, err);
    if (rc != ODO_ENOTFOUND)
        return rc;
    if (strlen(ref) > ODO_MAINT_TYPE_MAX)
        return odo_err_set(err, ODO_ENOTFOUND, "no live maintenance item '%.60s'", ref);
    strcpy(type, ref);
    if (normalise_type(type, NULL) != 0)
        return odo_err_set(err, ODO_ENOTFOUND, "no live maintenance item '%.60s'", ref);
    st = odo_store_bound(s, SQL_BY_TYPE, user, type, err);
    if (st)
        odo_bind_text(st, 3, vehicle_id);
    return odo_store_one(s, st, read_row, m, "live maintenance item", ref, err);
}

ODO_STORE_LISTING(list, struct odo_maint, read_row)

int odo_maint_list(struct odo_store *s, const char *user, const char *vehicle_id,
                   int (*fn)(const struct odo_maint *m, void *ctx), void *ctx, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_LIST, user, NULL, err);
    struct list l = {fn, ctx};

    if (st)
        odo_bind_text(st, 2, vehicle_id);
    return odo_store_each(s, st, list_row, &l, "listing maintenance items", err);
}

int odo_maint_remove(struct odo_store *s, const char *user, const char *id, struct odo_err *err)
{
    return odo_store_soft_delete(s, &REMOVE, user, id, NULL, err);
}

int odo_maint_complete(struct odo_store *s, const char *user, const char *maint_id,
                       struct odo_service *rec, struct odo_maint *next, struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1], at[ODO_TIME_TEXT_LEN + 1];
    struct odo_vehicle v;
    struct odo_maint m;
    sqlite3_stmt *st;
    int32_t done_date;
    int rc;

    if ((rc = odo_text_check(rec->description, ODO_DESCRIPTION_MAX, "the description", err)) ||
        (rc = odo_text_check(rec->shop, ODO_LABEL_MAX, "the shop", err)) ||
        (rc = odo_text_check(rec->notes, ODO_NOTES_MAX, "the notes", err)) ||
        (rc = odo_currency_check(rec->currency, err)))
        return rc;
    if (rec->cost != ODO_NONE && (rec->cost < 0 || rec->cost > 1000000000LL))
        return odo_err_set(err, ODO_EINVAL, "the cost must be between 0 and 10000000");
    if (rec->performed_at > odo_clock_now(s->clock) + 86400000LL)
        return odo_err_set(err, ODO_EINVAL, "the work is dated more than a day ahead");
    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_maint_get(s, user, maint_id, &m, err)))
        goto out_rollback;
    if (m.deleted_at[0]) {
        rc = odo_err_set(err, ODO_ENOTFOUND, "maintenance item %s is deleted", maint_id);
        goto out_rollback;
    }
    if ((rc = odo_vehicle_require_live(s, user, m.vehicle_id, &v, err)))
        goto out_rollback;
    if (rec->odometer == ODO_NONE &&
        (rc = odo_vehicle_odometer(s, user, v.id, &rec->odometer, err)))
        goto out_rollback;
    if (rec->odometer != ODO_NONE &&
        (rc = odo_odometer_check(s, user, &v, rec->performed_at, rec->odometer, false, NULL, err)))
        goto out_rollback;
    if (!rec->description[0])
        snprintf(rec->description, sizeof(rec->description), "%s",
                 m.description[0] ? m.description : m.type);
    memcpy(rec->vehicle_id, v.id, sizeof(v.id));
    memcpy(rec->maintenance_id, m.id, sizeof(m.id));
    if ((rc = odo_store_new_id(s, rec->id, err)))
        goto out_rollback;

    st = odo_store_bound(s, SQL_SERVICE_INSERT, rec->id, user, err);
    if (!st) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    odo_store_now_text(s, now);
    odo_time_format(rec->performed_at, at);
    sqlite3_bind_text(st, 3, rec->vehicle_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, rec->maintenance_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, at, -1, SQLITE_STATIC);
    odo_bind_int(st, 6, rec->odometer, rec->odometer != ODO_NONE);
    sqlite3_bind_text(st, 7, rec->description, -1, SQLITE_STATIC);
    odo_bind_int(st, 8, rec->cost, rec->cost != ODO_NONE);
    odo_bind_text(st, 9, rec->cost != ODO_NONE ? rec->currency : NULL);
    odo_bind_text(st, 10, rec->shop);
    odo_bind_text(st, 11, rec->notes);
    sqlite3_bind_text(st, 12, now, -1, SQLITE_STATIC);
    if ((rc = odo_store_step_done(s, st, err, "recording the service")))
        goto out_rollback;

    /* Recurring: the next one is due an interval after this completion. One-off: done. */
    done_date = odo_date_local(rec->performed_at);
    m.last_done_date = done_date;
    m.last_done_odometer = rec->odometer;
    m.due_date =
        m.interval_months > 0 ? odo_date_add_months(done_date, m.interval_months) : ODO_NO_DATE;
    m.due_odometer = m.interval_distance > 0 && rec->odometer != ODO_NONE
                         ? rec->odometer + m.interval_distance
                         : ODO_NONE;
    st = odo_store_bound(s, SQL_DONE, m.id, user, err);
    if (!st) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    odo_bind_date(st, 3, m.last_done_date);
    odo_bind_int(st, 4, m.last_done_odometer, m.last_done_odometer != ODO_NONE);
    odo_bind_date(st, 5, m.due_date);
    odo_bind_int(st, 6, m.due_odometer, m.due_odometer != ODO_NONE);
    sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
    if ((rc = odo_store_step_done(s, st, err, "scheduling the next service")))
        goto out_rollback;
    if ((rc = odo_store_commit(s, err)))
        return rc;
    memcpy(m.updated_at, now, sizeof(now));
    if (next)
        *next = m;
    return 0;
out_rollback:
    odo_store_rollback(s);
    return rc;
}

static void read_service(sqlite3_stmt *st, struct odo_service *r)
{
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
}

ODO_STORE_LISTING(service_list, struct odo_service, read_service)

int odo_service_list(struct odo_store *s, const char *user, const char *vehicle_id,
                     int (*fn)(const struct odo_service *r, void *ctx), void *ctx,
                     struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_SERVICE_LIST, user, vehicle_id, err);
    struct service_list l = {fn, ctx};

    return odo_store_each(s, st, service_list_row, &l, "listing service records", err);
}
