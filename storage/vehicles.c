/*
 * The vehicle repository.
 */
#include "storage/vehicles.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "platform/text.h"
#include "storage/internal.h"

#define VEHICLE_COLS                                                                               \
    "v.id, v.vin, v.name, v.make, v.model, v.trim, v.plate, v.model_year, v.odometer_unit, "       \
    "v.notes, v.created_at, v.updated_at, v.deleted_at, v.body_class, v.engine, v.fuel_type"

/* The latest value of each kind, one index seek each, then the latest of the three. */
/* clang-format off */
static const char SQL_ODOMETER[] =
    "SELECT odometer FROM ("
    "SELECT * FROM (SELECT odometer, filled_at AS at FROM fuel_logs "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "ORDER BY filled_at DESC, odometer DESC LIMIT 1)"
    " UNION ALL "
    "SELECT * FROM (SELECT odometer, read_at AS at FROM odometer_readings "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "ORDER BY read_at DESC, odometer DESC LIMIT 1)"
    " UNION ALL "
    "SELECT * FROM (SELECT odometer, performed_at AS at FROM service_records "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL AND odometer IS NOT NULL "
    "ORDER BY performed_at DESC, odometer DESC LIMIT 1)"
    ") ORDER BY at DESC, odometer DESC LIMIT 1";
/* clang-format on */

static const char SQL_INSERT[] =
    "INSERT INTO vehicles (id, user_id, vin, name, make, model, trim, plate, model_year, "
    "odometer_unit, notes, created_at, updated_at, body_class, engine, fuel_type) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13, ?14, ?15)";
static const char SQL_UPDATE[] =
    "UPDATE vehicles SET vin = ?3, name = ?4, make = ?5, model = ?6, trim = ?7, plate = ?8, "
    "model_year = ?9, odometer_unit = ?10, notes = ?11, updated_at = ?12, body_class = ?13, "
    "engine = ?14, fuel_type = ?15 "
    "WHERE id = ?1 AND user_id = ?2 AND deleted_at IS NULL";
static const char SQL_BY_ID[] =
    "SELECT " VEHICLE_COLS " FROM vehicles v WHERE v.user_id = ?1 AND v.id = ?2";
static const char SQL_BY_VIN[] =
    "SELECT " VEHICLE_COLS " FROM vehicles v WHERE v.user_id = ?1 AND v.vin = ?2 "
    "AND (v.deleted_at IS NULL OR ?3) ORDER BY v.deleted_at IS NOT NULL";
static const char SQL_BY_REF[] =
    "SELECT " VEHICLE_COLS " FROM vehicles v WHERE v.user_id = ?1 AND " ODO_SQL_ID_MATCH(
        "v.id", "?2") " AND (v.deleted_at IS NULL OR ?3)";
static const char SQL_BY_NAME[] = "SELECT " VEHICLE_COLS " FROM vehicles v WHERE v.user_id = ?1 "
                                  "AND v.name = ?2 COLLATE NOCASE AND (v.deleted_at IS NULL OR ?3)";
static const char SQL_LIVE[] =
    "SELECT " VEHICLE_COLS " FROM vehicles v WHERE v.user_id = ?1 AND v.deleted_at IS NULL "
    "ORDER BY v.created_at, v.id LIMIT 2";
static const char SQL_LIST[] = "SELECT " VEHICLE_COLS " FROM vehicles v WHERE v.user_id = ?1 "
                               "AND (v.deleted_at IS NULL OR ?2) ORDER BY v.created_at, v.id";
static const char SQL_LIVE_VIN_OWNER[] =
    "SELECT name FROM vehicles WHERE user_id = ?1 AND vin = ?2 AND deleted_at IS NULL "
    "AND id <> ?3";
static const char SQL_LIVE_NAME_TAKEN[] =
    "SELECT 1 FROM vehicles WHERE user_id = ?1 AND name = ?2 COLLATE NOCASE "
    "AND deleted_at IS NULL AND id <> ?3";
static const char SQL_HAS_READINGS[] =
    "SELECT EXISTS (SELECT 1 FROM odometer_events WHERE vehicle_id = ?1 AND user_id = ?2)";

/* The cascade: the same deleted_at on the vehicle and its live children. */
static const struct odo_soft_delete REMOVE = {
    "vehicle",
    "updating the vehicle's records",
    {ODO_SQL_SOFT_DELETE("vehicles", "id"), ODO_SQL_SOFT_DELETE("fuel_logs", "vehicle_id"),
     ODO_SQL_SOFT_DELETE("odometer_readings", "vehicle_id"),
     ODO_SQL_SOFT_DELETE("service_records", "vehicle_id"),
     ODO_SQL_SOFT_DELETE("maintenance", "vehicle_id"),
     ODO_SQL_SOFT_DELETE("renewals", "vehicle_id")}};
/* Exactly the children deleted with the vehicle (the same deleted_at) come back. */
static const struct odo_soft_delete RESTORE = {
    "vehicle",
    "updating the vehicle's records",
    {ODO_SQL_RESTORE("vehicles", "id"), ODO_SQL_RESTORE("fuel_logs", "vehicle_id"),
     ODO_SQL_RESTORE("odometer_readings", "vehicle_id"),
     ODO_SQL_RESTORE("maintenance", "vehicle_id"), ODO_SQL_RESTORE("service_records", "vehicle_id"),
     ODO_SQL_RESTORE("renewals", "vehicle_id")}};

static void read_row(sqlite3_stmt *st, void *out)
{
    struct odo_vehicle *v = out;
    char unit[8];

    memset(v, 0, sizeof(*v));
    odo_column_text(st, 0, v->id, sizeof(v->id));
    odo_column_text(st, 1, v->vin, sizeof(v->vin));
    odo_column_text(st, 2, v->name, sizeof(v->name));
    odo_column_text(st, 3, v->make, sizeof(v->make));
    odo_column_text(st, 4, v->model, sizeof(v->model));
    odo_column_text(st, 5, v->trim, sizeof(v->trim));
    odo_column_text(st, 6, v->plate, sizeof(v->plate));
    v->model_year = (int)odo_column_int(st, 7, 0);
    odo_column_text(st, 8, unit, sizeof(unit));
    v->odometer_unit = strcmp(unit, "mi") == 0 ? ODO_DIST_MI : ODO_DIST_KM;
    odo_column_text(st, 9, v->notes, sizeof(v->notes));
    odo_column_text(st, 10, v->created_at, sizeof(v->created_at));
    odo_column_text(st, 11, v->updated_at, sizeof(v->updated_at));
    odo_column_text(st, 12, v->deleted_at, sizeof(v->deleted_at));
    odo_column_text(st, 13, v->body_class, sizeof(v->body_class));
    odo_column_text(st, 14, v->engine, sizeof(v->engine));
    odo_column_text(st, 15, v->fuel_type, sizeof(v->fuel_type));
    v->odometer = ODO_NONE;
}

static void read_int(sqlite3_stmt *st, void *out)
{
    *(int64_t *)out = sqlite3_column_int64(st, 0);
}

int odo_vehicle_odometer(struct odo_store *s, const char *user, const char *vehicle_id,
                         int64_t *out, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_ODOMETER, vehicle_id, user, err);

    *out = ODO_NONE;
    return odo_store_row(s, st, read_int, out, NULL, "reading the odometer", err);
}

/* Completes a vehicle read by a lookup with its current odometer. */
static int with_odometer(struct odo_store *s, const char *user, int rc, struct odo_vehicle *v,
                         struct odo_err *err)
{
    if (rc != 0)
        return rc;
    return odo_vehicle_odometer(s, user, v->id, &v->odometer, err);
}

static int current_year(struct odo_store *s)
{
    char day[ODO_DATE_TEXT_LEN + 1];
    odo_date_format(odo_date_local(odo_clock_now(s->clock)), day);
    return (day[0] - '0') * 1000 + (day[1] - '0') * 100 + (day[2] - '0') * 10 + (day[3] - '0');
}

/* Validates and normalises the editable fields. */
static int check_fields(struct odo_store *s, struct odo_vehicle *v, struct odo_err *err)
{
    int rc;

    if (v->vin[0]) {
        struct odo_vin_info info;
        rc = odo_vin_decode(v->vin, current_year(s), &info, err);
        if (rc != 0)
            return rc;
        memcpy(v->vin, info.vin, sizeof(v->vin));
        if (v->model_year == 0)
            v->model_year = info.model_year;
    }
    if (v->model_year != 0 && (v->model_year < 1900 || v->model_year > current_year(s) + 2))
        return odo_err_set(err, ODO_EINVAL, "model year %d is not plausible", v->model_year);
    if ((rc = odo_text_check(v->name, ODO_NAME_MAX, "the name", err)) ||
        (rc = odo_text_check(v->make, ODO_LABEL_MAX, "the make", err)) ||
        (rc = odo_text_check(v->model, ODO_LABEL_MAX, "the model", err)) ||
        (rc = odo_text_check(v->trim, ODO_LABEL_MAX, "the trim", err)) ||
        (rc = odo_text_check(v->plate, ODO_PLATE_MAX, "the plate", err)) ||
        (rc = odo_text_check(v->body_class, ODO_LABEL_MAX, "the body class", err)) ||
        (rc = odo_text_check(v->engine, ODO_ENGINE_MAX, "the engine", err)) ||
        (rc = odo_text_check(v->fuel_type, ODO_LABEL_MAX, "the fuel type", err)) ||
        (rc = odo_text_check(v->notes, ODO_NOTES_MAX, "the notes", err)))
        return rc;
    if (!v->name[0]) {
        if (v->make[0] || v->model[0]) {
            char year[16] = "", name[256];
            if (v->model_year)
                snprintf(year, sizeof(year), "%d ", v->model_year);
            snprintf(name, sizeof(name), "%s%s%s%s", year, v->make,
                     v->make[0] && v->model[0] ? " " : "", v->model);
            odo_strlcpy(v->name, name, sizeof(v->name));
        } else if (v->vin[0]) {
            memcpy(v->name, v->vin, sizeof(v->vin));
        } else {
            return odo_err_set(err, ODO_EINVAL,
                               "a vehicle needs a name, a VIN, or a make and model");
        }
    }
    if (v->odometer_unit != ODO_DIST_KM && v->odometer_unit != ODO_DIST_MI)
        return odo_err_set(err, ODO_EINVAL, "the odometer unit must be km or mi");
    return 0;
}

/* Copies src into an empty dst of cap bytes, cut at a UTF-8 character boundary. */
static void fill_text(char *dst, size_t cap, const char *src)
{
    size_t n;

    if (dst[0] || !src[0])
        return;
    n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void odo_vehicle_fill(struct odo_vehicle *v, const struct odo_vin_decoded *d)
{
    char engine[ODO_ENGINE_MAX * 2];

    fill_text(v->make, sizeof(v->make), d->make);
    fill_text(v->model, sizeof(v->model), d->model);
    fill_text(v->trim, sizeof(v->trim), d->trim[0] ? d->trim : d->series);
    if (!v->model_year && d->model_year)
        v->model_year = d->model_year;
    fill_text(v->body_class, sizeof(v->body_class), d->body_class);
    odo_vin_engine_text(d, engine, sizeof(engine));
    fill_text(v->engine, sizeof(v->engine), engine);
    fill_text(v->fuel_type, sizeof(v->fuel_type), d->fuel_type);
}

int odo_vehicle_register_vin(struct odo_store *s, const char *user, const struct odo_vin_decoded *d,
                             enum odo_dist_unit unit, struct odo_vehicle *v, bool *added,
                             struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_BY_VIN, user, d->vin, err);
    bool found;
    int rc;

    *added = false;
    if (st)
        sqlite3_bind_int(st, 3, 0);
    if ((rc = odo_store_row(s, st, read_row, v, &found, "looking for the VIN", err)))
        return rc;
    if (found)
        return odo_vehicle_odometer(s, user, v->id, &v->odometer, err);
    memset(v, 0, sizeof(*v));
    memcpy(v->vin, d->vin, sizeof(v->vin));
    v->odometer_unit = unit;
    if (strcmp(d->source, "vin") != 0)
        odo_vehicle_fill(v, d);
    if ((rc = odo_vehicle_add(s, user, v, err)))
        return rc;
    v->odometer = ODO_NONE;
    *added = true;
    return 0;
}

/* Refuses a VIN that a live vehicle of the user other than self_id already has. */
static int check_vin_free(struct odo_store *s, const char *user, const char *vin,
                          const char *self_id, struct odo_err *err)
{
    char name[ODO_NAME_MAX + 1];
    sqlite3_stmt *st;
    int rc;

    if (!vin[0])
        return 0;
    st = odo_store_bound(s, SQL_LIVE_VIN_OWNER, user, vin, err);
    if (st)
        sqlite3_bind_text(st, 3, self_id, -1, SQLITE_STATIC);
    /* A vehicle's name is never empty (the schema checks it), so "" means no owner. */
    if ((rc = odo_store_text(s, st, name, sizeof(name), "checking the VIN", err)))
        return rc;
    if (name[0])
        return odo_err_set(err, ODO_EEXIST, "VIN %s is already registered as '%s'", vin, name);
    return 0;
}

/* Whether a live vehicle of the user other than self_id is called name (case-insensitive). */
static int name_taken(struct odo_store *s, const char *user, const char *name, const char *self_id,
                      bool *taken, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_LIVE_NAME_TAKEN, user, name, err);

    if (st)
        sqlite3_bind_text(st, 3, self_id, -1, SQLITE_STATIC);
    return odo_store_row(s, st, NULL, NULL, taken, "checking the name", err);
}

/*
 * Names are unique among a user's live vehicles, so that a name typed with --vehicle always
 * finds one. A name the user gave is refused when taken; one made up from year, make and model
 * (given is false) gets " (2)", " (3)"... instead.
 */
static int check_name_free(struct odo_store *s, const char *user, struct odo_vehicle *v, bool given,
                           struct odo_err *err)
{
    char base[ODO_NAME_MAX + 1], name[ODO_NAME_MAX + 16];
    bool taken;
    int rc;

    if ((rc = name_taken(s, user, v->name, v->id, &taken, err)) || !taken)
        return rc;
    if (given)
        return odo_err_set(err, ODO_EEXIST,
                           "the name '%s' is already taken by another of your vehicles: give "
                           "this one another --name (names tell vehicles apart in --vehicle)",
                           v->name);
    memcpy(base, v->name, sizeof(base));
    for (int n = 2; n < 1000; n++) {
        size_t room = ODO_NAME_MAX - (size_t)snprintf(NULL, 0, " (%d)", n);
        char cut[ODO_NAME_MAX + 1];

        odo_strlcpy(cut, base, room + 1);
        snprintf(name, sizeof(name), "%s (%d)", cut, n);
        if ((rc = name_taken(s, user, name, v->id, &taken, err)))
            return rc;
        if (!taken) {
            memcpy(v->name, name, strlen(name) + 1);
            return 0;
        }
    }
    return odo_err_set(err, ODO_EEXIST, "the name '%s' is taken: give the vehicle a --name",
                       v->name);
}

/* Runs sql, the insert or the update, with the vehicle's fields, stamped with the time now. */
static int write_row(struct odo_store *s, const char *sql, const char *user,
                     const struct odo_vehicle *v, char now[ODO_TIME_TEXT_LEN + 1],
                     const char *doing, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, sql, v->id, user, err);

    if (!st)
        return ODO_ESTORAGE;
    odo_store_now_text(s, now);
    odo_bind_text(st, 3, v->vin);
    odo_bind_text(st, 4, v->name);
    odo_bind_text(st, 5, v->make);
    odo_bind_text(st, 6, v->model);
    odo_bind_text(st, 7, v->trim);
    odo_bind_text(st, 8, v->plate);
    odo_bind_int(st, 9, v->model_year, v->model_year != 0);
    sqlite3_bind_text(st, 10, odo_dist_unit_name(v->odometer_unit), -1, SQLITE_STATIC);
    odo_bind_text(st, 11, v->notes);
    sqlite3_bind_text(st, 12, now, -1, SQLITE_TRANSIENT);
    odo_bind_text(st, 13, v->body_class);
    odo_bind_text(st, 14, v->engine);
    odo_bind_text(st, 15, v->fuel_type);
    return odo_store_step_done(s, st, err, doing);
}

int odo_vehicle_add(struct odo_store *s, const char *user, struct odo_vehicle *v,
                    struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1];
    bool given = v->name[0] != '\0';
    int rc;

    v->id[0] = '\0';
    if ((rc = odo_user_check(user, err)) || (rc = check_fields(s, v, err)))
        return rc;
    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = check_vin_free(s, user, v->vin, "", err)) ||
        (rc = check_name_free(s, user, v, given, err)) || (rc = odo_store_new_id(s, v->id, err)))
        goto out_rollback;
    if ((rc = write_row(s, SQL_INSERT, user, v, now, "adding the vehicle", err)))
        goto out_rollback;
    if ((rc = odo_store_commit(s, err)))
        return rc;
    memcpy(v->created_at, now, sizeof(now));
    memcpy(v->updated_at, now, sizeof(now));
    v->deleted_at[0] = '\0';
    v->odometer = ODO_NONE;
    return 0;
out_rollback:
    odo_store_rollback(s);
    return rc;
}

/* The vehicle row alone, without its current odometer. */
static int get_row(struct odo_store *s, const char *user, const char *id, struct odo_vehicle *v,
                   struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_BY_ID, user, id, err);

    return odo_store_one(s, st, read_row, v, "vehicle", id, err);
}

int odo_vehicle_get(struct odo_store *s, const char *user, const char *id, struct odo_vehicle *v,
                    struct odo_err *err)
{
    return with_odometer(s, user, get_row(s, user, id, v, err), v, err);
}

/* One lookup of odo_vehicle_resolve: statement sql with (user, key, include_deleted). */
static int resolve_by(struct odo_store *s, const char *sql, const char *user, const char *key,
                      bool include_deleted, const char *ref, struct odo_vehicle *v,
                      struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, sql, user, key, err);

    if (st)
        sqlite3_bind_int(st, 3, include_deleted);
    return with_odometer(s, user, odo_store_one(s, st, read_row, v, "vehicle", ref, err), v, err);
}

int odo_vehicle_resolve(struct odo_store *s, const char *user, const char *ref,
                        bool include_deleted, struct odo_vehicle *v, struct odo_err *err)
{
    char vin[ODO_VIN_LEN + 1];
    int rc;

    if (!ref || !*ref)
        return odo_err_set(err, ODO_EINVAL, "no vehicle given");
    /* A VIN, then an id or a part of one, then a name: the first kind that matches decides. */
    if (odo_vin_normalize(ref, vin, NULL) == 0) {
        rc = resolve_by(s, SQL_BY_VIN, user, vin, include_deleted, ref, v, err);
        if (rc != ODO_ENOTFOUND)
            return rc;
    }
    if (strspn(ref, "0123456789abcdefABCDEF-") == strlen(ref)) {
        rc = resolve_by(s, SQL_BY_REF, user, ref, include_deleted, ref, v, err);
        if (rc != ODO_ENOTFOUND)
            return rc;
    }
    rc = resolve_by(s, SQL_BY_NAME, user, ref, include_deleted, ref, v, err);
    if (rc == ODO_EINVAL)
        odo_err_set(err, ODO_EINVAL,
                    "the name '%.120s' is shared by more than one %svehicle: give its VIN or id "
                    "instead (see 'odolog vehicle list%s'), or rename one with 'odolog vehicle "
                    "edit ID --name NEW'",
                    ref, include_deleted ? "" : "live ", include_deleted ? " --all" : "");
    if (rc == ODO_ENOTFOUND)
        odo_err_set(err, ODO_ENOTFOUND,
                    "no %svehicle matches '%.120s' (give its id, VIN or name; see 'odolog "
                    "vehicle list%s')",
                    include_deleted ? "" : "live ", ref, include_deleted ? " --all" : "");
    return rc;
}

int odo_vehicle_only(struct odo_store *s, const char *user, struct odo_vehicle *v,
                     struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_LIVE, user, NULL, err);
    int rc;

    rc = with_odometer(s, user, odo_store_one(s, st, read_row, v, "vehicle", "", err), v, err);
    if (rc == ODO_ENOTFOUND)
        return odo_err_set(err, ODO_ENOTFOUND,
                           "there is no vehicle yet: add one with 'odolog vehicle add'");
    if (rc == ODO_EINVAL)
        return odo_err_set(err, ODO_EINVAL,
                           "there are several vehicles: say which with --vehicle ID|VIN|NAME");
    return rc;
}

/* odo_vehicle_list's rows, each completed with its current odometer. */
struct list {
    struct odo_store *s;
    const char *user;
    int (*fn)(const struct odo_vehicle *v, void *ctx);
    void *ctx;
    struct odo_err *err;
};

static int list_row(sqlite3_stmt *st, void *ctx)
{
    const struct list *l = ctx;
    struct odo_vehicle v;

    read_row(st, &v);
    if (odo_vehicle_odometer(l->s, l->user, v.id, &v.odometer, l->err) != 0)
        return ODO_ESTORAGE;
    return l->fn(&v, l->ctx) != 0;
}

int odo_vehicle_list(struct odo_store *s, const char *user, bool include_deleted,
                     int (*fn)(const struct odo_vehicle *v, void *ctx), void *ctx,
                     struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_LIST, user, NULL, err);
    struct list l = {s, user, fn, ctx, err};

    if (st)
        sqlite3_bind_int(st, 2, include_deleted);
    return odo_store_each(s, st, list_row, &l, "listing vehicles", err);
}

int odo_vehicle_require_live(struct odo_store *s, const char *user, const char *vehicle_id,
                             struct odo_vehicle *v, struct odo_err *err)
{
    struct odo_vehicle tmp;
    int rc = get_row(s, user, vehicle_id, v ? v : &tmp, err);

    if (rc == 0 && (v ? v : &tmp)->deleted_at[0])
        return odo_err_set(err, ODO_ENOTFOUND,
                           "vehicle %s is deleted: restore it first with 'odolog vehicle "
                           "restore'",
                           vehicle_id);
    return rc;
}

int odo_vehicle_update(struct odo_store *s, const char *user, struct odo_vehicle *v,
                       struct odo_err *err)
{
    struct odo_vehicle old;
    char now[ODO_TIME_TEXT_LEN + 1];
    int64_t readings = 0;
    bool given = v->name[0] != '\0';
    sqlite3_stmt *st;
    int rc;

    if ((rc = odo_user_check(user, err)) || (rc = check_fields(s, v, err)))
        return rc;
    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_vehicle_require_live(s, user, v->id, &old, err)) ||
        (rc = check_vin_free(s, user, v->vin, v->id, err)) ||
        (strcasecmp(old.name, v->name) != 0 && (rc = check_name_free(s, user, v, given, err))))
        goto out_rollback;
    if (old.odometer_unit != v->odometer_unit) {
        st = odo_store_bound(s, SQL_HAS_READINGS, v->id, user, err);
        if ((rc = odo_store_row(s, st, read_int, &readings, NULL, "checking the readings", err)))
            goto out_rollback;
        if (readings) {
            rc = odo_err_set(err, ODO_EINVAL,
                             "the odometer unit of '%s' cannot change: it has readings in %s",
                             old.name, odo_dist_unit_name(old.odometer_unit));
            goto out_rollback;
        }
    }
    if ((rc = write_row(s, SQL_UPDATE, user, v, now, "saving the vehicle", err)))
        goto out_rollback;
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}

int odo_vehicle_remove(struct odo_store *s, const char *user, const char *id, struct odo_err *err)
{
    int rc;

    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_vehicle_require_live(s, user, id, NULL, err)) ||
        (rc = odo_store_soft_delete(s, &REMOVE, user, id, NULL, err)))
        goto out_rollback;
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}

int odo_vehicle_restore(struct odo_store *s, const char *user, const char *id, struct odo_err *err)
{
    struct odo_vehicle v;
    int rc;

    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_vehicle_get(s, user, id, &v, err)))
        goto out_rollback;
    if (!v.deleted_at[0]) {
        rc = odo_err_set(err, ODO_ENOTFOUND, "vehicle '%s' is not deleted", v.name);
        goto out_rollback;
    }
    if ((rc = check_vin_free(s, user, v.vin, v.id, err)) ||
        (rc = check_name_free(s, user, &v, true, err)) ||
        (rc = odo_store_soft_delete(s, &RESTORE, user, id, v.deleted_at, err)))
        goto out_rollback;
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}
