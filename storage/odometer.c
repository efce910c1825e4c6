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
    "SELECT odometer, at, source, id FROM ("
    "SELECT * FROM (SELECT odometer, filled_at AS at, 'fuel_logs' AS source, id FROM fuel_logs "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "AND filled_at <= ?3 AND filled_at >= coalesce(?5, '') AND id IS NOT ?4 "
    "ORDER BY filled_at DESC, odometer DESC LIMIT 1)"
    " UNION ALL "
    "SELECT * FROM (SELECT odometer, read_at AS at, 'odometer_readings' AS source, id "
    "FROM odometer_readings "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "AND read_at <= ?3 AND read_at >= coalesce(?5, '') AND id IS NOT ?4 "
    "ORDER BY read_at DESC, odometer DESC LIMIT 1)"
    " UNION ALL "
    "SELECT * FROM (SELECT odometer, performed_at AS at, 'service_records' AS source, id "
    "FROM service_records "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL AND odometer IS NOT NULL "
    "AND performed_at <= ?3 AND performed_at >= coalesce(?5, '') AND id IS NOT ?4 "
    "ORDER BY performed_at DESC, odometer DESC LIMIT 1)"
    ") ORDER BY odometer DESC, at DESC LIMIT 1";
static const char SQL_ABOVE[] =
    "SELECT odometer, at, source, id FROM ("
    "SELECT * FROM (SELECT odometer, filled_at AS at, 'fuel_logs' AS source, id FROM fuel_logs "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "AND filled_at > ?3 AND (?5 IS NULL OR filled_at < ?5) AND id IS NOT ?4 "
    "ORDER BY filled_at ASC, odometer ASC LIMIT 1)"
    " UNION ALL "
    "SELECT * FROM (SELECT odometer, read_at AS at, 'odometer_readings' AS source, id "
    "FROM odometer_readings "
    "WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "AND read_at > ?3 AND (?5 IS NULL OR read_at < ?5) AND id IS NOT ?4 "
    "ORDER BY read_at ASC, odometer ASC LIMIT 1)"
    " UNION ALL "
    "SELECT * FROM (SELECT odometer, performed_at AS at, 'service_records' AS source, id "
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
#define READING_COLS "id, vehicle_id, read_at, odometer, forced, notes, deleted_at"
static const char SQL_READING_GET[] =
    "SELECT " READING_COLS " FROM odometer_readings WHERE user_id = ?1 AND id = ?2";
static const char SQL_READING_BY_REF[] =
    "SELECT " READING_COLS " FROM odometer_readings WHERE user_id = ?1 AND " ODO_SQL_ID_MATCH(
        "id", "?2") " AND (deleted_at IS NULL) = (?3 = 0) LIMIT 2";
/* What else an id a person copied from 'odo list' may name: a fuel log or a service record. */
static const char SQL_EVENT_BY_REF[] =
    "SELECT source FROM odometer_events WHERE user_id = ?1 AND " ODO_SQL_ID_MATCH(
        "id", "?2") " AND source <> 'reading' LIMIT 1";
static const char SQL_READING_UPDATE[] =
    "UPDATE odometer_readings SET read_at = ?3, odometer = ?4, forced = ?5, notes = ?6, "
    "updated_at = ?7 WHERE id = ?1 AND user_id = ?2 AND deleted_at IS NULL";
static const struct odo_soft_delete READING_REMOVE = {
    "odometer reading", "deleting the reading", {ODO_SQL_SOFT_DELETE("odometer_readings", "id")}};
static const struct odo_soft_delete READING_RESTORE = {
    "odometer reading", "restoring the reading", {ODO_SQL_RESTORE("odometer_readings", "id")}};
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
    char id[ODO_UUID_TEXT_LEN + 1];
};

static void read_neighbour(sqlite3_stmt *st, void *out)
{
    struct neighbour *n = out;
    int64_t ms;
    char at[ODO_TIME_TEXT_LEN + 1];

    n->value = sqlite3_column_int64(st, 0);
    odo_column_text(st, 1, at, sizeof(at));
    odo_column_text(st, 2, n->source, sizeof(n->source));
    odo_column_text(st, 3, n->id, sizeof(n->id));
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

/* The command that corrects the row a value collided with: "odolog fuel edit 1a2b3c4d". */
static void fix_command(const struct neighbour *n, char *out, size_t cap)
{
    const char *group = strcmp(n->source, "fuel_logs") == 0         ? "fuel"
                        : strcmp(n->source, "service_records") == 0 ? "service"
                                                                    : "odo";
    size_t len = strlen(n->id);

    snprintf(out, cap, "odolog %s edit %s", group,
             len > ODO_SHORT_ID_LEN ? n->id + len - ODO_SHORT_ID_LEN : n->id);
}

/* odo_odometer_previous's reader: the highest value the new one must not be below. */
static void read_previous(sqlite3_stmt *st, void *out)
{
    *(int64_t *)out =
        sqlite3_column_type(st, 0) == SQLITE_NULL ? ODO_NONE : sqlite3_column_int64(st, 0);
}

int odo_odometer_previous(struct odo_store *s, const char *user, const struct odo_vehicle *v,
                          int64_t at, const char *exclude_id, int64_t *value, struct odo_err *err)
{
    char at_text[ODO_TIME_TEXT_LEN + 1];
    sqlite3_stmt *st;
    int rc;

    odo_time_format(at, at_text);
    st = rule_stmt(s, SQL_BOUNDS, user, v->id, at_text, exclude_id, err);
    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_int(st, 5, 0);
    *value = ODO_NONE;
    rc = odo_store_row(s, st, read_previous, value, NULL, "checking the odometer", err);
    if (rc == 0 && *value < 0)
        *value = ODO_NONE; /* the query says -1 for "no value before" */
    return rc;
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
    char a[ODO_DEC_TEXT_MAX], b[ODO_DEC_TEXT_MAX], fix[64];
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
        if (found && other.value > value) {
            fix_command(&other, fix, sizeof(fix));
            return odo_err_set(
                err, ODO_EINVAL,
                "odometer %s %s is lower than %s %s recorded by %s on %s; odometers do not go "
                "backwards: if that earlier value is a typo, correct it with '%s --odometer "
                "N' (if the instrument cluster was replaced, record the new reading with "
                "'odolog odo add --forced')",
                odo_dec_format(value, ODO_SCALE_DISTANCE, 0, a, sizeof(a)), unit,
                odo_dec_format(other.value, ODO_SCALE_DISTANCE, 0, b, sizeof(b)), unit,
                source_label(other.source), other.when, fix);
        }
    }
    if ((rc = neighbour(s, SQL_ABOVE, user, v->id, at_text, exclude_id, end[0] ? end : NULL, &found,
                        &other, err)))
        return rc;
    if (found && other.value < value) {
        fix_command(&other, fix, sizeof(fix));
        return odo_err_set(err, ODO_EINVAL,
                           "odometer %s %s is higher than %s %s recorded later, by %s on %s; "
                           "check the reading and its date (or correct the later one with "
                           "'%s')",
                           odo_dec_format(value, ODO_SCALE_DISTANCE, 0, a, sizeof(a)), unit,
                           odo_dec_format(other.value, ODO_SCALE_DISTANCE, 0, b, sizeof(b)), unit,
                           source_label(other.source), other.when, fix);
    }
    return 0;
}

static const char SQL_STAGE[] =
    "INSERT INTO temp.readings_staged (id, user_id, vehicle_id, read_at, odometer, forced, notes, "
    "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_FLUSH[] =
    "INSERT INTO main.odometer_readings (id, user_id, vehicle_id, read_at, odometer, forced, "
    "notes, created_at, updated_at) SELECT id, user_id, vehicle_id, read_at, odometer, forced, "
    "notes, created_at, created_at FROM temp.readings_staged ORDER BY seq";
static const char SQL_UNSTAGE[] = "DELETE FROM temp.readings_staged";

/* Gives r a new id and writes it with sql (SQL_INSERT, or SQL_STAGE into the staging table). */
static int write_new(struct odo_store *s, const char *sql, const char *user, struct odo_reading *r,
                     const char *doing, struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1], at[ODO_TIME_TEXT_LEN + 1];
    sqlite3_stmt *st;
    int rc;

    if ((rc = odo_store_new_id(s, r->id, err)))
        return rc;
    st = odo_store_bound(s, sql, r->id, user, err);
    if (!st)
        return ODO_ESTORAGE;
    odo_store_now_text(s, now);
    odo_time_format(r->read_at, at);
    sqlite3_bind_text(st, 3, r->vehicle_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, r->odometer);
    sqlite3_bind_int(st, 6, r->forced);
    odo_bind_text(st, 7, r->notes);
    sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
    return odo_store_step_done(s, st, err, doing);
}

int odo_odometer_insert(struct odo_store *s, const char *user, struct odo_reading *r,
                        struct odo_err *err)
{
    return write_new(s, SQL_INSERT, user, r, "adding the reading", err);
}

int odo_odometer_stage(struct odo_store *s, const char *user, struct odo_reading *r,
                       struct odo_err *err)
{
    int rc = odo_store_staging(s, err);

    return rc ? rc : write_new(s, SQL_STAGE, user, r, "staging the reading", err);
}

int odo_odometer_flush(struct odo_store *s, struct odo_err *err)
{
    sqlite3_stmt *st;
    bool was_off = s->capture_off;
    int rc;

    if (!s->staging)
        return 0;
    s->capture_off = true; /* captured below, all at once */
    st = odo_store_stmt(s, SQL_FLUSH, err);
    rc = st ? odo_store_step_done(s, st, err, "saving the staged readings") : ODO_ESTORAGE;
    s->capture_off = was_off;
    if (rc || (!was_off && (rc = odo_store_capture_inserts(s, "odometer_readings",
                                                           "temp.readings_staged", err))))
        return rc;
    if (!(st = odo_store_stmt(s, SQL_UNSTAGE, err)))
        return ODO_ESTORAGE;
    return odo_store_step_done(s, st, err, "saving the staged readings");
}

int odo_odometer_add(struct odo_store *s, const char *user, struct odo_reading *r,
                     struct odo_err *err)
{
    struct odo_vehicle v;
    int rc;

    if ((rc = odo_text_check(r->notes, ODO_NOTES_MAX, "the notes", err)))
        return rc;
    if (r->read_at > odo_clock_now(s->clock) + 86400000LL)
        return odo_err_set(err, ODO_EINVAL, "the reading is dated more than a day ahead");
    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_vehicle_require_live(s, user, r->vehicle_id, &v, err)) ||
        (rc = odo_odometer_check(s, user, &v, r->read_at, r->odometer, r->forced, NULL, err)))
        goto out_rollback;
    if ((rc = odo_odometer_insert(s, user, r, err)))
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

static void read_reading(sqlite3_stmt *st, void *out)
{
    struct odo_reading *r = out;

    memset(r, 0, sizeof(*r));
    odo_column_text(st, 0, r->id, sizeof(r->id));
    odo_column_text(st, 1, r->vehicle_id, sizeof(r->vehicle_id));
    r->read_at = odo_column_time(st, 2);
    r->odometer = sqlite3_column_int64(st, 3);
    r->forced = sqlite3_column_int(st, 4) != 0;
    odo_column_text(st, 5, r->notes, sizeof(r->notes));
    odo_column_text(st, 6, r->deleted_at, sizeof(r->deleted_at));
    memcpy(r->source, "reading", sizeof("reading"));
}

int odo_odometer_get(struct odo_store *s, const char *user, const char *id, struct odo_reading *r,
                     struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_READING_GET, user, id, err);

    return odo_store_one(s, st, read_reading, r, "odometer reading", id, err);
}

int odo_odometer_find(struct odo_store *s, const char *user, const char *ref, bool deleted,
                      struct odo_reading *r, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_READING_BY_REF, user, ref, err);
    char source[16];
    int rc;

    if (st)
        sqlite3_bind_int(st, 3, deleted);
    rc = odo_store_one(s, st, read_reading, r,
                       deleted ? "deleted odometer reading" : "live odometer reading", ref, err);
    if (rc != ODO_ENOTFOUND || deleted)
        return rc;
    /* 'odo list' shows fuel logs and service records too: say where those are edited. */
    st = odo_store_bound(s, SQL_EVENT_BY_REF, user, ref, err);
    if (odo_store_text(s, st, source, sizeof(source), "looking it up", err) == 0 && source[0])
        return odo_err_set(err, ODO_ENOTFOUND,
                           "'%.60s' is a %s, not an odometer reading: change it with 'odolog %s "
                           "edit %.60s'",
                           ref, strcmp(source, "fuel") == 0 ? "fuel log" : "service record",
                           strcmp(source, "fuel") == 0 ? "fuel" : "service", ref);
    return rc;
}

/*
 * Checks that the values after `at` up to the next forced reading are not below the highest
 * value before it: what must hold when a forced reading at `at` stops splitting the series
 * (it is removed, moved or no longer forced). Run after the change, in its transaction.
 */
static int check_join(struct odo_store *s, const char *user, const struct odo_vehicle *v,
                      int64_t at, struct odo_err *err)
{
    char at_text[ODO_TIME_TEXT_LEN + 1], end[ODO_TIME_TEXT_LEN + 1], a[ODO_DEC_TEXT_MAX],
        b[ODO_DEC_TEXT_MAX];
    struct neighbour after;
    int64_t before;
    bool found;
    int rc;

    odo_time_format(at, at_text);
    if ((rc = odo_odometer_previous(s, user, v, at, NULL, &before, err)) || before == ODO_NONE ||
        (rc = series_bound(s, SQL_SERIES_END, user, v->id, at_text, NULL, end, err)) ||
        (rc = neighbour(s, SQL_ABOVE, user, v->id, at_text, NULL, end[0] ? end : NULL, &found,
                        &after, err)))
        return rc;
    if (found && after.value < before)
        return odo_err_set(
            err, ODO_EINVAL,
            "without this forced reading, %s %s on %s would come after %s %s: the series it "
            "started must stay apart (correct the values first)",
            odo_dec_format(after.value, ODO_SCALE_DISTANCE, 0, a, sizeof(a)),
            odo_dist_unit_name(v->odometer_unit), after.when,
            odo_dec_format(before, ODO_SCALE_DISTANCE, 0, b, sizeof(b)),
            odo_dist_unit_name(v->odometer_unit));
    return 0;
}

int odo_odometer_update(struct odo_store *s, const char *user, struct odo_reading *r,
                        struct odo_err *err)
{
    struct odo_reading old;
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
    if ((rc = odo_odometer_get(s, user, r->id, &old, err)))
        goto out_rollback;
    if (old.deleted_at[0]) {
        rc = odo_err_set(err, ODO_ENOTFOUND, "odometer reading %s is deleted", r->id);
        goto out_rollback;
    }
    if ((rc = odo_vehicle_require_live(s, user, old.vehicle_id, &v, err)) ||
        (rc = odo_odometer_check(s, user, &v, r->read_at, r->odometer, r->forced, r->id, err)))
        goto out_rollback;
    st = odo_store_bound(s, SQL_READING_UPDATE, r->id, user, err);
    if (!st) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    odo_store_now_text(s, now);
    odo_time_format(r->read_at, at);
    sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, r->odometer);
    sqlite3_bind_int(st, 5, r->forced);
    odo_bind_text(st, 6, r->notes);
    sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
    if ((rc = odo_store_step_done(s, st, err, "saving the reading")) ||
        (old.forced && (old.read_at != r->read_at || !r->forced) &&
         (rc = check_join(s, user, &v, old.read_at, err))))
        goto out_rollback;
    memcpy(r->vehicle_id, old.vehicle_id, sizeof(r->vehicle_id));
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}

/* remove and restore: one reading, with the checks the odometer rule needs. */
static int remove_or_restore(struct odo_store *s, const char *user, const char *id, bool restore,
                             struct odo_err *err)
{
    struct odo_reading r;
    struct odo_vehicle v;
    int rc;

    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_odometer_get(s, user, id, &r, err)))
        goto out_rollback;
    if (!r.deleted_at[0] == restore) {
        rc = odo_err_set(err, ODO_ENOTFOUND, "odometer reading %s is %s", id,
                         restore ? "not deleted" : "already deleted");
        goto out_rollback;
    }
    if ((rc = odo_vehicle_require_live(s, user, r.vehicle_id, &v, err)))
        goto out_rollback;
    if (restore)
        rc = odo_odometer_check(s, user, &v, r.read_at, r.odometer, r.forced, r.id, err);
    if (rc == 0)
        rc = odo_store_soft_delete(s, restore ? &READING_RESTORE : &READING_REMOVE, user, id,
                                   restore ? r.deleted_at : NULL, err);
    if (rc == 0 && !restore && r.forced)
        rc = check_join(s, user, &v, r.read_at, err);
    if (rc)
        goto out_rollback;
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}

int odo_odometer_remove(struct odo_store *s, const char *user, const char *id, struct odo_err *err)
{
    return remove_or_restore(s, user, id, false, err);
}

int odo_odometer_restore(struct odo_store *s, const char *user, const char *id, struct odo_err *err)
{
    return remove_or_restore(s, user, id, true, err);
}
