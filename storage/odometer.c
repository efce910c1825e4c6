/*
 * The odometer repository and the monotonic-odometer rule.
 */
#include "storage/odometer.h"

#include <stdio.h>
#include <string.h>

#include "platform/decimal.h"
#include "storage/internal.h"

/* clang-format off */
/*
 * Only readings can be forced. The series a value at ?3 belongs to starts at the latest forced
 * reading at or before it and ends before the next one. The SQL below is laid out by hand.
 */
static const char SQL_SERIES_START[] =
    "SELECT max(read_at) FROM odometer_readings WHERE vehicle_id = ?1 AND user_id = ?2 "
    "AND forced = 1 AND deleted_at IS NULL AND read_at <= ?3 AND id IS NOT ?4";
static const char SQL_SERIES_END[] =
    "SELECT min(read_at) FROM odometer_readings WHERE vehicle_id = ?1 AND user_id = ?2 "
    "AND forced = 1 AND deleted_at IS NULL AND read_at > ?3 AND id IS NOT ?4";

/*
 * The neighbours a new value must sit between, to name them in an error: of the latest value of
 * each kind at or before ?3 (and not before the series start ?5) the highest, and of the
 * earliest of each kind after ?3 (and before the series end ?5) the lowest. Within a series
 * values rise with time, so the latest is the highest; each is one index seek per table rather
 * than a scan of the vehicle's history.
 */
static const char SQL_BELOW[] =
    "SELECT odometer, at, source FROM ("
    "SELECT * FROM (SELECT odometer, filled_at AS at, 'fuel_logs' AS source FROM fuel_logs "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "AND filled_at <= ?3 AND filled_at >= coalesce(?5, '') AND id IS NOT ?4 "
    "ORDER BY filled_at DESC, odometer DESC LIMIT 1)"
    " UNION ALL "
    "SELECT * FROM (SELECT odometer, read_at AS at, 'odometer_readings' AS source "
    "FROM odometer_readings "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "AND read_at <= ?3 AND read_at >= coalesce(?5, '') AND id IS NOT ?4 "
    "ORDER BY read_at DESC, odometer DESC LIMIT 1)"
    " UNION ALL "
    "SELECT * FROM (SELECT odometer, performed_at AS at, 'service_records' AS source "
    "FROM service_records "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL AND odometer IS NOT NULL "
    "AND performed_at <= ?3 AND performed_at >= coalesce(?5, '') AND id IS NOT ?4 "
    "ORDER BY performed_at DESC, odometer DESC LIMIT 1)"
    ") ORDER BY odometer DESC, at DESC LIMIT 1";
static const char SQL_ABOVE[] =
    "SELECT odometer, at, source FROM ("
    "SELECT * FROM (SELECT odometer, filled_at AS at, 'fuel_logs' AS source FROM fuel_logs "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "AND filled_at > ?3 AND (?5 IS NULL OR filled_at < ?5) AND id IS NOT ?4 "
    "ORDER BY filled_at ASC, odometer ASC LIMIT 1)"
    " UNION ALL "
    "SELECT * FROM (SELECT odometer, read_at AS at, 'odometer_readings' AS source "
    "FROM odometer_readings "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "AND read_at > ?3 AND (?5 IS NULL OR read_at < ?5) AND id IS NOT ?4 "
    "ORDER BY read_at ASC, odometer ASC LIMIT 1)"
    " UNION ALL "
    "SELECT * FROM (SELECT odometer, performed_at AS at, 'service_records' AS source "
    "FROM service_records "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL AND odometer IS NOT NULL "
    "AND performed_at > ?3 AND (?5 IS NULL OR performed_at < ?5) AND id IS NOT ?4 "
    "ORDER BY performed_at ASC, odometer ASC LIMIT 1)"
    ") ORDER BY odometer ASC, at ASC LIMIT 1";

/*
 * The fast path of the rule, in one statement: the highest value the new one must not be below
 * (NULL for a forced value) and the lowest it must not be above (1e18 when there is none). Each
 * scalar subquery is one index seek; the queries above run only to word an error.
 */
static const char SQL_BOUNDS[] =
    "WITH b AS (SELECT coalesce((SELECT max(read_at) FROM odometer_readings "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND forced = 1 AND deleted_at IS NULL "
    "AND read_at <= ?3 AND id IS NOT ?4), '') AS lo, "
    "(SELECT min(read_at) FROM odometer_readings "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND forced = 1 AND deleted_at IS NULL "
    "AND read_at > ?3 AND id IS NOT ?4) AS hi) "
    "SELECT CASE WHEN ?5 THEN NULL ELSE max("
    "coalesce((SELECT odometer FROM fuel_logs WHERE vehicle_id = ?1 AND user_id = ?2 "
    "AND deleted_at IS NULL AND filled_at <= ?3 AND filled_at >= b.lo AND id IS NOT ?4 "
    "ORDER BY filled_at DESC, odometer DESC LIMIT 1), -1), "
    "coalesce((SELECT odometer FROM odometer_readings WHERE vehicle_id = ?1 AND user_id = ?2 "
    "AND deleted_at IS NULL AND read_at <= ?3 AND read_at >= b.lo AND id IS NOT ?4 "
    "ORDER BY read_at DESC, odometer DESC LIMIT 1), -1), "
    "coalesce((SELECT odometer FROM service_records WHERE vehicle_id = ?1 AND user_id = ?2 "
    "AND deleted_at IS NULL AND odometer IS NOT NULL AND performed_at <= ?3 "
    "AND performed_at >= b.lo AND id IS NOT ?4 "
    "ORDER BY performed_at DESC, odometer DESC LIMIT 1), -1)) END, "
    "min("
    "coalesce((SELECT odometer FROM fuel_logs WHERE vehicle_id = ?1 AND user_id = ?2 "
    "AND deleted_at IS NULL AND filled_at > ?3 AND (b.hi IS NULL OR filled_at < b.hi) "
    "AND id IS NOT ?4 ORDER BY filled_at ASC, odometer ASC LIMIT 1), 1e18), "
    "coalesce((SELECT odometer FROM odometer_readings WHERE vehicle_id = ?1 AND user_id = ?2 "
    "AND deleted_at IS NULL AND read_at > ?3 AND (b.hi IS NULL OR read_at < b.hi) "
    "AND id IS NOT ?4 ORDER BY read_at ASC, odometer ASC LIMIT 1), 1e18), "
    "coalesce((SELECT odometer FROM service_records WHERE vehicle_id = ?1 AND user_id = ?2 "
    "AND deleted_at IS NULL AND odometer IS NOT NULL AND performed_at > ?3 "
    "AND (b.hi IS NULL OR performed_at < b.hi) "
    "AND id IS NOT ?4 ORDER BY performed_at ASC, odometer ASC LIMIT 1), 1e18)) FROM b";
/* clang-format on */

static const char SQL_INSERT[] =
    "INSERT INTO odometer_readings (id, user_id, vehicle_id, read_at, odometer, forced, notes, "
    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)";
static const char SQL_LIST[] =
    "SELECT id, vehicle_id, at, odometer, forced, source, "
    "(SELECT notes FROM odometer_readings r WHERE r.id = e.id) "
    "FROM odometer_events e WHERE vehicle_id = ?1 AND user_id = ?2 ORDER BY at, odometer";

/* The statement sql with the bindings every query of the rule shares. */
static sqlite3_stmt *rule_stmt(struct odo_store *s, const char *sql, const char *user,
                               const char *vehicle_id, const char *at, const char *exclude_id,
                               struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, sql, vehicle_id, user, err);

    if (st) {
        sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
        odo_bind_text(st, 4, exclude_id);
    }
    return st;
}

/* Runs a one-value query (text result or NULL) with the common bindings. */
static int series_bound(struct odo_store *s, const char *sql, const char *user,
                        const char *vehicle_id, const char *at, const char *exclude_id,
                        char out[ODO_TIME_TEXT_LEN + 1], struct odo_err *err)
{
    sqlite3_stmt *st = rule_stmt(s, sql, user, vehicle_id, at, exclude_id, err);

    if (!st)
        return ODO_ESTORAGE;
    return odo_store_text(s, st, out, ODO_TIME_TEXT_LEN + 1, "checking the odometer", err);
}

/* A neighbour of a value: its odometer, when (local time) and which table holds it. */
struct neighbour {
    int64_t value;
    char when[32];
    char source[24];
};

static void read_neighbour(sqlite3_stmt *st, void *out)
{
    struct neighbour *n = out;
    int64_t ms;
    char at[ODO_TIME_TEXT_LEN + 1];

    n->value = sqlite3_column_int64(st, 0);
    odo_column_text(st, 1, at, sizeof(at));
    odo_column_text(st, 2, n->source, sizeof(n->source));
    if (odo_time_parse(at, &ms, NULL) == 0)
        odo_time_format_local(ms, n->when);
    else
        snprintf(n->when, sizeof(n->when), "%s", at);
}

/* Finds the neighbour that value must not cross; *found is false when there is none. */
static int neighbour(struct odo_store *s, const char *sql, const char *user, const char *vehicle_id,
                     const char *at, const char *exclude_id, const char *bound, bool *found,
                     struct neighbour *n, struct odo_err *err)
{
    sqlite3_stmt *st = rule_stmt(s, sql, user, vehicle_id, at, exclude_id, err);

    if (!st)
        return ODO_ESTORAGE;
    odo_bind_text(st, 5, bound);
    return odo_store_row(s, st, read_neighbour, n, found, "checking the odometer", err);
}

static const char *source_label(const char *source)
{
    if (strcmp(source, "fuel_logs") == 0)
        return "a fuel log";
    if (strcmp(source, "service_records") == 0)
        return "a service record";
    return "a reading";
}

/* 0 when value fits between its neighbours, 1 when it does not, <0 on a storage error. */
struct bounds {
    int64_t value; /* the new value */
    bool outside;  /* below the highest it must not be below, or above the lowest */
};

static void read_bounds(sqlite3_stmt *st, void *out)
{
    struct bounds *b = out;

    if (sqlite3_column_type(st, 0) != SQLITE_NULL && sqlite3_column_int64(st, 0) > b->value)
        b->outside = true;
    if (sqlite3_column_double(st, 1) < (double)b->value)
        b->outside = true;
}

static int fits(struct odo_store *s, const char *user, const char *vehicle_id, const char *at,
                int64_t value, bool forced, const char *exclude_id, struct odo_err *err)
{
    sqlite3_stmt *st = rule_stmt(s, SQL_BOUNDS, user, vehicle_id, at, exclude_id, err);
    struct bounds b = {value, false};
    int rc;

    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_int(st, 5, forced);
    rc = odo_store_row(s, st, read_bounds, &b, NULL, "checking the odometer", err);
    return rc != 0 ? rc : b.outside;
}

int odo_odometer_check(struct odo_store *s, const char *user, const struct odo_vehicle *v,
                       int64_t at, int64_t value, bool forced, const char *exclude_id,
                       struct odo_err *err)
{
    char at_text[ODO_TIME_TEXT_LEN + 1], start[ODO_TIME_TEXT_LEN + 1], end[ODO_TIME_TEXT_LEN + 1];
    char a[ODO_DEC_TEXT_MAX], b[ODO_DEC_TEXT_MAX];
    const char *unit = odo_dist_unit_name(v->odometer_unit);
    struct neighbour other;
    bool found;
    int rc;

    if (value < 0 || value > ODO_ODOMETER_MAX)
        return odo_err_set(err, ODO_EINVAL, "an odometer reads 0 to 9999999.9 %s", unit);
    odo_time_format(at, at_text);
    if ((rc = fits(s, user, v->id, at_text, value, forced, exclude_id, err)) <= 0)
        return rc;
    /* It does not fit: find which reading it collides with, to say so. */
    if ((rc = series_bound(s, SQL_SERIES_END, user, v->id, at_text, exclude_id, end, err)))
        return rc;
    /* A forced value starts a series: nothing before it binds it. */
    if (!forced) {
        if ((rc =
                 series_bound(s, SQL_SERIES_START, user, v->id, at_text, exclude_id, start, err)) ||
            (rc = neighbour(s, SQL_BELOW, user, v->id, at_text, exclude_id, start, &found, &other,
                            err)))
            return rc;
        if (found && other.value > value)
            return odo_err_set(
                err, ODO_EINVAL,
                "odometer %s %s is lower than %s %s recorded by %s on %s; odometers do not go "
                "backwards (if the instrument cluster was replaced, record the new reading with "
                "'odolog odo add --forced')",
                odo_dec_format(value, ODO_SCALE_DISTANCE, 0, a, sizeof(a)), unit,
                odo_dec_format(other.value, ODO_SCALE_DISTANCE, 0, b, sizeof(b)), unit,
                source_label(other.source), other.when);
    }
    if ((rc = neighbour(s, SQL_ABOVE, user, v->id, at_text, exclude_id, end[0] ? end : NULL, &found,
                        &other, err)))
        return rc;
    if (found && other.value < value)
        return odo_err_set(err, ODO_EINVAL,
                           "odometer %s %s is higher than %s %s recorded later, by %s on %s; "
                           "check the reading and its date",
                           odo_dec_format(value, ODO_SCALE_DISTANCE, 0, a, sizeof(a)), unit,
                           odo_dec_format(other.value, ODO_SCALE_DISTANCE, 0, b, sizeof(b)), unit,
                           source_label(other.source), other.when);
    return 0;
}

int odo_odometer_add(struct odo_store *s, const char *user, struct odo_reading *r,
                     struct odo_err *err)
{
    struct odo_vehicle v;
    char now[ODO_TIME_TEXT_LEN + 1], at[ODO_TIME_TEXT_LEN + 1];
    sqlite3_stmt *st;
    int rc;

    if ((rc = odo_text_check(r->notes, ODO_NOTES_MAX, "the notes", err)))
        return rc;
    if (r->read_at > odo_clock_now(s->clock) + 86400000LL)
        return odo_err_set(err, ODO_EINVAL, "the reading is dated more than a day ahead");
    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_vehicle_require_live(s, user, r->vehicle_id, &v, err)) ||
        (rc = odo_odometer_check(s, user, &v, r->read_at, r->odometer, r->forced, NULL, err)) ||
        (rc = odo_store_new_id(s, r->id, err)))
        goto out_rollback;
    st = odo_store_bound(s, SQL_INSERT, r->id, user, err);
    if (!st) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    odo_store_now_text(s, now);
    odo_time_format(r->read_at, at);
    sqlite3_bind_text(st, 3, r->vehicle_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, r->odometer);
    sqlite3_bind_int(st, 6, r->forced);
    odo_bind_text(st, 7, r->notes);
    sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
    if ((rc = odo_store_step_done(s, st, err, "adding the reading")))
        goto out_rollback;
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}

/* One odometer value of any kind, as odometer_events gives it. */
static void read_event(sqlite3_stmt *st, struct odo_reading *r)
{
    memset(r, 0, sizeof(*r));
    odo_column_text(st, 0, r->id, sizeof(r->id));
    odo_column_text(st, 1, r->vehicle_id, sizeof(r->vehicle_id));
    r->read_at = odo_column_time(st, 2);
    r->odometer = sqlite3_column_int64(st, 3);
    r->forced = sqlite3_column_int(st, 4) != 0;
    odo_column_text(st, 5, r->source, sizeof(r->source));
    odo_column_text(st, 6, r->notes, sizeof(r->notes));
}

ODO_STORE_LISTING(list, struct odo_reading, read_event)

int odo_odometer_list(struct odo_store *s, const char *user, const char *vehicle_id,
                      int (*fn)(const struct odo_reading *r, void *ctx), void *ctx,
                      struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_LIST, vehicle_id, user, err);
    struct list l = {fn, ctx};

    return odo_store_each(s, st, list_row, &l, "listing odometer readings", err);
}
