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
static const char SQL_UPDATE[] =
    "UPDATE maintenance SET vehicle_id = ?3, type = ?4, category = ?5, description = ?6, "
    "due_date = ?7, due_odometer = ?8, interval_months = ?9, interval_distance = ?10, "
    "last_done_date = ?11, last_done_odometer = ?12, notes = ?13, updated_at = ?14 "
    "WHERE id = ?1 AND user_id = ?2 AND deleted_at IS NULL";
static const char SQL_BY_REF[] =
    "SELECT " MAINT_COLS " FROM maintenance WHERE user_id = ?1 AND " ODO_SQL_ID_MATCH(
        "id", "?2") " AND (deleted_at IS NULL) = (?3 = 0) LIMIT 2";
static const char SQL_BY_TYPE[] =
    "SELECT " MAINT_COLS " FROM maintenance m WHERE user_id = ?1 AND type = ?2 "
    "AND deleted_at IS NULL AND (?3 IS NULL OR vehicle_id = ?3) "
    "AND EXISTS (SELECT 1 FROM vehicles v WHERE v.id = m.vehicle_id AND v.deleted_at IS NULL) "
    "LIMIT 2";
/* The item of that type deleted last (one per vehicle; several vehicles make it ambiguous). */
static const char SQL_BY_TYPE_DELETED[] =
    "SELECT " MAINT_COLS " FROM maintenance m WHERE user_id = ?1 AND type = ?2 "
    "AND deleted_at IS NOT NULL AND (?3 IS NULL OR vehicle_id = ?3) "
    "AND deleted_at = (SELECT max(deleted_at) FROM maintenance n WHERE n.user_id = m.user_id "
    "AND n.vehicle_id = m.vehicle_id AND n.type = m.type) "
    "AND EXISTS (SELECT 1 FROM vehicles v WHERE v.id = m.vehicle_id AND v.deleted_at IS NULL) "
    "LIMIT 2";
static const char SQL_TYPE_TAKEN[] =
    "SELECT 1 FROM maintenance WHERE vehicle_id = ?1 AND type = ?2 AND deleted_at IS NULL "
    "AND id IS NOT ?3";
static const char SQL_LIST[] =
    "SELECT " MAINT_COLS " FROM maintenance WHERE user_id = ?1 AND deleted_at IS NULL "
    "AND (?2 IS NULL OR vehicle_id = ?2) ORDER BY coalesce(due_date, '9999-12-31'), "
    "due_odometer, type";
static const struct odo_soft_delete REMOVE = {"maintenance item",
                                              "removing the maintenance item",
                                              {ODO_SQL_SOFT_DELETE("maintenance", "id")}};
static const struct odo_soft_delete RESTORE = {
    "maintenance item", "restoring the maintenance item", {ODO_SQL_RESTORE("maintenance", "id")}};
/* The schedule before a completion, to put back when the completion is undone. */
static const char SQL_UNDO_SAVE[] =
    "INSERT OR REPLACE INTO maintenance_undo (service_id, maintenance_id, due_date, due_odometer, "
    "last_done_date, last_done_odometer) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_UNDO_READ[] =
    "SELECT due_date, due_odometer, last_done_date, last_done_odometer FROM maintenance_undo "
    "WHERE service_id = ?1 AND maintenance_id = ?2";
/* The latest live completion of an item: what its schedule counts from. */
static const char SQL_LATEST_DONE[] =
    "SELECT id, performed_at, odometer FROM service_records WHERE maintenance_id = ?1 "
    "AND user_id = ?2 AND deleted_at IS NULL ORDER BY performed_at DESC, odometer DESC LIMIT 1";
static const char SQL_DONE[] =
    "UPDATE maintenance SET last_done_date = ?3, last_done_odometer = ?4, due_date = ?5, "
    "due_odometer = ?6, updated_at = ?7 WHERE id = ?1 AND user_id = ?2 AND deleted_at IS NULL";
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

/* SQL_UNDO_READ's row onto an item: the schedule it had before a completion. */
static void read_undo(sqlite3_stmt *st, void *out)
{
    struct odo_maint *m = out;

    m->due_date = odo_column_date(st, 0);
    m->due_odometer = odo_column_int(st, 1, ODO_NONE);
    m->last_done_date = odo_column_date(st, 2);
    m->last_done_odometer = odo_column_int(st, 3, ODO_NONE);
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

/* The fields every write checks, before the database is asked anything. */
static int check_item(const char *user, struct odo_maint *m, struct odo_err *err)
{
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
    return 0;
}

/* Refuses a type that another live item of the same vehicle has. */
static int check_type_free(struct odo_store *s, const struct odo_maint *m,
                           const struct odo_vehicle *v, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_TYPE_TAKEN, m->vehicle_id, m->type, err);
    bool taken;
    int rc;

    if (st)
        odo_bind_text(st, 3, m->id[0] ? m->id : NULL);
    if ((rc = odo_store_row(s, st, NULL, NULL, &taken, "checking the maintenance type", err)))
        return rc;
    if (taken)
        return odo_err_set(err, ODO_EEXIST,
                           "'%s' already has a maintenance item '%s': complete it with 'odolog "
                           "maint done' or remove it first",
                           v->name, m->type);
    return 0;
}

/* A recurring item is due one interval after it was last done, or after today and odometer
 * `odo` when it never was; what is given explicitly stays. */
static void schedule(struct odo_store *s, struct odo_maint *m, int64_t odo)
{
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
}

/* Binds an item's columns ?3.. of SQL_INSERT and SQL_UPDATE, stamped `now`. */
static void bind_item(sqlite3_stmt *st, const struct odo_maint *m, const char *now)
{
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
}

/* add and update: checks, scheduling, then the insert or update, in one transaction. */
static int write_item(struct odo_store *s, const char *user, struct odo_maint *m, bool is_new,
                      bool reschedule, bool as_is, struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1];
    struct odo_vehicle v;
    sqlite3_stmt *st;
    int64_t odo;
    int rc;

    if (is_new)
        m->id[0] = '\0';
    if ((rc = check_item(user, m, err)))
        return rc;
    if ((rc = odo_store_begin(s, err)))
        return rc;
    if (!is_new) {
        struct odo_maint old;
        if ((rc = odo_maint_get(s, user, m->id, &old, err)))
            goto out_rollback;
        if (old.deleted_at[0]) {
            rc = odo_err_set(err, ODO_ENOTFOUND, "maintenance item %s is deleted", m->id);
            goto out_rollback;
        }
    }
    if ((rc = odo_vehicle_require_live(s, user, m->vehicle_id, &v, err)) ||
        (rc = odo_vehicle_odometer(s, user, m->vehicle_id, &odo, err)) ||
        (rc = check_type_free(s, m, &v, err)))
        goto out_rollback;
    if (!is_new && reschedule) {
        /* Counted again from the last completion: what the intervals cover is recomputed. */
        if (m->interval_months > 0)
            m->due_date = ODO_NO_DATE;
        if (m->interval_distance > 0)
            m->due_odometer = ODO_NONE;
    }
    if ((is_new && !as_is) || reschedule)
        schedule(s, m, odo);
    if (m->due_date == ODO_NO_DATE && m->due_odometer == ODO_NONE &&
        ((is_new && !as_is) || m->last_done_date == ODO_NO_DATE)) {
        rc = odo_err_set(err, ODO_EINVAL,
                         m->interval_distance > 0
                             ? "'%s' has no odometer reading to count the interval from: give "
                               "--due-odometer or --last-odometer"
                             : "a maintenance item needs a due date, a due odometer or an "
                               "interval ('%s' has none)",
                         v.name);
        goto out_rollback;
    }
    if (is_new && (rc = odo_store_new_id(s, m->id, err)))
        goto out_rollback;
    st = odo_store_bound(s, is_new ? SQL_INSERT : SQL_UPDATE, m->id, user, err);
    if (!st) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    odo_store_now_text(s, now);
    bind_item(st, m, now);
    if ((rc = odo_store_step_done(
             s, st, err, is_new ? "adding the maintenance item" : "saving the maintenance item")))
        goto out_rollback;
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}

int odo_maint_add(struct odo_store *s, const char *user, struct odo_maint *m, struct odo_err *err)
{
    return write_item(s, user, m, true, true, false, err);
}

int odo_maint_add_as_is(struct odo_store *s, const char *user, struct odo_maint *m,
                        struct odo_err *err)
{
    return write_item(s, user, m, true, false, true, err);
}

int odo_maint_update(struct odo_store *s, const char *user, struct odo_maint *m, bool reschedule,
                     struct odo_err *err)
{
    return write_item(s, user, m, false, reschedule, false, err);
}

int odo_maint_restore(struct odo_store *s, const char *user, const char *id, struct odo_err *err)
{
    struct odo_vehicle v;
    struct odo_maint m;
    int rc;

    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_maint_get(s, user, id, &m, err)))
        goto out_rollback;
    if (!m.deleted_at[0]) {
        rc = odo_err_set(err, ODO_ENOTFOUND, "maintenance item %s is not deleted", id);
        goto out_rollback;
    }
    if ((rc = odo_vehicle_require_live(s, user, m.vehicle_id, &v, err)) ||
        (rc = check_type_free(s, &m, &v, err)) ||
        (rc = odo_store_soft_delete(s, &RESTORE, user, id, m.deleted_at, err)))
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

int odo_maint_find(struct odo_store *s, const char *user, const char *ref, const char *vehicle_id,
                   bool deleted, struct odo_maint *m, struct odo_err *err)
{
    const char *kind = deleted ? "deleted maintenance item" : "live maintenance item";
    char type[ODO_MAINT_TYPE_MAX + 1];
    sqlite3_stmt *st;
    int rc;

    if (!ref || !*ref)
        return odo_err_set(err, ODO_EINVAL, "no maintenance item given");
    st = odo_store_bound(s, SQL_BY_REF, user, ref, err);
    if (st)
        sqlite3_bind_int(st, 3, deleted);
    rc = odo_store_one(s, st, read_row, m, kind, ref, err);
    if (rc != ODO_ENOTFOUND)
        return rc;
    if (strlen(ref) > ODO_MAINT_TYPE_MAX)
        return odo_err_set(err, ODO_ENOTFOUND, "no %s '%.60s'", kind, ref);
    strcpy(type, ref);
    if (normalise_type(type, NULL) != 0)
        return odo_err_set(err, ODO_ENOTFOUND, "no %s '%.60s'", kind, ref);
    st = odo_store_bound(s, deleted ? SQL_BY_TYPE_DELETED : SQL_BY_TYPE, user, type, err);
    if (st)
        odo_bind_text(st, 3, vehicle_id);
    return odo_store_one(s, st, read_row, m, kind, ref, err);
}

int odo_maint_resolve(struct odo_store *s, const char *user, const char *ref,
                      const char *vehicle_id, struct odo_maint *m, struct odo_err *err)
{
    return odo_maint_find(s, user, ref, vehicle_id, false, m, err);
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

/* Writes m's last completion and next due (SQL_DONE), stamped now. */
static int write_schedule(struct odo_store *s, const char *user, struct odo_maint *m,
                          struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1];
    sqlite3_stmt *st = odo_store_bound(s, SQL_DONE, m->id, user, err);
    int rc;

    if (!st)
        return ODO_ESTORAGE;
    odo_store_now_text(s, now);
    odo_bind_date(st, 3, m->last_done_date);
    odo_bind_int(st, 4, m->last_done_odometer, m->last_done_odometer != ODO_NONE);
    odo_bind_date(st, 5, m->due_date);
    odo_bind_int(st, 6, m->due_odometer, m->due_odometer != ODO_NONE);
    sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
    if ((rc = odo_store_step_done(s, st, err, "scheduling the next service")) == 0)
        memcpy(m->updated_at, now, sizeof(now));
    return rc;
}

/* The schedule after a completion at `at`, odometer `odo`: recurring items are due an interval
 * later; a one-off item is done and due no more. */
static void done_at(struct odo_maint *m, int64_t at, int64_t odo)
{
    int32_t day = odo_date_local(at);

    m->last_done_date = day;
    m->last_done_odometer = odo;
    m->due_date =
        m->interval_months > 0 ? odo_date_add_months(day, m->interval_months) : ODO_NO_DATE;
    m->due_odometer =
        m->interval_distance > 0 && odo != ODO_NONE ? odo + m->interval_distance : ODO_NONE;
}

/* The latest live completion of item id: its id ("" when none), time and odometer. */
struct latest {
    char id[ODO_UUID_TEXT_LEN + 1];
    int64_t at, odometer;
};

static void read_latest(sqlite3_stmt *st, void *out)
{
    struct latest *l = out;

    odo_column_text(st, 0, l->id, sizeof(l->id));
    l->at = odo_column_time(st, 1);
    l->odometer = odo_column_int(st, 2, ODO_NONE);
}

static int latest_done(struct odo_store *s, const char *user, const char *maint_id,
                       struct latest *l, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_LATEST_DONE, maint_id, user, err);

    memset(l, 0, sizeof(*l));
    return odo_store_row(s, st, read_latest, l, NULL, "reading the item's completions", err);
}

/* The live item a service record completed, or *live false (none, or deleted). */
static int live_item(struct odo_store *s, const char *user, const char *maint_id,
                     struct odo_maint *m, bool *live, struct odo_err *err)
{
    int rc;

    *live = false;
    if (!maint_id[0])
        return 0;
    rc = odo_maint_get(s, user, maint_id, m, err);
    if (rc == ODO_ENOTFOUND)
        return 0;
    *live = rc == 0 && !m->deleted_at[0];
    return rc;
}

int odo_maint_follow_completions(struct odo_store *s, const char *user, const char *maint_id,
                                 struct odo_err *err)
{
    struct latest l;
    struct odo_maint m;
    bool live;
    int rc;

    if ((rc = live_item(s, user, maint_id, &m, &live, err)) || !live ||
        (rc = latest_done(s, user, maint_id, &l, err)) || !l.id[0])
        return rc;
    done_at(&m, l.at, l.odometer);
    return write_schedule(s, user, &m, err);
}

int odo_maint_undo_completion(struct odo_store *s, const char *user,
                              const struct odo_service *removed, bool *restored,
                              struct odo_err *err)
{
    struct odo_maint m;
    struct latest l;
    bool live, found;
    int rc;

    *restored = false;
    if ((rc = live_item(s, user, removed->maintenance_id, &m, &live, err)) || !live ||
        (rc = latest_done(s, user, m.id, &l, err)))
        return rc;
    /* A later completion still stands: the schedule counts from it. */
    if (l.id[0] && l.at > removed->performed_at)
        return 0;
    sqlite3_stmt *st = odo_store_bound(s, SQL_UNDO_READ, removed->id, m.id, err);
    struct odo_maint before = m;
    if ((rc = odo_store_row(s, st, read_undo, &before, &found, "reading the schedule before", err)))
        return rc;
    if (found)
        m = before; /* exactly as it was before this completion */
    else if (l.id[0])
        done_at(&m, l.at, l.odometer); /* made elsewhere: count from the one before it */
    else
        return 0; /* nothing tells what it was */
    if ((rc = write_schedule(s, user, &m, err)) == 0)
        *restored = true;
    return rc;
}

int odo_maint_complete(struct odo_store *s, const char *user, const char *maint_id,
                       struct odo_service *rec, struct odo_maint *next, struct odo_err *err)
{
    struct odo_vehicle v;
    struct odo_maint m;
    sqlite3_stmt *st;
    int rc;

    if ((rc = odo_service_check(s, rec, err)))
        return rc;
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
    if (!rec->description[0])
        snprintf(rec->description, sizeof(rec->description), "%s",
                 m.description[0] ? m.description : m.type);
    memcpy(rec->vehicle_id, v.id, sizeof(v.id));
    memcpy(rec->maintenance_id, m.id, sizeof(m.id));
    if ((rc = odo_service_insert(s, user, &v, rec, err)))
        goto out_rollback;

    /* What the schedule was, so that removing this record can put it back. */
    st = odo_store_bound(s, SQL_UNDO_SAVE, rec->id, m.id, err);
    if (!st) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    odo_bind_date(st, 3, m.due_date);
    odo_bind_int(st, 4, m.due_odometer, m.due_odometer != ODO_NONE);
    odo_bind_date(st, 5, m.last_done_date);
    odo_bind_int(st, 6, m.last_done_odometer, m.last_done_odometer != ODO_NONE);
    if ((rc = odo_store_step_done(s, st, err, "keeping the schedule before the service")))
        goto out_rollback;

    done_at(&m, rec->performed_at, rec->odometer);
    if ((rc = write_schedule(s, user, &m, err)))
        goto out_rollback;
    if ((rc = odo_store_commit(s, err)))
        return rc;
    if (next)
        *next = m;
    return 0;
out_rollback:
    odo_store_rollback(s);
    return rc;
}
