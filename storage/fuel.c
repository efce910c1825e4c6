/*
 * The fuel-log repository.
 */
#include "storage/fuel.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "platform/decimal.h"
#include "storage/internal.h"
#include "storage/odometer.h"

#define FUEL_COLS                                                                                  \
    "id, vehicle_id, filled_at, odometer, volume, volume_unit, unit_price, total_cost, "           \
    "currency, is_full, missed, station, notes, created_at, updated_at, deleted_at"

static const char SQL_INSERT[] =
    "INSERT INTO fuel_logs (id, user_id, vehicle_id, filled_at, odometer, volume, volume_unit, "
    "unit_price, total_cost, currency, is_full, missed, station, notes, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)";
static const char SQL_UPDATE[] =
    "UPDATE fuel_logs SET vehicle_id = ?3, filled_at = ?4, odometer = ?5, volume = ?6, "
    "volume_unit = ?7, unit_price = ?8, total_cost = ?9, currency = ?10, is_full = ?11, "
    "missed = ?12, station = ?13, notes = ?14, updated_at = ?15 "
    "WHERE id = ?1 AND user_id = ?2 AND deleted_at IS NULL";
static const char SQL_GET[] = "SELECT " FUEL_COLS " FROM fuel_logs WHERE user_id = ?1 AND id = ?2";
static const char SQL_BY_REF[] =
    "SELECT " FUEL_COLS " FROM fuel_logs WHERE user_id = ?1 AND " ODO_SQL_ID_MATCH(
        "id", "?2") " AND (deleted_at IS NULL) = (?3 = 0) LIMIT 2";
static const struct odo_soft_delete REMOVE = {
    "fuel log with id", "deleting the fuel log", {ODO_SQL_SOFT_DELETE("fuel_logs", "id")}};
static const char SQL_LAST[] =
    "SELECT " FUEL_COLS " FROM fuel_logs WHERE user_id = ?1 AND (?2 IS NULL OR vehicle_id = ?2) "
    "AND deleted_at IS NULL ORDER BY filled_at DESC, odometer DESC LIMIT 1";
static const struct odo_soft_delete RESTORE = {
    "fuel log with id", "restoring the fuel log", {ODO_SQL_RESTORE("fuel_logs", "id")}};
/* A forced reading after the previous fill and at or before this one breaks the chain. */
static const char SQL_LIST[] =
    "SELECT " FUEL_COLS ", EXISTS (SELECT 1 FROM odometer_readings r WHERE r.vehicle_id = "
    "f.vehicle_id AND r.user_id = f.user_id AND r.forced = 1 AND r.deleted_at IS NULL "
    "AND r.read_at <= f.filled_at AND r.read_at > coalesce(f.prev_at, '')) "
    "FROM (SELECT *, lag(filled_at) OVER (ORDER BY filled_at, odometer) AS prev_at "
    "FROM fuel_logs WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL) AS f "
    "ORDER BY filled_at, odometer";

int64_t odo_fuel_volume_max(enum odo_vol_unit u)
{
    switch (u) {
    case ODO_VOL_GAL_US:
        return 530000;
    case ODO_VOL_GAL_IMP:
        return 440000;
    case ODO_VOL_L:
    default:
        return 2000000;
    }
}

static void read_row(sqlite3_stmt *st, void *out)
{
    struct odo_fuel_log *f = out;
    char unit[8];

    memset(f, 0, sizeof(*f));
    odo_column_text(st, 0, f->id, sizeof(f->id));
    odo_column_text(st, 1, f->vehicle_id, sizeof(f->vehicle_id));
    f->filled_at = odo_column_time(st, 2);
    f->odometer = sqlite3_column_int64(st, 3);
    f->volume = sqlite3_column_int64(st, 4);
    odo_column_text(st, 5, unit, sizeof(unit));
    if (odo_vol_unit_parse(unit, &f->volume_unit, NULL) != 0)
        f->volume_unit = ODO_VOL_L;
    f->unit_price = odo_column_int(st, 6, ODO_NONE);
    f->total_cost = odo_column_int(st, 7, ODO_NONE);
    odo_column_text(st, 8, f->currency, sizeof(f->currency));
    f->full = sqlite3_column_int(st, 9) != 0;
    f->missed = sqlite3_column_int(st, 10) != 0;
    odo_column_text(st, 11, f->station, sizeof(f->station));
    odo_column_text(st, 12, f->notes, sizeof(f->notes));
    odo_column_text(st, 13, f->created_at, sizeof(f->created_at));
    odo_column_text(st, 14, f->updated_at, sizeof(f->updated_at));
    odo_column_text(st, 15, f->deleted_at, sizeof(f->deleted_at));
}

/* Checks the fields that need no database, and completes price or total; *field names the
 * field a refusal is about. */
static int check_fields(struct odo_store *s, struct odo_fuel_log *f, enum odo_fuel_field *field,
                        struct odo_err *err)
{
    char a[ODO_DEC_TEXT_MAX], b[ODO_DEC_TEXT_MAX], c[ODO_DEC_TEXT_MAX], d[ODO_DEC_TEXT_MAX];
    int rc;

    *field = ODO_FUEL_FIELD_VOLUME;
    if (f->volume <= 0)
        return odo_err_set(err, ODO_EINVAL, "the volume must be more than zero");
    if (f->volume > odo_fuel_volume_max(f->volume_unit))
        return odo_err_set(
            err, ODO_EINVAL,
            "a fill of %s %s is not plausible (at most %s %s); check the number "
            "and the unit",
            odo_dec_format(f->volume, ODO_SCALE_VOLUME, 0, a, sizeof(a)),
            odo_vol_unit_name(f->volume_unit),
            odo_dec_format(odo_fuel_volume_max(f->volume_unit), ODO_SCALE_VOLUME, 0, b, sizeof(b)),
            odo_vol_unit_name(f->volume_unit));
    *field = ODO_FUEL_FIELD_PRICE;
    if (f->unit_price != ODO_NONE && (f->unit_price < 0 || f->unit_price > ODO_UNIT_PRICE_MAX))
        return odo_err_set(err, ODO_EINVAL, "the price per unit must be between 0 and 100000");
    *field = ODO_FUEL_FIELD_TOTAL;
    if (f->total_cost != ODO_NONE && (f->total_cost < 0 || f->total_cost > ODO_MONEY_MAX))
        return odo_err_set(err, ODO_EINVAL, "the total must be between 0 and 10000000");
    *field = ODO_FUEL_FIELD_DATE;
    if (f->filled_at > odo_clock_now(s->clock) + 86400000LL)
        return odo_err_set(err, ODO_EINVAL, "the fill-up is dated more than a day ahead");
    *field = ODO_FUEL_FIELD_CURRENCY;
    if ((rc = odo_currency_check(f->currency, err)))
        return rc;
    *field = ODO_FUEL_FIELD_STATION;
    if ((rc = odo_text_check(f->station, ODO_LABEL_MAX, "the station", err)))
        return rc;
    *field = ODO_FUEL_FIELD_NOTES;
    if ((rc = odo_text_check(f->notes, ODO_NOTES_MAX, "the notes", err)))
        return rc;
    /* volume (scale 3) * price (scale 3) is scale 6; the total has scale 2. */
    *field = ODO_FUEL_FIELD_TOTAL;
    if (f->unit_price != ODO_NONE && f->total_cost != ODO_NONE) {
        int64_t want = odo_muldiv_round((uint64_t)f->volume, (uint64_t)f->unit_price, 10000, 1);
        int64_t price = odo_muldiv_round((uint64_t)f->total_cost, 10000, (uint64_t)f->volume, 1);
        if ((want - f->total_cost > ODO_FUEL_TOTAL_SLACK ||
             f->total_cost - want > ODO_FUEL_TOTAL_SLACK) &&
            price != f->unit_price)
            return odo_err_set(
                err, ODO_EINVAL,
                "%s %s at %s a unit costs %s, not the total %s: give the price or the "
                "total and the other is computed (or correct the one that is wrong)",
                odo_dec_format(f->volume, ODO_SCALE_VOLUME, 0, a, sizeof(a)),
                odo_vol_unit_label(f->volume_unit),
                odo_dec_format(f->unit_price, ODO_SCALE_PRICE, 2, b, sizeof(b)),
                odo_dec_format(want, ODO_SCALE_MONEY, 2, c, sizeof(c)),
                odo_dec_format(f->total_cost, ODO_SCALE_MONEY, 2, d, sizeof(d)));
    }
    if (f->unit_price != ODO_NONE && f->total_cost == ODO_NONE)
        f->total_cost = odo_muldiv_round((uint64_t)f->volume, (uint64_t)f->unit_price, 10000, 1);
    else if (f->total_cost != ODO_NONE && f->unit_price == ODO_NONE)
        f->unit_price = odo_muldiv_round((uint64_t)f->total_cost, 10000, (uint64_t)f->volume, 1);
    if (f->total_cost > ODO_MONEY_MAX)
        return odo_err_set(err, ODO_EINVAL, "the total of this fill-up is not plausible");
    *field = ODO_FUEL_FIELD_NONE;
    if (f->total_cost == ODO_NONE)
        f->currency[0] = '\0';
    return 0;
}

static void bind_fields(sqlite3_stmt *st, const struct odo_fuel_log *f, const char *at,
                        const char *now)
{
    sqlite3_bind_text(st, 3, f->vehicle_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, f->odometer);
    sqlite3_bind_int64(st, 6, f->volume);
    sqlite3_bind_text(st, 7, odo_vol_unit_name(f->volume_unit), -1, SQLITE_STATIC);
    odo_bind_int(st, 8, f->unit_price, f->unit_price != ODO_NONE);
    odo_bind_int(st, 9, f->total_cost, f->total_cost != ODO_NONE);
    odo_bind_text(st, 10, f->currency);
    sqlite3_bind_int(st, 11, f->full);
    sqlite3_bind_int(st, 12, f->missed);
    odo_bind_text(st, 13, f->station);
    odo_bind_text(st, 14, f->notes);
    sqlite3_bind_text(st, 15, now, -1, SQLITE_STATIC);
}

int64_t odo_fuel_jump_limit_um(int64_t volume_pl)
{
    /* ODO_FUEL_JUMP_KM_PER_L km per litre: 1e9 um per km over 1e12 pL per litre. */
    int64_t by_fuel = volume_pl / 1000 * ODO_FUEL_JUMP_KM_PER_L;
    int64_t floor = (int64_t)ODO_FUEL_JUMP_MIN_KM * 1000000000LL;

    return by_fuel > floor ? by_fuel : floor;
}

/* Refuses a distance since the previous odometer value that no car covers on one tank, unless
 * the fill says fill-ups were missed or the person confirmed it. */
static int check_jump(struct odo_store *s, const char *user, const struct odo_vehicle *v,
                      const struct odo_fuel_log *f, bool is_new, struct odo_err *err)
{
    char a[ODO_DEC_TEXT_MAX], b[ODO_DEC_TEXT_MAX], c[ODO_DEC_TEXT_MAX], d[ODO_DEC_TEXT_MAX];
    const char *unit = odo_dist_unit_name(v->odometer_unit);
    int64_t prev, jump_um, limit_um;
    int rc;

    if (f->missed)
        return 0;
    if ((rc = odo_odometer_previous(s, user, v, f->filled_at, is_new ? NULL : f->id, &prev, err)) ||
        prev == ODO_NONE || f->odometer <= prev)
        return rc;
    jump_um = odo_dist_to_um(f->odometer - prev, v->odometer_unit);
    limit_um = odo_fuel_jump_limit_um(odo_vol_to_pl(f->volume, f->volume_unit));
    if (jump_um <= limit_um)
        return 0;
    return odo_err_set(
        err, ODO_EINVAL,
        "odometer %s %s is %s %s past the previous value (%s %s): more than any car goes on "
        "%s %s. Check for a typo (a wrong earlier value: 'odolog fuel edit ID'), or if it is "
        "right add --missed or --confirm-distance",
        odo_dec_format(f->odometer, ODO_SCALE_DISTANCE, 0, a, sizeof(a)), unit,
        odo_dec_format(f->odometer - prev, ODO_SCALE_DISTANCE, 0, b, sizeof(b)), unit,
        odo_dec_format(prev, ODO_SCALE_DISTANCE, 0, c, sizeof(c)), unit,
        odo_dec_format(f->volume, ODO_SCALE_VOLUME, 0, d, sizeof(d)),
        odo_vol_unit_label(f->volume_unit));
}

int odo_fuel_check(struct odo_store *s, struct odo_fuel_log *log, struct odo_err *err)
{
    enum odo_fuel_field ignored;

    return check_fields(s, log, &ignored, err);
}

int odo_fuel_save(struct odo_store *s, const char *user, struct odo_fuel_log *f, unsigned flags,
                  enum odo_fuel_field *field, struct odo_err *err)
{
    bool is_new = (flags & ODO_FUEL_NEW) != 0;
    enum odo_fuel_field ignored;
    struct odo_vehicle v;
    char now[ODO_TIME_TEXT_LEN + 1], at[ODO_TIME_TEXT_LEN + 1];
    sqlite3_stmt *st;
    int rc;

    if (!field)
        field = &ignored;
    *field = ODO_FUEL_FIELD_NONE;
    if ((rc = odo_user_check(user, err)) || (rc = check_fields(s, f, field, err)))
        return rc;
    if ((rc = odo_store_begin(s, err)))
        return rc;
    if (!is_new) {
        struct odo_fuel_log old;
        if ((rc = odo_fuel_get(s, user, f->id, &old, err)))
            goto out_rollback;
        if (old.deleted_at[0]) {
            rc = odo_err_set(err, ODO_ENOTFOUND, "fuel log %s is deleted", f->id);
            goto out_rollback;
        }
    }
    if ((rc = odo_vehicle_require_live(s, user, f->vehicle_id, &v, err))) {
        *field = ODO_FUEL_FIELD_VEHICLE;
        goto out_rollback;
    }
    if ((rc = odo_odometer_check(s, user, &v, f->filled_at, f->odometer, false,
                                 is_new ? NULL : f->id, err)) ||
        (!(flags & ODO_FUEL_CONFIRM_DISTANCE) && (rc = check_jump(s, user, &v, f, is_new, err)))) {
        *field = ODO_FUEL_FIELD_ODOMETER;
        goto out_rollback;
    }
    if (is_new && (rc = odo_store_new_id(s, f->id, err)))
        goto out_rollback;
    st = odo_store_bound(s, is_new ? SQL_INSERT : SQL_UPDATE, f->id, user, err);
    if (!st) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    odo_store_now_text(s, now);
    odo_time_format(f->filled_at, at);
    bind_fields(st, f, at, now);
    if ((rc = odo_store_step_done(s, st, err, "saving the fuel log")))
        goto out_rollback;
    if ((rc = odo_store_commit(s, err)))
        return rc;
    if (is_new)
        memcpy(f->created_at, now, sizeof(now));
    memcpy(f->updated_at, now, sizeof(now));
    return 0;
out_rollback:
    odo_store_rollback(s);
    return rc;
}

int odo_fuel_insert(struct odo_store *s, const char *user, struct odo_fuel_log *f,
                    struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1], at[ODO_TIME_TEXT_LEN + 1];
    sqlite3_stmt *st;
    int rc;

    if ((rc = odo_store_new_id(s, f->id, err)))
        return rc;
    st = odo_store_bound(s, SQL_INSERT, f->id, user, err);
    if (!st)
        return ODO_ESTORAGE;
    odo_store_now_text(s, now);
    odo_time_format(f->filled_at, at);
    bind_fields(st, f, at, now);
    if ((rc = odo_store_step_done(s, st, err, "saving the fuel log")))
        return rc;
    memcpy(f->created_at, now, sizeof(now));
    memcpy(f->updated_at, now, sizeof(now));
    return 0;
}

/* Staged fill-ups (storage/bulk.c makes the tables): checked rows waiting for one INSERT ...
 * SELECT, which spares each row the statement journal and savepoint of an INSERT of its own. */
static const char SQL_STAGE[] =
    "INSERT INTO temp.fuel_staged (id, user_id, vehicle_id, filled_at, odometer, volume, "
    "volume_unit, unit_price, total_cost, currency, is_full, missed, station, notes, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
static const char SQL_FLUSH[] =
    "INSERT INTO main.fuel_logs (id, user_id, vehicle_id, filled_at, odometer, volume, "
    "volume_unit, unit_price, total_cost, currency, is_full, missed, station, notes, created_at, "
    "updated_at) SELECT id, user_id, vehicle_id, filled_at, odometer, volume, volume_unit, "
    "unit_price, total_cost, currency, is_full, missed, station, notes, created_at, created_at "
    "FROM temp.fuel_staged ORDER BY seq";
static const char SQL_UNSTAGE[] = "DELETE FROM temp.fuel_staged";

int odo_fuel_stage(struct odo_store *s, const char *user, struct odo_fuel_log *f,
                   struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1], at[ODO_TIME_TEXT_LEN + 1];
    sqlite3_stmt *st;
    int rc;

    if ((rc = odo_store_staging(s, err)) || (rc = odo_store_new_id(s, f->id, err)))
        return rc;
    st = odo_store_bound(s, SQL_STAGE, f->id, user, err);
    if (!st)
        return ODO_ESTORAGE;
    odo_store_now_text(s, now);
    odo_time_format(f->filled_at, at);
    bind_fields(st, f, at, now);
    if ((rc = odo_store_step_done(s, st, err, "staging the fuel log")))
        return rc;
    memcpy(f->created_at, now, sizeof(now));
    memcpy(f->updated_at, now, sizeof(now));
    return 0;
}

int odo_fuel_flush(struct odo_store *s, struct odo_err *err)
{
    sqlite3_stmt *st;
    bool was_off = s->capture_off;
    int rc;

    if (!s->staging)
        return 0;
    /* One statement for the rows, one for their capture: a trigger a row costs as much again
     * as the row. */
    s->capture_off = true;
    st = odo_store_stmt(s, SQL_FLUSH, err);
    rc = st ? odo_store_step_done(s, st, err, "saving the staged fuel logs") : ODO_ESTORAGE;
    s->capture_off = was_off;
    if (rc ||
        (!was_off && (rc = odo_store_capture_inserts(s, "fuel_logs", "temp.fuel_staged", err))))
        return rc;
    if (!(st = odo_store_stmt(s, SQL_UNSTAGE, err)))
        return ODO_ESTORAGE;
    return odo_store_step_done(s, st, err, "saving the staged fuel logs");
}

int odo_fuel_add(struct odo_store *s, const char *user, struct odo_fuel_log *log,
                 struct odo_err *err)
{
    return odo_fuel_save(s, user, log, ODO_FUEL_NEW, NULL, err);
}

int odo_fuel_update(struct odo_store *s, const char *user, struct odo_fuel_log *log,
                    struct odo_err *err)
{
    return odo_fuel_save(s, user, log, 0, NULL, err);
}

int odo_fuel_get(struct odo_store *s, const char *user, const char *id, struct odo_fuel_log *log,
                 struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_GET, user, id, err);

    return odo_store_one(s, st, read_row, log, "fuel log", id, err);
}

int odo_fuel_last(struct odo_store *s, const char *user, const char *vehicle_id,
                  struct odo_fuel_log *log, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_LAST, err);

    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    odo_bind_text(st, 2, vehicle_id);
    return odo_store_one(s, st, read_row, log, "fill-up", user, err);
}

int odo_fuel_find(struct odo_store *s, const char *user, const char *ref, bool deleted,
                  struct odo_fuel_log *log, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_BY_REF, user, ref, err);

    if (st)
        sqlite3_bind_int(st, 3, deleted);
    return odo_store_one(s, st, read_row, log, deleted ? "deleted fuel log" : "live fuel log", ref,
                         err);
}

int odo_fuel_resolve(struct odo_store *s, const char *user, const char *ref,
                     struct odo_fuel_log *log, struct odo_err *err)
{
    return odo_fuel_find(s, user, ref, false, log, err);
}

int odo_fuel_remove(struct odo_store *s, const char *user, const char *id, struct odo_err *err)
{
    return odo_store_soft_delete(s, &REMOVE, user, id, NULL, err);
}

int odo_fuel_restore(struct odo_store *s, const char *user, const char *id, struct odo_err *err)
{
    struct odo_fuel_log f;
    struct odo_vehicle v;
    int rc;

    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_fuel_get(s, user, id, &f, err)))
        goto out_rollback;
    if (!f.deleted_at[0]) {
        rc = odo_err_set(err, ODO_ENOTFOUND, "fuel log %s is not deleted", id);
        goto out_rollback;
    }
    /* Back among the live rows, it must fit the odometer rule as a new one would. */
    if ((rc = odo_vehicle_require_live(s, user, f.vehicle_id, &v, err)) ||
        (rc = odo_odometer_check(s, user, &v, f.filled_at, f.odometer, false, f.id, err)) ||
        (rc = odo_store_soft_delete(s, &RESTORE, user, id, f.deleted_at, err)))
        goto out_rollback;
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}

/* odo_fuel_list's rows: each log, and whether a forced reading before it broke the chain. */
struct list {
    int (*fn)(const struct odo_fuel_log *log, bool reset, void *ctx);
    void *ctx;
};

static int list_row(sqlite3_stmt *st, void *ctx)
{
    const struct list *l = ctx;
    struct odo_fuel_log f;

    read_row(st, &f);
    return l->fn(&f, sqlite3_column_int(st, 16) != 0, l->ctx) != 0;
}

int odo_fuel_list(struct odo_store *s, const char *user, const char *vehicle_id,
                  int (*fn)(const struct odo_fuel_log *log, bool reset, void *ctx), void *ctx,
                  struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_LIST, vehicle_id, user, err);
    struct list l = {fn, ctx};

    return odo_store_each(s, st, list_row, &l, "listing fuel logs", err);
}

void odo_fuel_to_fill(const struct odo_fuel_log *log, enum odo_dist_unit odo_unit,
                      struct odo_fill *out)
{
    out->odometer_um = odo_dist_to_um(log->odometer, odo_unit);
    out->volume_pl = odo_vol_to_pl(log->volume, log->volume_unit);
    out->full = log->full;
    out->missed = log->missed;
}
